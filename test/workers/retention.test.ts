import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetention } from '../../src/workers/storage/retention.js';

const HOUR = 3_600_000;
const base = { fileReservedTime: 72, fileReservedTimeMillis: 0, deleteWhen: '04', diskMaxUsedSpaceRatio: 75, diskSpaceCleanForciblyRatio: 85 };
const at = (h: number) => new Date(2026, 10, 22, h, 0, 0);
const files = (now: Date, ages: number[]) => ages.map((ageH, i) => ({ start: i * 1000, mtimeMs: now.getTime() - ageH * HOUR }));

test('expired files go at deleteWhen o\'clock, oldest first, never the file being written', () => {
  const now = at(4);
  const d = decideRetention(files(now, [100, 90, 80, 10, 1]), 4000, now, 20, base);
  assert.deepEqual(d, { remove: [0, 1000, 2000], reason: 'time' });
  assert.deepEqual(decideRetention(files(now, [100, 90]), 1000, now, 20, base).remove, [0]);
});

test('outside deleteWhen nothing goes unless the disk is above diskMaxUsedSpaceRatio', () => {
  const now = at(13);
  assert.deepEqual(decideRetention(files(now, [100, 90, 1]), 2000, now, 20, base), { remove: [], reason: 'none' });
  assert.deepEqual(decideRetention(files(now, [100, 90, 1]), 2000, now, 80, base), { remove: [0, 1000], reason: 'disk' });
  assert.deepEqual(decideRetention(files(now, [100, 90, 1]), 2000, now, 80, { ...base, deleteWhen: '03;13' }).reason, 'disk');
});

test('past diskSpaceCleanForciblyRatio the oldest go whatever their age; age stops the walk otherwise', () => {
  const now = at(13);
  assert.deepEqual(decideRetention(files(now, [5, 4, 3, 1]), 3000, now, 90, base), { remove: [0, 1000, 2000], reason: 'forced' });
  assert.deepEqual(decideRetention(files(now, [100, 5, 100, 1]), 3000, now, 80, base).remove, [0]);
});

test('fileReservedTimeMillis overrides hours; deleteWhen lists hours', () => {
  const now = at(7);
  const f = [{ start: 0, mtimeMs: now.getTime() - 2000 }, { start: 1000, mtimeMs: now.getTime() - 500 }, { start: 2000, mtimeMs: now.getTime() }];
  assert.deepEqual(decideRetention(f, 2000, now, 10, { ...base, fileReservedTimeMillis: 1000, deleteWhen: '06;07' }).remove, [0]);
  assert.deepEqual(decideRetention(f, 2000, now, 10, { ...base, fileReservedTimeMillis: 1000, deleteWhen: '06' }).remove, []);
});
