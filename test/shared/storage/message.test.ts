import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BLANK_MAGIC,
  BORNHOST_V6,
  COMMIT,
  MAGIC_V1,
  MAGIC_V2,
  MessageSysFlag,
  POS_BODYLENGTH,
  POS_PHYSICALOFFSET,
  POS_QUEUEOFFSET,
  POS_STOREHOST,
  POS_STORETIMESTAMP,
  PREPARED,
  ROLLBACK,
  STOREHOST_V6,
  checkRecord,
  decodeRecord,
  encodeRecord,
  patchStoreFields,
  posBodyLength,
  posStoreTimestamp,
  recordBodyRange,
  recordLength,
  recordPropertiesRange,
  recordStoreTimestamp,
  recordTopicRange,
  transactionType,
  writeBlank,
  type RecordFields,
} from '../../../src/shared/storage/message.js';
import { readInt, readLong } from '../../../src/shared/storage/longs.js';

/** Hex with `#` comments and whitespace ignored. */
const hex = (s: string) =>
  Buffer.from(
    s
      .split('\n')
      .map((l) => l.split('#')[0])
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );

// body "hi", topic "T1", properties "TAGS\x01A": 91 + 2 + 2 + 6 = 101 bytes.
const SMALL = hex(`
  00000065            # totalSize 101
  DAA320A7            # magic v1
  58932AAC            # bodyCrc: crc32("hi") = D8932AAC, & 0x7fffffff
  00000003            # queueId 3
  00000007            # flag 7
  000000000000002A    # queueOffset 42
  0000000000001F40    # physicalOffset 8000
  00000000            # sysFlag
  0000018BCFE56800    # bornTimestamp 1700000000000
  0A000001 0000C350   # bornHost 10.0.0.1:50000
  0000018BCFE56BE8    # storeTimestamp 1700000001000
  0A000005 00002A9F   # storeHost 10.0.0.5:10911
  00000001            # reconsumeTimes 1
  0000000000000000    # preparedTransactionOffset
  00000002 6869       # body "hi"
  02 5431             # topic "T1"
  0006 5441475301 41  # properties "TAGS\\x01A"
`);

const smallFields = (): RecordFields => ({
  queueId: 3,
  flag: 7,
  queueOffset: 42,
  physicalOffset: 8000,
  sysFlag: 0,
  bornTimestamp: 1700000000000,
  bornHost: Buffer.from([10, 0, 0, 1]),
  bornPort: 50000,
  storeTimestamp: 1700000001000,
  storeHost: Buffer.from([10, 0, 0, 5]),
  storePort: 10911,
  reconsumeTimes: 1,
  preparedTransactionOffset: 0,
  body: Buffer.from('hi'),
  topic: Buffer.from('T1'),
  properties: Buffer.from('TAGS\x01A', 'latin1'),
});

const LOOPBACK6 = Buffer.from('00000000000000000000000000000001', 'hex');
const DOC6 = Buffer.from('20010db8000000000000000000000005', 'hex');

test('magic constants and fixed positions', () => {
  assert.equal(MAGIC_V1 >>> 0, 0xdaa320a7);
  assert.equal(MAGIC_V2 >>> 0, 0xdaa320ab);
  assert.equal(BLANK_MAGIC >>> 0, 0xcbd43194);
  assert.equal(POS_QUEUEOFFSET, 20);
  assert.equal(POS_PHYSICALOFFSET, 28);
  assert.equal(POS_STORETIMESTAMP, 56);
  assert.equal(POS_STOREHOST, 64);
  assert.equal(POS_BODYLENGTH, 84);
  assert.equal(posBodyLength(0), 84);
  assert.equal(posStoreTimestamp(BORNHOST_V6), 68);
  assert.equal(posBodyLength(BORNHOST_V6 | STOREHOST_V6), 108);
});

test('sysFlag bits and transactionType', () => {
  assert.equal(MessageSysFlag.COMPRESSED, 1);
  assert.equal(MessageSysFlag.MULTI_TAGS, 2);
  assert.equal(MessageSysFlag.BORNHOST_V6, 0x10);
  assert.equal(MessageSysFlag.STOREHOST_V6, 0x20);
  assert.equal(MessageSysFlag.COMPRESSION_ZLIB_TYPE | MessageSysFlag.COMPRESSED, 0x301);
  assert.equal(MessageSysFlag.PREPARED, 4);
  assert.equal(MessageSysFlag.COMMIT, 8);
  assert.equal(MessageSysFlag.ROLLBACK, 12);
  assert.equal(MessageSysFlag.TRANSACTION_NOT_TYPE, 0);
  assert.equal(transactionType(0x301), 0);
  assert.equal(transactionType(PREPARED | 0x13), PREPARED);
  assert.equal(transactionType(COMMIT | 0x2), COMMIT);
  assert.equal(transactionType(ROLLBACK), ROLLBACK);
});

test('recordLength: 91 + n + t + p, +12 per IPv6 host, +1 for v2', () => {
  assert.equal(recordLength(0, 2, 2, 6), 101);
  assert.equal(recordLength(0, 0, 0, 0), 91);
  assert.equal(recordLength(BORNHOST_V6, 2, 2, 6), 113);
  assert.equal(recordLength(BORNHOST_V6 | STOREHOST_V6, 2, 2, 6), 125);
  assert.equal(recordLength(0, 2, 2, 6, true), 102);
});

test('encodeRecord writes exactly the hand-built bytes', () => {
  const dst = Buffer.alloc(120, 0xee);
  const n = encodeRecord(dst, 5, smallFields());
  assert.equal(n, 101);
  assert.equal(dst.subarray(5, 106).toString('hex'), SMALL.toString('hex'));
  assert.equal(dst[4], 0xee);
  assert.equal(dst[106], 0xee);
});

test('encodeRecord uses a given bodyCrc verbatim', () => {
  const dst = Buffer.alloc(101);
  encodeRecord(dst, 0, { ...smallFields(), bodyCrc: 0x12345678 });
  assert.equal(readInt(dst, 8), 0x12345678);
});

test('decodeRecord reverses the hand-built bytes', () => {
  const m = decodeRecord(SMALL, 0);
  assert.equal(m.storeSize, 101);
  assert.equal(m.magic, MAGIC_V1);
  assert.equal(m.bodyCrc, 0x58932aac);
  assert.equal(m.queueId, 3);
  assert.equal(m.flag, 7);
  assert.equal(m.queueOffset, 42);
  assert.equal(m.physicalOffset, 8000);
  assert.equal(m.sysFlag, 0);
  assert.equal(m.bornTimestamp, 1700000000000);
  assert.equal(m.bornHost, '10.0.0.1:50000');
  assert.equal(m.storeTimestamp, 1700000001000);
  assert.equal(m.storeHost, '10.0.0.5:10911');
  assert.equal(m.reconsumeTimes, 1);
  assert.equal(m.preparedTransactionOffset, 0);
  assert.equal(m.body.toString(), 'hi');
  assert.equal(m.topic, 'T1');
  assert.deepEqual([...m.properties], [['TAGS', 'A']]);
  assert.deepEqual([...m.bornHostIp], [10, 0, 0, 1]);
  assert.equal(m.bornPort, 50000);
  assert.equal(m.storePort, 10911);
  assert.equal(m.msgId, '0A00000500002A9F0000000000001F40');
});

test('decodeRecord body is a copy', () => {
  const b = Buffer.from(SMALL);
  const m = decodeRecord(b, 0);
  b[88] = 0x41;
  assert.equal(m.body.toString(), 'hi');
});

test('decodeRecord throws RangeError where there is no record', () => {
  assert.throws(() => decodeRecord(Buffer.alloc(200), 0), RangeError);
  assert.throws(() => decodeRecord(SMALL.subarray(0, 100), 0), RangeError);
});

test('checkRecord: size for a valid record, CRC checked only when asked', () => {
  const b = Buffer.concat([Buffer.alloc(3), SMALL, Buffer.alloc(50)]);
  assert.equal(checkRecord(b, 3, b.length - 3, true), 101);
  assert.equal(checkRecord(b, 3, 101, true), 101);
  b[3 + 88] ^= 1; // flip a body bit
  assert.equal(checkRecord(b, 3, 101, false), 101);
  assert.equal(checkRecord(b, 3, 101, true), -1);
});

test('checkRecord: torn, zeroed and corrupt records are -1', () => {
  assert.equal(checkRecord(SMALL, 0, 100, false), -1); // torn: size > available
  assert.equal(checkRecord(SMALL, 0, 7, false), -1);
  assert.equal(checkRecord(Buffer.alloc(200), 0, 200, false), -1); // zero-filled tail
  const badMagic = Buffer.from(SMALL);
  badMagic[7] ^= 0xff;
  assert.equal(checkRecord(badMagic, 0, 101, false), -1);
  const badSize = Buffer.concat([SMALL, Buffer.alloc(1)]);
  badSize.writeInt32BE(102, 0); // total does not match the field lengths
  assert.equal(checkRecord(badSize, 0, 102, false), -1);
  const badProps = Buffer.from(SMALL);
  badProps.writeInt16BE(-1, 93);
  assert.equal(checkRecord(badProps, 0, 101, false), -1);
  const badBody = Buffer.from(SMALL);
  badBody.writeInt32BE(1000, 84);
  assert.equal(checkRecord(badBody, 0, 101, false), -1);
  const tiny = Buffer.from(SMALL);
  tiny.writeInt32BE(12, 0);
  assert.equal(checkRecord(tiny, 0, 101, false), -1);
});

test('checkRecord: BLANK marker is 0; writeBlank writes [remaining][0xCBD43194]', () => {
  const b = Buffer.alloc(16);
  writeBlank(b, 4, 1234);
  assert.equal(b.subarray(4, 12).toString('hex'), '000004d2cbd43194');
  assert.equal(checkRecord(b, 4, 12, true), 0);
  assert.equal(checkRecord(b, 4, 8, true), 0);
});

test('patchStoreFields writes queue offset, physical offset and store time', () => {
  const b = Buffer.alloc(101);
  encodeRecord(b, 0, { ...smallFields(), queueOffset: 0, physicalOffset: 0, storeTimestamp: 0 });
  patchStoreFields(b, 0, 42, 8000, 1700000001000);
  assert.equal(b.toString('hex'), SMALL.toString('hex'));
});

test('IPv6 born host: 20-byte host, store time moves to @68, patch follows it', () => {
  const f = { ...smallFields(), bornHost: LOOPBACK6 };
  const b = Buffer.alloc(113);
  assert.equal(encodeRecord(b, 0, f), 113);
  assert.equal(readInt(b, 0), 113);
  assert.equal(readInt(b, 36), BORNHOST_V6);
  assert.equal(b.subarray(48, 68).toString('hex'), '00000000000000000000000000000001' + '0000c350');
  assert.equal(readLong(b, 68), 1700000001000);
  assert.equal(checkRecord(b, 0, 113, true), 113);
  patchStoreFields(b, 0, 9, 77, 1700000002000);
  assert.equal(readLong(b, 20), 9);
  assert.equal(readLong(b, 28), 77);
  assert.equal(readLong(b, 68), 1700000002000);
  assert.equal(recordStoreTimestamp(b, 0), 1700000002000);
  assert.equal(readInt(b, 76), 0x0a000005); // store host follows the 8-byte store time
  const m = decodeRecord(b, 0);
  assert.equal(m.bornHost, '[::1]:50000');
  assert.equal(m.storeHost, '10.0.0.5:10911');
  assert.equal(m.body.toString(), 'hi');
  assert.equal(m.topic, 'T1');
});

test('IPv6 store host and v6 flag derived from host lengths', () => {
  const f = { ...smallFields(), sysFlag: BORNHOST_V6 | 0x2, storeHost: DOC6 };
  const b = Buffer.alloc(113);
  assert.equal(encodeRecord(b, 0, f), 113);
  assert.equal(readInt(b, 36), STOREHOST_V6 | 0x2); // stale born bit cleared, store bit set
  const m = decodeRecord(b, 0);
  assert.equal(m.storeHost, '[2001:db8::5]:10911');
  assert.equal(m.bornHost, '10.0.0.1:50000');
  assert.equal(m.msgId, '20010DB800000000000000000000000500002A9F0000000000001F40');
  assert.equal(m.reconsumeTimes, 1);
});

test('v2 magic record (2-byte topic length) decodes', () => {
  const v2 = hex(`
    00000066 DAA320AB 58932AAC 00000003 00000007 000000000000002A 0000000000001F40 00000000
    0000018BCFE56800 0A000001 0000C350 0000018BCFE56BE8 0A000005 00002A9F 00000001 0000000000000000
    00000002 6869
    0002 5431      # topic length is a short in v2
    0006 5441475301 41
  `);
  assert.equal(v2.length, 102);
  assert.equal(checkRecord(v2, 0, 102, true), 102);
  const m = decodeRecord(v2, 0);
  assert.equal(m.magic, MAGIC_V2);
  assert.equal(m.topic, 'T1');
  assert.equal(m.properties.get('TAGS'), 'A');
  const r = new Int32Array(2);
  recordTopicRange(v2, 0, r);
  assert.deepEqual([...r], [92, 94]);
  recordPropertiesRange(v2, 0, r);
  assert.deepEqual([...r], [96, 102]);
});

test('range helpers give absolute positions', () => {
  const b = Buffer.concat([Buffer.alloc(10), SMALL]);
  const r = new Int32Array(2);
  recordBodyRange(b, 10, r);
  assert.deepEqual([...r], [98, 100]);
  recordTopicRange(b, 10, r);
  assert.deepEqual([...r], [101, 103]);
  assert.equal(b.toString('latin1', r[0], r[1]), 'T1');
  recordPropertiesRange(b, 10, r);
  assert.deepEqual([...r], [105, 111]);
  assert.equal(b.toString('latin1', r[0], r[1]), 'TAGS\x01A');
});

test('encodeRecord limits: topic <= 127 bytes, properties <= 32767, room in dst, host sizes', () => {
  const dst = Buffer.alloc(40000);
  assert.equal(encodeRecord(dst, 0, { ...smallFields(), topic: Buffer.alloc(127, 0x61) }), 91 + 2 + 127 + 6);
  assert.equal(checkRecord(dst, 0, dst.length, true), 91 + 2 + 127 + 6);
  assert.throws(() => encodeRecord(dst, 0, { ...smallFields(), topic: Buffer.alloc(128, 0x61) }), RangeError);
  assert.equal(encodeRecord(dst, 0, { ...smallFields(), properties: Buffer.alloc(32767, 0x61) }), 91 + 4 + 32767);
  assert.throws(() => encodeRecord(dst, 0, { ...smallFields(), properties: Buffer.alloc(32768, 0x61) }), RangeError);
  assert.throws(() => encodeRecord(Buffer.alloc(100), 0, smallFields()), RangeError);
  assert.throws(() => encodeRecord(dst, 0, { ...smallFields(), bornHost: Buffer.alloc(6) }), RangeError);
});

test('records back to back with a blank tail walk like recovery does', () => {
  const file = Buffer.alloc(400);
  let pos = 0;
  for (let i = 0; i < 3; i++) {
    pos += encodeRecord(file, pos, { ...smallFields(), queueOffset: i, physicalOffset: pos, body: Buffer.from('m' + i) });
  }
  writeBlank(file, pos, file.length - pos);
  const seen: number[] = [];
  let p = 0;
  for (;;) {
    const size = checkRecord(file, p, file.length - p, true);
    if (size <= 0) {
      assert.equal(size, 0);
      break;
    }
    seen.push(decodeRecord(file, p).queueOffset);
    p += size;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(p, pos);
});

test('encode, check and decode on a SharedArrayBuffer view', () => {
  const view = new Uint8Array(new SharedArrayBuffer(256), 16, 200);
  assert.equal(encodeRecord(view, 7, smallFields()), 101);
  assert.equal(Buffer.from(view.subarray(7, 108)).toString('hex'), SMALL.toString('hex'));
  assert.equal(checkRecord(view, 7, 193, true), 101);
  const m = decodeRecord(view, 7);
  assert.equal(m.topic, 'T1');
  assert.equal(m.properties.get('TAGS'), 'A');
});
