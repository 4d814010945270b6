/** Nobody notifies this word: waiting on it is a plain sleep. */
const never = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks this thread for `ms` (fractions allowed) without spinning. Its event loop does not run
 * meanwhile, which is the point: callers use it to let work gather before their next turn.
 */
export function sleepThread(ms: number): void {
  Atomics.wait(never, 0, 0, ms);
}
