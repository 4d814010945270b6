import type { Logger } from '../logger.js';
import type { ChannelRef } from '../../shared/worker-protocol.js';
import { CHANNEL_EXPIRED_MS, channelKey, type ClientChannelInfo } from './client-channel.js';

/** Online producers per group, from HEART_BEAT (RocketMQ ProducerManager). */
export class ProducerManager {
  private readonly groups = new Map<string, Map<string, ClientChannelInfo>>();
  private roundRobin = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  register(group: string, client: Omit<ClientChannelInfo, 'lastUpdate'>): void {
    let channels = this.groups.get(group);
    if (!channels) {
      channels = new Map();
      this.groups.set(group, channels);
    }
    const key = channelKey(client.channel);
    if (!channels.has(key)) this.logger.info({ group, clientId: client.clientId, addr: client.channel.remoteAddr }, 'new producer connected');
    channels.set(key, { ...client, lastUpdate: this.now() });
  }

  unregister(group: string, channel: ChannelRef): void {
    const channels = this.groups.get(group);
    if (!channels) return;
    if (channels.delete(channelKey(channel))) this.logger.info({ group, addr: channel.remoteAddr }, 'producer unregistered');
    if (channels.size === 0) this.groups.delete(group);
  }

  onChannelClosed(channel: ChannelRef): void {
    const key = channelKey(channel);
    for (const [group, channels] of [...this.groups]) {
      if (channels.delete(key) && channels.size === 0) this.groups.delete(group);
    }
  }

  /** Drops channels silent for more than 120 s. */
  scanExpired(): void {
    const now = this.now();
    for (const [group, channels] of [...this.groups]) {
      for (const [key, c] of channels) {
        if (now - c.lastUpdate > CHANNEL_EXPIRED_MS) {
          channels.delete(key);
          this.logger.warn({ group, clientId: c.clientId, addr: c.channel.remoteAddr }, 'producer channel expired');
        }
      }
      if (channels.size === 0) this.groups.delete(group);
    }
  }

  /** The group's connections, or undefined when the group has none. */
  connections(group: string): ClientChannelInfo[] | undefined {
    const channels = this.groups.get(group);
    return channels && channels.size > 0 ? [...channels.values()] : undefined;
  }

  /** One channel of the group, in turn (CHECK_TRANSACTION_STATE goes to any live producer). */
  availableChannel(group: string): ClientChannelInfo | undefined {
    const list = this.connections(group);
    if (!list) return undefined;
    this.roundRobin = (this.roundRobin + 1) % 0x7fffffff;
    return list[this.roundRobin % list.length];
  }

  findByClientId(clientId: string): ClientChannelInfo | undefined {
    for (const channels of this.groups.values()) {
      for (const c of channels.values()) if (c.clientId === clientId) return c;
    }
    return undefined;
  }
}
