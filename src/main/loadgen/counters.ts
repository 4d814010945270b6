// Counters each worker thread updates in shared memory (one writer per slice) and the main thread
// samples once a second. Plain Float64 stores: a sample may be a microsecond stale, never torn on
// the 64-bit platforms Node supports.

/** Producer slice layout. Counts are messages (a batch request counts its messages). */
export const P = {
  OK_MSGS: 0,
  OK_REQUESTS: 1,
  SEND_FAILED: 2,
  RESPONSE_FAILED: 3,
  /** sum of request round trips of OK requests, ms */
  RT_TOTAL: 4,
  /** longest OK round trip since the start, ms */
  RT_MAX: 5,
  IN_FLIGHT: 6,
} as const;

/** Consumer slice layout. */
export const C = {
  MSGS: 0,
  /** sum of (arrival - bornTimestamp), ms */
  B2C_TOTAL: 1,
  /** sum of (arrival - storeTimestamp), ms */
  S2C_TOTAL: 2,
  /** since the last report (the main thread resets them, as RocketMQ's Consumer tool does) */
  B2C_MAX: 3,
  S2C_MAX: 4,
  FAILED_PULLS: 5,
  BYTES: 6,
} as const;

export const SLICE = 8;

/** Control words (Int32Array): the main thread raises STOP when the run should end. */
export const CTRL_STOP = 0;
export const CTRL_WORDS = 2;

export function counterSlices(sab: SharedArrayBuffer, index: number): Float64Array {
  return new Float64Array(sab, index * SLICE * 8, SLICE);
}

export function newCounters(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, workers) * SLICE * 8);
}

/** Sum of one field over every slice. */
export function total(sab: SharedArrayBuffer, field: number): number {
  const all = new Float64Array(sab);
  let s = 0;
  for (let i = field; i < all.length; i += SLICE) s += all[i];
  return s;
}

export function maxOf(sab: SharedArrayBuffer, field: number): number {
  const all = new Float64Array(sab);
  let m = 0;
  for (let i = field; i < all.length; i += SLICE) if (all[i] > m) m = all[i];
  return m;
}

export function resetField(sab: SharedArrayBuffer, field: number): void {
  const all = new Float64Array(sab);
  for (let i = field; i < all.length; i += SLICE) all[i] = 0;
}
