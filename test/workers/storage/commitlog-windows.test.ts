import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommitLogReader, offsetFileName } from '../../../src/workers/storage/commitlog-files.js';
import { CommitLogWindows } from '../../../src/workers/storage/commitlog-windows.js';

// Not a multiple of the 4 KB window, so that windows meet a file's end.
const FILE_SIZE = 10_000;
const byteAt = (offset: number) => (offset * 7 + 3) & 255;
let dir: string;

/** A reader that counts its reads. */
class CountingReader extends CommitLogReader {
  reads = 0;
  override read(offset: number, dst: Uint8Array, dstOffset: number, len: number): number {
    this.reads++;
    return super.read(offset, dst, dstOffset, len);
  }
}

/** CommitLog files holding [0, end), byte k being byteAt(k); the rest of the last file zeros. */
function writeCommitLog(end: number): void {
  for (let file = 0; file < end; file += FILE_SIZE) {
    const buf = Buffer.alloc(FILE_SIZE);
    for (let k = file; k < Math.min(end, file + FILE_SIZE); k++) buf[k - file] = byteAt(k);
    fs.writeFileSync(path.join(dir, offsetFileName(file)), buf);
  }
}

function expected(offset: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = byteAt(offset + i);
  return b;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-windows-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('copies the bytes asked for, across window and file boundaries, at the place asked for', () => {
  writeCommitLog(3 * FILE_SIZE);
  const windows = new CommitLogWindows(new CommitLogReader(dir, FILE_SIZE));
  const cases: Array<[number, number]> = [[0, 100], [4000, 200], [8190, 4], [9_900, 300], [19_990, 20], [12_000, 8_000], [29_000, 1_000]];
  for (const [offset, len] of cases) {
    const dst = Buffer.alloc(len + 10, 0xee);
    assert.equal(windows.copy(offset, len, dst, 5, 3 * FILE_SIZE), true, `${offset}+${len}`);
    assert.deepEqual(dst.subarray(5, 5 + len), expected(offset, len), `${offset}+${len}`);
    assert.equal(dst[4], 0xee);
    assert.equal(dst[5 + len], 0xee);
  }
});

test('neighbouring records cost one read of their window, and later copies of them none', () => {
  writeCommitLog(FILE_SIZE);
  const reader = new CountingReader(dir, FILE_SIZE);
  const windows = new CommitLogWindows(reader);
  const dst = Buffer.alloc(200);
  for (let r = 0; r < 20; r++) {
    assert.equal(windows.copy(r * 200, 200, dst, 0, FILE_SIZE), true);
    assert.deepEqual(dst, expected(r * 200, 200));
  }
  assert.equal(reader.reads, 1, 'records 0-19 lie in the first 4 KB window');
  for (let r = 19; r >= 0; r--) windows.copy(r * 200, 200, dst, 0, FILE_SIZE);
  assert.equal(reader.reads, 1);
});

test('nothing at or past the stable end is kept; a tail window is extended as the end moves', () => {
  writeCommitLog(1_000);
  const reader = new CountingReader(dir, FILE_SIZE);
  const windows = new CommitLogWindows(reader);
  const dst = Buffer.alloc(300);
  assert.equal(windows.copy(900, 200, dst, 0, 1_000), false, 'past the stable end');
  assert.equal(windows.copy(800, 200, dst, 0, 1_000), true);
  assert.deepEqual(dst.subarray(0, 200), expected(800, 200));
  assert.equal(reader.reads, 1);

  // The writer appends: bytes [1000, 3000) appear and the stable end moves.
  writeCommitLog(3_000);
  assert.equal(windows.copy(1_000, 300, dst, 0, 3_000), true);
  assert.deepEqual(dst, expected(1_000, 300));
  assert.equal(reader.reads, 2, 'one read, of the missing part only');
  assert.equal(windows.copy(0, 300, dst, 0, 3_000), true);
  assert.equal(reader.reads, 2);
});

test('runs too long for windows, and bytes that cannot be read, are left to the caller', () => {
  writeCommitLog(FILE_SIZE);
  const windows = new CommitLogWindows(new CommitLogReader(dir, FILE_SIZE));
  const big = Buffer.alloc(20_000);
  assert.equal(windows.copy(0, 16 * 1024 + 1, big, 0, FILE_SIZE), false, 'longer than four windows');
  // The stable end claims a second file that is not on disk.
  const dst = Buffer.alloc(100);
  assert.equal(windows.copy(FILE_SIZE + 100, 100, dst, 0, 2 * FILE_SIZE), false);
});

test('a window whose slot another window took is read again, and right', () => {
  // Two offsets 16 MiB apart share a slot; a sparse file makes the far one cheap to hold.
  const far = 16 * 1024 * 1024;
  const size = far + FILE_SIZE;
  const p = path.join(dir, offsetFileName(0));
  fs.writeFileSync(p, Buffer.alloc(0));
  fs.truncateSync(p, size);
  const fd = fs.openSync(p, 'r+');
  fs.writeSync(fd, expected(0, 1_000), 0, 1_000, 0);
  fs.writeSync(fd, expected(far, 1_000), 0, 1_000, far);
  fs.closeSync(fd);
  const reader = new CountingReader(dir, size);
  const windows = new CommitLogWindows(reader);
  const dst = Buffer.alloc(100);
  for (const offset of [0, far, 0, far]) {
    assert.equal(windows.copy(offset + 50, 100, dst, 0, size), true);
    assert.deepEqual(dst, expected(offset + 50, 100));
  }
  assert.equal(reader.reads, 4);
});
