/** A re-put of one SCHEDULE_TOPIC_XXXX unit, from ring entry to the store writer's completion. */
export interface UnitPut {
  readonly offset: number;
  state: 'pending' | 'done' | 'failed';
}

/** ScheduleMessageService's DELAY_FOR_A_PERIOD: a failed re-put is tried again after this. */
export const RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * The delivery progress of one delay level. Units are read in queue order (`cursor`) and re-put
 * several at a time; `progress` (what delayOffset.json stores) only moves past a unit once its
 * re-put is stored, so a crash or a failed put re-delivers instead of losing. After a failure the
 * level stops reading, lets the in-flight puts finish, then rewinds to the failed unit and waits
 * RETRY_AFTER_FAILURE_MS; units after it that were stored meanwhile are remembered and skipped
 * on the second pass, so they are not delivered twice.
 */
export class LevelTracker {
  /** Next queue offset to read. */
  cursor: number;
  /** No reads before this time (ms) after a failure. */
  retryAt = 0;
  private readonly puts: UnitPut[] = [];
  private pendingCount = 0;
  private failing = false;
  private readonly storedAhead = new Set<number>();

  constructor(
    readonly level: number,
    startOffset: number,
  ) {
    this.cursor = startOffset;
  }

  /** Next queue offset whose delivery is not confirmed: everything before it is delivered. */
  get progress(): number {
    return this.puts.length > 0 ? this.puts[0].offset : this.cursor;
  }

  get inFlight(): number {
    return this.pendingCount;
  }

  /** True when new units may be read now. */
  canRead(now: number, maxInFlight: number): boolean {
    return !this.failing && now >= this.retryAt && this.pendingCount < maxInFlight;
  }

  /** The unit at `cursor` was stored by an earlier pass: consume it without a re-put. */
  wasStored(offset: number): boolean {
    return this.storedAhead.has(offset);
  }

  /** Moves `cursor` (and `progress`, if nothing is in flight) forward to the queue's min offset. */
  skipTo(minOffset: number): void {
    if (this.puts.length === 0 && this.cursor < minOffset) this.cursor = minOffset;
  }

  /** Moves back to the queue's max offset when the saved progress is past it (store lost units). */
  clampTo(maxOffset: number): void {
    if (this.puts.length === 0 && this.cursor > maxOffset) this.cursor = maxOffset;
  }

  /** The unit at `cursor` needs no re-put (unreadable, undeliverable, or stored before). */
  skip(): void {
    this.storedAhead.delete(this.cursor);
    this.puts.push({ offset: this.cursor++, state: 'done' });
    this.advance();
  }

  /** The unit at `cursor` was put in the ring. */
  started(): UnitPut {
    const put: UnitPut = { offset: this.cursor++, state: 'pending' };
    this.puts.push(put);
    this.pendingCount++;
    return put;
  }

  /** The store writer's answer for a re-put. */
  completed(put: UnitPut, stored: boolean, now: number): void {
    if (put.state !== 'pending') return;
    put.state = stored ? 'done' : 'failed';
    this.pendingCount--;
    if (!stored) this.failing = true;
    this.advance();
    if (this.failing && this.pendingCount === 0) this.rewind(now);
  }

  private advance(): void {
    let n = 0;
    while (n < this.puts.length && this.puts[n].state === 'done') n++;
    if (n > 0) this.puts.splice(0, n);
  }

  /** All puts have answered and one failed: restart from the first failed unit later. */
  private rewind(now: number): void {
    const first = this.puts[0];
    for (const p of this.puts) if (p.state === 'done') this.storedAhead.add(p.offset);
    this.puts.length = 0;
    this.cursor = first ? first.offset : this.cursor;
    this.failing = false;
    this.retryAt = now + RETRY_AFTER_FAILURE_MS;
  }
}
