import { BROKER_VERSION, RpcFlag, SerializeType } from '../codes.js';

const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
const TWO32 = 4294967296;

/**
 * The frame answering a stored send, written straight into the caller's buffer: the same bytes
 * encodeCommand produces for a response with extFields {msgId, queueId, queueOffset, MSG_REGION,
 * TRACE_ON} in that order, without building the command object, its header or the id string per
 * message. Everything per message is ASCII (ids, numbers); the region may not be, so the constant
 * parts are kept as bytes.
 */
export class SendResponseEncoder {
  private readonly jsonTail: Buffer;
  private readonly binaryTail: Buffer;
  private readonly jsonEnd: Buffer;
  /** hex(store IP, port): the constant first part of every offset message id. */
  private readonly idPrefix: Buffer;

  constructor(region: string, traceOn: string, storeIp: Uint8Array, storePort: number) {
    this.jsonTail = Buffer.from(`","MSG_REGION":${JSON.stringify(region)},"TRACE_ON":${JSON.stringify(traceOn)}},"flag":${RpcFlag.RESPONSE},"language":"JAVA","opaque":`);
    this.jsonEnd = Buffer.from(`,"serializeTypeCurrentRPC":"JSON","version":${BROKER_VERSION}}`);
    const r = Buffer.from(region);
    const t = Buffer.from(traceOn);
    this.binaryTail = Buffer.allocUnsafe(2 + 10 + 4 + r.length + 2 + 8 + 4 + t.length);
    let p = this.binaryTail.write('\u0000\u000aMSG_REGION', 0, 'latin1');
    p = this.binaryTail.writeInt32BE(r.length, p);
    p += r.copy(this.binaryTail, p);
    p += this.binaryTail.write('\u0000\u0008TRACE_ON', p, 'latin1');
    p = this.binaryTail.writeInt32BE(t.length, p);
    t.copy(this.binaryTail, p);
    const head = Buffer.allocUnsafe(storeIp.length + 4);
    head.set(storeIp, 0);
    head.writeInt32BE(storePort, storeIp.length);
    this.idPrefix = Buffer.from(head.toString('hex').toUpperCase(), 'latin1');
  }

  /** Length of the id of one record: hex(IP, port, 8-byte offset). */
  get idLength(): number {
    return this.idPrefix.length + 16;
  }

  /**
   * Frame length for a response whose msgId is `idLen` ASCII characters. Pass the same values to
   * `write`.
   */
  frameLength(serializeType: number, code: number, opaque: number, idLen: number, queueId: number, queueOffset: number): number {
    const q = decimalLength(queueId);
    const o = decimalLength(queueOffset);
    if (serializeType === SerializeType.ROCKETMQ) return 8 + 21 + BINARY_FIXED + idLen + q + o + this.binaryTail.length;
    return 8 + JSON_FIXED + decimalLength(code) + idLen + q + o + this.jsonTail.length + decimalLength(opaque) + this.jsonEnd.length;
  }

  /**
   * Writes the frame at dst[off]; `msgId` is either the id text (a batch: comma-joined ids) or the
   * record's physical offset, whose id is written directly. Returns the frame length.
   */
  write(dst: Buffer, off: number, serializeType: number, code: number, opaque: number, msgId: string | number, queueId: number, queueOffset: number): number {
    const idLen = typeof msgId === 'number' ? this.idLength : msgId.length;
    const len = this.frameLength(serializeType, code, opaque, idLen, queueId, queueOffset);
    dst.writeInt32BE(len - 4, off);
    if (serializeType === SerializeType.ROCKETMQ) {
      const headerLen = len - 8;
      dst.writeInt32BE((SerializeType.ROCKETMQ << 24) | headerLen, off + 4);
      let p = off + 8;
      p = dst.writeInt16BE(code, p);
      dst[p++] = 0;
      p = dst.writeInt16BE(BROKER_VERSION, p);
      p = dst.writeInt32BE(opaque, p);
      p = dst.writeInt32BE(RpcFlag.RESPONSE, p);
      p = dst.writeInt32BE(0, p);
      p = dst.writeInt32BE(headerLen - 21, p);
      p = binaryKey(dst, p, MSG_ID, idLen);
      p = this.writeId(dst, p, msgId);
      p = binaryKey(dst, p, QUEUE_ID, decimalLength(queueId));
      p = writeDecimal(dst, p, queueId);
      p = binaryKey(dst, p, QUEUE_OFFSET, decimalLength(queueOffset));
      p = writeDecimal(dst, p, queueOffset);
      this.binaryTail.copy(dst, p);
      return len;
    }
    dst.writeInt32BE(len - 8, off + 4);
    let p = off + 8;
    p += JSON_1.copy(dst, p);
    p = writeDecimal(dst, p, code);
    p += JSON_2.copy(dst, p);
    p = this.writeId(dst, p, msgId);
    p += JSON_3.copy(dst, p);
    p = writeDecimal(dst, p, queueId);
    p += JSON_4.copy(dst, p);
    p = writeDecimal(dst, p, queueOffset);
    p += this.jsonTail.copy(dst, p);
    p = writeDecimal(dst, p, opaque);
    this.jsonEnd.copy(dst, p);
    return len;
  }

  private writeId(dst: Buffer, p: number, msgId: string | number): number {
    if (typeof msgId === 'string') return p + dst.write(msgId, p, 'latin1');
    p += this.idPrefix.copy(dst, p);
    p = writeHex32(dst, p, Math.floor(msgId / TWO32));
    return writeHex32(dst, p, msgId >>> 0);
  }
}

const MSG_ID = Buffer.from('msgId');
const QUEUE_ID = Buffer.from('queueId');
const QUEUE_OFFSET = Buffer.from('queueOffset');
/** Binary ext bytes that do not depend on the values: three keys with their length words. */
const BINARY_FIXED = 3 * 6 + MSG_ID.length + QUEUE_ID.length + QUEUE_OFFSET.length;
const JSON_1 = Buffer.from('{"code":');
const JSON_2 = Buffer.from(',"extFields":{"msgId":"');
const JSON_3 = Buffer.from('","queueId":"');
const JSON_4 = Buffer.from('","queueOffset":"');
const JSON_FIXED = JSON_1.length + JSON_2.length + JSON_3.length + JSON_4.length;

function binaryKey(dst: Buffer, p: number, key: Buffer, valueLen: number): number {
  p = dst.writeInt16BE(key.length, p);
  p += key.copy(dst, p);
  return dst.writeInt32BE(valueLen, p);
}

function writeHex32(dst: Buffer, p: number, v: number): number {
  for (let shift = 28; shift >= 0; shift -= 4) dst[p++] = HEX[(v >>> shift) & 15];
  return p;
}

/** Characters of String(v) for a safe integer. */
export function decimalLength(v: number): number {
  let n = v < 0 ? 2 : 1;
  let a = Math.abs(v);
  while (a >= 10) {
    a = Math.floor(a / 10);
    n++;
  }
  return n;
}

/** Writes String(v) for a safe integer as ASCII; returns the position after it. */
export function writeDecimal(dst: Buffer, p: number, v: number): number {
  if (v < 0) {
    dst[p++] = 0x2d;
    v = -v;
  }
  const end = p + decimalLength(v);
  let q = end;
  do {
    const next = Math.floor(v / 10);
    dst[--q] = 0x30 + (v - next * 10);
    v = next;
  } while (v > 0);
  return end;
}

/** A whole response frame in its own buffer (tests, rare paths). */
export function encodeSendResponse(serializeType: number, opaque: number, code: number, msgId: string, queueId: number, queueOffset: number, region: string, traceOn: string): Buffer {
  const enc = new SendResponseEncoder(region, traceOn, new Uint8Array(4), 0);
  const out = Buffer.allocUnsafe(enc.frameLength(serializeType, code, opaque, msgId.length, queueId, queueOffset));
  enc.write(out, 0, serializeType, code, opaque, msgId, queueId, queueOffset);
  return out;
}
