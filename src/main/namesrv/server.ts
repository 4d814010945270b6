import { createServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { decodeCommand, encodeCommand, type RemotingCommand } from '../../shared/remoting/command.js';
import { FrameDecoder } from '../../shared/remoting/frame-decoder.js';
import { TickWriter } from '../net/tick-writer.js';
import { handleNamesrvRequest } from './processor.js';
import { BROKER_SCAN_INTERVAL_MS, NamesrvState, type ChannelId } from './route-info.js';

export interface NameServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  brokerExpireMs?: number;
}

export interface NameServer {
  port: number;
  state: NamesrvState;
  close(): Promise<void>;
}

/**
 * The embedded name server: a TCP remoting endpoint over a NamesrvState. Responses produced in one
 * tick go out in one write per socket; a malformed frame closes only its connection; a closed
 * connection drops the brokers registered over it.
 */
export async function startNameServer(opts: NameServerOptions): Promise<NameServer> {
  const log = opts.logger;
  const state = new NamesrvState({ brokerExpireMs: opts.brokerExpireMs, logger: log });
  const sockets = new Map<ChannelId, Socket>();
  let nextChannel = 1;

  const server = createServer((socket) => {
    const channelId = nextChannel++;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    sockets.set(channelId, socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    const writer = new TickWriter(socket);
    log.debug({ channelId, remote }, 'name server connection opened');
    const send = (response: RemotingCommand) => {
      let frame: Buffer;
      try {
        frame = encodeCommand(response);
      } catch (e) {
        log.error({ channelId, code: response.code, err: (e as Error).message }, 'cannot encode response');
        return;
      }
      writer.write(frame);
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (frame) => {
          const response = handleNamesrvRequest(state, decodeCommand(frame), channelId);
          if (response) send(response);
        });
      } catch (e) {
        log.warn({ channelId, remote, err: (e as Error).message }, 'malformed frame, closing the connection');
        socket.destroy();
      }
    });
    socket.on('error', (e) => log.debug({ channelId, remote, err: e.message }, 'name server connection error'));
    socket.on('close', () => {
      sockets.delete(channelId);
      const dropped = state.onChannelClosed(channelId);
      log.debug({ channelId, remote, dropped }, 'name server connection closed');
    });
  });

  // Scan every 10 s, or faster when the expiry itself is shorter (tests).
  const scanMs = Math.max(10, Math.min(BROKER_SCAN_INTERVAL_MS, state.brokerExpireMs));
  const scanner = setInterval(() => {
    try {
      for (const channelId of state.scanNotActiveBrokers()) sockets.get(channelId)?.destroy();
    } catch (e) {
      log.error({ err: (e as Error).message }, 'broker scan failed');
    }
  }, scanMs);
  scanner.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error({ err: e.message }, 'name server socket error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info({ port, host: opts.host ?? null, brokerExpireMs: state.brokerExpireMs }, 'name server listening');

  return {
    port,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(scanner);
        for (const s of sockets.values()) s.destroy();
        server.close(() => resolve());
      }),
  };
}
