import type { Logger } from '../logger.js';
import type { WorkerBus } from './context.js';
import type { ChannelRef, SubscriptionView } from '../../shared/worker-protocol.js';
import { RequestCode } from '../../shared/codes.js';
import { newRequest } from '../../shared/remoting/command.js';
import { CHANNEL_EXPIRED_MS, channelKey, type ClientChannelInfo } from './client-channel.js';
import type { SubscriptionData } from './heartbeat.js';
import { sameSubscription } from './heartbeat.js';

export interface ConsumerGroupInfo {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  channels: Map<string, ClientChannelInfo>;
  subscriptions: Map<string, SubscriptionData>;
  lastUpdate: number;
}

export interface ConsumerRegistration {
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: SubscriptionData[];
}

/**
 * Online consumers per group, from HEART_BEAT (RocketMQ ConsumerManager). Membership changes are
 * told to the group's clients with NOTIFY_CONSUMER_IDS_CHANGED so they rebalance, and every change
 * of a group's subscriptions is published to the network workers (they filter pulls with them).
 */
export class ConsumerManager {
  private readonly groups = new Map<string, ConsumerGroupInfo>();

  constructor(
    private readonly bus: WorkerBus,
    private readonly logger: Logger,
    /** Whether the group wants NOTIFY_CONSUMER_IDS_CHANGED (its subscription group config). */
    private readonly notifyEnabled: (group: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers or refreshes a consumer; true when membership or the subscribed topics changed. */
  register(group: string, client: Omit<ClientChannelInfo, 'lastUpdate'>, reg: ConsumerRegistration): boolean {
    const now = this.now();
    let info = this.groups.get(group);
    const isNew = !info;
    if (!info) {
      info = { groupName: group, consumeType: reg.consumeType, messageModel: reg.messageModel, consumeFromWhere: reg.consumeFromWhere, channels: new Map(), subscriptions: new Map(), lastUpdate: now };
      this.groups.set(group, info);
    }
    info.consumeType = reg.consumeType;
    info.messageModel = reg.messageModel;
    info.consumeFromWhere = reg.consumeFromWhere;
    info.lastUpdate = now;

    const key = channelKey(client.channel);
    const old = info.channels.get(key);
    let membershipChanged = false;
    if (!old) {
      info.channels.set(key, { ...client, lastUpdate: now });
      membershipChanged = true;
      this.logger.info({ group, clientId: client.clientId, addr: client.channel.remoteAddr }, 'new consumer connected');
    } else {
      if (old.clientId !== client.clientId) this.logger.warn({ group, old: old.clientId, now: client.clientId }, 'consumer channel changed its clientId');
      info.channels.set(key, { ...client, lastUpdate: now });
    }

    const { topicsChanged, contentChanged } = this.updateSubscriptions(info, reg.subscriptions);
    const changed = membershipChanged || topicsChanged;
    if (changed && this.notifyEnabled(group)) this.notify(info);
    if (contentChanged || (isNew && info.subscriptions.size > 0)) this.publish(info);
    return changed;
  }

  /** UNREGISTER_CLIENT: drops one channel from a group. */
  unregister(group: string, channel: ChannelRef): void {
    const info = this.groups.get(group);
    if (!info) return;
    if (info.channels.delete(channelKey(channel))) this.logger.info({ group, addr: channel.remoteAddr }, 'consumer unregistered');
    this.afterRemoval(info);
  }

  onChannelClosed(channel: ChannelRef): void {
    const key = channelKey(channel);
    for (const info of [...this.groups.values()]) {
      if (info.channels.delete(key)) {
        this.logger.info({ group: info.groupName, addr: channel.remoteAddr }, 'consumer channel closed');
        this.afterRemoval(info);
      }
    }
  }

  /** Drops channels silent for more than 120 s. */
  scanExpired(): void {
    const now = this.now();
    for (const info of [...this.groups.values()]) {
      let removed = false;
      for (const [key, c] of info.channels) {
        if (now - c.lastUpdate > CHANNEL_EXPIRED_MS) {
          info.channels.delete(key);
          removed = true;
          this.logger.warn({ group: info.groupName, clientId: c.clientId, addr: c.channel.remoteAddr }, 'consumer channel expired');
        }
      }
      if (removed) this.afterRemoval(info);
    }
  }

  group(name: string): ConsumerGroupInfo | undefined {
    return this.groups.get(name);
  }

  allGroups(): IterableIterator<ConsumerGroupInfo> {
    return this.groups.values();
  }

  findChannel(group: string, clientId: string): ClientChannelInfo | undefined {
    const info = this.groups.get(group);
    if (!info) return undefined;
    for (const c of info.channels.values()) if (c.clientId === clientId) return c;
    return undefined;
  }

  findSubscription(group: string, topic: string): SubscriptionData | undefined {
    return this.groups.get(group)?.subscriptions.get(topic);
  }

  subscriptionCount(group: string): number {
    return this.groups.get(group)?.subscriptions.size ?? 0;
  }

  /** Groups online that subscribe to `topic`. */
  groupsConsuming(topic: string): string[] {
    const out: string[] = [];
    for (const info of this.groups.values()) if (info.subscriptions.has(topic)) out.push(info.groupName);
    return out;
  }

  /** Sends every group's subscriptions to the workers again. */
  republishAll(): void {
    for (const info of this.groups.values()) this.publish(info);
  }

  private afterRemoval(info: ConsumerGroupInfo): void {
    if (info.channels.size === 0) {
      this.groups.delete(info.groupName);
      this.logger.info({ group: info.groupName }, 'consumer group has no connection left, removed');
      this.bus.publishSubscriptions(info.groupName, []);
    } else if (this.notifyEnabled(info.groupName)) {
      this.notify(info);
    }
  }

  /**
   * RocketMQ's rule: a topic newly subscribed or no longer subscribed counts as a change; a newer
   * subVersion of a topic replaces the old subscription without counting as one.
   */
  private updateSubscriptions(info: ConsumerGroupInfo, subs: SubscriptionData[]): { topicsChanged: boolean; contentChanged: boolean } {
    let topicsChanged = false;
    let contentChanged = false;
    const wanted = new Set<string>();
    for (const sub of subs) {
      wanted.add(sub.topic);
      const old = info.subscriptions.get(sub.topic);
      if (!old) {
        info.subscriptions.set(sub.topic, sub);
        topicsChanged = contentChanged = true;
      } else if (sub.subVersion > old.subVersion) {
        info.subscriptions.set(sub.topic, sub);
        if (!sameSubscription(old, sub)) contentChanged = true;
      }
    }
    for (const topic of [...info.subscriptions.keys()]) {
      if (!wanted.has(topic)) {
        info.subscriptions.delete(topic);
        topicsChanged = contentChanged = true;
      }
    }
    return { topicsChanged, contentChanged };
  }

  private notify(info: ConsumerGroupInfo): void {
    for (const c of info.channels.values()) {
      try {
        this.bus.sendToClient(c.channel, newRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: info.groupName }, null, true));
      } catch (e) {
        this.logger.warn({ group: info.groupName, addr: c.channel.remoteAddr, err: (e as Error).message }, 'cannot notify consumer');
      }
    }
  }

  private publish(info: ConsumerGroupInfo): void {
    const views: SubscriptionView[] = [];
    for (const s of info.subscriptions.values()) {
      views.push({ topic: s.topic, subString: s.subString, expressionType: s.expressionType, subVersion: s.subVersion, tagsSet: [...s.tagsSet], codeSet: [...s.codeSet] });
    }
    this.bus.publishSubscriptions(info.groupName, views);
  }
}
