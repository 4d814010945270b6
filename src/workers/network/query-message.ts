import { ResponseCode } from '../../shared/codes.js';
import { responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { indexKeyHash } from '../../shared/storage/indexfile.js';
import { readLong } from '../../shared/storage/longs.js';
import { checkRecord, POS_PHYSICALOFFSET, recordPropertiesRange, recordTopicRange } from '../../shared/storage/message.js';
import { findProperty } from '../../shared/storage/properties.js';
import { bytesEqual } from '../../shared/storage/text.js';
import type { IndexReader } from '../storage/index-reader.js';
import type { StoreReader } from '../storage/store-reader.js';

/** extField a client adds when it queries by UNIQ_KEY (MixAll.UNIQUE_MSG_QUERY_FLAG). */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';
/** MessageStoreConfig.defaultQueryMaxNum: maxNum of a UNIQ_KEY query. */
export const DEFAULT_QUERY_MAX_NUM = 32;
/** MessageStoreConfig.maxMsgsNumBatch: cap of any query. */
export const MAX_MSGS_NUM_BATCH = 64;

const UNIQ_KEY = Buffer.from('UNIQ_KEY');
const KEYS = Buffer.from('KEYS');
const SPACE = 0x20;

/**
 * Does the stored record at `phy` belong to `topic` and carry `key` (as UNIQ_KEY or one of its
 * space-separated KEYS)? Index hashes collide, so every candidate is checked. Defensive about
 * what it reads: an entry left by a crash may point at anything.
 */
export function recordHasKey(rec: Buffer, phy: number, topic: Uint8Array, key: Uint8Array): boolean {
  if (checkRecord(rec, 0, rec.length, false) !== rec.length || readLong(rec, POS_PHYSICALOFFSET) !== phy) return false;
  const r = new Int32Array(2);
  recordTopicRange(rec, 0, r);
  if (!bytesEqual(rec, r[0], r[1], topic)) return false;
  recordPropertiesRange(rec, 0, r);
  const pStart = r[0];
  const pEnd = r[1];
  if (findProperty(rec, pStart, pEnd, UNIQ_KEY, r) && bytesEqual(rec, r[0], r[1], key)) return true;
  if (!findProperty(rec, pStart, pEnd, KEYS, r)) return false;
  const end = r[1];
  let start = r[0];
  for (let i = start; i <= end; i++) {
    if (i === end || rec[i] === SPACE) {
      if (i > start && bytesEqual(rec, start, i, key)) return true;
      start = i + 1;
    }
  }
  return false;
}

function field(cmd: RemotingCommand, k: string): string {
  const v = cmd.extFields?.[k];
  if (v === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is null`);
  return v;
}

function long(cmd: RemotingCommand, k: string): number {
  const v = field(cmd, k).trim();
  if (!/^-?\d+$/.test(v)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${k}> is not a number: ${v}`);
  return Number(v);
}

/**
 * QUERY_MESSAGE (12), as QueryMessageProcessor + DefaultMessageStore.queryMessage: the index
 * lookup of `topic#key` within [beginTimestamp, endTimestamp]; the body is the matching stored
 * records in CommitLog order. Unlike 4.9.8, a candidate counts only once the stored message is
 * checked to carry the topic and key (the Java client filters the same way afterwards).
 */
export function answerQueryMessage(cmd: RemotingCommand, index: IndexReader, store: StoreReader): RemotingCommand {
  try {
    const topic = field(cmd, 'topic');
    const key = field(cmd, 'key');
    let maxNum = long(cmd, 'maxNum');
    const begin = long(cmd, 'beginTimestamp');
    const end = long(cmd, 'endTimestamp');
    if (cmd.extFields?.[UNIQUE_MSG_QUERY_FLAG] === 'true') maxNum = DEFAULT_QUERY_MAX_NUM;
    maxNum = Math.min(maxNum, MAX_MSGS_NUM_BATCH);
    const topicBytes = Buffer.from(topic);
    const keyBytes = Buffer.from(key);
    const records = new Map<number, Buffer>();
    const result = index.query(indexKeyHash(`${topic}#${key}`), begin, end, maxNum, (phy) => {
      const rec = store.readRecord(phy);
      if (!rec || !recordHasKey(rec, phy, topicBytes, keyBytes)) return false;
      records.set(phy, rec);
      return true;
    });
    const ext = {
      indexLastUpdateTimestamp: String(result.indexLastUpdateTimestamp),
      indexLastUpdatePhyoffset: String(result.indexLastUpdatePhyoffset),
    };
    if (result.phyOffsets.length === 0) return responseFor(cmd, ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct', ext);
    const body = Buffer.concat(result.phyOffsets.sort((a, b) => a - b).map((phy) => records.get(phy)!));
    return responseFor(cmd, ResponseCode.SUCCESS, null, ext, body);
  } catch (e) {
    return responseFor(cmd, e instanceof RemotingError ? e.code : ResponseCode.SYSTEM_ERROR, (e as Error).message);
  }
}
