import { RequestCode, ResponseCode } from '../../shared/codes.js';
import { isOneway, isResponse, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { bodyCrc } from '../../shared/storage/crc32.js';
import { dataVersionFrom, decodeRegisterBody, parseLenientJson } from './register-body.js';
import { ORDER_TOPIC_CONFIG_NAMESPACE, type ChannelId, type NamesrvState } from './route-info.js';
import { encodeClusterInfo, encodeDataVersion, encodeTopicList, encodeTopicRouteData, wantsStandardJson } from './route-json.js';

/** Name server codes that codes.ts does not list. */
export const NamesrvCode = {
  UPDATE_NAMESRV_CONFIG: 318,
  GET_NAMESRV_CONFIG: 319,
  ADD_WRITE_PERM_OF_BROKER: 327,
} as const;

type Handler = (state: NamesrvState, cmd: RemotingCommand, channelId: ChannelId) => RemotingCommand;

const EMPTY: Record<string, string> = {};
const NO_BODY = Buffer.alloc(0);

function required(cmd: RemotingCommand, name: string): string {
  const v = (cmd.extFields ?? EMPTY)[name];
  if (v === undefined || v === null) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${name}> is null`);
  return v;
}

function requiredInt(cmd: RemotingCommand, name: string): number {
  const v = required(cmd, name).trim();
  if (!/^-?\d+$/.test(v)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${name}> is not a number: ${v}`);
  return Number(v);
}

const optional = (cmd: RemotingCommand, name: string): string | undefined => (cmd.extFields ?? EMPTY)[name];
const ok = (cmd: RemotingCommand, extFields: Record<string, string> | null = null, body: Buffer | null = null) =>
  responseFor(cmd, ResponseCode.SUCCESS, null, extFields, body);
const utf8 = (s: string | null) => (s === null ? null : Buffer.from(s, 'utf8'));

function registerBroker(state: NamesrvState, cmd: RemotingCommand, channelId: ChannelId): RemotingCommand {
  const brokerName = required(cmd, 'brokerName');
  const brokerAddr = required(cmd, 'brokerAddr');
  const clusterName = required(cmd, 'clusterName');
  const haServerAddr = required(cmd, 'haServerAddr');
  const brokerId = requiredInt(cmd, 'brokerId');
  const crc = Number(optional(cmd, 'bodyCrc32') ?? 0) | 0;
  if (crc !== 0 && bodyCrc(cmd.body ?? NO_BODY, 0, cmd.body ? cmd.body.length : 0) !== crc) {
    return responseFor(cmd, ResponseCode.SYSTEM_ERROR, 'crc32 not match', {});
  }
  let body;
  try {
    body = decodeRegisterBody(cmd.body, optional(cmd, 'compressed') === 'true', cmd.version);
  } catch (e) {
    return responseFor(cmd, ResponseCode.SYSTEM_ERROR, `Failed to decode RegisterBrokerBody: ${(e as Error).message}`);
  }
  const result = state.registerBroker({
    clusterName,
    brokerAddr,
    brokerName,
    brokerId,
    haServerAddr,
    topicConfigWrapper: body.topicConfigSerializeWrapper,
    filterServerList: body.filterServerList,
    channelId,
  });
  // Like Java: header fields that are null are left out (a master gets an empty header).
  const ext: Record<string, string> = {};
  if (result.haServerAddr !== null) ext.haServerAddr = result.haServerAddr;
  if (result.masterAddr !== null) ext.masterAddr = result.masterAddr;
  return ok(cmd, ext, utf8(state.kv.listJson(ORDER_TOPIC_CONFIG_NAMESPACE)));
}

function unregisterBroker(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  const brokerName = required(cmd, 'brokerName');
  const brokerAddr = required(cmd, 'brokerAddr');
  const clusterName = required(cmd, 'clusterName');
  const brokerId = requiredInt(cmd, 'brokerId');
  state.unregisterBroker(clusterName, brokerAddr, brokerName, brokerId);
  return ok(cmd);
}

function routeInfo(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  const topic = required(cmd, 'topic');
  const route = state.pickupTopicRouteData(topic);
  if (!route) return responseFor(cmd, ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${topic}`);
  const standard = wantsStandardJson(cmd.version, optional(cmd, 'acceptStandardJsonOnly'));
  return ok(cmd, null, Buffer.from(encodeTopicRouteData(route, standard), 'utf8'));
}

function queryDataVersion(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  required(cmd, 'brokerName');
  const brokerAddr = required(cmd, 'brokerAddr');
  required(cmd, 'clusterName');
  requiredInt(cmd, 'brokerId');
  if (!cmd.body || cmd.body.length === 0) return responseFor(cmd, ResponseCode.SYSTEM_ERROR, 'QUERY_DATA_VERSION needs a DataVersion body');
  const dv = dataVersionFrom(parseLenientJson(cmd.body.toString('utf8')));
  const changed = state.isBrokerTopicConfigChanged(brokerAddr, dv);
  if (!changed) state.touchBroker(brokerAddr);
  const mine = state.queryBrokerDataVersion(brokerAddr);
  return ok(cmd, { changed: String(changed) }, mine ? Buffer.from(encodeDataVersion(mine), 'utf8') : null);
}

function getKv(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  const namespace = required(cmd, 'namespace');
  const key = required(cmd, 'key');
  const value = state.kv.get(namespace, key);
  if (value === null) return responseFor(cmd, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace} Key: ${key}`, {});
  return ok(cmd, { value });
}

function kvList(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  const namespace = required(cmd, 'namespace');
  const json = state.kv.listJson(namespace);
  if (json === null) return responseFor(cmd, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
  return ok(cmd, null, Buffer.from(json, 'utf8'));
}

/** java.util.Properties-style text: `key=value` (or `key:value`) lines, `#`/`!` comments. */
function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === '!') continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

function updateConfig(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  if (cmd.body && cmd.body.length > 0) for (const [k, v] of parseProperties(cmd.body.toString('utf8'))) state.config.set(k, v);
  return ok(cmd);
}

function getConfig(state: NamesrvState, cmd: RemotingCommand): RemotingCommand {
  let text = '';
  for (const k of [...state.config.keys()].sort()) text += `${k}=${state.config.get(k)}\n`;
  return ok(cmd, null, Buffer.from(text, 'utf8'));
}

const handlers = new Map<number, Handler>([
  [RequestCode.PUT_KV_CONFIG, (s, c) => {
    s.kv.put(required(c, 'namespace'), required(c, 'key'), required(c, 'value'));
    return ok(c);
  }],
  [RequestCode.GET_KV_CONFIG, getKv],
  [RequestCode.DELETE_KV_CONFIG, (s, c) => {
    s.kv.delete(required(c, 'namespace'), required(c, 'key'));
    return ok(c);
  }],
  [RequestCode.REGISTER_BROKER, registerBroker],
  [RequestCode.UNREGISTER_BROKER, unregisterBroker],
  [RequestCode.GET_ROUTEINFO_BY_TOPIC, routeInfo],
  [RequestCode.GET_BROKER_CLUSTER_INFO, (s, c) => {
    const ci = s.clusterInfo();
    return ok(c, null, Buffer.from(encodeClusterInfo(ci.brokerAddrTable, ci.clusterAddrTable), 'utf8'));
  }],
  [RequestCode.WIPE_WRITE_PERM_OF_BROKER, (s, c) => ok(c, { wipeTopicCount: String(s.wipeWritePerm(required(c, 'brokerName'))) })],
  [NamesrvCode.ADD_WRITE_PERM_OF_BROKER, (s, c) => ok(c, { addTopicCount: String(s.addWritePerm(required(c, 'brokerName'))) })],
  [RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (s, c) => ok(c, null, Buffer.from(encodeTopicList(s.allTopics()), 'utf8'))],
  [RequestCode.DELETE_TOPIC_IN_NAMESRV, (s, c) => {
    s.deleteTopic(required(c, 'topic'), optional(c, 'clusterName'));
    return ok(c);
  }],
  [RequestCode.GET_KVLIST_BY_NAMESPACE, kvList],
  [RequestCode.GET_TOPICS_BY_CLUSTER, (s, c) => ok(c, null, Buffer.from(encodeTopicList(s.topicsByCluster(required(c, 'cluster'))), 'utf8'))],
  [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, (s, c) => {
    const { topics, brokerAddr } = s.systemTopicList();
    return ok(c, null, Buffer.from(encodeTopicList(topics, brokerAddr), 'utf8'));
  }],
  [NamesrvCode.UPDATE_NAMESRV_CONFIG, updateConfig],
  [NamesrvCode.GET_NAMESRV_CONFIG, getConfig],
  [RequestCode.QUERY_DATA_VERSION, queryDataVersion],
]);

/**
 * Serves one name server request. Returns the response, or null for oneway requests (which are
 * still carried out) and for stray responses. Never throws: failures become SYSTEM_ERROR.
 */
export function handleNamesrvRequest(state: NamesrvState, cmd: RemotingCommand, channelId: ChannelId): RemotingCommand | null {
  if (isResponse(cmd)) return null;
  let response: RemotingCommand;
  try {
    const handler = handlers.get(cmd.code);
    response = handler
      ? handler(state, cmd, channelId)
      : responseFor(cmd, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${cmd.code} not supported`);
  } catch (e) {
    response = e instanceof RemotingError
      ? responseFor(cmd, e.code, e.message)
      : responseFor(cmd, ResponseCode.SYSTEM_ERROR, String((e as Error)?.message ?? e));
  }
  return isOneway(cmd) ? null : response;
}
