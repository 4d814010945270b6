import type { Logger } from '../logger.js';
import type { ChannelRef, SubscriptionGroupView, SubscriptionView, TopicConfig, WireCommand } from '../../shared/worker-protocol.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';

/** Read access to the message store from the acceptor thread (offsets table + file reads). */
export interface StoreView {
  /** Next logical offset to be written (= number of dispatched entries) of a queue; 0 if unknown. */
  maxOffset(topic: string, queueId: number): number;
  minOffset(topic: string, queueId: number): number;
  /** Store timestamp of the message at a logical offset, 0 when there is none. */
  storeTimeAt(topic: string, queueId: number, offset: number): number;
  /** RocketMQ's SEARCH_OFFSET_BY_TIMESTAMP semantics. */
  searchOffsetByTimestamp(topic: string, queueId: number, timestamp: number): number;
  commitLogMinOffset(): number;
  commitLogMaxOffset(): number;
  /** Slot numbers for queues 0..queueCount-1 of a topic, created on first use. */
  slotsFor(topic: string, queueCount: number): number[];
  /** Removes a topic's ConsumeQueues (DELETE_TOPIC_IN_BROKER). */
  deleteTopic(topic: string): Promise<void>;
}

/** Reaches client connections, which live in the network workers. */
export interface WorkerBus {
  /** Oneway server-initiated request (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE, ...). */
  sendToClient(channel: ChannelRef, cmd: WireCommand): void;
  /** Server-initiated request awaiting the client's response (GET_CONSUMER_RUNNING_INFO, ...). */
  invokeClient(channel: ChannelRef, cmd: WireCommand, timeoutMs: number): Promise<WireCommand>;
  /** Replicas in every network worker. */
  publishTopics(upsert: { config: TopicConfig; queueSlots: number[] }[], remove: string[]): void;
  publishGroups(upsert: SubscriptionGroupView[], remove: string[]): void;
  publishSubscriptions(group: string, subscriptions: SubscriptionView[]): void;
}

export interface ControlContext {
  config: BrokerConfig;
  logger: Logger;
  store: StoreView;
  bus: WorkerBus;
  /** Re-register with the name servers now (after a topic change). */
  registerNow(): void;
}
