// IndexFile (reference doc §6.4): 40-byte header, hash slots, then 20-byte entries chained per slot.
// IndexFileView keeps no state of its own: every call reads and writes the header in the buffer,
// so any view over the same memory (e.g. a mapped file) sees the same index.

import { javaHashCode } from './hash.js';
import { readInt, readLong, writeInt, writeLong } from './longs.js';

export const INDEX_HEADER_SIZE = 40;
export const HASH_SLOT_SIZE = 4;
export const INDEX_ENTRY_SIZE = 20;
export const DEFAULT_MAX_HASH_SLOT_NUM = 5_000_000;
export const DEFAULT_MAX_INDEX_NUM = 20_000_000;

const H_BEGIN_TS = 0;
const H_END_TS = 8;
const H_BEGIN_PHY = 16;
const H_END_PHY = 24;
const H_SLOT_COUNT = 32;
const H_INDEX_COUNT = 36;

export function indexFileSize(slots: number, entries: number): number {
  return INDEX_HEADER_SIZE + slots * HASH_SLOT_SIZE + entries * INDEX_ENTRY_SIZE;
}

/** abs(hashCode) with Integer.MIN_VALUE mapped to 0, from an already computed Java hash. */
export function indexHashFromHashCode(h: number): number {
  return h === -2147483648 ? 0 : Math.abs(h);
}

export function indexKeyHash(key: string): number {
  return indexHashFromHashCode(javaHashCode(key));
}

export function slotPosition(hash: number, slots: number): number {
  return INDEX_HEADER_SIZE + (hash % slots) * HASH_SLOT_SIZE;
}

export function entryPosition(n: number, slots: number): number {
  return INDEX_HEADER_SIZE + slots * HASH_SLOT_SIZE + n * INDEX_ENTRY_SIZE;
}

export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  indexCount: number;
}

/** Reads the header as stored (indexCount may be 0 in a fresh file; Java treats <= 0 as 1). */
export function readIndexHeader(buf: Uint8Array): IndexHeader {
  return {
    beginTimestamp: readLong(buf, H_BEGIN_TS),
    endTimestamp: readLong(buf, H_END_TS),
    beginPhyOffset: readLong(buf, H_BEGIN_PHY),
    endPhyOffset: readLong(buf, H_END_PHY),
    hashSlotCount: readInt(buf, H_SLOT_COUNT),
    indexCount: readInt(buf, H_INDEX_COUNT),
  };
}

export function writeIndexHeader(buf: Uint8Array, h: IndexHeader): void {
  writeLong(buf, H_BEGIN_TS, h.beginTimestamp);
  writeLong(buf, H_END_TS, h.endTimestamp);
  writeLong(buf, H_BEGIN_PHY, h.beginPhyOffset);
  writeLong(buf, H_END_PHY, h.endPhyOffset);
  writeInt(buf, H_SLOT_COUNT, h.hashSlotCount);
  writeInt(buf, H_INDEX_COUNT, h.indexCount);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** yyyyMMddHHmmssSSS in local time. */
export function indexFileName(date: Date): string {
  return (
    pad(date.getFullYear(), 4) +
    pad(date.getMonth() + 1, 2) +
    pad(date.getDate(), 2) +
    pad(date.getHours(), 2) +
    pad(date.getMinutes(), 2) +
    pad(date.getSeconds(), 2) +
    pad(date.getMilliseconds(), 3)
  );
}

export class IndexFileView {
  readonly buf: Uint8Array;
  readonly hashSlotNum: number;
  readonly indexNum: number;

  constructor(buf: Uint8Array, hashSlotNum = DEFAULT_MAX_HASH_SLOT_NUM, indexNum = DEFAULT_MAX_INDEX_NUM) {
    const need = indexFileSize(hashSlotNum, indexNum);
    if (buf.length < need) throw new RangeError(`index file needs ${need} bytes, buffer has ${buf.length}`);
    this.buf = buf;
    this.hashSlotNum = hashSlotNum;
    this.indexNum = indexNum;
  }

  /** What Java's IndexFile constructor does for a new file that follows a previous one. */
  initAfter(endPhyOffset: number, endTimestamp: number): void {
    if (endPhyOffset > 0) {
      writeLong(this.buf, H_BEGIN_PHY, endPhyOffset);
      writeLong(this.buf, H_END_PHY, endPhyOffset);
    }
    if (endTimestamp > 0) {
      writeLong(this.buf, H_BEGIN_TS, endTimestamp);
      writeLong(this.buf, H_END_TS, endTimestamp);
    }
  }

  get beginTimestamp(): number {
    return readLong(this.buf, H_BEGIN_TS);
  }
  get endTimestamp(): number {
    return readLong(this.buf, H_END_TS);
  }
  get beginPhyOffset(): number {
    return readLong(this.buf, H_BEGIN_PHY);
  }
  get endPhyOffset(): number {
    return readLong(this.buf, H_END_PHY);
  }
  get hashSlotCount(): number {
    return readInt(this.buf, H_SLOT_COUNT);
  }
  /** Next entry number; entry 0 is never used. */
  get indexCount(): number {
    const n = readInt(this.buf, H_INDEX_COUNT);
    return n <= 0 ? 1 : n;
  }

  isWriteFull(): boolean {
    return this.indexCount >= this.indexNum;
  }

  /** Java's IndexFile.isTimeMatched: does [begin, end] overlap this file's time span? */
  isTimeMatched(begin: number, end: number): boolean {
    const b = this.beginTimestamp;
    const e = this.endTimestamp;
    return (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e);
  }

  put(key: string, phyOffset: number, storeTimestamp: number): boolean {
    return this.putHash(indexKeyHash(key), phyOffset, storeTimestamp);
  }

  /** put() with a precomputed indexKeyHash; false when the file is full. */
  putHash(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    const buf = this.buf;
    const count = this.indexCount;
    if (count >= this.indexNum) return false;
    const slotPos = slotPosition(keyHash, this.hashSlotNum);
    let slotValue = readInt(buf, slotPos);
    if (slotValue <= 0 || slotValue > count) slotValue = 0;

    const beginTs = this.beginTimestamp;
    let timeDiff = Math.trunc((storeTimestamp - beginTs) / 1000);
    if (beginTs <= 0 || timeDiff < 0) timeDiff = 0;
    else if (timeDiff > 2147483647) timeDiff = 2147483647;

    const pos = entryPosition(count, this.hashSlotNum);
    writeInt(buf, pos, keyHash);
    writeLong(buf, pos + 4, phyOffset);
    writeInt(buf, pos + 12, timeDiff);
    writeInt(buf, pos + 16, slotValue);
    writeInt(buf, slotPos, count);

    // As in Java, the first entry resets the begin fields (after its timeDiff was computed).
    if (count <= 1) {
      writeLong(buf, H_BEGIN_PHY, phyOffset);
      writeLong(buf, H_BEGIN_TS, storeTimestamp);
    }
    // 4.9.8 counts slots taken into use, not puts.
    if (slotValue === 0) writeInt(buf, H_SLOT_COUNT, this.hashSlotCount + 1);
    writeInt(buf, H_INDEX_COUNT, count + 1);
    writeLong(buf, H_END_PHY, phyOffset);
    writeLong(buf, H_END_TS, storeTimestamp);
    return true;
  }

  query(key: string, begin: number, end: number, max: number): number[] {
    return this.queryHash(indexKeyHash(key), begin, end, max, []);
  }

  /**
   * Walks the slot chain newest first, appending matching phy offsets to `out` until out.length
   * reaches max (so one list can be shared across files, as Java does). Stops at a chain end,
   * an out-of-range or self link, a negative timeDiff, or an entry older than `begin`.
   */
  queryHash(keyHash: number, begin: number, end: number, max: number, out: number[]): number[] {
    const buf = this.buf;
    const count = this.indexCount;
    const slotValue = readInt(buf, slotPosition(keyHash, this.hashSlotNum));
    if (slotValue <= 0 || slotValue > count || count <= 1) return out;
    const beginTs = this.beginTimestamp;
    for (let n = slotValue; ; ) {
      if (out.length >= max) break;
      const pos = entryPosition(n, this.hashSlotNum);
      const hashRead = readInt(buf, pos);
      const phyRead = readLong(buf, pos + 4);
      const timeDiff = readInt(buf, pos + 12);
      const prev = readInt(buf, pos + 16);
      if (timeDiff < 0) break;
      const timeRead = beginTs + timeDiff * 1000;
      if (hashRead === keyHash && timeRead >= begin && timeRead <= end) out.push(phyRead);
      if (prev <= 0 || prev > count || prev === n || timeRead < begin) break;
      n = prev;
    }
    return out;
  }
}

/**
 * Crash recovery of an IndexFile: the first entry (1..count) whose record is at or past
 * `phyLimit` or was stored after `timeLimit`. Entries are appended in dispatch order, so the ones
 * to drop form a suffix; `count` when none must go. `entries` holds entries 0..count-1.
 */
export function firstEntryPast(entries: Uint8Array, count: number, beginTimestamp: number, phyLimit: number, timeLimit: number): number {
  const past = (n: number) => readLong(entries, n * INDEX_ENTRY_SIZE + 4) >= phyLimit || beginTimestamp + readInt(entries, n * INDEX_ENTRY_SIZE + 12) * 1000 > timeLimit;
  let lo = 1;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Unlinks entries `keep`..count-1 from every slot chain, in place: a slot pointing at a dropped
 * entry is moved down its chain to the newest kept one. Returns the number of slots in use.
 */
export function unlinkEntriesFrom(slotTable: Uint8Array, slotNum: number, entries: Uint8Array, keep: number): number {
  let used = 0;
  for (let s = 0; s < slotNum; s++) {
    let v = readInt(slotTable, s * HASH_SLOT_SIZE);
    if (v >= keep) {
      while (v >= keep) v = readInt(entries, v * INDEX_ENTRY_SIZE + 16);
      writeInt(slotTable, s * HASH_SLOT_SIZE, v);
    }
    if (v > 0) used++;
  }
  return used;
}
