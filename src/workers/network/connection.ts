import type net from 'node:net';
import { encodeCommand, type RemotingCommand } from '../../shared/remoting/command.js';
import { FrameDecoder } from '../../shared/remoting/frame-decoder.js';
import { parseIp } from '../../shared/storage/ip.js';

const MAX_WRITE_BACKLOG = 64 * 1024 * 1024;
const INITIAL_OUTPUT = 16 * 1024;
const MAX_KEPT_OUTPUT = 1024 * 1024;
/** Frames this large are not copied into the tick's output. */
const DIRECT_WRITE_BYTES = 64 * 1024;

/**
 * One client connection owned by a network worker: frames in, responses out. Responses written
 * in the same tick go to the socket in one write.
 */
export class Connection {
  readonly decoder = new FrameDecoder();
  readonly remoteAddr: string;
  readonly remoteIp: Buffer;
  readonly remotePort: number;
  private out = Buffer.allocUnsafe(INITIAL_OUTPUT);
  private outLen = 0;
  private flushScheduled = false;
  closed = false;
  /** Requests read from this connection that still await their response. */
  private pending = 0;
  private pausedForPending = false;
  private pausedForBacklog = false;
  /** Set by the worker: reading is also paused while the ring is full. */
  ringPaused = false;

  constructor(readonly id: number, readonly socket: net.Socket) {
    const ip = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, '');
    this.remotePort = socket.remotePort ?? 0;
    this.remoteAddr = `${ip}:${this.remotePort}`;
    let bytes: Buffer;
    try {
      bytes = parseIp(ip);
    } catch {
      bytes = Buffer.alloc(4);
    }
    this.remoteIp = bytes;
  }

  send(cmd: RemotingCommand): void {
    if (cmd.flag & 1) this.responded();
    this.write(encodeCommand(cmd));
  }

  /**
   * Room for a response frame of `len` bytes, to be written by the caller into `output` at the
   * returned position before this tick ends.
   */
  reserveResponse(len: number): number {
    this.responded();
    return this.reserve(len);
  }

  /**
   * Takes back the response just reserved at `at` (nothing was reserved after it): its frame could
   * not be completed, and another response answers the request instead.
   */
  takeBackResponse(at: number): void {
    this.outLen = at;
    this.pending++;
  }

  /** This tick's output: see reserveResponse. */
  get output(): Buffer {
    return this.out;
  }

  /** A request that expects a response was read. Past the cap, stop reading until answers catch up. */
  requested(maxPending: number): void {
    if (++this.pending >= maxPending && !this.pausedForPending) {
      this.pausedForPending = true;
      this.updateReading();
    }
    this.maxPending = maxPending;
  }

  private maxPending = Infinity;

  private responded(): void {
    if (this.pending > 0) this.pending--;
    if (this.pausedForPending && this.pending <= this.maxPending >> 1) {
      this.pausedForPending = false;
      this.updateReading();
    }
  }

  /** Stops reading a peer that does not read its responses (bounded memory), until it drains. */
  private checkBacklog(): void {
    if (!this.pausedForBacklog && this.socket.writableLength > MAX_WRITE_BACKLOG) {
      this.pausedForBacklog = true;
      this.updateReading();
      this.socket.once('drain', () => {
        this.pausedForBacklog = false;
        this.updateReading();
      });
    }
  }

  updateReading(): void {
    if (this.closed) return;
    if (this.pausedForPending || this.pausedForBacklog || this.ringPaused) this.socket.pause();
    else this.socket.resume();
  }

  /**
   * Frames written in one tick are gathered into one buffer and handed to the socket once at the
   * end of the tick: one stream write and one syscall for every response of the tick. Large
   * frames (pull bodies) go to the socket as they are, after what was gathered before them.
   */
  write(frame: Buffer): void {
    if (this.closed) return;
    if (frame.length >= DIRECT_WRITE_BYTES) {
      this.flushOutput();
      this.socket.write(frame);
      this.checkBacklog();
      return;
    }
    const at = this.reserve(frame.length); // before reading `out`: reserving may replace it
    frame.copy(this.out, at);
  }

  private reserve(len: number): number {
    if (this.outLen + len > this.out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.outLen + len));
      this.out.copy(bigger, 0, 0, this.outLen);
      this.out = bigger;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
    const at = this.outLen;
    this.outLen += len;
    return at;
  }

  /** Sends what this tick gathered, then half-closes. */
  end(): void {
    this.flushOutput();
    this.socket.end();
  }

  private readonly flush = () => {
    this.flushScheduled = false;
    this.flushOutput();
  };

  private flushOutput(): void {
    const len = this.outLen;
    if (len === 0) return;
    this.outLen = 0;
    if (this.closed) return;
    this.socket.write(this.out.subarray(0, len));
    // Nothing left queued means the kernel took all of it at once and `out` can be reused; else
    // the socket keeps a reference to it until the write completes, so the next tick gets another.
    if (this.socket.writableLength > 0 || this.out.length > MAX_KEPT_OUTPUT) this.out = Buffer.allocUnsafe(INITIAL_OUTPUT);
    this.checkBacklog();
  }

  /** Bytes queued in user space: a consumer that stops reading makes this grow. */
  get backlog(): number {
    return this.socket.writableLength;
  }
}
