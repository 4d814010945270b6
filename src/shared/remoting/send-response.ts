import { BROKER_VERSION, RpcFlag, SerializeType } from '../codes.js';
import { putBytes, writeInt, writeShort } from '../storage/longs.js';
import { binaryKey, decimalLength, digits, keyBytes, writeDecimal } from './header-bytes.js';

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
    const numbers = idLen + decimalLength(queueId) + decimalLength(queueOffset);
    if (serializeType === SerializeType.ROCKETMQ) return 8 + 21 + BINARY_FIXED + numbers + this.binaryTail.length;
    return 8 + JSON_FIXED + decimalLength(code) + numbers + this.jsonTail.length + decimalLength(opaque) + this.jsonEnd.length;
  }

  /**
   * Writes the frame at dst[off]; `msgId` is either the id text (a batch: comma-joined ids) or the
   * record's physical offset, whose id is written directly. Returns the frame length. Runs once
   * per stored message, so it writes bytes one by one rather than through Buffer's methods.
   */
  write(dst: Buffer, off: number, serializeType: number, code: number, opaque: number, msgId: string | number, queueId: number, queueOffset: number): number {
    const idLen = typeof msgId === 'number' ? this.idLength : msgId.length;
    const q = decimalLength(queueId);
    const o = decimalLength(queueOffset);
    if (serializeType === SerializeType.ROCKETMQ) {
      const len = 8 + 21 + BINARY_FIXED + idLen + q + o + this.binaryTail.length;
      const headerLen = len - 8;
      writeInt(dst, off, len - 4);
      writeInt(dst, off + 4, (SerializeType.ROCKETMQ << 24) | headerLen);
      writeShort(dst, off + 8, code);
      dst[off + 10] = 0;
      writeShort(dst, off + 11, BROKER_VERSION);
      writeInt(dst, off + 13, opaque);
      writeInt(dst, off + 17, RpcFlag.RESPONSE);
      writeInt(dst, off + 21, 0);
      writeInt(dst, off + 25, headerLen - 21);
      let p = binaryKey(dst, off + 29, B_MSG_ID, idLen);
      p = this.writeId(dst, p, msgId);
      p = digits(dst, binaryKey(dst, p, B_QUEUE_ID, q), queueId, q);
      p = digits(dst, binaryKey(dst, p, B_QUEUE_OFFSET, o), queueOffset, o);
      dst.set(this.binaryTail, p);
      return len;
    }
    const len = 8 + JSON_FIXED + decimalLength(code) + idLen + q + o + this.jsonTail.length + decimalLength(opaque) + this.jsonEnd.length;
    writeInt(dst, off, len - 4);
    writeInt(dst, off + 4, len - 8);
    let p = putBytes(dst, off + 8, JSON_1);
    p = writeDecimal(dst, p, code);
    p = putBytes(dst, p, JSON_2);
    p = this.writeId(dst, p, msgId);
    p = digits(dst, putBytes(dst, p, JSON_3), queueId, q);
    p = digits(dst, putBytes(dst, p, JSON_4), queueOffset, o);
    dst.set(this.jsonTail, p);
    p = writeDecimal(dst, p + this.jsonTail.length, opaque);
    dst.set(this.jsonEnd, p);
    return len;
  }

  private writeId(dst: Buffer, p: number, msgId: string | number): number {
    if (typeof msgId === 'string') return p + dst.write(msgId, p, 'latin1');
    p = putBytes(dst, p, this.idPrefix);
    p = writeHex32(dst, p, Math.floor(msgId / TWO32));
    return writeHex32(dst, p, msgId >>> 0);
  }
}

const B_MSG_ID = keyBytes('msgId');
const B_QUEUE_ID = keyBytes('queueId');
const B_QUEUE_OFFSET = keyBytes('queueOffset');
/** Binary ext bytes that do not depend on the values: three keys with their length words. */
const BINARY_FIXED = B_MSG_ID.length + B_QUEUE_ID.length + B_QUEUE_OFFSET.length + 3 * 4;
const JSON_1 = Buffer.from('{"code":');
const JSON_2 = Buffer.from(',"extFields":{"msgId":"');
const JSON_3 = Buffer.from('","queueId":"');
const JSON_4 = Buffer.from('","queueOffset":"');
const JSON_FIXED = JSON_1.length + JSON_2.length + JSON_3.length + JSON_4.length;

function writeHex32(dst: Uint8Array, p: number, v: number): number {
  for (let shift = 28; shift >= 0; shift -= 4) dst[p++] = HEX[(v >>> shift) & 15];
  return p;
}

/** A whole response frame in its own buffer (tests, rare paths). */
export function encodeSendResponse(serializeType: number, opaque: number, code: number, msgId: string, queueId: number, queueOffset: number, region: string, traceOn: string): Buffer {
  const enc = new SendResponseEncoder(region, traceOn, new Uint8Array(4), 0);
  const out = Buffer.allocUnsafe(enc.frameLength(serializeType, code, opaque, msgId.length, queueId, queueOffset));
  enc.write(out, 0, serializeType, code, opaque, msgId, queueId, queueOffset);
  return out;
}
