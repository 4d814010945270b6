import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommitLogBlockCache } from '../../../src/workers/storage/commitlog-block-cache.js';
import { CommitLogReader, offsetFileName } from '../../../src/workers/storage/commitlog-files.js';

// Two CommitLog files of 10,000 bytes (not a multiple of the block size), byte k = k * 7 mod 251.
const FILE_SIZE = 10_000;
const byteAt = (k: number) => (k * 7) % 251;
let dir: string;
let log: CommitLogReader;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-blocks-'));
  for (const start of [0, FILE_SIZE]) {
    const b = Buffer.alloc(FILE_SIZE);
    for (let i = 0; i < FILE_SIZE; i++) b[i] = byteAt(start + i);
    fs.writeFileSync(path.join(dir, offsetFileName(start)), b);
  }
  log = new CommitLogReader(dir, FILE_SIZE);
});
afterEach(() => {
  log.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function expected(pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = byteAt(pos + i);
  return b;
}

test('ranges inside a block, across blocks and in the short last block of a file read as stored', () => {
  const cache = new CommitLogBlockCache(log, 1024, 64);
  for (const [pos, len] of [[0, 100], [1000, 100], [3000, 2100], [9216, 784], [9990, 10], [FILE_SIZE, 50], [FILE_SIZE + 1020, 8]]) {
    const dst = Buffer.alloc(len + 3);
    assert.equal(cache.read(pos, len, dst, 3, 2 * FILE_SIZE), true, `read at ${pos}`);
    assert.deepEqual(dst.subarray(3), expected(pos, len), `bytes at ${pos}`);
  }
});

test('a block that reaches past the stable end is not read or kept', () => {
  const cache = new CommitLogBlockCache(log, 1024, 64);
  const dst = Buffer.alloc(100);
  assert.equal(cache.read(2000, 100, dst, 0, 2500), false, 'block [2048, 3072) is not wholly below 2500');
  assert.equal(cache.read(1000, 100, dst, 0, 2047), false, 'the range crosses into block [1024, 2048), which ends past 2047');
  assert.equal(cache.size, 0, 'no block was read for a refused range');
  assert.equal(cache.read(1000, 100, dst, 0, 2048), true);
  assert.deepEqual(dst, expected(1000, 100));
});

test('the least recently used block is evicted, and a missing file is refused', () => {
  const cache = new CommitLogBlockCache(log, 1024, 3);
  const dst = Buffer.alloc(10);
  for (const pos of [0, 1024, 2048]) cache.read(pos, 10, dst, 0, 2 * FILE_SIZE);
  cache.read(0, 10, dst, 0, 2 * FILE_SIZE); // block 0 is now the most recent
  cache.read(3072, 10, dst, 0, 2 * FILE_SIZE); // evicts block 1024
  assert.equal(cache.size, 3);
  // the evicted block is read again, correctly, into a reused buffer
  assert.equal(cache.read(1030, 10, dst, 0, 2 * FILE_SIZE), true);
  assert.deepEqual(dst, expected(1030, 10));
  assert.equal(cache.read(2 * FILE_SIZE + 10, 10, dst, 0, 3 * FILE_SIZE), false, 'no such file');
});

test('when blocks are evicted before they serve much, the cache steps aside', () => {
  const cache = new CommitLogBlockCache(log, 64, 2);
  const dst = Buffer.alloc(4);
  // 256 loads that each serve 4 of 64 bytes: under an eighth of what was loaded
  let refused = 0;
  for (let k = 0; k < 256; k++) if (!cache.read(((k * 64 * 37) % (2 * FILE_SIZE - 64)) & ~63, 4, dst, 0, 2 * FILE_SIZE)) refused++;
  assert.equal(refused, 0);
  assert.equal(cache.read(0, 4, dst, 0, 2 * FILE_SIZE), false, 'stepping aside');
  assert.equal(cache.size, 0, 'and its blocks are dropped');
  // a neighbourly pattern (every byte of each block asked for) keeps the cache in use
  const fresh = new CommitLogBlockCache(log, 64, 2);
  for (let pos = 0; pos < 256 * 64; pos += 4) assert.equal(fresh.read(pos, 4, dst, 0, 2 * FILE_SIZE), true);
  assert.deepEqual(dst, expected(256 * 64 - 4, 4));
});
