import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readInt, readLong, readShort, writeInt, writeLong, writeShort } from '../../../src/shared/storage/longs.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('writeLong / readLong big-endian vectors', () => {
  const b = new Uint8Array(8);
  const cases: [number, string][] = [
    [0, '0000000000000000'],
    [8000, '0000000000001f40'],
    [1700000000000, '0000018bcfe56800'],
    [4294967296, '0000000100000000'],
    [Number.MAX_SAFE_INTEGER, '001fffffffffffff'],
    [-1, 'ffffffffffffffff'],
    [-1655984460, 'ffffffff9d4baeb4'],
    [-1099511627776, 'ffffff0000000000'],
    [Number.MIN_SAFE_INTEGER, 'ffe0000000000001'],
  ];
  for (const [v, h] of cases) {
    writeLong(b, 0, v);
    assert.equal(hex(b), h, String(v));
    assert.equal(readLong(b, 0), v);
  }
});

test('writeInt / readInt are signed 32-bit', () => {
  const b = new Uint8Array(6);
  writeInt(b, 1, -626843481);
  assert.equal(hex(b), '00daa320a700');
  assert.equal(readInt(b, 1), -626843481);
  writeInt(b, 2, 0x7fffffff);
  assert.equal(readInt(b, 2), 2147483647);
  writeInt(b, 0, 0xcbd43194);
  assert.equal(readInt(b, 0), -875286124);
});

test('writeShort / readShort are signed 16-bit', () => {
  const b = new Uint8Array(2);
  writeShort(b, 0, 32767);
  assert.equal(hex(b), '7fff');
  assert.equal(readShort(b, 0), 32767);
  writeShort(b, 0, -1);
  assert.equal(hex(b), 'ffff');
  assert.equal(readShort(b, 0), -1);
  writeShort(b, 0, 6);
  assert.equal(readShort(b, 0), 6);
});

test('work on SharedArrayBuffer views', () => {
  const v = new Uint8Array(new SharedArrayBuffer(16), 4, 12);
  writeLong(v, 2, 123456789012345);
  assert.equal(readLong(v, 2), 123456789012345);
  writeInt(v, 0, -2);
  assert.equal(readInt(v, 0), -2);
});
