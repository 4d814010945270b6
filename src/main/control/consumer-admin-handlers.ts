import { RequestCode, ResponseCode } from '../../shared/codes.js';
import { newRequest, responseFor } from '../../shared/remoting/command.js';
import { stringifyObjectKeyMap } from '../../shared/storage/fastjson.js';
import { ControlResponseCode, LANGUAGE_CPP, MQVersionOrdinal } from './control-codes.js';
import { mqKey, type MessageQueue } from './message-queue.js';
import { RequestFields } from './request-fields.js';
import { fail, json, ok } from './respond.js';
import type { HandlerTable } from './state.js';

/** How long the broker waits for a client it forwards a request to. */
export const CALL_CLIENT_TIMEOUT_MS = 10_000;

/** Requests the broker relays to consumer clients: offset reset and running info. */
export const consumerAdminHandlers: HandlerTable = {
  /**
   * INVOKE_BROKER_TO_RESET_OFFSET: per write queue the offset at `timestamp` (-1: the max offset),
   * applied when forced or when it moves the group back; every online consumer of the group gets
   * RESET_CONSUMER_CLIENT_OFFSET, the admin gets the table.
   */
  [RequestCode.INVOKE_BROKER_TO_RESET_OFFSET]: (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const topic = f.str('topic');
    const group = f.str('group');
    const timestamp = f.int('timestamp');
    const isForce = f.bool('isForce');
    const config = s.topics.get(topic);
    if (!config) return fail(cmd, ResponseCode.SYSTEM_ERROR, `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`);

    const offsets: [MessageQueue, number][] = [];
    for (let i = 0; i < config.writeQueueNums; i++) {
      const consumerOffset = s.offsets.query(group, topic, i);
      if (consumerOffset === -1) return fail(cmd, ResponseCode.SYSTEM_ERROR, `THe consumer group <${group}> not exist`);
      let target = timestamp === -1 ? s.ctx.store.maxOffset(topic, i) : s.ctx.store.searchOffsetByTimestamp(topic, i, timestamp);
      if (target < 0) target = 0;
      offsets.push([{ topic, brokerName: s.ctx.config.brokerName, queueId: i }, isForce || target < consumerOffset ? target : consumerOffset]);
    }

    const info = s.consumers.group(group);
    if (!info || info.channels.size === 0) {
      return fail(cmd, ResponseCode.CONSUMER_NOT_ONLINE, `Consumer not online, so can not reset offset, Group: ${group} Topic: ${topic} Timestamp: ${timestamp}`);
    }
    for (const c of info.channels.values()) {
      if (c.version < MQVersionOrdinal.V3_0_7_SNAPSHOT) {
        return fail(cmd, ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${c.version}`);
      }
    }

    const tableBody = json({ offsetTable: stringifyObjectKeyMap(offsets.map(([mq, offset]) => [mqKey(mq), offset])) });
    // A C++ admin request gets the list form for its clients (ResetOffsetBodyForC).
    const clientBody =
      cmd.language === LANGUAGE_CPP
        ? json({ offsetTable: offsets.map(([mq, offset]) => ({ brokerName: mq.brokerName, offset, queueId: mq.queueId, topic: mq.topic })) })
        : tableBody;
    const header = { topic, group, timestamp: String(timestamp), isForce: 'false' };
    for (const c of info.channels.values()) {
      try {
        s.ctx.bus.sendToClient(c.channel, newRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, header, Buffer.from(clientBody, 'utf8'), true));
        s.ctx.logger.info({ topic, group, clientId: c.clientId }, 'reset offset sent to consumer');
      } catch (e) {
        s.ctx.logger.error({ topic, group, clientId: c.clientId, err: (e as Error).message }, 'cannot send reset offset to consumer');
      }
    }
    return ok(cmd, tableBody);
  },

  /** GET_CONSUMER_RUNNING_INFO: relayed to the client (sync, 10 s); its answer goes back. */
  [RequestCode.GET_CONSUMER_RUNNING_INFO]: async (cmd, _channel, s) => {
    const f = new RequestFields(cmd);
    const group = f.str('consumerGroup');
    const clientId = f.str('clientId');
    const client = s.consumers.findChannel(group, clientId);
    if (!client) return fail(cmd, ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> <${clientId}> not online`);
    if (client.version < MQVersionOrdinal.V3_1_8_SNAPSHOT) {
      return fail(cmd, ResponseCode.SYSTEM_ERROR, `The Consumer <${clientId}> Version <${client.version}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT`);
    }
    const forward = newRequest(cmd.code, cmd.extFields ? { ...cmd.extFields } : null, cmd.body);
    try {
      const reply = await s.ctx.bus.invokeClient(client.channel, forward, CALL_CLIENT_TIMEOUT_MS);
      const body = reply.body ? Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.length) : null;
      return responseFor(cmd, reply.code, reply.remark, reply.extFields, body);
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      if (/time ?out/i.test(message)) return fail(cmd, ControlResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${group}> <${clientId}> Timeout: ${message}`);
      return fail(cmd, ResponseCode.SYSTEM_ERROR, `invoke consumer <${group}> <${clientId}> Exception: ${message}`);
    }
  },
};
