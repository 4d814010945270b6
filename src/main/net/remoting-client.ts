import { connect as netConnect, type Socket } from 'node:net';
import { ResponseCode, RpcFlag } from '../../shared/codes.js';
import { decodeCommand, encodeCommand, isOneway, isResponse, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { FrameDecoder } from '../../shared/remoting/frame-decoder.js';
import { parseHostPort } from './address.js';
import { TickWriter } from './tick-writer.js';

export type RequestHandler = (cmd: RemotingCommand) => RemotingCommand | null | Promise<RemotingCommand | null>;

export interface RemotingClientOptions {
  /** Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Serves requests the peer starts (e.g. CHECK_TRANSACTION_STATE); non-oneway ones get the returned response. */
  onRequest?: RequestHandler;
}

interface Pending {
  resolve: (cmd: RemotingCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export const DEFAULT_INVOKE_TIMEOUT_MS = 3000;
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

/** One remoting connection: request/response by opaque, oneway sends, and requests from the peer. */
export class RemotingClient {
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder();
  private readonly writer: TickWriter;
  private closeReason: string | null = null;

  private constructor(readonly addr: string, private readonly socket: Socket, private readonly onRequest?: RequestHandler) {
    this.writer = new TickWriter(socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.shutdown(e.message));
    socket.on('close', () => this.shutdown('closed by peer'));
  }

  static connect(addr: string, opts: RemotingClientOptions = {}): Promise<RemotingClient> {
    return new Promise((resolve, reject) => {
      let host: string;
      let port: number;
      try {
        ({ host, port } = parseHostPort(addr));
      } catch (e) {
        reject(e);
        return;
      }
      const ms = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const socket = netConnect({ host, port });
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`connect to ${addr} ${why}`));
      };
      const onError = (e: Error) => fail(`failed: ${e.message}`);
      const timer = setTimeout(() => fail(`timed out after ${ms} ms`), ms);
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        resolve(new RemotingClient(addr, socket, opts.onRequest));
      });
    });
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  /** Sends a request and resolves with the response of the same opaque. */
  invoke(cmd: RemotingCommand, timeoutMs = DEFAULT_INVOKE_TIMEOUT_MS): Promise<RemotingCommand> {
    if (this.closeReason !== null) return Promise.reject(new Error(`connection to ${this.addr} is closed (${this.closeReason})`));
    if (this.pending.has(cmd.opaque)) return Promise.reject(new Error(`opaque ${cmd.opaque} is already waiting for a response from ${this.addr}`));
    let frame: Buffer;
    try {
      frame = encodeCommand(cmd);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cmd.opaque);
        reject(new Error(`request code ${cmd.code} (opaque ${cmd.opaque}) to ${this.addr} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(cmd.opaque, { resolve, reject, timer });
      this.writer.write(frame);
    });
  }

  /** Sends a request flagged oneway; no response is awaited. */
  invokeOneway(cmd: RemotingCommand): void {
    if (this.closeReason !== null) return;
    this.writer.write(encodeCommand({ ...cmd, flag: cmd.flag | RpcFlag.ONEWAY }));
  }

  close(): void {
    this.shutdown('closed locally');
    this.socket.destroy();
  }

  private shutdown(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    const err = new Error(`connection to ${this.addr} closed before the response came: ${reason}`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (frame) => this.onFrame(decodeCommand(frame)));
    } catch (e) {
      this.shutdown(`bad frame from peer: ${(e as Error).message}`);
    }
  }

  private onFrame(cmd: RemotingCommand): void {
    if (isResponse(cmd)) {
      const p = this.pending.get(cmd.opaque);
      if (!p) return; // late answer to a request that timed out
      this.pending.delete(cmd.opaque);
      clearTimeout(p.timer);
      p.resolve(cmd);
      return;
    }
    void this.serve(cmd);
  }

  private async serve(req: RemotingCommand): Promise<void> {
    let res: RemotingCommand | null;
    try {
      res = this.onRequest
        ? await this.onRequest(req)
        : responseFor(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${req.code} not supported`);
    } catch (e) {
      res = responseFor(req, ResponseCode.SYSTEM_ERROR, String((e as Error)?.message ?? e));
    }
    if (!res || isOneway(req) || this.closeReason !== null) return;
    try {
      this.writer.write(encodeCommand({ ...res, opaque: req.opaque, flag: res.flag | RpcFlag.RESPONSE }));
    } catch (e) {
      this.shutdown(`cannot encode response: ${(e as Error).message}`);
    }
  }
}
