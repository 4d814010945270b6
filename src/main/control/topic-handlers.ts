import { Perm, RequestCode, ResponseCode } from '../../shared/codes.js';
import type { RemotingCommand } from '../../shared/remoting/command.js';
import type { ChannelRef, TopicConfig } from '../../shared/worker-protocol.js';
import { stringifyObjectKeyMap } from '../../shared/storage/fastjson.js';
import { encodeTopicConfigJson } from '../../shared/storage/config-files.js';
import { ControlRequestCode } from './control-codes.js';
import { RequestFields } from './request-fields.js';
import { mqKey } from './message-queue.js';
import { fail, json, ok } from './respond.js';
import type { ControlState, HandlerTable } from './state.js';
import { DLQ_PREFIX, RETRY_PREFIX, isNotAllowedSendTopic, topicNameError } from './topic-names.js';

const RW = Perm.READ | Perm.WRITE;
/** TopicSysFlag bits. */
const FLAG_UNIT = 0x1;
const FLAG_UNIT_SUB = 0x2;
const MAX_QUEUE_NUMS = 65535;

/** RocketMQ's FAQUrl.suggestTodo(APPLY_TOPIC_URL) suffix. */
const APPLY_TOPIC_TIP = '\nSee http://rocketmq.apache.org/docs/faq/ for further details.';

/** SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and SEND_REPLY_MESSAGE_V2 carry the short header keys. */
const V2_KEYS: Record<string, string> = { topic: 'b', defaultTopic: 'c', defaultTopicQueueNums: 'd', unitMode: 'k' };
const V2_CODES = new Set<number>([RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE, RequestCode.SEND_REPLY_MESSAGE_V2]);

/**
 * The topic part of RocketMQ's pre-store checks (reference 3.2), for a send whose topic the
 * network worker does not know: null when the topic exists now (published to the workers), else
 * the error response.
 */
function checkSendTopic(cmd: RemotingCommand, channel: ChannelRef, s: ControlState): RemotingCommand | null {
  const f = new RequestFields(cmd);
  const v2 = V2_CODES.has(cmd.code);
  const key = (name: string) => (v2 && f.optStr(V2_KEYS[name]) !== undefined ? V2_KEYS[name] : name);
  const topic = f.str(key('topic'));
  const defaultTopic = f.str(key('defaultTopic'));
  const defaultQueueNums = f.int(key('defaultTopicQueueNums'));
  const unitMode = f.optBool(key('unitMode')) ?? false;

  if ((s.ctx.config.brokerPermission & Perm.WRITE) === 0 && s.topics.isOrderTopic(topic)) {
    return fail(cmd, ResponseCode.NO_PERMISSION, `the broker[${s.ctx.config.brokerIP1}] sending message is forbidden`);
  }
  const nameError = topicNameError(topic);
  if (nameError) return fail(cmd, ResponseCode.SYSTEM_ERROR, nameError);
  if (isNotAllowedSendTopic(topic)) return fail(cmd, ResponseCode.NO_PERMISSION, `Sending message to topic[${topic}] is forbidden.`);

  if (s.topics.get(topic)) {
    s.topics.republish(topic);
    return null;
  }
  // A worker moving a message to a dead-letter queue asks for it like this: 1 queue, read/write.
  if (topic.startsWith(DLQ_PREFIX)) {
    s.topics.createInSendMessageBackMethod(topic, 1, RW, 0);
    return null;
  }
  const sysFlag = unitMode ? (topic.startsWith(RETRY_PREFIX) ? FLAG_UNIT_SUB : FLAG_UNIT) : 0;
  let config = s.topics.createInSendMessageMethod(topic, defaultTopic, defaultQueueNums, sysFlag, channel.remoteAddr);
  if (!config && topic.startsWith(RETRY_PREFIX)) config = s.topics.createInSendMessageBackMethod(topic, 1, RW, sysFlag);
  if (!config) return fail(cmd, ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!${APPLY_TOPIC_TIP}`);
  return null;
}

function queueNums(f: RequestFields, name: string): number {
  const n = f.int(name);
  if (n < 0 || n > MAX_QUEUE_NUMS) throw new RangeError(`${name} ${n} is outside 0..${MAX_QUEUE_NUMS}`);
  return n;
}

/** Topic administration, topic statistics and the send-path topic check. */
export const topicHandlers: HandlerTable = {
  [RequestCode.SEND_MESSAGE]: checkSendTopic,
  [RequestCode.SEND_MESSAGE_V2]: checkSendTopic,
  [RequestCode.SEND_BATCH_MESSAGE]: checkSendTopic,
  [RequestCode.SEND_REPLY_MESSAGE]: checkSendTopic,
  [RequestCode.SEND_REPLY_MESSAGE_V2]: checkSendTopic,

  [RequestCode.UPDATE_AND_CREATE_TOPIC]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const topic = f.str('topic');
    f.str('defaultTopic');
    let read: number;
    let write: number;
    try {
      read = queueNums(f, 'readQueueNums');
      write = queueNums(f, 'writeQueueNums');
    } catch (e) {
      if (e instanceof RangeError) return fail(cmd, ResponseCode.SYSTEM_ERROR, e.message);
      throw e;
    }
    const perm = f.int('perm');
    const filterType = f.str('topicFilterType');
    const topicSysFlag = f.optInt('topicSysFlag') ?? 0;
    const order = f.optBool('order') ?? false;
    const nameError = topicNameError(topic);
    if (nameError) return fail(cmd, ResponseCode.SYSTEM_ERROR, nameError);
    if (s.topics.isSystemTopic(topic)) return fail(cmd, ResponseCode.SYSTEM_ERROR, `The topic[${topic}] is conflict with system topic.`);
    if (filterType !== 'SINGLE_TAG' && filterType !== 'MULTI_TAG') {
      return fail(cmd, ResponseCode.SYSTEM_ERROR, `topicFilterType "${filterType}" is not SINGLE_TAG or MULTI_TAG`);
    }
    const config: TopicConfig = { topicName: topic, readQueueNums: read, writeQueueNums: write, perm, topicFilterType: filterType, topicSysFlag, order };
    s.topics.update(config);
    return ok(cmd);
  },

  [RequestCode.GET_ALL_TOPIC_CONFIG]: (cmd, _channel, s) => ok(cmd, s.topics.encode(false), {}),

  [RequestCode.DELETE_TOPIC_IN_BROKER]: async (cmd, _channel, s) => {
    const topic = new RequestFields(cmd).str('topic');
    const nameError = topicNameError(topic);
    if (nameError) return fail(cmd, ResponseCode.SYSTEM_ERROR, nameError);
    if (s.topics.isSystemTopic(topic)) return fail(cmd, ResponseCode.SYSTEM_ERROR, `The topic[${topic}] is conflict with system topic.`);
    s.topics.delete(topic);
    try {
      await s.ctx.store.deleteTopic(topic);
    } catch (e) {
      s.ctx.logger.error({ topic, err: (e as Error).message }, 'cannot delete the topic\'s consume queues');
      return fail(cmd, ResponseCode.SYSTEM_ERROR, `topic config deleted, but its consume queues were not: ${(e as Error).message}`);
    }
    return ok(cmd);
  },

  /**
   * RocketMQ 5's admin tools ask for it before they read topic statistics (mqadmin topicStatus,
   * the dashboard): the topic's config, with no static queue mapping, as Ferry has none.
   */
  [RequestCode.GET_TOPIC_CONFIG]: (cmd, _channel, s) => {
    const topic = new RequestFields(cmd).str('topic');
    const config = s.topics.get(topic);
    if (!config) return fail(cmd, ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${topic}`);
    return ok(cmd, encodeTopicConfigJson(config));
  },

  /** TopicStatsTable: min/max offset and last store time of every write queue. */
  [RequestCode.GET_TOPIC_STATS_INFO]: (cmd, _channel, s) => {
    const topic = new RequestFields(cmd).str('topic');
    const config = s.topics.get(topic);
    if (!config) return fail(cmd, ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
    const store = s.ctx.store;
    const entries: [unknown, unknown][] = [];
    for (let i = 0; i < config.writeQueueNums; i++) {
      const min = Math.max(0, store.minOffset(topic, i));
      const max = Math.max(0, store.maxOffset(topic, i));
      const lastUpdateTimestamp = max > 0 ? store.storeTimeAt(topic, i, max - 1) : 0;
      entries.push([mqKey({ topic, brokerName: s.ctx.config.brokerName, queueId: i }), { lastUpdateTimestamp, maxOffset: max, minOffset: min }]);
    }
    return ok(cmd, json({ offsetTable: stringifyObjectKeyMap(entries) }));
  },

  [ControlRequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER]: (cmd, _channel, s) => ok(cmd, json({ topicList: s.topics.systemTopicList() })),
};
