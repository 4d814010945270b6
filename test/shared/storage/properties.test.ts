import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
  PropertyKey,
  encodeProperties,
  findProperties,
  findProperty,
  parseProperties,
  withoutPropertyText,
} from '../../../src/shared/storage/properties.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

test('separators are 1 and 2', () => {
  assert.equal(NAME_VALUE_SEPARATOR, 1);
  assert.equal(PROPERTY_SEPARATOR, 2);
});

test('encodeProperties writes k\\x01v joined by \\x02 with no trailing separator', () => {
  const b = encodeProperties({ TAGS: 'TagA', KEYS: 'k1 k2', WAIT: 'true' });
  assert.equal(b.toString('hex'), Buffer.from('TAGS\x01TagA\x02KEYS\x01k1 k2\x02WAIT\x01true', 'latin1').toString('hex'));
  assert.equal(b.length, 30);
});

test('encodeProperties skips null/undefined values and accepts a Map', () => {
  const m = new Map<string, string | null | undefined>([
    ['A', '1'],
    ['B', null],
    ['C', undefined],
    ['D', ''],
  ]);
  assert.equal(encodeProperties(m).toString('latin1'), 'A\x011\x02D\x01');
  assert.equal(encodeProperties({}).length, 0);
  assert.deepEqual([...encodeProperties({ K: 'é' })], [0x4b, 0x01, 0xc3, 0xa9]);
});

test('parseProperties reverses encodeProperties (UTF-8 values too)', () => {
  const props = { UNIQ_KEY: 'AC110001000018B4AAC2720000000000', TAGS: '标签', KEYS: 'a b', WAIT: 'true' };
  const b = encodeProperties(props);
  assert.deepEqual(Object.fromEntries(parseProperties(b, 0, b.length)), props);
});

test('parseProperties applies Java leniency', () => {
  const parse = (s: string) => {
    const b = Buffer.from(s, 'latin1');
    return [...parseProperties(b, 0, b.length)];
  };
  assert.deepEqual(parse('A\x011\x02'), [['A', '1']]); // trailing separator is fine
  assert.deepEqual(parse('k\x01\x02A\x011'), [['A', '1']]); // empty value dropped
  assert.deepEqual(parse('\x01v\x02A\x011'), [['A', '1']]); // empty key dropped
  assert.deepEqual(parse('noseparator\x02A\x011'), [['A', '1']]);
  assert.deepEqual(parse('ab\x02\x02\x02A\x011'), [['A', '1']]);
  assert.deepEqual(parse('A\x011\x02A\x012'), [['A', '2']]); // last one wins
  assert.deepEqual(parse('a\x01b\x01c'), [['a', 'b\x01c']]); // first 0x01 splits
  assert.deepEqual(parse(''), []);
});

test('parseProperties reads only the given range', () => {
  const b = Buffer.from('zzA\x011\x02B\x012zz', 'latin1');
  assert.deepEqual([...parseProperties(b, 2, 9)], [
    ['A', '1'],
    ['B', '2'],
  ]);
});

test('findProperty returns the value range without allocating a map', () => {
  const b = Buffer.concat([bytes('##'), encodeProperties({ KEYS: 'k1', TAGS: 'TagA', TAGSX: 'no' }), bytes('##')]);
  const out = new Int32Array(2);
  assert.equal(findProperty(b, 2, b.length - 2, bytes('TAGS'), out), true);
  assert.equal(b.toString('latin1', out[0], out[1]), 'TagA');
  assert.equal(findProperty(b, 2, b.length - 2, bytes('KEYS'), out), true);
  assert.deepEqual([out[0], out[1]], [7, 9]);
  assert.equal(findProperty(b, 2, b.length - 2, bytes('TAG'), out), false);
  assert.equal(findProperty(b, 2, b.length - 2, bytes('WAIT'), out), false);
});

test('findProperty follows parseProperties rules (last wins, empty value is absent)', () => {
  const b = Buffer.from('T\x01a\x02T\x01bb\x02E\x01', 'latin1');
  const out = new Int32Array(2);
  assert.equal(findProperty(b, 0, b.length, bytes('T'), out), true);
  assert.equal(b.toString('latin1', out[0], out[1]), 'bb');
  assert.equal(findProperty(b, 0, b.length, bytes('E'), out), false);
});

test('findProperties finds several keys in one pass, by the same rules, -1 for an absent key', () => {
  const b = Buffer.from('##UNIQ_KEY\x01u1\x02TAGS\x01a\x02KEYS\x01k1 k2\x02TAGS\x01b\x02E\x01##', 'latin1');
  const out = new Int32Array(8);
  findProperties(b, 2, b.length - 2, [bytes('UNIQ_KEY'), bytes('KEYS'), bytes('TAGS'), bytes('E')], out);
  const value = (i: number) => (out[2 * i] < 0 ? null : b.toString('latin1', out[2 * i], out[2 * i + 1]));
  assert.deepEqual([0, 1, 2, 3].map(value), ['u1', 'k1 k2', 'b', null]);
  assert.deepEqual([out[6], out[7]], [-1, -1]);
});

test('PropertyKey holds the wire names of section 4.5', () => {
  assert.equal(PropertyKey.KEYS, 'KEYS');
  assert.equal(PropertyKey.WAIT, 'WAIT');
  assert.equal(PropertyKey.DELAY, 'DELAY');
  assert.equal(PropertyKey.REAL_QID, 'REAL_QID');
  assert.equal(PropertyKey.TRAN_MSG, 'TRAN_MSG');
  assert.equal(PropertyKey.UNIQ_KEY, 'UNIQ_KEY');
  assert.equal(PropertyKey.TRACE_ON, 'TRACE_ON');
  assert.equal(PropertyKey.CONSUME_START_TIME, 'CONSUME_START_TIME');
  assert.equal(PropertyKey.TRAN_PREPARED_QUEUE_OFFSET, 'TRAN_PREPARED_QUEUE_OFFSET');
  assert.equal(PropertyKey.TRANSACTION_ID, '__transactionId__');
  assert.equal(PropertyKey.FIRST_POP_TIME, '1ST_POP_TIME');
  assert.equal(PropertyKey.SHARDING_KEY, '__SHARDINGKEY');
  assert.equal(PropertyKey.CRC32, '__CRC32#');
  const names = Object.values(PropertyKey);
  for (const n of names) for (const ch of n) assert.ok(ch.charCodeAt(0) > 2);
  assert.equal(new Set(names).size, names.length);
});

test('withoutPropertyText drops every pair with that key and keeps the rest in order', () => {
  const S = '\u0002';
  const KV = '\u0001';
  assert.equal(withoutPropertyText(`UNIQ_KEY${KV}B${S}WAIT${KV}true${S}`, 'UNIQ_KEY'), `WAIT${KV}true${S}`);
  assert.equal(withoutPropertyText(`WAIT${KV}true${S}UNIQ_KEY${KV}B`, 'UNIQ_KEY'), `WAIT${KV}true`);
  assert.equal(withoutPropertyText(`UNIQ_KEY${KV}A${S}UNIQ_KEY${KV}B`, 'UNIQ_KEY'), '');
  assert.equal(withoutPropertyText(`MY_UNIQ_KEY${KV}A${S}KEYS${KV}UNIQ_KEY`, 'UNIQ_KEY'), `MY_UNIQ_KEY${KV}A${S}KEYS${KV}UNIQ_KEY`);
  assert.equal(withoutPropertyText('', 'UNIQ_KEY'), '');
});
