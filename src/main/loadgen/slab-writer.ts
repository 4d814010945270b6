// Coalesces frames into large reusable buffers and writes each run with one socket write. A slab
// is reused only after every write that referenced it has completed (Node keeps a reference to
// the Buffer until then; it does not copy).

import type { Socket } from 'node:net';

class Slab {
  readonly buf: Buffer;
  /** writes handed to the socket and not yet completed */
  pending = 0;
  readonly onWritten: () => void;

  constructor(size: number, release: (s: Slab) => void) {
    this.buf = Buffer.allocUnsafe(size);
    this.onWritten = () => {
      if (--this.pending === 0) release(this);
    };
  }
}

export class SlabWriter {
  private cur: Slab;
  private start = 0;
  private pos = 0;
  private readonly free: Slab[] = [];
  private readonly release = (s: Slab) => {
    if (s !== this.cur) this.free.push(s);
  };
  /** socket writes issued (for tests and stats) */
  writes = 0;

  constructor(private readonly socket: Socket, private readonly slabSize: number) {
    this.cur = new Slab(slabSize, this.release);
  }

  /** Room for `len` bytes in `buffer` at the returned position; call commit(len) after writing. */
  reserve(len: number): number {
    if (this.start === this.pos && this.cur.pending === 0) this.start = this.pos = 0;
    if (this.pos + len > this.cur.buf.length) {
      const old = this.cur;
      this.flush();
      if (old.pending === 0) this.free.push(old);
      this.cur = this.free.pop() ?? new Slab(Math.max(this.slabSize, len), this.release);
      if (this.cur.buf.length < len) this.cur = new Slab(len, this.release);
      this.start = this.pos = 0;
    }
    return this.pos;
  }

  get buffer(): Buffer {
    return this.cur.buf;
  }

  commit(len: number): void {
    this.pos += len;
  }

  /** Writes everything committed since the last flush. */
  flush(): void {
    if (this.pos === this.start) return;
    const s = this.cur;
    s.pending++;
    this.writes++;
    this.socket.write(s.buf.subarray(this.start, this.pos), s.onWritten);
    this.start = this.pos;
  }
}
