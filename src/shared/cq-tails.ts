import { CQ_UNIT_SIZE, writeCqUnit } from './storage/consumequeue.js';

/** Queues that may have a tail at once; more queues fall back to writing their files at once. */
export const TAIL_COUNT = 4096;
/** Units per tail: a queue never has more than this many units that are not in its file yet. */
export const TAIL_UNITS = 1024;

/**
 * The newest ConsumeQueue units of each queue, in shared memory — Ferry's stand-in for the
 * memory-mapped ConsumeQueue files of RocketMQ. The dispatcher puts each unit here and publishes
 * the queue's max offset at once, but writes units to the queue's file only in batches (when a
 * tail fills, and before every ConsumeQueue flush), so a busy broker with many queues no longer
 * makes one small file write per message. Readers take units at or past `fileMax` from here and
 * older ones from the file.
 *
 * Per tail: units live at (offset mod TAIL_UNITS); `fileMax` says which are in the file already.
 * A version word, odd while the dispatcher changes `fileMax` or re-attaches the tail, lets a
 * reader detect that units it copied may have been replaced, and retry.
 *
 * Layout (bytes): tailOf Int32[MAX_SLOTS] (tail + 1, 0 = none) | version Int32[TAIL_COUNT] |
 * fileMax Float64[TAIL_COUNT] | units [TAIL_COUNT × TAIL_UNITS × 20]. Pages nobody touches cost
 * no memory.
 */
export class CqTails {
  private readonly tailOf: Int32Array;
  private readonly version: Int32Array;
  private readonly fileMax: Float64Array;
  private readonly units: Uint8Array;
  private readonly next: Int32Array;

  static bytes(maxSlots: number): number {
    return 8 + maxSlots * 4 + TAIL_COUNT * 4 + TAIL_COUNT * 8 + TAIL_COUNT * TAIL_UNITS * CQ_UNIT_SIZE;
  }

  constructor(sab: SharedArrayBuffer, byteOffset: number, maxSlots: number) {
    let p = byteOffset;
    this.fileMax = new Float64Array(sab, p, TAIL_COUNT);
    p += TAIL_COUNT * 8;
    this.next = new Int32Array(sab, p, 2);
    p += 8;
    this.tailOf = new Int32Array(sab, p, maxSlots);
    p += maxSlots * 4;
    this.version = new Int32Array(sab, p, TAIL_COUNT);
    p += TAIL_COUNT * 4;
    this.units = new Uint8Array(sab, p, TAIL_COUNT * TAIL_UNITS * CQ_UNIT_SIZE);
  }

  // ---- the dispatcher's side ----

  /**
   * Gives `slot` a tail (its own again if it had one) whose file holds every unit below
   * `fileMax`; -1 when all tails are taken.
   */
  attach(slot: number, fileMax: number): number {
    let t = this.tailOf[slot] - 1;
    if (t < 0) {
      t = this.next[0];
      if (t >= TAIL_COUNT) return -1;
      this.next[0] = t + 1;
    }
    Atomics.add(this.version, t, 1);
    this.fileMax[t] = fileMax;
    Atomics.store(this.tailOf, slot, t + 1);
    Atomics.add(this.version, t, 1);
    return t;
  }

  /** Writes a unit; only units at or past fileMax (never more than TAIL_UNITS past it). */
  put(t: number, queueOffset: number, phy: number, size: number, tagsCode: number): void {
    writeCqUnit(this.units, this.unitPos(t, queueOffset), phy, size, tagsCode);
  }

  /**
   * The units of tail `t` from `queueOffset` on, at most `count`, as one view of shared memory:
   * fewer when the tail's ring wraps before them (ask again from where the view ends).
   */
  unitsAt(t: number, queueOffset: number, count: number): Uint8Array {
    const at = this.unitPos(t, queueOffset);
    const n = Math.min(count, TAIL_UNITS - (queueOffset % TAIL_UNITS));
    return this.units.subarray(at, at + n * CQ_UNIT_SIZE);
  }

  fileMaxOf(t: number): number {
    return this.fileMax[t];
  }

  /** Units below `upTo` are now in the file. */
  written(t: number, upTo: number): void {
    if (upTo <= this.fileMax[t]) return;
    Atomics.add(this.version, t, 1);
    this.fileMax[t] = upTo;
    Atomics.add(this.version, t, 1);
  }

  // ---- readers ----

  /**
   * Where a reader finds units of `slot` from `offset` on: Infinity when all are in the file
   * (no tail), else the tail's fileMax — units below it are read from the file, the rest with
   * `copy`.
   */
  fileLimit(slot: number): number {
    const t = Atomics.load(this.tailOf, slot) - 1;
    return t < 0 ? Infinity : this.fileMax[t];
  }

  /**
   * Copies `count` units from `offset` (at or past fileLimit, all below the published max offset)
   * into dst; returns the count, or -1 if the dispatcher moved the tail meanwhile (read again).
   */
  copy(slot: number, offset: number, count: number, dst: Uint8Array): number {
    const t = Atomics.load(this.tailOf, slot) - 1;
    if (t < 0) return -1;
    const v = Atomics.load(this.version, t);
    if ((v & 1) !== 0 || offset < this.fileMax[t]) return -1;
    for (let i = 0; i < count; i++) {
      const at = this.unitPos(t, offset + i);
      dst.set(this.units.subarray(at, at + CQ_UNIT_SIZE), i * CQ_UNIT_SIZE);
    }
    return Atomics.load(this.version, t) === v && Atomics.load(this.tailOf, slot) === t + 1 ? count : -1;
  }

  private unitPos(t: number, queueOffset: number): number {
    return (t * TAIL_UNITS + (queueOffset % TAIL_UNITS)) * CQ_UNIT_SIZE;
  }
}
