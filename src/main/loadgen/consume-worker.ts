// Worker-thread entry of `ferrymq bench consume`.

import { parentPort, workerData } from 'node:worker_threads';
import { runConsumeWorker, type ConsumeWorkerInput } from './pull-runner.js';

runConsumeWorker(workerData as ConsumeWorkerInput).then(
  (result) => parentPort!.postMessage({ type: 'done', result }),
  (e: unknown) => parentPort!.postMessage({ type: 'failed', message: (e as Error)?.message ?? String(e) }),
);
