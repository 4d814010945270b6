import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOffsetMsgId, decodeOffsetMsgId } from '../../../src/shared/storage/msgid.js';
import { formatIp, parseIp } from '../../../src/shared/storage/ip.js';

test('offsetMsgId vector: 10.0.0.5:10911 offset 8000', () => {
  const id = createOffsetMsgId(Buffer.from([10, 0, 0, 5]), 10911, 8000);
  assert.equal(id, '0A00000500002A9F0000000000001F40');
  assert.deepEqual(decodeOffsetMsgId(id), { host: '10.0.0.5', port: 10911, offset: 8000 });
});

test('offsetMsgId with an offset above 2^32 and high IP bytes', () => {
  const id = createOffsetMsgId(Buffer.from([192, 168, 255, 1]), 10911, 1073741824 * 5 + 123);
  assert.equal(id, 'C0A8FF0100002A9F000000014000007B');
  assert.deepEqual(decodeOffsetMsgId(id), { host: '192.168.255.1', port: 10911, offset: 5368709243 });
  assert.deepEqual(decodeOffsetMsgId(id.toLowerCase()), { host: '192.168.255.1', port: 10911, offset: 5368709243 });
});

test('IPv6 offsetMsgId is 56 chars', () => {
  const ip = parseIp('2001:db8::5');
  const id = createOffsetMsgId(ip, 10911, 8000);
  assert.equal(id.length, 56);
  assert.equal(id, '20010DB800000000000000000000000500002A9F0000000000001F40');
  assert.deepEqual(decodeOffsetMsgId(id), { host: '2001:db8::5', port: 10911, offset: 8000 });
});

test('bad ids and hosts are rejected', () => {
  assert.throws(() => decodeOffsetMsgId('0A00000500002A9F0000000000001F4'), RangeError);
  assert.throws(() => decodeOffsetMsgId('0A00000500002A9F0000000000001FXX'), RangeError);
  assert.throws(() => createOffsetMsgId(Buffer.alloc(5), 1, 1), RangeError);
});

test('formatIp / parseIp', () => {
  assert.equal(formatIp(Buffer.from([127, 0, 0, 1]), 0, 4), '127.0.0.1');
  assert.equal(formatIp(parseIp('::1'), 0, 16), '::1');
  assert.equal(formatIp(parseIp('::'), 0, 16), '::');
  assert.equal(formatIp(parseIp('fe80:0:0:1:0:0:0:2'), 0, 16), 'fe80:0:0:1::2');
  assert.equal(formatIp(parseIp('1:0:2:3:4:5:6:7'), 0, 16), '1:0:2:3:4:5:6:7');
  assert.equal(parseIp('::ffff:10.0.0.5').toString('hex'), '00000000000000000000ffff0a000005');
  assert.equal(parseIp('[::1]').toString('hex'), '00000000000000000000000000000001');
  assert.deepEqual([...parseIp('10.0.0.5')], [10, 0, 0, 5]);
  assert.throws(() => parseIp('256.0.0.1'), RangeError);
  assert.throws(() => parseIp('1::2::3'), RangeError);
  assert.throws(() => parseIp('hello'), RangeError);
});
