import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ResponseCode, RpcFlag } from '../../../src/shared/codes.js';
import { decodeCommand, encodeCommand, isOneway, newRequest, responseFor, type RemotingCommand } from '../../../src/shared/remoting/command.js';
import { FrameDecoder } from '../../../src/shared/remoting/frame-decoder.js';
import { RemotingClient } from '../../../src/main/net/remoting-client.js';
import { parseHostPort } from '../../../src/main/net/address.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A scripted peer: `onCommand` sees every frame the client sends. */
async function peer(onCommand: (cmd: RemotingCommand, sock: Socket) => void): Promise<{ server: Server; addr: string; sockets: Socket[]; chunks: () => number }> {
  const sockets: Socket[] = [];
  let chunks = 0;
  const server = createServer((sock) => {
    sockets.push(sock);
    const dec = new FrameDecoder();
    sock.on('data', (c) => {
      chunks++;
      dec.push(c, (f) => onCommand(decodeCommand(f), sock));
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, addr: `127.0.0.1:${port}`, sockets, chunks: () => chunks };
}
const stop = (p: { server: Server; sockets: Socket[] }) => {
  for (const s of p.sockets) s.destroy();
  return new Promise<void>((r) => p.server.close(() => r()));
};

test('invoke matches responses by opaque, even out of order', async () => {
  const held: [RemotingCommand, Socket][] = [];
  const p = await peer((cmd, sock) => {
    held.push([cmd, sock]);
    if (held.length === 3) for (const [c, s] of held.reverse()) s.write(encodeCommand(responseFor(c, 0, `for ${c.extFields!.n}`)));
  });
  const c = await RemotingClient.connect(p.addr);
  try {
    const rs = await Promise.all(['a', 'b', 'c'].map((n) => c.invoke(newRequest(105, { n }))));
    assert.deepEqual(rs.map((r) => r.remark), ['for a', 'for b', 'for c']);
    assert.ok(p.chunks() < 3, 'requests of one tick go out in one write');
  } finally {
    c.close();
    await stop(p);
  }
});

test('invoke times out with a clear error; a late response is ignored', async () => {
  const p = await peer((cmd, sock) => setTimeout(() => sock.write(encodeCommand(responseFor(cmd, 0))), 80));
  const c = await RemotingClient.connect(p.addr);
  try {
    await assert.rejects(c.invoke(newRequest(105, { topic: 't' }), 20), /request code 105 \(opaque -?\d+\) to 127\.0\.0\.1:\d+ timed out after 20 ms/);
    await sleep(100);
    const r = await c.invoke(newRequest(105, null), 1000);
    assert.equal(r.code, 0);
  } finally {
    c.close();
    await stop(p);
  }
});

test('pending invokes are rejected when the peer closes or on close(); later invokes fail fast', async () => {
  const p = await peer((_cmd, sock) => setTimeout(() => sock.destroy(), 10));
  const c = await RemotingClient.connect(p.addr);
  await assert.rejects(c.invoke(newRequest(105, null)), /connection to 127\.0\.0\.1:\d+ closed before the response came/);
  assert.equal(c.closed, true);
  await assert.rejects(c.invoke(newRequest(105, null)), /is closed/);
  await stop(p);

  const q = await peer(() => {});
  const d = await RemotingClient.connect(q.addr);
  const pending = d.invoke(newRequest(105, null));
  d.close();
  await assert.rejects(pending, /closed locally/);
  await stop(q);
});

test('a duplicate opaque in flight is refused', async () => {
  const p = await peer(() => {});
  const c = await RemotingClient.connect(p.addr);
  const req = newRequest(105, null);
  const first = c.invoke(req, 200);
  await assert.rejects(c.invoke(req), /already waiting/);
  await assert.rejects(first, /timed out/);
  c.close();
  await stop(p);
});

test('server-initiated requests are served through onRequest; oneway ones get no answer', async () => {
  const answers: RemotingCommand[] = [];
  const p = await peer((cmd) => answers.push(cmd));
  const seen: number[] = [];
  const c = await RemotingClient.connect(p.addr, {
    onRequest: async (req) => {
      seen.push(req.code);
      if (req.code === 1) throw new Error('boom');
      return responseFor(req, ResponseCode.SUCCESS, 'handled');
    },
  });
  try {
    await sleep(20);
    const sock = p.sockets[0];
    const ask = { ...newRequest(39, { k: 'v' }), opaque: 4242 };
    sock.write(encodeCommand(ask));
    sock.write(encodeCommand({ ...newRequest(40, null), opaque: 4243, flag: RpcFlag.ONEWAY }));
    sock.write(encodeCommand({ ...newRequest(1, null), opaque: 4244 }));
    await sleep(50);
    assert.deepEqual(seen, [39, 40, 1]);
    assert.equal(answers.length, 2);
    assert.deepEqual([answers[0].opaque, answers[0].flag & RpcFlag.RESPONSE, answers[0].remark], [4242, 1, 'handled']);
    assert.deepEqual([answers[1].opaque, answers[1].code, answers[1].remark], [4244, ResponseCode.SYSTEM_ERROR, 'boom']);
    assert.ok(answers.every((a) => !isOneway(a)));
  } finally {
    c.close();
    await stop(p);
  }
});

test('without onRequest a server request gets REQUEST_CODE_NOT_SUPPORTED', async () => {
  const answers: RemotingCommand[] = [];
  const p = await peer((cmd) => answers.push(cmd));
  const c = await RemotingClient.connect(p.addr);
  await sleep(20);
  p.sockets[0].write(encodeCommand({ ...newRequest(39, null), opaque: 77 }));
  await sleep(50);
  assert.deepEqual([answers[0].opaque, answers[0].code, answers[0].remark], [77, 3, ' request type 39 not supported']);
  c.close();
  await stop(p);
});

test('invokeOneway sets the oneway flag', async () => {
  const got: RemotingCommand[] = [];
  const p = await peer((cmd) => got.push(cmd));
  const c = await RemotingClient.connect(p.addr);
  c.invokeOneway(newRequest(15, { a: '1' }));
  await sleep(50);
  assert.equal(got.length, 1);
  assert.ok(isOneway(got[0]));
  c.close();
  await stop(p);
});

test('a malformed frame from the peer closes the client and rejects what is pending', async () => {
  const p = await peer((_cmd, sock) => sock.write(Buffer.from([0, 0, 0, 1, 0])));
  const c = await RemotingClient.connect(p.addr);
  await assert.rejects(c.invoke(newRequest(105, null)), /bad frame/);
  assert.equal(c.closed, true);
  await stop(p);
});

test('connect failures reject with the address', async () => {
  await assert.rejects(RemotingClient.connect('127.0.0.1:1'), /connect to 127\.0\.0\.1:1 failed/);
  await assert.rejects(RemotingClient.connect('no-port'), /host:port/);
});

test('parseHostPort', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:9876'), { host: '127.0.0.1', port: 9876 });
  assert.deepEqual(parseHostPort('[::1]:9876'), { host: '::1', port: 9876 });
  assert.deepEqual(parseHostPort('ns.local:1'), { host: 'ns.local', port: 1 });
  assert.throws(() => parseHostPort(':9876'));
  assert.throws(() => parseHostPort('h:0'));
  assert.throws(() => parseHostPort('h:x'));
});
