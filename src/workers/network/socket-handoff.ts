/**
 * Receiving side of the acceptor's socket hand-off: a unix socket that the acceptor connects to
 * with an IPC pipe; each accepted TCP socket arrives as a handle passed with SCM_RIGHTS (the
 * mechanism Node's cluster module uses). See the acceptor for the sending side.
 */
import net from 'node:net';

interface PipeHandle {
  open(fd: number): number;
  readStart(): number;
  onread: ((...args: unknown[]) => void) | null;
  pendingHandle: unknown;
}

// Node's internal handle types; DEP0111 is a documentation-only deprecation on Node 20.
const binding = (process as unknown as { binding(name: string): any }).binding;
const { Pipe, constants: PipeConstants } = binding('pipe_wrap');

export function receiveSockets(path: string, onSocket: (makeSocket: (opts?: object) => net.Socket) => void): Promise<net.Server> {
  const keep: net.Socket[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    keep.push(s); // its fd is reused by the IPC pipe below; it must never be closed on its own
    const ipc: PipeHandle = new Pipe(PipeConstants.IPC);
    const err = ipc.open((s as unknown as { _handle: { fd: number } })._handle.fd);
    if (err) throw new Error(`cannot open the hand-off pipe: ${err}`);
    ipc.onread = () => {
      const handle = ipc.pendingHandle;
      if (!handle) return;
      ipc.pendingHandle = null;
      onSocket((opts) => new net.Socket({ handle, readable: true, writable: true, ...opts } as unknown as net.SocketConstructorOpts));
    };
    ipc.readStart();
    server.close();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
