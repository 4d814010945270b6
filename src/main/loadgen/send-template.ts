// A SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE frame built once per (topic, queue), with the byte
// positions of the fields that change per request: opaque, bornTimestamp, UNIQ_KEY tails and
// (optionally) KEYS. Senders copy the frame and patch those positions; nothing is re-encoded.

import { BROKER_VERSION, RequestCode, SerializeType } from '../../shared/codes.js';
import { UNIQ_TAIL_LENGTH } from './uniq-key.js';

export interface TemplateSpec {
  topic: string;
  producerGroup: string;
  queueId: number;
  body: Buffer;
  /** messages per request: 1 = SEND_MESSAGE_V2, more = SEND_BATCH_MESSAGE */
  batch: number;
  json: boolean;
  tags: string | null;
  keys: boolean;
  /** 20 hex chars (UniqKeyGenerator.prefix) */
  uniqPrefix: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  /** the target broker's name (header `n`, as 4.9.8 clients send it) */
  brokerName: string;
}

export interface SendTemplate {
  readonly frame: Buffer;
  /** binary: int32 position; JSON: 10 ASCII digits (opaques are kept in 1073741824..2147483647) */
  readonly opaquePos: number;
  readonly opaqueDecimal: boolean;
  /** 13 ASCII digits (ms) */
  readonly bornPos: number;
  /** the queue id's ASCII digits: one template serves every queue id of the same width */
  readonly queueIdPos: number;
  readonly queueIdDigits: number;
  /** one 12-char UNIQ_KEY tail per message */
  readonly uniqPos: Int32Array;
  /** one 10-digit KEYS value (seconds) per message; empty without --keys */
  readonly keysPos: Int32Array;
  readonly messages: number;
}

/** Digits of the placeholder values: bornTimestamp (ms) and KEYS (s), fixed width until 2286. */
export const BORN_DIGITS = 13;
export const KEYS_DIGITS = 10;
export const OPAQUE_DIGITS = 10;
/** Opaques stay in [2^30, 2^31): always 10 decimal digits, always a positive int32. */
export const OPAQUE_BASE = 0x40000000;
export const OPAQUE_SPAN = 0x40000000;

const SEP_KV = '\u0001';
const SEP_PROP = '\u0002';

/** A string plus char indexes of interest inside it. */
interface Marked {
  text: string;
  uniq: number[];
  keys: number[];
}

/** The properties string of one message, as a Java producer writes it (UNIQ_KEY, WAIT, TAGS, KEYS). */
export function messageProperties(spec: Pick<TemplateSpec, 'uniqPrefix' | 'tags' | 'keys'>): Marked {
  let text = `UNIQ_KEY${SEP_KV}${spec.uniqPrefix}`;
  const uniq = [text.length];
  text += '0'.repeat(UNIQ_TAIL_LENGTH) + `${SEP_PROP}WAIT${SEP_KV}true`;
  if (spec.tags) text += `${SEP_PROP}TAGS${SEP_KV}${spec.tags}`;
  const keys: number[] = [];
  if (spec.keys) {
    text += `${SEP_PROP}KEYS${SEP_KV}`;
    keys.push(text.length);
    text += '0'.repeat(KEYS_DIGITS);
  }
  return { text, uniq, keys };
}

const byteLen = (s: string) => Buffer.byteLength(s, 'utf8');

/** Body of SEND_BATCH_MESSAGE (reference doc §4.6) with absolute-in-body mark positions. */
function batchBody(spec: TemplateSpec, props: Marked): { body: Buffer; uniq: number[]; keys: number[] } {
  const propsBytes = Buffer.from(props.text, 'utf8');
  const uniqRel = props.uniq.map((i) => byteLen(props.text.slice(0, i)));
  const keysRel = props.keys.map((i) => byteLen(props.text.slice(0, i)));
  const elemLen = 20 + spec.body.length + 2 + propsBytes.length;
  const body = Buffer.alloc(elemLen * spec.batch);
  const uniq: number[] = [];
  const keys: number[] = [];
  for (let m = 0; m < spec.batch; m++) {
    let p = m * elemLen;
    body.writeInt32BE(elemLen, p);
    // magic, body CRC and flag stay 0, as the Java client sends them
    body.writeInt32BE(spec.body.length, p + 16);
    p += 20;
    spec.body.copy(body, p);
    p += spec.body.length;
    body.writeInt16BE(propsBytes.length, p);
    p += 2;
    propsBytes.copy(body, p);
    for (const r of uniqRel) uniq.push(p + r);
    for (const r of keysRel) keys.push(p + r);
  }
  return { body, uniq, keys };
}

interface ExtField {
  key: string;
  value: string;
  /** char indexes inside value to locate in the frame */
  marks?: number[];
}

function extFields(spec: TemplateSpec, props: Marked | null): ExtField[] {
  const single = spec.batch === 1;
  return [
    { key: 'a', value: spec.producerGroup },
    { key: 'b', value: spec.topic },
    { key: 'c', value: spec.defaultTopic },
    { key: 'd', value: String(spec.defaultTopicQueueNums) },
    { key: 'e', value: String(spec.queueId), marks: [0] },
    { key: 'f', value: '0' },
    { key: 'g', value: '0'.repeat(BORN_DIGITS), marks: [0] },
    { key: 'h', value: '0' },
    single ? { key: 'i', value: props!.text, marks: [...props!.uniq, ...props!.keys] } : { key: 'i', value: `WAIT${SEP_KV}true` },
    { key: 'j', value: '0' },
    { key: 'k', value: 'false' },
    { key: 'm', value: single ? 'false' : 'true' },
    { key: 'n', value: spec.brokerName },
  ];
}

/** ROCKETMQ binary header (doc §1.5); returns the header and the byte offsets of each mark. */
function binaryHeader(code: number, fields: ExtField[]): { header: Buffer; marks: number[][] } {
  const parts: Buffer[] = [];
  const marks: number[][] = [];
  let extLen = 0;
  for (const f of fields) {
    const k = Buffer.from(f.key, 'utf8');
    const v = Buffer.from(f.value, 'utf8');
    const e = Buffer.allocUnsafe(6 + k.length + v.length);
    e.writeUInt16BE(k.length, 0);
    k.copy(e, 2);
    e.writeInt32BE(v.length, 2 + k.length);
    v.copy(e, 6 + k.length);
    const valueAt = 21 + extLen + 6 + k.length;
    marks.push((f.marks ?? []).map((i) => valueAt + byteLen(f.value.slice(0, i))));
    parts.push(e);
    extLen += e.length;
  }
  const fixed = Buffer.alloc(21);
  fixed.writeInt16BE(code, 0);
  fixed[2] = 0; // JAVA
  fixed.writeInt16BE(BROKER_VERSION, 3);
  fixed.writeInt32BE(OPAQUE_BASE, 5);
  fixed.writeInt32BE(0, 9); // flag: request
  fixed.writeInt32BE(0, 13); // no remark
  fixed.writeInt32BE(extLen, 17);
  return { header: Buffer.concat([fixed, ...parts]), marks };
}

const jsonInner = (s: string) => JSON.stringify(s).slice(1, -1);

/** JSON header as fastjson writes it (alphabetical, compact); marks as byte offsets. */
function jsonHeader(code: number, fields: ExtField[]): { header: Buffer; marks: number[][]; opaqueAt: number } {
  let s = `{"code":${code},"extFields":{`;
  const charMarks: number[][] = [];
  fields.forEach((f, n) => {
    s += `${n ? ',' : ''}${JSON.stringify(f.key)}:"`;
    const at = s.length;
    charMarks.push((f.marks ?? []).map((i) => at + jsonInner(f.value.slice(0, i)).length));
    s += `${jsonInner(f.value)}"`;
  });
  s += '},"flag":0,"language":"JAVA","opaque":';
  const opaqueChar = s.length;
  s += `${OPAQUE_BASE},"serializeTypeCurrentRPC":"JSON","version":${BROKER_VERSION}}`;
  const toBytes = (i: number) => byteLen(s.slice(0, i));
  return { header: Buffer.from(s, 'utf8'), marks: charMarks.map((m) => m.map(toBytes)), opaqueAt: toBytes(opaqueChar) };
}

export function buildSendTemplate(spec: TemplateSpec): SendTemplate {
  if (!Number.isInteger(spec.batch) || spec.batch < 1) throw new RangeError(`batch must be a positive integer, got ${spec.batch}`);
  if (!Number.isInteger(spec.queueId) || spec.queueId < 0) throw new RangeError(`queueId must be a non-negative integer, got ${spec.queueId}`);
  const props = messageProperties(spec);
  const single = spec.batch === 1;
  const code = single ? RequestCode.SEND_MESSAGE_V2 : RequestCode.SEND_BATCH_MESSAGE;
  const fields = extFields(spec, single ? props : null);
  const bodyPart = single ? { body: spec.body, uniq: [] as number[], keys: [] as number[] } : batchBody(spec, props);
  let header: Buffer;
  let marks: number[][];
  let opaquePos: number;
  if (spec.json) {
    const j = jsonHeader(code, fields);
    header = j.header;
    marks = j.marks;
    opaquePos = 8 + j.opaqueAt;
  } else {
    const b = binaryHeader(code, fields);
    header = b.header;
    marks = b.marks;
    opaquePos = 8 + 5;
  }
  const bodyAt = 8 + header.length;
  const frame = Buffer.allocUnsafe(bodyAt + bodyPart.body.length);
  frame.writeInt32BE(4 + header.length + bodyPart.body.length, 0);
  frame.writeUInt32BE((((spec.json ? SerializeType.JSON : SerializeType.ROCKETMQ) << 24) | header.length) >>> 0, 4);
  header.copy(frame, 8);
  bodyPart.body.copy(frame, bodyAt);
  const at = (i: number) => 8 + i;
  const markOf = (key: string) => marks[fields.findIndex((f) => f.key === key)];
  const bornPos = at(markOf('g')[0]);
  let uniqPos: number[];
  let keysPos: number[];
  if (single) {
    const m = markOf('i');
    uniqPos = m.slice(0, props.uniq.length).map(at);
    keysPos = m.slice(props.uniq.length).map(at);
  } else {
    uniqPos = bodyPart.uniq.map((i) => bodyAt + i);
    keysPos = bodyPart.keys.map((i) => bodyAt + i);
  }
  return {
    frame,
    opaquePos,
    opaqueDecimal: spec.json,
    bornPos,
    queueIdPos: at(markOf('e')[0]),
    queueIdDigits: String(spec.queueId).length,
    uniqPos: Int32Array.from(uniqPos),
    keysPos: Int32Array.from(keysPos),
    messages: spec.batch,
  };
}

/**
 * Templates for a broker's write queues, indexed like `queueIds`: one template per digit width of
 * the queue ids (1024 queues need 4, not 1024), the queue id itself patched per request.
 */
export function buildQueueTemplates(spec: Omit<TemplateSpec, 'queueId'>, queueIds: number[]): SendTemplate[] {
  const byWidth = new Map<number, SendTemplate>();
  return queueIds.map((queueId) => {
    const width = String(queueId).length;
    let t = byWidth.get(width);
    if (!t) byWidth.set(width, (t = buildSendTemplate({ ...spec, queueId })));
    return t;
  });
}
