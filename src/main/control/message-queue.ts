import { JsonRaw } from '../../shared/storage/fastjson.js';

/** RocketMQ's MessageQueue bean. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** The bean as fastjson writes it (alphabetical fields), used as an object map key. */
export function mqJson(mq: MessageQueue): string {
  return '{"brokerName":' + JSON.stringify(mq.brokerName) + ',"queueId":' + mq.queueId + ',"topic":' + JSON.stringify(mq.topic) + '}';
}

export const mqKey = (mq: MessageQueue): JsonRaw => new JsonRaw(mqJson(mq));

/** Reads a MessageQueue from parsed JSON; null when the shape is wrong. */
export function toMessageQueue(v: unknown): MessageQueue | null {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const queueId = Number(o.queueId);
  if (typeof o.topic !== 'string' || !Number.isInteger(queueId)) return null;
  return { topic: o.topic, brokerName: typeof o.brokerName === 'string' ? o.brokerName : '', queueId };
}

/** Reads an array (or Set-like array) of MessageQueue, skipping malformed entries. */
export function toMessageQueues(v: unknown): MessageQueue[] {
  if (!Array.isArray(v)) return [];
  const out: MessageQueue[] = [];
  for (const item of v) {
    const mq = toMessageQueue(item);
    if (mq) out.push(mq);
  }
  return out;
}
