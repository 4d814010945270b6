// Transactional messages (reference doc §3.8, §7.3): the pure rules shared by the send path (half
// messages), END_TRANSACTION in the network workers and the check service. RocketMQ 4.9's
// TransactionalMessageBridge, EndTransactionProcessor, TransactionalMessageServiceImpl.check and
// DefaultTransactionalMessageCheckListener, without their I/O.

import { ResponseCode } from './codes.js';
import { RemotingError } from './remoting/errors.js';
import { parkForDelay, parsePropertiesText, propertiesText } from './delay.js';
import { encodeRecord, recordLength, posStoreTimestamp, COMMIT, POS_PHYSICALOFFSET, POS_QUEUEOFFSET, POS_SYSFLAG, PREPARED, ROLLBACK, TRANSACTION_NOT_TYPE, type DecodedMessage } from './storage/message.js';
import { readInt, writeLong } from './storage/longs.js';
import { createOffsetMsgId } from './storage/msgid.js';
import { PropertyKey } from './storage/properties.js';
import { rewriteRecord } from './storage/rewrite.js';

export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
/** The internal consumer group whose offsets record the check service's progress (MixAll.CID_SYS_RMQ_TRANS). */
export const CID_RMQ_SYS_TRANS = 'CID_RMQ_SYS_TRANS';
/** Tag of an op message: the half message it names is settled (TransactionalMessageUtil.REMOVETAG). */
export const REMOVE_TAG = 'd';
/** Queue id of every half message (the op queue of a half queue has the same id). */
export const HALF_QUEUE_ID = 0;
/** Transaction type bits of sysFlag. */
export const TRANSACTION_TYPE_MASK = ROLLBACK;
export const MAX_PROCESS_TIME_MS = 60_000;

const { REAL_TOPIC, REAL_QID, TRAN_MSG, PGROUP, UNIQ_KEY, TRANSACTION_CHECK_TIMES, CHECK_IMMUNITY_TIME_IN_SECONDS, TRAN_PREPARED_QUEUE_OFFSET } = PropertyKey;

/** True for a send whose transaction type is PREPARED (the one integer test the send path pays). */
export const isPrepared = (sysFlag: number): boolean => (sysFlag & TRANSACTION_TYPE_MASK) === PREPARED;

/**
 * TransactionalMessageBridge.parseHalfMessageInner on a send's properties string (client form, no
 * CLUSTER): REAL_TOPIC / REAL_QID name where a commit delivers it. TRAN_MSG=true and PGROUP are
 * what the Java producer sets; they are filled in when a client left them out (PGROUP from the
 * request's producerGroup), since END_TRANSACTION and the check need them.
 */
export function halfSendProperties(text: string, realTopic: string, realQueueId: number, producerGroup: string): string {
  const props = parsePropertiesText(text);
  props.set(REAL_TOPIC, realTopic);
  props.set(REAL_QID, String(realQueueId));
  if (props.get(TRAN_MSG) !== 'true') props.set(TRAN_MSG, 'true');
  if (!props.has(PGROUP) && producerGroup) props.set(PGROUP, producerGroup);
  return propertiesText(props);
}

/** sysFlag of a half message as stored: transaction type NOT, so it gets a ConsumeQueue entry. */
export const halfSysFlag = (sysFlag: number): number => (sysFlag & ~TRANSACTION_TYPE_MASK) | TRANSACTION_NOT_TYPE;

/** EndTransactionRequestHeader. */
export interface EndTransactionHeader {
  producerGroup: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
  /** 0 unknown, 8 commit, 12 rollback. */
  commitOrRollback: number;
  fromTransactionCheck: boolean;
  msgId: string;
  transactionId?: string;
}

/** Java's decodeCommandCustomHeader + checkFields: the remark of a refused header, as RocketMQ words it. */
export function parseEndTransactionHeader(ext: Record<string, string> | null): EndTransactionHeader {
  const e = ext ?? {};
  const need = (k: string): string => {
    const v = e[k];
    if (v === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is null`);
    return v;
  };
  const long = (k: string): number => {
    const v = need(k);
    if (!/^[+-]?\d{1,19}$/.test(v) || !Number.isSafeInteger(Number(v))) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is not a number: ${v}`);
    return Number(v);
  };
  const header: EndTransactionHeader = {
    producerGroup: need('producerGroup'),
    tranStateTableOffset: long('tranStateTableOffset'),
    commitLogOffset: long('commitLogOffset'),
    commitOrRollback: long('commitOrRollback'),
    fromTransactionCheck: (e.fromTransactionCheck ?? '').toLowerCase() === 'true',
    msgId: need('msgId'),
    transactionId: e.transactionId,
  };
  const t = header.commitOrRollback;
  if (t !== TRANSACTION_NOT_TYPE && t !== COMMIT && t !== ROLLBACK) throw new RemotingError(ResponseCode.SYSTEM_ERROR, 'commitOrRollback field wrong');
  return header;
}

/**
 * EndTransactionProcessor.checkPrepareMessage: null when `half` (read at header.commitLogOffset)
 * is the half message the header names, else RocketMQ's remark. Ferry also refuses a record that
 * is not in the half topic (RocketMQ would commit any record carrying a matching PGROUP).
 */
export function checkHalfMessage(half: DecodedMessage | null, h: EndTransactionHeader): string | null {
  if (!half || half.topic !== TRANS_HALF_TOPIC) return 'Find prepared transaction message failed';
  if (half.properties.get(PGROUP) !== h.producerGroup) return 'The producer group wrong';
  if (half.queueOffset !== h.tranStateTableOffset) return 'The transaction state table offset wrong';
  if (half.physicalOffset !== h.commitLogOffset) return 'The commit log offset wrong';
  return null;
}

/** Where a stored record goes, and its bytes (offsets and store time are filled by the store writer). */
export interface RecordTarget {
  topic: string;
  queueId: number;
  record: Buffer;
}

/** REAL_TOPIC / REAL_QID of a half message, or a RemotingError (SYSTEM_ERROR) naming what is wrong. */
export function realTargetOf(half: DecodedMessage): { topic: string; queueId: number } {
  const topic = half.properties.get(REAL_TOPIC);
  const qid = half.properties.get(REAL_QID);
  if (!topic) throw new RemotingError(ResponseCode.SYSTEM_ERROR, 'the half message has no REAL_TOPIC property');
  if (qid === undefined || !/^\d{1,9}$/.test(qid)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the half message's REAL_QID "${qid ?? ''}" is not a queue id`);
  return { topic, queueId: Number(qid) };
}

/**
 * EndTransactionProcessor.endMessageTransaction for a commit: the half message in REAL_TOPIC /
 * REAL_QID with transaction type COMMIT, PREPARED TRANSACTION OFFSET = the half's commit-log
 * offset, TRAN_MSG removed (RocketMQ 4.9 means to clear it but encodes the string it built before
 * clearing; a consumer's fallback resend of a message carrying TRAN_MSG=true would come back as
 * a half message). REAL_TOPIC / REAL_QID / PGROUP stay, as in RocketMQ's stored bytes. A DELAY
 * still present parks the final message in its schedule queue, as CommitLog.putMessage does.
 */
export function finalMessage(half: DecodedMessage, maxDelayLevel: number): RecordTarget {
  const real = realTargetOf(half);
  const props = new Map(half.properties);
  props.delete(TRAN_MSG);
  const sysFlag = (half.sysFlag & ~TRANSACTION_TYPE_MASK) | COMMIT;
  let topic = real.topic;
  let queueId = real.queueId;
  let parked;
  try {
    parked = parkForDelay(props, topic, queueId, sysFlag, maxDelayLevel);
  } catch (e) {
    throw new RemotingError(ResponseCode.SYSTEM_ERROR, (e as Error).message);
  }
  if (parked) {
    topic = parked.topic;
    queueId = parked.queueId;
  }
  return { topic, queueId, record: rewrite(half, { topic, queueId, properties: props, reconsumeTimes: half.reconsumeTimes, sysFlag, preparedTransactionOffset: half.physicalOffset }) };
}

function rewrite(msg: DecodedMessage, target: Parameters<typeof rewriteRecord>[1]): Buffer {
  try {
    return rewriteRecord(msg, target);
  } catch (e) {
    throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, (e as Error).message);
  }
}

/** Body of an op message: the half message's queue offset as decimal text. */
export const opBody = (halfQueueOffset: number): Buffer => Buffer.from(String(halfQueueOffset), 'utf8');

/** Java Long.parseLong of an op body, -1 when it is not one (TransactionalMessageServiceImpl.getLong). */
export function parseOpBody(body: Uint8Array): number {
  const s = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (!/^[+-]?\d{1,19}$/.test(s)) return -1;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : -1;
}

/**
 * Properties of an op message: the Message(topic, "d", body) RocketMQ builds holds TAGS and WAIT,
 * stored in its HashMap's iteration order (WAIT hashes to bucket 13, TAGS to 14).
 */
const OP_PROPERTIES = Buffer.from(`WAIT\u0001true\u0002TAGS\u0001${REMOVE_TAG}`, 'utf8');
const OP_TOPIC = Buffer.from(TRANS_OP_HALF_TOPIC, 'utf8');

/**
 * TransactionalMessageBridge.addRemoveTagInTransactionOp: the op record that settles the half
 * message at `halfQueueOffset` of half queue `halfQueueId`, born and stored at the broker.
 */
export function opRecord(halfQueueOffset: number, halfQueueId: number, now: number, storeIp: Uint8Array, storePort: number): Buffer {
  const body = opBody(halfQueueOffset);
  const out = Buffer.allocUnsafe(recordLength(storeIp.length === 16 ? 0x30 : 0, body.length, OP_TOPIC.length, OP_PROPERTIES.length));
  encodeRecord(out, 0, {
    queueId: halfQueueId,
    flag: 0,
    queueOffset: 0,
    physicalOffset: 0,
    sysFlag: 0,
    bornTimestamp: now,
    bornHost: storeIp,
    bornPort: storePort,
    storeTimestamp: 0,
    storeHost: storeIp,
    storePort,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body,
    topic: OP_TOPIC,
    properties: OP_PROPERTIES,
  });
  return out;
}

// ---- the check ----

export interface CheckSettings {
  /** transactionTimeOut (ms): a half message younger than this is not checked yet. */
  transactionTimeout: number;
  /** transactionCheckMax: checks before a half message is given up. */
  transactionCheckMax: number;
  /** fileReservedTime in ms: a half message born longer ago is given up (needSkip). */
  fileReservedTimeMs: number;
}

/** What the check service does with one half message that has no op message. */
export type CheckDecision =
  /** Checked too often or too old: moved to TRANS_CHECK_MAX_TIME_TOPIC, then passed. */
  | { kind: 'discard'; properties: Map<string, string> }
  /** Stored during this scan, or not old enough yet: the scan of the queue stops here. */
  | { kind: 'stop' }
  /**
   * Within its own CHECK_IMMUNITY_TIME_IN_SECONDS: passed if an op names its first queue offset
   * (TRAN_PREPARED_QUEUE_OFFSET), else appended again with that property, unchecked.
   */
  | { kind: 'immunity'; properties: Map<string, string>; preparedQueueOffset: number | null }
  /** Appended again with TRANSACTION_CHECK_TIMES counted, and its producer asked. */
  | { kind: 'check'; properties: Map<string, string> };

/** Java Integer.parseInt / Long.parseLong as getInt / getLong use them: -1 when not a number. */
function javaInt(s: string, max: number): number {
  if (!/^[+-]?\d{1,19}$/.test(s)) return -1;
  const n = Number(s);
  return Math.abs(n) > max ? -1 : n;
}

/**
 * TransactionalMessageServiceImpl.check's decision for the half message at the scan position
 * (one without an op message), `scanStart` being when the queue's scan began. The properties
 * returned are those of the copy to write: TRANSACTION_CHECK_TIMES set to 1 on the first look and
 * counted up on every later one (needDiscard's side effect, which Java applies before the other
 * tests too).
 */
export function decideCheck(msg: Pick<DecodedMessage, 'properties' | 'bornTimestamp' | 'storeTimestamp' | 'queueOffset'>, now: number, scanStart: number, s: CheckSettings): CheckDecision {
  const properties = new Map(msg.properties);
  const times = msg.properties.get(TRANSACTION_CHECK_TIMES);
  let discard = false;
  if (times === undefined) properties.set(TRANSACTION_CHECK_TIMES, '1');
  else {
    const n = javaInt(times, 2147483647);
    if (n >= s.transactionCheckMax) discard = true;
    else properties.set(TRANSACTION_CHECK_TIMES, String(n + 1));
  }
  if (discard || now - msg.bornTimestamp > s.fileReservedTimeMs) return { kind: 'discard', properties };
  if (msg.storeTimestamp >= scanStart) return { kind: 'stop' };
  const age = now - msg.bornTimestamp;
  const immunityText = msg.properties.get(CHECK_IMMUNITY_TIME_IN_SECONDS);
  let immunity = s.transactionTimeout;
  if (immunityText !== undefined) {
    const secs = javaInt(immunityText, Number.MAX_SAFE_INTEGER);
    immunity = secs === -1 ? s.transactionTimeout : secs * 1000;
    if (age < immunity) {
      const prepared = msg.properties.get(TRAN_PREPARED_QUEUE_OFFSET);
      if (prepared === undefined) properties.set(TRAN_PREPARED_QUEUE_OFFSET, String(msg.queueOffset));
      const at = prepared === undefined ? null : javaInt(prepared, Number.MAX_SAFE_INTEGER);
      // A TRAN_PREPARED_QUEUE_OFFSET that is not a number: Java loops on it until the scan's time
      // limit; Ferry leaves it for the next scan.
      if (at === -1) return { kind: 'stop' };
      return { kind: 'immunity', properties, preparedQueueOffset: at };
    }
  } else if (age >= 0 && age < immunity) {
    return { kind: 'stop' };
  }
  return { kind: 'check', properties };
}

/** The half message appended again with the properties a check decision gives it (renewHalfMessageInner). */
export function renewedHalf(half: DecodedMessage, properties: Map<string, string>): Buffer {
  return rewrite(half, { topic: half.topic, queueId: half.queueId, properties, reconsumeTimes: half.reconsumeTimes });
}

/** DefaultTransactionalMessageCheckListener.toMessageExtBrokerInner: the given-up half in TRANS_CHECK_MAX_TIME_TOPIC queue 0. */
export function discardedHalf(half: DecodedMessage, properties: Map<string, string>): Buffer {
  return rewrite(half, { topic: TRANS_CHECK_MAX_TIME_TOPIC, queueId: 0, properties, reconsumeTimes: half.reconsumeTimes });
}

/** Where the renewed half copy was stored (the store writer's completion). */
export interface StoredAt {
  queueOffset: number;
  physicalOffset: number;
}

/**
 * AbstractTransactionalMessageCheckListener.sendCheckMessage + Broker2Client: the oneway
 * CHECK_TRANSACTION_STATE request for a renewed half copy. Header keys in fastjson's order; the
 * body is the copy as Java's MessageDecoder.encode writes it (v1), with topic and queue set back
 * to REAL_TOPIC / REAL_QID, the copy's offsets, and the store time of the half message read.
 * Returns null when the half names no producer group or no real queue (nobody can be asked).
 */
export function checkRequest(half: DecodedMessage, properties: Map<string, string>, at: StoredAt): { group: string; extFields: Record<string, string>; body: Buffer } | null {
  const group = properties.get(PGROUP);
  if (!group) return null;
  let real;
  try {
    real = realTargetOf(half);
  } catch {
    return null;
  }
  const uniq = properties.get(UNIQ_KEY);
  const extFields: Record<string, string> = { commitLogOffset: String(at.physicalOffset) };
  if (uniq !== undefined) extFields.msgId = uniq;
  extFields.offsetMsgId = createOffsetMsgId(half.storeHostIp, half.storePort, at.physicalOffset);
  extFields.tranStateTableOffset = String(at.queueOffset);
  if (uniq !== undefined) extFields.transactionId = uniq;
  const body = rewrite(half, { topic: real.topic, queueId: real.queueId, properties, reconsumeTimes: half.reconsumeTimes, preparedTransactionOffset: half.preparedTransactionOffset });
  writeLong(body, POS_QUEUEOFFSET, at.queueOffset);
  writeLong(body, POS_PHYSICALOFFSET, at.physicalOffset);
  writeLong(body, posStoreTimestamp(readInt(body, POS_SYSFLAG)), half.storeTimestamp);
  return { group, extFields, body };
}

/**
 * calculateOpOffset: the op queue's progress moves over the op messages handled, as long as
 * they follow on from it without a gap.
 */
export function nextOpOffset(done: number[], opOffset: number): number {
  const sorted = [...done].sort((a, b) => a - b);
  let next = opOffset;
  for (const o of sorted) {
    if (o === next) next++;
    else if (o > next) break;
  }
  return next;
}
