import { RequestCode, RpcFlag, SerializeType } from '../codes.js';

/** The fields of a plain SEND_MESSAGE_V2 request, as numbers and byte ranges of its frame. */
export class SendV2View {
  language = 0;
  version = 0;
  opaque = 0;
  flag = 0;
  topicStart = 0;
  topicEnd = 0;
  propsStart = 0;
  propsEnd = 0;
  queueId = 0;
  sysFlag = 0;
  bornTimestamp = 0;
  msgFlag = 0;
  reconsumeTimes = 0;
  bodyStart = 0;
  /** The properties hold "DELAY\u0001" (a delay level: the send needs routing). */
  delayMark = false;
}

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
    switch (key) {
      case 0x62: // b: topic
        v.topicStart = vs;
        v.topicEnd = p;
        break;
      case 0x69: // i: properties
        v.propsStart = vs;
        v.propsEnd = p;
        break;
      case 0x6d: // m: batch
        if (vl === 4 && frame[vs] === 0x74 && frame[vs + 1] === 0x72 && frame[vs + 2] === 0x75 && frame[vs + 3] === 0x65) return false;
        break;
      case 0x64: // d: default queue count
      case 0x65: // e: queue id
      case 0x66: // f: sysFlag
      case 0x67: // g: born timestamp
      case 0x68: // h: flag
      case 0x6a: // j: reconsume times
      case 0x6c: { // l: max reconsume times
        const num = decimal(frame, vs, p);
        if (num === null) return false;
        if (key === 0x65) v.queueId = num;
        else if (key === 0x66) v.sysFlag = num;
        else if (key === 0x67) v.bornTimestamp = num;
        else if (key === 0x68) v.msgFlag = num;
        else if (key === 0x6a) v.reconsumeTimes = num;
        // d and l only need to be numbers here
        break;
      }
      // a (producer group), c (default topic), k (unit mode), n (broker name), others: not needed
    }
  }
  if ((seen & REQUIRED) !== REQUIRED) return false;
  if ((seen & (1 << 9)) === 0) v.reconsumeTimes = 0;
  if ((seen & (1 << 8)) === 0) v.propsStart = v.propsEnd = 0;
  if (!plainTopic(frame, v.topicStart, v.topicEnd)) return false;
  let delayMark = false;
  for (let i = v.propsStart; i < v.propsEnd; i++) {
    const c = frame[i];
    if (c >= 0x80) return false;
    // "DELAY\u0001", found the way String.includes would
    if (c === 0x01 && i - 5 >= v.propsStart && frame[i - 5] === 0x44 && frame[i - 4] === 0x45 && frame[i - 3] === 0x4c && frame[i - 2] === 0x41 && frame[i - 1] === 0x59) delayMark = true;
  }
  v.delayMark = delayMark;
  v.language = frame[6];
  v.version = frame.readInt16BE(7);
  v.opaque = frame.readInt32BE(9);
  v.flag = flag;
  v.bodyStart = headerEnd;
  return true;
}

/** A plain decimal of 1..15 digits with an optional minus sign (exact as a double); else null. */
function decimal(b: Buffer, start: number, end: number): number | null {
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
