import type { ChannelRef } from '../../shared/worker-protocol.js';

/** A client connection as the broker remembers it from HEART_BEAT. */
export interface ClientChannelInfo {
  channel: ChannelRef;
  clientId: string;
  /** LanguageCode ordinal of the client's requests. */
  language: number;
  /** MQVersion ordinal of the client's requests. */
  version: number;
  lastUpdate: number;
}

/** Identity of a connection across the network workers. */
export const channelKey = (c: ChannelRef): string => c.workerId + ':' + c.connId;

/** A client channel is dropped after this long without a heartbeat. */
export const CHANNEL_EXPIRED_MS = 120_000;
/** How often expired client channels are looked for. */
export const CHANNEL_SCAN_INTERVAL_MS = 10_000;
