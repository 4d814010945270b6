import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import type { RemotingCommand } from '../../src/shared/remoting/command.js';
import type { DecodedMessage } from '../../src/shared/storage/message.js';
import { entryPosition, indexKeyHash, readIndexHeader, slotPosition } from '../../src/shared/storage/indexfile.js';
import { readInt, readLong } from '../../src/shared/storage/longs.js';

const FOREVER = '9223372036854775807'; // what Java clients send as Long.MAX_VALUE

interface QueryOpts {
  maxNum?: number;
  begin?: number;
  end?: string | number;
  unique?: boolean;
}

function query(client: WireClient, topic: string, key: string, o: QueryOpts = {}): Promise<RemotingCommand> {
  const ext: Record<string, string> = {
    topic, key, maxNum: String(o.maxNum ?? 32), beginTimestamp: String(o.begin ?? 0), endTimestamp: String(o.end ?? FOREVER),
  };
  if (o.unique) ext._UNIQUE_KEY_QUERY = 'true';
  return client.invoke(RequestCode.QUERY_MESSAGE, ext);
}

/** Queries until `count` messages come back (the index is built asynchronously, as in RocketMQ). */
async function found(client: WireClient, topic: string, key: string, count = 1, o: QueryOpts = {}): Promise<DecodedMessage[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await query(client, topic, key, o);
    const msgs = res.code === ResponseCode.SUCCESS ? decodeRecords(res.body) : [];
    if (msgs.length >= count || Date.now() > deadline) {
      assert.equal(res.code, ResponseCode.SUCCESS, `query ${topic}#${key}: ${res.remark}`);
      assert.equal(msgs.length, count, `messages found for ${topic}#${key}`);
      return msgs;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function send(client: WireClient, topic: string, body: string, keys: string, uniq: string): Promise<void> {
  const r = await client.send(topic, body, { keys, props: `UNIQ_KEY\u0001${uniq}` });
  assert.equal(r.code, 0, r.remark ?? '');
}

function indexFiles(ferry: FerryProcess): string[] {
  return fs.readdirSync(path.join(ferry.storeDir, 'index')).filter((n) => /^\d{17}$/.test(n)).sort();
}

/** yyyyMMddHHmmssSSS (local time) back to epoch ms. */
function nameTime(name: string): number {
  const n = (a: number, b: number) => Number(name.slice(a, b));
  return new Date(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14), n(14, 17)).getTime();
}

describe('QUERY_MESSAGE against a broker process (maxHashSlotNum=1000, maxIndexNum=4000)', () => {
  let ferry: FerryProcess;
  let client: WireClient;
  const t0 = Date.now();

  before(async () => {
    // No periodic checkpoint: after kill -9 the index must be dropped and rebuilt, deterministically.
    ferry = await FerryProcess.start({ overrides: ['maxHashSlotNum=1000', 'maxIndexNum=4000', 'flushIntervalConsumeQueue=3600000'] });
    client = await WireClient.connect(ferry.brokerAddr);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  test('the IndexFile on disk has the layout of §6.4', async () => {
    assert.equal((await client.createTopic('IdxDisk', 1)).code, 0);
    await send(client, 'IdxDisk', 'on disk', 'disk-key', 'DISK-UNIQ');
    const [msg] = await found(client, 'IdxDisk', 'disk-key');
    const files = indexFiles(ferry);
    assert.equal(files.length, 1);
    const t = nameTime(files[0]);
    assert.ok(t >= t0 - 1000 && t <= Date.now(), `file named by its creation time: ${files[0]}`);
    const b = fs.readFileSync(path.join(ferry.storeDir, 'index', files[0]));
    assert.equal(b.length, 40 + 4 * 1000 + 20 * 4000);
    const uniqHash = indexKeyHash('IdxDisk#DISK-UNIQ');
    const keyHash = indexKeyHash('IdxDisk#disk-key');
    const sameSlot = uniqHash % 1000 === keyHash % 1000;
    assert.deepEqual(readIndexHeader(b), {
      beginTimestamp: msg.storeTimestamp,
      endTimestamp: msg.storeTimestamp,
      beginPhyOffset: msg.physicalOffset,
      endPhyOffset: msg.physicalOffset,
      hashSlotCount: sameSlot ? 1 : 2,
      indexCount: 3,
    });
    // UNIQ_KEY is entry 1, the KEYS token entry 2 (IndexService's order); slots hold the newest entry
    assert.equal(readInt(b, slotPosition(keyHash, 1000)), 2, 'slot of the key');
    assert.equal(readInt(b, slotPosition(uniqHash, 1000)), sameSlot ? 2 : 1, 'slot of the UNIQ_KEY');
    const entries: [number, number, number][] = [[1, uniqHash, 0], [2, keyHash, sameSlot ? 1 : 0]];
    for (const [n, hash, prev] of entries) {
      const e = entryPosition(n, 1000);
      assert.equal(readInt(b, e), hash, `keyHash of entry ${n}`);
      assert.equal(readLong(b, e + 4), msg.physicalOffset, `phyOffset of entry ${n}`);
      assert.equal(readInt(b, e + 12), 0, `timeDiff (s) of entry ${n}`);
      assert.equal(readInt(b, e + 16), prev, `prevIndex of entry ${n}`);
    }
    assert.ok(b.subarray(40, entryPosition(1, 1000)).every((x, i) => x === 0 || [slotPosition(keyHash, 1000), slotPosition(uniqHash, 1000)].includes(40 + i - (i % 4))), 'other slots empty');
    assert.ok(b.subarray(entryPosition(3, 1000)).every((x) => x === 0), 'nothing past indexCount');
  });

  test('by key (every KEYS token), by UNIQ_KEY, only the asked topic, hash collisions filtered', async () => {
    assert.equal((await client.createTopic('QKeys', 2)).code, 0);
    assert.equal((await client.createTopic('QOther', 1)).code, 0);
    await send(client, 'QKeys', 'one', 'order-1 shared Aa', 'UNIQ-1');
    await send(client, 'QKeys', 'two', 'order-2 shared BB', 'UNIQ-2');
    await send(client, 'QOther', 'other', 'order-1', 'UNIQ-3');
    const one = await found(client, 'QKeys', 'order-1');
    assert.equal(one[0].body.toString(), 'one');
    assert.equal(one[0].topic, 'QKeys');
    assert.deepEqual((await found(client, 'QKeys', 'shared', 2)).map((m) => m.body.toString()), ['one', 'two']);
    assert.deepEqual((await found(client, 'QKeys', 'Aa')).map((m) => m.body.toString()), ['one'], '"Aa" and "BB" share a hash');
    assert.deepEqual((await found(client, 'QKeys', 'BB')).map((m) => m.body.toString()), ['two']);
    assert.deepEqual((await found(client, 'QOther', 'order-1')).map((m) => m.body.toString()), ['other']);
    const byId = await found(client, 'QKeys', 'UNIQ-2', 1, { unique: true, maxNum: 1 });
    assert.equal(byId[0].properties.get('UNIQ_KEY'), 'UNIQ-2');
    assert.equal((await found(client, 'QKeys', 'shared', 1, { maxNum: 1 }))[0].body.toString(), 'two', 'the newest maxNum');
    const res = await query(client, 'QKeys', 'shared');
    assert.ok(Number(res.extFields?.indexLastUpdateTimestamp) >= one[0].storeTimestamp);
    assert.ok(Number(res.extFields?.indexLastUpdatePhyoffset) > one[0].physicalOffset);
    const none = await query(client, 'QKeys', 'no-such-key');
    assert.equal(none.code, ResponseCode.QUERY_NOT_FOUND);
    assert.equal(none.remark, 'can not find message, maybe time range not correct');
    assert.equal((await query(client, 'QOther', 'shared')).code, ResponseCode.QUERY_NOT_FOUND);
  });

  test('by time range', async () => {
    assert.equal((await client.createTopic('QTime', 1)).code, 0);
    await send(client, 'QTime', 'early', 'tr', 'UNIQ-T1');
    const [early] = await found(client, 'QTime', 'tr');
    await new Promise((r) => setTimeout(r, 2100));
    await send(client, 'QTime', 'late', 'tr', 'UNIQ-T2');
    const both = await found(client, 'QTime', 'tr', 2);
    const late = both[1];
    assert.ok(late.storeTimestamp - early.storeTimestamp >= 2000);
    // index times have second granularity: ranges at least a second away from either message
    const lateOnly = await query(client, 'QTime', 'tr', { begin: late.storeTimestamp - 1000 });
    assert.deepEqual(decodeRecords(lateOnly.body).map((m) => m.body.toString()), ['late']);
    const earlyOnly = await query(client, 'QTime', 'tr', { begin: early.storeTimestamp - 5000, end: early.storeTimestamp + 500 });
    assert.deepEqual(decodeRecords(earlyOnly.body).map((m) => m.body.toString()), ['early']);
    const before = await query(client, 'QTime', 'tr', { begin: 0, end: early.storeTimestamp - 5000 });
    assert.equal(before.code, ResponseCode.QUERY_NOT_FOUND);
    const afterAll = await query(client, 'QTime', 'tr', { begin: late.storeTimestamp + 5000 });
    assert.equal(afterAll.code, ResponseCode.QUERY_NOT_FOUND);
  });

  test('after a clean restart the index is loaded and written on', async () => {
    const before = indexFiles(ferry);
    client.close();
    assert.equal(await ferry.stop(), 0);
    await ferry.launch();
    client = await WireClient.connect(ferry.brokerAddr);
    assert.deepEqual(indexFiles(ferry), before);
    assert.equal((await found(client, 'QKeys', 'order-1'))[0].body.toString(), 'one');
    assert.equal((await found(client, 'QKeys', 'UNIQ-1', 1, { unique: true }))[0].body.toString(), 'one');
    await send(client, 'QKeys', 'three', 'shared', 'UNIQ-4');
    assert.deepEqual((await found(client, 'QKeys', 'shared', 3)).map((m) => m.body.toString()), ['one', 'two', 'three']);
    assert.deepEqual(indexFiles(ferry), before, 'the same file continues');
  });

  test('after kill -9 index entries newer than the checkpoint are cut (or the file dropped) and rebuilt', async () => {
    await send(client, 'QKeys', 'four', 'shared before-kill', 'UNIQ-5');
    await found(client, 'QKeys', 'before-kill');
    client.close();
    await ferry.kill();
    await ferry.launch();
    client = await WireClient.connect(ferry.brokerAddr);
    // Whether anything is newer than the checkpoint depends on when the last flush ran; either way
    // every message must be found.
    assert.equal(indexFiles(ferry).length, 1);
    assert.deepEqual((await found(client, 'QKeys', 'shared', 4)).map((m) => m.body.toString()), ['one', 'two', 'three', 'four']);
    assert.equal((await found(client, 'IdxDisk', 'disk-key'))[0].body.toString(), 'on disk');
    assert.equal((await found(client, 'QKeys', 'UNIQ-5', 1, { unique: true }))[0].body.toString(), 'four');
    assert.equal((await found(client, 'QTime', 'tr', 2))[1].body.toString(), 'late');
    await send(client, 'QKeys', 'five', 'shared', 'UNIQ-6');
    assert.equal((await found(client, 'QKeys', 'shared', 5))[4].body.toString(), 'five');
  });
});

describe('QUERY_MESSAGE over many small IndexFiles and CommitLog files', () => {
  let ferry: FerryProcess;
  let client: WireClient;
  const body = (i: number) => `m${i}-`.padEnd(4000, 'x');

  before(async () => {
    ferry = await FerryProcess.start({
      overrides: ['maxHashSlotNum=16', 'maxIndexNum=8', 'mapedFileSizeCommitLog=131072', 'maxMessageSize=4096', 'flushIntervalConsumeQueue=3600000'],
    });
    client = await WireClient.connect(ferry.brokerAddr);
    assert.equal((await client.createTopic('QRoll', 2)).code, 0);
  });

  after(async () => {
    client?.close();
    await ferry?.dispose();
  });

  async function sendRange(from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) await send(client, 'QRoll', body(i), `k${i} common`, `U-${i}`);
  }

  async function allFound(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const [m] = await found(client, 'QRoll', `k${i}`);
      assert.equal(m.body.toString(), body(i));
      assert.equal((await found(client, 'QRoll', `U-${i}`, 1, { unique: true }))[0].body.toString(), body(i));
    }
    const common = await found(client, 'QRoll', 'common', n, { maxNum: 64 });
    assert.deepEqual(common.map((m) => m.body.toString()), Array.from({ length: n }, (_, i) => body(i)));
  }

  test('new IndexFiles are seen by the network workers; a query spans them', async () => {
    await sendRange(0, 20);
    await allFound(20);
    assert.ok(indexFiles(ferry).length >= 8, `60 entries in files of 7: ${indexFiles(ferry).length} files`);
  });

  test('clean restart, more messages, kill -9: dropped files are rebuilt from the CommitLog file they began in', async () => {
    client.close();
    assert.equal(await ferry.stop(), 0);
    await ferry.launch();
    client = await WireClient.connect(ferry.brokerAddr);
    await sendRange(20, 40);
    await allFound(40);
    const commitLogs = fs.readdirSync(path.join(ferry.storeDir, 'commitlog')).filter((n) => /^\d{20}$/.test(n));
    assert.ok(commitLogs.length >= 2, 'the messages span CommitLog files');
    const before = indexFiles(ferry);
    client.close();
    await ferry.kill();
    await ferry.launch();
    client = await WireClient.connect(ferry.brokerAddr);
    assert.match(ferry.output, /IndexFiles newer than the checkpoint dropped/);
    const after = indexFiles(ferry);
    const kept = after.filter((n) => before.includes(n));
    assert.ok(kept.length > 0 && kept.length < before.length, `files before the checkpoint kept (${kept.length} of ${before.length})`);
    const recovered = ferry.output.split('\n').filter((l) => l.includes('ConsumeQueues recovered')).map((l) => JSON.parse(l) as { reputFrom: number });
    assert.equal(recovered.length, 1);
    assert.ok(recovered[0].reputFrom < 131072, `re-dispatch went back into the first CommitLog file for the index (from ${recovered[0].reputFrom})`);
    await allFound(40);
  });
});
