// Topic routes from the name server (GET_ROUTEINFO_BY_TOPIC, code 105), as a Java client reads them.

import { Perm, RequestCode, ResponseCode, SerializeType } from '../../shared/codes.js';
import { newRequest, type RemotingCommand } from '../../shared/remoting/command.js';
import { parseFastJson } from '../../shared/storage/fastjson.js';
import { RemotingClient } from '../net/remoting-client.js';

export const AUTO_CREATE_TOPIC = 'TBW102';
/** DefaultMQProducer.defaultTopicQueueNums */
export const DEFAULT_TOPIC_QUEUE_NUMS = 4;

export interface BrokerQueues {
  brokerName: string;
  /** master address (brokerId 0) */
  addr: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

/** Parses a TopicRouteData body (standard or fastjson's unquoted brokerAddrs keys). */
export function parseTopicRoute(body: Buffer): BrokerQueues[] {
  const o = parseFastJson(body.toString('utf8'));
  const addrs = new Map<string, string>();
  for (const bd of Array.isArray(o?.brokerDatas) ? o.brokerDatas : []) {
    const master = bd?.brokerAddrs?.['0'];
    if (typeof bd?.brokerName === 'string' && typeof master === 'string') addrs.set(bd.brokerName, master);
  }
  const out: BrokerQueues[] = [];
  for (const qd of Array.isArray(o?.queueDatas) ? o.queueDatas : []) {
    const addr = addrs.get(qd?.brokerName);
    if (!addr) continue;
    out.push({ brokerName: qd.brokerName, addr, readQueueNums: Number(qd.readQueueNums) || 0, writeQueueNums: Number(qd.writeQueueNums) || 0, perm: Number(qd.perm) || 0 });
  }
  return out.sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
}

async function ask(namesrv: string, topic: string): Promise<RemotingCommand> {
  const client = await RemotingClient.connect(namesrv);
  try {
    const req = newRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
    req.serializeType = SerializeType.ROCKETMQ;
    return await client.invoke(req);
  } finally {
    client.close();
  }
}

/** The topic's route, or null when the name server has none (TOPIC_NOT_EXIST). */
export async function fetchTopicRoute(namesrv: string, topic: string): Promise<BrokerQueues[] | null> {
  const res = await ask(namesrv, topic);
  if (res.code === ResponseCode.TOPIC_NOT_EXIST) return null;
  if (res.code !== ResponseCode.SUCCESS || !res.body) throw new Error(`name server ${namesrv} answered code ${res.code} for the route of ${topic}: ${res.remark ?? ''}`);
  return parseTopicRoute(res.body);
}

export interface PublishRoute {
  targets: { addr: string; brokerName: string; queueIds: number[] }[];
  /** true when the topic does not exist yet and the broker will create it from TBW102 */
  autoCreate: boolean;
}

/**
 * Where a producer sends: the writable queues of the topic, or (like the Java producer) those of
 * TBW102 capped at 4, so the broker creates the topic on the first send.
 */
export async function resolvePublishRoute(namesrv: string, topic: string): Promise<PublishRoute> {
  let route = await fetchTopicRoute(namesrv, topic);
  let autoCreate = false;
  if (!route || route.length === 0) {
    route = await fetchTopicRoute(namesrv, AUTO_CREATE_TOPIC);
    if (!route || route.length === 0) throw new Error(`topic ${topic} does not exist and the name server has no ${AUTO_CREATE_TOPIC} route (autoCreateTopicEnable=false?); create the topic first`);
    route = route.map((b) => ({ ...b, writeQueueNums: Math.min(DEFAULT_TOPIC_QUEUE_NUMS, b.writeQueueNums), readQueueNums: Math.min(DEFAULT_TOPIC_QUEUE_NUMS, b.readQueueNums) }));
    autoCreate = true;
  }
  const targets = route
    .filter((b) => (b.perm & Perm.WRITE) !== 0 && b.writeQueueNums > 0)
    .map((b) => ({ addr: b.addr, brokerName: b.brokerName, queueIds: Array.from({ length: b.writeQueueNums }, (_, i) => i) }));
  if (targets.length === 0) throw new Error(`topic ${topic} has no writable queue`);
  return { targets, autoCreate };
}

/** The readable queues of the topic, per broker. */
export async function resolveSubscribeRoute(namesrv: string, topic: string): Promise<{ addr: string; brokerName: string; queueIds: number[] }[]> {
  const route = await fetchTopicRoute(namesrv, topic);
  if (!route) throw new Error(`topic ${topic} does not exist (no route in name server ${namesrv})`);
  const out = route
    .filter((b) => (b.perm & Perm.READ) !== 0 && b.readQueueNums > 0)
    .map((b) => ({ addr: b.addr, brokerName: b.brokerName, queueIds: Array.from({ length: b.readQueueNums }, (_, i) => i) }));
  if (out.length === 0) throw new Error(`topic ${topic} has no readable queue`);
  return out;
}
