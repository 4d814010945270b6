// Per-request patching of a SendTemplate copy: opaque, bornTimestamp, UNIQ_KEY tails, KEYS.

import { writeDecimal } from './ascii.js';
import { BORN_DIGITS, KEYS_DIGITS, OPAQUE_DIGITS, type SendTemplate } from './send-template.js';
import { UniqKeyGenerator } from './uniq-key.js';

/** The current millisecond, rendered once per change into the byte forms frames need. */
export class SendClock {
  now = -1;
  readonly born = new Uint8Array(BORN_DIGITS);
  readonly keys = new Uint8Array(KEYS_DIGITS);
  uniqTime = 0;

  constructor(private readonly uniq: UniqKeyGenerator) {}

  tick(): void {
    const t = Date.now();
    if (t === this.now) return;
    this.now = t;
    writeDecimal(this.born, 0, t, BORN_DIGITS);
    writeDecimal(this.keys, 0, Math.floor(t / 1000), KEYS_DIGITS);
    this.uniqTime = this.uniq.timePart(t);
  }
}

function copySmall(src: Uint8Array, dst: Uint8Array, at: number): void {
  for (let i = 0; i < src.length; i++) dst[at + i] = src[i];
}

/**
 * Writes the template's frame at dst[at] with this request's queue id (same digit count as the
 * template's), opaque, the clock's time and consecutive UNIQ_KEY counters starting at `counter`.
 * dst must have tpl.frame.length bytes free.
 */
export function stampFrame(dst: Buffer, at: number, tpl: SendTemplate, queueId: number, opaque: number, clock: SendClock, counter: number): void {
  tpl.frame.copy(dst, at);
  writeDecimal(dst, at + tpl.queueIdPos, queueId, tpl.queueIdDigits);
  if (tpl.opaqueDecimal) writeDecimal(dst, at + tpl.opaquePos, opaque, OPAQUE_DIGITS);
  else dst.writeInt32BE(opaque, at + tpl.opaquePos);
  copySmall(clock.born, dst, at + tpl.bornPos);
  const u = tpl.uniqPos;
  for (let i = 0; i < u.length; i++) UniqKeyGenerator.writeTail(dst, at + u[i], clock.uniqTime, (counter + i) & 0xffff);
  const k = tpl.keysPos;
  for (let i = 0; i < k.length; i++) copySmall(clock.keys, dst, at + k[i]);
}
