/**
 * SYNC_FLUSH on an ordinary disk: every send is answered SUCCESS once an fdatasync covering it
 * returned, and sends in flight together share fdatasyncs (group commit). The broker logs each
 * group commit at debug level ({sends} it answered), which is how the fdatasyncs are counted;
 * the test asserts counts, not timings.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';
import { logLines } from '../helpers/store-walk.js';
import { ResponseCode } from '../../src/shared/codes.js';

const TOPIC = 'SyncFlush';
const QUEUES = 4;
/** Sends in flight at once. */
const N = 800;
/** 512 KiB sends, enough to fill the first 16 MiB CommitLog file. */
const BIG = 40;
const GROUP_COMMIT = 'CommitLog group commit';

let ferry: FerryProcess;

before(async () => {
  ferry = await FerryProcess.start({ overrides: ['flushDiskType=SYNC_FLUSH', 'logLevel=debug'] });
});

after(async () => {
  await ferry?.dispose();
});

/** Group commits logged since `from` (an index into the broker's output) and the sends they answered. */
function groupCommits(from: number): { flushes: number; batches: number; sends: number } {
  const lines = logLines(ferry.output.slice(from), GROUP_COMMIT);
  return { flushes: lines.length, batches: lines.reduce((n, l) => n + Number(l.batches), 0), sends: lines.reduce((n, l) => n + Number(l.sends), 0) };
}

/** Log lines reach the output a little after the responses they belong to. */
async function waitForGroupCommits(from: number, sends: number): Promise<{ flushes: number; batches: number; sends: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const g = groupCommits(from);
    if (g.sends >= sends || Date.now() > deadline) return g;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SYNC_FLUSH, normal disk: sends are answered SUCCESS after a flush, concurrent sends share fdatasyncs', { timeout: 120_000 }, async (t) => {
  const client = await WireClient.connect(ferry.brokerAddr);
  try {
    assert.equal((await client.createTopic(TOPIC, QUEUES)).code, ResponseCode.SUCCESS);

    // One at a time: each send waits for its own flush.
    let from = ferry.output.length;
    for (let i = 0; i < 20; i++) {
      const r = await client.send(TOPIC, `one-${i}`, { queueId: 0, keys: `one-${i}` });
      assert.equal(r.code, ResponseCode.SUCCESS, `sequential send ${i}: ${r.code} ${r.remark}`);
    }
    const single = await waitForGroupCommits(from, 20);
    t.diagnostic(`20 sequential sends: ${single.flushes} group commits answering ${single.batches} appended batches, ${single.sends} sends`);
    assert.equal(single.sends, 20, 'every sequential send was answered by a group commit');

    // Many in flight at once, over several connections: far fewer fdatasyncs than sends.
    const conns = await Promise.all(Array.from({ length: 4 }, () => WireClient.connect(ferry.brokerAddr)));
    from = ferry.output.length;
    try {
      const answers = await Promise.all(
        Array.from({ length: N }, (_, i) => conns[i % conns.length].send(TOPIC, `many-${i}`, { queueId: i % QUEUES, keys: `many-${i}` }).then((r) => r.code)),
      );
      const notOk = answers.filter((c) => c !== ResponseCode.SUCCESS);
      assert.deepEqual(notOk.slice(0, 5), [], `${notOk.length} of ${N} concurrent sends were not answered SUCCESS`);
    } finally {
      for (const c of conns) c.close();
    }
    const many = await waitForGroupCommits(from, N);
    t.diagnostic(`${N} concurrent sends: ${many.flushes} group commits answering ${many.batches} appended batches, ${many.sends} sends`);
    assert.equal(many.sends, N, 'every concurrent send was answered by a group commit');
    assert.ok(many.flushes * 4 <= N, `group commit: ${many.flushes} fdatasyncs for ${N} concurrent sends (expected at most ${N / 4})`);
    assert.equal(logLines(ferry.output, 'sends answered FLUSH_DISK_TIMEOUT: the flush did not return within syncFlushTimeout').length, 0);

    // All stored, where they were acknowledged.
    for (let q = 0; q < QUEUES; q++) {
      const want = N / QUEUES + (q === 0 ? 20 : 0);
      const msgs = await client.pullAtLeast('sync_flush_cg', TOPIC, q, 0, want);
      assert.equal(msgs.length, want, `queue ${q}`);
    }

    // Past the end of a CommitLog file (16 MiB here): the flushes cover the old file too.
    const big = Buffer.alloc(512 * 1024, 0x62);
    from = ferry.output.length;
    const bigAnswers = await Promise.all(Array.from({ length: BIG }, () => client.send(TOPIC, big, { queueId: 2 }).then((r) => r.code)));
    assert.deepEqual(bigAnswers.filter((c) => c !== ResponseCode.SUCCESS), [], 'large sends across a CommitLog file end');
    // The store writer's log lines reach stdout after its answers: wait for those of these sends.
    assert.equal((await waitForGroupCommits(from, BIG)).sends, BIG, 'every large send was answered by a group commit');
  } finally {
    client.close();
  }

  // Each flush starts where the one before ended, so the flushed offset never skips a byte.
  const flushes = logLines(ferry.output, GROUP_COMMIT).map((l) => [Number(l.from), Number(l.to)]);
  for (let i = 1; i < flushes.length; i++) assert.equal(flushes[i][0], flushes[i - 1][1], `flush ${i} starts where flush ${i - 1} ended`);
  assert.ok(flushes.at(-1)![1] > 16 * 1024 * 1024, `the flushes reached the second CommitLog file (${flushes.at(-1)![1]})`);
  t.diagnostic(`the flush across the first file's end: ${JSON.stringify(flushes.find(([from, to]) => from < 16 * 1024 * 1024 && to > 16 * 1024 * 1024))}`);

  // A clean stop: the store writer flushes what is left and the next start trusts its end.
  await ferry.restart();
  assert.match(ferry.output, /"mode":"clean"/, 'the restart after a clean stop scans nothing');
  const after = await WireClient.connect(ferry.brokerAddr);
  try {
    const msgs = await after.pullAtLeast('sync_flush_cg2', TOPIC, 0, 0, N / QUEUES + 20);
    assert.equal(msgs.length, N / QUEUES + 20);
    const r = await after.send(TOPIC, 'after-restart', { queueId: 0 });
    assert.equal(r.code, ResponseCode.SUCCESS, `send after the restart: ${r.code} ${r.remark}`);
    assert.equal(r.extFields?.queueOffset, String(N / QUEUES + 20));
    const bigOnes = await after.pullAtLeast('sync_flush_cg2', TOPIC, 2, N / QUEUES, BIG, 20_000);
    assert.ok(bigOnes.slice(0, BIG).every((m) => m.body.length === 512 * 1024), 'the large messages survived the restart whole');
  } finally {
    after.close();
  }
});
