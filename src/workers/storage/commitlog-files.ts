import fs from 'node:fs';
import path from 'node:path';

/** 20-digit zero-padded decimal offset: CommitLog and ConsumeQueue file names. */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Start offsets of the files in a CommitLog or ConsumeQueue directory, ascending. */
export function listOffsetFiles(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^\d{20}$/.test(n)).map(Number).sort((a, b) => a - b);
}

/** Creates a file of `size` bytes (sparse) unless it exists. */
export function preallocate(file: string, size: number): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    fs.ftruncateSync(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Read-only access to CommitLog bytes by absolute offset, with cached file descriptors.
 * Used by network workers (pulls), the dispatcher and the acceptor's store view.
 */
export class CommitLogReader {
  private readonly fds = new Map<number, number>();

  constructor(private readonly dir: string, readonly fileSize: number) {}

  /** Reads up to `len` bytes at `offset` (never across a file end); returns bytes read. */
  read(offset: number, dst: Uint8Array, dstOffset: number, len: number): number {
    const start = offset - (offset % this.fileSize);
    const fd = this.fd(start);
    if (fd < 0) return 0;
    const n = Math.min(len, this.fileSize - (offset - start));
    return fs.readSync(fd, dst, dstOffset, n, offset - start);
  }

  private fd(start: number): number {
    let fd = this.fds.get(start);
    if (fd === undefined) {
      try {
        fd = fs.openSync(path.join(this.dir, offsetFileName(start)), 'r');
      } catch {
        return -1;
      }
      this.fds.set(start, fd);
    }
    return fd;
  }

  /** Forget files below `minOffset` (deleted by retention). */
  forgetBelow(minOffset: number): void {
    for (const [start, fd] of this.fds) {
      if (start + this.fileSize <= minOffset) {
        fs.closeSync(fd);
        this.fds.delete(start);
      }
    }
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}
