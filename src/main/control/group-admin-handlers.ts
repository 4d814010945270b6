import { LanguageCode, RequestCode, ResponseCode } from '../../shared/codes.js';
import { parseFastJson } from '../../shared/storage/fastjson.js';
import { decodeSubscriptionGroupConfig } from '../../shared/storage/config-files.js';
import type { ClientChannelInfo } from './client-channel.js';
import { ControlRequestCode } from './control-codes.js';
import { consumeStatsJson, queueOffsets, statsTopics, type OffsetEntry } from './consume-stats.js';
import { subscriptionJson } from './heartbeat.js';
import { RequestFields } from './request-fields.js';
import { bodyText, fail, json, ok } from './respond.js';
import type { HandlerTable } from './state.js';
import { readDelayOffsetBody } from '../../workers/schedule/delay-progress.js';

/** RocketMQ Connection bean. */
const connectionJson = (c: ClientChannelInfo) => ({
  clientAddr: c.channel.remoteAddr,
  clientId: c.clientId,
  language: LanguageCode[c.language] ?? 'OTHER',
  version: c.version,
});

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Java "yyyy-MM-dd#HH:mm:ss:SSS" in local time (QueueTimeSpan's *Str getters). */
function timeText(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}#${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}:${pad(d.getMilliseconds(), 3)}`;
}

/** Subscription groups, connections, consume progress (mqadmin / dashboard). */
export const groupAdminHandlers: HandlerTable = {
  [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP]: (cmd, _channel, s) => {
    const text = bodyText(cmd);
    if (text === '') return fail(cmd, ResponseCode.SYSTEM_ERROR, 'the request has no SubscriptionGroupConfig body');
    let o: unknown;
    try {
      o = parseFastJson(text);
    } catch (e) {
      return fail(cmd, ResponseCode.SYSTEM_ERROR, `the SubscriptionGroupConfig body is not JSON: ${(e as Error).message}`);
    }
    const config = decodeSubscriptionGroupConfig('', o);
    if (config.groupName === '') return fail(cmd, ResponseCode.SYSTEM_ERROR, 'the SubscriptionGroupConfig has no groupName');
    s.groups.update(config);
    return ok(cmd);
  },

  [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG]: (cmd, _channel, s) => ok(cmd, s.groups.encode(false)),

  [RequestCode.DELETE_SUBSCRIPTIONGROUP]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const group = f.str('groupName');
    s.groups.delete(group);
    if (f.optBool('removeOffset') || f.optBool('cleanOffset')) s.offsets.removeGroup(group);
    return ok(cmd);
  },

  [RequestCode.GET_CONSUMER_CONNECTION_LIST]: (cmd, _channel, s) => {
    const group = new RequestFields(cmd).str('consumerGroup');
    const info = s.consumers.group(group);
    if (!info) return fail(cmd, ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
    const subscriptionTable = new Map([...info.subscriptions].map(([topic, sub]) => [topic, subscriptionJson(sub)]));
    return ok(
      cmd,
      json({
        connectionSet: [...info.channels.values()].map(connectionJson),
        consumeFromWhere: info.consumeFromWhere,
        consumeType: info.consumeType,
        messageModel: info.messageModel,
        subscriptionTable,
      }),
    );
  },

  [RequestCode.GET_PRODUCER_CONNECTION_LIST]: (cmd, _channel, s) => {
    const group = new RequestFields(cmd).str('producerGroup');
    const connections = s.producers.connections(group);
    if (!connections) return fail(cmd, ResponseCode.SYSTEM_ERROR, `the producer group[${group}] not exist`);
    return ok(cmd, json({ connectionSet: connections.map(connectionJson) }));
  },

  [RequestCode.GET_CONSUME_STATS]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const group = f.str('consumerGroup');
    const entries: OffsetEntry[] = [];
    for (const topic of statsTopics(s, group, f.optStr('topic'))) {
      entries.push(...queueOffsets(s, group, topic, s.topics.get(topic)!.readQueueNums).entries);
    }
    return ok(cmd, json(consumeStatsJson(entries)));
  },

  [ControlRequestCode.GET_BROKER_CONSUME_STATS]: (cmd, _channel, s) => {
    const isOrder = new RequestFields(cmd).bool('isOrder');
    let totalDiff = 0;
    const consumeStatsList: Map<string, unknown[]>[] = [];
    for (const group of s.groups.names()) {
      const list: unknown[] = [];
      for (const topic of statsTopics(s, group, undefined)) {
        const config = s.topics.get(topic)!;
        if (isOrder && !config.order) continue;
        const { entries, diff } = queueOffsets(s, group, topic, config.writeQueueNums);
        totalDiff += diff;
        list.push(consumeStatsJson(entries));
      }
      consumeStatsList.push(new Map([[group, list]]));
    }
    const c = s.ctx.config;
    return ok(cmd, json({ brokerAddr: `${c.brokerIP1}:${c.listenPort}`, consumeStatsList, totalDiff }));
  },

  [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO]: (cmd, _channel, s) => {
    const topic = new RequestFields(cmd).str('topic');
    const groups = new Set([...s.consumers.groupsConsuming(topic), ...s.offsets.groupsOf(topic)]);
    return ok(cmd, json({ groupList: [...groups] }));
  },

  [ControlRequestCode.QUERY_CONSUME_TIME_SPAN]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const topic = f.str('topic');
    const group = f.str('group');
    const config = s.topics.get(topic);
    if (!config) return fail(cmd, ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
    const store = s.ctx.store;
    const spans: unknown[] = [];
    for (let i = 0; i < config.writeQueueNums; i++) {
      const minTime = store.storeTimeAt(topic, i, store.minOffset(topic, i));
      const max = store.maxOffset(topic, i);
      const maxTime = store.storeTimeAt(topic, i, max - 1);
      const consumerOffset = s.offsets.query(group, topic, i);
      const consumeTime = consumerOffset > 0 ? store.storeTimeAt(topic, i, consumerOffset - 1) : minTime;
      const delayTime = consumerOffset < max ? Date.now() - store.storeTimeAt(topic, i, Math.max(0, consumerOffset)) : 0;
      spans.push({
        consumeTimeStamp: consumeTime,
        consumeTimeStampStr: timeText(consumeTime),
        delayTime,
        maxTimeStamp: maxTime,
        maxTimeStampStr: timeText(maxTime),
        messageQueue: { brokerName: s.ctx.config.brokerName, queueId: i, topic },
        minTimeStamp: minTime,
        minTimeStampStr: timeText(minTime),
      });
    }
    return ok(cmd, json({ consumeTimeSpanSet: spans }));
  },

  [RequestCode.GET_ALL_CONSUMER_OFFSET]: (cmd, _channel, s) => ok(cmd, s.offsets.encode(false)),

  /** The schedule thread's progress: config/delayOffset.json, which only that thread writes. */
  [RequestCode.GET_ALL_DELAY_OFFSET]: async (cmd, _channel, s) => ok(cmd, await readDelayOffsetBody(s.ctx.config.storePathRootDir, s.ctx.logger)),
};
