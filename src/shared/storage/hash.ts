// Java String.hashCode over UTF-16 code units, from a JS string or straight from UTF-8 bytes.
// `seed` continues a running hash, so hash(a + b) === javaHashCode(b, javaHashCode(a)); the index
// dispatcher uses that to hash `topic#key` without building the string.

export function javaHashCode(s: string, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Same value as javaHashCode(utf8Decode(buf[start..end])). Malformed input is replaced by U+FFFD
 * with the WHATWG/Unicode "maximal subpart" rule, the same as Buffer#toString('utf8').
 */
export function javaHashCodeUtf8(buf: Uint8Array, start: number, end: number, seed = 0): number {
  let h = seed | 0;
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      h = (Math.imul(31, h) + b) | 0;
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
      if (b === 0xe0) lower = 0xa0;
      else if (b === 0xed) upper = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
      if (b === 0xf0) lower = 0x90;
      else if (b === 0xf4) upper = 0x8f;
    } else {
      h = (Math.imul(31, h) + 0xfffd) | 0;
      i++;
      continue;
    }
    i++;
    let ok = true;
    for (let k = 0; k < need; k++) {
      const c = i < end ? buf[i] : -1;
      if (c < lower || c > upper) {
        ok = false;
        break; // the offending byte is re-read as a new sequence start
      }
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
      i++;
    }
    if (!ok) {
      h = (Math.imul(31, h) + 0xfffd) | 0;
    } else if (cp > 0xffff) {
      cp -= 0x10000;
      h = (Math.imul(31, h) + (0xd800 + (cp >> 10))) | 0;
      h = (Math.imul(31, h) + (0xdc00 + (cp & 0x3ff))) | 0;
    } else {
      h = (Math.imul(31, h) + cp) | 0;
    }
  }
  return h;
}
