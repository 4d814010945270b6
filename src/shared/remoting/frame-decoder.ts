import { FRAME_MAX_LENGTH } from '../codes.js';
import { FrameError } from './errors.js';

/**
 * Splits a TCP byte stream into frames (each without its 4-byte length prefix).
 * Bytes are copied only when a frame straddles chunks.
 */
export class FrameDecoder {
  private pending: Buffer | null = null;

  constructor(private readonly maxFrame = FRAME_MAX_LENGTH) {}

  /** Calls onFrame for every complete frame in `chunk`; throws FrameError on a bad length. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let p = 0;
    while (buf.length - p >= 4) {
      const len = buf.readInt32BE(p);
      if (len < 4 || len > this.maxFrame) throw new FrameError(`frame length ${len} is outside 4..${this.maxFrame}`);
      if (buf.length - p - 4 < len) break;
      onFrame(buf.subarray(p + 4, p + 4 + len));
      p += 4 + len;
    }
    if (p < buf.length) this.pending = Buffer.from(buf.subarray(p));
  }

  get buffered(): number {
    return this.pending ? this.pending.length : 0;
  }
}
