/**
 * The acceptor: owns the listening sockets and hands every accepted connection to a network
 * worker, round robin, by passing its file descriptor over an IPC pipe (SCM_RIGHTS). The kernel
 * duplicates the descriptor into the message, so the acceptor closes its own copy at once.
 */
import net from 'node:net';
import type { Logger } from './logger.js';

const binding = (process as unknown as { binding(name: string): any }).binding;
const { Pipe, PipeConnectWrap, constants: PipeConstants } = binding('pipe_wrap');
const { WriteWrap, streamBaseState, kLastWriteWasAsync } = binding('stream_wrap');

/** The sending end of one worker's hand-off pipe. */
export class HandoffPipe {
  private pipe: any = null;
  broken = false;

  static connect(path: string): Promise<HandoffPipe> {
    const h = new HandoffPipe();
    return new Promise((resolve, reject) => {
      const p = new Pipe(PipeConstants.IPC);
      const req = new PipeConnectWrap();
      req.oncomplete = (status: number) => {
        if (status) return reject(new Error(`hand-off pipe connect failed (${status})`));
        h.pipe = p;
        resolve(h);
      };
      const err = p.connect(req, path);
      if (err) reject(new Error(`hand-off pipe connect failed (${err})`));
    });
  }

  /** Sends the socket's descriptor; returns false if the pipe is broken. */
  send(socket: net.Socket): boolean {
    if (this.broken || !this.pipe) return false;
    const req = new WriteWrap();
    req.handle = this.pipe;
    req.async = false;
    req.oncomplete = (status: number) => {
      if (status) this.broken = true;
      socket.destroy();
    };
    const err = this.pipe.writeUtf8String(req, 'H', (socket as unknown as { _handle: unknown })._handle);
    if (err) {
      this.broken = true;
      return false;
    }
    if (!streamBaseState[kLastWriteWasAsync]) socket.destroy();
    return true;
  }

  close(): void {
    this.pipe?.close();
    this.pipe = null;
    this.broken = true;
  }
}

export interface AcceptorOptions {
  ports: number[];
  host?: string;
  maxConnections: number;
  logger: Logger;
  /** The pipe of the next worker to take a connection, or null if none is up. */
  nextPipe(): HandoffPipe | null;
}

export class Acceptor {
  private readonly servers: net.Server[] = [];

  constructor(private readonly opts: AcceptorOptions) {}

  async listen(): Promise<void> {
    for (const port of this.opts.ports) {
      const server = net.createServer({ pauseOnConnect: true }, (s) => this.accept(s));
      server.maxConnections = this.opts.maxConnections;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: this.opts.host, backlog: 1024 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => this.opts.logger.error({ err: e, port }, 'listener error'));
      this.servers.push(server);
    }
  }

  private accept(socket: net.Socket): void {
    for (let tries = 0; tries < 4; tries++) {
      const pipe = this.opts.nextPipe();
      if (!pipe) break;
      if (pipe.send(socket)) return;
    }
    this.opts.logger.warn('no network worker can take the connection; closing it');
    socket.destroy();
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
    this.servers.length = 0;
  }
}
