import type { Worker } from 'node:worker_threads';

/** Asks a thread to shut down, waits (bounded) for it to exit, then makes sure it is gone. */
export async function stopThread(worker: Worker, shutdownMessage: unknown, timeoutMs: number): Promise<void> {
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.postMessage(shutdownMessage);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  await worker.terminate();
}
