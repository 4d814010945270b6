import { inflateSync } from 'node:zlib';
import type { DataVersion, RegisterBrokerBody, TopicConfigJson, TopicConfigWrapper } from './model.js';
import { encodeDataVersion, jsonString } from './route-json.js';

/**
 * RegisterBrokerBody codec. Brokers send it as JSON
 * `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{..},"topicConfigTable":{..}}}`,
 * or, with header compressed=true, as one zlib stream of big-endian length-prefixed parts:
 * [len + DataVersion JSON] [topic count] { [len + "name read write perm filterType[ attributes]"] }
 * [len + filterServerList JSON] (5.x brokers append queue-mapping parts, ignored here).
 */

/** Versions below V3_0_11 (37) send a bare TopicConfigSerializeWrapper instead. */
export const V3_0_11 = 37;

export function decodeRegisterBody(body: Buffer | null, compressed: boolean, version = V3_0_11): RegisterBrokerBody {
  if (!body || body.length === 0) return emptyBody();
  if (compressed) return decodeCompressed(body);
  const o = parseLenientJson(body.toString('utf8'));
  if (!o || typeof o !== 'object') throw new Error('register body is not a JSON object');
  if (version < V3_0_11) return { topicConfigSerializeWrapper: wrapperFrom(o), filterServerList: [] };
  return {
    topicConfigSerializeWrapper: wrapperFrom(o.topicConfigSerializeWrapper ?? {}),
    filterServerList: Array.isArray(o.filterServerList) ? o.filterServerList.map(String) : [],
  };
}

function emptyBody(): RegisterBrokerBody {
  return { topicConfigSerializeWrapper: { dataVersion: { counter: 0, timestamp: 0 }, topicConfigTable: {} }, filterServerList: [] };
}

export function dataVersionFrom(o: any): DataVersion {
  const dv: DataVersion = { counter: Number(o?.counter ?? 0), timestamp: Number(o?.timestamp ?? 0) };
  if (o && o.stateVersion !== undefined) dv.stateVersion = Number(o.stateVersion);
  return dv;
}

function wrapperFrom(o: any): TopicConfigWrapper {
  const table: Record<string, TopicConfigJson> = {};
  const src = o.topicConfigTable && typeof o.topicConfigTable === 'object' ? o.topicConfigTable : {};
  for (const key of Object.keys(src)) {
    const tc = topicConfigFrom(src[key], key);
    table[tc.topicName] = tc;
  }
  return { dataVersion: dataVersionFrom(o.dataVersion), topicConfigTable: table };
}

function topicConfigFrom(t: any, key: string): TopicConfigJson {
  return {
    topicName: String(t?.topicName ?? key),
    readQueueNums: toInt(t?.readQueueNums, 16),
    writeQueueNums: toInt(t?.writeQueueNums, 16),
    perm: toInt(t?.perm, 6),
    topicFilterType: String(t?.topicFilterType ?? 'SINGLE_TAG'),
    topicSysFlag: toInt(t?.topicSysFlag, 0),
    order: t?.order === true || t?.order === 'true',
  };
}

const toInt = (v: unknown, dflt: number) => (v === undefined || v === null || v === '' ? dflt : Number(v) | 0);

/** A real register body is topic configs: far below this even with 100,000 topics. */
const MAX_INFLATED_REGISTER_BODY = 64 * 1024 * 1024;

function decodeCompressed(body: Buffer): RegisterBrokerBody {
  let raw: Buffer;
  try {
    raw = inflateSync(body, { maxOutputLength: MAX_INFLATED_REGISTER_BODY });
  } catch (e) {
    throw new Error(`compressed register body refused: ${(e as Error).message}`);
  }
  let p = 0;
  const int = () => {
    if (p + 4 > raw.length) throw new Error('compressed register body ends early');
    const v = raw.readInt32BE(p);
    p += 4;
    return v;
  };
  const bytes = (n: number) => {
    if (n < 0 || p + n > raw.length) throw new Error('compressed register body ends early');
    const s = raw.toString('utf8', p, p + n);
    p += n;
    return s;
  };
  const dataVersion = dataVersionFrom(parseLenientJson(bytes(int())));
  const count = int();
  const topicConfigTable: Record<string, TopicConfigJson> = {};
  for (let i = 0; i < count; i++) {
    const tc = decodeTopicConfigLine(bytes(int()));
    topicConfigTable[tc.topicName] = tc;
  }
  const fs = parseLenientJson(bytes(int()));
  return { topicConfigSerializeWrapper: { dataVersion, topicConfigTable }, filterServerList: Array.isArray(fs) ? fs.map(String) : [] };
}

/** TopicConfig.encode() text: space separated, 5 fields (5.x adds attributes JSON); sysFlag and order are not carried. */
export function decodeTopicConfigLine(line: string): TopicConfigJson {
  const f = line.split(' ');
  while (f.length > 0 && f[f.length - 1] === '') f.pop();
  if (f.length < 5) throw new Error(`topic config line has ${f.length} fields: ${line}`);
  const nums = [f[1], f[2], f[3]].map((s) => {
    if (!/^-?\d+$/.test(s)) throw new Error(`topic config line has a bad number: ${line}`);
    return Number(s) | 0;
  });
  if (f[4] !== 'SINGLE_TAG' && f[4] !== 'MULTI_TAG') throw new Error(`topic config line has a bad filter type: ${line}`);
  return { topicName: f[0], readQueueNums: nums[0], writeQueueNums: nums[1], perm: nums[2], topicFilterType: f[4], topicSysFlag: 0, order: false };
}

/** The JSON body a broker sends (fastjson field order), as the registrar encodes it. */
export function encodeRegisterBody(wrapper: TopicConfigWrapper, filterServerList: string[] = []): Buffer {
  let s = '{"filterServerList":[' + filterServerList.map((v) => jsonString(v)).join(',') + '],"topicConfigSerializeWrapper":{"dataVersion":' +
    encodeDataVersion(wrapper.dataVersion) + ',"topicConfigTable":{';
  let first = true;
  for (const name of Object.keys(wrapper.topicConfigTable)) {
    s += (first ? '' : ',') + jsonString(name) + ':' + encodeTopicConfig(wrapper.topicConfigTable[name]);
    first = false;
  }
  return Buffer.from(s + '}}}', 'utf8');
}

export function encodeTopicConfig(t: TopicConfigJson): string {
  return '{"order":' + (t.order ? 'true' : 'false') + ',"perm":' + t.perm + ',"readQueueNums":' + t.readQueueNums +
    ',"topicFilterType":' + jsonString(t.topicFilterType) + ',"topicName":' + jsonString(t.topicName) +
    ',"topicSysFlag":' + t.topicSysFlag + ',"writeQueueNums":' + t.writeQueueNums + '}';
}

/**
 * JSON.parse that also takes fastjson's bare integer map keys (`{0:"a"}`), which 5.x brokers
 * emit inside queue-mapping info. Standard JSON takes the fast path.
 */
export function parseLenientJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch (e) {
    const fixed = quoteBareKeys(text);
    if (fixed === text) throw e;
    return JSON.parse(fixed);
  }
}

function quoteBareKeys(text: string): string {
  let out = '';
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      expectKey = false;
      continue;
    }
    if (c === '{' || c === ',') expectKey = true;
    else if (expectKey && /[-\w$]/.test(c)) {
      let j = i;
      while (j < text.length && /[-\w$.]/.test(text[j])) j++;
      let k = j;
      while (k < text.length && /\s/.test(text[k])) k++;
      if (text[k] === ':') {
        out += '"' + text.slice(i, j) + '"';
        i = j;
        expectKey = false;
        continue;
      }
      expectKey = false;
    } else if (!/\s/.test(c)) expectKey = false;
    out += c;
    i++;
  }
  return out;
}
