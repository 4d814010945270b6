import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBody, splitConnections } from '../../../src/main/loadgen/plan.js';

test('connections spread over workers and brokers; count split as the Java tool splits -q', () => {
  const plan = splitConnections(5, 2, 2, 1003, 1);
  assert.equal(plan.length, 2);
  const flat = plan.flat();
  assert.equal(flat.length, 5);
  assert.equal(flat.reduce((s, c) => s + c.quota, 0), 1003);
  assert.deepEqual(plan[0].map((c) => c.quota), [203, 200, 200]);
  assert.deepEqual(plan[0].map((c) => c.target), [0, 0, 0]);
  assert.deepEqual(plan[1].map((c) => c.target), [1, 1]);
});

test('batches round each share up to whole requests; no count means unbounded', () => {
  assert.deepEqual(splitConnections(2, 1, 1, 10, 4)[0].map((c) => c.quota), [8, 8]);
  assert.deepEqual(splitConnections(3, 8, 1, null, 1).map((w) => w.map((c) => c.quota)), [[-1], [-1], [-1]]);
  // as in the Java tool: 10 messages over 64 threads all go to the first one
  assert.deepEqual(splitConnections(64, 2, 1, 10, 1).flat().map((c) => c.quota), [10]);
});

test('bodies are random alphanumerics of the asked size', () => {
  const b = randomBody(300);
  assert.equal(b.length, 300);
  assert.match(b.toString('latin1'), /^[A-Za-z0-9]{300}$/);
});
