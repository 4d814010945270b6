import type net from 'node:net';
import { encodeCommand, type RemotingCommand } from '../../shared/remoting/command.js';
import { FrameDecoder } from '../../shared/remoting/frame-decoder.js';
import { parseIp } from '../../shared/storage/ip.js';

const MAX_WRITE_BACKLOG = 64 * 1024 * 1024;

/**
 * One client connection owned by a network worker: frames in, responses out. Responses written
 * in the same tick are corked into one socket write.
 */
export class Connection {
  readonly decoder = new FrameDecoder();
  readonly remoteAddr: string;
  readonly remoteIp: Buffer;
  readonly remotePort: number;
  private corked = false;
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

  /** An already encoded response frame. */
  sendResponseFrame(frame: Buffer): void {
    this.responded();
    this.write(frame);
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

  write(frame: Buffer): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(frame);
    this.checkBacklog();
  }

  private readonly uncork = () => {
    this.corked = false;
    if (!this.closed) this.socket.uncork();
  };

  /** Bytes queued in user space: a consumer that stops reading makes this grow. */
  get backlog(): number {
    return this.socket.writableLength;
  }
}
