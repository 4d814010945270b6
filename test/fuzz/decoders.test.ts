// Property-based fuzzing of the pure decoders (targets.ts). The targets run in two worker threads
// (one per core), so a decoder that hangs is caught — the worker makes no progress, is terminated
// and the target fails — instead of hanging the suite.
//   FUZZ_RUNS  runs per target (default 2000)
//   FUZZ_SEED  base seed (default: random, printed on failure) — to replay a failure
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from './targets.js';
import { runInWorker, type FuzzFailure, type RunSpec } from './fuzz-worker.js';

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS) || 2000);
const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) | 0 : (Math.random() * 2 ** 31) | 0;
const HANG_MS = 20_000;
const LANES = 2;

interface Outcome {
  runs: number;
  failure: FuzzFailure | null;
  hang: string | null;
}

const outcomes = new Map<string, { promise: Promise<Outcome>; resolve: (o: Outcome) => void }>();
for (const t of TARGETS) {
  let resolve!: (o: Outcome) => void;
  const promise = new Promise<Outcome>((r) => (resolve = r));
  outcomes.set(t.name, { promise, resolve });
}

const settled = new Set<string>();
for (const [name, o] of outcomes) void o.promise.then(() => settled.add(name));

/** Runs `specs` in order in one worker; after a hang or a crash, goes on in a new worker. */
async function lane(specs: RunSpec[]): Promise<void> {
  let left = specs;
  while (left.length > 0) {
    const failures = new Map<string, FuzzFailure>();
    let stuck: { target: string; why: string } | null = null;
    try {
      const r = await runInWorker(left, {
        seed: SEED,
        chunk: RUNS,
        hangMs: HANG_MS,
        onMessage: (m) => {
          if (m.kind === 'failure') failures.set(m.failure.target, m.failure);
          if (m.kind === 'target-done') outcomes.get(m.target)!.resolve({ runs: m.runs, failure: failures.get(m.target) ?? null, hang: null });
        },
      });
      if (r.hang) stuck = { target: r.hang.target, why: `hang: no progress for ${HANG_MS} ms after ${r.hang.done} runs` };
    } catch (e) {
      await new Promise((r) => setImmediate(r));
      const target = left.find((x) => !settled.has(x.name))?.name;
      if (target) stuck = { target, why: `the fuzz worker died: ${(e as Error).message}` };
    }
    if (!stuck) return;
    outcomes.get(stuck.target)!.resolve({ runs: 0, failure: null, hang: stuck.why });
    left = left.slice(left.findIndex((x) => x.name === stuck!.target) + 1);
  }
}

const specs = TARGETS.map((t) => ({ name: t.name, runs: RUNS }));
for (let i = 0; i < LANES; i++) void lane(specs.filter((_, j) => j % LANES === i));

for (const t of TARGETS) {
  test(`fuzz: ${t.name}`, { timeout: 10 * 60_000, todo: t.knownBug }, async () => {
    const o = await outcomes.get(t.name)!.promise;
    if (o.hang !== null) assert.fail(`${o.hang} (FUZZ_SEED=${SEED}, FUZZ_RUNS=${RUNS})`);
    const f = o.failure;
    if (f) assert.fail(`${f.error}\ncounterexample: ${f.counterexample}\nreplay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} (fast-check seed ${f.seed}, path ${f.path})`);
    assert.equal(o.runs, RUNS);
  });
}
