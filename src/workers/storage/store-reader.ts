import fs from 'node:fs';
import path from 'node:path';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize } from '../../shared/storage/consumequeue.js';
import { readInt, readLong } from '../../shared/storage/longs.js';
import { posStoreTimestamp, POS_SYSFLAG } from '../../shared/storage/message.js';
import { CommitLogReader, offsetFileName } from './commitlog-files.js';
import { Seq, type SharedState } from '../../shared/shared-state.js';

/**
 * Reads ConsumeQueue units and CommitLog records (page-cache reads through cached file
 * descriptors). Any thread may own one; only up to the offsets published in SharedState is
 * ever read, so the bytes are complete.
 */
export class StoreReader {
  readonly commitLog: CommitLogReader;
  private readonly cqFds = new Map<string, number>();
  /**
   * The descriptor a queue slot read last, and the file it is of: a backlog read pulls one queue
   * after another, and building the file's path for each pull was a string or three of garbage.
   * Emptied whenever descriptors in cqFds are closed.
   */
  private readonly cqFdBySlot: ({ fileStart: number; fd: number } | undefined)[] = [];
  private readonly one = Buffer.allocUnsafe(CQ_UNIT_SIZE);
  private readonly head = Buffer.allocUnsafe(128);

  private retentionSeen = 0;

  constructor(private readonly rootDir: string, commitLogDir: string, commitLogFileSize: number, readonly cqFileSize: number, private readonly state?: SharedState) {
    this.commitLog = new CommitLogReader(commitLogDir, commitLogFileSize);
  }

  /** After retention deleted files, close every cached descriptor (reopened on demand) so the space is freed. */
  private checkRetention(): void {
    if (!this.state) return;
    const seen = Atomics.load(this.state.seq, Seq.RETENTION);
    if (seen === this.retentionSeen) return;
    this.retentionSeen = seen;
    this.closeCqFds();
    this.commitLog.close();
  }

  private closeCqFds(): void {
    for (const fd of this.cqFds.values()) fs.closeSync(fd);
    this.cqFds.clear();
    this.cqFdBySlot.length = 0;
  }

  cqDir(topic: string, queueId: number): string {
    return path.join(this.rootDir, 'consumequeue', topic, String(queueId));
  }

  /**
   * The queue slot of (topic, queueId), or -1. Units of the newest offsets may only be in the
   * ConsumeQueue tails in shared memory (cq-tails.ts), found by slot; a reader without slots
   * reads files only, which is enough for the queues whose units are written at once.
   */
  slotOf: (topic: string, queueId: number) => number = () => -1;

  /**
   * Reads up to `count` units starting at logical `offset` into dst (stops at a file end).
   * Callers ask only for units below the queue's published max offset.
   */
  readCqUnits(topic: string, queueId: number, offset: number, count: number, dst: Uint8Array, slot = this.slotOf(topic, queueId)): number {
    count = Math.min(count, Math.floor(dst.length / CQ_UNIT_SIZE));
    if (slot >= 0 && this.state) {
      const tails = this.state.tails;
      for (let attempt = 0; ; attempt++) {
        const fileLimit = tails.fileLimit(slot);
        if (offset < fileLimit) {
          count = Math.min(count, fileLimit - offset);
          break;
        }
        const n = tails.copy(slot, offset, Math.max(0, Math.min(count, this.state.maxOffset(slot) - offset)), dst);
        if (n >= 0) return n;
        // The dispatcher wrote the tail to the file meanwhile: look again (it does so once per
        // TAIL_UNITS units at most, so this ends at once).
        if (attempt > 1000) return 0;
      }
    }
    return this.readCqFile(topic, queueId, offset, count, dst, slot);
  }

  private readCqFile(topic: string, queueId: number, offset: number, count: number, dst: Uint8Array, slot: number): number {
    this.checkRetention();
    const bytePos = offset * CQ_UNIT_SIZE;
    const fileStart = bytePos - (bytePos % this.cqFileSize);
    const last = slot >= 0 ? this.cqFdBySlot[slot] : undefined;
    let fd: number;
    if (last !== undefined && last.fileStart === fileStart) {
      fd = last.fd;
    } else {
      fd = this.cqFd(topic, queueId, fileStart);
      if (fd < 0) return 0;
      if (slot >= 0) this.cqFdBySlot[slot] = { fileStart, fd };
    }
    const want = Math.min(count * CQ_UNIT_SIZE, this.cqFileSize - (bytePos - fileStart), dst.length - (dst.length % CQ_UNIT_SIZE));
    const n = fs.readSync(fd, dst, 0, want, bytePos - fileStart);
    return Math.floor(n / CQ_UNIT_SIZE);
  }

  private cqFd(topic: string, queueId: number, fileStart: number): number {
    const file = path.join(this.cqDir(topic, queueId), offsetFileName(fileStart));
    let fd = this.cqFds.get(file);
    if (fd === undefined) {
      try {
        fd = fs.openSync(file, 'r');
      } catch {
        return -1;
      }
      this.cqFds.set(file, fd);
    }
    return fd;
  }

  /** Store timestamp of the message at a logical offset, 0 if it cannot be read. */
  storeTimeAt(topic: string, queueId: number, offset: number): number {
    if (this.readCqUnits(topic, queueId, offset, 1, this.one) !== 1) return 0;
    return this.storeTimeOfRecord(readCqPhyOffset(this.one, 0));
  }

  storeTimeOfRecord(phy: number): number {
    if (this.commitLog.read(phy, this.head, 0, 72) < 72) return 0;
    return readLong(this.head, posStoreTimestamp(readInt(this.head, POS_SYSFLAG)));
  }

  /** The whole stored record at `phy` (its size read from the record), or null. */
  readRecord(phy: number): Buffer | null {
    if (this.commitLog.read(phy, this.head, 0, 8) < 8) return null;
    const size = readInt(this.head, 0);
    if (size <= 0 || size > 64 * 1024 * 1024) return null;
    const out = Buffer.allocUnsafe(size);
    return this.commitLog.read(phy, out, 0, size) === size ? out : null;
  }

  /** Size of the record referenced by a CQ unit, for reading a message by logical offset. */
  cqUnit(topic: string, queueId: number, offset: number): { phy: number; size: number } | null {
    if (this.readCqUnits(topic, queueId, offset, 1, this.one) !== 1) return null;
    return { phy: readCqPhyOffset(this.one, 0), size: readCqSize(this.one, 0) };
  }

  /**
   * RocketMQ 4.9 semantics: binary search by store time over [min, max); an exact match wins,
   * otherwise the nearest neighbour; max when the time is past the last message, min when before.
   */
  searchOffsetByTimestamp(topic: string, queueId: number, timestamp: number, min: number, max: number): number {
    if (max <= min) return min;
    let lo = min;
    let hi = max - 1;
    const tLo = this.storeTimeAt(topic, queueId, lo);
    const tHi = this.storeTimeAt(topic, queueId, hi);
    if (timestamp < tLo) return lo;
    if (timestamp > tHi) return max;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.storeTimeAt(topic, queueId, mid) < timestamp) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Forget descriptors of a deleted topic. */
  forgetTopic(topic: string): void {
    const prefix = path.join(this.rootDir, 'consumequeue', topic) + path.sep;
    for (const [file, fd] of this.cqFds) {
      if (file.startsWith(prefix)) {
        fs.closeSync(fd);
        this.cqFds.delete(file);
      }
    }
    this.cqFdBySlot.length = 0;
  }

  close(): void {
    this.closeCqFds();
    this.commitLog.close();
  }
}
