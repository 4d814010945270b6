import { FRAME_MAX_LENGTH } from '../codes.js';
import { FrameError } from './errors.js';

/** A straddling frame's buffer starts this small and doubles as its bytes arrive. */
const PARTIAL_START = 64 * 1024;

/**
 * Splits a TCP byte stream into frames (each without its 4-byte length prefix). A frame that lies
 * whole in a chunk is handed on as a view of it. Only a frame that straddles chunks is copied,
 * and only its own bytes: joining the rest of a chunk to the next whole chunk copied every byte
 * read again under a flood of sends. A straddling frame holds memory for the bytes that came, not
 * for the length it announces.
 */
export class FrameDecoder {
  /** The length prefix read so far, when a chunk ended inside it. */
  private readonly head = Buffer.alloc(4);
  private headLen = 0;
  /** The straddling frame: its bytes so far, how many, and its length. */
  private partial: Buffer | null = null;
  private filled = 0;
  private partialLength = 0;

  constructor(private readonly maxFrame = FRAME_MAX_LENGTH) {}

  /** Calls onFrame for every frame completed by `chunk`; throws FrameError on a bad length. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    const n = chunk.length;
    let p = 0;
    if (this.partial !== null) {
      p = this.append(chunk, 0);
      if (this.filled < this.partialLength) return;
      const frame = this.partial; // grown to the frame's length exactly, never past it
      this.partial = null;
      onFrame(frame);
    } else if (this.headLen > 0) {
      p = Math.min(4 - this.headLen, n);
      chunk.copy(this.head, this.headLen, 0, p);
      this.headLen += p;
      if (this.headLen < 4) return;
      this.headLen = 0;
      p = this.frameAt(chunk, p, this.checkedLength(this.head.readInt32BE(0)), onFrame);
    }
    while (n - p >= 4) p = this.frameAt(chunk, p + 4, this.checkedLength(chunk.readInt32BE(p)), onFrame);
    if (p < n) {
      chunk.copy(this.head, 0, p, n);
      this.headLen = n - p;
    }
  }

  /** Bytes of an unfinished frame held between chunks. */
  get buffered(): number {
    return this.partial !== null ? 4 + this.filled : this.headLen;
  }

  /**
   * The frame of `len` bytes starting at `at`: handed on if the chunk holds all of it, else what
   * the chunk holds is kept for the next chunks to complete. Returns where the frame ends in
   * `chunk`, or the chunk's end.
   */
  private frameAt(chunk: Buffer, at: number, len: number, onFrame: (frame: Buffer) => void): number {
    if (chunk.length - at >= len) {
      onFrame(chunk.subarray(at, at + len));
      return at + len;
    }
    this.partial = Buffer.allocUnsafe(Math.min(len, PARTIAL_START));
    this.partialLength = len;
    this.filled = 0;
    return this.append(chunk, at);
  }

  /** Adds what `chunk` holds of the straddling frame from `at` on; returns where that ends. */
  private append(chunk: Buffer, at: number): number {
    const end = at + Math.min(this.partialLength - this.filled, chunk.length - at);
    const need = this.filled + (end - at);
    let buf = this.partial as Buffer;
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.partialLength, Math.max(need, buf.length * 2)));
      buf.copy(bigger, 0, 0, this.filled);
      this.partial = buf = bigger;
    }
    chunk.copy(buf, this.filled, at, end);
    this.filled = need;
    return end;
  }

  private checkedLength(len: number): number {
    if (len < 4 || len > this.maxFrame) throw new FrameError(`frame length ${len} is outside 4..${this.maxFrame}`);
    return len;
  }
}
