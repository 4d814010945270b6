import type { Logger } from 'pino';
import { Perm } from '../../shared/codes.js';
import { KvConfig } from './kv-config.js';
import { sameDataVersion, type BrokerData, type DataVersion, type QueueData, type TopicConfigWrapper, type TopicRouteData } from './model.js';

/** Identifies the connection a broker registered over (the server hands out one per socket). */
export type ChannelId = number | string;

export const DEFAULT_BROKER_EXPIRE_MS = 120_000;
export const BROKER_SCAN_INTERVAL_MS = 10_000;
export const ORDER_TOPIC_CONFIG_NAMESPACE = 'ORDER_TOPIC_CONFIG';
export const MASTER_ID = 0;

export interface RegisterBrokerRequest {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  topicConfigWrapper: TopicConfigWrapper | null;
  filterServerList: string[] | null;
  channelId: ChannelId | null;
}

/** What a registering broker is told: for a slave, its master's HA and broker address when the master is live. */
export interface RegisterBrokerResult {
  haServerAddr: string | null;
  masterAddr: string | null;
}

interface BrokerLiveInfo {
  lastUpdate: number;
  dataVersion: DataVersion;
  channelId: ChannelId | null;
  haServerAddr: string;
}

export interface NamesrvStateOptions {
  /** A broker is dropped this long after its last registration (default 120 s). */
  brokerExpireMs?: number;
  logger?: Logger;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The name server's state, as RocketMQ 4.9's RouteInfoManager keeps it: topics -> queue data per broker
 * name, broker names -> addresses by id, clusters -> broker names, live brokers by address. No I/O.
 */
export class NamesrvState {
  readonly brokerExpireMs: number;
  readonly kv = new KvConfig();
  /** Name server config (UPDATE/GET_NAMESRV_CONFIG); `orderMessageEnable` is the one that changes behaviour. */
  readonly config = new Map<string, string>([['orderMessageEnable', 'false']]);
  private readonly log: Logger | undefined;
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerAddrTable = new Map<string, BrokerData>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly filterServerTable = new Map<string, string[]>();

  constructor(opts: NamesrvStateOptions = {}) {
    this.brokerExpireMs = opts.brokerExpireMs ?? DEFAULT_BROKER_EXPIRE_MS;
    this.log = opts.logger;
  }

  get orderMessageEnable(): boolean {
    return this.config.get('orderMessageEnable') === 'true';
  }

  registerBroker(req: RegisterBrokerRequest, now = Date.now()): RegisterBrokerResult {
    const { clusterName, brokerAddr, brokerName, brokerId } = req;
    let names = this.clusterAddrTable.get(clusterName);
    if (!names) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let registerFirst = false;
    let bd = this.brokerAddrTable.get(brokerName);
    if (!bd) {
      registerFirst = true;
      bd = { cluster: clusterName, brokerName, brokerAddrs: new Map() };
      this.brokerAddrTable.set(brokerName, bd);
    }
    // One address holds one id: a slave promoted to master drops its old id first.
    for (const [id, addr] of bd.brokerAddrs) if (addr === brokerAddr && id !== brokerId) bd.brokerAddrs.delete(id);
    const oldAddr = bd.brokerAddrs.get(brokerId);
    bd.brokerAddrs.set(brokerId, brokerAddr);
    registerFirst ||= oldAddr === undefined;

    const dataVersion = req.topicConfigWrapper?.dataVersion ?? { counter: 0, timestamp: 0 };
    if (req.topicConfigWrapper && brokerId === MASTER_ID && (registerFirst || this.isBrokerTopicConfigChanged(brokerAddr, dataVersion))) {
      const table = req.topicConfigWrapper.topicConfigTable;
      for (const key of Object.keys(table)) {
        const tc = table[key];
        this.updateQueueData(tc.topicName ?? key, {
          brokerName,
          readQueueNums: tc.readQueueNums,
          writeQueueNums: tc.writeQueueNums,
          perm: tc.perm,
          topicSysFlag: tc.topicSysFlag ?? 0,
        });
      }
    }

    const prev = this.brokerLiveTable.get(brokerAddr);
    this.brokerLiveTable.set(brokerAddr, { lastUpdate: now, dataVersion, channelId: req.channelId, haServerAddr: req.haServerAddr });
    if (!prev) this.log?.info({ brokerAddr, brokerName, brokerId, clusterName, haServerAddr: req.haServerAddr }, 'new broker registered');

    if (req.filterServerList) {
      if (req.filterServerList.length === 0) this.filterServerTable.delete(brokerAddr);
      else this.filterServerTable.set(brokerAddr, req.filterServerList);
    }

    const result: RegisterBrokerResult = { haServerAddr: null, masterAddr: null };
    if (brokerId !== MASTER_ID) {
      const masterAddr = bd.brokerAddrs.get(MASTER_ID);
      const master = masterAddr !== undefined ? this.brokerLiveTable.get(masterAddr) : undefined;
      if (masterAddr !== undefined && master) {
        result.haServerAddr = master.haServerAddr;
        result.masterAddr = masterAddr;
      }
    }
    return result;
  }

  private updateQueueData(topic: string, qd: QueueData): void {
    let byBroker = this.topicQueueTable.get(topic);
    if (!byBroker) {
      this.topicQueueTable.set(topic, (byBroker = new Map()));
      this.log?.info({ topic, queueData: qd }, 'new topic registered');
    }
    const old = byBroker.get(qd.brokerName);
    if (old && (old.readQueueNums !== qd.readQueueNums || old.writeQueueNums !== qd.writeQueueNums || old.perm !== qd.perm || old.topicSysFlag !== qd.topicSysFlag)) {
      this.log?.info({ topic, old, new: qd }, 'topic changed');
    }
    byBroker.set(qd.brokerName, qd);
  }

  isBrokerTopicConfigChanged(brokerAddr: string, dv: DataVersion): boolean {
    return !sameDataVersion(this.brokerLiveTable.get(brokerAddr)?.dataVersion, dv);
  }

  queryBrokerDataVersion(brokerAddr: string): DataVersion | null {
    return this.brokerLiveTable.get(brokerAddr)?.dataVersion ?? null;
  }

  /** Refreshes a broker's liveness (QUERY_DATA_VERSION with an unchanged version does this). */
  touchBroker(brokerAddr: string, now = Date.now()): void {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (live) live.lastUpdate = now;
  }

  unregisterBroker(clusterName: string, brokerAddr: string, brokerName: string, brokerId: number): void {
    const live = this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const bd = this.brokerAddrTable.get(brokerName);
    let removeName = false;
    if (bd) {
      bd.brokerAddrs.delete(brokerId);
      if (bd.brokerAddrs.size === 0) {
        this.brokerAddrTable.delete(brokerName);
        removeName = true;
      }
    }
    if (removeName) {
      const names = this.clusterAddrTable.get(clusterName);
      if (names) {
        names.delete(brokerName);
        if (names.size === 0) this.clusterAddrTable.delete(clusterName);
      }
      this.removeTopicsOfBroker(brokerName);
    }
    this.log?.info({ clusterName, brokerAddr, brokerName, brokerId, wasLive: live, brokerNameRemoved: removeName }, 'broker unregistered');
  }

  /** Drops a broker address everywhere (expiry or its connection closed). */
  private removeBrokerAddr(brokerAddr: string, reason: string): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    let nameFound: string | null = null;
    let removeName = false;
    for (const [name, bd] of this.brokerAddrTable) {
      for (const [id, addr] of bd.brokerAddrs) {
        if (addr === brokerAddr) {
          bd.brokerAddrs.delete(id);
          nameFound = name;
          break;
        }
      }
      if (nameFound !== null) {
        if (bd.brokerAddrs.size === 0) {
          this.brokerAddrTable.delete(name);
          removeName = true;
        }
        break;
      }
    }
    if (nameFound !== null && removeName) {
      for (const [cluster, names] of this.clusterAddrTable) {
        if (names.delete(nameFound)) {
          if (names.size === 0) this.clusterAddrTable.delete(cluster);
          break;
        }
      }
      this.removeTopicsOfBroker(nameFound);
    }
    this.log?.warn({ brokerAddr, brokerName: nameFound, brokerNameRemoved: removeName, reason }, 'broker removed');
  }

  private removeTopicsOfBroker(brokerName: string): void {
    for (const [topic, byBroker] of this.topicQueueTable) {
      byBroker.delete(brokerName);
      if (byBroker.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  /** The connection `channelId` closed: every broker registered over it is dropped at once. */
  onChannelClosed(channelId: ChannelId): string[] {
    const addrs: string[] = [];
    for (const [addr, live] of this.brokerLiveTable) if (live.channelId === channelId) addrs.push(addr);
    for (const addr of addrs) this.removeBrokerAddr(addr, 'connection closed');
    return addrs;
  }

  /** Drops brokers silent for longer than brokerExpireMs; returns their channels, which the caller should close. */
  scanNotActiveBrokers(now = Date.now()): ChannelId[] {
    const expired: [string, ChannelId | null][] = [];
    for (const [addr, live] of this.brokerLiveTable) if (live.lastUpdate + this.brokerExpireMs < now) expired.push([addr, live.channelId]);
    const channels: ChannelId[] = [];
    for (const [addr, channelId] of expired) {
      this.removeBrokerAddr(addr, `no registration for ${this.brokerExpireMs} ms`);
      if (channelId !== null) channels.push(channelId);
    }
    return channels;
  }

  /** Route of a topic, or null when no broker hosts it. */
  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const byBroker = this.topicQueueTable.get(topic);
    if (!byBroker || byBroker.size === 0) return null;
    const queueDatas = [...byBroker.values()].sort((a, b) => byString(a.brokerName, b.brokerName)).map((q) => ({ ...q }));
    const brokerDatas: BrokerData[] = [];
    const filterServerTable = new Map<string, string[]>();
    for (const q of queueDatas) {
      const bd = this.brokerAddrTable.get(q.brokerName);
      if (!bd) continue;
      brokerDatas.push({ cluster: bd.cluster, brokerName: bd.brokerName, brokerAddrs: new Map(bd.brokerAddrs) });
      for (const addr of bd.brokerAddrs.values()) {
        const fs = this.filterServerTable.get(addr);
        if (fs && fs.length > 0) filterServerTable.set(addr, [...fs]);
      }
    }
    if (brokerDatas.length === 0) return null;
    const route: TopicRouteData = { queueDatas, brokerDatas, filterServerTable };
    if (this.orderMessageEnable) route.orderTopicConf = this.kv.get(ORDER_TOPIC_CONFIG_NAMESPACE, topic);
    return route;
  }

  clusterInfo(): { brokerAddrTable: ReadonlyMap<string, BrokerData>; clusterAddrTable: ReadonlyMap<string, ReadonlySet<string>> } {
    return { brokerAddrTable: this.brokerAddrTable, clusterAddrTable: this.clusterAddrTable };
  }

  allTopics(): string[] {
    return [...this.topicQueueTable.keys()];
  }

  topicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (!names) return [];
    const out: string[] = [];
    for (const [topic, byBroker] of this.topicQueueTable) {
      for (const name of names) {
        if (byBroker.has(name)) {
          out.push(topic);
          break;
        }
      }
    }
    return out;
  }

  /** Cluster and broker names (the topics every broker creates for itself), plus one broker address. */
  systemTopicList(): { topics: string[]; brokerAddr: string | null } {
    const topics = new Set<string>();
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.add(cluster);
      for (const n of names) topics.add(n);
    }
    let brokerAddr: string | null = null;
    for (const bd of this.brokerAddrTable.values()) {
      const first = bd.brokerAddrs.values().next();
      if (!first.done) {
        brokerAddr = first.value;
        break;
      }
    }
    return { topics: [...topics], brokerAddr };
  }

  /** Removes a topic, or only its queues on the brokers of `clusterName` when given. */
  deleteTopic(topic: string, clusterName?: string | null): void {
    if (!clusterName) {
      this.topicQueueTable.delete(topic);
      return;
    }
    const names = this.clusterAddrTable.get(clusterName);
    const byBroker = this.topicQueueTable.get(topic);
    if (!names || !byBroker) return;
    for (const n of names) byBroker.delete(n);
    if (byBroker.size === 0) this.topicQueueTable.delete(topic);
  }

  /** Clears WRITE on every topic of the broker name; returns how many topics it touched. */
  wipeWritePerm(brokerName: string): number {
    return this.changePerm(brokerName, (p) => p & ~Perm.WRITE);
  }

  /** Sets READ|WRITE back on every topic of the broker name (ADD_WRITE_PERM_OF_BROKER). */
  addWritePerm(brokerName: string): number {
    return this.changePerm(brokerName, () => Perm.READ | Perm.WRITE);
  }

  private changePerm(brokerName: string, f: (perm: number) => number): number {
    let n = 0;
    for (const byBroker of this.topicQueueTable.values()) {
      const qd = byBroker.get(brokerName);
      if (qd) {
        qd.perm = f(qd.perm);
        n++;
      }
    }
    return n;
  }

  /** Addresses of the live brokers, for diagnostics and tests. */
  liveBrokers(): string[] {
    return [...this.brokerLiveTable.keys()];
  }
}
