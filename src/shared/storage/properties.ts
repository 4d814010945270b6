// Message properties string (reference doc §4.4/§4.5): key 0x01 value 0x02 key 0x01 value ...

import { bytesEqual, utf8Slice } from './text.js';

export const NAME_VALUE_SEPARATOR = 1;
export const PROPERTY_SEPARATOR = 2;
export const MAX_PROPERTIES_LENGTH = 32767;

export const PropertyKey = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  BUYER_ID: 'BUYER_ID',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  TRANSFER_FLAG: 'TRANSFER_FLAG',
  CORRECTION_FLAG: 'CORRECTION_FLAG',
  MQ2_FLAG: 'MQ2_FLAG',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MSG_REGION: 'MSG_REGION',
  TRACE_ON: 'TRACE_ON',
  UNIQ_KEY: 'UNIQ_KEY',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIME: 'CONSUME_START_TIME',
  TRAN_PREPARED_QUEUE_OFFSET: 'TRAN_PREPARED_QUEUE_OFFSET',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  INSTANCE_ID: 'INSTANCE_ID',
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  TTL: 'TTL',
  ARRIVE_TIME: 'ARRIVE_TIME',
  PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  MSG_TYPE: 'MSG_TYPE',
  CLUSTER: 'CLUSTER',
  INNER_MULTI_DISPATCH: 'INNER_MULTI_DISPATCH',
  INNER_MULTI_QUEUE_OFFSET: 'INNER_MULTI_QUEUE_OFFSET',
  TRANSACTION_ID: '__transactionId__',
  // 5.x only
  EXTEND_UNIQ_INFO: 'EXTEND_UNIQ_INFO',
  INNER_NUM: 'INNER_NUM',
  INNER_BASE: 'INNER_BASE',
  DUP_INFO: 'DUP_INFO',
  POP_CK: 'POP_CK',
  POP_CK_OFFSET: 'POP_CK_OFFSET',
  FIRST_POP_TIME: '1ST_POP_TIME',
  SHARDING_KEY: '__SHARDINGKEY',
  FORWARD_QUEUE_ID: 'PROPERTY_FORWARD_QUEUE_ID',
  REDIRECT: 'REDIRECT',
  TRACE_CONTEXT: 'TRACE_CONTEXT',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TIMER_DELAY_MS: 'TIMER_DELAY_MS',
  TIMER_ENQUEUE_MS: 'TIMER_ENQUEUE_MS',
  TIMER_DEQUEUE_MS: 'TIMER_DEQUEUE_MS',
  TIMER_ROLL_TIMES: 'TIMER_ROLL_TIMES',
  TIMER_OUT_MS: 'TIMER_OUT_MS',
  TIMER_DEL_UNIQKEY: 'TIMER_DEL_UNIQKEY',
  TIMER_DELAY_LEVEL: 'TIMER_DELAY_LEVEL',
  BORN_HOST: '__BORNHOST',
  BORN_TIMESTAMP: 'BORN_TIMESTAMP',
  TRANSIENT_PREFIX: '__RMQ.TRANSIENT.',
  CRC32: '__CRC32#',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
} as const;

/** Encodes without a trailing separator; null/undefined values are skipped. */
export function encodeProperties(
  props: Map<string, string | null | undefined> | Record<string, string | null | undefined>,
): Buffer {
  const entries = props instanceof Map ? props.entries() : Object.entries(props);
  let s = '';
  for (const [k, v] of entries) {
    if (v === null || v === undefined) continue;
    if (s.length > 0) s += '\u0002';
    s += k + '\u0001' + v;
  }
  return Buffer.from(s, 'utf8');
}

/**
 * A properties string (text form, as a request header carries it) without the pairs named `key`;
 * the other pairs keep their order.
 */
export function withoutPropertyText(text: string, key: string): string {
  const prefix = key + '\u0001';
  if (!text.includes(prefix)) return text;
  return text
    .split('\u0002')
    .filter((pair) => !pair.startsWith(prefix))
    .join('\u0002');
}

function indexOfByte(buf: Uint8Array, b: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === b) return i;
  return -1;
}

/** Where the pair at `index` ends: at the next PROPERTY_SEPARATOR, or at `end`. */
function pairEnd(buf: Uint8Array, index: number, end: number): number {
  const next = indexOfByte(buf, PROPERTY_SEPARATOR, index, end);
  return next < 0 ? end : next;
}

/**
 * The NAME_VALUE_SEPARATOR of the pair [index, next), or -1 when Java's string2messageProperties
 * drops the pair: no separator, an empty key or an empty value.
 */
function pairKeyEnd(buf: Uint8Array, index: number, next: number): number {
  const kv = indexOfByte(buf, NAME_VALUE_SEPARATOR, index, next);
  return kv > index && kv < next - 1 ? kv : -1;
}

/**
 * Java's string2messageProperties: segments without a separator, with an empty key or an empty
 * value are dropped; a repeated key keeps the last value. Separators are ASCII, so scanning bytes
 * is equivalent to scanning UTF-16 chars.
 */
export function parseProperties(buf: Uint8Array, start: number, end: number): Map<string, string> {
  const map = new Map<string, string>();
  for (let index = start; index < end; ) {
    const next = pairEnd(buf, index, end);
    const kv = pairKeyEnd(buf, index, next);
    if (kv >= 0) map.set(utf8Slice(buf, index, kv), utf8Slice(buf, kv + 1, next));
    index = next + 1;
  }
  return map;
}

/**
 * Finds the values of several keys (UTF-8 bytes) in one pass, with the same rules as
 * parseProperties (last occurrence wins): for keys[i], out[2i] and out[2i + 1] get the value's
 * range, or -1 and -1 when it is absent. No allocation.
 */
export function findProperties(buf: Uint8Array, start: number, end: number, keys: readonly Uint8Array[], out: Int32Array): void {
  out.fill(-1, 0, keys.length * 2);
  for (let index = start; index < end; ) {
    const next = pairEnd(buf, index, end);
    const kv = pairKeyEnd(buf, index, next);
    if (kv >= 0) {
      for (let i = 0; i < keys.length; i++) {
        if (!bytesEqual(buf, index, kv, keys[i])) continue;
        out[2 * i] = kv + 1;
        out[2 * i + 1] = next;
      }
    }
    index = next + 1;
  }
}

const oneKey: Uint8Array[] = [new Uint8Array(0)];

/**
 * findProperties for one key: on success writes out[0] = valueStart, out[1] = valueEnd and
 * returns true.
 */
export function findProperty(buf: Uint8Array, start: number, end: number, key: Uint8Array, out: Int32Array): boolean {
  oneKey[0] = key;
  findProperties(buf, start, end, oneKey, out);
  return out[0] >= 0;
}
