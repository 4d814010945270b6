// Validated settings of `ferrymq bench produce|consume`, from the parsed command line.

export const DEFAULT_NAMESRV = '127.0.0.1:9876';
export const DEFAULT_TOPIC = 'BenchmarkTest';
export const DEFAULT_PRODUCER_GROUP = 'benchmark_producer';
export const DEFAULT_CONSUMER_GROUP = 'benchmark_consumer';
/** A run with neither --duration nor --count still ends. */
export const DEFAULT_DURATION_SEC = 60;

export interface ProduceOptions {
  namesrv: string;
  topic: string;
  producerGroup: string;
  connections: number;
  size: number;
  workers: number;
  async: boolean;
  inflight: number;
  batch: number;
  durationSec: number | null;
  count: number | null;
  tags: string | null;
  keys: boolean;
  json: boolean;
  timeoutMs: number;
  keysFile: string | null;
  brokerPid: number | null;
}

export interface ConsumeOptions {
  namesrv: string;
  topic: string;
  group: string;
  workers: number;
  durationSec: number;
  fromStart: boolean;
  drain: boolean;
  pullBatch: number;
  keysFile: string | null;
  brokerPid: number | null;
}

export class OptionError extends Error {}

function intIn(name: string, v: unknown, min: number, max: number, def: number): number {
  if (v === undefined || v === null) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new OptionError(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  return n;
}

function seconds(name: string, v: unknown): number | null {
  if (v === undefined || v === null) return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new OptionError(`${name} must be a positive number of seconds, got ${String(v)}`);
  return n;
}

function nonEmpty(name: string, v: unknown, def: string): string {
  if (v === undefined || v === null) return def;
  const s = String(v).trim();
  if (!s) throw new OptionError(`${name} must not be empty`);
  return s;
}

const namesrvDefault = () => process.env.NAMESRV_ADDR?.split(';')[0]?.trim() || DEFAULT_NAMESRV;

/** Raw values as commander hands them over (strings, booleans, undefined). */
export type RawOptions = Record<string, unknown>;

export function produceOptions(raw: RawOptions): ProduceOptions {
  const async = raw.async === true;
  const count = raw.count === undefined ? null : intIn('--count', raw.count, 1, Number.MAX_SAFE_INTEGER, 0);
  let durationSec = seconds('--duration', raw.duration);
  if (durationSec === null && count === null) durationSec = DEFAULT_DURATION_SEC;
  const tags = raw.tags === undefined || raw.tags === false ? null : raw.tags === true ? 'TagA' : nonEmpty('--tags', raw.tags, 'TagA');
  return {
    namesrv: nonEmpty('-n', raw.namesrvAddr, namesrvDefault()),
    topic: nonEmpty('-t', raw.topic, DEFAULT_TOPIC),
    producerGroup: nonEmpty('--group', raw.group, DEFAULT_PRODUCER_GROUP),
    connections: intIn('-w', raw.threads, 1, 10_000, 64),
    size: intIn('-s', raw.size, 1, 4 * 1024 * 1024, 128),
    workers: intIn('--workers', raw.workers, 0, 64, 2),
    async,
    inflight: async ? intIn('--inflight', raw.inflight, 1, 65_536, 64) : 1,
    batch: intIn('--batch', raw.batch, 1, 10_000, 1),
    durationSec,
    count,
    tags,
    keys: raw.keys === true,
    json: raw.json === true,
    timeoutMs: intIn('--timeout', raw.timeout, 1, 600_000, 3000),
    keysFile: raw.keysFile === undefined ? null : nonEmpty('--keys-file', raw.keysFile, ''),
    brokerPid: raw.brokerPid === undefined ? null : intIn('--broker-pid', raw.brokerPid, 1, 2 ** 31 - 1, 0),
  };
}

export function consumeOptions(raw: RawOptions): ConsumeOptions {
  return {
    namesrv: nonEmpty('-n', raw.namesrvAddr, namesrvDefault()),
    topic: nonEmpty('-t', raw.topic, DEFAULT_TOPIC),
    group: nonEmpty('-g', raw.group, DEFAULT_CONSUMER_GROUP),
    workers: intIn('--workers', raw.workers, 0, 64, 2),
    durationSec: seconds('--duration', raw.duration) ?? DEFAULT_DURATION_SEC,
    fromStart: raw.fromStart === true,
    drain: raw.drain === true,
    pullBatch: intIn('--pull-batch', raw.pullBatch, 1, 1024, 32),
    keysFile: raw.keysFile === undefined ? null : nonEmpty('--keys-file', raw.keysFile, ''),
    brokerPid: raw.brokerPid === undefined ? null : intIn('--broker-pid', raw.brokerPid, 1, 2 ** 31 - 1, 0),
  };
}
