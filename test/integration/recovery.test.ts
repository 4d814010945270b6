/**
 * Crash recovery of the CommitLog against a real broker process: the broker is killed (SIGKILL,
 * so the abort marker stays), the store is damaged the way a crash or a bad disk leaves it, and
 * the restarted broker must keep every intact record, drop the damaged tail, never serve a record
 * whose CRC fails, drop ConsumeQueue units that point past the new end, give new sends the next
 * offsets, and say in its log what it did. Also: a clean stop starts without scanning, and the
 * checkpoint file has RocketMQ's layout (reference doc §6.5).
 *
 * CommitLog files are small (128 KiB) so that the data spans two files and recovery has to walk
 * from one into the next.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { fileName, logLines, offsetFiles, readConsumeQueue, walkCommitLog, type WalkedRecord } from '../helpers/store-walk.js';
import { RequestCode, ResponseCode } from '../../src/shared/codes.js';
import { decodeOffsetMsgId } from '../../src/shared/storage/msgid.js';
import { checkRecord, posBodyLength, type DecodedMessage } from '../../src/shared/storage/message.js';
import { readInt } from '../../src/shared/storage/longs.js';
import { CHECKPOINT_SIZE, decodeCheckpoint, parseBootId, readRecoveryHint, RECOVERY_HINT_OFFSET, writeRecoveryHint } from '../../src/shared/storage/checkpoint.js';

const FILE_SIZE = 128 * 1024;
const TOPIC = 'Recovery';
const QUEUES = 2;
const COUNT = 160; // ~1 KB each: about 1.3 CommitLog files
const OVERRIDES = [
  `mapedFileSizeCommitLog=${FILE_SIZE}`,
  'maxMessageSize=65536',
  'maxHashSlotNum=1000',
  'maxIndexNum=4000',
  'flushIntervalConsumeQueue=200',
];
const TIMEOUT = 90_000;

const brokers: FerryProcess[] = [];
const storeDirs: string[] = [];
after(async () => {
  for (const b of brokers) await b.dispose();
  // Also the stores of brokers that failed to start.
  for (const d of storeDirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Sent {
  i: number;
  key: string;
  body: Buffer;
  queueId: number;
  queueOffset: number;
  phy: number;
}

function bodyOf(i: number): Buffer {
  // Lengths vary so that record boundaries do not line up with anything.
  return Buffer.from(`body-${i}-${'abcdefghij'.repeat(80 + (i % 37))}`);
}

async function startBroker(extra: string[] = []): Promise<FerryProcess> {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-recovery-'));
  storeDirs.push(storeDir);
  const f = await FerryProcess.start({ storeDir, overrides: [...OVERRIDES, ...extra] });
  brokers.push(f);
  return f;
}

async function sendOne(client: WireClient, i: number, queueId: number): Promise<Sent> {
  const key = `key-${i}`;
  const body = bodyOf(i);
  const r = await client.send(TOPIC, body, { queueId, keys: key, tags: 'TagR' });
  assert.equal(r.code, ResponseCode.SUCCESS, `send ${i}: ${r.remark}`);
  return { i, key, body, queueId, queueOffset: Number(r.extFields!.queueOffset), phy: decodeOffsetMsgId(r.extFields!.msgId).offset };
}

/** A broker with COUNT records alternating over the queues, all dispatched. */
async function filled(extra: string[] = []): Promise<{ ferry: FerryProcess; sent: Sent[] }> {
  const ferry = await startBroker(extra);
  const client = await WireClient.connect(ferry.brokerAddr);
  try {
    assert.equal((await client.createTopic(TOPIC, QUEUES)).code, ResponseCode.SUCCESS);
    const sent: Sent[] = [];
    for (let i = 0; i < COUNT; i++) sent.push(await sendOne(client, i, i % QUEUES));
    for (let q = 0; q < QUEUES; q++) await awaitMaxOffset(client, q, sent.filter((s) => s.queueId === q).length);
    // Units are published from shared memory at once and written to the ConsumeQueue files at
    // the next ConsumeQueue flush: wait for it, so the crash finds them on disk (and recovery
    // must drop the ones the damage takes away).
    const deadline = Date.now() + 10_000;
    for (let q = 0; q < QUEUES; q++) {
      const want = sent.filter((s) => s.queueId === q).length;
      while (readConsumeQueue(ferry.storeDir, TOPIC, q).length < want) {
        if (Date.now() > deadline) throw new Error(`ConsumeQueue ${q} never reached its file`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // ...and the checkpoint written after that flush.
    const checkpoint = path.join(ferry.storeDir, 'checkpoint');
    while (!fs.existsSync(checkpoint) || readRecoveryHint(fs.readFileSync(checkpoint)) < 0) {
      if (Date.now() > deadline) throw new Error('no checkpoint with a durable offset was written');
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ferry, sent };
  } finally {
    client.close();
  }
}

async function maxOffset(client: WireClient, queueId: number): Promise<number> {
  const r = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: String(queueId) });
  assert.equal(r.code, ResponseCode.SUCCESS, `GET_MAX_OFFSET: ${r.remark}`);
  return Number(r.extFields!.offset);
}

async function awaitMaxOffset(client: WireClient, queueId: number, want: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let got = -1;
  while (Date.now() < deadline) {
    got = await maxOffset(client, queueId);
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`max offset of queue ${queueId} stayed ${got}, expected ${want}`);
}

/** Every record of a queue from offset 0, each checked (with its body CRC) as served. */
async function pullAll(client: WireClient, queueId: number): Promise<DecodedMessage[]> {
  const out: DecodedMessage[] = [];
  let offset = 0;
  const max = await maxOffset(client, queueId);
  while (offset < max) {
    const r = await client.pull('recovery_cg', TOPIC, queueId, offset, { max: 32 });
    assert.equal(r.code, ResponseCode.SUCCESS, `pull q${queueId}@${offset}: ${r.code} ${r.remark}`);
    assert.ok(r.body && r.body.length > 0, `pull q${queueId}@${offset} (max ${max}) answers FOUND without messages, next begin offset ${r.extFields?.nextBeginOffset}: the ConsumeQueue has a hole there`);
    const body = r.body!;
    for (let p = 0; p < body.length; p += readInt(body, p)) {
      assert.ok(checkRecord(body, p, body.length - p, true) > 0, `pull q${queueId}@${offset} served a record that fails its check (CRC)`);
    }
    const msgs = decodeRecords(body);
    assert.ok(msgs.length > 0);
    out.push(...msgs);
    offset = Number(r.extFields!.nextBeginOffset);
  }
  return out;
}

/** QUERY_MESSAGE by key (the index is built asynchronously: retried for a while until `want` are found). */
async function queryKey(client: WireClient, key: string, want: number): Promise<DecodedMessage[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await client.invoke(RequestCode.QUERY_MESSAGE, { topic: TOPIC, key, maxNum: '32', beginTimestamp: '0', endTimestamp: '9223372036854775807' });
    const found = r.code === ResponseCode.SUCCESS ? decodeRecords(r.body).filter((m) => m.properties.get('KEYS') === key) : [];
    if (found.length >= want || Date.now() > deadline) return found;
    await new Promise((res) => setTimeout(res, 50));
  }
}

function commitLogDir(ferry: FerryProcess): string {
  return path.join(ferry.storeDir, 'commitlog');
}

/** The CommitLog file holding `phy`, and `phy`'s position in it. */
function locate(ferry: FerryProcess, phy: number): { file: string; pos: number } {
  const start = phy - (phy % FILE_SIZE);
  return { file: path.join(commitLogDir(ferry), fileName(start)), pos: phy - start };
}

function zeroRange(file: string, from: number, to: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, Buffer.alloc(to - from), 0, to - from, from);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A machine crash damages only what had not reached the disk: what lies past the checkpoint's
 * durable offset. The tests damage records of an idle broker, whose checkpoint covers them all,
 * so they move the durable offset back to `phy` first (as if the crash came before the flush that
 * covered the rest), or with null erase it (a checkpoint written by Apache RocketMQ has none).
 */
function setDurableOffset(ferry: FerryProcess, phy: number | null): void {
  const file = path.join(ferry.storeDir, 'checkpoint');
  const page = fs.readFileSync(file);
  assert.ok(readRecoveryHint(page) >= 0, 'the checkpoint has a durable offset');
  if (phy === null) page.fill(0, RECOVERY_HINT_OFFSET, RECOVERY_HINT_OFFSET + 24);
  else writeRecoveryHint(page, decodeCheckpoint(page).logicsMsgTimestamp, phy);
  fs.writeFileSync(file, page);
}

/** This machine's boot id, which the broker records with the written offset (null off Linux). */
const BOOT_ID = (() => {
  try {
    return parseBootId(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  } catch {
    return null;
  }
})();

/** Waits until the checkpoint lets a restart in boot `bootId` start recovery at `want`. */
async function awaitHint(ferry: FerryProcess, bootId: Uint8Array | null, want: number): Promise<void> {
  const file = path.join(ferry.storeDir, 'checkpoint');
  const deadline = Date.now() + 15_000;
  while (!(fs.existsSync(file) && readRecoveryHint(fs.readFileSync(file), bootId) === want)) {
    assert.ok(Date.now() < deadline, `the checkpoint's recovery hint reaches ${want}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * After a restart that lost nothing: the walk and the re-dispatch covered [from, end), every sent
 * message is served in order and found by its key, and the next send lands at `end`.
 */
async function assertRecoveredFrom(ferry: FerryProcess, sent: Sent[], from: number, end: number): Promise<void> {
  const rec = await recoveredLine(ferry);
  assert.deepEqual([rec.mode, rec.end, rec.scanFrom, rec.scanFromDurable, rec.scannedBytes], ['abnormal', end, from, true, end - from], JSON.stringify(rec));
  const cq = (await awaitLog(ferry, 'ConsumeQueues recovered'))[0];
  assert.deepEqual([cq.reputFrom, cq.reputTo], [from, end], JSON.stringify(cq));
  const client = await WireClient.connect(ferry.brokerAddr);
  try {
    for (let q = 0; q < QUEUES; q++) {
      const want = sent.filter((s) => s.queueId === q);
      assert.deepEqual((await pullAll(client, q)).map((m) => m.properties.get('KEYS')), want.map((s) => s.key));
    }
    const next = await sendOne(client, 10_000, 0);
    assert.equal(next.phy, end);
    assert.equal(next.queueOffset, sent.filter((s) => s.queueId === 0).length);
    const found = await queryKey(client, sent.at(-1)!.key, 1);
    assert.deepEqual(found.map((m) => m.physicalOffset), [sent.at(-1)!.phy]);
  } finally {
    client.close();
  }
}

function recordOf(ferry: FerryProcess, s: Sent): WalkedRecord {
  const w = walkCommitLog(commitLogDir(ferry), FILE_SIZE, false);
  const r = w.records.find((x) => x.phy === s.phy);
  assert.ok(r, `record of ${s.key} at ${s.phy} is on disk`);
  return r;
}

/**
 * The log lines `msg` of the running broker. Worker threads' lines reach the process's stdout
 * asynchronously, possibly after "Ferry broker started": waits a little for them.
 */
async function awaitLog(ferry: FerryProcess, msg: string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 5000;
  let lines = logLines(ferry.output, msg);
  while (lines.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    lines = logLines(ferry.output, msg);
  }
  return lines;
}

async function recoveredLine(ferry: FerryProcess): Promise<Record<string, unknown>> {
  const lines = await awaitLog(ferry, 'CommitLog recovered');
  assert.equal(lines.length, 1, `one "CommitLog recovered" line in the log:\n${ferry.output}`);
  return lines[0];
}

/**
 * Restarts the killed broker on its damaged store and checks everything the recovery promises:
 * `kept` records are served intact in their queues, the others are gone (from pulls, from the
 * ConsumeQueues, from GET_MAX_OFFSET), the new end is `expectedEnd`, new sends get the next queue
 * offsets and the new end as their physical offset, and the store has no half record.
 */
async function restartAndCheck(ferry: FerryProcess, sent: Sent[], expectedEnd: number, what: string): Promise<Record<string, unknown>> {
  await ferry.launch();
  assert.match(ferry.output, /the last stop was not clean/, 'the abort marker is noticed');
  const rec = await recoveredLine(ferry);
  assert.equal(rec.end, expectedEnd, `${what}: "CommitLog recovered" end (log: ${JSON.stringify(rec)})`);
  if ('mode' in rec) assert.equal(rec.mode, 'abnormal', `${what}: recovery mode`);
  // The damaged tail is gone from the file itself: valid records up to the end, zeros after it.
  const walked = walkCommitLog(commitLogDir(ferry), FILE_SIZE, true);
  assert.equal(walked.end, expectedEnd, `${what}: end of valid records in the files after recovery`);
  assert.deepEqual(walked.problems.filter((p) => !p.includes('bytes, not')), [], `${what}: the torn or corrupt tail is zeroed by recovery`);
  const kept = sent.filter((s) => s.phy < expectedEnd);
  const dropped = sent.filter((s) => s.phy >= expectedEnd);
  assert.ok(dropped.length > 0 && kept.length > 0);

  const client = await WireClient.connect(ferry.brokerAddr);
  try {
    for (let q = 0; q < QUEUES; q++) {
      const want = kept.filter((s) => s.queueId === q);
      assert.equal(await maxOffset(client, q), want.length, `${what}: GET_MAX_OFFSET of queue ${q} after recovery`);
      const units = readConsumeQueue(ferry.storeDir, TOPIC, q);
      assert.equal(units.length, want.length, `${what}: ConsumeQueue units of queue ${q} on disk`);
      for (const u of units) assert.ok(u.phy + u.size <= expectedEnd, `${what}: unit ${u.offset} of queue ${q} points past the end (${u.phy}+${u.size} > ${expectedEnd})`);
      const got = await pullAll(client, q);
      assert.deepEqual(got.map((m) => m.properties.get('KEYS')), want.map((s) => s.key), `${what}: keys served by queue ${q}`);
      got.forEach((m, j) => {
        assert.equal(m.queueOffset, j);
        assert.ok(m.body.equals(want[j].body), `${what}: body of ${want[j].key}`);
        assert.equal(m.physicalOffset, want[j].phy);
      });
    }
    // The index serves the kept records, and not the dropped ones.
    for (const k of [kept[0], kept.at(-1)!]) {
      const found = await queryKey(client, k.key, 1);
      assert.deepEqual(found.map((m) => m.physicalOffset), [k.phy], `${what}: QUERY_MESSAGE by the key of kept ${k.key}`);
    }
    for (const d of dropped) assert.deepEqual(await queryKey(client, d.key, 0), [], `${what}: QUERY_MESSAGE by the key of dropped ${d.key}`);
    // New sends continue right after the kept records.
    const firstDropped = dropped[0];
    const next = await sendOne(client, 10_000, firstDropped.queueId);
    assert.equal(next.phy, expectedEnd, `${what}: physical offset of the first new send`);
    assert.equal(next.queueOffset, kept.filter((s) => s.queueId === firstDropped.queueId).length, `${what}: queue offset of the first new send`);
    const other = (firstDropped.queueId + 1) % QUEUES;
    const next2 = await sendOne(client, 10_001, other);
    assert.equal(next2.queueOffset, kept.filter((s) => s.queueId === other).length, `${what}: queue offset of a new send to queue ${other}`);
    await awaitMaxOffset(client, firstDropped.queueId, next.queueOffset + 1);
    const tail = (await pullAll(client, firstDropped.queueId)).at(-1)!;
    assert.equal(tail.properties.get('KEYS'), next.key);
    assert.ok(tail.body.equals(next.body));
  } finally {
    client.close();
  }
  const walk = walkCommitLog(commitLogDir(ferry), FILE_SIZE, true);
  assert.deepEqual(walk.problems.filter((p) => !p.includes('bytes, not')), [], `${what}: CommitLog after recovery`);
  return rec;
}

describe('CommitLog recovery after kill -9 (abort marker present)', { timeout: 8 * TIMEOUT }, () => {
  test('the last record zeroed from its middle to the end of data: it is dropped, the rest kept', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    await ferry.kill();
    const last = sent.at(-1)!;
    const r = recordOf(ferry, last);
    const { file, pos } = locate(ferry, last.phy);
    assert.ok(last.phy >= FILE_SIZE, 'the data reaches the second CommitLog file');
    zeroRange(file, pos + Math.floor(r.size / 2), pos + r.size);
    const durable = sent.find((s) => s.phy >= FILE_SIZE - 8 * 1024)!.phy;
    assert.ok(durable < FILE_SIZE);
    setDurableOffset(ferry, durable);
    const rec = await restartAndCheck(ferry, sent, last.phy, 'zeroed from mid-record');
    assert.equal(rec.scanFrom, durable, `the walk starts at the durable offset: ${JSON.stringify(rec)}`);
    assert.equal(rec.filesScanned, 2, 'and crosses into the next file');
    assert.ok(Number(rec.truncatedBytes) > 0, `the log reports the torn bytes it cut: ${JSON.stringify(rec)}`);
    const cq = (await awaitLog(ferry, 'ConsumeQueues recovered'))[0];
    assert.ok(cq && Number(cq.droppedUnits) >= 1, `the log reports the ConsumeQueue units it dropped: ${JSON.stringify(cq)}`);
  });

  test('the last file shortened in the middle of its last record', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    await ferry.kill();
    const last = sent.at(-1)!;
    const r = recordOf(ferry, last);
    const { file, pos } = locate(ferry, last.phy);
    fs.truncateSync(file, pos + Math.floor(r.size / 2));
    setDurableOffset(ferry, sent.at(-4)!.phy);
    const rec = await restartAndCheck(ferry, sent, last.phy, 'shortened file');
    assert.ok(Number(rec.truncatedBytes) > 0, `the log reports the torn bytes it cut: ${JSON.stringify(rec)}`);
    // RocketMQ refuses to load a CommitLog file whose length is not mapedFileSizeCommitLog.
    assert.equal(fs.statSync(file).size, FILE_SIZE, 'the shortened file is back to mapedFileSizeCommitLog bytes (RocketMQ layout)');
  });

  test('a zero-filled tail (the last three records never reached the disk)', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    await ferry.kill();
    const last = sent.at(-1)!;
    const third = sent.at(-3)!;
    assert.equal(third.phy - (third.phy % FILE_SIZE), last.phy - (last.phy % FILE_SIZE), 'the three records share a file');
    const r = recordOf(ferry, last);
    const { file, pos } = locate(ferry, third.phy);
    zeroRange(file, pos, locate(ferry, last.phy).pos + r.size);
    setDurableOffset(ferry, sent.at(-6)!.phy);
    await restartAndCheck(ferry, sent, third.phy, 'zero-filled tail');
    const cq = (await awaitLog(ferry, 'ConsumeQueues recovered'))[0];
    assert.ok(cq && Number(cq.droppedUnits) >= 3, `the log reports the ConsumeQueue units it dropped: ${JSON.stringify(cq)}`);
  });

  test('a flipped byte in the body of the last record: the CRC fails, the record is never served', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    await ferry.kill();
    const last = sent.at(-1)!;
    const r = recordOf(ferry, last);
    const { file, pos } = locate(ferry, last.phy);
    const fd = fs.openSync(file, 'r+');
    const b = Buffer.alloc(1);
    const bodyAt = pos + posBodyLength(r.msg.sysFlag) + 4 + 10;
    fs.readSync(fd, b, 0, 1, bodyAt);
    b[0] ^= 0x20;
    fs.writeSync(fd, b, 0, 1, bodyAt);
    fs.closeSync(fd);
    // Only the CRC can tell: the record is complete and well formed.
    const raw = fs.readFileSync(file).subarray(pos, pos + r.size);
    assert.equal(checkRecord(raw, 0, raw.length, false), r.size);
    assert.equal(checkRecord(raw, 0, raw.length, true), -1);
    // Without a durable offset, RocketMQ's rule: the walk starts at the file the timestamps name.
    setDurableOffset(ferry, null);
    const rec = await restartAndCheck(ferry, sent, last.phy, 'flipped body byte');
    assert.equal(rec.scanFromDurable, false);
    assert.equal(Number(rec.scanFrom) % FILE_SIZE, 0, `the walk starts at a file start: ${JSON.stringify(rec)}`);
    assert.ok(Number(rec.truncatedBytes) > 0, `the log reports the corrupt bytes it cut: ${JSON.stringify(rec)}`);
  });

  test('an idle broker killed: the walk and the re-dispatch start at the recovery hint, nothing before it is re-read', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    const end = walkCommitLog(commitLogDir(ferry), FILE_SIZE).end;
    // Within a ConsumeQueue flush or two the checkpoint says everything is written, in this boot.
    await awaitHint(ferry, BOOT_ID, end);
    await ferry.kill();
    await ferry.launch();
    await assertRecoveredFrom(ferry, sent, end, end);
  });

  test('between thorough flushes only the written offset moves: a restart after a reboot starts at the durable offset, and loses nothing', { timeout: TIMEOUT, skip: BOOT_ID ? false : 'no boot id here: every flush is thorough' }, async () => {
    // An hour between thorough ConsumeQueue flushes: the durable offset stays where the first
    // flush that covered a record put it, while each 200 ms pass moves the written offset.
    const { ferry, sent } = await filled(['flushConsumeQueueThoroughInterval=3600000']);
    const file = path.join(ferry.storeDir, 'checkpoint');
    const durable = readRecoveryHint(fs.readFileSync(file));
    const client = await WireClient.connect(ferry.brokerAddr);
    try {
      for (let i = COUNT; i < COUNT + 20; i++) sent.push(await sendOne(client, i, i % QUEUES));
    } finally {
      client.close();
    }
    const end = walkCommitLog(commitLogDir(ferry), FILE_SIZE).end;
    assert.ok(durable >= 0 && durable < end, `the durable offset ${durable} is behind the end ${end}`);
    await awaitHint(ferry, BOOT_ID, end);
    assert.equal(readRecoveryHint(fs.readFileSync(file)), durable, 'no thorough flush: the durable offset did not move');
    await ferry.kill();
    // A reboot: the checkpoint was written in another boot, so what was only written is not trusted.
    const page = fs.readFileSync(file);
    page[RECOVERY_HINT_OFFSET + 32] ^= 0xff;
    fs.writeFileSync(file, page);
    await ferry.launch();
    await assertRecoveredFrom(ferry, sent, durable, end);
  });

  test('ConsumeQueue units a machine crash lost are rebuilt from the CommitLog, also across a file boundary', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    // Idle long enough for a ConsumeQueue flush and a checkpoint (flushIntervalConsumeQueue=200):
    // the IndexFile is then not newer than the checkpoint, so only ConsumeQueue recovery can
    // bring the lost units back.
    await new Promise((r) => setTimeout(r, 1500));
    await ferry.kill();
    // What a machine crash loses are the newest units. Queue 0 loses its last 5; queue 1 loses
    // every unit whose record was written in the last 16 KiB of the first CommitLog file or later,
    // i.e. just before and after the file roll (all within the last 3 s of the checkpoint).
    const q0 = sent.filter((s) => s.queueId === 0);
    const q1 = sent.filter((s) => s.queueId === 1);
    const j = q1.findIndex((s) => s.phy >= FILE_SIZE - 16 * 1024);
    assert.ok(j > 0 && q1[j].phy < FILE_SIZE && q1.at(-1)!.phy >= FILE_SIZE, 'queue 1 has records on both sides of the file roll');
    const cq0 = path.join(ferry.storeDir, 'consumequeue', TOPIC, '0');
    const cq1 = path.join(ferry.storeDir, 'consumequeue', TOPIC, '1');
    zeroRange(path.join(cq0, fileName(offsetFiles(cq0)[0])), (q0.length - 5) * 20, q0.length * 20);
    zeroRange(path.join(cq1, fileName(offsetFiles(cq1)[0])), j * 20, q1.length * 20);
    setDurableOffset(ferry, Math.min(q0.at(-5)!.phy, q1[j].phy));
    await ferry.launch();
    await awaitLog(ferry, 'ConsumeQueues recovered');
    assert.deepEqual(logLines(ferry.output, 'IndexFiles newer than the checkpoint dropped'), [], 'precondition: the IndexFile was flushed before the kill (else its rebuild re-dispatches everything)');
    const client = await WireClient.connect(ferry.brokerAddr);
    try {
      for (const [q, want] of [[0, q0], [1, q1]] as const) {
        await awaitMaxOffset(client, q, want.length);
        const got = await pullAll(client, q);
        assert.deepEqual(got.map((m) => m.properties.get('KEYS')), want.map((s) => s.key), `queue ${q} rebuilt (log: ${JSON.stringify(logLines(ferry.output, 'ConsumeQueues recovered'))})`);
      }
      const next = await sendOne(client, 10_000, 1);
      assert.equal(next.queueOffset, q1.length);
      assert.equal(next.phy, walkCommitLog(commitLogDir(ferry), FILE_SIZE).records.at(-1)!.phy);
    } finally {
      client.close();
    }
  });
});

describe('clean stop and the checkpoint', { timeout: 3 * TIMEOUT }, () => {
  test('after a clean stop the next start trusts the store and scans nothing', { timeout: TIMEOUT }, async () => {
    const { ferry, sent } = await filled();
    const endBefore = walkCommitLog(commitLogDir(ferry), FILE_SIZE).end;
    assert.equal(await ferry.stop(), 0, 'SIGTERM stops the broker with exit code 0');
    assert.ok(!fs.existsSync(path.join(ferry.storeDir, 'abort')), 'a clean stop removes the abort marker');
    await ferry.launch();
    assert.doesNotMatch(ferry.output, /the last stop was not clean/);
    const rec = await recoveredLine(ferry);
    assert.equal(rec.end, endBefore, `"CommitLog recovered" end: ${JSON.stringify(rec)}`);
    assert.equal(rec.filesScanned, 0, `no CommitLog file is scanned after a clean stop: ${JSON.stringify(rec)}`);
    assert.equal(rec.scannedBytes, 0, `no CommitLog byte is scanned after a clean stop: ${JSON.stringify(rec)}`);
    assert.equal(logLines(ferry.output, 'CommitLog recovery: file checked').length, 0, 'no recovery progress lines after a clean stop');
    const client = await WireClient.connect(ferry.brokerAddr);
    try {
      for (let q = 0; q < QUEUES; q++) assert.equal(await maxOffset(client, q), sent.filter((s) => s.queueId === q).length);
      const next = await sendOne(client, 10_000, 0);
      assert.equal(next.phy, endBefore);
      assert.equal(next.queueOffset, sent.filter((s) => s.queueId === 0).length);
    } finally {
      client.close();
    }
  });

  test('the checkpoint file is one 4096-byte page of big-endian timestamps (RocketMQ layout)', { timeout: TIMEOUT }, async () => {
    const t0 = Date.now();
    const { ferry } = await filled();
    const file = path.join(ferry.storeDir, 'checkpoint');
    // ConsumeQueues flush every 200 ms here; the checkpoint follows.
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await ferry.stop(), 0);
    const records = walkCommitLog(commitLogDir(ferry), FILE_SIZE).records;
    const firstStore = records[0].msg.storeTimestamp;
    const lastStore = records.at(-1)!.msg.storeTimestamp;
    const buf = fs.readFileSync(file);
    assert.equal(buf.length, CHECKPOINT_SIZE, 'checkpoint size');
    const c = decodeCheckpoint(buf);
    const now = Date.now();
    for (const [k, v] of Object.entries({ physicMsgTimestamp: c.physicMsgTimestamp, logicsMsgTimestamp: c.logicsMsgTimestamp, indexMsgTimestamp: c.indexMsgTimestamp })) {
      assert.ok(v >= t0 - 1000 && v <= now + 1000, `${k} ${v} (${new Date(v).toISOString()}) lies between the test's start and now`);
      assert.ok(v >= firstStore, `${k} ${v} is not before the first record's store time ${firstStore}`);
    }
    // After a clean stop everything is flushed: the checkpoint covers the last record.
    assert.ok(c.physicMsgTimestamp >= lastStore, `physicMsgTimestamp ${c.physicMsgTimestamp} covers the last record (${lastStore})`);
    assert.ok(c.logicsMsgTimestamp >= lastStore, `logicsMsgTimestamp ${c.logicsMsgTimestamp} covers the last record (${lastStore})`);
    assert.ok(buf.subarray(40, RECOVERY_HINT_OFFSET).every((x) => x === 0), 'bytes after the five longs are zero up to Ferry\'s recovery hint');
    assert.equal(readRecoveryHint(buf), walkCommitLog(commitLogDir(ferry), FILE_SIZE).end, 'after a clean stop the durable offset is the CommitLog end');
    assert.equal(c.masterFlushedOffset >= 0 && c.confirmPhyOffset >= 0, true);
  });
});
