// IEEE 802.3 / zip CRC32 (java.util.zip.CRC32): slicing-by-8 in JS, or zlib's native crc32
// (Node 20.15+) for longer inputs, where it is several times faster.
import zlib from 'node:zlib';

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
/** Below this many bytes the JS loop beats the native call's overhead. */
const NATIVE_FROM = 256;

const T0 = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T0[n] = c;
}
function nextTable(prev: Int32Array): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) t[n] = (prev[n] >>> 8) ^ T0[prev[n] & 255];
  return t;
}
const T1 = nextTable(T0);
const T2 = nextTable(T1);
const T3 = nextTable(T2);
const T4 = nextTable(T3);
const T5 = nextTable(T4);
const T6 = nextTable(T5);
const T7 = nextTable(T6);

/** Continues a CRC: pass the previous unsigned result (0 to start). Returns unsigned. */
export function crc32Update(crc: number, buf: Uint8Array, start: number, end: number): number {
  if (nativeCrc32 && end - start >= NATIVE_FROM) return nativeCrc32(buf.subarray(start, end), crc);
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    c =
      T7[c & 255] ^
      T6[(c >>> 8) & 255] ^
      T5[(c >>> 16) & 255] ^
      T4[c >>> 24] ^
      T3[buf[i + 4]] ^
      T2[buf[i + 5]] ^
      T1[buf[i + 6]] ^
      T0[buf[i + 7]];
  }
  for (; i < end; i++) c = T0[(c ^ buf[i]) & 255] ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32(buf: Uint8Array, start: number, end: number): number {
  return crc32Update(0, buf, start, end);
}

/** The BODYCRC value RocketMQ stores (UtilAll.crc32): crc32 & 0x7fffffff. */
export function bodyCrc(buf: Uint8Array, start: number, end: number): number {
  return crc32Update(0, buf, start, end) & 0x7fffffff;
}
