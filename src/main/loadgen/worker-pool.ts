// Runs one job per worker thread (or inline on the main thread when there are no workers) and
// collects each job's result.

import { Worker } from 'node:worker_threads';

export interface JobMessage<R> {
  type: 'done' | 'failed';
  result?: R;
  message?: string;
}

/**
 * Starts `inputs.length` jobs: in worker threads running `script` (which posts one JobMessage),
 * or, when `inline` is given, by calling it on this thread. Rejects when a job fails.
 */
export function runJobs<I, R>(script: URL, inputs: I[], inline: ((input: I) => Promise<R>) | null): Promise<R[]> {
  if (inline) return Promise.all(inputs.map((i) => inline(i)));
  return Promise.all(
    inputs.map(
      (input) =>
        new Promise<R>((resolve, reject) => {
          const w = new Worker(script, { workerData: input });
          let settled = false;
          w.once('message', (m: JobMessage<R>) => {
            settled = true;
            if (m.type === 'done') resolve(m.result as R);
            else reject(new Error(m.message ?? 'worker failed'));
          });
          w.once('error', (e) => {
            settled = true;
            reject(e);
          });
          w.once('exit', (code) => {
            if (!settled) reject(new Error(`worker exited with code ${code} before it finished`));
          });
        }),
    ),
  );
}
