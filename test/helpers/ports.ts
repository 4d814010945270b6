import net from 'node:net';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** A port p such that p and p - 2 (RocketMQ's VIP port) are both free. */
export async function freeBrokerPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if ((await isFree(p)) && (await isFree(p - 2))) return p;
  }
  throw new Error('no free port pair found');
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if (await isFree(p)) return p;
  }
  throw new Error('no free port found');
}
