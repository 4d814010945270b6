// The producer side that runs inside one worker thread (or inline): builds the templates, opens
// this worker's connections and resolves when they are all done.

import { parseHostPort } from '../net/address.js';
import { counterSlices } from './counters.js';
import { SendClock } from './frame-stamp.js';
import { SendConnection } from './send-connection.js';
import { buildQueueTemplates } from './send-template.js';
import { UniqKeyGenerator } from './uniq-key.js';

export interface ProduceTarget {
  addr: string;
  brokerName: string;
  /** write queue ids of the topic on this broker */
  queueIds: number[];
}

export interface ProduceWorkerInput {
  index: number;
  targets: ProduceTarget[];
  /** this worker's connections: target index, message quota (-1 = until stopped), first queue */
  connections: { target: number; quota: number; rrStart: number }[];
  topic: string;
  producerGroup: string;
  body: Uint8Array;
  batch: number;
  json: boolean;
  tags: string | null;
  keys: boolean;
  slots: number;
  timeoutMs: number;
  failurePauseMs: number;
  recordKeys: boolean;
  counters: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export interface ProduceWorkerResult {
  keys: string[] | null;
  errors: string[];
}

const SWEEP_MS = 250;

export function runProduceWorker(input: ProduceWorkerInput): Promise<ProduceWorkerResult> {
  const uniq = new UniqKeyGenerator();
  const clock = new SendClock(uniq);
  const counters = counterSlices(input.counters, input.index);
  const control = new Int32Array(input.control);
  const body = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.length);
  const keys = input.recordKeys ? [] as string[] : null;
  const templates = input.targets.map((t) =>
    buildQueueTemplates({
      topic: input.topic, producerGroup: input.producerGroup, body, batch: input.batch, json: input.json, tags: input.tags, keys: input.keys,
      uniqPrefix: uniq.prefix, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, brokerName: t.brokerName,
    }, t.queueIds),
  );
  const queueIds = input.targets.map((t) => Int32Array.from(t.queueIds));
  return new Promise((resolve) => {
    const conns: SendConnection[] = [];
    let open = input.connections.length;
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const c of conns) c.sweep(now);
    }, SWEEP_MS);
    const onDone = () => {
      if (--open > 0) return;
      clearInterval(sweep);
      const errors = [...new Set(conns.map((c) => c.error).filter((e): e is string => e !== null))];
      resolve({ keys, errors });
    };
    if (open === 0) return onDone();
    for (const c of input.connections) {
      const { host, port } = parseHostPort(input.targets[c.target].addr);
      conns.push(new SendConnection({
        host, port, templates: templates[c.target], queueIds: queueIds[c.target], rrStart: c.rrStart, slots: input.slots,
        quota: c.quota < 0 ? Infinity : c.quota, clock, uniq, counters, control,
        timeoutMs: input.timeoutMs, failurePauseMs: input.failurePauseMs, keys, onDone,
      }));
    }
    for (const c of conns) c.start();
  });
}
