import type { Socket } from 'node:net';

/**
 * Batches a socket's writes per event-loop tick: the first write of a tick corks the socket and a
 * nextTick uncorks it, so every frame written in between goes out in one writev.
 */
export class TickWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  /** Queues `buf`; returns false once the socket can no longer be written. */
  write(buf: Buffer): boolean {
    const s = this.socket;
    if (s.destroyed || !s.writable) return false;
    if (!this.corked) {
      this.corked = true;
      s.cork();
      process.nextTick(this.flush);
    }
    s.write(buf);
    return true;
  }

  private readonly flush = (): void => {
    this.corked = false;
    if (!this.socket.destroyed) this.socket.uncork();
  };
}
