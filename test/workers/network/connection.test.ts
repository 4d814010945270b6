import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Connection } from '../../../src/workers/network/connection.js';

/** A connected pair on loopback: the Connection under test and the peer that reads what it writes. */
async function pair(): Promise<{ conn: Connection; received: () => Buffer; close: () => void }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [socket] = (await once(server, 'connection')) as [net.Socket];
  const chunks: Buffer[] = [];
  peer.on('data', (c: Buffer) => chunks.push(c));
  return {
    conn: new Connection(1, socket),
    received: () => Buffer.concat(chunks),
    close: () => {
      peer.destroy();
      socket.destroy();
      server.close();
    },
  };
}

const waitFor = async (f: () => boolean) => {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
};

test('frames written in one tick reach the peer whole and in order, across output growth and large frames', async () => {
  const { conn, received, close } = await pair();
  try {
    const expected: Buffer[] = [];
    const frame = (size: number, fill: number) => {
      const b = Buffer.alloc(size, fill);
      expected.push(b);
      return b;
    };
    // Far past the initial output buffer, then a frame big enough to bypass it, then reserved responses.
    for (let i = 0; i < 100; i++) conn.write(frame(1000 + i, i));
    conn.write(frame(200_000, 0xab));
    for (let i = 0; i < 50; i++) {
      const b = frame(300 + i, 0x40 + i);
      const at = conn.reserveResponse(b.length);
      b.copy(conn.output, at);
    }
    const want = Buffer.concat(expected);
    await waitFor(() => received().length >= want.length);
    assert.equal(received().length, want.length);
    assert.ok(received().equals(want), 'the peer read exactly the frames, in order');
  } finally {
    close();
  }
});

test('a response taken back is never sent: the frame written in its place reaches the peer instead', async () => {
  const { conn, received, close } = await pair();
  try {
    const first = Buffer.alloc(40, 1);
    first.copy(conn.output, conn.reserveResponse(first.length));
    const at = conn.reserveResponse(5000);
    conn.output.fill(0xee, at, at + 100); // half-written, then the body could not be read
    conn.takeBackResponse(at);
    const error = Buffer.alloc(60, 2);
    error.copy(conn.output, conn.reserveResponse(error.length));
    const want = Buffer.concat([first, error]);
    await waitFor(() => received().length >= want.length);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(received().equals(want), 'the peer read the first response and the one written in place of the taken-back one');
  } finally {
    close();
  }
});
