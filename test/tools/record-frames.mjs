#!/usr/bin/env node
// Recording TCP proxy for RocketMQ remoting traffic (test tool; loopback only).
//
//   node test/tools/record-frames.mjs --out frames.jsonl --route 19876=9876 --route 20911=10911 [--rewrite 19876]
//
// Each --route LISTEN=UPSTREAM listens on 127.0.0.1:LISTEN and forwards every connection to
// 127.0.0.1:UPSTREAM. Frames ([int length][int type|headerLen][header][body]) are cut out of the
// stream in both directions and appended to --out as JSON lines:
//
//   {"seq":1,"conn":1,"route":"19876=9876","dir":"request","serializeType":0,"code":105,"opaque":3,
//    "flag":0,"hex":"000000..."}
//
// "hex" is the whole frame, length prefix included, exactly as the sender wrote it. Responses
// (flag bit 0) are recorded too ("dir":"response"). With --rewrite LISTEN (a name server's route),
// the bodies of the responses on that route have every "127.0.0.1:UPSTREAM" of every route replaced
// by "127.0.0.1:LISTEN", so the topic routes it hands out point the client at the proxy's broker
// port; the recorded bytes are the original ones, and requests are never changed. Prints
// "record-frames ready" on stdout once every port listens; stops on SIGINT/SIGTERM.

import fs from 'node:fs';
import net from 'node:net';
import { pathToFileURL } from 'node:url';

const HOST = '127.0.0.1';
const MAX_FRAME = 16 * 1024 * 1024;

function parseArgs(argv) {
  const opts = { out: null, routes: [], rewrite: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = argv[++i];
    else if (a === '--route') {
      const m = /^(\d+)=(\d+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error(`--route wants LISTEN=UPSTREAM ports, got ${argv[i]}`);
      opts.routes.push({ listen: Number(m[1]), upstream: Number(m[2]) });
    } else if (a === '--rewrite') opts.rewrite.add(Number(argv[++i]));
    else throw new Error(`unknown argument ${a}`);
  }
  if (!opts.out || opts.routes.length === 0) {
    throw new Error('usage: record-frames.mjs --out FILE --route LISTEN=UPSTREAM [--route ...] [--rewrite LISTEN]');
  }
  return opts;
}

/** code, opaque and flag of a frame (length prefix included), for both header types. */
export function frameSummary(frame) {
  const typeAndLen = frame.readUInt32BE(4);
  const serializeType = typeAndLen >>> 24;
  const headerLen = typeAndLen & 0xffffff;
  if (serializeType === 1) {
    return { serializeType, code: frame.readInt16BE(8), opaque: frame.readInt32BE(13), flag: frame.readInt32BE(17) };
  }
  try {
    const h = JSON.parse(frame.toString('utf8', 8, 8 + headerLen));
    return { serializeType, code: h.code, opaque: h.opaque, flag: h.flag };
  } catch {
    return { serializeType, code: null, opaque: null, flag: null };
  }
}

/** Cuts whole frames out of a byte stream. */
class FrameCutter {
  constructor() {
    this.buf = Buffer.alloc(0);
  }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (len < 4 || len > MAX_FRAME) throw new Error(`bad frame length ${len}`);
      if (this.buf.length < 4 + len) break;
      frames.push(Buffer.from(this.buf.subarray(0, 4 + len)));
      this.buf = this.buf.subarray(4 + len);
    }
    return frames;
  }
}

function rewriteBody(frame, replacements) {
  const headerLen = frame.readUInt32BE(4) & 0xffffff;
  const bodyStart = 8 + headerLen;
  if (frame.length === bodyStart) return frame;
  let body = frame.toString('latin1', bodyStart);
  let changed = false;
  for (const [from, to] of replacements) {
    if (body.includes(from)) {
      body = body.split(from).join(to);
      changed = true;
    }
  }
  if (!changed) return frame;
  const bodyBuf = Buffer.from(body, 'latin1');
  const out = Buffer.alloc(bodyStart + bodyBuf.length);
  frame.copy(out, 0, 0, bodyStart);
  bodyBuf.copy(out, bodyStart);
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = fs.openSync(opts.out, 'a');
  const replacements = opts.routes.map((r) => [`${HOST}:${r.upstream}`, `${HOST}:${r.listen}`]);
  let seq = 0;
  let connSeq = 0;
  const sockets = new Set();

  const record = (conn, route, dir, frame) => {
    const line = { seq: ++seq, conn, route, dir, ...frameSummary(frame), hex: frame.toString('hex') };
    fs.writeSync(out, JSON.stringify(line) + '\n');
  };

  const servers = opts.routes.map((r) => {
    const route = `${r.listen}=${r.upstream}`;
    const rewrite = opts.rewrite.has(r.listen);
    const server = net.createServer((client) => {
      const conn = ++connSeq;
      const upstream = net.connect(r.upstream, HOST);
      sockets.add(client);
      sockets.add(upstream);
      const fromClient = new FrameCutter();
      const fromServer = new FrameCutter();
      const fail = (e) => {
        if (e) process.stderr.write(`record-frames: connection ${conn} (${route}): ${e.message}\n`);
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (chunk) => {
        try {
          for (const f of fromClient.push(chunk)) {
            record(conn, route, (frameSummary(f).flag & 1) === 1 ? 'response' : 'request', f);
            upstream.write(f);
          }
        } catch (e) {
          fail(e);
        }
      });
      upstream.on('data', (chunk) => {
        try {
          for (const f of fromServer.push(chunk)) {
            const isResponse = (frameSummary(f).flag & 1) === 1;
            record(conn, route, isResponse ? 'response' : 'request', f);
            client.write(isResponse && rewrite ? rewriteBody(f, replacements) : f);
          }
        } catch (e) {
          fail(e);
        }
      });
      client.on('error', () => fail());
      upstream.on('error', () => fail());
      client.on('close', () => {
        sockets.delete(client);
        upstream.end();
      });
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.end();
      });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(r.listen, HOST, () => resolve(server));
    });
  });

  Promise.all(servers).then(
    (listening) => {
      process.stdout.write('record-frames ready\n');
      const stop = () => {
        for (const s of listening) s.close();
        for (const s of sockets) s.destroy();
        fs.closeSync(out);
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (e) => {
      process.stderr.write(`record-frames: ${e.message}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
