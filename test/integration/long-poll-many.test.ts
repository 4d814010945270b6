// Long polling the way RocketMQ's push consumer does it: a pull held on every queue of a topic, on
// one binary-header connection, while sends arrive across them. Each publication of the dispatcher
// wakes several pulls at once, whose records the pull path reads in one go; small CommitLog files
// put file ends inside those reads. Every record must come back whole, on its own queue, in order.
// Then a backlog read queue by queue, as a new consumer group reads it: each pull's records lie
// far apart in the CommitLog, among other queues' records, and small ConsumeQueue files (16 units)
// make the pulls of each queue move from file to file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { ResponseCode } from '../../src/shared/codes.js';

const FILE_SIZE = 128 * 1024;
const CQ_FILE_SIZE = 16 * 20;
const QUEUES = 16;
const PER_QUEUE = 40;

let ferry: FerryProcess;

before(async () => {
  ferry = await FerryProcess.start({ overrides: [`mapedFileSizeCommitLog=${FILE_SIZE}`, `mapedFileSizeConsumeQueue=${CQ_FILE_SIZE}`, 'maxMessageSize=8192'] });
});

after(async () => {
  await ferry?.dispose();
});

/** A body that says where it belongs, of a size that varies with it (so records straddle file ends differently). */
const bodyOf = (queueId: number, i: number) => `q${queueId}-m${i}-`.padEnd(200 + ((queueId * 131 + i * 977) % 2500), 'x');

test('pulls held on every queue, woken together by sends across them, each get their own records, whole and in order', async () => {
  const sender = await WireClient.connect(ferry.brokerAddr);
  const consumer = await WireClient.connect(ferry.brokerAddr, 1);
  try {
    assert.equal((await sender.createTopic('ManyHeld', QUEUES)).code, 0);
    const received: string[][] = Array.from({ length: QUEUES }, () => []);
    const follow = async (queueId: number) => {
      let offset = 0;
      const deadline = Date.now() + 30_000;
      while (offset < PER_QUEUE) {
        assert.ok(Date.now() < deadline, `queue ${queueId} stopped at ${offset}`);
        const r = await consumer.pull('cg_many_held', 'ManyHeld', queueId, offset, { suspendMs: 5000, max: 32 });
        if (r.code === ResponseCode.PULL_NOT_FOUND) continue;
        assert.equal(r.code, ResponseCode.SUCCESS, `${r.code} ${r.remark}`);
        const records = decodeRecords(r.body);
        assert.ok(records.length > 0);
        for (const [i, m] of records.entries()) {
          assert.equal(m.queueId, queueId);
          assert.equal(m.queueOffset, offset + i);
          assert.equal(m.topic, 'ManyHeld');
          received[queueId].push(m.body.toString());
        }
        offset += records.length;
        assert.equal(Number(r.extFields?.nextBeginOffset), offset);
      }
    };
    const followers = Array.from({ length: QUEUES }, (_, q) => follow(q));
    // Let every pull be held before the first send.
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < PER_QUEUE; i++) {
      const answers = await Promise.all(Array.from({ length: QUEUES }, (_, q) => sender.send('ManyHeld', bodyOf(q, i), { queueId: q })));
      for (const a of answers) assert.equal(a.code, ResponseCode.SUCCESS, a.remark ?? '');
    }
    await Promise.all(followers);
    for (let q = 0; q < QUEUES; q++) assert.deepEqual(received[q], Array.from({ length: PER_QUEUE }, (_, i) => bodyOf(q, i)), `queue ${q}`);
    // The sends filled several CommitLog files, so woken reads had file ends inside them.
    assert.ok(fs.readdirSync(path.join(ferry.storeDir, 'commitlog')).length >= 4);
  } finally {
    sender.close();
    consumer.close();
  }
});

test('a backlog across many queues, pulled queue by queue in turn, comes back whole and in order', async () => {
  const sender = await WireClient.connect(ferry.brokerAddr);
  const consumer = await WireClient.connect(ferry.brokerAddr, 1);
  try {
    assert.equal((await sender.createTopic('Backlog', QUEUES)).code, 0);
    for (let i = 0; i < PER_QUEUE; i++) {
      const answers = await Promise.all(Array.from({ length: QUEUES }, (_, q) => sender.send('Backlog', bodyOf(q, i), { queueId: q })));
      for (const a of answers) assert.equal(a.code, ResponseCode.SUCCESS, a.remark ?? '');
    }
    // The newest units are served from shared memory until the dispatcher writes them out (at its
    // next ConsumeQueue flush): wait for the files, so that the pulls read them.
    const cqDir = path.join(ferry.storeDir, 'consumequeue', 'Backlog', String(QUEUES - 1));
    const filesDeadline = Date.now() + 10_000;
    while (!fs.existsSync(cqDir) || fs.readdirSync(cqDir).length < Math.ceil(PER_QUEUE / 16)) {
      assert.ok(Date.now() < filesDeadline, 'the ConsumeQueue files were not written');
      await new Promise((r) => setTimeout(r, 100));
    }
    const offsets = new Array<number>(QUEUES).fill(0);
    const received: string[][] = Array.from({ length: QUEUES }, () => []);
    // Round after round over the queues, a few messages per pull, so that neighbouring records
    // are asked for by the pulls of other queues in between.
    for (let round = 0; offsets.some((o) => o < PER_QUEUE); round++) {
      assert.ok(round < PER_QUEUE, 'every pull should find messages');
      for (let q = 0; q < QUEUES; q++) {
        if (offsets[q] >= PER_QUEUE) continue;
        const r = await consumer.pull('cg_backlog', 'Backlog', q, offsets[q], { suspendMs: 0, max: 3 });
        assert.equal(r.code, ResponseCode.SUCCESS, `${r.code} ${r.remark}`);
        const records = decodeRecords(r.body);
        assert.ok(records.length > 0 && records.length <= 3);
        for (const [i, m] of records.entries()) {
          assert.equal(m.queueId, q);
          assert.equal(m.queueOffset, offsets[q] + i);
          received[q].push(m.body.toString());
        }
        offsets[q] += records.length;
      }
    }
    for (let q = 0; q < QUEUES; q++) assert.deepEqual(received[q], Array.from({ length: PER_QUEUE }, (_, i) => bodyOf(q, i)), `queue ${q}`);
  } finally {
    sender.close();
    consumer.close();
  }
});
