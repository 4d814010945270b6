import { jsonDouble, stringifyObjectKeyMap, type JsonRaw } from '../../shared/storage/fastjson.js';
import { mqKey } from './message-queue.js';
import type { ControlState } from './state.js';

export type OffsetEntry = [JsonRaw, { brokerOffset: number; consumerOffset: number; lastTimestamp: number }];

/**
 * RocketMQ OffsetWrappers of a group on queues 0..queueCount-1 of a topic (broker max offset, the
 * group's committed offset, store time of the last consumed message) and the total lag.
 */
export function queueOffsets(s: ControlState, group: string, topic: string, queueCount: number): { entries: OffsetEntry[]; diff: number } {
  const store = s.ctx.store;
  const entries: OffsetEntry[] = [];
  let diff = 0;
  for (let i = 0; i < queueCount; i++) {
    const brokerOffset = Math.max(0, store.maxOffset(topic, i));
    const consumerOffset = Math.max(0, s.offsets.query(group, topic, i));
    let lastTimestamp = 0;
    if (consumerOffset > 0) {
      const t = store.storeTimeAt(topic, i, consumerOffset - 1);
      if (t > 0) lastTimestamp = t;
    }
    diff += brokerOffset - consumerOffset;
    entries.push([mqKey({ topic, brokerName: s.ctx.config.brokerName, queueId: i }), { brokerOffset, consumerOffset, lastTimestamp }]);
  }
  return { entries, diff };
}

/** ConsumeStats as fastjson writes it. Ferry keeps no per-group TPS statistics yet: consumeTps 0.0. */
export function consumeStatsJson(entries: OffsetEntry[]): { consumeTps: JsonRaw; offsetTable: JsonRaw } {
  return { consumeTps: jsonDouble(0), offsetTable: stringifyObjectKeyMap(entries) };
}

/**
 * Topics RocketMQ reports for a group: the given one, or every topic with stored offsets; topics
 * unknown to the broker are skipped, and so are topics the group no longer subscribes to while
 * it has subscriptions.
 */
export function statsTopics(s: ControlState, group: string, topic: string | undefined): string[] {
  const candidates = topic !== undefined && topic.trim() !== '' ? [topic] : s.offsets.topicsOf(group);
  return candidates.filter((t) => {
    if (!s.topics.get(t)) return false;
    return !(s.consumers.findSubscription(group, t) === undefined && s.consumers.subscriptionCount(group) > 0);
  });
}
