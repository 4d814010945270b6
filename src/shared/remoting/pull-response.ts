import { BROKER_VERSION, RpcFlag, SerializeType } from '../codes.js';
import { putBytes, writeInt, writeShort } from '../storage/longs.js';
import { binaryKey, decimalLength, keyBytes, writeDecimal } from './header-bytes.js';

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
  writeInt(dst, off, len - 4);
  writeInt(dst, off + 4, ((serializeType & 0xff) << 24) | headerLen);
  let p = off + 8;
  if (serializeType === SerializeType.ROCKETMQ) {
    writeShort(dst, p, code);
    dst[p + 2] = 0;
    writeShort(dst, p + 3, BROKER_VERSION);
    writeInt(dst, p + 5, opaque);
    writeInt(dst, p + 9, RpcFlag.RESPONSE);
    writeInt(dst, p + 13, status.length);
    p += 17;
    p += dst.write(status, p, 'latin1');
    writeInt(dst, p, headerLen - 21 - status.length);
    p = putBytes(dst, p + 4, B_SUGGEST);
    p = writeDecimal(dst, binaryKey(dst, p, B_NEXT, decimalLength(next)), next);
    p = writeDecimal(dst, binaryKey(dst, p, B_MIN, decimalLength(min)), min);
    return writeDecimal(dst, binaryKey(dst, p, B_MAX, decimalLength(max)), max);
  }
  p = writeDecimal(dst, putBytes(dst, p, J_CODE), code);
  p = writeDecimal(dst, putBytes(dst, p, J_NEXT), next);
  p = writeDecimal(dst, putBytes(dst, p, J_MIN), min);
  p = writeDecimal(dst, putBytes(dst, p, J_MAX), max);
  p = writeDecimal(dst, putBytes(dst, p, J_OPAQUE), opaque);
  p = putBytes(dst, p, J_REMARK);
  p += dst.write(status, p, 'latin1');
  return putBytes(dst, p, J_END);
}

/** suggestWhichBrokerId is always "0" (the master): key, value length and value as one constant. */
const B_SUGGEST = Buffer.from('\u0000\u0014suggestWhichBrokerId\u0000\u0000\u0000\u00010', 'latin1');
const B_NEXT = keyBytes('nextBeginOffset');
const B_MIN = keyBytes('minOffset');
const B_MAX = keyBytes('maxOffset');
/** Binary ext bytes that do not depend on the values: the constant, three keys with their length words. */
const BINARY_FIXED = B_SUGGEST.length + B_NEXT.length + B_MIN.length + B_MAX.length + 3 * 4;

const J_CODE = Buffer.from('{"code":');
const J_NEXT = Buffer.from(',"extFields":{"suggestWhichBrokerId":"0","nextBeginOffset":"');
const J_MIN = Buffer.from('","minOffset":"');
const J_MAX = Buffer.from('","maxOffset":"');
const J_OPAQUE = Buffer.from(`"},"flag":${RpcFlag.RESPONSE},"language":"JAVA","opaque":`);
const J_REMARK = Buffer.from(',"remark":"');
const J_END = Buffer.from(`","serializeTypeCurrentRPC":"JSON","version":${BROKER_VERSION}}`);
const JSON_FIXED = J_CODE.length + J_NEXT.length + J_MIN.length + J_MAX.length + J_OPAQUE.length + J_REMARK.length + J_END.length;
