import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseCode } from '../../src/shared/codes.js';
import { defaultConfig } from '../../src/shared/config/broker-config.js';
import { RemotingError } from '../../src/shared/remoting/errors.js';
import { decodeRecord, encodeRecord, recordLength, type DecodedMessage, type RecordFields } from '../../src/shared/storage/message.js';
import {
  checkHalfMessage,
  checkRequest,
  decideCheck,
  discardedHalf,
  finalMessage,
  halfSendProperties,
  halfSysFlag,
  isPrepared,
  nextOpOffset,
  opBody,
  opRecord,
  parseEndTransactionHeader,
  parseOpBody,
  renewedHalf,
  type CheckSettings,
  type EndTransactionHeader,
} from '../../src/shared/transaction.js';
import { Replica } from '../../src/workers/network/replica.js';
import { halfSend } from '../../src/workers/network/transaction-half.js';
import type { SendRequest } from '../../src/workers/network/send-request.js';

const hex = (s: string) =>
  Buffer.from(
    s
      .split('\n')
      .map((l) => l.split('#')[0])
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );

const HALF_PROPS = 'TAGS\u0001TagA\u0002UNIQ_KEY\u0001U1\u0002TRAN_MSG\u0001true\u0002PGROUP\u0001pg\u0002REAL_TOPIC\u0001T1\u0002REAL_QID\u00013';

/** A half message as stored: RMQ_SYS_TRANS_HALF_TOPIC queue 0, queue offset 5, at commit-log offset 4096. */
function halfRecord(overrides: Partial<RecordFields> = {}, props = HALF_PROPS): Buffer {
  const f: RecordFields = {
    queueId: 0,
    flag: 7,
    queueOffset: 5,
    physicalOffset: 4096,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: Buffer.from([10, 0, 0, 1]),
    bornPort: 50000,
    storeTimestamp: 1_700_000_001_000,
    storeHost: Buffer.from([10, 0, 0, 5]),
    storePort: 10911,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from('hi'),
    topic: Buffer.from('RMQ_SYS_TRANS_HALF_TOPIC'),
    properties: Buffer.from(props, 'utf8'),
    ...overrides,
  };
  const out = Buffer.alloc(recordLength(f.sysFlag, f.body.length, f.topic.length, f.properties.length));
  encodeRecord(out, 0, f);
  return out;
}

const half = (overrides: Partial<RecordFields> = {}, props?: string): DecodedMessage => decodeRecord(halfRecord(overrides, props), 0);

const header = (o: Partial<EndTransactionHeader> = {}): EndTransactionHeader => ({
  producerGroup: 'pg', tranStateTableOffset: 5, commitLogOffset: 4096, commitOrRollback: 8, fromTransactionCheck: false, msgId: 'U1', ...o,
});

const errorOf = (f: () => unknown): RemotingError | null => {
  try {
    f();
  } catch (e) {
    return e as RemotingError;
  }
  return null;
};

// ---- half messages ----

test('isPrepared / halfSysFlag: only transaction type 4 is a half message; stored with type NOT, other bits kept', () => {
  assert.equal(isPrepared(0x4), true);
  assert.equal(isPrepared(0x4 | 0x1 | 0x10), true);
  for (const f of [0, 0x8, 0xc, 0x1, 0x10]) assert.equal(isPrepared(f), false, `sysFlag ${f}`);
  assert.equal(halfSysFlag(0x4 | 0x1), 0x1);
  assert.equal(halfSysFlag(0x4 | 0x100 | 0x1), 0x101);
});

test('halfSendProperties: REAL_TOPIC / REAL_QID added, TRAN_MSG and PGROUP kept (filled when missing)', () => {
  const java = 'TAGS\u0001TagA\u0002TRAN_MSG\u0001true\u0002PGROUP\u0001pg_java\u0002UNIQ_KEY\u0001U1\u0002WAIT\u0001true';
  assert.equal(
    halfSendProperties(java, 'TopicT', 3, 'pg_header'),
    'TAGS\u0001TagA\u0002TRAN_MSG\u0001true\u0002PGROUP\u0001pg_java\u0002UNIQ_KEY\u0001U1\u0002WAIT\u0001true\u0002REAL_TOPIC\u0001TopicT\u0002REAL_QID\u00013',
  );
  // A client that set neither: TRAN_MSG=true, PGROUP from the request header. REAL_* replace stale ones.
  assert.equal(
    halfSendProperties('REAL_TOPIC\u0001Old\u0002KEYS\u0001k1', 'TopicT', 0, 'pg_header'),
    'REAL_TOPIC\u0001TopicT\u0002KEYS\u0001k1\u0002REAL_QID\u00010\u0002TRAN_MSG\u0001true\u0002PGROUP\u0001pg_header',
  );
});

test('halfSend: the request the send path stores, in the half topic queue 0 slot; rejectTransactionMessage refuses', () => {
  const replica = new Replica();
  replica.topics.set('RMQ_SYS_TRANS_HALF_TOPIC', { config: { topicName: 'RMQ_SYS_TRANS_HALF_TOPIC', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false }, slots: [42] });
  const config = defaultConfig();
  const req: SendRequest = { producerGroup: 'pg', topic: 'TopicT', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 2, sysFlag: 0x4 | 0x1, bornTimestamp: 1, flag: 3, properties: 'TRAN_MSG\u0001true\u0002PGROUP\u0001pg', reconsumeTimes: 0, maxReconsumeTimes: -1, batch: false };
  const out = halfSend(req, 2, { replica, config });
  assert.equal(out.slot, 42);
  assert.deepEqual(out.req, { ...req, topic: 'RMQ_SYS_TRANS_HALF_TOPIC', sysFlag: 0x1, properties: 'TRAN_MSG\u0001true\u0002PGROUP\u0001pg\u0002REAL_TOPIC\u0001TopicT\u0002REAL_QID\u00012' });
  config.rejectTransactionMessage = true;
  assert.equal(errorOf(() => halfSend(req, 2, { replica, config }))?.code, ResponseCode.NO_PERMISSION);
  config.rejectTransactionMessage = false;
  replica.topics.delete('RMQ_SYS_TRANS_HALF_TOPIC');
  assert.equal(errorOf(() => halfSend(req, 2, { replica, config }))?.code, ResponseCode.SYSTEM_ERROR);
});

// ---- END_TRANSACTION ----

test('parseEndTransactionHeader: fields as Java decodes them; required fields and commitOrRollback checked', () => {
  const ext = { producerGroup: 'pg', tranStateTableOffset: '5', commitLogOffset: '4096', commitOrRollback: '12', fromTransactionCheck: 'true', msgId: 'U1', transactionId: 'U1' };
  assert.deepEqual(parseEndTransactionHeader(ext), { producerGroup: 'pg', tranStateTableOffset: 5, commitLogOffset: 4096, commitOrRollback: 12, fromTransactionCheck: true, msgId: 'U1', transactionId: 'U1' });
  assert.equal(parseEndTransactionHeader({ ...ext, fromTransactionCheck: 'false' }).fromTransactionCheck, false);
  const { fromTransactionCheck: _f, ...noCheck } = ext;
  assert.equal(parseEndTransactionHeader(noCheck).fromTransactionCheck, false);
  const { msgId: _m, ...noMsgId } = ext;
  assert.equal(errorOf(() => parseEndTransactionHeader(noMsgId))?.message, 'the custom field <msgId> is null');
  assert.equal(errorOf(() => parseEndTransactionHeader({ ...ext, commitOrRollback: '4' }))?.message, 'commitOrRollback field wrong');
  assert.equal(errorOf(() => parseEndTransactionHeader({ ...ext, commitLogOffset: 'x' }))?.code, ResponseCode.SYSTEM_ERROR);
  assert.equal(parseEndTransactionHeader({ ...ext, commitOrRollback: '0' }).commitOrRollback, 0);
});

test('checkHalfMessage: RocketMQ remarks for a missing record, a wrong group, queue offset or commit-log offset', () => {
  const h = half();
  assert.equal(checkHalfMessage(h, header()), null);
  assert.equal(checkHalfMessage(null, header()), 'Find prepared transaction message failed');
  assert.equal(checkHalfMessage(half({ topic: Buffer.from('T1') }), header()), 'Find prepared transaction message failed');
  assert.equal(checkHalfMessage(h, header({ producerGroup: 'other' })), 'The producer group wrong');
  assert.equal(checkHalfMessage(h, header({ tranStateTableOffset: 6 })), 'The transaction state table offset wrong');
  assert.equal(checkHalfMessage(h, header({ commitLogOffset: 4097 })), 'The commit log offset wrong');
});

test('finalMessage: the commit record in REAL_TOPIC / REAL_QID, type COMMIT, prepared offset = the half (fixed bytes)', () => {
  const out = finalMessage(half(), 18);
  assert.equal(out.topic, 'T1');
  assert.equal(out.queueId, 3);
  assert.equal(
    out.record.toString('hex'),
    hex(`
      00000097            # totalSize 151 = 91 + 2 + 2 + 56
      DAA320A7            # magic v1
      58932AAC            # bodyCrc, kept
      00000003            # queueId 3 (REAL_QID)
      00000007            # flag, kept
      0000000000000000    # queueOffset: the store writer fills it
      0000000000000000    # physicalOffset: the store writer fills it
      00000008            # sysFlag: transaction type COMMIT
      0000018BCFE56800    # bornTimestamp, kept
      0A000001 0000C350   # bornHost 10.0.0.1:50000, kept
      0000000000000000    # storeTimestamp: the store writer fills it
      0A000005 00002A9F   # storeHost 10.0.0.5:10911
      00000000            # reconsumeTimes
      0000000000001000    # PREPARED TRANSACTION OFFSET = the half's commit-log offset 4096
      00000002 6869       # body "hi"
      02 5431             # topic "T1"
      0038                # properties: TRAN_MSG removed, REAL_* and PGROUP kept
      54414753 01 54616741 02                 # TAGS=TagA
      554E49515F4B4559 01 5531 02             # UNIQ_KEY=U1
      5047524F5550 01 7067 02                 # PGROUP=pg
      5245414C5F544F504943 01 5431 02         # REAL_TOPIC=T1
      5245414C5F514944 01 33                  # REAL_QID=3
    `).toString('hex'),
  );
});

test('finalMessage: a DELAY still on the half parks the commit in its schedule queue; bad REAL_* refused', () => {
  const delayed = finalMessage(half({}, `${HALF_PROPS}\u0002DELAY\u00012`), 18);
  assert.equal(delayed.topic, 'SCHEDULE_TOPIC_XXXX');
  assert.equal(delayed.queueId, 1);
  const m = decodeRecord(delayed.record, 0);
  assert.equal(m.sysFlag & 0xc, 0x8);
  assert.equal(m.properties.get('REAL_TOPIC'), 'T1');
  assert.equal(m.properties.get('REAL_QID'), '3');
  assert.equal(errorOf(() => finalMessage(half({}, 'PGROUP\u0001pg\u0002REAL_QID\u00011'), 18))?.message, 'the half message has no REAL_TOPIC property');
  assert.equal(errorOf(() => finalMessage(half({}, 'PGROUP\u0001pg\u0002REAL_TOPIC\u0001T\u0002REAL_QID\u0001x'), 18))?.code, ResponseCode.SYSTEM_ERROR);
});

test('op message: body = half queue offset as text; the record RocketMQ writes (fixed bytes)', () => {
  assert.deepEqual(opBody(0), Buffer.from('0'));
  assert.deepEqual(opBody(1234567890123), Buffer.from('1234567890123'));
  assert.equal(parseOpBody(Buffer.from('42')), 42);
  assert.equal(parseOpBody(Buffer.from('4x')), -1);
  assert.equal(parseOpBody(Buffer.from('')), -1);
  assert.equal(
    opRecord(5, 0, 1_700_000_002_000, Buffer.from([10, 0, 0, 5]), 10911).toString('hex'),
    hex(`
      00000087            # totalSize 135 = 91 + 1 + 27 + 16
      DAA320A7            # magic v1
      04B12BAE            # bodyCrc of "5"
      00000000            # queueId: the half's queue 0
      00000000            # flag
      0000000000000000 0000000000000000   # offsets: the store writer fills them
      00000000            # sysFlag
      0000018BCFE56FD0    # bornTimestamp = now
      0A000005 00002A9F   # bornHost: the broker itself
      0000000000000000    # storeTimestamp
      0A000005 00002A9F   # storeHost
      00000000            # reconsumeTimes
      0000000000000000    # prepared transaction offset
      00000001 35         # body "5"
      1B 524D515F5359535F5452414E535F4F505F48414C465F544F504943   # RMQ_SYS_TRANS_OP_HALF_TOPIC
      0010 57414954 01 74727565 02 54414753 01 64                 # WAIT=true, TAGS=d (Java HashMap order)
    `).toString('hex'),
  );
});

// ---- the check ----

const S: CheckSettings = { transactionTimeout: 6000, transactionCheckMax: 15, fileReservedTimeMs: 72 * 3_600_000 };
const BORN = 1_700_000_000_000;
const msgAt = (props: Record<string, string> = {}, stored = BORN + 10, queueOffset = 5) => ({ properties: new Map(Object.entries(props)), bornTimestamp: BORN, storeTimestamp: stored, queueOffset });

test('decideCheck: young halves stop the scan, old ones are checked with TRANSACTION_CHECK_TIMES counted', () => {
  const scan = BORN + 60_000;
  // Younger than transactionTimeOut: the scan stops at it.
  assert.deepEqual(decideCheck(msgAt(), BORN + 5999, scan, S), { kind: 'stop' });
  // Stored during this scan (its own re-puts): stop.
  assert.deepEqual(decideCheck(msgAt({}, scan), scan + 10_000, scan, S), { kind: 'stop' });
  const first = decideCheck(msgAt(), BORN + 6000, scan, S);
  assert.equal(first.kind, 'check');
  assert.equal((first as { properties: Map<string, string> }).properties.get('TRANSACTION_CHECK_TIMES'), '1');
  const later = decideCheck(msgAt({ TRANSACTION_CHECK_TIMES: '14' }), BORN + 60_000, scan, S);
  assert.equal(later.kind, 'check');
  assert.equal((later as { properties: Map<string, string> }).properties.get('TRANSACTION_CHECK_TIMES'), '15');
  // Born in the future (clock moved back): checked.
  assert.equal(decideCheck(msgAt(), BORN - 5, scan, S).kind, 'check');
});

test('decideCheck: after transactionCheckMax checks, or past the file reserved time, the half is given up', () => {
  const scan = BORN + 60_000;
  const max = decideCheck(msgAt({ TRANSACTION_CHECK_TIMES: '15' }), BORN + 60_000, scan, S);
  assert.equal(max.kind, 'discard');
  assert.equal((max as { properties: Map<string, string> }).properties.get('TRANSACTION_CHECK_TIMES'), '15');
  // Even a fresh copy is given up once it was checked transactionCheckMax times (Java tests it first).
  assert.equal(decideCheck(msgAt({ TRANSACTION_CHECK_TIMES: '15' }, scan + 1), scan + 2, scan, S).kind, 'discard');
  const old = decideCheck(msgAt({}), BORN + 72 * 3_600_000 + 1, BORN + 72 * 3_600_000, S);
  assert.equal(old.kind, 'discard');
  assert.equal((old as { properties: Map<string, string> }).properties.get('TRANSACTION_CHECK_TIMES'), '1');
});

test('decideCheck: CHECK_IMMUNITY_TIME_IN_SECONDS replaces transactionTimeOut; within it the half is re-put unchecked', () => {
  const scan = BORN + 100_000;
  const within = decideCheck(msgAt({ CHECK_IMMUNITY_TIME_IN_SECONDS: '20' }), BORN + 19_000, scan, S);
  assert.deepEqual(within, { kind: 'immunity', preparedQueueOffset: null, properties: new Map([['CHECK_IMMUNITY_TIME_IN_SECONDS', '20'], ['TRANSACTION_CHECK_TIMES', '1'], ['TRAN_PREPARED_QUEUE_OFFSET', '5']]) });
  const again = decideCheck(msgAt({ CHECK_IMMUNITY_TIME_IN_SECONDS: '20', TRAN_PREPARED_QUEUE_OFFSET: '2', TRANSACTION_CHECK_TIMES: '1' }, BORN + 10, 9), BORN + 19_000, scan, S);
  assert.equal(again.kind, 'immunity');
  assert.equal((again as { preparedQueueOffset: number }).preparedQueueOffset, 2);
  assert.equal((again as { properties: Map<string, string> }).properties.get('TRAN_PREPARED_QUEUE_OFFSET'), '2');
  assert.equal(decideCheck(msgAt({ CHECK_IMMUNITY_TIME_IN_SECONDS: '20' }), BORN + 21_000, scan, S).kind, 'check');
  // An unreadable immunity means transactionTimeOut.
  assert.equal(decideCheck(msgAt({ CHECK_IMMUNITY_TIME_IN_SECONDS: 'soon' }), BORN + 6_500, scan, S).kind, 'check');
  assert.equal(decideCheck(msgAt({ CHECK_IMMUNITY_TIME_IN_SECONDS: 'soon' }), BORN + 5_500, scan, S).kind, 'immunity');
});

test('renewedHalf / discardedHalf: same message, new properties; the discard goes to TRANS_CHECK_MAX_TIME_TOPIC queue 0', () => {
  const h = half();
  const props = new Map([...h.properties, ['TRANSACTION_CHECK_TIMES', '2']]);
  const renewed = decodeRecord(renewedHalf(h, props), 0);
  assert.equal(renewed.topic, 'RMQ_SYS_TRANS_HALF_TOPIC');
  assert.equal(renewed.queueId, 0);
  assert.equal(renewed.flag, 7);
  assert.equal(renewed.sysFlag, 0);
  assert.equal(renewed.bornTimestamp, h.bornTimestamp);
  assert.equal(renewed.bodyCrc, h.bodyCrc);
  assert.deepEqual(renewed.properties, props);
  const gone = decodeRecord(discardedHalf(h, props), 0);
  assert.equal(gone.topic, 'TRANS_CHECK_MAX_TIME_TOPIC');
  assert.equal(gone.queueId, 0);
  assert.deepEqual(gone.properties, props);
});

test('checkRequest: CHECK_TRANSACTION_STATE header (fastjson order) and body (the copy as the producer sees it, fixed bytes)', () => {
  const h = half();
  const props = new Map([...h.properties, ['TRANSACTION_CHECK_TIMES', '1']]);
  const req = checkRequest(h, props, { queueOffset: 9, physicalOffset: 8192 })!;
  assert.equal(req.group, 'pg');
  assert.deepEqual(Object.entries(req.extFields), [
    ['commitLogOffset', '8192'],
    ['msgId', 'U1'],
    ['offsetMsgId', '0A00000500002A9F0000000000002000'],
    ['tranStateTableOffset', '9'],
    ['transactionId', 'U1'],
  ]);
  assert.equal(
    req.body.toString('hex'),
    hex(`
      000000BF            # totalSize 191
      DAA320A7 58932AAC
      00000003            # queueId = REAL_QID
      00000007            # flag
      0000000000000009    # queueOffset of the renewed copy
      0000000000002000    # its commit-log offset 8192
      00000000            # sysFlag of the half (type NOT)
      0000018BCFE56800 0A000001 0000C350
      0000018BCFE56BE8    # store time of the half read
      0A000005 00002A9F 00000000 0000000000000000
      00000002 6869
      02 5431             # topic = REAL_TOPIC
      0060
      54414753 01 54616741 02 554E49515F4B4559 01 5531 02 5452414E5F4D5347 01 74727565 02
      5047524F5550 01 7067 02 5245414C5F544F504943 01 5431 02 5245414C5F514944 01 33 02
      5452414E53414354494F4E5F434845434B5F54494D4553 01 31    # TRANSACTION_CHECK_TIMES=1
    `).toString('hex'),
  );
  // No PGROUP or REAL_TOPIC: nobody to ask.
  assert.equal(checkRequest(h, new Map([['REAL_TOPIC', 'T1'], ['REAL_QID', '0']]), { queueOffset: 1, physicalOffset: 1 }), null);
  const noUniq = checkRequest(h, new Map([['PGROUP', 'pg'], ['REAL_TOPIC', 'T1'], ['REAL_QID', '0']]), { queueOffset: 1, physicalOffset: 1 })!;
  assert.deepEqual(Object.keys(noUniq.extFields), ['commitLogOffset', 'offsetMsgId', 'tranStateTableOffset']);
  assert.equal(decodeRecord(noUniq.body, 0).topic, 'T1');
});

test('nextOpOffset: the op progress moves over used op offsets while they follow on', () => {
  assert.equal(nextOpOffset([], 4), 4);
  assert.equal(nextOpOffset([6, 4, 5], 4), 7);
  assert.equal(nextOpOffset([4, 6, 7], 4), 5);
  assert.equal(nextOpOffset([5, 6], 4), 4);
  assert.equal(nextOpOffset([2, 3, 4, 4, 5], 4), 6);
});
