import { COMPLETION_WORDS } from './send-entry.js';

/**
 * Completions from the store writer to one producer on the send ring (a network worker, the
 * schedule thread or the transaction thread), in shared memory. The store writer appends
 * [request id, status, first queue offset, first physical offset] per ring entry and publishes
 * them with one store; the consumer reads them in place. One producer, one consumer.
 *
 * No message crosses for a consumer that collects its completions itself (a network worker
 * waits for them with Atomics.wait right after it wakes the store writer). A consumer that waits
 * on its event loop instead arms its wake word; `publish` then tells the store writer to wake it
 * (a port message), once per arming. A new ring starts armed.
 *
 * Control words are int32 counters of records that wrap at 2^32, compared as (a - b) | 0.
 */
const LINE = 16; // int32 words per 64-byte cache line, so the two sides never write the same line
const W_HEAD = 0;
const W_TAIL = LINE;
const W_WAKE = 2 * LINE;
const CTRL_BYTES = 3 * LINE * 4;
const RECORD_BYTES = COMPLETION_WORDS * 8;

/** Default capacity in completions: 2 MiB per consumer. More in flight waits in the store writer. */
export const COMPLETION_RING_CAPACITY = 1 << 16;

export class CompletionRing {
  readonly capacity: number;
  private readonly ctrl: Int32Array;
  private readonly records: Float64Array;
  private readonly mask: number;
  /** Producer side: records pushed, published or not. */
  private head: number;

  static create(capacity = COMPLETION_RING_CAPACITY): SharedArrayBuffer {
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0 || capacity > 1 << 24) throw new RangeError(`completion ring capacity ${capacity} must be a power of two in 2..2^24`);
    const sab = new SharedArrayBuffer(CTRL_BYTES + capacity * RECORD_BYTES);
    new Int32Array(sab, 0, CTRL_BYTES >> 2)[W_WAKE] = 1;
    return sab;
  }

  constructor(sab: SharedArrayBuffer) {
    this.ctrl = new Int32Array(sab, 0, CTRL_BYTES >> 2);
    this.capacity = (sab.byteLength - CTRL_BYTES) / RECORD_BYTES;
    this.mask = this.capacity - 1;
    this.records = new Float64Array(sab, CTRL_BYTES, this.capacity * COMPLETION_WORDS);
    this.head = Atomics.load(this.ctrl, W_HEAD);
  }

  // ---- producer (the store writer) ----

  /** Completions that can be pushed now. */
  room(): number {
    return this.capacity - ((this.head - Atomics.load(this.ctrl, W_TAIL)) | 0);
  }

  /** Appends one completion, not yet visible; the caller checked room(). */
  push(reqId: number, status: number, queueOffset: number, physicalOffset: number): void {
    const w = (this.head & this.mask) * COMPLETION_WORDS;
    const r = this.records;
    r[w] = reqId;
    r[w + 1] = status;
    r[w + 2] = queueOffset;
    r[w + 3] = physicalOffset;
    this.head = (this.head + 1) | 0;
  }

  /** Makes everything pushed visible; true when the consumer armed its wake word (now disarmed). */
  publish(): boolean {
    Atomics.store(this.ctrl, W_HEAD, this.head);
    return Atomics.load(this.ctrl, W_WAKE) !== 0 && Atomics.exchange(this.ctrl, W_WAKE, 0) === 1;
  }

  // ---- consumer ----

  /** Published completions not yet taken. */
  get pending(): number {
    return (Atomics.load(this.ctrl, W_HEAD) - Atomics.load(this.ctrl, W_TAIL)) | 0;
  }

  /**
   * Hands the published completions to `onChunk` in place, in order (at most two chunks when
   * they wrap), then frees their room. A chunk is valid only during its call. Returns how many.
   */
  take(onChunk: (completions: Float64Array) => void): number {
    const tail = Atomics.load(this.ctrl, W_TAIL);
    const n = (Atomics.load(this.ctrl, W_HEAD) - tail) | 0;
    if (n <= 0) return 0;
    const from = tail & this.mask;
    const first = Math.min(n, this.capacity - from);
    onChunk(this.records.subarray(from * COMPLETION_WORDS, (from + first) * COMPLETION_WORDS));
    if (first < n) onChunk(this.records.subarray(0, (n - first) * COMPLETION_WORDS));
    Atomics.store(this.ctrl, W_TAIL, (tail + n) | 0);
    return n;
  }

  /**
   * Asks the producer to wake this consumer at its next publish. Returns true when completions
   * are already waiting: the caller takes them now instead of waiting for the wake.
   */
  armWake(): boolean {
    Atomics.store(this.ctrl, W_WAKE, 1);
    return this.pending > 0;
  }

  /** The consumer collects its completions itself for a while: no wake-ups. */
  disarmWake(): void {
    Atomics.store(this.ctrl, W_WAKE, 0);
  }
}

/**
 * The store writer's end of one channel. Completions that do not fit (a consumer with more sends
 * in flight than the ring holds) wait here, in order, until the consumer frees room.
 */
export class CompletionOutbox {
  /** Each is [completions, index of the first word not yet pushed]. */
  private readonly waiting: [Float64Array, number][] = [];

  constructor(readonly ring: CompletionRing) {}

  /** Completions wait for room. */
  get backlog(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * Sends the first `count` completions of `arr`, copying what does not fit, and publishes.
   * Returns true when the consumer asked to be woken.
   */
  send(arr: Float64Array, count: number): boolean {
    const end = count * COMPLETION_WORDS;
    this.pushWaiting();
    const done = this.waiting.length > 0 ? 0 : this.pushSome(arr, 0, end);
    if (done < end) this.waiting.push([arr.slice(done, end), 0]);
    return this.ring.publish();
  }

  /** Pushes waiting completions as far as they fit, and publishes. Returns true when the consumer asked to be woken. */
  retry(): boolean {
    this.pushWaiting();
    return this.ring.publish();
  }

  private pushWaiting(): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0];
      first[1] = this.pushSome(first[0], first[1], first[0].length);
      if (first[1] < first[0].length) return;
      this.waiting.shift();
    }
  }

  /** Pushes arr[from, end) while there is room; returns where it stopped. */
  private pushSome(arr: Float64Array, from: number, end: number): number {
    const stop = from + Math.min((end - from) / COMPLETION_WORDS, this.ring.room()) * COMPLETION_WORDS;
    for (let w = from; w < stop; w += COMPLETION_WORDS) this.ring.push(arr[w], arr[w + 1], arr[w + 2], arr[w + 3]);
    return stop;
  }
}

/** What a consumer thread receives: the ring, and the port its wake-ups come on. */
export interface CompletionChannel {
  ring: SharedArrayBuffer;
  port: import('node:worker_threads').MessagePort;
}
