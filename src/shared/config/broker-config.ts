/**
 * Broker configuration: RocketMQ's own key names and defaults, parsed from a `key=value`
 * properties text plus command-line overrides. Pure: the caller reads files and resolves paths.
 */
import { parseDelayLevels } from '../delay.js';

type Kind = 'string' | 'int' | 'bool' | 'flush' | 'level';

interface KeySpec {
  kind: Kind;
  def: string | number | boolean;
  min?: number;
  max?: number;
}

const INT_MAX = 2 ** 53;

export const CONFIG_KEYS = {
  brokerClusterName: { kind: 'string', def: 'DefaultCluster' },
  brokerName: { kind: 'string', def: 'broker-a' },
  brokerId: { kind: 'int', def: 0, min: 0, max: 1024 },
  brokerIP1: { kind: 'string', def: '' },
  listenPort: { kind: 'int', def: 10911, min: 3, max: 65535 },
  haListenPort: { kind: 'int', def: 10912, min: 0, max: 65535 },
  namesrvAddr: { kind: 'string', def: '' },
  namesrvListenPort: { kind: 'int', def: 9876, min: 0, max: 65535 },
  storePathRootDir: { kind: 'string', def: '' },
  storePathCommitLog: { kind: 'string', def: '' },
  flushDiskType: { kind: 'flush', def: 'ASYNC_FLUSH' },
  flushIntervalCommitLog: { kind: 'int', def: 500, min: 1, max: 3_600_000 },
  flushCommitLogLeastPages: { kind: 'int', def: 4, min: 0, max: 1 << 20 },
  flushIntervalConsumeQueue: { kind: 'int', def: 1000, min: 1, max: 3_600_000 },
  flushConsumeQueueLeastPages: { kind: 'int', def: 2, min: 0, max: 1 << 20 },
  flushConsumeQueueThoroughInterval: { kind: 'int', def: 60_000, min: 0, max: 86_400_000 },
  syncFlushTimeout: { kind: 'int', def: 5000, min: 1, max: 600_000 },
  autoCreateTopicEnable: { kind: 'bool', def: true },
  autoCreateSubscriptionGroup: { kind: 'bool', def: true },
  defaultTopicQueueNums: { kind: 'int', def: 8, min: 1, max: 1024 },
  maxMessageSize: { kind: 'int', def: 4 * 1024 * 1024, min: 1, max: 15 * 1024 * 1024 },
  mapedFileSizeCommitLog: { kind: 'int', def: 1024 * 1024 * 1024, min: 64 * 1024, max: 2 ** 40 },
  mapedFileSizeConsumeQueue: { kind: 'int', def: 300_000 * 20, min: 20 * 16, max: 2 ** 31 - 20 },
  maxHashSlotNum: { kind: 'int', def: 5_000_000, min: 1, max: 500_000_000 },
  maxIndexNum: { kind: 'int', def: 20_000_000, min: 2, max: 100_000_000 },
  networkWorkers: { kind: 'int', def: 0, min: 0, max: 256 },
  brokerPermission: { kind: 'int', def: 6, min: 0, max: 15 },
  clusterTopicEnable: { kind: 'bool', def: true },
  brokerTopicEnable: { kind: 'bool', def: true },
  traceTopicEnable: { kind: 'bool', def: false },
  longPollingEnable: { kind: 'bool', def: true },
  shortPollingTimeMills: { kind: 'int', def: 1000, min: 0, max: 600_000 },
  waitTimeMillsInSendQueue: { kind: 'int', def: 200, min: 1, max: 600_000 },
  maxTransferCountOnMessageInMemory: { kind: 'int', def: 32, min: 1, max: 65536 },
  maxTransferBytesOnMessageInMemory: { kind: 'int', def: 256 * 1024, min: 1024, max: 16 * 1024 * 1024 },
  regionId: { kind: 'string', def: 'DefaultRegion' },
  traceOn: { kind: 'bool', def: true },
  registerNameServerPeriod: { kind: 'int', def: 30_000, min: 1000, max: 3_600_000 },
  fileReservedTime: { kind: 'int', def: 72, min: 0, max: 1 << 20 },
  deleteWhen: { kind: 'string', def: '04' },
  /** Ferry's own: retention in milliseconds, overriding fileReservedTime (hours) when > 0. */
  fileReservedTimeMillis: { kind: 'int', def: 0, min: 0, max: 2 ** 50 },
  diskMaxUsedSpaceRatio: { kind: 'int', def: 75, min: 10, max: 95 },
  /** Disk use (%) past which sends are refused (RocketMQ's diskSpaceWarningLevelRatio, 0.90). */
  diskSpaceWarningLevelRatio: { kind: 'int', def: 90, min: 10, max: 99 },
  /** Disk use (%) past which old files are deleted whatever their age (diskSpaceCleanForciblyRatio). */
  diskSpaceCleanForciblyRatio: { kind: 'int', def: 85, min: 10, max: 99 },
  enablePropertyFilter: { kind: 'bool', def: false },
  messageDelayLevel: { kind: 'string', def: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h' },
  /** Transactions (4.9 BrokerConfig): how often half messages are checked (ms). */
  transactionCheckInterval: { kind: 'int', def: 60_000, min: 10, max: 86_400_000 },
  /** A half message is checked once it is older than this (ms), unless it says otherwise. */
  transactionTimeOut: { kind: 'int', def: 6000, min: 0, max: 86_400_000 },
  /** Checks of one half message before it is moved to TRANS_CHECK_MAX_TIME_TOPIC. */
  transactionCheckMax: { kind: 'int', def: 15, min: 1, max: 1_000_000 },
  /** Refuse transactional (PREPARED) sends with NO_PERMISSION. */
  rejectTransactionMessage: { kind: 'bool', def: false },
  maxConnections: { kind: 'int', def: 100_000, min: 1, max: 10_000_000 },
  /** Ferry's own: requests one connection may have awaiting responses before it is read no more. */
  maxPendingRequestsPerConnection: { kind: 'int', def: 4096, min: 1, max: 1 << 20 },
  /** Ferry's own: how long a network worker pauses after answering a large turn of sends (µs; 0 = never). */
  sendLingerMicros: { kind: 'int', def: 100, min: 0, max: 10_000 },
  ringSizeMB: { kind: 'int', def: 64, min: 1, max: 4096 },
  logLevel: { kind: 'level', def: 'info' },
  /** Ferry's own, for crash drills in tests: honours request code 9901 (a network worker exits). */
  enableDebugCodes: { kind: 'bool', def: false },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

type ValueOf<S> = S extends { kind: 'int' } ? number : S extends { kind: 'bool' } ? boolean : string;
export type BrokerConfig = { -readonly [K in ConfigKey]: ValueOf<(typeof CONFIG_KEYS)[K]> } & {
  /** Keys Ferry does not know: kept (and logged) so a RocketMQ broker.conf loads unchanged. */
  unknown: Record<string, string>;
};

/** RocketMQ 4.9 and 5.x read mappedFileSize*; the one-p spelling of older docs is accepted too. */
const ALIASES: Record<string, ConfigKey> = {
  mappedFileSizeCommitLog: 'mapedFileSizeCommitLog',
  mappedFileSizeConsumeQueue: 'mapedFileSizeConsumeQueue',
};

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses Java properties text: `key=value` or `key: value`, `#`/`!` comments, blank lines. */
export function parseProperties(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(line, `cannot read config line "${line}": expected key=value`);
    out.push([m[1], m[2].trim()]);
  }
  return out;
}

export function defaultConfig(): BrokerConfig {
  const c: Record<string, unknown> = { unknown: {} };
  for (const [k, spec] of Object.entries(CONFIG_KEYS)) c[k] = spec.def;
  return c as BrokerConfig;
}

/** Applies entries in order (later wins). Throws ConfigError naming the key on a bad value. */
export function applyConfig(config: BrokerConfig, entries: [string, string][]): BrokerConfig {
  for (const [rawKey, value] of entries) {
    const key = (ALIASES[rawKey] ?? rawKey) as ConfigKey;
    const spec: KeySpec | undefined = (CONFIG_KEYS as Record<string, KeySpec>)[key];
    if (!spec) {
      config.unknown[rawKey] = value;
      continue;
    }
    (config as Record<string, unknown>)[key] = convert(key, spec, value);
  }
  return config;
}

function convert(key: string, spec: KeySpec, value: string): string | number | boolean {
  switch (spec.kind) {
    case 'string':
      return value;
    case 'bool':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new ConfigError(key, `config key ${key}: "${value}" is not true or false`);
    case 'flush':
      if (value === 'ASYNC_FLUSH' || value === 'SYNC_FLUSH') return value;
      throw new ConfigError(key, `config key ${key}: "${value}" is not ASYNC_FLUSH or SYNC_FLUSH`);
    case 'level':
      if (['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(value)) return value;
      throw new ConfigError(key, `config key ${key}: "${value}" is not a log level (trace, debug, info, warn, error, fatal, silent)`);
    case 'int': {
      if (!/^-?\d+$/.test(value)) throw new ConfigError(key, `config key ${key}: "${value}" is not a whole number`);
      const n = Number(value);
      const min = spec.min ?? -INT_MAX;
      const max = spec.max ?? INT_MAX;
      if (n < min || n > max) throw new ConfigError(key, `config key ${key}: ${n} is outside ${min}..${max}`);
      return n;
    }
  }
}

/** Checks that need several keys at once. */
export function validateConfig(c: BrokerConfig): void {
  if (c.mapedFileSizeConsumeQueue % 20 !== 0) throw new ConfigError('mapedFileSizeConsumeQueue', `config key mapedFileSizeConsumeQueue: ${c.mapedFileSizeConsumeQueue} is not a multiple of the 20-byte unit`);
  if (c.maxMessageSize + 64 * 1024 > c.mapedFileSizeCommitLog) throw new ConfigError('maxMessageSize', `config key maxMessageSize: ${c.maxMessageSize} does not fit in a CommitLog file of ${c.mapedFileSizeCommitLog} bytes`);
  // RocketMQ sizes an IndexFile with a Java int: 40 + 4 × maxHashSlotNum + 20 × maxIndexNum.
  if (40 + 4 * c.maxHashSlotNum + 20 * c.maxIndexNum > 2 ** 31 - 1) throw new ConfigError('maxIndexNum', `config keys maxHashSlotNum/maxIndexNum: an IndexFile of ${40 + 4 * c.maxHashSlotNum + 20 * c.maxIndexNum} bytes exceeds 2147483647`);
  if (!/^[%|a-zA-Z0-9_-]+$/.test(c.brokerName)) throw new ConfigError('brokerName', `config key brokerName: "${c.brokerName}" has characters outside [%|a-zA-Z0-9_-]`);
  for (const addr of namesrvAddrList(c)) {
    if (!/^[^:;\s]+:\d{1,5}$/.test(addr)) throw new ConfigError('namesrvAddr', `config key namesrvAddr: "${addr}" is not host:port`);
  }
  if (c.listenPort - 2 < 1) throw new ConfigError('listenPort', 'config key listenPort: the VIP port (listenPort - 2) must be a valid port');
  try {
    parseDelayLevels(c.messageDelayLevel);
  } catch (e) {
    throw new ConfigError('messageDelayLevel', `config key messageDelayLevel: ${(e as Error).message}`);
  }
}

export function namesrvAddrList(c: BrokerConfig): string[] {
  return c.namesrvAddr.split(';').map((s) => s.trim()).filter(Boolean);
}

/** The embedded name server runs unless namesrvAddr names only other servers. */
export function embeddedNamesrvEnabled(c: BrokerConfig, localHosts: string[]): boolean {
  const list = namesrvAddrList(c);
  if (list.length === 0) return true;
  return list.some((a) => {
    const [host, port] = a.split(':');
    return Number(port) === c.namesrvListenPort && localHosts.includes(host);
  });
}
