import fs from 'node:fs';
import path from 'node:path';
import { checkRecord, writeBlank, END_FILE_MIN_BLANK_LENGTH } from '../../shared/store/message.js';
import { listOffsetFiles, offsetFileName, preallocate } from './commitlog-files.js';

// Larger than the largest record (maxMessageSize is capped at 15 MiB), so one read holds any record.
const SCAN_CHUNK = 16 * 1024 * 1024;

export interface RecoveryReport {
  /** Where valid data ends: the next record goes here. */
  end: number;
  /** Bytes after `end` in the last file that were not zero and have been zeroed. */
  truncatedBytes: number;
  filesScanned: number;
}

/**
 * The single writer of the CommitLog. Records are staged in a write buffer for the current
 * file and written with one pwrite per batch; a record that does not fit in what is left of a
 * file closes it with the BLANK marker and starts the next one, which is kept preallocated.
 */
export class CommitLogWriter {
  private fd = -1;
  private fileStart = 0;
  /** Absolute offset where the next record will be staged. */
  private pos = 0;
  /** Absolute offset of buffer[0]; the buffer holds [bufStart, pos). */
  private bufStart = 0;
  readonly buffer: Buffer;

  constructor(private readonly dir: string, readonly fileSize: number, bufferSize: number) {
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

  /**
   * Finds the end of valid data by walking the newest files record by record, truncates a torn
   * or corrupt tail (zeroing it), and opens the file to append to.
   */
  recover(verifyCrc: boolean): RecoveryReport {
    const files = listOffsetFiles(this.dir);
    let filesScanned = 0;
    let end = 0;
    let truncatedBytes = 0;
    if (files.length > 0) {
      // Start from the newest file that holds data (a preallocated next file may be empty).
      let i = files.length - 1;
      const scratch = Buffer.allocUnsafe(SCAN_CHUNK);
      for (;;) {
        filesScanned++;
        const r = this.scanFile(files[i], scratch, verifyCrc);
        end = r.end;
        truncatedBytes = r.garbage;
        if (r.end > files[i] || i === 0) break;
        i--;
      }
      if (truncatedBytes > 0) this.zeroTail(end, truncatedBytes);
    }
    this.openAt(end);
    return { end, truncatedBytes, filesScanned };
  }

  /** Walks one file; returns where valid records end and how many non-zero bytes follow. */
  private scanFile(start: number, scratch: Buffer, verifyCrc: boolean): { end: number; garbage: number } {
    const fd = fs.openSync(path.join(this.dir, offsetFileName(start)), 'r');
    try {
      const size = Math.min(fs.fstatSync(fd).size, this.fileSize);
      let filePos = 0;
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
      const zeros = Buffer.alloc(Math.min(bytes, SCAN_CHUNK));
      for (let done = 0; done < bytes; done += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - done), (end % this.fileSize) + done);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private openAt(offset: number): void {
    if (this.fd >= 0) {
      fs.fdatasyncSync(this.fd);
      fs.closeSync(this.fd);
    }
    this.fileStart = offset - (offset % this.fileSize);
    const file = path.join(this.dir, offsetFileName(this.fileStart));
    preallocate(file, this.fileSize);
    this.fd = fs.openSync(file, 'r+');
    this.pos = offset;
    this.bufStart = offset;
    preallocate(path.join(this.dir, offsetFileName(this.fileStart + this.fileSize)), this.fileSize);
  }

  /**
   * Where a chunk of `len` bytes (one record or a whole batch: batches never straddle files)
   * will be staged. Rolls to the next file when it does not fit. Returns the index in `buffer`;
   * the chunk's absolute offset is `writePosition` before `advance(len)`.
   */
  stage(len: number): number {
    if (this.pos - this.fileStart + len + END_FILE_MIN_BLANK_LENGTH > this.fileSize) {
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

  /** Drops what was staged since `offset` (a failed batch). */
  rewind(offset: number): void {
    if (offset >= this.bufStart) this.pos = offset;
  }

  private ensureBuffer(len: number): void {
    if (this.pos - this.bufStart + len > this.buffer.length) this.write();
    if (len > this.buffer.length) throw new RangeError(`chunk of ${len} bytes exceeds the write buffer`);
  }

  /** Writes the staged bytes to the file (page cache). Throws on I/O errors (e.g. ENOSPC). */
  write(): void {
    const len = this.pos - this.bufStart;
    if (len === 0) return;
    let done = 0;
    while (done < len) done += fs.writeSync(this.fd, this.buffer, done, len - done, this.bufStart - this.fileStart + done);
    this.bufStart = this.pos;
  }

  /** fdatasync of the current file (earlier files were synced when they were closed). */
  sync(): void {
    fs.fdatasyncSync(this.fd);
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

function countNonZero(fd: number, scratch: Buffer, from: number, size: number): number {
  let last = -1;
  for (let p = from; p < size; ) {
    const n = fs.readSync(fd, scratch, 0, Math.min(scratch.length, size - p), p);
    if (n <= 0) break;
    let zeroRun = true;
    for (let i = n - 1; i >= 0; i--) {
      if (scratch[i] !== 0) {
        last = p + i;
        zeroRun = false;
        break;
      }
    }
    // A whole zero chunk after data means the rest of a preallocated file is untouched.
    if (zeroRun && last >= 0) break;
    p += n;
    if (zeroRun && p - from >= 2 * scratch.length) break;
  }
  return last < 0 ? 0 : last + 1 - from;
}
