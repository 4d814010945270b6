// Reads (code, opaque, isResponse) of each remoting frame in a byte stream without decoding the
// header into objects: the producer only needs to know which request finished and how.

import { SerializeType } from '../../shared/codes.js';
import { indexOfBytes, readDecimal } from './ascii.js';

export type ResponseSink = (code: number, opaque: number, isResponse: boolean) => void;

const CODE_KEY = Buffer.from('"code":', 'latin1');
const OPAQUE_KEY = Buffer.from('"opaque":', 'latin1');
const FLAG_KEY = Buffer.from('"flag":', 'latin1');

/** Value of a top-level numeric JSON key such as "opaque": (string values of the same key are skipped). */
function jsonNumber(buf: Uint8Array, key: Uint8Array, start: number, end: number): number {
  let p = start;
  for (;;) {
    const i = indexOfBytes(buf, key, p, end);
    if (i < 0) return -1;
    const v = i + key.length;
    const c = buf[v];
    if ((c >= 48 && c <= 57) || c === 45) return readDecimal(buf, v, end);
    p = v;
  }
}

export class ResponseScanner {
  private carry: Buffer = Buffer.allocUnsafe(4096);
  private carryLen = 0;

  constructor(private readonly sink: ResponseSink, private readonly maxFrame = 16 * 1024 * 1024) {}

  /** Feeds bytes src[start, end); calls the sink for every complete frame. Throws on a bad length. */
  push(src: Uint8Array, start: number, end: number): void {
    let p = start;
    if (this.carryLen > 0) {
      // complete the straddling frame first
      p = this.fill(src, p, end, 4);
      if (this.carryLen < 4) return;
      const need = 4 + this.frameLen(this.carry, 0);
      p = this.fill(src, p, end, need);
      if (this.carryLen < need) return;
      this.frame(this.carry, 0, need);
      this.carryLen = 0;
    }
    while (end - p >= 4) {
      const total = 4 + this.frameLen(src, p);
      if (end - p < total) break;
      this.frame(src, p, total);
      p += total;
    }
    if (p < end) this.fill(src, p, end, end - p);
  }

  private fill(src: Uint8Array, p: number, end: number, upTo: number): number {
    const n = Math.min(upTo - this.carryLen, end - p);
    if (n <= 0) return p;
    if (this.carryLen + n > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryLen + n));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    this.carry.set(src.subarray(p, p + n), this.carryLen);
    this.carryLen += n;
    return p + n;
  }

  private frameLen(buf: Uint8Array, p: number): number {
    const len = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) | 0;
    if (len < 4 || len > this.maxFrame) throw new RangeError(`frame length ${len} is outside 4..${this.maxFrame}`);
    return len;
  }

  /** buf[p, p + total) is one whole frame, length prefix included. */
  private frame(buf: Uint8Array, p: number, total: number): void {
    const typeLen = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
    const type = typeLen >>> 24;
    const h = p + 8;
    const hEnd = Math.min(h + (typeLen & 0xffffff), p + total);
    if (type === SerializeType.ROCKETMQ) {
      if (hEnd - h < 21) return;
      const code = ((buf[h] << 24) | (buf[h + 1] << 16)) >> 16;
      const opaque = (buf[h + 5] << 24) | (buf[h + 6] << 16) | (buf[h + 7] << 8) | buf[h + 8];
      const flag = buf[h + 12];
      this.sink(code, opaque, (flag & 1) !== 0);
    } else {
      const code = jsonNumber(buf, CODE_KEY, h, hEnd);
      const opaque = jsonNumber(buf, OPAQUE_KEY, h, hEnd);
      const flag = jsonNumber(buf, FLAG_KEY, h, hEnd);
      this.sink(code, opaque, flag >= 0 && (flag & 1) !== 0);
    }
  }
}
