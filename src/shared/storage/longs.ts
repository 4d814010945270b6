// Big-endian integer access on plain Uint8Array views (works on SharedArrayBuffer-backed memory,
// unlike Buffer/DataView conveniences that may allocate). 64-bit values are JS numbers: exact up
// to 2^53, which covers every offset and timestamp the store uses.

const TWO32 = 4294967296;

export function readInt(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

export function writeInt(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/** Signed 16-bit read (Java `getShort`). */
export function readShort(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16)) >> 16;
}

export function writeShort(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

export function readLong(buf: Uint8Array, off: number): number {
  // hi is signed, lo unsigned: hi * 2^32 + lo is the two's-complement value for negatives too.
  return readInt(buf, off) * TWO32 + (readInt(buf, off + 4) >>> 0);
}

export function writeLong(buf: Uint8Array, off: number, v: number): void {
  writeInt(buf, off, Math.floor(v / TWO32));
  writeInt(buf, off + 4, v >>> 0);
}

/**
 * Copies `src` to buf[off] and returns the position after it. A plain loop: for the short
 * constant parts of a response frame it costs a fraction of Buffer#copy's call into native code.
 */
export function putBytes(buf: Uint8Array, off: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) buf[off + i] = src[i];
  return off + src.length;
}
