import type { RemotingCommand } from './remoting/command.js';

/**
 * Messages between the acceptor (main thread, which owns the broker's control state) and the
 * network workers. Only rare, per-request or per-change traffic crosses here: sends and pulls
 * never do.
 */

/** A client connection, named by the network worker that owns it. */
export interface ChannelRef {
  workerId: number;
  connId: number;
  /** "ip:port" of the peer. */
  remoteAddr: string;
}

/** The plain-data form of a RemotingCommand that crosses postMessage (body as Uint8Array). */
export type WireCommand = Omit<RemotingCommand, 'body'> & { body: Uint8Array | null };

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
}

export interface SubscriptionGroupView {
  groupName: string;
  consumeEnable: boolean;
  consumeBroadcastEnable: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
}

/** What a consumer group subscribed to a topic, from its latest HEART_BEAT. */
export interface SubscriptionView {
  topic: string;
  subString: string;
  expressionType: string;
  subVersion: number;
  tagsSet: string[];
  codeSet: number[];
}

/** main -> network worker */
export type ToWorker =
  /** Answer to a forwarded request (cmd null: nothing to send, e.g. oneway). */
  | { kind: 'reply'; reqId: number; cmd: WireCommand | null }
  /** Replace or remove topic configs in the worker's replica (queueSlots: slot per queueId). */
  | { kind: 'topics'; upsert: { config: TopicConfig; queueSlots: number[] }[]; remove: string[] }
  | { kind: 'groups'; upsert: SubscriptionGroupView[]; remove: string[] }
  /** A group's subscriptions changed (empty list: the group has no consumers left). */
  | { kind: 'subscriptions'; group: string; subscriptions: SubscriptionView[] }
  /** Write a server-initiated request to a client connection of this worker. */
  | { kind: 'toClient'; connId: number; cmd: WireCommand; invokeId?: number; timeoutMs?: number }
  | { kind: 'shutdown' };

/** network worker -> main */
export type FromWorker =
  | { kind: 'ready'; workerId: number }
  /** A request the control plane answers (heartbeats, offsets, admin codes, topic creation...). */
  | { kind: 'request'; reqId: number; channel: ChannelRef; cmd: WireCommand }
  | { kind: 'closed'; channel: ChannelRef }
  /** Response of a client to a server-initiated invoke (GET_CONSUMER_RUNNING_INFO, ...). */
  | { kind: 'clientReply'; invokeId: number; cmd: WireCommand | null; error?: string }
  /**
   * Consumer offset commits carried by pulls (COMMIT_OFFSET flag): for groups[i] and topics[i],
   * pairs[i] holds queueId, offset, queueId, offset... in the order they came.
   */
  | { kind: 'commitOffsets'; groups: string[]; topics: string[]; pairs: Float64Array[] }
  | { kind: 'stats'; workerId: number; connections: number };
