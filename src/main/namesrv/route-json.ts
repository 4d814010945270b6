import { STANDARD_JSON_ROUTE_VERSION } from '../../shared/codes.js';
import type { BrokerData, DataVersion, QueueData, TopicRouteData } from './model.js';

/**
 * Name server JSON bodies, byte for byte as the Java name server (fastjson) writes them:
 * compact, bean fields in alphabetical order, null fields omitted.
 *
 * `standard` selects the form Java sends to requests of version >= V4_9_4 or with
 * acceptStandardJsonOnly=true: brokerAddrs keys quoted, non-ASCII escaped as \uXXXX.
 * Otherwise brokerAddrs keys are bare integers (`{0:"10.0.0.1:10911"}`), which old Go v2
 * clients require. Map keys are sorted (numerically for broker ids) in both forms.
 */

/** True when the requester gets standard JSON (quoted brokerAddrs keys). */
export function wantsStandardJson(version: number, acceptStandardJsonOnly: string | undefined | null): boolean {
  return version >= STANDARD_JSON_ROUTE_VERSION || (acceptStandardJsonOnly ?? '').toLowerCase() === 'true';
}

const NON_ASCII = /[\u0080-\uffff]/g;
const escapeNonAscii = (c: string) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');

export function jsonString(s: string, standard = false): string {
  const q = JSON.stringify(s);
  return standard ? q.replace(NON_ASCII, escapeNonAscii) : q;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function encodeBrokerAddrs(addrs: Map<number, string>, standard: boolean): string {
  const ids = [...addrs.keys()].sort((a, b) => a - b);
  let s = '{';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (i > 0) s += ',';
    s += (standard ? '"' + id + '"' : String(id)) + ':' + jsonString(addrs.get(id)!, standard);
  }
  return s + '}';
}

export function encodeBrokerData(bd: BrokerData, standard: boolean): string {
  return '{"brokerAddrs":' + encodeBrokerAddrs(bd.brokerAddrs, standard) +
    ',"brokerName":' + jsonString(bd.brokerName, standard) +
    ',"cluster":' + jsonString(bd.cluster, standard) + '}';
}

/** QueueData with the flag under both names: `topicSynFlag` (Go v2, Java <= 4.8) and `topicSysFlag`. */
export function encodeQueueData(qd: QueueData, standard: boolean): string {
  return '{"brokerName":' + jsonString(qd.brokerName, standard) +
    ',"perm":' + qd.perm +
    ',"readQueueNums":' + qd.readQueueNums +
    ',"topicSynFlag":' + qd.topicSysFlag +
    ',"topicSysFlag":' + qd.topicSysFlag +
    ',"writeQueueNums":' + qd.writeQueueNums + '}';
}

function encodeStringList(list: Iterable<string>, standard: boolean): string {
  let s = '[';
  let first = true;
  for (const v of list) {
    s += (first ? '' : ',') + jsonString(v, standard);
    first = false;
  }
  return s + ']';
}

/** TopicRouteData: brokerDatas, filterServerTable, orderTopicConf (when set), queueDatas. */
export function encodeTopicRouteData(route: TopicRouteData, standard: boolean): string {
  let s = '{"brokerDatas":[';
  for (let i = 0; i < route.brokerDatas.length; i++) s += (i > 0 ? ',' : '') + encodeBrokerData(route.brokerDatas[i], standard);
  s += '],"filterServerTable":{';
  const addrs = [...route.filterServerTable.keys()].sort(byString);
  for (let i = 0; i < addrs.length; i++) {
    s += (i > 0 ? ',' : '') + jsonString(addrs[i], standard) + ':' + encodeStringList(route.filterServerTable.get(addrs[i])!, standard);
  }
  s += '}';
  if (route.orderTopicConf != null) s += ',"orderTopicConf":' + jsonString(route.orderTopicConf, standard);
  s += ',"queueDatas":[';
  for (let i = 0; i < route.queueDatas.length; i++) s += (i > 0 ? ',' : '') + encodeQueueData(route.queueDatas[i], standard);
  return s + ']}';
}

/**
 * ClusterInfo `{"brokerAddrTable":{name:BrokerData},"clusterAddrTable":{cluster:[brokerName]}}`.
 * Java always sends it in the plain form (bare brokerAddrs keys), hence the default.
 */
export function encodeClusterInfo(
  brokerAddrTable: ReadonlyMap<string, BrokerData>,
  clusterAddrTable: ReadonlyMap<string, Iterable<string>>,
  standard = false,
): string {
  let s = '{"brokerAddrTable":{';
  const names = [...brokerAddrTable.keys()].sort(byString);
  for (let i = 0; i < names.length; i++) {
    s += (i > 0 ? ',' : '') + jsonString(names[i], standard) + ':' + encodeBrokerData(brokerAddrTable.get(names[i])!, standard);
  }
  s += '},"clusterAddrTable":{';
  const clusters = [...clusterAddrTable.keys()].sort(byString);
  for (let i = 0; i < clusters.length; i++) {
    const members = [...clusterAddrTable.get(clusters[i])!].sort(byString);
    s += (i > 0 ? ',' : '') + jsonString(clusters[i], standard) + ':' + encodeStringList(members, standard);
  }
  return s + '}}';
}

/** TopicList `{"brokerAddr":..,"topicList":[..]}` (brokerAddr only when set). */
export function encodeTopicList(topics: Iterable<string>, brokerAddr?: string | null): string {
  let s = '{';
  if (brokerAddr != null) s += '"brokerAddr":' + jsonString(brokerAddr) + ',';
  return s + '"topicList":' + encodeStringList(topics, false) + '}';
}

/** KVTable `{"table":{"k":"v"}}`. */
export function encodeKvTable(table: ReadonlyMap<string, string>): string {
  let s = '{"table":{';
  let first = true;
  for (const [k, v] of table) {
    s += (first ? '' : ',') + jsonString(k) + ':' + jsonString(v);
    first = false;
  }
  return s + '}}';
}

/** DataVersion `{"counter":..,"stateVersion":..,"timestamp":..}` (stateVersion only when known). */
export function encodeDataVersion(dv: DataVersion): string {
  return '{"counter":' + dv.counter + (dv.stateVersion !== undefined ? ',"stateVersion":' + dv.stateVersion : '') + ',"timestamp":' + dv.timestamp + '}';
}
