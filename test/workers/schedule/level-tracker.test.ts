import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelTracker, RETRY_AFTER_FAILURE_MS } from '../../../src/workers/schedule/level-tracker.js';

test('progress moves only past units whose re-put is stored, in queue order', () => {
  const t = new LevelTracker(1, 10);
  assert.equal(t.progress, 10);
  const a = t.started();
  const b = t.started();
  t.skip(); // unit 12: unreadable, needs no re-put
  const d = t.started();
  assert.deepEqual([a.offset, b.offset, d.offset, t.cursor], [10, 11, 13, 14]);
  assert.equal(t.inFlight, 3);
  assert.equal(t.progress, 10);
  t.completed(b, true, 0);
  assert.equal(t.progress, 10, 'unit 10 is still in flight');
  t.completed(a, true, 0);
  assert.equal(t.progress, 13, 'past 10, 11 and the skipped 12');
  t.completed(d, true, 0);
  assert.equal(t.progress, 14);
  assert.equal(t.inFlight, 0);
});

test('in-flight cap and min/max corrections', () => {
  const t = new LevelTracker(2, 0);
  assert.equal(t.canRead(0, 2), true);
  t.started();
  t.started();
  assert.equal(t.canRead(0, 2), false);
  const u = new LevelTracker(2, 5);
  u.skipTo(8);
  assert.equal(u.progress, 8, 'retention removed units below the min offset');
  u.clampTo(6);
  assert.equal(u.progress, 6, 'saved progress past the queue end');
});

test('a failed re-put: the level waits for the others, rewinds, pauses 10 s, skips what was stored', () => {
  const t = new LevelTracker(3, 0);
  const p0 = t.started();
  const p1 = t.started();
  const p2 = t.started();
  t.completed(p0, true, 1000);
  t.completed(p1, false, 1000);
  assert.equal(t.progress, 1);
  assert.equal(t.canRead(1000, 100), false, 'no reads while a failure is pending');
  t.completed(p2, true, 2000);
  assert.equal(t.progress, 1, 'rewound to the failed unit');
  assert.equal(t.cursor, 1);
  assert.equal(t.canRead(2000 + RETRY_AFTER_FAILURE_MS - 1, 100), false);
  assert.equal(t.canRead(2000 + RETRY_AFTER_FAILURE_MS, 100), true);
  // Second pass: 1 is put again, 2 was stored already and is skipped.
  assert.equal(t.wasStored(1), false);
  const again = t.started();
  assert.equal(t.wasStored(2), true);
  t.skip();
  assert.equal(t.wasStored(2), false);
  t.completed(again, true, 13_000);
  assert.equal(t.progress, 3);
});

test('a late duplicate completion changes nothing', () => {
  const t = new LevelTracker(1, 0);
  const p = t.started();
  t.completed(p, true, 0);
  t.completed(p, false, 0);
  assert.equal(t.progress, 1);
  assert.equal(t.inFlight, 0);
  assert.equal(t.canRead(0, 1), true);
});
