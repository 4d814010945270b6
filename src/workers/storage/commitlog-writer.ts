import fs from 'node:fs';
import path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { checkRecord, writeBlank, BLANK_MAGIC, END_FILE_MIN_BLANK_LENGTH, POS_SYSFLAG, posStoreTimestamp, MAGIC_V1, MAGIC_V2, POS_MAGIC } from '../../shared/storage/message.js';
import { readInt, readLong } from '../../shared/storage/longs.js';
import { listOffsetFiles, offsetFileName } from './commitlog-files.js';

// Larger than the largest record (maxMessageSize is capped at 15 MiB), so one read holds any record.
const SCAN_CHUNK = 16 * 1024 * 1024;
const ZERO_CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(ZERO_CHUNK);

export interface RecoveryOptions {
  /** Verify body CRCs (after an unclean stop). */
  verifyCrc: boolean;
  /** End offset recorded by a clean stop: trusted, nothing is scanned. */
  cleanEnd: number | null;
  /** After an unclean stop: walk from the newest file whose first record is older than this. */
  checkpointMinTimestamp: number;
  /**
   * After an unclean stop: the checkpoint's durable offset (-1: none). Records below it had
   * reached the disk, so the walk starts there when a record (or the zeroed end of data) does.
   */
  durableOffset?: number;
  onProgress?: (p: { file: string; scannedBytes: number; ms: number }) => void;
}

export interface RecoveryReport {
  /** Where valid data ends: the next record goes here. */
  end: number;
  /** Non-zero bytes after `end` that were zeroed (a torn or corrupt tail). */
  truncatedBytes: number;
  /** Files after the end's file that were removed (data past a corrupt record). */
  removedFiles: number;
  filesScanned: number;
  scannedBytes: number;
  /** Where the scan started; everything after it may lack ConsumeQueue units. */
  scanFrom: number;
  /** The scan started at the durable offset: everything before it is dispatched durably. */
  scanFromDurable: boolean;
  mode: 'clean' | 'normal' | 'abnormal' | 'empty';
}

/** Thrown when the next file is not ready because the disk refused it. */
export class AllocationError extends Error {}

/**
 * The single writer of the CommitLog. Records are staged in a write buffer for the current file
 * and written with one pwrite per batch; a record that does not fit in what is left of a file
 * closes it with the BLANK marker and starts the next one. The flusher thread allocates the next
 * file's blocks ahead of need, so appends never allocate: a full disk shows up as a next file that
 * cannot be prepared, never as a half-written record.
 */
export class CommitLogWriter {
  private fd = -1;
  private fileStart = 0;
  /** Absolute offset where the next record will be staged. */
  private pos = 0;
  /** Absolute offset of buffer[0]; the buffer holds [bufStart, pos). */
  private bufStart = 0;
  readonly buffer: Buffer;
  constructor(
    private readonly dir: string,
    readonly fileSize: number,
    bufferSize: number,
    /** Waits (bounded) until the flusher allocated the file at `start`; a problem text if it could not. */
    private readonly awaitNextFile: (start: number) => string | null,
    /**
     * fdatasync a file when rolling past it. Off under SYNC_FLUSH: the group commit syncs every
     * file of its range by name (CommitLogSyncer), and a sync here would stall appends.
     */
    private readonly syncOnRoll = true,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferSize);
    fs.mkdirSync(dir, { recursive: true });
  }

  get writePosition(): number {
    return this.pos;
  }

  get minOffset(): number {
    const files = listOffsetFiles(this.dir);
    return files.length ? files[0] : 0;
  }

  recover(o: RecoveryOptions): RecoveryReport {
    const files = listOffsetFiles(this.dir);
    const report: RecoveryReport = { end: 0, truncatedBytes: 0, removedFiles: 0, filesScanned: 0, scannedBytes: 0, scanFrom: 0, scanFromDurable: false, mode: 'empty' };
    if (files.length > 0 && o.cleanEnd !== null && o.cleanEnd >= files[0] && o.cleanEnd <= files[files.length - 1] + this.fileSize && !this.recordAt(o.cleanEnd)) {
      report.mode = 'clean';
      report.end = o.cleanEnd;
    } else if (files.length > 0) {
      const scratch = Buffer.allocUnsafe(SCAN_CHUNK);
      let i: number;
      let from = -1;
      if (o.verifyCrc) {
        report.mode = 'abnormal';
        const durable = o.durableOffset ?? -1;
        i = files.indexOf(durable - (durable % this.fileSize));
        if (durable >= 0 && i >= 0 && this.walkableFrom(durable, scratch)) {
          from = durable;
          report.scanFromDurable = true;
        } else {
          // RocketMQ's rule: the newest file whose first record was stored before the checkpoint.
          i = files.length - 1;
          while (i > 0 && !(this.firstStoreTime(files[i], scratch) > 0 && this.firstStoreTime(files[i], scratch) <= o.checkpointMinTimestamp)) i--;
        }
      } else {
        report.mode = 'normal';
        // The newest file holding data (the next file is preallocated and empty); then the last 3.
        i = files.length - 1;
        while (i > 0 && this.firstStoreTime(files[i], scratch) === 0) i--;
        i = Math.max(0, i - 2);
      }
      report.scanFrom = from >= 0 ? from : files[i];
      for (; i < files.length; i++) {
        const t0 = Date.now();
        const skip = from > files[i] ? from - files[i] : 0;
        const r = this.scanFile(files[i], scratch, o.verifyCrc, skip);
        report.filesScanned++;
        report.scannedBytes += r.end - files[i] - skip;
        o.onProgress?.({ file: offsetFileName(files[i]), scannedBytes: r.end - files[i] - skip, ms: Date.now() - t0 });
        report.end = r.end;
        report.truncatedBytes = r.garbage;
        if (r.end < files[i] + this.fileSize) break; // data ends inside this file
      }
      if (report.truncatedBytes > 0) this.zeroTail(report.end, report.truncatedBytes);
      // Data past a corrupt record cannot be trusted: drop the files after the end's file.
      const endFile = report.end - (report.end % this.fileSize);
      for (const f of files) {
        if (f > endFile + this.fileSize || (f === endFile + this.fileSize && this.firstStoreTime(f, scratch) !== 0)) {
          fs.rmSync(path.join(this.dir, offsetFileName(f)), { force: true });
          report.removedFiles++;
        }
      }
    }
    this.openAt(report.end);
    return report;
  }

  /**
   * True when a valid record starts at `offset`: the clean-stop end is only a hint, since another
   * broker (Apache RocketMQ on the same store) may have appended after Ferry stopped.
   */
  private recordAt(offset: number): boolean {
    const head = Buffer.allocUnsafe(8);
    if (this.readAt(offset, head, 8) < 8) return false;
    const magic = readInt(head, POS_MAGIC);
    return magic === MAGIC_V1 || magic === MAGIC_V2 || (magic === BLANK_MAGIC && offset % this.fileSize > 0);
  }

  /** A record starts at `offset`, or the data ends there (zeros follow). */
  private walkableFrom(offset: number, scratch: Buffer): boolean {
    if (this.recordAt(offset)) return true;
    const want = Math.min(4096, this.fileSize - (offset % this.fileSize));
    const n = this.readAt(offset, scratch, want);
    if (n < want) return false; // a file shorter than the offset: not what a crash leaves
    return lastNonZero(scratch, n) < 0;
  }

  /** Reads up to `len` bytes at absolute `offset` from the file holding it; -1 if there is no such file. */
  private readAt(offset: number, into: Buffer, len: number): number {
    const start = offset - (offset % this.fileSize);
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.dir, offsetFileName(start)), 'r');
    } catch {
      return -1;
    }
    try {
      return fs.readSync(fd, into, 0, len, offset - start);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Store timestamp of the first record of a file; 0 if it has none. */
  private firstStoreTime(start: number, scratch: Buffer): number {
    if (this.readAt(start, scratch, 96) < 96) return 0;
    const magic = readInt(scratch, POS_MAGIC);
    if (magic !== MAGIC_V1 && magic !== MAGIC_V2) return 0;
    return readLong(scratch, posStoreTimestamp(readInt(scratch, POS_SYSFLAG)));
  }

  /** Walks one file from `from`; returns where valid records end and how many non-zero bytes follow. */
  private scanFile(start: number, scratch: Buffer, verifyCrc: boolean, from = 0): { end: number; garbage: number } {
    const fd = fs.openSync(path.join(this.dir, offsetFileName(start)), 'r');
    try {
      const size = Math.min(fs.fstatSync(fd).size, this.fileSize);
      let filePos = from;
      for (;;) {
        const n = fs.readSync(fd, scratch, 0, Math.min(SCAN_CHUNK, size - filePos), filePos);
        let p = 0;
        while (p < n) {
          const len = checkRecord(scratch, p, n - p, verifyCrc);
          if (len > 0) {
            p += len;
            continue;
          }
          if (len === 0) return { end: start + this.fileSize, garbage: 0 }; // BLANK: file complete
          // Incomplete in this chunk but maybe whole in the next read?
          if (p > 0 && n === SCAN_CHUNK && filePos + p < size) break;
          const validEnd = filePos + p;
          return { end: start + validEnd, garbage: countNonZero(fd, scratch, validEnd, size) };
        }
        filePos += p;
        if (n === 0 || filePos >= size) return { end: start + filePos, garbage: 0 };
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private zeroTail(end: number, bytes: number): void {
    const fd = fs.openSync(path.join(this.dir, offsetFileName(end - (end % this.fileSize))), 'r+');
    try {
      for (let done = 0; done < bytes; done += ZERO_CHUNK) fs.writeSync(fd, ZEROS, 0, Math.min(ZERO_CHUNK, bytes - done), (end % this.fileSize) + done);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private openAt(offset: number): void {
    if (this.fd >= 0) {
      if (this.syncOnRoll) fs.fdatasyncSync(this.fd);
      fs.closeSync(this.fd);
    }
    this.fileStart = offset - (offset % this.fileSize);
    const file = path.join(this.dir, offsetFileName(this.fileStart));
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    // Only a brand-new store's first file is created here, sparse, so start-up is instant; every
    // later file was allocated ahead of need by the flusher thread.
    if (fs.fstatSync(this.fd).size < this.fileSize) fs.ftruncateSync(this.fd, this.fileSize);
    this.pos = offset;
    this.bufStart = offset;
  }

  /** Start offset of the file after the current one (the one the flusher prepares). */
  get nextFileStart(): number {
    return this.fileStart + this.fileSize;
  }

  /**
   * Where a chunk of `len` bytes (one record or a whole batch: batches never straddle files)
   * will be staged. Rolls to the next file when it does not fit (preparing whatever of it is not
   * ready yet; AllocationError when the disk refuses). Returns the index in `buffer`; the chunk's
   * absolute offset is `writePosition` before `advance(len)`.
   */
  stage(len: number): number {
    if (this.pos - this.fileStart + len + END_FILE_MIN_BLANK_LENGTH > this.fileSize) {
      const problem = this.awaitNextFile(this.nextFileStart);
      if (problem) throw new AllocationError(`cannot allocate the next CommitLog file: ${problem}`);
      const remaining = this.fileSize - (this.pos - this.fileStart);
      this.ensureBuffer(END_FILE_MIN_BLANK_LENGTH);
      writeBlank(this.buffer, this.pos - this.bufStart, remaining);
      this.pos += END_FILE_MIN_BLANK_LENGTH;
      this.write();
      this.openAt(this.fileStart + this.fileSize);
    }
    this.ensureBuffer(len);
    return this.pos - this.bufStart;
  }

  advance(len: number): void {
    this.pos += len;
  }

  /** Drops what was staged since `offset` (a refused batch). */
  rewind(offset: number): void {
    if (offset >= this.bufStart) this.pos = offset;
  }

  private ensureBuffer(len: number): void {
    if (this.pos - this.bufStart + len > this.buffer.length) this.write();
    if (len > this.buffer.length) throw new RangeError(`chunk of ${len} bytes exceeds the write buffer`);
  }

  /** Writes the staged bytes to the file (page cache). Throws on I/O errors. */
  write(): void {
    const len = this.pos - this.bufStart;
    if (len === 0) return;
    let done = 0;
    while (done < len) done += fs.writeSync(this.fd, this.buffer, done, len - done, this.bufStart - this.fileStart + done);
    this.bufStart = this.pos;
  }

  close(): void {
    if (this.fd >= 0) {
      this.write();
      fs.fdatasyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/**
 * fdatasync of CommitLog byte ranges by file name, apart from the writer's descriptors, so a
 * flush can run on the libuv pool while the writer keeps appending (and rolling to new files).
 * One flush at a time; the current file's handle is kept open between flushes.
 */
export class CommitLogSyncer {
  private handle: FileHandle | null = null;
  private handleStart = -1;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly fileSize: number,
  ) {}

  /** Every file holding bytes of [from, to) reaches the disk. Rejects on I/O errors. */
  async sync(from: number, to: number): Promise<void> {
    for (let start = from - (from % this.fileSize); start < to && !this.closed; start += this.fileSize) {
      const fh = await this.open(start);
      if (fh) await fh.datasync();
    }
  }

  /** The same, blocking (at a clean stop). */
  syncNow(from: number, to: number): void {
    for (let start = from - (from % this.fileSize); start < to; start += this.fileSize) {
      let fd: number;
      try {
        fd = fs.openSync(path.join(this.dir, offsetFileName(start)), 'r+');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by retention meanwhile
        throw e;
      }
      try {
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  /** Closes the kept handle (after any operation still running on it). */
  async close(): Promise<void> {
    this.closed = true;
    const h = this.handle;
    this.handle = null;
    if (h) await h.close();
  }

  private async open(start: number): Promise<FileHandle | null> {
    if (this.handleStart === start && this.handle) return this.handle;
    const old = this.handle;
    this.handle = null;
    this.handleStart = -1;
    if (old) await old.close();
    try {
      this.handle = await fs.promises.open(path.join(this.dir, offsetFileName(start)), 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // deleted by retention meanwhile
      throw e;
    }
    if (this.closed) {
      await this.handle.close();
      this.handle = null;
      return null;
    }
    this.handleStart = start;
    return this.handle;
  }
}

function countNonZero(fd: number, scratch: Buffer, from: number, size: number): number {
  let last = -1;
  for (let p = from; p < size; ) {
    const n = fs.readSync(fd, scratch, 0, Math.min(scratch.length, size - p), p);
    if (n <= 0) break;
    const lastInChunk = lastNonZero(scratch, n);
    if (lastInChunk >= 0) last = p + lastInChunk;
    const zeroRun = lastInChunk < 0;
    // A whole zero chunk after data means the rest of a preallocated file is untouched.
    if (zeroRun && last >= 0) break;
    p += n;
    if (zeroRun && p - from >= 2 * scratch.length) break;
  }
  return last < 0 ? 0 : last + 1 - from;
}

/** Index of the last non-zero byte of buf[0, n), or -1; zero stretches are compared with memcmp. */
function lastNonZero(buf: Buffer, n: number): number {
  for (let end = n; end > 0; ) {
    const start = Math.max(0, end - ZERO_CHUNK);
    if (buf.compare(ZEROS, 0, end - start, start, end) !== 0) {
      for (let i = end - 1; i >= start; i--) if (buf[i] !== 0) return i;
    }
    end = start;
  }
  return -1;
}
