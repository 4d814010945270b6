// Client message ids (UNIQ_KEY, reference doc §5.2) in the Java client's 32-hex-char IPv4 form:
// ip(4) pid(2) salt(4) | ms since the start of the month(4) counter(2). The first 20 hex chars are
// fixed per generator; the last 12 are patched into frames per message.

import { networkInterfaces } from 'node:os';
import { randomInt } from 'node:crypto';
import { writeHex } from './ascii.js';

export const UNIQ_KEY_LENGTH = 32;
export const UNIQ_PREFIX_LENGTH = 20;
export const UNIQ_TAIL_LENGTH = 12;

/** The first non-internal IPv4 address of this host, else 127.0.0.1 (as Java's UtilAll.getIP falls back). */
export function localIpv4(): Uint8Array {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return Uint8Array.from(a.address.split('.').map(Number));
    }
  }
  return Uint8Array.of(127, 0, 0, 1);
}

function monthStart(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), 1).getTime();
}

function nextMonthStart(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

export class UniqKeyGenerator {
  /** 20 upper-case hex chars: ip, pid, salt. */
  readonly prefix: string;
  private startTime = 0;
  private nextStartTime = 0;
  private counter = 0;

  constructor(ip: Uint8Array = localIpv4(), pid = process.pid, salt = randomInt(0, 0x7fffffff)) {
    if (ip.length !== 4) throw new RangeError('UNIQ_KEY prefix needs an IPv4 address');
    const b = Buffer.alloc(10);
    b.set(ip, 0);
    b.writeUInt16BE(pid & 0xffff, 4);
    b.writeInt32BE(salt | 0, 6);
    this.prefix = b.toString('hex').toUpperCase();
  }

  /** The time part for `now` (ms since the start of the local month), as Java computes it. */
  timePart(now: number): number {
    if (now >= this.nextStartTime) {
      this.startTime = monthStart(now);
      this.nextStartTime = nextMonthStart(now);
    }
    return (now - this.startTime) | 0;
  }

  /** Reserves `n` consecutive counter values and returns the first (16-bit, wrapping). */
  take(n: number): number {
    const c = this.counter;
    this.counter = (c + n) & 0xffff;
    return c;
  }

  /** Writes the 12-char tail (time part, counter) at dst[pos]. */
  static writeTail(dst: Uint8Array, pos: number, timePart: number, counter: number): void {
    writeHex(dst, pos, timePart, 8);
    writeHex(dst, pos + 8, counter, 4);
  }

  /** The full key for a (time part, counter) pair: used off the hot path (key recording, tests). */
  key(timePart: number, counter: number): string {
    const b = Buffer.allocUnsafe(UNIQ_TAIL_LENGTH);
    UniqKeyGenerator.writeTail(b, 0, timePart, counter & 0xffff);
    return this.prefix + b.toString('latin1');
  }

  /** Allocating convenience: a fresh key for `now`. */
  next(now = Date.now()): string {
    return this.key(this.timePart(now), this.take(1));
  }
}
