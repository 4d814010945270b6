import { putBytes, writeInt } from '../storage/longs.js';

/**
 * Byte writers shared by the response encoders that write a header straight into the output
 * (send and pull answers): per message or per pull, so they write bytes one by one rather than
 * through Buffer's methods.
 */

/** A binary header's key: its 2-byte length and its bytes. */
export const keyBytes = (key: string): Buffer => Buffer.concat([Buffer.from([0, key.length]), Buffer.from(key, 'latin1')]);

/** Writes a key made by keyBytes and the length word of its value; returns where the value goes. */
export function binaryKey(dst: Uint8Array, p: number, key: Uint8Array, valueLen: number): number {
  p = putBytes(dst, p, key);
  writeInt(dst, p, valueLen);
  return p + 4;
}

/** Characters of String(v) for a safe integer. */
export function decimalLength(v: number): number {
  let n = v < 0 ? 2 : 1;
  const a = Math.abs(v);
  // Powers of ten are exact doubles far beyond 2^53.
  for (let t = 10; a >= t; t *= 10) n++;
  return n;
}

/** Writes String(v) for a safe integer as ASCII; returns the position after it. */
export function writeDecimal(dst: Uint8Array, p: number, v: number): number {
  return digits(dst, p, v, decimalLength(v));
}

/** writeDecimal when the caller has decimalLength(v) already. */
export function digits(dst: Uint8Array, p: number, v: number, len: number): number {
  const end = p + len;
  if (v < 0) {
    dst[p] = 0x2d;
    v = -v;
  }
  let q = end;
  do {
    const next = Math.floor(v / 10);
    dst[--q] = 0x30 + (v - next * 10);
    v = next;
  } while (v > 0);
  return end;
}
