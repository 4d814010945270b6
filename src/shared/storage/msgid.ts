// offsetMsgId (reference doc §5.1): hex(storeIp | port int | commit-log offset long), upper case.

import { formatIp } from './ip.js';

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).toUpperCase().padStart(2, '0'));
const TWO32 = 4294967296;

function hexInt(v: number): string {
  return HEX[(v >>> 24) & 255] + HEX[(v >>> 16) & 255] + HEX[(v >>> 8) & 255] + HEX[v & 255];
}

export function createOffsetMsgId(hostIp: Uint8Array, port: number, offset: number): string {
  if (hostIp.length !== 4 && hostIp.length !== 16) {
    throw new RangeError(`host IP must be 4 or 16 bytes, got ${hostIp.length}`);
  }
  let s = '';
  for (let i = 0; i < hostIp.length; i++) s += HEX[hostIp[i]];
  return s + hexInt(port) + hexInt(Math.floor(offset / TWO32)) + hexInt(offset >>> 0);
}

function parseHexInt(id: string, at: number): number {
  return parseInt(id.slice(at, at + 8), 16) | 0;
}

/** Decodes an offsetMsgId: 32 hex chars for an IPv4 store host, 56 for IPv6. */
export function decodeOffsetMsgId(id: string): { host: string; port: number; offset: number } {
  const ipLen = id.length === 32 ? 4 : id.length === 56 ? 16 : -1;
  if (ipLen < 0) throw new RangeError(`message id must be 32 or 56 hex chars, got ${id.length}`);
  if (!/^[0-9a-fA-F]*$/.test(id)) throw new RangeError(`message id is not hex: ${id}`);
  const ip = new Uint8Array(ipLen);
  for (let i = 0; i < ipLen; i++) ip[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  const at = ipLen * 2;
  const port = parseHexInt(id, at);
  const offset = parseHexInt(id, at + 8) * TWO32 + (parseHexInt(id, at + 16) >>> 0);
  return { host: formatIp(ip, 0, ipLen), port, offset };
}
