// `ferrymq bench consume`: the main thread of a consumer run. Spreads the topic's queues over
// worker threads, prints a RocketMQ-style report line every second, then the summary.

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { C, CTRL_STOP, CTRL_WORDS, maxOf, newCounters, resetField, total } from './counters.js';
import { describeCpu, processCpuSeconds, selfCpu, type CpuSample } from './cpu.js';
import { LiveLine } from './live-line.js';
import type { ConsumeOptions } from './options.js';
import { runConsumeWorker, type ConsumeWorkerInput, type ConsumeWorkerResult } from './pull-runner.js';
import { consumeComplete, consumeLine } from './report-format.js';
import { resolveSubscribeRoute } from './route.js';
import { localIpv4 } from './uniq-key.js';
import { runJobs } from './worker-pool.js';

const SUSPEND_MS = 15_000;
/** With --drain an empty long poll ends the queue: keep it short. */
const DRAIN_SUSPEND_MS = 1000;

export interface ConsumeSummary {
  messages: number;
  failedPulls: number;
  elapsedSec: number;
  errors: string[];
}

export async function runConsume(o: ConsumeOptions, out = new LiveLine()): Promise<ConsumeSummary> {
  out.print(`topic: ${o.topic}, group: ${o.group}, workers: ${o.workers}, fromStart: ${o.fromStart}, drain: ${o.drain}, pullBatch: ${o.pullBatch}, duration: ${o.durationSec} s`);
  const route = await resolveSubscribeRoute(o.namesrv, o.topic);
  const all = route.flatMap((b) => b.queueIds.map((queueId) => ({ addr: b.addr, queueId })));
  for (const b of route) out.print(`route: ${b.brokerName} ${b.addr} read queues ${b.queueIds.length}`);
  const jobs = Math.max(1, Math.min(o.workers, all.length));
  const counters = newCounters(jobs);
  const control = new SharedArrayBuffer(CTRL_WORDS * 4);
  const ctrl = new Int32Array(control);
  const ip = Array.from(localIpv4()).join('.');
  const inputs: ConsumeWorkerInput[] = Array.from({ length: jobs }, (_, index) => {
    const mine = all.filter((_, i) => i % jobs === index);
    const addrs = [...new Set(mine.map((q) => q.addr))];
    return {
      index,
      targets: addrs.map((addr) => ({ addr, queueIds: mine.filter((q) => q.addr === addr).map((q) => q.queueId) })),
      topic: o.topic,
      group: o.group,
      clientID: `${ip}@ferry-bench-${process.pid}-${index}`,
      fromStart: o.fromStart,
      drain: o.drain,
      pullBatch: o.pullBatch,
      suspendMs: o.drain ? DRAIN_SUSPEND_MS : SUSPEND_MS,
      recordKeys: o.keysFile !== null,
      counters,
      control,
    };
  });

  const cpu0 = selfCpu();
  const broker0: CpuSample | null = o.brokerPid !== null ? processCpuSeconds(o.brokerPid) : null;
  const t0 = performance.now();
  let prev = { t: t0, n: 0, b2c: 0, s2c: 0, fail: 0 };
  let maxB2cAll = 0;
  let maxS2cAll = 0;
  const takeMax = () => {
    const b = maxOf(counters, C.B2C_MAX);
    const s = maxOf(counters, C.S2C_MAX);
    resetField(counters, C.B2C_MAX);
    resetField(counters, C.S2C_MAX);
    maxB2cAll = Math.max(maxB2cAll, b);
    maxS2cAll = Math.max(maxS2cAll, s);
    return { b, s };
  };
  const report = setInterval(() => {
    const now = performance.now();
    const n = total(counters, C.MSGS);
    const b2c = total(counters, C.B2C_TOTAL);
    const s2c = total(counters, C.S2C_TOTAL);
    const fail = total(counters, C.FAILED_PULLS);
    const max = takeMax();
    const line = consumeLine(Date.now(), {
      tps: ((n - prev.n) * 1000) / (now - prev.t),
      avgB2cMs: (b2c - prev.b2c) / (n - prev.n),
      avgS2cMs: (s2c - prev.s2c) / (n - prev.n),
      maxB2cMs: max.b,
      maxS2cMs: max.s,
      failed: fail - prev.fail,
    });
    prev = { t: now, n, b2c, s2c, fail };
    out.print(line);
  }, 1000);
  const progress = out.tty
    ? setInterval(() => out.progress(`  consumed ${total(counters, C.MSGS)} msgs, ${((performance.now() - t0) / 1000).toFixed(1)} s of ${o.durationSec} s`), 200)
    : null;
  const stopTimer = setTimeout(() => Atomics.store(ctrl, CTRL_STOP, 1), o.durationSec * 1000);
  const onSignal = () => Atomics.store(ctrl, CTRL_STOP, 1);
  process.once('SIGINT', onSignal);

  let results: ConsumeWorkerResult[];
  try {
    results = await runJobs(new URL('./consume-worker.js', import.meta.url), inputs, o.workers === 0 ? runConsumeWorker : null);
  } finally {
    clearInterval(report);
    if (progress) clearInterval(progress);
    clearTimeout(stopTimer);
    process.off('SIGINT', onSignal);
    out.clear();
  }
  const elapsedSec = (performance.now() - t0) / 1000;
  const n = total(counters, C.MSGS);
  const failedPulls = total(counters, C.FAILED_PULLS);
  takeMax();
  out.print(consumeComplete(n, {
    tps: n / elapsedSec,
    avgB2cMs: total(counters, C.B2C_TOTAL) / n,
    avgS2cMs: total(counters, C.S2C_TOTAL) / n,
    maxB2cMs: maxB2cAll,
    maxS2cMs: maxS2cAll,
    failed: failedPulls,
  }));
  out.print(`Elapsed: ${elapsedSec.toFixed(3)} s, ${(total(counters, C.BYTES) / 1048576).toFixed(1)} MiB of records`);
  out.print(`Consumer CPU: ${describeCpu(cpu0, selfCpu(), n)}`);
  if (broker0 && o.brokerPid !== null) out.print(`Broker CPU (pid ${o.brokerPid}): ${describeCpu(broker0, processCpuSeconds(o.brokerPid), n)}`);
  if (o.keysFile !== null) {
    const keys = results.flatMap((r) => r.keys ?? []);
    writeFileSync(o.keysFile, keys.length ? keys.join('\n') + '\n' : '');
  }
  return { messages: n, failedPulls, elapsedSec, errors: [...new Set(results.flatMap((r) => r.errors))] };
}
