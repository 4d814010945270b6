// SEND_BATCH_MESSAGE body (reference doc §4.6): elements of
// [int totalSize][int magic=0][int crc=0][int flag][int bodyLen][body][short propsLen][props].

import { readInt, readShort, writeInt, writeShort } from './longs.js';

export interface BatchElement {
  flag: number;
  bodyStart: number;
  bodyEnd: number;
  propsStart: number;
  propsEnd: number;
}

const ELEMENT_HEADER = 20;

/**
 * Splits a batch body. Like the Java broker, elements are walked by their body/properties
 * lengths; the leading totalSize/magic/crc ints are not trusted. Throws RangeError on truncated
 * elements or negative lengths.
 */
export function decodeBatch(body: Uint8Array): BatchElement[] {
  const out: BatchElement[] = [];
  const end = body.length;
  let p = 0;
  while (p < end) {
    const at = p;
    if (p + ELEMENT_HEADER > end) {
      throw new RangeError(`batch element #${out.length} at byte ${at}: header truncated (${end - p} bytes left)`);
    }
    const flag = readInt(body, p + 12);
    const bodyLen = readInt(body, p + 16);
    p += ELEMENT_HEADER;
    if (bodyLen < 0) throw new RangeError(`batch element #${out.length} at byte ${at}: negative body length ${bodyLen}`);
    if (p + bodyLen + 2 > end) {
      throw new RangeError(`batch element #${out.length} at byte ${at}: body length ${bodyLen} runs past the end`);
    }
    const bodyStart = p;
    p += bodyLen;
    const propsLen = readShort(body, p);
    p += 2;
    if (propsLen < 0) {
      throw new RangeError(`batch element #${out.length} at byte ${at}: negative properties length ${propsLen}`);
    }
    if (p + propsLen > end) {
      throw new RangeError(`batch element #${out.length} at byte ${at}: properties length ${propsLen} runs past the end`);
    }
    out.push({ flag, bodyStart, bodyEnd: bodyStart + bodyLen, propsStart: p, propsEnd: p + propsLen });
    p += propsLen;
  }
  return out;
}

export function encodeBatch(msgs: { flag: number; body: Uint8Array; properties: Uint8Array }[]): Buffer {
  let total = 0;
  for (const m of msgs) {
    if (m.properties.length > 32767) throw new RangeError(`properties are ${m.properties.length} bytes, max 32767`);
    total += ELEMENT_HEADER + m.body.length + 2 + m.properties.length;
  }
  const buf = Buffer.alloc(total);
  let p = 0;
  for (const m of msgs) {
    const size = ELEMENT_HEADER + m.body.length + 2 + m.properties.length;
    writeInt(buf, p, size);
    // magic and crc stay 0: the broker ignores them
    writeInt(buf, p + 12, m.flag);
    writeInt(buf, p + 16, m.body.length);
    buf.set(m.body, p + ELEMENT_HEADER);
    writeShort(buf, p + ELEMENT_HEADER + m.body.length, m.properties.length);
    buf.set(m.properties, p + ELEMENT_HEADER + m.body.length + 2);
    p += size;
  }
  return buf;
}
