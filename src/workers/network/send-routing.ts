import { ResponseCode } from '../../shared/codes.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { DELAY, DELAY_MARK, parkForDelay, parseDelayLevel, parsePropertiesText, propertiesText, SCHEDULE_TOPIC } from '../../shared/delay.js';
import { DEFAULT_RETRY_MAX_TIMES, dlqTopicOf, effectiveMaxReconsumeTimes, groupOfRetryTopic, RETRY_PREFIX, sendGoesToDlq } from '../../shared/retry.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import type { Replica } from './replica.js';
import type { SendRequest } from './send-request.js';

/** RocketMQ's FAQUrl.suggestTodo suffix. */
export const FAQ_TIP = '\nSee http://rocketmq.apache.org/docs/faq/ for further details.';

export interface RoutingDeps {
  replica: Replica;
  config: BrokerConfig;
  /** Number of configured delay levels (the max level). */
  maxDelayLevel: number;
}

/** Where a send is stored instead of its own topic/queue. */
export type SendRoute =
  /** Store with this topic, queue (and its slot) and properties string (client form, without CLUSTER). */
  | { kind: 'store'; topic: string; queueId: number; slot: number; properties: string }
  /** The topic (a DLQ) is missing: ask the control plane to create it, then route again. */
  | { kind: 'create'; topic: string };

/**
 * The pre-check the send path makes on every send, without allocating: only sends to a retry
 * topic, or whose properties may hold DELAY, need `routeSend`.
 */
export function needsRouting(req: SendRequest): boolean {
  return req.properties.includes(DELAY_MARK) || req.topic.startsWith(RETRY_PREFIX);
}

/** subscription group of a retry send, as Java's findSubscriptionGroupConfig finds (or auto-creates) it. */
function retryMaxTimesOf(group: string, d: RoutingDeps): number {
  const g = d.replica.groups.get(group);
  if (g) return g.retryMaxTimes;
  if (d.config.autoCreateSubscriptionGroup) return DEFAULT_RETRY_MAX_TIMES;
  throw new RemotingError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${group} ${FAQ_TIP}`);
}

/**
 * SendMessageProcessor.handleRetryAndDLQ plus CommitLog.putMessage's delay rewrite for one send
 * whose topic exists (queueId already chosen). Returns null when the message is stored as sent.
 * Throws RemotingError with RocketMQ's code for refused sends.
 */
export function routeSend(req: SendRequest, requestVersion: number, queueId: number, batch: boolean, d: RoutingDeps, afterCreate: boolean): SendRoute | null {
  if (batch) {
    // A batch can't be delayed (CommitLog.putMessages), and retry rules don't apply to batches.
    if (req.properties.includes(DELAY_MARK)) {
      const level = parseDelayLevel(parsePropertiesText(req.properties).get(DELAY));
      if (level === null || level > 0) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, 'the message is illegal, maybe msg body or properties length not matched. a batch can not be a delayed message');
    }
    return null;
  }
  let topic = req.topic;
  let qid = queueId;
  let moved = false;
  const group = groupOfRetryTopic(topic);
  if (group !== null) {
    const max = effectiveMaxReconsumeTimes(requestVersion, req.maxReconsumeTimes >= 0 ? req.maxReconsumeTimes : undefined, retryMaxTimesOf(group, d));
    if (sendGoesToDlq(req.reconsumeTimes, max)) {
      topic = dlqTopicOf(group);
      qid = 0;
      moved = true;
      if (!d.replica.topics.get(topic)) {
        if (afterCreate) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `topic[${topic}] not exist`);
        return { kind: 'create', topic };
      }
    }
  }
  if (req.properties.includes(DELAY_MARK)) {
    const props = parsePropertiesText(req.properties);
    let parked;
    try {
      parked = parkForDelay(props, topic, qid, req.sysFlag, d.maxDelayLevel);
    } catch (e) {
      throw new RemotingError(ResponseCode.SYSTEM_ERROR, (e as Error).message);
    }
    if (parked) {
      const schedule = d.replica.topics.get(SCHEDULE_TOPIC);
      const slot = schedule?.slots[parked.queueId];
      if (slot === undefined) {
        throw new RemotingError(ResponseCode.SYSTEM_ERROR, `delay level ${parked.level} has no queue in ${SCHEDULE_TOPIC} (it has ${schedule?.slots.length ?? 0} queues)`);
      }
      return { kind: 'store', topic: SCHEDULE_TOPIC, queueId: parked.queueId, slot, properties: propertiesText(props) };
    }
  }
  if (!moved) return null;
  const entry = d.replica.topics.get(topic)!;
  if (entry.slots.length === 0) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `topic[${topic}] has no queue`);
  return { kind: 'store', topic, queueId: qid, slot: entry.slots[qid], properties: req.properties };
}
