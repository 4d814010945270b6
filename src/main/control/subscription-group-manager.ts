import { join } from 'node:path';
import type { ControlContext } from './context.js';
import type { SubscriptionGroupView } from '../../shared/worker-protocol.js';
import {
  decodeSubscriptionGroupJson,
  defaultSubscriptionGroupConfig,
  encodeSubscriptionGroupJson,
  type SubscriptionGroupConfig,
} from '../../shared/storage/config-files.js';
import { ConfigFile } from './config-file.js';
import { DataVersion } from './data-version.js';
import { isSysConsumerGroup } from './topic-names.js';

/** Groups every broker has (the last four may consume in broadcast mode). */
const BUILT_IN_GROUPS: [string, boolean][] = [
  ['TOOLS_CONSUMER', false],
  ['FILTERSRV_CONSUMER', false],
  ['SELF_TEST_C_GROUP', false],
  ['CID_ONS-HTTP-PROXY', true],
  ['CID_ONSAPI_PULL', true],
  ['CID_ONSAPI_PERMISSION', true],
  ['CID_ONSAPI_OWNER', true],
];

export const groupView = (c: SubscriptionGroupConfig): SubscriptionGroupView => ({
  groupName: c.groupName,
  consumeEnable: c.consumeEnable,
  consumeBroadcastEnable: c.consumeBroadcastEnable,
  retryQueueNums: c.retryQueueNums,
  retryMaxTimes: c.retryMaxTimes,
});

/** Subscription groups (RocketMQ SubscriptionGroupManager), kept in `config/subscriptionGroup.json`. */
export class SubscriptionGroupManager {
  readonly dataVersion = new DataVersion();
  private readonly table = new Map<string, SubscriptionGroupConfig>();
  private readonly file: ConfigFile;

  constructor(private readonly ctx: ControlContext) {
    this.file = new ConfigFile(join(ctx.config.storePathRootDir, 'config', 'subscriptionGroup.json'), ctx.logger);
  }

  async load(): Promise<void> {
    for (const [name, broadcast] of BUILT_IN_GROUPS) {
      this.table.set(name, { ...defaultSubscriptionGroupConfig(name), consumeBroadcastEnable: broadcast });
    }
    const loaded = await this.file.load(decodeSubscriptionGroupJson);
    if (loaded) {
      for (const [name, config] of loaded.subscriptionGroupTable) this.table.set(name, config);
      this.dataVersion.assign(loaded.dataVersion);
      this.ctx.logger.info({ groups: loaded.subscriptionGroupTable.size }, 'subscription groups loaded');
    }
    this.republishAll();
  }

  /** Sends every group to the workers again (a restarted worker needs the full replica). */
  republishAll(): void {
    this.ctx.bus.publishGroups([...this.table.values()].map(groupView), []);
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.table.get(group);
  }

  all(): IterableIterator<SubscriptionGroupConfig> {
    return this.table.values();
  }

  names(): string[] {
    return [...this.table.keys()];
  }

  /**
   * The group's config; an unknown group is created with the defaults when
   * autoCreateSubscriptionGroup is on, or always for CID_RMQ_SYS_* groups.
   */
  find(group: string): SubscriptionGroupConfig | undefined {
    const found = this.table.get(group);
    if (found) return found;
    if (!this.ctx.config.autoCreateSubscriptionGroup && !isSysConsumerGroup(group)) return undefined;
    const config = defaultSubscriptionGroupConfig(group);
    this.table.set(group, config);
    this.ctx.logger.info({ group }, 'subscription group auto-created');
    this.changed([config], []);
    return config;
  }

  update(config: SubscriptionGroupConfig): void {
    const old = this.table.get(config.groupName);
    this.table.set(config.groupName, config);
    this.ctx.logger.info({ group: config.groupName, old, config }, old ? 'subscription group updated' : 'subscription group created');
    this.changed([config], []);
  }

  delete(group: string): boolean {
    if (!this.table.delete(group)) {
      this.ctx.logger.warn({ group }, 'delete subscription group: not found');
      return false;
    }
    this.ctx.logger.info({ group }, 'subscription group deleted');
    this.changed([], [group]);
    return true;
  }

  /** subscriptionGroup.json text; compact for GET_ALL_SUBSCRIPTIONGROUP_CONFIG, pretty on disk. */
  encode(pretty: boolean): string {
    return encodeSubscriptionGroupJson(this.dataVersion, this.table, { pretty });
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  private changed(upsert: SubscriptionGroupConfig[], remove: string[]): void {
    this.dataVersion.next();
    this.file.save(this.encode(true)).catch((e: Error) => this.ctx.logger.error({ err: e.message }, 'cannot write subscriptionGroup.json'));
    this.ctx.bus.publishGroups(upsert.map(groupView), remove);
  }
}
