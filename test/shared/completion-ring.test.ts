import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { CompletionOutbox, CompletionRing } from '../../src/shared/completion-ring.js';

/** Takes everything published, as [reqId, status, queueOffset, physicalOffset] tuples. */
function takeAll(ring: CompletionRing): number[][] {
  const out: number[][] = [];
  ring.take((c) => {
    for (let w = 0; w < c.length; w += 4) out.push([c[w], c[w + 1], c[w + 2], c[w + 3]]);
  });
  return out;
}

test('completions become visible only when published, and are taken once, in order', () => {
  const sab = CompletionRing.create(8);
  const producer = new CompletionRing(sab);
  const consumer = new CompletionRing(sab);
  producer.push(1, 0, 10, 1000);
  producer.push(2, 14, 0, 0);
  assert.equal(consumer.pending, 0);
  assert.deepEqual(takeAll(consumer), []);
  producer.publish();
  assert.equal(consumer.pending, 2);
  assert.deepEqual(takeAll(consumer), [[1, 0, 10, 1000], [2, 14, 0, 0]]);
  assert.deepEqual(takeAll(consumer), []);
});

test('room shrinks with what is pushed and grows with what is taken; values survive the wrap', () => {
  const sab = CompletionRing.create(4);
  const producer = new CompletionRing(sab);
  const consumer = new CompletionRing(sab);
  assert.equal(producer.room(), 4);
  for (let i = 0; i < 3; i++) producer.push(i, 0, i, 2 ** 40 + i);
  producer.publish();
  assert.equal(producer.room(), 1);
  assert.equal(takeAll(consumer).length, 3);
  assert.equal(producer.room(), 4);
  // Records 3..6 occupy ring positions 3, 0, 1, 2: the take hands them over in two chunks.
  const chunks: number[] = [];
  for (let i = 3; i < 7; i++) producer.push(i, 0, i, 2 ** 40 + i);
  assert.equal(producer.room(), 0);
  producer.publish();
  const got: number[] = [];
  consumer.take((c) => {
    chunks.push(c.length / 4);
    for (let w = 0; w < c.length; w += 4) got.push(c[w], c[w + 3]);
  });
  assert.deepEqual(chunks, [1, 3]);
  assert.deepEqual(got, [3, 2 ** 40 + 3, 4, 2 ** 40 + 4, 5, 2 ** 40 + 5, 6, 2 ** 40 + 6]);
});

test('a new ring is armed: its first publish asks for a wake-up, later ones only after armWake', () => {
  const sab = CompletionRing.create(8);
  const producer = new CompletionRing(sab);
  const consumer = new CompletionRing(sab);
  producer.push(1, 0, 0, 0);
  assert.equal(producer.publish(), true);
  producer.push(2, 0, 0, 0);
  assert.equal(producer.publish(), false, 'a wake-up is asked for once per arming');
  assert.equal(consumer.armWake(), true, 'arming reports completions already waiting');
  takeAll(consumer);
  assert.equal(consumer.armWake(), false);
  producer.push(3, 0, 0, 0);
  assert.equal(producer.publish(), true);
  consumer.armWake();
  consumer.disarmWake();
  producer.push(4, 0, 0, 0);
  assert.equal(producer.publish(), false, 'a consumer that collects its own completions is not woken');
});

test('the outbox keeps what does not fit, in order, until the consumer frees room', () => {
  const sab = CompletionRing.create(4);
  const outbox = new CompletionOutbox(new CompletionRing(sab));
  const consumer = new CompletionRing(sab);
  const batch = (first: number, n: number) => Float64Array.from({ length: n * 4 }, (_, w) => (w % 4 === 0 ? first + w / 4 : 0));
  const ids = () => takeAll(consumer).map((c) => c[0]);
  const sixth = batch(1, 6);
  outbox.send(sixth, 6);
  sixth.fill(-1); // the store writer reuses its arrays: what waits must be a copy
  assert.equal(outbox.backlog, true);
  outbox.send(batch(7, 1), 1); // behind the backlog, never ahead of it
  assert.deepEqual(ids(), [1, 2, 3, 4]);
  outbox.retry();
  assert.equal(outbox.backlog, false);
  assert.deepEqual(ids(), [5, 6, 7]);
  outbox.send(batch(8, 2), 1); // only the first `count` completions of the array
  assert.deepEqual(ids(), [8]);
  assert.equal(outbox.retry(), false, 'the consumer did not arm');
  consumer.armWake();
  assert.equal(outbox.send(batch(9, 1), 1), true);
});

test('capacity must be a power of two', () => {
  assert.throws(() => CompletionRing.create(6), RangeError);
  assert.throws(() => CompletionRing.create(1), RangeError);
});

test('a producer thread and a consumer thread hand over every completion exactly once', async () => {
  const sab = CompletionRing.create(64);
  const total = 20_000;
  const producer = new Worker(
    `const { workerData } = require('node:worker_threads');
     import(workerData.module).then(({ CompletionRing }) => {
       const ring = new CompletionRing(workerData.sab);
       let next = 0;
       while (next < workerData.total) {
         const n = Math.min(ring.room(), 7, workerData.total - next);
         for (let i = 0; i < n; i++, next++) ring.push(next, 0, next * 2, next * 3);
         ring.publish();
       }
     });`,
    { eval: true, workerData: { sab, total, module: new URL('../../src/shared/completion-ring.js', import.meta.url).href } },
  );
  const consumer = new CompletionRing(sab);
  let expected = 0;
  const deadline = Date.now() + 20_000;
  while (expected < total && Date.now() < deadline) {
    consumer.take((c) => {
      for (let w = 0; w < c.length; w += 4) {
        assert.equal(c[w], expected);
        assert.equal(c[w + 2], expected * 2);
        assert.equal(c[w + 3], expected * 3);
        expected++;
      }
    });
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(expected, total);
  await new Promise((r) => producer.once('exit', r));
});
