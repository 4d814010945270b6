/** Shapes shared by the name server modules (the JSON field names are RocketMQ's). */

export interface DataVersion {
  counter: number;
  timestamp: number;
  /** 5.x only; kept when a broker sends it. */
  stateVersion?: number;
}

/** A broker's topic config as it travels in REGISTER_BROKER (TopicConfig JSON). */
export interface TopicConfigJson {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
}

export interface TopicConfigWrapper {
  dataVersion: DataVersion;
  topicConfigTable: Record<string, TopicConfigJson>;
}

export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: TopicConfigWrapper;
  filterServerList: string[];
}

/** One broker name's queues for a topic (route entry). */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** One broker name: its cluster and its addresses by broker id (0 = master). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
}

export interface TopicRouteData {
  orderTopicConf?: string | null;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  /** broker address -> filter servers; empty for every current broker. */
  filterServerTable: Map<string, string[]>;
}

export const sameDataVersion = (a: DataVersion | null | undefined, b: DataVersion | null | undefined): boolean =>
  !!a && !!b && a.counter === b.counter && a.timestamp === b.timestamp && (a.stateVersion ?? 0) === (b.stateVersion ?? 0);
