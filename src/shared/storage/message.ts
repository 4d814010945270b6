// CommitLog record codec (reference doc §4.1-§4.3). Encode/patch/check/range functions do not
// allocate; decodeRecord builds a full object for admin and query paths.

import { bodyCrc as computeBodyCrc } from './crc32.js';
import { formatHostPort } from './ip.js';
import { readInt, readLong, readShort, writeInt, writeLong, writeShort } from './longs.js';
import { createOffsetMsgId } from './msgid.js';
import { MAX_PROPERTIES_LENGTH, parseProperties } from './properties.js';
import { utf8Slice } from './text.js';

export const MAGIC_V1 = -626843481; // 0xDAA320A7
export const MAGIC_V2 = -626843477; // 0xDAA320AB
export const BLANK_MAGIC = -875286124; // 0xCBD43194
/** Size of the end-of-file marker; a record is only written when record + this still fits. */
export const END_FILE_MIN_BLANK_LENGTH = 8;
export const MAX_TOPIC_LENGTH_V1 = 127;

// Fixed positions, valid when both hosts are IPv4.
export const POS_TOTALSIZE = 0;
export const POS_MAGIC = 4;
export const POS_BODYCRC = 8;
export const POS_QUEUEID = 12;
export const POS_FLAG = 16;
export const POS_QUEUEOFFSET = 20;
export const POS_PHYSICALOFFSET = 28;
export const POS_SYSFLAG = 36;
export const POS_BORNTIMESTAMP = 40;
export const POS_BORNHOST = 48;
export const POS_STORETIMESTAMP = 56;
export const POS_STOREHOST = 64;
export const POS_RECONSUMETIMES = 72;
export const POS_PREPARED_TX_OFFSET = 76;
export const POS_BODYLENGTH = 84;

export const MessageSysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_NOT_TYPE: 0,
  PREPARED: 0x4,
  COMMIT: 0x8,
  ROLLBACK: 0xc,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6: 0x10,
  STOREHOST_V6: 0x20,
  NEED_UNWRAP: 0x40,
  INNER_BATCH: 0x80,
  COMPRESSION_LZ4_TYPE: 0x100,
  COMPRESSION_ZSTD_TYPE: 0x200,
  COMPRESSION_ZLIB_TYPE: 0x300,
  COMPRESSION_TYPE_COMPARATOR: 0x700,
} as const;
// Short aliases.
export const COMPRESSED = 0x1;
export const MULTI_TAGS = 0x2;
export const TRANSACTION_NOT_TYPE = 0;
export const PREPARED = 0x4;
export const COMMIT = 0x8;
export const ROLLBACK = 0xc;
export const BORNHOST_V6 = 0x10;
export const STOREHOST_V6 = 0x20;

/** Transaction type bits (sysFlag & 0x0C): 0 NOT, 4 PREPARED, 8 COMMIT, 12 ROLLBACK. */
export function transactionType(sysFlag: number): number {
  return sysFlag & ROLLBACK;
}

export function bornHostLength(sysFlag: number): number {
  return sysFlag & BORNHOST_V6 ? 20 : 8;
}
export function storeHostLength(sysFlag: number): number {
  return sysFlag & STOREHOST_V6 ? 20 : 8;
}
export function posStoreTimestamp(sysFlag: number): number {
  return POS_BORNHOST + bornHostLength(sysFlag);
}
export function posStoreHost(sysFlag: number): number {
  return POS_BORNHOST + bornHostLength(sysFlag) + 8;
}
export function posReconsumeTimes(sysFlag: number): number {
  return posStoreHost(sysFlag) + storeHostLength(sysFlag);
}
export function posPreparedTxOffset(sysFlag: number): number {
  return posReconsumeTimes(sysFlag) + 4;
}
export function posBodyLength(sysFlag: number): number {
  return posReconsumeTimes(sysFlag) + 12;
}

/** Record size: 91 + body + topic + props for IPv4 hosts and v1 magic; +12 per IPv6 host, +1 for v2. */
export function recordLength(
  sysFlag: number,
  bodyLen: number,
  topicLen: number,
  propsLen: number,
  magicV2 = false,
): number {
  return posBodyLength(sysFlag) + 4 + bodyLen + (magicV2 ? 2 : 1) + topicLen + 2 + propsLen;
}

export interface RecordFields {
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  /** 4 or 16 IP bytes */
  bornHost: Uint8Array;
  bornPort: number;
  storeTimestamp: number;
  storeHost: Uint8Array;
  storePort: number;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  /** stored BODYCRC; computed (crc32 & 0x7fffffff) if absent */
  bodyCrc?: number;
  /** UTF-8 */
  topic: Uint8Array;
  properties: Uint8Array;
}

function hostFlagBits(host: Uint8Array, v6Bit: number, what: string): number {
  if (host.length === 4) return 0;
  if (host.length === 16) return v6Bit;
  throw new RangeError(`${what} must be 4 or 16 IP bytes, got ${host.length}`);
}

/**
 * Writes a v1 record at dst[off] and returns its length. The IPv6 bits of the written sysFlag
 * follow the host byte lengths (as the Java broker sets them from the socket addresses).
 */
export function encodeRecord(dst: Uint8Array, off: number, f: RecordFields): number {
  const topicLen = f.topic.length;
  const propsLen = f.properties.length;
  const bodyLen = f.body.length;
  if (topicLen > MAX_TOPIC_LENGTH_V1) {
    throw new RangeError(`topic is ${topicLen} bytes, a v1 record allows at most ${MAX_TOPIC_LENGTH_V1}`);
  }
  if (propsLen > MAX_PROPERTIES_LENGTH) {
    throw new RangeError(`properties are ${propsLen} bytes, at most ${MAX_PROPERTIES_LENGTH} allowed`);
  }
  const sysFlag =
    (f.sysFlag & ~(BORNHOST_V6 | STOREHOST_V6)) |
    hostFlagBits(f.bornHost, BORNHOST_V6, 'bornHost') |
    hostFlagBits(f.storeHost, STOREHOST_V6, 'storeHost');
  const len = recordLength(sysFlag, bodyLen, topicLen, propsLen);
  if (off < 0 || off + len > dst.length) {
    throw new RangeError(`record of ${len} bytes does not fit at ${off} in a ${dst.length}-byte buffer`);
  }
  const crc = f.bodyCrc === undefined ? computeBodyCrc(f.body, 0, bodyLen) : f.bodyCrc;
  writeInt(dst, off, len);
  writeInt(dst, off + POS_MAGIC, MAGIC_V1);
  writeInt(dst, off + POS_BODYCRC, crc);
  writeInt(dst, off + POS_QUEUEID, f.queueId);
  writeInt(dst, off + POS_FLAG, f.flag);
  writeLong(dst, off + POS_QUEUEOFFSET, f.queueOffset);
  writeLong(dst, off + POS_PHYSICALOFFSET, f.physicalOffset);
  writeInt(dst, off + POS_SYSFLAG, sysFlag);
  writeLong(dst, off + POS_BORNTIMESTAMP, f.bornTimestamp);
  let p = off + POS_BORNHOST;
  dst.set(f.bornHost, p);
  p += f.bornHost.length;
  writeInt(dst, p, f.bornPort);
  p += 4;
  writeLong(dst, p, f.storeTimestamp);
  p += 8;
  dst.set(f.storeHost, p);
  p += f.storeHost.length;
  writeInt(dst, p, f.storePort);
  p += 4;
  writeInt(dst, p, f.reconsumeTimes);
  p += 4;
  writeLong(dst, p, f.preparedTransactionOffset);
  p += 8;
  writeInt(dst, p, bodyLen);
  p += 4;
  dst.set(f.body, p);
  p += bodyLen;
  dst[p++] = topicLen;
  dst.set(f.topic, p);
  p += topicLen;
  writeShort(dst, p, propsLen);
  p += 2;
  dst.set(f.properties, p);
  return len;
}

/** Fills the fields only known under the append lock. Positions follow the record's own sysFlag. */
export function patchStoreFields(
  buf: Uint8Array,
  off: number,
  queueOffset: number,
  physicalOffset: number,
  storeTimestamp: number,
): void {
  writeLong(buf, off + POS_QUEUEOFFSET, queueOffset);
  writeLong(buf, off + POS_PHYSICALOFFSET, physicalOffset);
  writeLong(buf, off + posStoreTimestamp(readInt(buf, off + POS_SYSFLAG)), storeTimestamp);
}

/** The end-of-file marker: [int remaining][int BLANK_MAGIC]. */
export function writeBlank(dst: Uint8Array, off: number, remaining: number): void {
  writeInt(dst, off, remaining);
  writeInt(dst, off + 4, BLANK_MAGIC);
}

function minRecordLength(magic: number, sysFlag: number): number {
  return recordLength(sysFlag, 0, 0, 0, magic === MAGIC_V2);
}

/**
 * Recovery/read check of the record at buf[off], with `available` readable bytes from off.
 * Returns the record size when complete and consistent (and the CRC matches when verifyCrc),
 * 0 for a BLANK end-of-file marker, -1 for anything else (torn, zero-filled, corrupt).
 */
export function checkRecord(buf: Uint8Array, off: number, available: number, verifyCrc: boolean): number {
  if (available < 8) return -1;
  const total = readInt(buf, off);
  const magic = readInt(buf, off + POS_MAGIC);
  if (magic === BLANK_MAGIC) return 0;
  if (magic !== MAGIC_V1 && magic !== MAGIC_V2) return -1;
  if (total > available || available < POS_SYSFLAG + 4) return -1;
  const sysFlag = readInt(buf, off + POS_SYSFLAG);
  if (total < minRecordLength(magic, sysFlag)) return -1;
  const end = off + total;
  let p = off + posBodyLength(sysFlag);
  const bodyLen = readInt(buf, p);
  p += 4;
  if (bodyLen < 0 || bodyLen > end - p) return -1;
  const bodyStart = p;
  p += bodyLen;
  let topicLen: number;
  if (magic === MAGIC_V1) {
    if (p + 1 > end) return -1;
    topicLen = buf[p];
    p += 1;
  } else {
    if (p + 2 > end) return -1;
    topicLen = readShort(buf, p);
    p += 2;
  }
  // Java reads the v1 length as a signed byte and the v2 one as a signed short.
  if (topicLen < 0 || (magic === MAGIC_V1 && topicLen > MAX_TOPIC_LENGTH_V1)) return -1;
  p += topicLen;
  if (p + 2 > end) return -1;
  const propsLen = readShort(buf, p);
  if (propsLen < 0) return -1;
  p += 2 + propsLen;
  if (p !== end) return -1;
  if (verifyCrc && computeBodyCrc(buf, bodyStart, bodyStart + bodyLen) !== readInt(buf, off + POS_BODYCRC)) {
    return -1;
  }
  return total;
}

function topicLengthSize(buf: Uint8Array, off: number): number {
  return readInt(buf, off + POS_MAGIC) === MAGIC_V2 ? 2 : 1;
}

/** out[0] = body start, out[1] = body end (absolute positions in buf). */
export function recordBodyRange(buf: Uint8Array, off: number, out: Int32Array): void {
  const p = off + posBodyLength(readInt(buf, off + POS_SYSFLAG));
  out[0] = p + 4;
  out[1] = p + 4 + readInt(buf, p);
}

/** out[0] = topic start, out[1] = topic end. */
export function recordTopicRange(buf: Uint8Array, off: number, out: Int32Array): void {
  const lenPos = off + posBodyLength(readInt(buf, off + POS_SYSFLAG));
  const p = lenPos + 4 + readInt(buf, lenPos);
  const tls = topicLengthSize(buf, off);
  const topicLen = tls === 1 ? buf[p] : readShort(buf, p);
  out[0] = p + tls;
  out[1] = p + tls + topicLen;
}

/** out[0] = properties start, out[1] = properties end. */
export function recordPropertiesRange(buf: Uint8Array, off: number, out: Int32Array): void {
  recordTopicRange(buf, off, out);
  propertiesRangeAfterTopic(buf, out[1], out);
}

/** recordPropertiesRange for a caller that has the topic's range already: `topicEnd` is its out[1]. */
export function propertiesRangeAfterTopic(buf: Uint8Array, topicEnd: number, out: Int32Array): void {
  out[0] = topicEnd + 2;
  out[1] = topicEnd + 2 + readShort(buf, topicEnd);
}

export function recordSysFlag(buf: Uint8Array, off: number): number {
  return readInt(buf, off + POS_SYSFLAG);
}
export function recordStoreTimestamp(buf: Uint8Array, off: number): number {
  return readLong(buf, off + posStoreTimestamp(readInt(buf, off + POS_SYSFLAG)));
}

export interface DecodedMessage {
  storeSize: number;
  magic: number;
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  /** "ip:port" ("[v6]:port" for IPv6) */
  bornHost: string;
  storeTimestamp: number;
  storeHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  /** a copy, independent of the source buffer */
  body: Buffer;
  topic: string;
  properties: Map<string, string>;
  // Additions for re-encoding and display.
  bornHostIp: Buffer;
  bornPort: number;
  storeHostIp: Buffer;
  storePort: number;
  /** offsetMsgId: store host + physical offset */
  msgId: string;
}

/** Decodes a v1 or v2 record (IPv4/IPv6 hosts). Throws RangeError if no valid record is there. */
export function decodeRecord(buf: Uint8Array, off: number): DecodedMessage {
  const available = buf.length - off;
  if (checkRecord(buf, off, available, false) <= 0) {
    throw new RangeError(`no valid message record at offset ${off}`);
  }
  const magic = readInt(buf, off + POS_MAGIC);
  const sysFlag = readInt(buf, off + POS_SYSFLAG);
  const bornIpLen = bornHostLength(sysFlag) - 4;
  const storeIpLen = storeHostLength(sysFlag) - 4;
  let p = off + POS_BORNHOST;
  const bornHostIp = Buffer.from(buf.subarray(p, p + bornIpLen));
  const bornPort = readInt(buf, p + bornIpLen);
  p += bornIpLen + 4;
  const storeTimestamp = readLong(buf, p);
  p += 8;
  const storeHostIp = Buffer.from(buf.subarray(p, p + storeIpLen));
  const storePort = readInt(buf, p + storeIpLen);
  p += storeIpLen + 4;
  const reconsumeTimes = readInt(buf, p);
  const preparedTransactionOffset = readLong(buf, p + 4);
  const physicalOffset = readLong(buf, off + POS_PHYSICALOFFSET);
  const range = new Int32Array(2);
  recordBodyRange(buf, off, range);
  const body = Buffer.from(buf.subarray(range[0], range[1]));
  recordTopicRange(buf, off, range);
  const topic = utf8Slice(buf, range[0], range[1]);
  recordPropertiesRange(buf, off, range);
  const properties = parseProperties(buf, range[0], range[1]);
  return {
    storeSize: readInt(buf, off),
    magic,
    bodyCrc: readInt(buf, off + POS_BODYCRC),
    queueId: readInt(buf, off + POS_QUEUEID),
    flag: readInt(buf, off + POS_FLAG),
    queueOffset: readLong(buf, off + POS_QUEUEOFFSET),
    physicalOffset,
    sysFlag,
    bornTimestamp: readLong(buf, off + POS_BORNTIMESTAMP),
    bornHost: formatHostPort(bornHostIp, 0, bornIpLen, bornPort),
    storeTimestamp,
    storeHost: formatHostPort(storeHostIp, 0, storeIpLen, storePort),
    reconsumeTimes,
    preparedTransactionOffset,
    body,
    topic,
    properties,
    bornHostIp,
    bornPort,
    storeHostIp,
    storePort,
    msgId: createOffsetMsgId(storeHostIp, storePort, physicalOffset),
  };
}
