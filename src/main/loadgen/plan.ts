// How a producer run is split: connections over brokers and worker threads, message quotas per
// connection (as the Java tool splits -q over its threads: equal shares, remainder to the first).

import { randomInt } from 'node:crypto';

export interface ConnectionPlan {
  target: number;
  /** messages, -1 = until stopped */
  quota: number;
  rrStart: number;
}

export function splitConnections(connections: number, workers: number, targets: number, count: number | null, batch: number): ConnectionPlan[][] {
  const slots = Math.max(1, Math.min(workers, connections));
  const plan: ConnectionPlan[][] = Array.from({ length: slots }, () => []);
  for (let i = 0; i < connections; i++) {
    let quota = -1;
    if (count !== null) {
      quota = Math.floor(count / connections) + (i === 0 ? count % connections : 0);
      if (quota === 0) continue;
      // whole requests: a batch run rounds each share up to a multiple of the batch
      quota = Math.ceil(quota / batch) * batch;
    }
    plan[i % slots].push({ target: i % targets, quota, rrStart: Math.floor(i / targets) });
  }
  return plan.filter((p) => p.length > 0);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random alphanumeric body, as the Java tool builds its message body. */
export function randomBody(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = ALNUM.charCodeAt(randomInt(ALNUM.length));
  return b;
}
