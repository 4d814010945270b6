import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyConfig, ConfigError, defaultConfig, parseProperties, validateConfig, type BrokerConfig } from '../shared/config/broker-config.js';

export { ConfigError };

/** Loads `-c FILE` (RocketMQ broker.conf syntax) and `key=value` overrides, then fills derived defaults. */
export function loadConfig(file: string | undefined, overrides: string[]): BrokerConfig {
  const config = defaultConfig();
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError('-c', `cannot read config file ${file}: ${(e as Error).message}`);
    }
    applyConfig(config, parseProperties(text));
  }
  applyConfig(config, overrides.map(parseOverride));
  if (!config.storePathRootDir) config.storePathRootDir = path.join(os.homedir(), 'store');
  config.storePathRootDir = path.resolve(config.storePathRootDir);
  if (!config.storePathCommitLog) config.storePathCommitLog = path.join(config.storePathRootDir, 'commitlog');
  if (!config.networkWorkers) config.networkWorkers = Math.max(1, os.availableParallelism());
  if (!config.brokerIP1) config.brokerIP1 = defaultBrokerIp();
  validateConfig(config);
  return config;
}

function parseOverride(arg: string): [string, string] {
  const i = arg.indexOf('=');
  if (i <= 0) throw new ConfigError(arg, `cannot read "${arg}": overrides are key=value`);
  return [arg.slice(0, i), arg.slice(i + 1)];
}

/** Like RocketMQ: the first non-loopback IPv4 address, else loopback. */
export function defaultBrokerIp(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function localHostNames(): string[] {
  const names = ['127.0.0.1', 'localhost', '0.0.0.0', os.hostname()];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.push(a.address);
  return names;
}
