import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Ring, createRingBuffer } from '../../src/shared/ring.js';

/** Reserves, fills with `byte` and commits one entry; returns its payload offset or -1. */
function put(ring: Ring, len: number, byte: number): number {
  const at = ring.reserve(len);
  if (at < 0) return -1;
  ring.u8.fill(byte, at, at + len);
  ring.commit(at, false);
  return at;
}

/** Drains everything committed, as [payloadOffset, len, firstByte] tuples. */
function drainAll(ring: Ring): number[][] {
  const out: number[][] = [];
  ring.drain((u8, at, len) => out.push([at, len, u8[at]]), ring.capacity);
  return out;
}

test('an entry is visible only once committed, and entries drain in reservation order', () => {
  const sab = createRingBuffer(1024);
  const producer = new Ring(sab);
  const consumer = new Ring(sab);
  const a = put(producer, 10, 1);
  const b = producer.reserve(3);
  producer.u8.fill(2, b, b + 3);
  assert.deepEqual(drainAll(consumer), [[a, 10, 1]], 'reserved but not committed: not drained');
  producer.commit(b, false);
  assert.deepEqual(drainAll(consumer), [[b, 3, 2]]);
  assert.equal(b - a, 8 + 16, 'entries are an 8-byte header plus the payload padded to 8');
  assert.equal(consumer.used, 0);
});

test('a full ring refuses a reservation instead of waiting, and takes it once drained', () => {
  const ring = new Ring(createRingBuffer(1024));
  let n = 0;
  while (put(ring, 120, n) >= 0) n++;
  assert.equal(n, 8, '8 entries of 128 bytes fill 1 KiB');
  assert.equal(ring.used, 1024);
  assert.equal(drainAll(ring).length, 8);
  assert.ok(put(ring, 120, 9) >= 0);
});

test('an entry that does not fit before the end goes to the start, behind a filler', () => {
  const ring = new Ring(createRingBuffer(1024));
  const a = put(ring, 192, 1); // bytes 0..200
  const b = put(ring, 692, 2); // bytes 200..900
  assert.equal(ring.drain(() => undefined, 200), 1, 'only the first entry');
  // 128 bytes do not fit in the last 124: the entry goes to offset 0, which `a` no longer holds.
  const c = put(ring, 120, 3);
  assert.equal(c, 8, 'payload right after the header at offset 0');
  assert.deepEqual(drainAll(ring), [[b, 692, 2], [c, 120, 3]]);
  assert.equal(a, 8);
});

test('an empty ring starts over at offset 0 once it is capacity / 4 in, so the same pages are reused', () => {
  const ring = new Ring(createRingBuffer(4096));
  const offsets: number[] = [];
  for (let i = 0; i < 40; i++) {
    offsets.push(put(ring, 56, i & 0xff));
    assert.deepEqual(drainAll(ring).map((e) => e[2]), [i & 0xff]);
  }
  // 64 bytes per entry: entries 0..15 fill the first 1 KiB (capacity / 4), entry 16 starts over.
  assert.equal(offsets[15], 15 * 64 + 8);
  assert.equal(offsets[16], 8);
  assert.ok(Math.max(...offsets) < 1024 + 64, 'nothing past the first quarter was touched');
});

test('fillers do not count against a drain\'s byte budget: the entry after a wrap comes in the same call', () => {
  const ring = new Ring(createRingBuffer(1024));
  put(ring, 192, 1); // bytes 0..200
  const b = put(ring, 692, 2); // bytes 200..904
  assert.equal(ring.drain(() => undefined, 200), 1);
  const c = put(ring, 120, 3); // behind a 120-byte filler at 904
  const got: number[][] = [];
  assert.equal(ring.drain((u8, at, len) => got.push([at, len, u8[at]]), 705), 2, 'b (704 bytes), then c: the filler took none of the budget');
  assert.deepEqual(got, [[b, 692, 2], [c, 120, 3]]);
  assert.equal(ring.used, 0);
});

test('after starting over the whole capacity is free again, not just the bytes before the rewind point', () => {
  const ring = new Ring(createRingBuffer(4096));
  put(ring, 1016, 1); // 1 KiB in: at the rewind point
  drainAll(ring);
  assert.equal(ring.used, 0);
  let n = 0;
  while (put(ring, 120, n) >= 0) n++;
  assert.equal(n, 32, '32 entries of 128 bytes: the ring is all free');
  assert.deepEqual(drainAll(ring).map((e) => e[2]), Array.from({ length: 32 }, (_, i) => i));
});

test('the consumer starts over only when the ring is empty: a reserved entry not yet committed keeps it going forward', () => {
  const sab = createRingBuffer(4096);
  const ring = new Ring(sab);
  const slow = new Ring(sab); // a second producer, whose reservation is still being filled
  put(ring, 1016, 1);
  const open = slow.reserve(56); // at 1 KiB, not committed
  assert.equal(open, 1024 + 8);
  assert.equal(drainAll(ring).length, 1);
  const next = put(ring, 56, 3);
  assert.equal(next, 1024 + 64 + 8, 'still going forward');
  slow.u8.fill(2, open, open + 56);
  slow.commit(open, false);
  assert.deepEqual(drainAll(ring).map((e) => e[2]), [2, 3]);
  assert.equal(put(ring, 56, 4), 8, 'empty again, past the rewind point: back at offset 0');
});

test('a ring that is not empty keeps going forward past the rewind point', () => {
  const ring = new Ring(createRingBuffer(4096));
  const offsets: number[] = [];
  for (let i = 0; i < 30; i++) offsets.push(put(ring, 56, i));
  assert.deepEqual(offsets, offsets.map((_, i) => i * 64 + 8));
  assert.deepEqual(drainAll(ring).map((e) => e[2]), offsets.map((_, i) => i));
});

test('two producer threads and one consumer hand over every entry exactly once, in each producer order', async () => {
  const sab = createRingBuffer(64 * 1024);
  const perProducer = 30_000;
  const spawn = (id: number) =>
    new Worker(
      `const { workerData } = require('node:worker_threads');
       import(workerData.module).then(({ Ring }) => {
         const ring = new Ring(workerData.sab);
         for (let i = 0; i < workerData.total; ) {
           const len = 8 + (i % 97);
           const at = ring.reserve(len);
           if (at < 0) continue;
           const v = new DataView(ring.u8.buffer, ring.u8.byteOffset + at, len);
           v.setUint32(0, workerData.id);
           v.setUint32(4, i);
           ring.commit(at);
           i++;
         }
       });`,
      { eval: true, workerData: { sab, id, total: perProducer, module: new URL('../../src/shared/ring.js', import.meta.url).href } },
    );
  const producers = [spawn(1), spawn(2)];
  const consumer = new Ring(sab);
  const next = [0, 0, 0];
  const deadline = Date.now() + 30_000;
  while (next[1] + next[2] < 2 * perProducer && Date.now() < deadline) {
    consumer.drain((u8, at, len) => {
      const v = new DataView(u8.buffer, u8.byteOffset + at, len);
      const id = v.getUint32(0);
      assert.equal(v.getUint32(4), next[id], `producer ${id} in order`);
      assert.equal(len, 8 + (next[id] % 97));
      next[id]++;
    }, 1 << 20);
    consumer.waitForDataSync(1);
  }
  assert.deepEqual(next.slice(1), [perProducer, perProducer]);
  await Promise.all(producers.map((w) => new Promise((r) => w.once('exit', r))));
});
