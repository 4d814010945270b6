import type { ControlContext } from './context.js';
import type { ChannelRef } from '../../shared/worker-protocol.js';
import { ResponseCode } from '../../shared/codes.js';
import { isOneway, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { CHANNEL_SCAN_INTERVAL_MS } from './client-channel.js';
import { ConsumerManager } from './consumer-manager.js';
import { ConsumerOffsetManager } from './consumer-offset-manager.js';
import { DataVersion } from './data-version.js';
import { ProducerManager } from './producer-manager.js';
import { RebalanceLockManager } from './rebalance-lock-manager.js';
import { SubscriptionGroupManager } from './subscription-group-manager.js';
import { TopicConfigManager, type TopicConfigWrapper } from './topic-config-manager.js';
import type { ControlState, Handler } from './state.js';
import { brokerAdminHandlers } from './broker-admin-handlers.js';
import { clientHandlers } from './client-handlers.js';
import { consumerAdminHandlers } from './consumer-admin-handlers.js';
import { groupAdminHandlers } from './group-admin-handlers.js';
import { topicHandlers } from './topic-handlers.js';

/**
 * The broker's control plane on the acceptor thread: topics, subscription groups, consumer
 * offsets, online clients, queue locks, and every request the network workers forward (all codes
 * but sends to known topics and pulls).
 */
export class BrokerControl {
  readonly topics: TopicConfigManager;
  readonly groups: SubscriptionGroupManager;
  readonly offsets: ConsumerOffsetManager;
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
  readonly locks = new RebalanceLockManager();
  private readonly state: ControlState;
  private readonly handlers = new Map<number, Handler>();
  private scanTimer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: ControlContext) {
    this.topics = new TopicConfigManager(ctx);
    this.groups = new SubscriptionGroupManager(ctx);
    this.offsets = new ConsumerOffsetManager(ctx);
    this.consumers = new ConsumerManager(ctx.bus, ctx.logger, (g) => this.groups.get(g)?.notifyConsumerIdsChangedEnable ?? true);
    this.producers = new ProducerManager(ctx.logger);
    this.state = {
      ctx,
      topics: this.topics,
      groups: this.groups,
      offsets: this.offsets,
      consumers: this.consumers,
      producers: this.producers,
      locks: this.locks,
      configVersion: new DataVersion(),
      bootTimestamp: Math.round(Date.now() - process.uptime() * 1000),
    };
    for (const table of [clientHandlers, topicHandlers, groupAdminHandlers, consumerAdminHandlers, brokerAdminHandlers]) {
      for (const [code, handler] of Object.entries(table)) this.handlers.set(Number(code), handler);
    }
  }

  /** Loads the config files, publishes topics and groups to the workers, starts the timers. */
  async load(): Promise<void> {
    await this.topics.load();
    await this.groups.load();
    await this.offsets.load();
    this.offsets.start();
    this.scanTimer = setInterval(() => {
      try {
        this.producers.scanExpired();
        this.consumers.scanExpired();
      } catch (e) {
        this.ctx.logger.error({ err: (e as Error).message }, 'client channel scan failed');
      }
    }, CHANNEL_SCAN_INTERVAL_MS);
    this.scanTimer.unref();
  }

  /**
   * Answers a forwarded request. Never throws; null for oneway requests, and for a send whose
   * topic now exists (the worker then stores the message itself: its replica has the topic,
   * published before this reply). A oneway send to a topic that cannot be created also gets
   * null: the worker finds the topic still missing and drops the message.
   */
  async handle(cmd: RemotingCommand, channel: ChannelRef): Promise<RemotingCommand | null> {
    let response: RemotingCommand | null;
    try {
      const handler = this.handlers.get(cmd.code);
      response = handler
        ? await handler(cmd, channel, this.state)
        : responseFor(cmd, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${cmd.code} not supported`);
    } catch (e) {
      if (e instanceof RemotingError) {
        response = responseFor(cmd, e.code, e.message);
      } else {
        this.ctx.logger.error({ code: cmd.code, addr: channel.remoteAddr, err: (e as Error).stack ?? String(e) }, 'request failed');
        response = responseFor(cmd, ResponseCode.SYSTEM_ERROR, (e as Error).message ?? String(e));
      }
    }
    return isOneway(cmd) ? null : response;
  }

  onChannelClosed(channel: ChannelRef): void {
    try {
      this.producers.onChannelClosed(channel);
      this.consumers.onChannelClosed(channel);
    } catch (e) {
      this.ctx.logger.error({ addr: channel.remoteAddr, err: (e as Error).message }, 'channel close handling failed');
    }
  }

  /** Offset commit carried by a pull (COMMIT_OFFSET flag). */
  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    this.offsets.commit(group, topic, queueId, offset);
  }

  /** Publishes topics, groups and subscriptions again, e.g. to a network worker that restarted. */
  republishAll(): void {
    this.topics.republishAll();
    this.groups.republishAll();
    this.consumers.republishAll();
  }

  /** `{dataVersion, topicConfigTable}` for name-server registration. */
  topicWrapper(): TopicConfigWrapper {
    return this.topics.wrapper();
  }

  /** Stops the timers and writes what is pending (consumer offsets, config files). */
  async shutdown(): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = null;
    await this.offsets.shutdown();
    await this.topics.flush();
    await this.groups.flush();
  }
}
