import type net from 'node:net';
import { encodeCommand, type RemotingCommand } from '../../shared/remoting/command.js';
import { FrameDecoder } from '../../shared/remoting/frame-decoder.js';
import { parseIp } from '../../shared/store/ip.js';

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
    this.write(encodeCommand(cmd));
  }

  write(frame: Buffer): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(frame);
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
