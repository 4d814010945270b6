import { javaHashCode } from '../../shared/storage/hash.js';
import { parseFastJson } from '../../shared/storage/fastjson.js';
import { systemError } from '../../shared/remoting/errors.js';

/** A consumer group's subscription to one topic (RocketMQ SubscriptionData). */
export interface SubscriptionData {
  classFilterMode: boolean;
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: string;
}

export interface ConsumerData {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptionDataSet: SubscriptionData[];
  unitMode: boolean;
}

export interface HeartbeatData {
  clientID: string;
  producerDataSet: { groupName: string }[];
  consumerDataSet: ConsumerData[];
}

// Enum names by ordinal, for clients that send numbers.
const CONSUME_TYPES = ['CONSUME_ACTIVELY', 'CONSUME_PASSIVELY', 'CONSUME_POP'];
const MESSAGE_MODELS = ['BROADCASTING', 'CLUSTERING'];
const CONSUME_FROM = [
  'CONSUME_FROM_LAST_OFFSET',
  'CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST',
  'CONSUME_FROM_MIN_OFFSET',
  'CONSUME_FROM_MAX_OFFSET',
  'CONSUME_FROM_FIRST_OFFSET',
  'CONSUME_FROM_TIMESTAMP',
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : d);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function enumName(v: unknown, names: string[], d: string): string {
  if (typeof v === 'number') return names[v] ?? d;
  if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? names[Number(v)] ?? d : v;
  return d;
}

function num(v: unknown, d: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : d;
}

/** Tags of a TAG expression: split on "||", trimmed, empty dropped; "*" or empty means all. */
export function tagsOf(subString: string): string[] {
  const s = subString.trim();
  if (s === '' || s === '*') return [];
  return s.split('||').map((t) => t.trim()).filter((t) => t !== '');
}

export function decodeSubscriptionData(v: unknown): SubscriptionData | null {
  if (!isObj(v)) return null;
  const topic = str(v.topic);
  if (topic === '') return null;
  const subString = str(v.subString, '*');
  const expressionType = str(v.expressionType, 'TAG') || 'TAG';
  let tagsSet = list(v.tagsSet).map((t) => str(t)).filter((t) => t !== '');
  if (tagsSet.length === 0 && expressionType === 'TAG' && !Array.isArray(v.tagsSet)) tagsSet = tagsOf(subString);
  let codeSet = list(v.codeSet).map((c) => num(c, NaN)).filter((c) => Number.isInteger(c));
  if (codeSet.length === 0 && tagsSet.length > 0 && expressionType === 'TAG') codeSet = tagsSet.map((t) => javaHashCode(t));
  return {
    classFilterMode: v.classFilterMode === true || v.classFilterMode === 'true',
    topic,
    subString,
    tagsSet,
    codeSet,
    subVersion: num(v.subVersion, 0),
    expressionType,
  };
}

/** Lenient HeartbeatData decoding (fastjson habits, numbers for enums, missing sets). */
export function decodeHeartbeat(body: Uint8Array | null): HeartbeatData {
  if (!body || body.length === 0) throw systemError('HEART_BEAT has no HeartbeatData body');
  let o: unknown;
  try {
    o = parseFastJson(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'));
  } catch (e) {
    throw systemError(`HEART_BEAT body is not HeartbeatData JSON: ${(e as Error).message}`);
  }
  if (!isObj(o)) throw systemError('HEART_BEAT body is not a JSON object');
  const clientID = str(o.clientID ?? o.clientId);
  const producerDataSet: { groupName: string }[] = [];
  for (const p of list(o.producerDataSet)) {
    const groupName = isObj(p) ? str(p.groupName) : '';
    if (groupName !== '') producerDataSet.push({ groupName });
  }
  const consumerDataSet: ConsumerData[] = [];
  for (const c of list(o.consumerDataSet)) {
    if (!isObj(c)) continue;
    const groupName = str(c.groupName);
    if (groupName === '') continue;
    const subs: SubscriptionData[] = [];
    for (const s of list(c.subscriptionDataSet)) {
      const sub = decodeSubscriptionData(s);
      if (sub) subs.push(sub);
    }
    consumerDataSet.push({
      groupName,
      consumeType: enumName(c.consumeType, CONSUME_TYPES, 'CONSUME_PASSIVELY'),
      messageModel: enumName(c.messageModel, MESSAGE_MODELS, 'CLUSTERING'),
      consumeFromWhere: enumName(c.consumeFromWhere, CONSUME_FROM, 'CONSUME_FROM_LAST_OFFSET'),
      subscriptionDataSet: subs,
      unitMode: c.unitMode === true || c.unitMode === 'true',
    });
  }
  return { clientID, producerDataSet, consumerDataSet };
}

/** SubscriptionData as fastjson writes it (alphabetical fields). */
export function subscriptionJson(s: SubscriptionData): Record<string, unknown> {
  return {
    classFilterMode: s.classFilterMode,
    codeSet: s.codeSet,
    expressionType: s.expressionType,
    subString: s.subString,
    subVersion: s.subVersion,
    tagsSet: s.tagsSet,
    topic: s.topic,
  };
}

export function sameSubscription(a: SubscriptionData, b: SubscriptionData): boolean {
  return (
    a.subString === b.subString &&
    a.expressionType === b.expressionType &&
    a.subVersion === b.subVersion &&
    a.classFilterMode === b.classFilterMode &&
    a.tagsSet.length === b.tagsSet.length &&
    a.tagsSet.every((t, i) => t === b.tagsSet[i]) &&
    a.codeSet.length === b.codeSet.length &&
    a.codeSet.every((c, i) => c === b.codeSet[i])
  );
}
