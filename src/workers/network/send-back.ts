import { Perm, RequestCode, ResponseCode } from '../../shared/codes.js';
import { isOneway, newRequest, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { SharedState, StoreWord } from '../../shared/shared-state.js';
import { PutStatus } from '../../shared/send-entry.js';
import { checkRecord, decodeRecord, type DecodedMessage } from '../../shared/storage/message.js';
import { rewriteRecord } from '../../shared/storage/rewrite.js';
import { parkForDelay, SCHEDULE_TOPIC } from '../../shared/delay.js';
import { decideSendBack, DEFAULT_RETRY_MAX_TIMES, effectiveMaxReconsumeTimes, retryTopicOf, sendBackProperties } from '../../shared/retry.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import type { SubscriptionGroupView } from '../../shared/worker-protocol.js';
import type { Logger } from '../../main/logger.js';
import type { StoreReader } from '../storage/store-reader.js';
import type { Connection } from './connection.js';
import type { Replica } from './replica.js';
import type { SendPath } from './send-path.js';
import { FAQ_TIP } from './send-routing.js';

export interface SendBackDeps {
  sends: SendPath;
  replica: Replica;
  reader: StoreReader;
  state: SharedState;
  config: BrokerConfig;
  maxDelayLevel: number;
  log: Logger;
  /** Asks the control plane (creates a missing retry / DLQ topic, as a send to it would). */
  forward(conn: Connection, cmd: RemotingCommand, onReply: (reply: RemotingCommand | null) => void): void;
}

/** ConsumerSendMsgBackRequestHeader. */
interface SendBackHeader {
  offset: number;
  group: string;
  delayLevel: number;
  originMsgId?: string;
  originTopic?: string;
  unitMode: boolean;
  maxReconsumeTimes?: number;
}

const STATUS_NAMES: Record<number, string> = {
  [PutStatus.FLUSH_DISK_TIMEOUT]: 'FLUSH_DISK_TIMEOUT',
  [PutStatus.MESSAGE_ILLEGAL]: 'MESSAGE_ILLEGAL',
  [PutStatus.SERVICE_NOT_AVAILABLE]: 'SERVICE_NOT_AVAILABLE',
};

function parseHeader(ext: Record<string, string> | null): SendBackHeader {
  const e = ext ?? {};
  const num = (k: string, v: string | undefined): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || !Number.isInteger(n)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is not a number: ${v}`);
    return n;
  };
  const group = e.group;
  if (group === undefined || group === '') throw new RemotingError(ResponseCode.SYSTEM_ERROR, 'the custom field <group> is null');
  const delayLevel = num('delayLevel', e.delayLevel);
  if (delayLevel === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, 'the custom field <delayLevel> is null');
  return {
    offset: num('offset', e.offset) ?? 1,
    group,
    delayLevel,
    originMsgId: e.originMsgId,
    originTopic: e.originTopic,
    unitMode: e.unitMode === 'true',
    maxReconsumeTimes: num('maxReconsumeTimes', e.maxReconsumeTimes),
  };
}

/**
 * CONSUMER_SEND_MSG_BACK (36), RocketMQ 4.9's SendMessageProcessor.consumerSendMsgBack: the
 * consumed message at commit-log `offset` is stored again, for `%RETRY%<group>` through the delay
 * level's schedule queue, or in `%DLQ%<group>` once it was reconsumed too often. It goes through
 * the same ring as sends; the answer (0, no header) follows the store writer's completion.
 */
export class SendBack {
  constructor(private readonly d: SendBackDeps) {}

  handle(conn: Connection, cmd: RemotingCommand): void {
    this.run(conn, cmd, new Set());
  }

  private run(conn: Connection, cmd: RemotingCommand, created: Set<string>): void {
    try {
      this.process(conn, cmd, created);
    } catch (e) {
      if (e instanceof RemotingError) this.reply(conn, cmd, e.code, e.message);
      else {
        this.d.log.error({ err: e }, 'consumer send-back failed');
        this.reply(conn, cmd, ResponseCode.SYSTEM_ERROR, String((e as Error).message));
      }
    }
  }

  private process(conn: Connection, cmd: RemotingCommand, created: Set<string>): void {
    const { replica, config } = this.d;
    const h = parseHeader(cmd.extFields);
    const group = this.groupOf(h.group);
    if ((config.brokerPermission & Perm.WRITE) === 0) throw new RemotingError(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] sending message is forbidden`);
    if (group.retryQueueNums <= 0) return this.reply(conn, cmd, ResponseCode.SUCCESS, null);

    const retryTopic = retryTopicOf(h.group);
    const retry = replica.topics.get(retryTopic);
    if (!retry) return this.create(conn, cmd, created, retryTopic, h, group.retryQueueNums);
    if ((retry.config.perm & Perm.WRITE) === 0) throw new RemotingError(ResponseCode.NO_PERMISSION, `the topic[${retryTopic}] sending message is forbidden`);

    const msg = this.lookMessage(h.offset);
    if (!msg) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${h.offset}`);
    const max = effectiveMaxReconsumeTimes(cmd.version, h.maxReconsumeTimes, group.retryMaxTimes);
    const decision = decideSendBack(h.group, msg.reconsumeTimes, max, h.delayLevel, group.retryQueueNums);
    const target = replica.topics.get(decision.topic);
    if (!target) return this.create(conn, cmd, created, decision.topic, h, 1);
    if (target.slots.length === 0) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `topic[${decision.topic}] has no queue`);
    const queueId = decision.queueId % target.slots.length;

    const props = sendBackProperties(msg.properties, msg.topic, msg.msgId, decision);
    let topic = decision.topic;
    let storeQueueId = queueId;
    let slot = target.slots[queueId];
    const parked = decision.dlq ? null : parkForDelay(props, topic, queueId, msg.sysFlag, this.d.maxDelayLevel);
    if (parked) {
      const schedule = replica.topics.get(SCHEDULE_TOPIC);
      const s = schedule?.slots[parked.queueId];
      if (s === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `delay level ${parked.level} has no queue in ${SCHEDULE_TOPIC}`);
      topic = parked.topic;
      storeQueueId = parked.queueId;
      slot = s;
    }
    let record: Buffer;
    try {
      record = rewriteRecord(msg, { topic, queueId: storeQueueId, properties: props, reconsumeTimes: msg.reconsumeTimes + 1 });
    } catch (e) {
      throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, (e as Error).message);
    }
    this.store(conn, cmd, record, slot, Date.now());
  }

  /** SubscriptionGroupManager.findSubscriptionGroupConfig: known, or the defaults when groups auto-create. */
  private groupOf(name: string): SubscriptionGroupView {
    const g = this.d.replica.groups.get(name);
    if (g) return g;
    if (this.d.config.autoCreateSubscriptionGroup) {
      return { groupName: name, consumeEnable: true, consumeBroadcastEnable: true, retryQueueNums: 1, retryMaxTimes: DEFAULT_RETRY_MAX_TIMES };
    }
    throw new RemotingError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${name} ${FAQ_TIP}`);
  }

  /** Asks the control plane for a missing retry or DLQ topic (once), then starts over. */
  private create(conn: Connection, cmd: RemotingCommand, created: Set<string>, topic: string, h: SendBackHeader, queues: number): void {
    if (created.has(topic)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `topic[${topic}] not exist`);
    created.add(topic);
    const ask = newRequest(RequestCode.SEND_MESSAGE, {
      producerGroup: h.group, topic, defaultTopic: 'TBW102', defaultTopicQueueNums: String(queues), queueId: '0', sysFlag: '0', bornTimestamp: '0', flag: '0', unitMode: String(h.unitMode),
    });
    this.d.forward(conn, ask, (reply) => {
      if (reply) this.reply(conn, cmd, reply.code, reply.remark ?? `topic[${topic}] not exist`);
      else this.run(conn, cmd, created);
    });
  }

  /** The stored message at a commit-log offset, or null when no whole valid record starts there. */
  private lookMessage(offset: number): DecodedMessage | null {
    const { state, reader } = this.d;
    if (offset < state.store[StoreWord.COMMIT_MIN] || offset >= state.store[StoreWord.COMMIT_END]) return null;
    const record = reader.readRecord(offset);
    if (!record || offset + record.length > state.store[StoreWord.COMMIT_END]) return null;
    if (checkRecord(record, 0, record.length, false) !== record.length) return null;
    return decodeRecord(record, 0);
  }

  /** Through the ring; a full ring is retried for up to waitTimeMillsInSendQueue, then SYSTEM_BUSY. */
  private store(conn: Connection, cmd: RemotingCommand, record: Buffer, slot: number, since: number): void {
    const stored = this.d.sends.storeRecord(conn, cmd, record, slot, (status) => {
      if (status === PutStatus.OK) this.reply(conn, cmd, ResponseCode.SUCCESS, null);
      else this.reply(conn, cmd, ResponseCode.SYSTEM_ERROR, STATUS_NAMES[status] ?? 'UNKNOWN_ERROR');
    });
    if (stored) return;
    const waited = Date.now() - since;
    if (waited > this.d.config.waitTimeMillsInSendQueue || conn.closed) {
      this.reply(conn, cmd, ResponseCode.SYSTEM_BUSY, `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${waited}ms`);
      return;
    }
    setTimeout(() => this.store(conn, cmd, record, slot, since), 1);
  }

  private reply(conn: Connection, cmd: RemotingCommand, code: number, remark: string | null): void {
    if (!isOneway(cmd) && !conn.closed) conn.send(responseFor(cmd, code, remark));
  }
}
