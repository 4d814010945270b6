import { RequestCode } from '../../shared/codes.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { ResponseCode } from '../../shared/codes.js';

/** SendMessageRequestHeader, from V1 keys (code 10) or the V2 short keys (310, 320, 325). */
export interface SendRequest {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  maxReconsumeTimes: number;
  batch: boolean;
}

const V2 = { producerGroup: 'a', topic: 'b', defaultTopic: 'c', defaultTopicQueueNums: 'd', queueId: 'e', sysFlag: 'f', bornTimestamp: 'g', flag: 'h', properties: 'i', reconsumeTimes: 'j', unitMode: 'k', maxReconsumeTimes: 'l', batch: 'm' } as const;

export function isV2(code: number): boolean {
  return code === RequestCode.SEND_MESSAGE_V2 || code === RequestCode.SEND_BATCH_MESSAGE || code === RequestCode.SEND_REPLY_MESSAGE_V2;
}

export function parseSendRequest(code: number, ext: Record<string, string> | null): SendRequest {
  const e = ext ?? {};
  const v2 = isV2(code);
  const get = (k: keyof typeof V2): string | undefined => e[v2 ? V2[k] : k] ?? (v2 ? e[k] : undefined);
  const req = (k: keyof typeof V2): string => {
    const v = get(k);
    if (v === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is null`);
    return v;
  };
  const int = (k: keyof typeof V2, v: string | undefined, def: number): number => {
    if (v === undefined || v === '') return def;
    if (!/^-?\d{1,19}$/.test(v)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is not a whole number: ${v}`);
    return Number(v);
  };
  return {
    producerGroup: req('producerGroup'),
    topic: req('topic'),
    defaultTopic: get('defaultTopic') ?? 'TBW102',
    defaultTopicQueueNums: int('defaultTopicQueueNums', get('defaultTopicQueueNums'), 4),
    queueId: int('queueId', req('queueId'), -1),
    sysFlag: int('sysFlag', req('sysFlag'), 0),
    bornTimestamp: int('bornTimestamp', req('bornTimestamp'), 0),
    flag: int('flag', req('flag'), 0),
    properties: get('properties') ?? '',
    reconsumeTimes: int('reconsumeTimes', get('reconsumeTimes'), 0),
    maxReconsumeTimes: int('maxReconsumeTimes', get('maxReconsumeTimes'), -1),
    batch: get('batch') === 'true' || code === RequestCode.SEND_BATCH_MESSAGE,
  };
}

const TOPIC_CHARS = /^[%|a-zA-Z0-9_-]+$/;
export const MAX_TOPIC_LENGTH = 127;
const NOT_SENDABLE = new Set(['SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC', 'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT']);

/** RocketMQ's TopicValidator: remark text as Java gives it; null when valid. */
export function topicProblem(topic: string): string | null {
  if (!topic) return 'The specified topic is blank.';
  if (!TOPIC_CHARS.test(topic)) return 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
  if (topic.length > MAX_TOPIC_LENGTH) return 'The specified topic is longer than topic max length.';
  return null;
}

export function notSendable(topic: string): boolean {
  return NOT_SENDABLE.has(topic);
}
