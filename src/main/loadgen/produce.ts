// `ferrymq bench produce`: the main thread of a producer run. Resolves the route, starts the
// worker threads, prints a RocketMQ-style report line every second, then the summary and the
// CPU cost per message.

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CTRL_STOP, CTRL_WORDS, maxOf, newCounters, P, total } from './counters.js';
import { describeCpu, processCpuSeconds, selfCpu, type CpuSample } from './cpu.js';
import { LiveLine } from './live-line.js';
import type { ProduceOptions } from './options.js';
import { randomBody, splitConnections } from './plan.js';
import { runProduceWorker, type ProduceWorkerInput, type ProduceWorkerResult } from './produce-runner.js';
import { produceComplete, produceLine } from './report-format.js';
import { resolvePublishRoute } from './route.js';
import { runJobs } from './worker-pool.js';

const FAILURE_PAUSE_MS = 1000;

export interface ProduceSummary {
  okMessages: number;
  sendFailed: number;
  responseFailed: number;
  elapsedSec: number;
  errors: string[];
}

function banner(o: ProduceOptions): string {
  return `topic: ${o.topic}, threadCount: ${o.connections}, messageSize: ${o.size}, keyEnable: ${o.keys}, tagEnable: ${o.tags !== null}, ` +
    `batch: ${o.batch}, asyncEnable: ${o.async}, inflight: ${o.inflight}, workers: ${o.workers}, serializeType: ${o.json ? 'JSON' : 'ROCKETMQ'}, ` +
    `messageQuantity: ${o.count ?? 0}, duration: ${o.durationSec === null ? 'until count' : `${o.durationSec} s`}`;
}

export async function runProduce(o: ProduceOptions, out = new LiveLine()): Promise<ProduceSummary> {
  out.print(banner(o));
  const route = await resolvePublishRoute(o.namesrv, o.topic);
  for (const t of route.targets) {
    out.print(`route: ${t.brokerName} ${t.addr} write queues ${t.queueIds.length}${route.autoCreate ? ' (topic not found: sending with defaultTopic TBW102 so the broker creates it)' : ''}`);
  }
  const plan = splitConnections(o.connections, o.workers, route.targets.length, o.count, o.batch);
  const counters = newCounters(plan.length);
  const control = new SharedArrayBuffer(CTRL_WORDS * 4);
  const ctrl = new Int32Array(control);
  const body = randomBody(o.size);
  const inputs: ProduceWorkerInput[] = plan.map((connections, index) => ({
    index,
    targets: route.targets.map((t) => ({ addr: t.addr, brokerName: t.brokerName, queueIds: t.queueIds })),
    connections,
    topic: o.topic,
    producerGroup: o.producerGroup,
    body: new Uint8Array(body),
    batch: o.batch,
    json: o.json,
    tags: o.tags,
    keys: o.keys,
    slots: o.inflight,
    timeoutMs: o.timeoutMs,
    failurePauseMs: FAILURE_PAUSE_MS,
    recordKeys: o.keysFile !== null,
    counters,
    control,
  }));

  const cpu0 = selfCpu();
  const broker0: CpuSample | null = o.brokerPid !== null ? processCpuSeconds(o.brokerPid) : null;
  const t0 = performance.now();
  const wall0 = Date.now();
  let prev = { t: t0, ok: 0, reqs: 0, rt: 0 };
  const figures = (now: number) => {
    const ok = total(counters, P.OK_MSGS);
    const reqs = total(counters, P.OK_REQUESTS);
    const rt = total(counters, P.RT_TOTAL);
    const f = {
      tps: ((ok - prev.ok) * 1000) / (now - prev.t),
      maxRtMs: maxOf(counters, P.RT_MAX),
      avgRtMs: (rt - prev.rt) / (reqs - prev.reqs),
      sendFailed: total(counters, P.SEND_FAILED),
      responseFailed: total(counters, P.RESPONSE_FAILED),
    };
    prev = { t: now, ok, reqs, rt };
    return f;
  };
  const report = setInterval(() => out.print(produceLine(Date.now(), figures(performance.now()))), 1000);
  const progress = out.tty
    ? setInterval(() => {
        const ok = total(counters, P.OK_MSGS);
        const secs = (performance.now() - t0) / 1000;
        const goal = o.count !== null ? `/${o.count}` : '';
        const left = o.durationSec !== null ? ` of ${o.durationSec} s` : '';
        out.progress(`  sent ${ok}${goal} msgs, in flight ${total(counters, P.IN_FLIGHT)}, ${secs.toFixed(1)} s${left}`);
      }, 200)
    : null;
  const stopTimer = o.durationSec !== null ? setTimeout(() => Atomics.store(ctrl, CTRL_STOP, 1), o.durationSec * 1000) : null;
  const onSignal = () => Atomics.store(ctrl, CTRL_STOP, 1);
  process.once('SIGINT', onSignal);

  let results: ProduceWorkerResult[];
  try {
    results = await runJobs(new URL('./produce-worker.js', import.meta.url), inputs, o.workers === 0 ? runProduceWorker : null);
  } finally {
    clearInterval(report);
    if (progress) clearInterval(progress);
    if (stopTimer) clearTimeout(stopTimer);
    process.off('SIGINT', onSignal);
    out.clear();
  }
  const t1 = performance.now();
  const cpu1 = selfCpu();
  const ok = total(counters, P.OK_MSGS);
  const sendFailed = total(counters, P.SEND_FAILED);
  const responseFailed = total(counters, P.RESPONSE_FAILED);
  const elapsedSec = (t1 - t0) / 1000;
  out.print(produceComplete(ok + sendFailed + responseFailed, {
    tps: ok / elapsedSec,
    maxRtMs: maxOf(counters, P.RT_MAX),
    avgRtMs: total(counters, P.RT_TOTAL) / total(counters, P.OK_REQUESTS),
    sendFailed,
    responseFailed,
  }));
  out.print(`Elapsed: ${elapsedSec.toFixed(3)} s from ${new Date(wall0).toISOString()}`);
  out.print(`Generator CPU: ${describeCpu(cpu0, cpu1, ok)}`);
  if (broker0 && o.brokerPid !== null) {
    out.print(`Broker CPU (pid ${o.brokerPid}): ${describeCpu(broker0, processCpuSeconds(o.brokerPid), ok)}`);
  }
  const errors = [...new Set(results.flatMap((r) => r.errors))];
  if (o.keysFile !== null) {
    const keys = results.flatMap((r) => r.keys ?? []);
    writeFileSync(o.keysFile, keys.length ? keys.join('\n') + '\n' : '');
  }
  return { okMessages: ok, sendFailed, responseFailed, elapsedSec, errors };
}
