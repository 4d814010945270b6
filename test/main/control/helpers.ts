import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ControlContext, StoreView, WorkerBus } from '../../../src/main/control/context.js';
import { defaultConfig, type BrokerConfig } from '../../../src/shared/config/broker-config.js';
import type { ChannelRef, SubscriptionGroupView, SubscriptionView, TopicConfig, WireCommand } from '../../../src/shared/worker-protocol.js';
import { RpcFlag } from '../../../src/shared/codes.js';
import type { RemotingCommand } from '../../../src/shared/remoting/command.js';
import { parseFastJson } from '../../../src/shared/storage/fastjson.js';

interface FakeQueue {
  min: number;
  /** store time of each logical offset from 0 */
  times: number[];
}

/** In-memory StoreView: queues hold store times by logical offset. */
export class FakeStore implements StoreView {
  readonly queues = new Map<string, FakeQueue>();
  readonly deleted: string[] = [];
  private nextSlot = 0;
  readonly slots = new Map<string, number[]>();
  clMin = 0;
  clMax = 0;

  /** Appends `count` messages stored at `time`, `time+1`, ... */
  put(topic: string, queueId: number, count: number, time = 1_700_000_000_000): void {
    const q = this.queue(topic, queueId);
    for (let i = 0; i < count; i++) q.times.push(time + i);
  }

  setMin(topic: string, queueId: number, min: number): void {
    this.queue(topic, queueId).min = min;
  }

  private queue(topic: string, queueId: number): FakeQueue {
    const key = topic + '/' + queueId;
    let q = this.queues.get(key);
    if (!q) {
      q = { min: 0, times: [] };
      this.queues.set(key, q);
    }
    return q;
  }

  maxOffset(topic: string, queueId: number): number {
    return this.queues.get(topic + '/' + queueId)?.times.length ?? 0;
  }
  minOffset(topic: string, queueId: number): number {
    return this.queues.get(topic + '/' + queueId)?.min ?? 0;
  }
  storeTimeAt(topic: string, queueId: number, offset: number): number {
    return this.queues.get(topic + '/' + queueId)?.times[offset] ?? 0;
  }
  searchOffsetByTimestamp(topic: string, queueId: number, timestamp: number): number {
    const times = this.queues.get(topic + '/' + queueId)?.times ?? [];
    const i = times.findIndex((t) => t >= timestamp);
    return i < 0 ? times.length : i;
  }
  commitLogMinOffset(): number {
    return this.clMin;
  }
  commitLogMaxOffset(): number {
    return this.clMax;
  }
  slotsFor(topic: string, queueCount: number): number[] {
    let s = this.slots.get(topic) ?? [];
    while (s.length < queueCount) s = [...s, this.nextSlot++];
    this.slots.set(topic, s);
    return s.slice(0, queueCount);
  }
  async deleteTopic(topic: string): Promise<void> {
    this.deleted.push(topic);
  }
}

/** WorkerBus that records everything; invokeClient answers with `reply`. */
export class RecordingBus implements WorkerBus {
  readonly sent: { channel: ChannelRef; cmd: WireCommand }[] = [];
  readonly invoked: { channel: ChannelRef; cmd: WireCommand; timeoutMs: number }[] = [];
  readonly topics: { upsert: { config: TopicConfig; queueSlots: number[] }[]; remove: string[] }[] = [];
  readonly groups: { upsert: SubscriptionGroupView[]; remove: string[] }[] = [];
  readonly subscriptions: { group: string; subscriptions: SubscriptionView[] }[] = [];
  reply: (cmd: WireCommand) => Promise<WireCommand> = () => Promise.reject(new Error('no client'));

  sendToClient(channel: ChannelRef, cmd: WireCommand): void {
    this.sent.push({ channel, cmd });
  }
  invokeClient(channel: ChannelRef, cmd: WireCommand, timeoutMs: number): Promise<WireCommand> {
    this.invoked.push({ channel, cmd, timeoutMs });
    return this.reply(cmd);
  }
  publishTopics(upsert: { config: TopicConfig; queueSlots: number[] }[], remove: string[]): void {
    this.topics.push({ upsert, remove });
  }
  publishGroups(upsert: SubscriptionGroupView[], remove: string[]): void {
    this.groups.push({ upsert, remove });
  }
  publishSubscriptions(group: string, subscriptions: SubscriptionView[]): void {
    this.subscriptions.push({ group, subscriptions });
  }
  clear(): void {
    this.sent.length = 0;
    this.invoked.length = 0;
    this.topics.length = 0;
    this.groups.length = 0;
    this.subscriptions.length = 0;
  }
}

export interface TestEnv {
  ctx: ControlContext;
  store: FakeStore;
  bus: RecordingBus;
  dir: string;
  registrations: () => number;
  cleanup: () => void;
}

/** A control context over a fresh temp store directory. */
export function makeEnv(overrides: Partial<BrokerConfig> = {}, dir?: string): TestEnv {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'ferry-control-'));
  const config: BrokerConfig = { ...defaultConfig(), storePathRootDir: root, brokerIP1: '10.0.0.1', ...overrides };
  const store = new FakeStore();
  const bus = new RecordingBus();
  let registrations = 0;
  const ctx: ControlContext = { config, logger: pino({ level: 'silent' }), store, bus, registerNow: () => void registrations++ };
  return { ctx, store, bus, dir: root, registrations: () => registrations, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

let opaque = 100;
export function request(
  code: number,
  extFields: Record<string, string> | null = null,
  body: string | Buffer | null = null,
  opts: { oneway?: boolean; serializeType?: number; language?: number; version?: number } = {},
): RemotingCommand {
  return {
    code,
    language: opts.language ?? 0,
    version: opts.version ?? 409,
    opaque: ++opaque,
    flag: opts.oneway ? RpcFlag.ONEWAY : 0,
    remark: null,
    extFields,
    serializeType: opts.serializeType ?? 0,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}

export const channel = (connId: number, workerId = 0): ChannelRef => ({ workerId, connId, remoteAddr: `10.0.0.${connId}:5${connId}000` });

export function bodyJson(cmd: { body: Uint8Array | null } | null): any {
  if (!cmd || !cmd.body) throw new Error('no body');
  return parseFastJson(Buffer.from(cmd.body).toString('utf8'));
}

export function heartbeatBody(clientID: string, consumers: { group: string; topics: [string, string][]; subVersion?: number }[], producers: string[] = []): string {
  return JSON.stringify({
    clientID,
    consumerDataSet: consumers.map((c) => ({
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      consumeType: 'CONSUME_PASSIVELY',
      groupName: c.group,
      messageModel: 'CLUSTERING',
      subscriptionDataSet: c.topics.map(([topic, sub]) => ({
        classFilterMode: false,
        codeSet: [],
        expressionType: 'TAG',
        subString: sub,
        subVersion: c.subVersion ?? 1,
        tagsSet: sub === '*' ? [] : sub.split('||').map((t) => t.trim()),
        topic,
      })),
      unitMode: false,
    })),
    producerDataSet: producers.map((groupName) => ({ groupName })),
  });
}

export const mqKeyText = (topic: string, queueId: number, brokerName = 'broker-a') => `{"brokerName":"${brokerName}","queueId":${queueId},"topic":"${topic}"}`;
