// Retry and dead-letter rules (reference doc §3.7, §7.2): which topic a retried message goes to,
// and the message CONSUMER_SEND_MSG_BACK stores. Pure.

import { PropertyKey } from './storage/properties.js';

export const RETRY_PREFIX = '%RETRY%';
export const DLQ_PREFIX = '%DLQ%';
/** DLQ_NUMS_PER_GROUP */
export const DLQ_QUEUE_NUMS = 1;
/** Default SubscriptionGroupConfig.retryMaxTimes. */
export const DEFAULT_RETRY_MAX_TIMES = 16;
/**
 * MQVersion V3_4_9: from this request version on, the send header / send-back header's
 * maxReconsumeTimes overrides the group's retryMaxTimes.
 */
export const MAX_RECONSUME_TIMES_VERSION = 121;
/** Level used when the consumer asks for "broker's choice" (delayLevel 0): 3 + reconsumeTimes. */
export const RETRY_BASE_LEVEL = 3;

export const retryTopicOf = (group: string) => RETRY_PREFIX + group;
export const dlqTopicOf = (group: string) => DLQ_PREFIX + group;

/** The group of a `%RETRY%<group>` topic, or null for any other topic. */
export function groupOfRetryTopic(topic: string): string | null {
  return topic.startsWith(RETRY_PREFIX) ? topic.slice(RETRY_PREFIX.length) : null;
}

/**
 * The max reconsume times in force for a request: the header's value when the client is recent
 * enough (version >= 121) and sent one, else the group's retryMaxTimes.
 */
export function effectiveMaxReconsumeTimes(requestVersion: number, headerValue: number | undefined, groupRetryMaxTimes: number): number {
  if (requestVersion >= MAX_RECONSUME_TIMES_VERSION && headerValue !== undefined && Number.isFinite(headerValue)) return headerValue;
  return groupRetryMaxTimes;
}

/** SendMessageProcessor.handleRetryAndDLQ: a `%RETRY%` send goes to the DLQ once reconsumeTimes reaches the max. */
export function sendGoesToDlq(reconsumeTimes: number, maxReconsumeTimes: number): boolean {
  return reconsumeTimes >= maxReconsumeTimes;
}

export interface SendBackDecision {
  /** true: `%DLQ%<group>` (queue 0, no delay); false: `%RETRY%<group>` with `delayLevel`. */
  dlq: boolean;
  topic: string;
  queueId: number;
  /** 0 for the DLQ. */
  delayLevel: number;
}

/**
 * CONSUMER_SEND_MSG_BACK's routing: the DLQ when the message was already reconsumed
 * `maxReconsumeTimes` times or the consumer asked for it (delayLevel < 0); else the retry topic,
 * a random queue in [0, retryQueueNums), level `delayLevel` or 3 + reconsumeTimes when 0.
 * `random` returns a number in [0, 1).
 */
export function decideSendBack(group: string, reconsumeTimes: number, maxReconsumeTimes: number, delayLevel: number, retryQueueNums: number, random: () => number = Math.random): SendBackDecision {
  if (reconsumeTimes >= maxReconsumeTimes || delayLevel < 0) return { dlq: true, topic: dlqTopicOf(group), queueId: 0, delayLevel: 0 };
  const queueId = Math.floor(random() * Math.max(1, retryQueueNums)) % Math.max(1, retryQueueNums);
  return { dlq: false, topic: retryTopicOf(group), queueId, delayLevel: delayLevel === 0 ? RETRY_BASE_LEVEL + reconsumeTimes : delayLevel };
}

/**
 * The properties of the message a send-back stores, from the original's: RETRY_TOPIC set to the
 * original topic if absent, ORIGIN_MESSAGE_ID kept or set to the original's msgId, WAIT=false
 * (Java's setWaitStoreMsgOK(false)), DELAY = the level (removed for the DLQ). Returns a new map.
 */
export function sendBackProperties(original: Map<string, string>, originalTopic: string, originalMsgId: string, decision: SendBackDecision): Map<string, string> {
  const props = new Map(original);
  if (!props.has(PropertyKey.RETRY_TOPIC)) props.set(PropertyKey.RETRY_TOPIC, originalTopic);
  props.set(PropertyKey.WAIT, 'false');
  if (decision.dlq) props.delete(PropertyKey.DELAY);
  else props.set(PropertyKey.DELAY, String(decision.delayLevel));
  const origin = props.get(PropertyKey.ORIGIN_MESSAGE_ID);
  if (!origin || origin.trim() === '') props.set(PropertyKey.ORIGIN_MESSAGE_ID, originalMsgId);
  return props;
}
