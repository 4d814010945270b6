// Delay levels and SCHEDULE_TOPIC_XXXX (reference doc §7.1): pure rules shared by the send path,
// the dispatcher (ConsumeQueue tagsCode), the consumer send-back and the schedule service.

import { findProperty, PropertyKey } from './storage/properties.js';
import { MAX_TOPIC_LENGTH_V1 } from './storage/message.js';

export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
/** A message parked for a later delivery keeps these; they name where it goes when due. */
export const REAL_TOPIC = PropertyKey.REAL_TOPIC;
export const REAL_QID = PropertyKey.REAL_QID;
export const DELAY = PropertyKey.DELAY;
/** Cheap pre-check on a properties string: only strings containing it can carry a DELAY. */
export const DELAY_MARK = 'DELAY\u0001';
/** The half topic of transactions: a schedule message must never be delivered there (Java drops it). */
export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';

/** Java's timeUnitTable of ScheduleMessageService.parseDelayLevel. */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `messageDelayLevel` ("1s 5s 10s 30s 1m ... 2h") into delays in ms; index = level - 1.
 * Throws RangeError naming the bad entry (RocketMQ refuses to start then as well).
 */
export function parseDelayLevels(text: string): number[] {
  const parts = text.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length === 0) throw new RangeError('messageDelayLevel is empty: expected levels like "1s 5s 10s 30s 1m"');
  return parts.map((p, i) => {
    const m = /^(\d+)([smhd])$/.exec(p);
    if (!m) throw new RangeError(`messageDelayLevel entry ${i + 1} "${p}" is not a number followed by s, m, h or d`);
    return Number(m[1]) * UNIT_MS[m[2]];
  });
}

export const delayLevelToQueueId = (level: number) => level - 1;
export const queueIdToDelayLevel = (queueId: number) => queueId + 1;

/** Java `setDelayTimeLevel(min(level, maxDelayLevel))` on store. */
export function clampDelayLevel(level: number, maxLevel: number): number {
  return level > maxLevel ? maxLevel : level;
}

/** ScheduleMessageService.computeDeliverTimestamp: store time + delay of the level (1 s when unknown). */
export function deliverTimestamp(levels: readonly number[], level: number, storeTimestamp: number): number {
  const delay = level >= 1 && level <= levels.length ? levels[level - 1] : undefined;
  return delay === undefined ? storeTimestamp + 1000 : storeTimestamp + delay;
}

/**
 * DeliverDelayedMessageTimerTask.correctDeliverTimestamp: a deliver time further away than the
 * level's own delay (clock moved back, levels reconfigured shorter) means "now".
 */
export function correctDeliverTimestamp(levels: readonly number[], level: number, now: number, deliverAt: number): number {
  const delay = levels[level - 1] ?? 0;
  return deliverAt > now + delay ? now : deliverAt;
}

/** True when a unit with this tagsCode (its deliver time) of the level's queue is due at `now`. */
export function isDue(levels: readonly number[], level: number, now: number, tagsCode: number): boolean {
  return correctDeliverTimestamp(levels, level, now, tagsCode) - now <= 0;
}

/**
 * Java `Integer.parseInt` of a DELAY value: an int, or null when it is not one (Java throws; the
 * callers decide what that means).
 */
export function parseDelayLevel(value: string | undefined): number | null {
  if (value === undefined) return 0;
  if (!/^[+-]?\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n > 2147483647 || n < -2147483648 ? null : n;
}

const DELAY_KEY = Buffer.from(DELAY);

/**
 * The dispatcher's tagsCode for a SCHEDULE_TOPIC_XXXX record (CommitLog.checkMessageAndReturnSize):
 * the deliver time from its DELAY property (clamped to the max level), or `fallback` when the
 * record has no usable DELAY. `out` is scratch space (2 ints); no allocation.
 */
export function scheduleTagsCode(buf: Uint8Array, propsStart: number, propsEnd: number, storeTimestamp: number, levels: readonly number[], fallback: number, out: Int32Array): number {
  if (!findProperty(buf, propsStart, propsEnd, DELAY_KEY, out)) return fallback;
  let level = 0;
  const end = out[1];
  for (let i = out[0]; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57 || level > 100_000_000) return fallback;
    level = level * 10 + (c - 48);
  }
  if (level <= 0) return fallback;
  return deliverTimestamp(levels, clampDelayLevel(level, levels.length), storeTimestamp);
}

/** Java's properties-string rules (MessageDecoder.string2messageProperties) on a JS string. */
export function parsePropertiesText(text: string): Map<string, string> {
  const map = new Map<string, string>();
  let index = 0;
  while (index < text.length) {
    let next = text.indexOf('\u0002', index);
    if (next < 0) next = text.length;
    const kv = text.indexOf('\u0001', index);
    if (kv > index && kv < next - 1) map.set(text.slice(index, kv), text.slice(kv + 1, next));
    index = next + 1;
  }
  return map;
}

/** MessageDecoder.messageProperties2String without the trailing separator (Ferry's stored form). */
export function propertiesText(props: Map<string, string>): string {
  let s = '';
  for (const [k, v] of props) {
    if (s.length > 0) s += '\u0002';
    s += k + '\u0001' + v;
  }
  return s;
}

/** Where a delayed message is parked: the schedule queue of its (clamped) level. */
export interface ParkedTarget {
  topic: string;
  queueId: number;
  level: number;
}

/**
 * CommitLog.putMessage's delay rewrite, applied to a mutable properties map: when DELAY > 0 and the
 * transaction type is NOT or COMMIT, DELAY is clamped to the max level, REAL_TOPIC / REAL_QID name
 * the real destination, and the record goes to SCHEDULE_TOPIC_XXXX queue level-1. Returns null
 * when the message is not delayed. Throws RangeError for a DELAY that is not an int (Java's
 * NumberFormatException).
 */
export function parkForDelay(props: Map<string, string>, topic: string, queueId: number, sysFlag: number, maxLevel: number): ParkedTarget | null {
  const tx = sysFlag & 0xc;
  if (tx !== 0 && tx !== 0x8) return null;
  const raw = props.get(DELAY);
  const parsed = parseDelayLevel(raw);
  if (parsed === null) throw new RangeError(`the DELAY property "${raw}" is not a number`);
  if (parsed <= 0) return null;
  const level = clampDelayLevel(parsed, maxLevel);
  if (level !== parsed) props.set(DELAY, String(level));
  props.set(REAL_TOPIC, topic);
  props.set(REAL_QID, String(queueId));
  return { topic: SCHEDULE_TOPIC, queueId: delayLevelToQueueId(level), level };
}

/** The real destination of a due schedule message, and its properties without DELAY. */
export interface Delivery {
  topic: string;
  queueId: number;
  properties: Map<string, string>;
}

/**
 * ScheduleMessageService.messageTimeup: topic = REAL_TOPIC, queue = REAL_QID, DELAY removed,
 * REAL_* kept. Null (with the reason) when the parked record cannot be delivered: missing or bad
 * REAL_* properties, or the transaction half topic (which Java discards as a bug).
 */
export function deliveryOf(props: Map<string, string>): Delivery | { error: string } {
  const topic = props.get(REAL_TOPIC);
  const qid = props.get(REAL_QID);
  if (!topic) return { error: 'no REAL_TOPIC property' };
  if (topic.length > MAX_TOPIC_LENGTH_V1) return { error: `REAL_TOPIC "${topic}" is too long` };
  if (topic === TRANS_HALF_TOPIC) return { error: `the real topic is ${TRANS_HALF_TOPIC}` };
  if (qid === undefined || !/^\d{1,9}$/.test(qid)) return { error: `REAL_QID "${qid ?? ''}" is not a queue id` };
  const properties = new Map(props);
  properties.delete(DELAY);
  return { topic, queueId: Number(qid), properties };
}
