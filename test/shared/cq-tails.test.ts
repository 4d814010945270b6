import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CqTails, TAIL_COUNT, TAIL_UNITS } from '../../src/shared/cq-tails.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, writeCqUnit } from '../../src/shared/storage/consumequeue.js';

const SLOTS = 16;
const make = () => new CqTails(new SharedArrayBuffer(64 + CqTails.bytes(SLOTS)), 64, SLOTS);
const unit = (phy: number) => {
  const b = Buffer.alloc(CQ_UNIT_SIZE);
  writeCqUnit(b, 0, phy, 100, 7);
  return b;
};
const phys = (dst: Uint8Array, n: number) => Array.from({ length: n }, (_, i) => readCqPhyOffset(Buffer.from(dst.buffer, dst.byteOffset, dst.byteLength), i * CQ_UNIT_SIZE));

test('a queue without a tail is read from its file', () => {
  const tails = make();
  assert.equal(tails.fileLimit(3), Infinity);
  assert.equal(tails.copy(3, 0, 1, new Uint8Array(CQ_UNIT_SIZE)), -1);
});

test('units past fileMax come from the tail, across its wrap; fileMax moves as the file is written', () => {
  const tails = make();
  const t = tails.attach(5, 10);
  assert.equal(tails.fileLimit(5), 10);
  const base = TAIL_UNITS - 13; // units base + 10 .. wrap around the tail's end after 3
  tails.written(t, base + 10);
  for (let q = base + 10; q < base + 20; q++) tails.put(t, q, q * 1000, 100, 7);
  const dst = new Uint8Array(10 * CQ_UNIT_SIZE);
  assert.equal(tails.copy(5, base + 10, 10, dst), 10);
  assert.deepEqual(phys(dst, 10), Array.from({ length: 10 }, (_, i) => (base + 10 + i) * 1000));
  tails.written(t, base + 15);
  assert.equal(tails.fileLimit(5), base + 15);
  assert.equal(tails.copy(5, base + 12, 3, dst), -1, 'below fileMax: read the file');
  tails.written(t, base + 12);
  assert.equal(tails.fileLimit(5), base + 15, 'fileMax never moves back');
  // The file is written from the tail itself: one view up to the ring's end, then the rest.
  const first = tails.unitsAt(t, base + 10, 10);
  assert.equal(first.length, 3 * CQ_UNIT_SIZE);
  assert.deepEqual(phys(first, 3), [base + 10, base + 11, base + 12].map((q) => q * 1000));
  const rest = tails.unitsAt(t, base + 13, 7);
  assert.equal(rest.length, 7 * CQ_UNIT_SIZE);
  assert.deepEqual(phys(rest, 7), Array.from({ length: 7 }, (_, i) => (base + 13 + i) * 1000));
  assert.deepEqual(Buffer.from(rest.subarray(0, CQ_UNIT_SIZE)), unit((base + 13) * 1000), 'the whole unit: size and tags code too');
});

test('re-attaching a slot keeps its tail and resets fileMax; tails run out after TAIL_COUNT queues', () => {
  const tails = make();
  const t = tails.attach(1, 50);
  assert.equal(tails.attach(1, 0), t);
  assert.equal(tails.fileLimit(1), 0);
  const many = new CqTails(new SharedArrayBuffer(CqTails.bytes(TAIL_COUNT + 1)), 0, TAIL_COUNT + 1);
  for (let slot = 0; slot < TAIL_COUNT; slot++) assert.equal(many.attach(slot, 0), slot);
  assert.equal(many.attach(TAIL_COUNT, 0), -1, 'no tail left: this queue writes its file at once');
  assert.equal(many.fileLimit(TAIL_COUNT), Infinity);
});

test('a copy that overlaps a file write is refused (the reader reads again)', () => {
  const tails = make();
  const t = tails.attach(0, 0);
  for (let q = 0; q < 4; q++) tails.put(t, q, q, 100, 7);
  // Simulate the dispatcher moving fileMax between the reader's check and the end of its copy:
  // the version changes, so the copy reports -1.
  const dst = new Uint8Array(4 * CQ_UNIT_SIZE);
  const realSet = dst.set.bind(dst);
  let moved = false;
  dst.set = ((src: ArrayLike<number>, at?: number) => {
    realSet(src, at);
    if (!moved) {
      moved = true;
      tails.written(t, 2);
    }
  }) as typeof dst.set;
  assert.equal(tails.copy(0, 0, 4, dst), -1);
  assert.equal(tails.copy(0, 2, 2, new Uint8Array(2 * CQ_UNIT_SIZE)), 2);
});
