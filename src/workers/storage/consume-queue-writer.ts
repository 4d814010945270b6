import fs from 'node:fs';
import path from 'node:path';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize, writeCqUnit } from '../../shared/storage/consumequeue.js';
import { listOffsetFiles, offsetFileName, preallocate } from './commitlog-files.js';
import { TAIL_UNITS, type CqTails } from '../../shared/cq-tails.js';

/**
 * Writes one ConsumeQueue (topic, queueId): 20-byte units at logical offset × 20, in files of
 * `fileSize` bytes named by their first byte offset. Writing a unit is idempotent, so records
 * re-dispatched after a crash just rewrite the same bytes.
 */
export class ConsumeQueueWriter {
  minOffset = 0;
  maxOffset = 0;
  /** CommitLog end of the last unit (phy + size). */
  maxPhyEnd = 0;
  private fd = -1;
  private fdFileStart = -1;
  /**
   * Units put since the last flushStage: [stageFirst, stageFirst + stageCount), all of them in
   * the queue's tail (`stagedInTail`) or all in `stage` (no tail, or units below the tail's
   * fileMax re-dispatched after a crash). A unit is written once, where readers find it too.
   */
  private stage: Buffer | null = null;
  private stageFirst = -1;
  private stageCount = 0;
  private stageLimit: number;
  private stagedInTail = false;
  /** Bytes written to the current file since its last fdatasync. */
  private unsyncedBytes = 0;
  /** The dispatcher's mark: units were put since it last published this queue's max offset. */
  touched = false;
  /**
   * With tails, units are published from shared memory and reach the file in batches (a full
   * stage, or `flushStage` before every ConsumeQueue flush); without, each dispatch pass writes them.
   */
  private tail = -1;

  constructor(readonly dir: string, readonly fileSize: number, readonly slot: number, private readonly tails: CqTails | null = null) {
    this.stageLimit = Math.min(fileSize, 4096 * CQ_UNIT_SIZE);
  }

  /** True when readers find the staged units in the tail: they need not be written yet. */
  get deferred(): boolean {
    return this.tail >= 0;
  }

  /**
   * Loads min/max from the files on disk, dropping units that point at or past `commitLogEnd`
   * (the CommitLog lost them) and units below `commitLogMin` (deleted by retention). Units are
   * written in order, so the valid ones form a prefix of each file: the end is found by binary
   * search, a few 20-byte reads per queue instead of a walk over every unit.
   */
  recover(commitLogEnd: number, commitLogMin: number): { dropped: number } {
    const files = listOffsetFiles(this.dir);
    let dropped = 0;
    if (files.length === 0) return { dropped };
    const unit = Buffer.allocUnsafe(CQ_UNIT_SIZE);
    const unitsPerFile = Math.floor(this.fileSize / CQ_UNIT_SIZE);
    const backed = (u: Buffer) => readCqSize(u, 0) > 0 && readCqPhyOffset(u, 0) + readCqSize(u, 0) <= commitLogEnd;
    // max: the end of the valid units of the newest file that has any
    let unitsInFirst = unitsPerFile;
    for (let i = files.length - 1; i >= 0; i--) {
      const fd = this.openForRecovery(files[i]);
      try {
        const valid = prefixEnd(fd, 0, unitsPerFile, unit, backed);
        if (valid > 0) {
          readUnit(fd, valid - 1, unit);
          this.maxPhyEnd = readCqPhyOffset(unit, 0) + readCqSize(unit, 0);
        }
        // Zero the units after them that the CommitLog no longer has.
        let q = valid;
        while (q < unitsPerFile && readUnit(fd, q, unit) && readCqSize(unit, 0) > 0) q++;
        if (q > valid) {
          dropped += q - valid;
          const zeros = Buffer.alloc((q - valid) * CQ_UNIT_SIZE);
          fs.writeSync(fd, zeros, 0, zeros.length, valid * CQ_UNIT_SIZE);
        }
        if (valid > 0 || i === 0) {
          this.maxOffset = files[i] / CQ_UNIT_SIZE + valid;
          if (i === 0) unitsInFirst = valid;
          break;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    // min: the first unit of the first file whose record the CommitLog still holds
    const fd = this.openForRecovery(files[0]);
    try {
      this.minOffset = files[0] / CQ_UNIT_SIZE + prefixEnd(fd, 0, unitsInFirst, unit, (u) => !(readCqSize(u, 0) > 0 && readCqPhyOffset(u, 0) >= commitLogMin));
    } finally {
      fs.closeSync(fd);
    }
    if (this.maxOffset < this.minOffset) this.minOffset = this.maxOffset;
    return { dropped };
  }

  /** Opens a file of this queue for reading units one by one (and zeroing lost ones). */
  private openForRecovery(start: number): number {
    return fs.openSync(path.join(this.dir, offsetFileName(start)), 'r+');
  }

  /** Stages the unit for logical offset `queueOffset`; units of one batch are written together. */
  put(queueOffset: number, phy: number, size: number, tagsCode: number): void {
    if (this.tails && this.tail < 0 && this.stageCount === 0) this.attachTail();
    // Units below fileMax (re-dispatched after a crash) are in the file: never in the tail, where
    // they would take the place of newer ones.
    const inTail = this.tail >= 0 && queueOffset >= this.tails!.fileMaxOf(this.tail);
    const contiguous = this.stageFirst >= 0 && queueOffset === this.stageFirst + this.stageCount;
    const sameFile = contiguous && Math.floor((queueOffset * CQ_UNIT_SIZE) / this.fileSize) === Math.floor((this.stageFirst * CQ_UNIT_SIZE) / this.fileSize);
    if (!sameFile || inTail !== this.stagedInTail || (this.stageCount + 1) * CQ_UNIT_SIZE > this.stageLimit) {
      this.flushStage();
      this.stageFirst = queueOffset;
      this.stagedInTail = inTail;
    }
    if (inTail) {
      this.tails!.put(this.tail, queueOffset, phy, size, tagsCode);
    } else {
      this.stage ??= Buffer.allocUnsafe(this.stageLimit);
      writeCqUnit(this.stage, this.stageCount * CQ_UNIT_SIZE, phy, size, tagsCode);
    }
    this.stageCount++;
    if (queueOffset + 1 > this.maxOffset) this.maxOffset = queueOffset + 1;
    if (phy + size > this.maxPhyEnd) this.maxPhyEnd = phy + size;
  }

  /** Writes staged units to the file (page cache). */
  flushStage(): void {
    if (this.stageCount === 0) return;
    const bytePos = this.stageFirst * CQ_UNIT_SIZE;
    const fileStart = bytePos - (bytePos % this.fileSize);
    const fd = this.fileFd(fileStart);
    // A full disk may show as a short write before the error: the stage is kept until all of it
    // is written, so a retry rewrites it whole (unit writes are idempotent).
    if (this.stagedInTail) {
      // Straight from the tail, whose fileMax moves only once all of them are written.
      for (let done = 0; done < this.stageCount; ) {
        const units = this.tails!.unitsAt(this.tail, this.stageFirst + done, this.stageCount - done);
        writeFully(fd, units, bytePos - fileStart + done * CQ_UNIT_SIZE);
        done += units.length / CQ_UNIT_SIZE;
      }
    } else {
      writeFully(fd, this.stage!.subarray(0, this.stageCount * CQ_UNIT_SIZE), bytePos - fileStart);
    }
    const len = this.stageCount * CQ_UNIT_SIZE;
    if (this.tail >= 0) this.tails!.written(this.tail, this.stageFirst + this.stageCount);
    this.stageCount = 0;
    this.stageFirst = -1;
    this.unsyncedBytes += len;
  }

  /** With nothing staged, every unit below maxOffset is in the file. */
  private attachTail(): void {
    this.tail = this.tails!.attach(this.slot, this.maxOffset);
    // Never more staged than the tail holds: units not in the file yet are only there.
    if (this.tail >= 0) this.stageLimit = Math.min(this.stageLimit, TAIL_UNITS * CQ_UNIT_SIZE);
  }

  private fileFd(fileStart: number): number {
    if (this.fdFileStart !== fileStart) {
      if (this.fd >= 0) {
        fs.fdatasyncSync(this.fd);
        fs.closeSync(this.fd);
        this.unsyncedBytes = 0;
      }
      fs.mkdirSync(this.dir, { recursive: true });
      const file = path.join(this.dir, offsetFileName(fileStart));
      preallocate(file, this.fileSize);
      this.fd = fs.openSync(file, 'r+');
      this.fdFileStart = fileStart;
    }
    return this.fd;
  }

  /**
   * Drops ConsumeQueue files whose units all point below `commitLogMin` (their messages were
   * deleted by retention) and moves minOffset to the first unit still backed by the CommitLog.
   */
  trimBelow(commitLogMin: number): void {
    const files = listOffsetFiles(this.dir);
    const unit = Buffer.allocUnsafe(CQ_UNIT_SIZE);
    for (let i = 0; i < files.length - 1; i++) {
      const fd = fs.openSync(path.join(this.dir, offsetFileName(files[i])), 'r');
      const n = fs.readSync(fd, unit, 0, CQ_UNIT_SIZE, this.fileSize - CQ_UNIT_SIZE);
      fs.closeSync(fd);
      if (n < CQ_UNIT_SIZE || readCqPhyOffset(unit, 0) + readCqSize(unit, 0) > commitLogMin) break;
      if (this.fdFileStart === files[i]) {
        fs.closeSync(this.fd);
        this.fd = -1;
        this.fdFileStart = -1;
      }
      fs.rmSync(path.join(this.dir, offsetFileName(files[i])), { force: true });
    }
    const first = listOffsetFiles(this.dir)[0];
    if (first === undefined) return;
    const fd = this.openForRecovery(first);
    let k = Math.max(0, (this.minOffset * CQ_UNIT_SIZE - first) / CQ_UNIT_SIZE);
    try {
      k = prefixEnd(fd, k, Math.floor(this.fileSize / CQ_UNIT_SIZE), unit, (u) => readCqSize(u, 0) > 0 && readCqPhyOffset(u, 0) < commitLogMin);
    } finally {
      fs.closeSync(fd);
    }
    this.minOffset = Math.min(this.maxOffset, Math.max(this.minOffset, first / CQ_UNIT_SIZE + k));
  }

  sync(): void {
    if (this.unsyncedBytes > 0 && this.fd >= 0) {
      fs.fdatasyncSync(this.fd);
      this.unsyncedBytes = 0;
    }
  }

  /**
   * Starts an fdatasync on the libuv pool, so the caller keeps dispatching; null if fewer than
   * `leastBytes` (at least 1) were written since the last one.
   */
  syncAsync(leastBytes = 1): Promise<void> | null {
    if (this.unsyncedBytes < Math.max(1, leastBytes) || this.fd < 0) return null;
    this.unsyncedBytes = 0;
    const fd = this.fd;
    return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e && e.code !== 'EBADF' ? reject(e) : resolve())));
  }

  close(): void {
    this.flushStage();
    this.sync();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.fdFileStart = -1;
  }
}

function writeFully(fd: number, src: Uint8Array, position: number): void {
  for (let done = 0; done < src.length; ) done += fs.writeSync(fd, src, done, src.length - done, position + done);
}

/** Reads unit `k` of an open ConsumeQueue file; false past the end of the file. */
function readUnit(fd: number, k: number, into: Buffer): boolean {
  return fs.readSync(fd, into, 0, CQ_UNIT_SIZE, k * CQ_UNIT_SIZE) === CQ_UNIT_SIZE;
}

/**
 * The first unit in [lo, hi) of an open file for which `holds` is false (or that is past the end
 * of the file), where `holds` is true on a prefix of the units: units are written in order.
 */
function prefixEnd(fd: number, lo: number, hi: number, into: Buffer, holds: (unit: Buffer) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (readUnit(fd, mid, into) && holds(into)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
