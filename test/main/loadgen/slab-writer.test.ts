import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { SlabWriter } from '../../../src/main/loadgen/slab-writer.js';

/** A socket stand-in that completes writes only when told to, and checks the bytes then. */
class SlowSocket {
  readonly pending: { view: Buffer; copy: Buffer; cb: () => void }[] = [];
  received: Buffer[] = [];
  write(view: Buffer, cb: () => void): boolean {
    this.pending.push({ view, copy: Buffer.from(view), cb });
    return true;
  }
  /** Completes the oldest write, asserting its bytes were not overwritten meanwhile. */
  complete(): void {
    const w = this.pending.shift()!;
    assert.deepEqual(w.view, w.copy, 'a buffer was reused before its write completed');
    this.received.push(w.copy);
    w.cb();
  }
}

test('frames are coalesced per flush and slabs are reused only after their writes complete', () => {
  const sock = new SlowSocket();
  const w = new SlabWriter(sock as unknown as Socket, 1000);
  const expected: Buffer[] = [];
  let n = 0;
  for (let round = 0; round < 200; round++) {
    const frames = 1 + (round % 5);
    for (let f = 0; f < frames; f++) {
      const len = 50 + ((n * 37) % 300);
      const at = w.reserve(len);
      w.buffer.fill(n & 0xff, at, at + len);
      w.commit(len);
      expected.push(Buffer.alloc(len, n & 0xff));
      n++;
    }
    w.flush();
    // complete writes lazily: keep up to 3 outstanding
    while (sock.pending.length > 3) sock.complete();
  }
  while (sock.pending.length) sock.complete();
  assert.deepEqual(Buffer.concat(sock.received), Buffer.concat(expected));
  assert.ok(w.writes <= 200 + n / 3, 'one write per flush plus slab switches');
});

test('a frame larger than the slab gets a slab of its own', () => {
  const sock = new SlowSocket();
  const w = new SlabWriter(sock as unknown as Socket, 100);
  const at = w.reserve(500);
  w.buffer.fill(7, at, at + 500);
  w.commit(500);
  w.flush();
  sock.complete();
  assert.deepEqual(sock.received[0], Buffer.alloc(500, 7));
});

test('flush without new frames writes nothing', () => {
  const sock = new SlowSocket();
  const w = new SlabWriter(sock as unknown as Socket, 100);
  w.flush();
  assert.equal(sock.pending.length, 0);
});
