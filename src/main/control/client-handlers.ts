import { Perm, RequestCode, ResponseCode } from '../../shared/codes.js';
import { responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { systemError } from '../../shared/remoting/errors.js';
import { parseFastJson } from '../../shared/storage/fastjson.js';
import { sqlCompileError } from '../../shared/filter/sql92.js';
import { decodeHeartbeat } from './heartbeat.js';
import { toMessageQueues } from './message-queue.js';
import { RequestFields } from './request-fields.js';
import { bodyText, fail, json, ok } from './respond.js';
import type { HandlerTable } from './state.js';
import { retryTopic } from './topic-names.js';

/** TopicSysFlag.FLAG_UNIT_SUB */
const FLAG_UNIT_SUB = 0x2;

function parseBody(cmd: RemotingCommand, what: string): Record<string, unknown> {
  const text = bodyText(cmd);
  if (text === '') throw systemError(`the request has no ${what} body`);
  let o: unknown;
  try {
    o = parseFastJson(text);
  } catch (e) {
    throw systemError(`the ${what} body is not JSON: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw systemError(`the ${what} body is not a JSON object`);
  return o as Record<string, unknown>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** Client management and offsets: HEART_BEAT, UNREGISTER_CLIENT, consumer list, offsets, locks. */
export const clientHandlers: HandlerTable = {
  [RequestCode.HEART_BEAT]: (cmd, channel, s) => {
    const hb = decodeHeartbeat(cmd.body);
    const client = { channel, clientId: hb.clientID, language: cmd.language, version: cmd.version };
    for (const data of hb.consumerDataSet) {
      const group = s.groups.find(data.groupName);
      if (group) {
        const sysFlag = data.unitMode ? FLAG_UNIT_SUB : 0;
        s.topics.createInSendMessageBackMethod(retryTopic(data.groupName), group.retryQueueNums, Perm.READ | Perm.WRITE, sysFlag);
      }
      s.consumers.register(data.groupName, client, {
        consumeType: data.consumeType,
        messageModel: data.messageModel,
        consumeFromWhere: data.consumeFromWhere,
        subscriptions: data.subscriptionDataSet,
      });
    }
    for (const p of hb.producerDataSet) s.producers.register(p.groupName, client);
    return ok(cmd);
  },

  [RequestCode.UNREGISTER_CLIENT]: (cmd, channel, s) => {
    const f = new RequestFields(cmd);
    f.str('clientID');
    const producerGroup = f.optStr('producerGroup');
    const consumerGroup = f.optStr('consumerGroup');
    if (producerGroup !== undefined) s.producers.unregister(producerGroup, channel);
    if (consumerGroup !== undefined) s.consumers.unregister(consumerGroup, channel);
    return ok(cmd, null, {});
  },

  [RequestCode.GET_CONSUMER_LIST_BY_GROUP]: (cmd, _channel, s) => {
    const group = new RequestFields(cmd).str('consumerGroup');
    const info = s.consumers.group(group);
    const ids = info ? [...info.channels.values()].map((c) => c.clientId) : [];
    if (ids.length === 0) return fail(cmd, ResponseCode.SYSTEM_ERROR, `no consumer for this group, ${group}`);
    return ok(cmd, json({ consumerIdList: ids }), {});
  },

  [RequestCode.QUERY_CONSUMER_OFFSET]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const group = f.str('consumerGroup');
    const topic = f.str('topic');
    const queueId = f.int('queueId');
    const offset = s.offsets.query(group, topic, queueId);
    if (offset >= 0) return ok(cmd, null, { offset: String(offset) });
    // 5.x clients may ask for "not found" instead of a zero offset.
    const zeroIfNotFound = f.optBool('setZeroIfNotFound') ?? true;
    if (zeroIfNotFound && s.ctx.store.minOffset(topic, queueId) <= 0) return ok(cmd, null, { offset: '0' });
    // Java answers with an (empty) QueryConsumerOffsetResponseHeader: extFields {}.
    return responseFor(cmd, ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first', {});
  },

  [RequestCode.UPDATE_CONSUMER_OFFSET]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const group = f.str('consumerGroup');
    const topic = f.str('topic');
    const queueId = f.int('queueId');
    const offset = f.int('commitOffset');
    s.offsets.commit(group, topic, queueId, offset);
    return ok(cmd, null, {});
  },

  [RequestCode.LOCK_BATCH_MQ]: (cmd, _channel, s) => {
    const body = parseBody(cmd, 'LockBatchRequestBody');
    const locked = s.locks.tryLockBatch(str(body.consumerGroup), toMessageQueues(body.mqSet), str(body.clientId));
    return ok(cmd, json({ lockOKMQSet: locked.map((mq) => ({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic })) }));
  },

  [RequestCode.UNLOCK_BATCH_MQ]: (cmd, _channel, s) => {
    const body = parseBody(cmd, 'UnlockBatchRequestBody');
    s.locks.unlockBatch(str(body.consumerGroup), toMessageQueues(body.mqSet), str(body.clientId));
    return ok(cmd);
  },

  /** Sent for SQL92 subscriptions: TAG is always fine; SQL92 needs enablePropertyFilter and must compile (else 23). */
  [RequestCode.CHECK_CLIENT_CONFIG]: (cmd, _channel, s) => {
    if (!cmd.body || cmd.body.length === 0) return ok(cmd);
    const body = parseBody(cmd, 'CheckClientRequestBody');
    const sub = body.subscriptionData;
    if (sub === null || typeof sub !== 'object') return ok(cmd);
    const type = str((sub as Record<string, unknown>).expressionType);
    if (type === '' || type === 'TAG') return ok(cmd);
    if (!s.ctx.config.enablePropertyFilter) return fail(cmd, ResponseCode.SYSTEM_ERROR, `The broker does not support consumer to filter message by ${type}`);
    const error = sqlCompileError(type, str((sub as Record<string, unknown>).subString));
    return error === null ? ok(cmd) : fail(cmd, ResponseCode.SUBSCRIPTION_PARSE_FAILED, error);
  },
};
