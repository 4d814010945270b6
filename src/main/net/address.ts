/** Splits "host:port" (IPv6 as "[::1]:9876" or bare with the port after the last colon). */
export function parseHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = i >= 0 ? Number(addr.slice(i + 1)) : NaN;
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad address "${addr}": expected host:port`);
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}
