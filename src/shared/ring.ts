/**
 * A multi-producer, single-consumer ring of variable-length entries over a SharedArrayBuffer.
 *
 * Producers (network workers, event-loop threads) must never block, so space is reserved with a
 * compare-and-swap that fails instead of waiting: `reserve` returns -1 when the ring is full and
 * the caller applies backpressure. The consumer (the store writer) reads entries strictly in
 * reservation order; an entry becomes visible when its tag word, derived from its logical
 * position, is stored (the commit). The consumer clears tags after use, and a stale word from an
 * earlier lap matches the tag of a new position only by a 1-in-2^32 chance that the position
 * derivation makes structural (a lap later the same offset has a different position).
 *
 * Entry: [int32 tag][int32 len][payload, padded to 8]. len < 0 marks a wrap filler of -len bytes.
 * Positions are int32 byte counters that wrap at 2^32; they are compared as (a - b) | 0.
 *
 * A consumer that finds the ring empty far into its data region starts it over at offset 0: it
 * moves the reservation word to the next lap with a compare-and-swap and its read position after
 * it. The consumer usually keeps up, so entries then cycle through the first `rewindAt` bytes,
 * whose pages stay in cache, instead of sweeping through the whole capacity — which would make all
 * of it resident memory within seconds of steady load. The consumer does it rather than a producer
 * (behind a filler) because a filler holds the rest of the lap until the consumer passes it: a
 * producer's rewind left only `rewindAt` bytes of room until the consumer's next drain, and a
 * burst larger than that found the ring full.
 */
const LINE = 16; // int32 words per 64-byte cache line, so hot words never share a line
const W_RESERVE = 0;
const W_READ = 1 * LINE;
const W_CONSUMER_WAITING = 2 * LINE;
const W_CONSUMER_SEQ = 3 * LINE;
const CTRL_WORDS = 4 * LINE;
const ENTRY_HEADER = 8;
/** An empty ring starts over at offset 0 once it is this far in (or capacity / 4). */
const REWIND_AT = 1 << 20;

const tagOf = (pos: number) => (pos ^ 0x5bd1e995) | 0;

export function createRingBuffer(capacity: number): SharedArrayBuffer {
  if (capacity < 1024 || (capacity & (capacity - 1)) !== 0 || capacity > 1 << 30) throw new RangeError(`ring capacity ${capacity} must be a power of two in 1 KiB..1 GiB`);
  return new SharedArrayBuffer(CTRL_WORDS * 4 + capacity);
}

export class Ring {
  readonly capacity: number;
  /** Data region; entry payloads are addressed by offsets into it. */
  readonly u8: Uint8Array;
  private readonly ctrl: Int32Array;
  private readonly i32: Int32Array;
  private readonly mask: number;
  private readonly rewindAt: number;
  private pendingTag = 0;

  constructor(sab: SharedArrayBuffer) {
    this.ctrl = new Int32Array(sab, 0, CTRL_WORDS);
    this.capacity = sab.byteLength - CTRL_WORDS * 4;
    this.mask = this.capacity - 1;
    this.rewindAt = Math.min(REWIND_AT, this.capacity >> 2);
    this.u8 = new Uint8Array(sab, CTRL_WORDS * 4, this.capacity);
    this.i32 = new Int32Array(sab, CTRL_WORDS * 4, this.capacity >> 2);
  }

  /** Largest payload that can ever fit. */
  get maxPayload(): number {
    return (this.capacity >> 1) - ENTRY_HEADER;
  }

  // ---- producer side ----

  /**
   * Reserves room for `len` payload bytes. Returns the payload's offset in `u8` (contiguous), or
   * -1 when the ring is full right now. The caller fills the payload, then calls `commit(offset)`.
   */
  reserve(len: number): number {
    const size = (ENTRY_HEADER + len + 7) & ~7;
    const ctrl = this.ctrl;
    for (;;) {
      const start = Atomics.load(ctrl, W_RESERVE);
      const off = start & this.mask;
      const read = Atomics.load(ctrl, W_READ);
      const pad = off + size > this.capacity ? this.capacity - off : 0;
      if (((start + pad + size - read) | 0) > this.capacity) return -1;
      if (Atomics.compareExchange(ctrl, W_RESERVE, start, (start + pad + size) | 0) !== start) continue;
      if (pad > 0) {
        this.i32[(off >> 2) + 1] = -pad;
        Atomics.store(this.i32, off >> 2, tagOf(start));
      }
      const pos = (start + pad) | 0;
      const at = pos & this.mask;
      this.i32[(at >> 2) + 1] = len;
      this.pendingTag = tagOf(pos);
      return at + ENTRY_HEADER;
    }
  }

  /**
   * Publishes the entry just reserved by this thread (reserve and commit pair up, no
   * interleaving). With `wake` false the caller promises a later `wakeConsumer()`, so several
   * commits of one event-loop turn cost one wake-up.
   */
  commit(payloadOffset: number, wake = true): void {
    Atomics.store(this.i32, (payloadOffset - ENTRY_HEADER) >> 2, this.pendingTag);
    if (wake) this.wakeConsumer();
  }

  /** Wakes the consumer if it sleeps (a futex wake: only paid when it is really waiting). */
  wakeConsumer(): void {
    if (Atomics.load(this.ctrl, W_CONSUMER_WAITING) !== 0) {
      Atomics.add(this.ctrl, W_CONSUMER_SEQ, 1);
      Atomics.notify(this.ctrl, W_CONSUMER_SEQ, 1);
    }
  }

  // ---- consumer side ----

  /**
   * Calls onEntry(u8, payloadOffset, len) for committed entries in order, up to `maxBytes` of
   * entries (fillers do not count); returns the number of entries consumed. Stops at the first
   * uncommitted entry.
   */
  drain(onEntry: (u8: Uint8Array, payloadOffset: number, len: number) => void, maxBytes: number): number {
    const ctrl = this.ctrl;
    const i32 = this.i32;
    let read = Atomics.load(ctrl, W_READ);
    const first = read;
    let n = 0;
    let bytes = 0;
    while (bytes < maxBytes) {
      const off = read & this.mask;
      const w = off >> 2;
      if (Atomics.load(i32, w) !== tagOf(read)) break;
      const len = i32[w + 1];
      i32[w] = 0;
      if (len < 0) {
        read = (read - len) | 0;
        continue;
      }
      onEntry(this.u8, off + ENTRY_HEADER, len);
      n++;
      const size = (ENTRY_HEADER + len + 7) & ~7;
      bytes += size;
      read = (read + size) | 0;
    }
    const off = read & this.mask;
    // Empty and far in: start over at offset 0, if no producer reserves meanwhile.
    if (off >= this.rewindAt && Atomics.compareExchange(ctrl, W_RESERVE, read, (read + this.capacity - off) | 0) === read) read = (read + this.capacity - off) | 0;
    if (read !== first) Atomics.store(ctrl, W_READ, read);
    return n;
  }

  /** Bytes reserved but not yet consumed. */
  get used(): number {
    return (Atomics.load(this.ctrl, W_RESERVE) - Atomics.load(this.ctrl, W_READ)) | 0;
  }

  /**
   * Resolves when a producer may have committed something (or after timeoutMs). Uses
   * Atomics.waitAsync so the consumer's event loop keeps running.
   */
  waitForData(timeoutMs: number): Promise<unknown> | null {
    const ctrl = this.ctrl;
    const seq = Atomics.load(ctrl, W_CONSUMER_SEQ);
    Atomics.store(ctrl, W_CONSUMER_WAITING, 1);
    const off = Atomics.load(ctrl, W_READ) & this.mask;
    if (Atomics.load(this.i32, off >> 2) === tagOf(Atomics.load(ctrl, W_READ))) {
      Atomics.store(ctrl, W_CONSUMER_WAITING, 0);
      return null;
    }
    const r = Atomics.waitAsync(ctrl, W_CONSUMER_SEQ, seq, timeoutMs);
    const done = () => Atomics.store(ctrl, W_CONSUMER_WAITING, 0);
    if (!r.async) {
      done();
      return null;
    }
    return r.value.then(done);
  }

  /**
   * Blocks this thread until a producer may have committed something, or `timeoutMs` passed.
   * A producer's wake-up is then a plain futex wake, far cheaper than resolving an async waiter
   * (a task posted to another event loop); the price is that this thread's event loop does not
   * run meanwhile, so callers bound the timeout.
   */
  waitForDataSync(timeoutMs: number): void {
    const ctrl = this.ctrl;
    const seq = Atomics.load(ctrl, W_CONSUMER_SEQ);
    Atomics.store(ctrl, W_CONSUMER_WAITING, 1);
    const read = Atomics.load(ctrl, W_READ);
    if (Atomics.load(this.i32, (read & this.mask) >> 2) !== tagOf(read)) Atomics.wait(ctrl, W_CONSUMER_SEQ, seq, timeoutMs);
    Atomics.store(ctrl, W_CONSUMER_WAITING, 0);
  }
}
