import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../main/logger.js';
import { Seq, type SharedState } from '../../shared/shared-state.js';
import { decodeCheckpoint } from '../../shared/storage/checkpoint.js';
import { javaHashCodeUtf8 } from '../../shared/storage/hash.js';
import {
  HASH_SLOT_SIZE,
  firstEntryPast,
  unlinkEntriesFrom,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  indexFileName,
  indexFileSize,
  indexHashFromHashCode,
  readIndexHeader,
  writeIndexHeader,
  type IndexHeader,
} from '../../shared/storage/indexfile.js';
import { readInt, readLong, writeInt, writeLong } from '../../shared/storage/longs.js';
import { MAGIC_V1, MAGIC_V2, POS_MAGIC, POS_SYSFLAG, ROLLBACK, posStoreTimestamp, propertiesRangeAfterTopic, recordTopicRange, transactionType } from '../../shared/storage/message.js';
import { findProperties } from '../../shared/storage/properties.js';
import { preallocate, type CommitLogReader } from './commitlog-files.js';

/** IndexFile names: creation time yyyyMMddHHmmssSSS (17 digits), so names sort by age. */
export const INDEX_FILE_NAME = /^\d{17}$/;

/** Names of the IndexFiles in `dir`, oldest first. */
export function listIndexFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => INDEX_FILE_NAME.test(n)).sort();
}

/** The checkpoint's indexMsgTimestamp, 0 when there is no readable checkpoint. */
export function readIndexMsgTimestamp(checkpointFile: string): number {
  try {
    return decodeCheckpoint(fs.readFileSync(checkpointFile)).indexMsgTimestamp;
  } catch {
    return 0;
  }
}

/** Reads exactly `len` bytes at `pos` unless the file ends first; returns the bytes read. */
export function preadFully(fd: number, dst: Uint8Array, off: number, len: number, pos: number): number {
  let done = 0;
  while (done < len) {
    const n = fs.readSync(fd, dst, off + done, len - done, pos + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

function pwriteFully(fd: number, src: Uint8Array, off: number, len: number, pos: number): void {
  let done = 0;
  while (done < len) done += fs.writeSync(fd, src, off + done, len - done, pos + done);
}

function isRecordAt(commitLog: CommitLogReader, offset: number): boolean {
  const b = Buffer.alloc(8);
  if (commitLog.read(offset, b, 0, 8) < 8) return false;
  const magic = readInt(b, POS_MAGIC);
  return readInt(b, 0) > 0 && (magic === MAGIC_V1 || magic === MAGIC_V2);
}

export interface IndexLoadOptions {
  /** The last stop was not clean: drop files newer than the checkpoint, as RocketMQ does. */
  abnormal: boolean;
  /** End of the recovered CommitLog: a file whose newest entry points at or past it is dropped too. */
  commitLogEnd: number;
  /** Where the checkpoint (indexMsgTimestamp) is read from. */
  checkpointFile: string;
  /** To check that the re-dispatch point is a record (a damaged header could say anything). */
  commitLog?: CommitLogReader;
}

export interface IndexLoadResult {
  kept: string[];
  dropped: string[];
  /** CommitLog offset the dispatcher must re-dispatch from to rebuild dropped files; Infinity if none. */
  redispatchFrom: number;
}

/** The properties an IndexFile indexes, in the order of findProperties' ranges. */
export const INDEXED_KEYS = [Buffer.from('UNIQ_KEY'), Buffer.from('KEYS')] as const;
const HASH_CHAR = 0x23; // '#'
const SPACE = 0x20; // MessageConst.KEY_SEPARATOR
/**
 * String.hashCode("topic#") from the topic's UTF-8 bytes: continued over a key's bytes it gives
 * the hash of "topic#key", the IndexFile's key, without building that string.
 */
export function topicKeySeed(buf: Uint8Array, topicStart: number, topicEnd: number): number {
  return (Math.imul(31, javaHashCodeUtf8(buf, topicStart, topicEnd)) + HASH_CHAR) | 0;
}

/** Slot writes closer than this (in slots) are merged into one write of the slot image. */
const SLOT_WRITE_GAP = 1024;

/**
 * Writes RocketMQ IndexFiles (reference doc §6.4) from dispatched records: `topic#UNIQ_KEY` and
 * `topic#key` for every KEYS token, as 4.9.8's IndexService.buildIndex does. Only the dispatcher
 * thread writes. There is no mmap in Node: the newest file's slot table is kept in memory, entries
 * are staged, and a flushStage() writes the staged entries, then the slots that point at them,
 * then the header, with positional writes — so a reader never follows a slot to an unwritten
 * entry, and the file on disk is always consistent up to its header's indexCount.
 */
export class IndexWriter {
  readonly fileSize: number;
  /** Slot table of the newest file (big-endian ints, as on disk) including staged puts. */
  private readonly slotImage: Buffer;
  private readonly stage: Buffer;
  private readonly stageCap: number;
  private stageFirst = 0;
  private stageCount = 0;
  private readonly dirtySlots: Int32Array;
  private dirtyCount = 0;
  private readonly headBuf = Buffer.alloc(INDEX_HEADER_SIZE);
  private readonly range = new Int32Array(2);
  private readonly keyRanges = new Int32Array(2 * INDEXED_KEYS.length);
  /** Header of the newest file as Java keeps it in memory (IndexHeader). */
  private readonly h: IndexHeader = { beginTimestamp: 0, endTimestamp: 0, beginPhyOffset: 0, endPhyOffset: 0, hashSlotCount: 0, indexCount: 1 };
  private fd = -1;
  private current = '';
  private dirty = false;
  /** End fields of the newest file when no file is open for writing (it was full, or none exists). */
  private prevEndPhy = 0;
  private prevEndTs = 0;
  /** Newest name seen or created: new names are always greater. */
  private lastName = '';
  /** Highest record offset indexed by this instance: a record dispatched twice is indexed once. */
  private lastPhy = -1;
  /** indexMsgTimestamp as of the last successful flush; frozen once writing failed. */
  private flushedUpTo = 0;
  private failed = false;

  constructor(
    readonly dir: string,
    readonly hashSlotNum: number,
    readonly indexNum: number,
    private readonly log: Logger,
    private readonly state: SharedState | null = null,
    stageEntries = 4096,
  ) {
    this.fileSize = indexFileSize(hashSlotNum, indexNum);
    this.slotImage = Buffer.alloc(hashSlotNum * HASH_SLOT_SIZE);
    this.stageCap = Math.max(1, Math.min(stageEntries, indexNum));
    this.stage = Buffer.allocUnsafe(this.stageCap * INDEX_ENTRY_SIZE);
    this.dirtySlots = new Int32Array(this.stageCap);
  }

  /** Name of the file being written, '' if none. */
  get currentFile(): string {
    return this.current;
  }

  /** Header of the file being written (live object: do not modify). */
  get header(): Readonly<IndexHeader> {
    return this.h;
  }

  /**
   * Loads the files on disk (IndexService.load). After an unclean stop, files whose endTimestamp
   * is past the checkpoint's indexMsgTimestamp are deleted (with every newer file), and the
   * result says where re-dispatch must start so that the dispatcher rebuilds them.
   */
  load(opts: IndexLoadOptions): IndexLoadResult {
    fs.mkdirSync(this.dir, { recursive: true });
    const names = listIndexFiles(this.dir);
    const indexMsgTimestamp = readIndexMsgTimestamp(opts.checkpointFile);
    const kept: { name: string; h: IndexHeader }[] = [];
    const dropped: string[] = [];
    let droppedBegin = 0;
    let truncatedFrom = Infinity;
    for (const name of names) {
      if (name > this.lastName) this.lastName = name;
      const file = path.join(this.dir, name);
      const h = this.readHeaderOf(file);
      if (!h) {
        this.log.warn({ file: name, expectedSize: this.fileSize }, 'IndexFile size does not match maxHashSlotNum/maxIndexNum: ignored');
        continue;
      }
      const phyLimit = opts.commitLogEnd;
      const stale = h.endTimestamp > indexMsgTimestamp || (h.indexCount > 1 && h.endPhyOffset >= phyLimit);
      // The first stale file keeps its entries up to the checkpoint: only the suffix goes, so a
      // crash costs re-reading the recent CommitLog, not everything the file covers.
      if (opts.abnormal && dropped.length === 0 && stale && truncatedFrom === Infinity) {
        const cut = this.truncateTo(file, h, phyLimit, indexMsgTimestamp);
        if (cut !== null) {
          truncatedFrom = cut;
          kept.push({ name, h });
          continue;
        }
      }
      if (opts.abnormal && (dropped.length > 0 || truncatedFrom !== Infinity || stale)) {
        if (dropped.length === 0) droppedBegin = h.beginPhyOffset >= 0 && h.beginPhyOffset <= opts.commitLogEnd ? h.beginPhyOffset : 0;
        fs.rmSync(file, { force: true });
        dropped.push(name);
        continue;
      }
      kept.push({ name, h });
    }
    let redispatchFrom = truncatedFrom;
    if (truncatedFrom !== Infinity) this.log.warn({ file: kept[kept.length - 1].name, redispatchFrom, indexMsgTimestamp }, 'IndexFile entries newer than the checkpoint cut; re-dispatch rebuilds them');
    if (dropped.length > 0) {
      redispatchFrom = Math.min(truncatedFrom, kept.length > 0 ? kept[kept.length - 1].h.endPhyOffset : droppedBegin);
      if (opts.commitLog && redispatchFrom > 0 && redispatchFrom < opts.commitLogEnd && !isRecordAt(opts.commitLog, redispatchFrom)) {
        this.log.warn({ offset: redispatchFrom }, 'no record where the kept IndexFiles end: rebuilding the index from the first CommitLog file');
        redispatchFrom = 0;
      }
      this.log.warn({ dropped, indexMsgTimestamp, redispatchFrom }, 'IndexFiles newer than the checkpoint dropped; re-dispatch rebuilds them');
    }
    const last = kept[kept.length - 1];
    if (last) {
      this.prevEndPhy = last.h.endPhyOffset;
      this.prevEndTs = last.h.endTimestamp;
      if (last.h.indexCount < this.indexNum) this.open(last.name, last.h);
    }
    this.flushedUpTo = indexMsgTimestamp;
    if (dropped.length > 0) this.published();
    return { kept: kept.map((k) => k.name), dropped, redispatchFrom };
  }

  /**
   * Retention (IndexService.deleteExpiredFile): deletes the oldest files whose newest entry is
   * below `minPhyOffset`, the first CommitLog offset still on disk; never the newest file.
   */
  deleteExpired(minPhyOffset: number): string[] {
    const names = listIndexFiles(this.dir);
    const deleted: string[] = [];
    for (let i = 0; i < names.length - 1 && names[i] !== this.current; i++) {
      const file = path.join(this.dir, names[i]);
      const h = this.readHeaderOf(file);
      if (!h) continue; // sized for another config: not ours to judge
      if (h.endPhyOffset >= minPhyOffset) break;
      fs.rmSync(file, { force: true });
      deleted.push(names[i]);
    }
    if (deleted.length > 0) {
      this.log.info({ deleted, minPhyOffset }, 'expired IndexFiles deleted');
      this.published();
    }
    return deleted;
  }

  /**
   * Cuts the entries of `file` past `phyLimit` / `timeLimit` (a suffix), re-pointing the slots to
   * the newest kept entry of their chain and rewriting the header. Returns the CommitLog offset of
   * the first record whose entries were cut, or null when nothing would be kept (drop the file).
   * Updates `h` in place.
   */
  private truncateTo(file: string, h: IndexHeader, phyLimit: number, timeLimit: number): number | null {
    const count = h.indexCount;
    if (count <= 1) return null;
    const fd = fs.openSync(file, 'r+');
    try {
      const slotsLen = this.hashSlotNum * HASH_SLOT_SIZE;
      const entriesStart = INDEX_HEADER_SIZE + slotsLen;
      const entries = Buffer.allocUnsafe(count * INDEX_ENTRY_SIZE);
      if (preadFully(fd, entries, 0, entries.length, entriesStart) < entries.length) return null;
      const keep = firstEntryPast(entries, count, h.beginTimestamp, phyLimit, timeLimit);
      if (keep <= 1) return null;
      if (keep >= count) return Infinity;
      const firstCutPhy = readLong(entries, keep * INDEX_ENTRY_SIZE + 4);
      const slots = Buffer.allocUnsafe(slotsLen);
      if (preadFully(fd, slots, 0, slotsLen, INDEX_HEADER_SIZE) < slotsLen) return null;
      h.hashSlotCount = unlinkEntriesFrom(slots, this.hashSlotNum, entries, keep);
      h.indexCount = keep;
      h.endPhyOffset = readLong(entries, (keep - 1) * INDEX_ENTRY_SIZE + 4);
      h.endTimestamp = h.beginTimestamp + readInt(entries, (keep - 1) * INDEX_ENTRY_SIZE + 12) * 1000;
      fs.writeSync(fd, slots, 0, slotsLen, INDEX_HEADER_SIZE);
      writeIndexHeader(this.headBuf, h);
      fs.writeSync(fd, this.headBuf, 0, INDEX_HEADER_SIZE, 0);
      fs.fdatasyncSync(fd);
      return firstCutPhy;
    } finally {
      fs.closeSync(fd);
    }
  }

  private readHeaderOf(file: string): IndexHeader | null {
    const fd = fs.openSync(file, 'r');
    try {
      if (fs.fstatSync(fd).size !== this.fileSize) return null;
      if (preadFully(fd, this.headBuf, 0, INDEX_HEADER_SIZE, 0) < INDEX_HEADER_SIZE) return null;
      const h = readIndexHeader(this.headBuf);
      if (h.indexCount <= 0) h.indexCount = 1;
      return h;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Continues writing an existing, not full file: its slot table is read into memory. */
  private open(name: string, h: IndexHeader): void {
    const fd = fs.openSync(path.join(this.dir, name), 'r+');
    const want = this.slotImage.length;
    const n = preadFully(fd, this.slotImage, 0, want, INDEX_HEADER_SIZE);
    if (n < want) this.slotImage.fill(0, n);
    Object.assign(this.h, h);
    this.fd = fd;
    this.current = name;
  }

  /**
   * Indexes one CommitLog record (the dispatcher calls it for every record it reads). ROLLBACK
   * records are skipped; PREPARED ones are indexed, as in IndexService. Records below the newest
   * file's endPhyOffset were indexed before (RocketMQ's rule for re-dispatch).
   */
  indexRecord(buf: Uint8Array, off: number, phy: number): void {
    const sysFlag = readInt(buf, off + POS_SYSFLAG);
    const r = this.range;
    recordTopicRange(buf, off, r);
    const seed = topicKeySeed(buf, r[0], r[1]);
    propertiesRangeAfterTopic(buf, r[1], r);
    const k = this.keyRanges;
    findProperties(buf, r[0], r[1], INDEXED_KEYS, k);
    this.indexParsed(buf, phy, sysFlag, readLong(buf, off + posStoreTimestamp(sysFlag)), seed, k[0], k[1], k[2], k[3]);
  }

  /**
   * indexRecord for a record its caller has parsed: `seed` is topicKeySeed of its topic, and
   * [uniqStart, uniqEnd), [keysStart, keysEnd) the values of UNIQ_KEY and KEYS in `buf` (-1 when
   * absent).
   */
  indexParsed(buf: Uint8Array, phy: number, sysFlag: number, storeTimestamp: number, seed: number, uniqStart: number, uniqEnd: number, keysStart: number, keysEnd: number): void {
    if (this.failed || phy <= this.lastPhy) return;
    if (phy < (this.fd >= 0 ? this.h.endPhyOffset : this.prevEndPhy)) return;
    if (transactionType(sysFlag) === ROLLBACK) return;
    this.lastPhy = phy;
    try {
      if (uniqStart >= 0) this.putKey(indexHashFromHashCode(javaHashCodeUtf8(buf, uniqStart, uniqEnd, seed)), phy, storeTimestamp);
      if (keysStart >= 0) {
        let start = keysStart;
        for (let i = start; i <= keysEnd; i++) {
          if (i === keysEnd || buf[i] === SPACE) {
            if (i > start) this.putKey(indexHashFromHashCode(javaHashCodeUtf8(buf, start, i, seed)), phy, storeTimestamp);
            start = i + 1;
          }
        }
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** IndexFile.putKey with a precomputed key hash, into the staged entries of the newest file. */
  putKey(keyHash: number, phy: number, storeTimestamp: number): void {
    if (this.fd < 0 || this.h.indexCount >= this.indexNum) this.roll();
    const h = this.h;
    const count = h.indexCount;
    const slotOff = (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let slotValue = this.slotImage.readInt32BE(slotOff);
    if (slotValue <= 0 || slotValue > count) slotValue = 0;
    let timeDiff = Math.trunc((storeTimestamp - h.beginTimestamp) / 1000);
    if (h.beginTimestamp <= 0) timeDiff = 0;
    else if (timeDiff > 2147483647) timeDiff = 2147483647;
    else if (timeDiff < 0) timeDiff = 0;

    if (this.stageCount === 0) this.stageFirst = count;
    const p = this.stageCount * INDEX_ENTRY_SIZE;
    const stage = this.stage;
    writeInt(stage, p, keyHash);
    writeLong(stage, p + 4, phy);
    writeInt(stage, p + 12, timeDiff);
    writeInt(stage, p + 16, slotValue);
    this.stageCount++;
    this.slotImage.writeInt32BE(count, slotOff);
    this.dirtySlots[this.dirtyCount++] = slotOff / HASH_SLOT_SIZE;

    if (count <= 1) {
      h.beginPhyOffset = phy;
      h.beginTimestamp = storeTimestamp;
    }
    if (slotValue === 0) h.hashSlotCount++;
    h.indexCount = count + 1;
    h.endPhyOffset = phy;
    h.endTimestamp = storeTimestamp;
    if (this.stageCount === this.stageCap) this.writeStage();
  }

  /** Writes staged entries, then their slots, then the header (page cache). */
  flushStage(): void {
    if (this.stageCount === 0 || this.failed) return;
    try {
      this.writeStage();
    } catch (e) {
      this.fail(e);
    }
  }

  private writeStage(): void {
    if (this.stageCount === 0) return;
    const fd = this.fd;
    const slotsEnd = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
    pwriteFully(fd, this.stage, 0, this.stageCount * INDEX_ENTRY_SIZE, slotsEnd + this.stageFirst * INDEX_ENTRY_SIZE);
    const n = this.dirtyCount;
    const d = this.dirtySlots.subarray(0, n).sort();
    for (let i = 0; i < n; ) {
      const first = d[i];
      let last = first;
      let j = i + 1;
      while (j < n && d[j] - last <= SLOT_WRITE_GAP) last = d[j++];
      // The image holds only slots whose entries are already written, so extra bytes are harmless.
      pwriteFully(fd, this.slotImage, first * HASH_SLOT_SIZE, (last - first + 1) * HASH_SLOT_SIZE, INDEX_HEADER_SIZE + first * HASH_SLOT_SIZE);
      i = j;
    }
    this.writeHeader();
    this.stageCount = 0;
    this.dirtyCount = 0;
  }

  private writeHeader(): void {
    writeIndexHeader(this.headBuf, this.h);
    pwriteFully(this.fd, this.headBuf, 0, INDEX_HEADER_SIZE, 0);
    this.dirty = true;
  }

  /** Starts a new file after the full (or missing) one; its begin fields are the previous end. */
  private roll(): void {
    let endPhy = this.prevEndPhy;
    let endTs = this.prevEndTs;
    if (this.fd >= 0) {
      this.writeStage();
      fs.fdatasyncSync(this.fd);
      fs.closeSync(this.fd);
      this.log.info({ file: this.current, entries: this.h.indexCount - 1 }, 'IndexFile full; starting the next one');
      endPhy = this.h.endPhyOffset;
      endTs = this.h.endTimestamp;
      this.fd = -1;
      this.current = '';
    }
    const name = this.nextName();
    const file = path.join(this.dir, name);
    fs.mkdirSync(this.dir, { recursive: true });
    preallocate(file, this.fileSize);
    this.fd = fs.openSync(file, 'r+');
    this.current = name;
    this.slotImage.fill(0);
    const h = this.h;
    h.beginPhyOffset = h.endPhyOffset = endPhy > 0 ? endPhy : 0;
    h.beginTimestamp = h.endTimestamp = endTs > 0 ? endTs : 0;
    h.hashSlotCount = 0;
    h.indexCount = 1;
    this.writeHeader();
    this.prevEndPhy = h.endPhyOffset;
    this.prevEndTs = h.endTimestamp;
    this.published();
  }

  private nextName(): string {
    let name = indexFileName(new Date());
    if (name <= this.lastName) name = (BigInt(this.lastName) + 1n).toString().padStart(17, '0');
    this.lastName = name;
    return name;
  }

  private published(): void {
    if (!this.state) return;
    Atomics.add(this.state.seq, Seq.INDEX_FILES, 1);
  }

  private fail(e: unknown): void {
    this.failed = true;
    this.log.error({ err: e, file: this.current }, 'IndexFile write failed: message indexing stopped until restart');
  }

  /**
   * Writes what is staged and fdatasyncs the newest file. Returns the indexMsgTimestamp the
   * checkpoint may record: `dispatchedUpTo` (the store time of the last dispatched record, all of
   * whose keys are now on disk), or the last good value once writing failed.
   */
  flush(dispatchedUpTo: number): number {
    if (!this.failed) {
      try {
        this.writeStage();
        if (this.dirty && this.fd >= 0) fs.fdatasyncSync(this.fd);
        this.dirty = false;
        this.flushedUpTo = dispatchedUpTo;
      } catch (e) {
        this.fail(e);
      }
    }
    return this.flushedUpTo;
  }

  close(): void {
    this.flush(this.flushedUpTo);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.current = '';
  }
}
