import { join } from 'node:path';
import type { ControlContext } from './context.js';
import type { TopicConfig } from '../../shared/worker-protocol.js';
import { Perm } from '../../shared/codes.js';
import { decodeTopicsJson, defaultTopicConfig, encodeTopicsJson } from '../../shared/storage/config-files.js';
import { ConfigFile } from './config-file.js';
import { DataVersion } from './data-version.js';
import {
  AUTO_CREATE_TOPIC,
  BASE_SYSTEM_TOPICS,
  BENCHMARK_TOPIC,
  OFFSET_MOVED_EVENT,
  REPLY_TOPIC_POSTFIX,
  SCHEDULE_QUEUE_NUMS,
  SCHEDULE_TOPIC,
  SELF_TEST_TOPIC,
  SYSTEM_TOPIC_PREFIX,
  TRACE_TOPIC,
  TRANS_HALF_TOPIC,
  TRANS_OP_HALF_TOPIC,
} from './topic-names.js';

export type TopicConfigWrapper = { dataVersion: { counter: number; timestamp: number }; topicConfigTable: Map<string, TopicConfig> };

const RW = Perm.READ | Perm.WRITE;

/**
 * The broker's topics (RocketMQ TopicConfigManager): `config/topics.json`, the built-in topics,
 * the auto-create rules, and the DataVersion the name servers compare. Every change is persisted,
 * published to the network workers and followed by a registration with the name servers.
 */
export class TopicConfigManager {
  readonly dataVersion = new DataVersion();
  private readonly table = new Map<string, TopicConfig>();
  private readonly systemTopics = new Set<string>(BASE_SYSTEM_TOPICS);
  private readonly file: ConfigFile;

  constructor(private readonly ctx: ControlContext) {
    this.file = new ConfigFile(join(ctx.config.storePathRootDir, 'config', 'topics.json'), ctx.logger);
  }

  /** Built-in topics, then whatever topics.json (or its .bak) holds; publishes all to the workers. */
  async load(): Promise<void> {
    this.createBuiltIns();
    const loaded = await this.file.load(decodeTopicsJson);
    if (loaded) {
      for (const [name, config] of loaded.topicConfigTable) this.table.set(name, config);
      this.dataVersion.assign(loaded.dataVersion);
      this.ctx.logger.info({ topics: loaded.topicConfigTable.size }, 'topics loaded');
    }
    this.publish([...this.table.values()], []);
  }

  private createBuiltIns(): void {
    const c = this.ctx.config;
    const put = (name: string, queues: number, perm = RW) => {
      this.systemTopics.add(name);
      this.table.set(name, { ...defaultTopicConfig(name), readQueueNums: queues, writeQueueNums: queues, perm });
    };
    put(SELF_TEST_TOPIC, 1);
    if (c.autoCreateTopicEnable) put(AUTO_CREATE_TOPIC, c.defaultTopicQueueNums, Perm.INHERIT | RW);
    put(BENCHMARK_TOPIC, 1024);
    put(c.brokerClusterName, 16, Perm.INHERIT | (c.clusterTopicEnable ? RW : 0));
    put(c.brokerName, 1, Perm.INHERIT | (c.brokerTopicEnable ? RW : 0));
    put(OFFSET_MOVED_EVENT, 1);
    put(SCHEDULE_TOPIC, SCHEDULE_QUEUE_NUMS);
    if (c.traceTopicEnable) put(TRACE_TOPIC, 1);
    put(c.brokerClusterName + '_' + REPLY_TOPIC_POSTFIX, 1);
    // RocketMQ 5 creates the transaction topics at start (4.9 on first use): 1 queue, read/write.
    put(TRANS_HALF_TOPIC, 1);
    put(TRANS_OP_HALF_TOPIC, 1);
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  all(): IterableIterator<TopicConfig> {
    return this.table.values();
  }

  isSystemTopic(topic: string): boolean {
    return this.systemTopics.has(topic) || topic.startsWith(SYSTEM_TOPIC_PREFIX);
  }

  systemTopicList(): string[] {
    return [...this.systemTopics];
  }

  isOrderTopic(topic: string): boolean {
    return this.table.get(topic)?.order === true;
  }

  /** UPDATE_AND_CREATE_TOPIC: create or replace. */
  update(config: TopicConfig): void {
    const old = this.table.get(config.topicName);
    this.table.set(config.topicName, config);
    this.ctx.logger.info({ topic: config.topicName, old, config }, old ? 'topic config updated' : 'topic created');
    this.changed([config], []);
  }

  /** DELETE_TOPIC_IN_BROKER: true when the topic existed. */
  delete(topic: string): boolean {
    if (!this.table.delete(topic)) {
      this.ctx.logger.warn({ topic }, 'delete topic: not found');
      return false;
    }
    this.ctx.logger.info({ topic }, 'topic deleted');
    this.changed([], [topic]);
    return true;
  }

  /**
   * The TBW102 rule (reference 7.6): an unknown topic is created from `defaultTopic` when that
   * topic exists and carries PERM_INHERIT; queues = min(client's default, its write queues), perm
   * without INHERIT. With autoCreateTopicEnable=false TBW102 counts as plain read/write.
   */
  createInSendMessageMethod(topic: string, defaultTopic: string, clientDefaultQueueNums: number, topicSysFlag: number, remoteAddr: string): TopicConfig | null {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const template = this.table.get(defaultTopic);
    if (!template) {
      this.ctx.logger.warn({ topic, defaultTopic, producer: remoteAddr }, 'cannot create topic: the default topic does not exist');
      return null;
    }
    let perm = template.perm;
    if (defaultTopic === AUTO_CREATE_TOPIC && !this.ctx.config.autoCreateTopicEnable) perm = RW;
    if ((perm & Perm.INHERIT) === 0) {
      this.ctx.logger.warn({ topic, defaultTopic, perm, producer: remoteAddr }, 'cannot create topic: the default topic does not allow inheriting');
      return null;
    }
    const queues = Math.max(0, Math.min(clientDefaultQueueNums, template.writeQueueNums));
    const config: TopicConfig = {
      ...defaultTopicConfig(topic),
      readQueueNums: queues,
      writeQueueNums: queues,
      perm: perm & ~Perm.INHERIT,
      topicSysFlag,
      topicFilterType: template.topicFilterType,
    };
    this.table.set(topic, config);
    this.ctx.logger.info({ topic, defaultTopic, config, producer: remoteAddr }, 'topic created from the default topic');
    this.changed([config], []);
    return config;
  }

  /** Retry and DLQ topics: created with the given queues and perm when missing. */
  createInSendMessageBackMethod(topic: string, queueNums: number, perm: number, topicSysFlag: number): TopicConfig {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const config: TopicConfig = { ...defaultTopicConfig(topic), readQueueNums: queueNums, writeQueueNums: queueNums, perm, topicSysFlag };
    this.table.set(topic, config);
    this.ctx.logger.info({ topic, config }, 'topic created');
    this.changed([config], []);
    return config;
  }

  /** Re-sends configs the workers should already have (a worker asked about a known topic). */
  republish(topic: string): void {
    const config = this.table.get(topic);
    if (config) this.publish([config], []);
  }

  /** Sends every topic to the workers again (a restarted worker needs the full replica). */
  republishAll(): void {
    this.publish([...this.table.values()], []);
  }

  /** A change outside the table that the name servers must see (e.g. brokerPermission). */
  bumpVersion(): void {
    this.dataVersion.next();
    void this.persist();
  }

  /** `{dataVersion, topicConfigTable}` for name-server registration (a snapshot). */
  wrapper(): TopicConfigWrapper {
    return { dataVersion: this.dataVersion.snapshot(), topicConfigTable: new Map(this.table) };
  }

  /** topics.json text; compact for GET_ALL_TOPIC_CONFIG, pretty on disk. */
  encode(pretty: boolean): string {
    return encodeTopicsJson(this.dataVersion, this.table, { pretty });
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  private changed(upsert: TopicConfig[], remove: string[]): void {
    this.dataVersion.next();
    void this.persist();
    this.publish(upsert, remove);
    this.ctx.registerNow();
  }

  private persist(): Promise<void> {
    return this.file.save(this.encode(true)).catch((e: Error) => {
      this.ctx.logger.error({ err: e.message }, 'cannot write topics.json');
    });
  }

  private publish(upsert: TopicConfig[], remove: string[]): void {
    this.ctx.bus.publishTopics(
      upsert.map((config) => ({ config, queueSlots: this.ctx.store.slotsFor(config.topicName, Math.max(config.readQueueNums, config.writeQueueNums)) })),
      remove,
    );
  }
}
