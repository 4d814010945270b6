import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CQ_UNIT_SIZE,
  DEFAULT_CQ_FILE_SIZE,
  commitLogFileName,
  cqFileName,
  isValidCqUnit,
  offsetToFileName,
  readCqPhyOffset,
  readCqSize,
  readCqTagsCode,
  writeCqUnit,
} from '../../../src/shared/storage/consumequeue.js';
import { javaHashCode } from '../../../src/shared/storage/hash.js';

test('CQ constants', () => {
  assert.equal(CQ_UNIT_SIZE, 20);
  assert.equal(DEFAULT_CQ_FILE_SIZE, 300000 * 20);
});

test('writeCqUnit bytes: long offset, int size, long tagsCode', () => {
  const b = Buffer.alloc(42, 0xee);
  writeCqUnit(b, 1, 8000, 101, javaHashCode('TagA'));
  assert.equal(b.subarray(1, 21).toString('hex'), '0000000000001f40' + '00000065' + '000000000027a807');
  assert.equal(b[0], 0xee);
  assert.equal(b[21], 0xee);
  writeCqUnit(b, 21, 2 ** 40, 7, javaHashCode('TopicTest#key1'));
  assert.equal(b.subarray(21, 41).toString('hex'), '0000010000000000' + '00000007' + 'ffffffff9d4baeb4');
  assert.equal(readCqPhyOffset(b, 21), 2 ** 40);
  assert.equal(readCqSize(b, 21), 7);
  assert.equal(readCqTagsCode(b, 21), -1655984460);
  assert.equal(readCqTagsCode(b, 1), 2598919);
});

test('tagsCode can be a delivery timestamp', () => {
  const b = Buffer.alloc(20);
  writeCqUnit(b, 0, 0, 91, 1700000010000);
  assert.equal(readCqTagsCode(b, 0), 1700000010000);
  assert.equal(isValidCqUnit(b, 0), true);
});

test('isValidCqUnit: zero-filled or negative units are not', () => {
  const b = Buffer.alloc(40);
  assert.equal(isValidCqUnit(b, 0), false);
  writeCqUnit(b, 20, -1, 10, 0);
  assert.equal(isValidCqUnit(b, 20), false);
});

test('file names are 20-digit zero-padded offsets', () => {
  assert.equal(offsetToFileName(0), '00000000000000000000');
  assert.equal(offsetToFileName(1073741824), '00000000001073741824');
  assert.equal(commitLogFileName(2147483648), '00000000002147483648');
  assert.equal(cqFileName(6000000), '00000000000006000000');
});
