// Runs fuzz targets in a worker thread, so that the parent can notice a decoder that hangs (no
// progress) and terminate it. Used by decoders.test.ts (CI) and bench/fuzz/run.mjs (long runs).
// Loaded without workerData (as the test runner does with every file under test/) it does nothing.
import fc from 'fast-check';
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import { targetByName } from './targets.js';

export interface RunSpec {
  name: string;
  runs: number;
}

export interface FuzzFailure {
  target: string;
  seed: number;
  /** fast-check replay path of the failing run (with the seed: `fc.assert(p, { seed, path })`) */
  path: string | null;
  counterexample: string;
  error: string;
  knownBug?: string;
}

export type FromFuzzWorker =
  | { kind: 'progress'; target: string; done: number; total: number }
  | { kind: 'target-done'; target: string; runs: number; ms: number; violations: number }
  | { kind: 'failure'; failure: FuzzFailure }
  | { kind: 'done' };

interface WorkerInput {
  fuzzSpecs: RunSpec[];
  seed: number;
  /** runs per fc.check call; each call gets seed + its index */
  chunk: number;
  /** stop a target at its first failure (CI) instead of counting the violations of the rest */
  stopAtFailure: boolean;
}

const PROGRESS_EVERY = 200;

function run(input: WorkerInput, post: (m: FromFuzzWorker) => void): void {
  let chunkIndex = 0;
  for (const spec of input.fuzzSpecs) {
    const t = targetByName(spec.name);
    const arb = t.arb();
    const t0 = Date.now();
    let done = 0;
    let counter = 0;
    let violations = 0;
    const tick = () => {
      if (++counter % PROGRESS_EVERY === 0) post({ kind: 'progress', target: t.name, done: done + counter, total: spec.runs });
    };
    const prop = fc.property(arb, (x) => {
      tick();
      t.check(x);
    });
    // after the first (shrunk, reported) failure the remaining runs only count the violations
    const counting = fc.property(arb, (x) => {
      tick();
      try {
        t.check(x);
      } catch {
        violations++;
      }
    });
    let failed = false;
    while (done < spec.runs) {
      const numRuns = Math.min(input.chunk, spec.runs - done);
      const seed = (input.seed + chunkIndex++) | 0;
      counter = 0;
      const d = fc.check(failed ? counting : prop, { numRuns, seed });
      if (d.failed) {
        const err = d.errorInstance instanceof Error ? `${d.errorInstance.name}: ${d.errorInstance.message}` : String(d.errorInstance);
        post({ kind: 'failure', failure: { target: t.name, seed, path: d.counterexamplePath, counterexample: fc.stringify(d.counterexample).slice(0, 4000), error: err.slice(0, 4000), knownBug: t.knownBug } });
        failed = true;
        violations++;
        if (input.stopAtFailure) {
          done += d.numRuns;
          break;
        }
      }
      done += d.numRuns;
    }
    post({ kind: 'target-done', target: t.name, runs: done, ms: Date.now() - t0, violations });
  }
  post({ kind: 'done' });
}

if (!isMainThread && parentPort && workerData && (workerData as WorkerInput).fuzzSpecs) {
  const port = parentPort;
  run(workerData as WorkerInput, (m) => port.postMessage(m));
}

export interface FuzzRunResult {
  failures: FuzzFailure[];
  /** a target that made no progress for `hangMs` (the worker was terminated) */
  hang: { target: string; done: number } | null;
  runs: Map<string, number>;
  ms: number;
}

/**
 * Runs `specs` in a worker; resolves when they are all done, or when a target makes no progress
 * for `hangMs` (a hang: the worker is terminated). `onMessage` sees every progress message.
 */
export function runInWorker(specs: RunSpec[], opts: { seed: number; chunk?: number; hangMs?: number; stopAtFailure?: boolean; onMessage?: (m: FromFuzzWorker) => void }): Promise<FuzzRunResult> {
  const hangMs = opts.hangMs ?? 20_000;
  const t0 = Date.now();
  const input: WorkerInput = { fuzzSpecs: specs, seed: opts.seed, chunk: opts.chunk ?? 1000, stopAtFailure: opts.stopAtFailure ?? true };
  const worker = new Worker(new URL(import.meta.url), { workerData: input });
  const result: FuzzRunResult = { failures: [], hang: null, runs: new Map(), ms: 0 };
  let current = { target: specs[0]?.name ?? '', done: 0 };
  let last = Date.now();
  return new Promise((resolve, reject) => {
    const watchdog = setInterval(() => {
      if (Date.now() - last < hangMs) return;
      result.hang = { ...current };
      finish();
      void worker.terminate();
    }, Math.min(1000, hangMs / 4));
    const finish = () => {
      clearInterval(watchdog);
      result.ms = Date.now() - t0;
      resolve(result);
    };
    worker.on('message', (m: FromFuzzWorker) => {
      last = Date.now();
      opts.onMessage?.(m);
      if (m.kind === 'progress') current = { target: m.target, done: m.done };
      else if (m.kind === 'target-done') {
        result.runs.set(m.target, m.runs);
        current = { target: specs[specs.findIndex((s) => s.name === m.target) + 1]?.name ?? '', done: 0 };
      } else if (m.kind === 'failure') result.failures.push(m.failure);
      else if (m.kind === 'done') {
        finish();
        void worker.terminate();
      }
    });
    worker.on('error', (e) => {
      clearInterval(watchdog);
      reject(e);
    });
    worker.on('exit', (code) => {
      if (result.ms === 0 && result.hang === null) {
        clearInterval(watchdog);
        reject(new Error(`fuzz worker exited with ${code} before finishing`));
      }
    });
  });
}
