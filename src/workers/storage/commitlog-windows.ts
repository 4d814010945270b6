import type { CommitLogReader } from './commitlog-files.js';

/** Bytes per window: one page, so that a window read costs little more than a record read. */
const WINDOW_BYTES = 4096;
/** Windows kept, direct-mapped by offset: 16 MiB of the CommitLog. */
const WINDOW_COUNT = 4096;
/** A run of records longer than this is read straight into the caller's buffer. */
const MAX_WINDOWED_BYTES = 4 * WINDOW_BYTES;

/**
 * Recently read stretches of the CommitLog, in page-sized windows aligned to the offset, for pulls
 * whose records lie apart. A consumer that reads a backlog of many queues asks, pull after pull,
 * for records that sit side by side in the CommitLog but belong to different queues (RocketMQ's
 * benchmark topic has 1,024): read one at a time, each costs a system call. A window holds the
 * records around one of them for the pulls of the neighbouring queues.
 *
 * Only bytes below the caller's `stableEnd` (the end of what the store writer has written) are
 * kept: they never change. A window at the tail holds what was there when it was read, and is
 * extended when a record past its end is asked for.
 */
export class CommitLogWindows {
  private buf: Buffer | null = null;
  /** Window number (offset / WINDOW_BYTES) each slot holds, -1 for none. */
  private readonly held = new Float64Array(WINDOW_COUNT).fill(-1);
  /** Absolute end of the valid bytes in each slot. */
  private readonly ends = new Float64Array(WINDOW_COUNT);

  constructor(private readonly reader: CommitLogReader) {}

  /**
   * Copies the CommitLog's [offset, offset + len) to `dst` at `dstAt`. Returns false, having
   * copied nothing that counts, when the run is too long for windows or lies (partly) at or past
   * `stableEnd`, or when a read comes back short: the caller then reads it itself.
   */
  copy(offset: number, len: number, dst: Buffer, dstAt: number, stableEnd: number): boolean {
    if (len > MAX_WINDOWED_BYTES || offset + len > stableEnd) return false;
    const buf = (this.buf ??= Buffer.allocUnsafe(WINDOW_BYTES * WINDOW_COUNT));
    const end = offset + len;
    let at = offset;
    while (at < end) {
      const w = Math.floor(at / WINDOW_BYTES);
      const slot = w % WINDOW_COUNT;
      const winStart = w * WINDOW_BYTES;
      const pieceEnd = Math.min(end, winStart + WINDOW_BYTES);
      if (this.held[slot] !== w || this.ends[slot] < pieceEnd) {
        this.fill(buf, slot, w, stableEnd);
        if (this.ends[slot] < pieceEnd) return false;
      }
      const base = slot * WINDOW_BYTES - winStart;
      buf.copy(dst, dstAt + (at - offset), base + at, base + pieceEnd);
      at = pieceEnd;
    }
    return true;
  }

  /** Reads window `w` into `slot`, or only its missing tail if the slot already holds it. */
  private fill(buf: Buffer, slot: number, w: number, stableEnd: number): void {
    const winStart = w * WINDOW_BYTES;
    let from = this.held[slot] === w ? this.ends[slot] : winStart;
    const to = Math.min(winStart + WINDOW_BYTES, stableEnd);
    this.held[slot] = w;
    this.ends[slot] = from;
    const base = slot * WINDOW_BYTES - winStart;
    while (from < to) {
      // A read stops at a CommitLog file's end; the next one goes on in the next file.
      const n = this.reader.read(from, buf, base + from, to - from);
      if (n <= 0) break;
      from += n;
      this.ends[slot] = from;
    }
  }
}
