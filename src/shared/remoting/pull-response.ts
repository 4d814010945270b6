import { BROKER_VERSION, RpcFlag, SerializeType } from '../codes.js';
import { decimalLength, writeDecimal } from './send-response.js';

/**
 * The header of a pull's answer, written straight into the caller's buffer: the same bytes
 * encodeCommand produces for responseFor(request, code, status, {suggestWhichBrokerId: '0',
 * nextBeginOffset, minOffset, maxOffset}, body), without the command object, its field map or
 * the numbers as strings. `status` (the remark) is one of the pull statuses: ASCII, nothing to
 * escape. The body, `bodyLength` bytes, is the caller's to write after the header.
 */
export function pullResponseLength(serializeType: number, code: number, opaque: number, status: string, next: number, min: number, max: number, bodyLength: number): number {
  const numbers = decimalLength(next) + decimalLength(min) + decimalLength(max);
  if (serializeType === SerializeType.ROCKETMQ) return 8 + 21 + status.length + BINARY_FIXED + numbers + bodyLength;
  return 8 + JSON_FIXED + decimalLength(code) + numbers + decimalLength(opaque) + status.length + bodyLength;
}

/** Writes the length prefix and header at dst[off]; returns where the body goes. */
export function writePullResponse(dst: Buffer, off: number, serializeType: number, code: number, opaque: number, status: string, next: number, min: number, max: number, bodyLength: number): number {
  const len = pullResponseLength(serializeType, code, opaque, status, next, min, max, bodyLength);
  const headerLen = len - 8 - bodyLength;
  dst.writeInt32BE(len - 4, off);
  dst.writeInt32BE(((serializeType & 0xff) << 24 | headerLen) >>> 0, off + 4);
  let p = off + 8;
  if (serializeType === SerializeType.ROCKETMQ) {
    p = dst.writeInt16BE(code, p);
    dst[p++] = 0;
    p = dst.writeInt16BE(BROKER_VERSION, p);
    p = dst.writeInt32BE(opaque, p);
    p = dst.writeInt32BE(RpcFlag.RESPONSE, p);
    p = dst.writeInt32BE(status.length, p);
    p += dst.write(status, p, 'latin1');
    p = dst.writeInt32BE(headerLen - 21 - status.length, p);
    p += B_SUGGEST.copy(dst, p);
    p = binaryKey(dst, p, B_NEXT, decimalLength(next));
    p = writeDecimal(dst, p, next);
    p = binaryKey(dst, p, B_MIN, decimalLength(min));
    p = writeDecimal(dst, p, min);
    p = binaryKey(dst, p, B_MAX, decimalLength(max));
    return writeDecimal(dst, p, max);
  }
  p += J_CODE.copy(dst, p);
  p = writeDecimal(dst, p, code);
  p += J_NEXT.copy(dst, p);
  p = writeDecimal(dst, p, next);
  p += J_MIN.copy(dst, p);
  p = writeDecimal(dst, p, min);
  p += J_MAX.copy(dst, p);
  p = writeDecimal(dst, p, max);
  p += J_OPAQUE.copy(dst, p);
  p = writeDecimal(dst, p, opaque);
  p += J_REMARK.copy(dst, p);
  p += dst.write(status, p, 'latin1');
  return p + J_END.copy(dst, p);
}

function binaryKey(dst: Buffer, p: number, key: Buffer, valueLength: number): number {
  p = dst.writeUInt16BE(key.length, p);
  p += key.copy(dst, p);
  return dst.writeInt32BE(valueLength, p);
}

/** suggestWhichBrokerId is always "0" (the master): key, value length and value as one constant. */
const B_SUGGEST = Buffer.from('\u0000\u0014suggestWhichBrokerId\u0000\u0000\u0000\u00010', 'latin1');
const B_NEXT = Buffer.from('nextBeginOffset');
const B_MIN = Buffer.from('minOffset');
const B_MAX = Buffer.from('maxOffset');
const BINARY_FIXED = B_SUGGEST.length + 3 * 6 + B_NEXT.length + B_MIN.length + B_MAX.length;

const J_CODE = Buffer.from('{"code":');
const J_NEXT = Buffer.from(',"extFields":{"suggestWhichBrokerId":"0","nextBeginOffset":"');
const J_MIN = Buffer.from('","minOffset":"');
const J_MAX = Buffer.from('","maxOffset":"');
const J_OPAQUE = Buffer.from(`"},"flag":${RpcFlag.RESPONSE},"language":"JAVA","opaque":`);
const J_REMARK = Buffer.from(',"remark":"');
const J_END = Buffer.from(`","serializeTypeCurrentRPC":"JSON","version":${BROKER_VERSION}}`);
const JSON_FIXED = J_CODE.length + J_NEXT.length + J_MIN.length + J_MAX.length + J_OPAQUE.length + J_REMARK.length + J_END.length;
