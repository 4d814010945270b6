import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatch, encodeBatch } from '../../../src/shared/storage/batch.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('encodeBatch element bytes: size, magic 0, crc 0, flag, body, props', () => {
  const b = encodeBatch([{ flag: 5, body: Buffer.from('ab'), properties: Buffer.from('K\x01v', 'latin1') }]);
  assert.equal(b.toString('hex'), hex('0000001B 00000000 00000000 00000005 00000002 6162 0003 4B0176').toString('hex'));
  assert.equal(b.length, 27);
});

test('decodeBatch round trip of several elements', () => {
  const msgs = [
    { flag: 0, body: Buffer.from('first'), properties: Buffer.from('UNIQ_KEY\x01A1\x02WAIT\x01true', 'latin1') },
    { flag: 1, body: Buffer.alloc(0), properties: Buffer.alloc(0) },
    { flag: -1, body: Buffer.from('third body'), properties: Buffer.from('KEYS\x01k', 'latin1') },
  ];
  const body = encodeBatch(msgs);
  const els = decodeBatch(body);
  assert.equal(els.length, 3);
  els.forEach((e, i) => {
    assert.equal(e.flag, msgs[i].flag);
    assert.deepEqual(body.subarray(e.bodyStart, e.bodyEnd), msgs[i].body);
    assert.deepEqual(body.subarray(e.propsStart, e.propsEnd), msgs[i].properties);
  });
  assert.deepEqual(els[0], { flag: 0, bodyStart: 20, bodyEnd: 25, propsStart: 27, propsEnd: 48 });
  assert.deepEqual(decodeBatch(Buffer.alloc(0)), []);
});

test('decodeBatch walks by field lengths and ignores totalSize, like the Java broker', () => {
  const b = encodeBatch([{ flag: 2, body: Buffer.from('x'), properties: Buffer.alloc(0) }]);
  b.writeInt32BE(999, 0);
  assert.deepEqual(decodeBatch(b), [{ flag: 2, bodyStart: 20, bodyEnd: 21, propsStart: 23, propsEnd: 23 }]);
});

test('decodeBatch rejects malformed input with RangeError', () => {
  const good = encodeBatch([
    { flag: 0, body: Buffer.from('abc'), properties: Buffer.from('K\x01v', 'latin1') },
    { flag: 0, body: Buffer.from('de'), properties: Buffer.from('K\x01w', 'latin1') },
  ]);
  assert.throws(() => decodeBatch(good.subarray(0, good.length - 1)), { name: 'RangeError', message: /#1.*properties length 3 runs past the end/ });
  assert.throws(() => decodeBatch(good.subarray(0, 10)), { name: 'RangeError', message: /#0.*header truncated/ });
  assert.throws(() => decodeBatch(good.subarray(0, 35)), { name: 'RangeError', message: /#1 at byte 28: header truncated/ });
  const longBody = Buffer.from(good);
  longBody.writeInt32BE(1000, 16);
  assert.throws(() => decodeBatch(longBody), { name: 'RangeError', message: /body length 1000 runs past the end/ });
  const negBody = Buffer.from(good);
  negBody.writeInt32BE(-5, 16);
  assert.throws(() => decodeBatch(negBody), { name: 'RangeError', message: /negative body length -5/ });
  const negProps = Buffer.from(good);
  negProps.writeInt16BE(-2, 23);
  assert.throws(() => decodeBatch(negProps), { name: 'RangeError', message: /negative properties length -2/ });
});
