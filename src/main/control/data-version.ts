/** RocketMQ's DataVersion: a counter bumped on every change plus the time of that change. */
export class DataVersion {
  counter = 0;
  timestamp = Date.now();

  next(): void {
    this.counter++;
    this.timestamp = Date.now();
  }

  /** Takes the values of a loaded or received DataVersion (tolerates missing fields). */
  assign(v: unknown): void {
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const counter = Number(o.counter);
    const timestamp = Number(o.timestamp);
    if (Number.isFinite(counter)) this.counter = counter;
    if (Number.isFinite(timestamp)) this.timestamp = timestamp;
  }

  /** fastjson field order: counter, timestamp. */
  toJSON(): { counter: number; timestamp: number } {
    return { counter: this.counter, timestamp: this.timestamp };
  }

  snapshot(): { counter: number; timestamp: number } {
    return this.toJSON();
  }
}
