// Worker-thread entry of `ferrymq bench produce`.

import { parentPort, workerData } from 'node:worker_threads';
import { runProduceWorker, type ProduceWorkerInput } from './produce-runner.js';

runProduceWorker(workerData as ProduceWorkerInput).then(
  (result) => parentPort!.postMessage({ type: 'done', result }),
  (e: unknown) => parentPort!.postMessage({ type: 'failed', message: (e as Error)?.message ?? String(e) }),
);
