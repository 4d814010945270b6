import { applyConfig, CONFIG_KEYS, ConfigError, parseProperties, validateConfig, type BrokerConfig, type ConfigKey } from '../../shared/config/broker-config.js';

/**
 * Keys UPDATE_BROKER_CONFIG may change while running: the ones only the control plane reads.
 * Everything else (ports, paths, store and network-worker settings) needs a restart.
 */
export const RUNTIME_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>([
  'autoCreateTopicEnable',
  'autoCreateSubscriptionGroup',
  'defaultTopicQueueNums',
  'brokerPermission',
  'logLevel',
]);

/** RocketMQ refuses to change these at all (code 16). */
const BLACK_LIST = new Set(['brokerConfigPath', 'rocketmqHome', 'configBlackList']);
const ALIASES: Record<string, string> = { mappedFileSizeCommitLog: 'mapedFileSizeCommitLog', mappedFileSizeConsumeQueue: 'mapedFileSizeConsumeQueue' };

/** `key=value\n` lines of the whole configuration (GET_BROKER_CONFIG). */
export function configText(config: BrokerConfig): string {
  let out = '';
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) out += `${key}=${String(config[key])}\n`;
  for (const [key, value] of Object.entries(config.unknown)) out += `${key}=${value}\n`;
  return out;
}

export type ConfigUpdate =
  | { kind: 'blacklisted' }
  | { kind: 'invalid'; message: string }
  | { kind: 'done'; applied: ConfigKey[]; needRestart: string[]; unknown: string[]; permissionChanged: boolean };

/**
 * Applies the runtime-safe keys of a properties text to `config` (validated on a copy first);
 * known keys that need a restart and unknown keys are left as they are and reported.
 */
export function updateConfig(config: BrokerConfig, text: string): ConfigUpdate {
  let entries: [string, string][];
  try {
    entries = parseProperties(text);
  } catch (e) {
    return { kind: 'invalid', message: (e as Error).message };
  }
  if (entries.some(([k]) => BLACK_LIST.has(k))) return { kind: 'blacklisted' };
  const safe: [string, string][] = [];
  const needRestart: string[] = [];
  const unknown: string[] = [];
  for (const [rawKey, value] of entries) {
    const key = ALIASES[rawKey] ?? rawKey;
    if (!(key in CONFIG_KEYS)) unknown.push(rawKey);
    else if (RUNTIME_KEYS.has(key as ConfigKey)) safe.push([key, value]);
    else needRestart.push(rawKey);
  }
  const copy: BrokerConfig = { ...config, unknown: { ...config.unknown } };
  try {
    applyConfig(copy, safe);
    validateConfig(copy);
  } catch (e) {
    if (e instanceof ConfigError) return { kind: 'invalid', message: e.message };
    throw e;
  }
  const applied = [...new Set(safe.map(([k]) => k as ConfigKey))];
  for (const key of applied) (config as Record<string, unknown>)[key] = copy[key];
  return { kind: 'done', applied, needRestart, unknown, permissionChanged: applied.includes('brokerPermission') };
}
