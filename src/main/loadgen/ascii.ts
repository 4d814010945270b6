// Fixed-width ASCII numbers written straight into byte buffers (no strings on the hot path).

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');

/** Writes `value` (0 <= value < 10^width) as exactly `width` decimal digits, zero-padded. */
export function writeDecimal(dst: Uint8Array, pos: number, value: number, width: number): void {
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    const q = Math.floor(v / 10);
    dst[pos + i] = 48 + (v - q * 10);
    v = q;
  }
}

/** Writes the low `nibbles * 4` bits of `value` as upper-case hex digits. */
export function writeHex(dst: Uint8Array, pos: number, value: number, nibbles: number): void {
  let v = value >>> 0;
  for (let i = nibbles - 1; i >= 0; i--) {
    dst[pos + i] = HEX_UPPER[v & 15];
    v >>>= 4;
  }
}

/** Parses a non-negative decimal integer from ASCII bytes; -1 when there is no digit. */
export function readDecimal(src: Uint8Array, pos: number, end: number): number {
  let v = 0;
  let n = 0;
  let p = pos;
  let neg = false;
  if (p < end && src[p] === 45) {
    neg = true;
    p++;
  }
  for (; p < end; p++, n++) {
    const c = src[p] - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  if (n === 0) return -1;
  return neg ? -v : v;
}

/** Index of `needle` in src[from, end), or -1. */
export function indexOfBytes(src: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  const first = needle[0];
  const last = end - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (src[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (src[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
