import type { ControlContext } from './context.js';
import type { ChannelRef } from '../../shared/worker-protocol.js';
import type { RemotingCommand } from '../../shared/remoting/command.js';
import type { TopicConfigManager } from './topic-config-manager.js';
import type { SubscriptionGroupManager } from './subscription-group-manager.js';
import type { ConsumerOffsetManager } from './consumer-offset-manager.js';
import type { ConsumerManager } from './consumer-manager.js';
import type { ProducerManager } from './producer-manager.js';
import type { RebalanceLockManager } from './rebalance-lock-manager.js';
import type { DataVersion } from './data-version.js';

/** Everything the request handlers work on. */
export interface ControlState {
  ctx: ControlContext;
  topics: TopicConfigManager;
  groups: SubscriptionGroupManager;
  offsets: ConsumerOffsetManager;
  consumers: ConsumerManager;
  producers: ProducerManager;
  locks: RebalanceLockManager;
  /** Version of the broker configuration (GET_BROKER_CONFIG header `version`). */
  configVersion: DataVersion;
  /** When this broker started (ms). */
  bootTimestamp: number;
}

/** Answers one request code; null = nothing to send (or, for sends, "the topic exists now"). */
export type Handler = (cmd: RemotingCommand, channel: ChannelRef, s: ControlState) => RemotingCommand | null | Promise<RemotingCommand | null>;

export type HandlerTable = Record<number, Handler>;
