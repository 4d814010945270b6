// UTF-8 helpers that also work on views of SharedArrayBuffer (TextDecoder rejects those).

export function utf8Slice(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8');
}

export function bytesEqual(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array): boolean {
  const n = aEnd - aStart;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[i]) return false;
  return true;
}
