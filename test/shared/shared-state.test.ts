import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionWord, Seq, SharedState } from '../../src/shared/shared-state.js';

test('completion words: one per ring producer id after the named Seq words, none past the last word', () => {
  const named = new Set<number>(Object.values(Seq));
  const words = Array.from({ length: 8 }, (_, id) => completionWord(id));
  assert.deepEqual(words, [8, 9, 10, 11, 12, 13, 14, 15]);
  for (const w of words) assert.ok(!named.has(w), `word ${w} is not also a named Seq word`);
  assert.equal(completionWord(8), -1);
  assert.equal(completionWord(-1), -1);
  const state = new SharedState(SharedState.create());
  assert.ok(words.every((w) => w < state.seq.length));
});
