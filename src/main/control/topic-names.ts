/** Names, prefixes and validation rules of RocketMQ topics and groups (reference 7.8, 7.9). */

export const AUTO_CREATE_TOPIC = 'TBW102';
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const BENCHMARK_TOPIC = 'BenchmarkTest';
export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
export const TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
export const SELF_TEST_TOPIC = 'SELF_TEST_TOPIC';
export const OFFSET_MOVED_EVENT = 'OFFSET_MOVED_EVENT';
export const REPLY_TOPIC_POSTFIX = 'REPLY_TOPIC';
export const SYSTEM_TOPIC_PREFIX = 'rmq_sys_';
export const RETRY_PREFIX = '%RETRY%';
export const DLQ_PREFIX = '%DLQ%';
export const SYS_CONSUMER_GROUP_PREFIX = 'CID_RMQ_SYS_';
export const SCHEDULE_QUEUE_NUMS = 18;

const TOPIC_MAX_LENGTH = 127;
const VALID_NAME = /^[%|a-zA-Z0-9_-]+$/;

/** Topics no client may send to. */
const NOT_ALLOWED_SEND = new Set([SCHEDULE_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC, SELF_TEST_TOPIC, OFFSET_MOVED_EVENT]);

/** The fixed part of RocketMQ's system topic set; the broker adds its cluster/broker-name topics. */
export const BASE_SYSTEM_TOPICS: readonly string[] = [
  AUTO_CREATE_TOPIC,
  SCHEDULE_TOPIC,
  BENCHMARK_TOPIC,
  TRANS_HALF_TOPIC,
  TRACE_TOPIC,
  TRANS_OP_HALF_TOPIC,
  TRANS_CHECK_MAX_TIME_TOPIC,
  SELF_TEST_TOPIC,
  OFFSET_MOVED_EVENT,
];

/** The remark RocketMQ answers for a bad topic name (code 1), or null when the name is valid. */
export function topicNameError(topic: string | undefined | null): string | null {
  if (topic === undefined || topic === null || topic.trim() === '') return 'The specified topic is blank.';
  if (!VALID_NAME.test(topic)) return 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
  if (topic.length > TOPIC_MAX_LENGTH) return 'The specified topic is longer than topic max length.';
  return null;
}

export function isNotAllowedSendTopic(topic: string): boolean {
  return NOT_ALLOWED_SEND.has(topic);
}

export const retryTopic = (group: string) => RETRY_PREFIX + group;
export const dlqTopic = (group: string) => DLQ_PREFIX + group;
export const isSysConsumerGroup = (group: string) => group.startsWith(SYS_CONSUMER_GROUP_PREFIX);
