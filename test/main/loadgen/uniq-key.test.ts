import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UniqKeyGenerator } from '../../../src/main/loadgen/uniq-key.js';

test('UNIQ_KEY has the Java client layout: ip, pid, salt, ms since month start, counter', () => {
  const g = new UniqKeyGenerator(Uint8Array.of(192, 168, 1, 20), 0x12345, 0x0a0b0c0d);
  assert.equal(g.prefix, 'C0A80114' + '2345' + '0A0B0C0D');
  const now = new Date(2024, 2, 3, 4, 5, 6, 789).getTime();
  const monthStart = new Date(2024, 2, 1).getTime();
  const key = g.next(now);
  assert.match(key, /^[0-9A-F]{32}$/);
  assert.equal(parseInt(key.slice(20, 28), 16), now - monthStart);
  assert.equal(key.slice(28), '0000');
  assert.equal(g.next(now).slice(28), '0001');
});

test('counters are reserved in runs and wrap at 16 bits', () => {
  const g = new UniqKeyGenerator(Uint8Array.of(127, 0, 0, 1), 1, 1);
  assert.equal(g.take(65_530), 0);
  assert.equal(g.take(10), 65_530);
  assert.equal(g.take(1), 4);
  assert.equal(g.key(0, 65_537).slice(28), '0001');
});

test('the time part restarts at a new month', () => {
  const g = new UniqKeyGenerator(Uint8Array.of(127, 0, 0, 1), 1, 1);
  const lateJan = new Date(2024, 0, 31, 23, 59, 59, 999).getTime();
  // past 2^31 ms (24.8 days) Java's (int) cast wraps; the hex digits stay those of the unsigned value
  assert.equal(g.timePart(lateJan) >>> 0, lateJan - new Date(2024, 0, 1).getTime());
  assert.equal(g.timePart(new Date(2024, 1, 1, 0, 0, 0, 5).getTime()), 5);
});

test('different generators in one process differ in their prefix', () => {
  assert.notEqual(new UniqKeyGenerator().prefix, new UniqKeyGenerator().prefix);
});
