import { LanguageCode, RequestCode, RpcFlag, SerializeType } from '../codes.js';

/** The fields of a plain SEND_MESSAGE_V2 request, as numbers and byte ranges of its frame. */
export class SendV2View {
  serializeType: number = SerializeType.ROCKETMQ;
  language = 0;
  version = 0;
  opaque = 0;
  flag = 0;
  topicStart = 0;
  topicEnd = 0;
  /** Holds the properties at [propsStart, propsEnd): the frame, or a JSON header's unescaped copy. */
  propsBuf: Buffer = EMPTY;
  propsStart = 0;
  propsEnd = 0;
  /** Where a JSON header's properties are unescaped to. */
  unescaped = Buffer.allocUnsafe(4096);
  queueId = 0;
  sysFlag = 0;
  bornTimestamp = 0;
  msgFlag = 0;
  reconsumeTimes = 0;
  bodyStart = 0;
  /** The properties hold "DELAY\u0001" (a delay level: the send needs routing). */
  delayMark = false;
}

const EMPTY = Buffer.alloc(0);
const KEY_A = 0x61;
// Which of a..m must be present (SendMessageRequestHeaderV2's @CFNotNull fields).
const REQUIRED = (1 << 0) | (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);
const MAX_TOPIC = 127;

/**
 * Reads a SEND_MESSAGE_V2 request with a ROCKETMQ binary header in place: no command object, no
 * strings. Returns false for anything but the plain case — another code or header type, a
 * response, a batch, keys longer than one letter, numbers that are not plain decimals of at most 15
 * digits, a missing field, a topic outside RocketMQ's characters, non-ASCII properties, an empty
 * body. Those take the generic decoder, which gives the answer the plain case would have had, so
 * this is an optimisation only, never a second set of rules. `frame` excludes the length prefix.
 */
export function readSendV2(frame: Buffer, v: SendV2View): boolean {
  const n = frame.length;
  if (n < 4 + 21 || frame[0] !== SerializeType.ROCKETMQ) return false;
  const headerEnd = 4 + ((frame[1] << 16) | (frame[2] << 8) | frame[3]);
  if (headerEnd > n || headerEnd === n) return false;
  if (((frame[4] << 8) | frame[5]) !== RequestCode.SEND_MESSAGE_V2) return false;
  const flag = frame.readInt32BE(13);
  if ((flag & RpcFlag.RESPONSE) !== 0) return false;
  const remarkLen = frame.readInt32BE(17);
  if (remarkLen < 0 || remarkLen > headerEnd - 25) return false;
  let p = 21 + remarkLen;
  const extLen = frame.readInt32BE(p);
  p += 4;
  const extEnd = p + extLen;
  if (extLen < 0 || extEnd > headerEnd) return false;
  let seen = 0;
  while (p < extEnd) {
    if (extEnd - p < 7 || frame[p] !== 0 || frame[p + 1] !== 1) return false;
    const key = frame[p + 2];
    const vl = frame.readInt32BE(p + 3);
    p += 7;
    if (vl < 0 || vl > extEnd - p) return false;
    const vs = p;
    p += vl;
    if (vl === 0) continue; // an empty value counts as absent, as in the generic decoder
    if (key >= KEY_A && key < KEY_A + 31) seen |= 1 << (key - KEY_A);
    if (key === 0x69) {
      v.propsBuf = frame;
      v.propsStart = vs;
      v.propsEnd = p;
    } else if (!readField(v, key, frame, vs, p)) {
      return false;
    }
  }
  if (!finishExt(v, seen) || !plainTopic(frame, v.topicStart, v.topicEnd) || !checkProperties(v)) return false;
  v.serializeType = SerializeType.ROCKETMQ;
  v.language = frame[6];
  v.version = frame.readInt16BE(7);
  v.opaque = frame.readInt32BE(9);
  v.flag = flag;
  v.bodyStart = headerEnd;
  return true;
}

/**
 * One header field other than the properties, value [vs, ve) of buf; false when the request is
 * not the plain case (a batch, a number that is not a plain decimal).
 */
function readField(v: SendV2View, key: number, buf: Buffer, vs: number, ve: number): boolean {
  switch (key) {
    case 0x62: // b: topic
      v.topicStart = vs;
      v.topicEnd = ve;
      return true;
    case 0x6d: // m: batch
      return !(ve - vs === 4 && buf[vs] === 0x74 && buf[vs + 1] === 0x72 && buf[vs + 2] === 0x75 && buf[vs + 3] === 0x65);
    case 0x64: // d: default queue count
    case 0x65: // e: queue id
    case 0x66: // f: sysFlag
    case 0x67: // g: born timestamp
    case 0x68: // h: flag
    case 0x6a: // j: reconsume times
    case 0x6c: { // l: max reconsume times
      const num = decimal(buf, vs, ve);
      if (num === null) return false;
      if (key === 0x65) v.queueId = num;
      else if (key === 0x66) v.sysFlag = num;
      else if (key === 0x67) v.bornTimestamp = num;
      else if (key === 0x68) v.msgFlag = num;
      else if (key === 0x6a) v.reconsumeTimes = num;
      // d and l only need to be numbers here
      return true;
    }
    // a (producer group), c (default topic), k (unit mode), n (broker name), others: not needed
    default:
      return true;
  }
}

/** The required fields were there; absent optional ones get their defaults. */
function finishExt(v: SendV2View, seen: number): boolean {
  if ((seen & REQUIRED) !== REQUIRED) return false;
  if ((seen & (1 << 9)) === 0) v.reconsumeTimes = 0;
  if ((seen & (1 << 8)) === 0) {
    v.propsBuf = EMPTY;
    v.propsStart = v.propsEnd = 0;
  }
  return true;
}

/** ASCII only (else false); sets delayMark when they hold "DELAY\u0001". */
function checkProperties(v: SendV2View): boolean {
  const b = v.propsBuf;
  let delayMark = false;
  for (let i = v.propsStart; i < v.propsEnd; i++) {
    const c = b[i];
    if (c >= 0x80) return false;
    // "DELAY\u0001", found the way String.includes would
    if (c === 0x01 && i - 5 >= v.propsStart && b[i - 5] === 0x44 && b[i - 4] === 0x45 && b[i - 3] === 0x4c && b[i - 2] === 0x41 && b[i - 1] === 0x59) delayMark = true;
  }
  v.delayMark = delayMark;
  return true;
}

/** A plain decimal of 1..15 digits with an optional minus sign (exact as a double); else null. */
export function decimal(b: Buffer, start: number, end: number): number | null {
  let i = start;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  if (i === end || end - i > 15) return null;
  let v = 0;
  for (; i < end; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/** ^[%|a-zA-Z0-9_-]{1,127}$ on bytes. */
function plainTopic(b: Buffer, start: number, end: number): boolean {
  if (end - start > MAX_TOPIC) return false;
  for (let i = start; i < end; i++) {
    const c = b[i];
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x25 || c === 0x7c;
    if (!ok) return false;
  }
  return true;
}

// ---- JSON headers ----
// The scanner's state: the frame and a position in its header (module state, no object per call).
let b: Buffer = EMPTY;
let p = 0;
let end = 0;
/** Set by scanString: the string's content is [strStart, strEnd) and holds escapes. */
let strStart = 0;
let strEnd = 0;
let strEscaped = false;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const KEY_CODE = Buffer.from('code');
const KEY_FLAG = Buffer.from('flag');
const KEY_OPAQUE = Buffer.from('opaque');
const KEY_VERSION = Buffer.from('version');
const KEY_LANGUAGE = Buffer.from('language');
const KEY_EXT = Buffer.from('extFields');
const LANGUAGE_NAMES = LanguageCode.map((name) => Buffer.from(name));

/**
 * readSendV2 for a JSON header, the Java client's default. A strict scanner: it accepts only
 * headers that JSON.parse reads to the same values — keys without escapes; code, flag, opaque and
 * version plain integers; language a string; extFields one object of non-empty strings; other
 * top-level keys a string, number, true, false or null. Only the properties may hold escapes (Java
 * writes their \u0001 and \u0002 separators as escapes): they are unescaped into `v.unescaped`.
 * Everything else, and every request but a plain send, goes to the generic decoder.
 */
export function readSendV2Json(frame: Buffer, v: SendV2View): boolean {
  if (frame.length < 6 || frame[0] !== SerializeType.JSON) return false;
  const headerEnd = 4 + ((frame[1] << 16) | (frame[2] << 8) | frame[3]);
  if (headerEnd >= frame.length) return false;
  b = frame;
  p = 4;
  end = headerEnd;
  try {
    return scanHeader(v) && finishJson(v, headerEnd);
  } finally {
    b = EMPTY;
  }
}

function scanHeader(v: SendV2View): boolean {
  let code = -1;
  let flag = 0;
  let opaque = 0;
  let version = 0;
  let language = 0;
  let ext = false;
  ws();
  if (b[p] !== 0x7b) return false;
  p++;
  for (let first = true; ; first = false) {
    ws();
    if (!scanString() || strEscaped) return false;
    const ks = strStart;
    const kl = strEnd - strStart;
    ws();
    if (b[p] !== 0x3a) return false;
    p++;
    ws();
    if (isKey(ks, kl, KEY_CODE)) {
      code = scanInt();
      // Java's header starts with the code: anything but a send is known at once.
      if (code !== RequestCode.SEND_MESSAGE_V2 && (first || Number.isNaN(code))) return false;
    } else if (isKey(ks, kl, KEY_FLAG)) {
      flag = scanInt();
      if (Number.isNaN(flag)) return false;
    } else if (isKey(ks, kl, KEY_OPAQUE)) {
      opaque = scanInt();
      if (Number.isNaN(opaque)) return false;
    } else if (isKey(ks, kl, KEY_VERSION)) {
      version = scanInt();
      if (Number.isNaN(version)) return false;
    } else if (isKey(ks, kl, KEY_LANGUAGE)) {
      if (!scanString() || strEscaped) return false;
      language = languageOf(strStart, strEnd);
    } else if (isKey(ks, kl, KEY_EXT)) {
      if (ext || !scanExtFields(v)) return false; // a second extFields would replace the first
      ext = true;
    } else if (!skipScalar()) {
      return false;
    }
    const next = afterMember();
    if (next === NEXT_INVALID) return false;
    if (next === NEXT_END) break;
  }
  ws();
  if (p !== end || !ext || code !== RequestCode.SEND_MESSAGE_V2 || (flag & RpcFlag.RESPONSE) !== 0) return false;
  v.flag = flag;
  v.opaque = opaque;
  v.version = version;
  v.language = language;
  return true;
}

/** The extFields object: the same fields and rules as the binary header's. */
function scanExtFields(v: SendV2View): boolean {
  if (b[p] !== 0x7b) return false;
  p++;
  ws();
  let seen = 0;
  if (b[p] === 0x7d) {
    p++;
    return finishExt(v, seen);
  }
  for (;;) {
    ws();
    if (!scanString() || strEscaped) return false;
    const key = strEnd - strStart === 1 ? b[strStart] : 0;
    ws();
    if (b[p] !== 0x3a) return false;
    p++;
    ws();
    if (!scanString()) return false;
    const vs = strStart;
    const ve = strEnd;
    if (key >= KEY_A && key < KEY_A + 31) {
      if (ve === vs) return false; // empty: left to the generic rules
      seen |= 1 << (key - KEY_A);
    }
    if (strEscaped && key !== 0x69 && key >= KEY_A && key <= 0x6d) return false;
    if (key === 0x69) {
      if (strEscaped) {
        const len = unescapeAscii(vs, ve, v);
        if (len < 0) return false;
        v.propsBuf = v.unescaped;
        v.propsStart = 0;
        v.propsEnd = len;
      } else {
        v.propsBuf = b;
        v.propsStart = vs;
        v.propsEnd = ve;
      }
    } else if (!readField(v, key, b, vs, ve)) {
      return false;
    }
    const next = afterMember();
    if (next === NEXT_INVALID) return false;
    if (next === NEXT_END) return finishExt(v, seen);
  }
}

function finishJson(v: SendV2View, headerEnd: number): boolean {
  if (!plainTopic(b, v.topicStart, v.topicEnd) || !checkProperties(v)) return false;
  v.serializeType = SerializeType.JSON;
  v.bodyStart = headerEnd;
  return true;
}

const NEXT_MEMBER = 1;
const NEXT_END = 0;
const NEXT_INVALID = -1;

/** After an object member: a comma (another member follows), the closing brace, or neither. */
function afterMember(): number {
  ws();
  const c = b[p++];
  return c === 0x2c ? NEXT_MEMBER : c === 0x7d ? NEXT_END : NEXT_INVALID;
}

function ws(): void {
  const buf = b;
  const e = end;
  let q = p;
  while (q < e) {
    const c = buf[q];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    q++;
  }
  p = q;
}

/** A string at p: its content is [strStart, strEnd), strEscaped if it holds escapes. */
function scanString(): boolean {
  const buf = b;
  const e = end;
  let q = p;
  if (q >= e || buf[q] !== QUOTE) return false;
  q++;
  const start = q;
  let escaped = false;
  for (; q < e; q++) {
    const c = buf[q];
    if (c === QUOTE) {
      strStart = start;
      strEnd = q;
      strEscaped = escaped;
      p = q + 1;
      return true;
    }
    if (c === BACKSLASH) {
      escaped = true;
      q++;
    } else if (c < 0x20) {
      return false; // not JSON: the generic decoder says so
    }
  }
  return false;
}

/** A plain integer of at most 15 digits; NaN for anything else (a fraction, an exponent, ...). */
function scanInt(): number {
  const s = p;
  if (b[p] === 0x2d) p++;
  const digits = p;
  while (p < end && b[p] >= 0x30 && b[p] <= 0x39) p++;
  const n = p - digits;
  if (n === 0 || n > 15 || (n > 1 && b[digits] === 0x30)) return NaN;
  if (p < end && (b[p] === 0x2e || b[p] === 0x65 || b[p] === 0x45)) return NaN;
  return decimal(b, s, p) ?? NaN;
}

/** A string, number, true, false or null value of a key this reader does not need. */
function skipScalar(): boolean {
  const c = b[p];
  if (c === QUOTE) return scanString();
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    p++;
    while (p < end) {
      const d = b[p];
      if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
      p++;
    }
    return true;
  }
  const word = c === 0x74 ? WORD_TRUE : c === 0x66 ? WORD_FALSE : c === 0x6e ? WORD_NULL : null;
  if (!word || p + word.length > end || !isKey(p, word.length, word)) return false;
  p += word.length;
  return true;
}
const WORD_TRUE = Buffer.from('true');
const WORD_FALSE = Buffer.from('false');
const WORD_NULL = Buffer.from('null');

function isKey(start: number, len: number, key: Buffer): boolean {
  if (len !== key.length) return false;
  for (let i = 0; i < len; i++) if (b[start + i] !== key[i]) return false;
  return true;
}

/** LanguageCode index of the name, 0 (JAVA) for an unknown one, as the generic decoder. */
function languageOf(start: number, stop: number): number {
  for (let i = 0; i < LANGUAGE_NAMES.length; i++) if (isKey(start, stop - start, LANGUAGE_NAMES[i])) return i;
  return 0;
}

/** Unescapes [start, stop) into v.unescaped; -1 for an escape outside ASCII or not JSON's. */
function unescapeAscii(start: number, stop: number, v: SendV2View): number {
  if (v.unescaped.length < stop - start) v.unescaped = Buffer.allocUnsafe(Math.max(stop - start, 2 * v.unescaped.length));
  const out = v.unescaped;
  let o = 0;
  for (let i = start; i < stop; ) {
    const c = b[i];
    if (c !== BACKSLASH) {
      out[o++] = c;
      i++;
      continue;
    }
    const e = b[i + 1];
    let ch: number;
    if (e === 0x75) {
      if (i + 6 > stop) return -1;
      ch = 0;
      for (let k = i + 2; k < i + 6; k++) {
        const h = b[k];
        const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x61 && h <= 0x66 ? h - 0x57 : h >= 0x41 && h <= 0x46 ? h - 0x37 : -1;
        if (d < 0) return -1;
        ch = (ch << 4) | d;
      }
      if (ch >= 0x80) return -1;
      i += 6;
    } else {
      ch = e === QUOTE ? QUOTE : e === BACKSLASH ? BACKSLASH : e === 0x2f ? 0x2f : e === 0x62 ? 8 : e === 0x66 ? 12 : e === 0x6e ? 10 : e === 0x72 ? 13 : e === 0x74 ? 9 : -1;
      if (ch < 0) return -1;
      i += 2;
    }
    out[o++] = ch;
  }
  return o;
}
