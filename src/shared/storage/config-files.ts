// Shapes of the broker's config JSON files (reference doc §6.6) and their fastjson-style codecs.
// Members are written alphabetically, like fastjson; table entries keep the caller's order.

import { parseFastJson, stringifyFastJson } from './fastjson.js';

export interface EncodeOptions {
  /** RocketMQ persists config files pretty-printed (default true); admin bodies are compact */
  pretty?: boolean;
}

export interface DataVersion {
  counter: number;
  timestamp: number;
  /** 5.x */
  stateVersion?: number;
}

export type TopicFilterType = 'SINGLE_TAG' | 'MULTI_TAG';

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
  /** 5.x */
  attributes?: Record<string, string>;
}

export interface GroupRetryPolicy {
  type: 'CUSTOMIZED' | 'EXPONENTIAL';
  customizedRetryPolicy?: unknown;
  exponentialRetryPolicy?: unknown;
}

export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  // 5.x
  consumeMessageOrderly: boolean;
  groupRetryPolicy: GroupRetryPolicy;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  subscriptionDataSet: unknown[] | null;
  attributes: Record<string, string>;
}

/** TopicConfig defaults of the Java class (16/16 queues, perm RW). */
export function defaultTopicConfig(topicName: string): TopicConfig {
  return {
    topicName,
    readQueueNums: 16,
    writeQueueNums: 16,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  };
}

export function defaultSubscriptionGroupConfig(name: string): SubscriptionGroupConfig {
  return {
    groupName: name,
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    consumeMessageOrderly: false,
    groupRetryPolicy: { type: 'CUSTOMIZED' },
    groupSysFlag: 0,
    consumeTimeoutMinute: 15,
    subscriptionDataSet: null,
    attributes: {},
  };
}

// ---- encoding ----

function pretty(opts?: EncodeOptions): boolean {
  return opts?.pretty ?? true;
}

function dataVersionJson(v: DataVersion): Record<string, number> {
  const o: Record<string, number> = { counter: v.counter };
  if (v.stateVersion !== undefined) o.stateVersion = v.stateVersion;
  o.timestamp = v.timestamp;
  return o;
}

function topicConfigJson(c: TopicConfig): Record<string, unknown> {
  return {
    attributes: c.attributes,
    order: c.order,
    perm: c.perm,
    readQueueNums: c.readQueueNums,
    topicFilterType: c.topicFilterType,
    topicName: c.topicName,
    topicSysFlag: c.topicSysFlag,
    writeQueueNums: c.writeQueueNums,
  };
}

function subscriptionGroupJson(c: SubscriptionGroupConfig): Record<string, unknown> {
  return {
    attributes: c.attributes,
    brokerId: c.brokerId,
    consumeBroadcastEnable: c.consumeBroadcastEnable,
    consumeEnable: c.consumeEnable,
    consumeFromMinEnable: c.consumeFromMinEnable,
    consumeMessageOrderly: c.consumeMessageOrderly,
    consumeTimeoutMinute: c.consumeTimeoutMinute,
    groupName: c.groupName,
    groupRetryPolicy: c.groupRetryPolicy,
    groupSysFlag: c.groupSysFlag,
    notifyConsumerIdsChangedEnable: c.notifyConsumerIdsChangedEnable,
    retryMaxTimes: c.retryMaxTimes,
    retryQueueNums: c.retryQueueNums,
    subscriptionDataSet: c.subscriptionDataSet,
    whichBrokerWhenConsumeSlowly: c.whichBrokerWhenConsumeSlowly,
  };
}

function mapValues<K, V, R>(m: Map<K, V>, f: (v: V) => R): Map<K, R> {
  const out = new Map<K, R>();
  for (const [k, v] of m) out.set(k, f(v));
  return out;
}

function sortedNumberMap(m: Map<number, number>): Map<number, number> {
  return new Map([...m].sort((a, b) => a[0] - b[0]));
}

/** One topic's config, as RocketMQ 5's GET_TOPIC_CONFIG answers it when the topic has no static queue mapping. */
export function encodeTopicConfigJson(c: TopicConfig): string {
  return stringifyFastJson(topicConfigJson(c));
}

export function encodeTopicsJson(
  dataVersion: DataVersion,
  topics: Map<string, TopicConfig>,
  opts?: EncodeOptions,
): string {
  return stringifyFastJson(
    { dataVersion: dataVersionJson(dataVersion), topicConfigTable: mapValues(topics, topicConfigJson) },
    { pretty: pretty(opts) },
  );
}

/** `{"offsetTable":{"topic@group":{0:15,1:12}}}` with unquoted queue ids, as Java writes it. */
export function encodeConsumerOffsetJson(
  table: Map<string, Map<number, number>>,
  opts?: EncodeOptions & { dataVersion?: DataVersion },
): string {
  const o: Record<string, unknown> = {};
  if (opts?.dataVersion) o.dataVersion = dataVersionJson(opts.dataVersion);
  o.offsetTable = mapValues(table, sortedNumberMap);
  return stringifyFastJson(o, { pretty: pretty(opts), unquotedIntKeys: true });
}

export function encodeSubscriptionGroupJson(
  dataVersion: DataVersion,
  groups: Map<string, SubscriptionGroupConfig>,
  opts?: EncodeOptions,
): string {
  return stringifyFastJson(
    { dataVersion: dataVersionJson(dataVersion), subscriptionGroupTable: mapValues(groups, subscriptionGroupJson) },
    { pretty: pretty(opts) },
  );
}

/** `{"offsetTable":{1:0,2:5}}`: delay level -> next offset of SCHEDULE_TOPIC_XXXX queue level-1. */
export function encodeDelayOffsetJson(
  table: Map<number, number>,
  opts?: EncodeOptions & { dataVersion?: DataVersion },
): string {
  const o: Record<string, unknown> = {};
  if (opts?.dataVersion) o.dataVersion = dataVersionJson(opts.dataVersion);
  o.offsetTable = sortedNumberMap(table);
  return stringifyFastJson(o, { pretty: pretty(opts), unquotedIntKeys: true });
}

// ---- decoding (fastjson-tolerant: numbers may come as strings, missing fields get defaults) ----

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function root(text: string, what: string): Obj {
  const v: unknown = parseFastJson(text);
  if (!isObj(v)) throw new SyntaxError(`${what}: expected a JSON object`);
  return v;
}

function num(v: unknown, d: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return d;
}

function bool(v: unknown, d: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return d;
}

function str(v: unknown, d: string): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : d;
}

function strRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}

function decodeDataVersion(v: unknown): DataVersion {
  const o = isObj(v) ? v : {};
  const dv: DataVersion = { counter: num(o.counter, 0), timestamp: num(o.timestamp, 0) };
  if (o.stateVersion !== undefined) dv.stateVersion = num(o.stateVersion, 0);
  return dv;
}

function decodeNumberMap(v: unknown): Map<number, number> {
  const out = new Map<number, number>();
  if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      const key = Number(k);
      if (Number.isInteger(key)) out.set(key, num(x, 0));
    }
  }
  return out;
}

export function decodeTopicConfig(name: string, v: unknown): TopicConfig {
  const o = isObj(v) ? v : {};
  const c = defaultTopicConfig(str(o.topicName, name));
  c.readQueueNums = num(o.readQueueNums, c.readQueueNums);
  c.writeQueueNums = num(o.writeQueueNums, c.writeQueueNums);
  c.perm = num(o.perm, c.perm);
  c.topicFilterType = o.topicFilterType === 'MULTI_TAG' ? 'MULTI_TAG' : 'SINGLE_TAG';
  c.topicSysFlag = num(o.topicSysFlag, c.topicSysFlag);
  c.order = bool(o.order, c.order);
  if (o.attributes !== undefined && o.attributes !== null) c.attributes = strRecord(o.attributes);
  return c;
}

export function decodeTopicsJson(text: string): { dataVersion: DataVersion; topicConfigTable: Map<string, TopicConfig> } {
  const o = root(text, 'topics.json');
  const table = new Map<string, TopicConfig>();
  if (isObj(o.topicConfigTable)) {
    for (const [name, v] of Object.entries(o.topicConfigTable)) table.set(name, decodeTopicConfig(name, v));
  }
  return { dataVersion: decodeDataVersion(o.dataVersion), topicConfigTable: table };
}

export function decodeConsumerOffsetJson(text: string): Map<string, Map<number, number>> {
  const o = root(text, 'consumerOffset.json');
  const table = new Map<string, Map<number, number>>();
  if (isObj(o.offsetTable)) {
    for (const [key, v] of Object.entries(o.offsetTable)) table.set(key, decodeNumberMap(v));
  }
  return table;
}

export function decodeSubscriptionGroupConfig(name: string, v: unknown): SubscriptionGroupConfig {
  const o = isObj(v) ? v : {};
  const c = defaultSubscriptionGroupConfig(str(o.groupName, name));
  c.consumeEnable = bool(o.consumeEnable, c.consumeEnable);
  c.consumeFromMinEnable = bool(o.consumeFromMinEnable, c.consumeFromMinEnable);
  c.consumeBroadcastEnable = bool(o.consumeBroadcastEnable, c.consumeBroadcastEnable);
  c.retryQueueNums = num(o.retryQueueNums, c.retryQueueNums);
  c.retryMaxTimes = num(o.retryMaxTimes, c.retryMaxTimes);
  c.brokerId = num(o.brokerId, c.brokerId);
  c.whichBrokerWhenConsumeSlowly = num(o.whichBrokerWhenConsumeSlowly, c.whichBrokerWhenConsumeSlowly);
  c.notifyConsumerIdsChangedEnable = bool(o.notifyConsumerIdsChangedEnable, c.notifyConsumerIdsChangedEnable);
  c.consumeMessageOrderly = bool(o.consumeMessageOrderly, c.consumeMessageOrderly);
  if (isObj(o.groupRetryPolicy)) {
    const p = o.groupRetryPolicy;
    const policy: GroupRetryPolicy = { type: p.type === 'EXPONENTIAL' ? 'EXPONENTIAL' : 'CUSTOMIZED' };
    if (p.customizedRetryPolicy !== undefined) policy.customizedRetryPolicy = p.customizedRetryPolicy;
    if (p.exponentialRetryPolicy !== undefined) policy.exponentialRetryPolicy = p.exponentialRetryPolicy;
    c.groupRetryPolicy = policy;
  }
  c.groupSysFlag = num(o.groupSysFlag, c.groupSysFlag);
  c.consumeTimeoutMinute = num(o.consumeTimeoutMinute, c.consumeTimeoutMinute);
  if (Array.isArray(o.subscriptionDataSet)) c.subscriptionDataSet = o.subscriptionDataSet;
  if (isObj(o.attributes)) c.attributes = strRecord(o.attributes);
  return c;
}

export function decodeSubscriptionGroupJson(text: string): {
  dataVersion: DataVersion;
  subscriptionGroupTable: Map<string, SubscriptionGroupConfig>;
} {
  const o = root(text, 'subscriptionGroup.json');
  const table = new Map<string, SubscriptionGroupConfig>();
  if (isObj(o.subscriptionGroupTable)) {
    for (const [name, v] of Object.entries(o.subscriptionGroupTable)) {
      table.set(name, decodeSubscriptionGroupConfig(name, v));
    }
  }
  return { dataVersion: decodeDataVersion(o.dataVersion), subscriptionGroupTable: table };
}

export function decodeDelayOffsetJson(text: string): Map<number, number> {
  return decodeNumberMap(root(text, 'delayOffset.json').offsetTable);
}
