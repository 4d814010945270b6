import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BORNHOST_V6, COMPRESSED, checkRecord, decodeRecord, encodeRecord, recordLength, type RecordFields } from '../../../src/shared/storage/message.js';
import { rewriteRecord } from '../../../src/shared/storage/rewrite.js';
import { deliveryOf, parkForDelay } from '../../../src/shared/delay.js';
import { decideSendBack, sendBackProperties } from '../../../src/shared/retry.js';

const hex = (s: string) =>
  Buffer.from(
    s
      .split('\n')
      .map((l) => l.split('#')[0])
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );

/** A record as parked in SCHEDULE_TOPIC_XXXX queue 0 (level 1) by a send to T1 queue 3. */
function parked(overrides: Partial<RecordFields> = {}): Buffer {
  const f: RecordFields = {
    queueId: 0,
    flag: 7,
    queueOffset: 42,
    physicalOffset: 8000,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: Buffer.from([10, 0, 0, 1]),
    bornPort: 50000,
    storeTimestamp: 1_700_000_001_000,
    storeHost: Buffer.from([10, 0, 0, 5]),
    storePort: 10911,
    reconsumeTimes: 1,
    preparedTransactionOffset: 0,
    body: Buffer.from('hi'),
    topic: Buffer.from('SCHEDULE_TOPIC_XXXX'),
    properties: Buffer.from('DELAY\u00011\u0002REAL_TOPIC\u0001T1\u0002REAL_QID\u00013', 'latin1'),
    ...overrides,
  };
  const out = Buffer.alloc(recordLength(f.sysFlag | (f.bornHost.length === 16 ? BORNHOST_V6 : 0), f.body.length, f.topic.length, f.properties.length));
  encodeRecord(out, 0, f);
  return out;
}

test('schedule delivery: the parked record rewritten to its real topic/queue (fixed bytes)', () => {
  const msg = decodeRecord(parked(), 0);
  const target = deliveryOf(msg.properties);
  assert.ok(!('error' in target));
  const out = rewriteRecord(msg, { topic: target.topic, queueId: target.queueId, properties: target.properties, reconsumeTimes: msg.reconsumeTimes });
  assert.equal(
    out.toString('hex'),
    hex(`
      00000077            # totalSize 119 = 91 + 2 + 2 + 24
      DAA320A7            # magic v1
      58932AAC            # bodyCrc crc32("hi") & 0x7fffffff, kept
      00000003            # queueId 3 (REAL_QID)
      00000007            # flag 7, kept
      0000000000000000    # queueOffset: the store writer fills it
      0000000000000000    # physicalOffset: the store writer fills it
      00000000            # sysFlag, kept
      0000018BCFE56800    # bornTimestamp 1700000000000, kept
      0A000001 0000C350   # bornHost 10.0.0.1:50000, kept
      0000000000000000    # storeTimestamp: the store writer fills it
      0A000005 00002A9F   # storeHost 10.0.0.5:10911, kept
      00000001            # reconsumeTimes 1, kept
      0000000000000000    # preparedTransactionOffset
      00000002 6869       # body "hi"
      02 5431             # topic "T1"
      0018 5245414C5F544F504943 01 5431 02 5245414C5F514944 01 33   # REAL_TOPIC=T1, REAL_QID=3 (DELAY gone)
    `).toString('hex'),
  );
  assert.equal(checkRecord(out, 0, out.length, true), out.length, 'a valid record, CRC included');
});

test('rewrite keeps a compressed body as stored, its sysFlag, and an IPv6 born host', () => {
  const body = Buffer.from([0x78, 0x9c, 0x01, 0x02, 0x03]);
  const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  const msg = decodeRecord(parked({ body, sysFlag: COMPRESSED, bornHost: v6 }), 0);
  assert.equal(msg.sysFlag, COMPRESSED | BORNHOST_V6);
  const out = decodeRecord(rewriteRecord(msg, { topic: 'T1', queueId: 3, properties: new Map([['K', 'v']]), reconsumeTimes: 4 }), 0);
  assert.deepEqual(out.body, body);
  assert.equal(out.sysFlag, COMPRESSED | BORNHOST_V6);
  assert.equal(out.bornHost, '[2001:db8::1]:50000');
  assert.equal(out.reconsumeTimes, 4);
  assert.equal(out.bodyCrc, msg.bodyCrc);
  assert.deepEqual([...out.properties], [['K', 'v']]);
});

test('send-back: the consumed message becomes a %RETRY% message parked at its level', () => {
  const consumed = decodeRecord(parked({ topic: Buffer.from('TopicA'), queueId: 1, properties: Buffer.from('TAGS\u0001A\u0002UNIQ_KEY\u0001U1', 'latin1'), reconsumeTimes: 0 }), 0);
  const decision = decideSendBack('g', consumed.reconsumeTimes, 16, 0, 1, () => 0);
  const props = sendBackProperties(consumed.properties, consumed.topic, consumed.msgId, decision);
  const place = parkForDelay(props, decision.topic, decision.queueId, consumed.sysFlag, 18);
  assert.deepEqual(place, { topic: 'SCHEDULE_TOPIC_XXXX', queueId: 2, level: 3 });
  const out = decodeRecord(rewriteRecord(consumed, { topic: place!.topic, queueId: place!.queueId, properties: props, reconsumeTimes: consumed.reconsumeTimes + 1 }), 0);
  assert.equal(out.topic, 'SCHEDULE_TOPIC_XXXX');
  assert.equal(out.queueId, 2);
  assert.equal(out.reconsumeTimes, 1);
  assert.equal(out.flag, 7);
  assert.equal(out.bornTimestamp, 1_700_000_000_000);
  assert.deepEqual(Object.fromEntries(out.properties), {
    TAGS: 'A',
    UNIQ_KEY: 'U1',
    RETRY_TOPIC: 'TopicA',
    WAIT: 'false',
    DELAY: '3',
    ORIGIN_MESSAGE_ID: '0A00000500002A9F0000000000001F40',
    REAL_TOPIC: '%RETRY%g',
    REAL_QID: '0',
  });
});

test('rewrite refuses properties longer than a record allows', () => {
  const msg = decodeRecord(parked(), 0);
  assert.throws(() => rewriteRecord(msg, { topic: 'T1', queueId: 0, properties: new Map([['K', 'x'.repeat(40000)]]), reconsumeTimes: 0 }), /properties/);
});
