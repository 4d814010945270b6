// Walks the stored records of a pull body: counts them, measures born/store-to-consume latency,
// and (when asked) collects their UNIQ_KEYs. Reads fields in place; no message objects.

import { readInt, readLong } from '../../shared/storage/longs.js';
import { POS_BORNTIMESTAMP, POS_SYSFLAG, posStoreTimestamp, recordPropertiesRange } from '../../shared/storage/message.js';
import { findProperty } from '../../shared/storage/properties.js';
import { utf8Slice } from '../../shared/storage/text.js';
import { C } from './counters.js';

const UNIQ_KEY = Buffer.from('UNIQ_KEY', 'latin1');

export class RecordScanner {
  private readonly range = new Int32Array(2);
  private readonly value = new Int32Array(2);

  constructor(private readonly counters: Float64Array, private readonly keys: string[] | null) {}

  /** Accounts every record of `body` as consumed at `now` (ms); returns the record count. */
  scan(body: Buffer, now: number): number {
    const c = this.counters;
    let n = 0;
    let b2cMax = c[C.B2C_MAX];
    let s2cMax = c[C.S2C_MAX];
    for (let p = 0; p + 4 <= body.length; ) {
      const size = readInt(body, p);
      if (size <= 0 || p + size > body.length) throw new RangeError(`bad record size ${size} at ${p} of a ${body.length}-byte pull body`);
      const sysFlag = readInt(body, p + POS_SYSFLAG);
      const b2c = now - readLong(body, p + POS_BORNTIMESTAMP);
      const s2c = now - readLong(body, p + posStoreTimestamp(sysFlag));
      c[C.B2C_TOTAL] += b2c;
      c[C.S2C_TOTAL] += s2c;
      if (b2c > b2cMax) b2cMax = b2c;
      if (s2c > s2cMax) s2cMax = s2c;
      if (this.keys) {
        recordPropertiesRange(body, p, this.range);
        if (findProperty(body, this.range[0], this.range[1], UNIQ_KEY, this.value)) this.keys.push(utf8Slice(body, this.value[0], this.value[1]));
      }
      n++;
      p += size;
    }
    c[C.B2C_MAX] = b2cMax;
    c[C.S2C_MAX] = s2cMax;
    c[C.MSGS] += n;
    c[C.BYTES] += body.length;
    return n;
  }
}
