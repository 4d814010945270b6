// IP address bytes <-> text, for the host fields of stored records and message ids.

/** Dotted quad for 4 bytes; RFC 5952 text (lower-case, longest zero run as "::") for 16. */
export function formatIp(buf: Uint8Array, off: number, len: number): string {
  if (len === 4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  if (len !== 16) throw new RangeError(`IP address must be 4 or 16 bytes, got ${len}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((buf[off + i] << 8) | buf[off + i + 1]);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** "ip:port", with brackets around IPv6 ("[::1]:10911"). */
export function formatHostPort(buf: Uint8Array, off: number, len: number, port: number): string {
  const ip = formatIp(buf, off, len);
  return len === 16 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Parses an IPv4 or IPv6 literal (brackets and a trailing "%zone" are tolerated). */
export function parseIp(text: string): Buffer {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const out = Buffer.alloc(4);
    for (let i = 0; i < 4; i++) {
      const n = Number(v4[i + 1]);
      if (n > 255) throw new RangeError(`invalid IPv4 address: ${text}`);
      out[i] = n;
    }
    return out;
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const bad = () => new RangeError(`invalid IP address: ${text}`);
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes('.')) {
        const b = parseIp(item);
        if (b.length !== 4) throw bad();
        groups.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) throw bad();
        groups.push(parseInt(item, 16));
      }
    }
    return groups;
  };
  const head = toGroups(halves[0]);
  const tail = halves.length === 2 ? toGroups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw bad();
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >>> 8;
    out[2 * i + 1] = groups[i] & 255;
  }
  return out;
}
