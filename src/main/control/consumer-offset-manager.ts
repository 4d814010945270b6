import { join } from 'node:path';
import type { ControlContext } from './context.js';
import { decodeConsumerOffsetJson, encodeConsumerOffsetJson } from '../../shared/storage/config-files.js';
import { ConfigFile } from './config-file.js';

export const OFFSET_PERSIST_INTERVAL_MS = 5_000;
const SEPARATOR = '@';

/**
 * Committed consumer offsets (RocketMQ ConsumerOffsetManager): key `topic@group`, per queue id the
 * next offset to consume. Kept in `config/consumerOffset.json`, written every 5 s when changed and
 * on shutdown.
 */
export class ConsumerOffsetManager {
  private table = new Map<string, Map<number, number>>();
  private readonly file: ConfigFile;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: ControlContext) {
    this.file = new ConfigFile(join(ctx.config.storePathRootDir, 'config', 'consumerOffset.json'), ctx.logger);
  }

  async load(): Promise<void> {
    const loaded = await this.file.load(decodeConsumerOffsetJson);
    if (loaded) {
      this.table = loaded;
      this.ctx.logger.info({ entries: loaded.size }, 'consumer offsets loaded');
    }
  }

  /** Starts the periodic persist. */
  start(intervalMs = OFFSET_PERSIST_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.persist(), intervalMs);
    this.timer.unref();
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const key = topic + SEPARATOR + group;
    let queues = this.table.get(key);
    if (!queues) {
      queues = new Map();
      this.table.set(key, queues);
    }
    const old = queues.get(queueId);
    if (old !== undefined && offset < old) this.ctx.logger.debug({ key, queueId, offset, old }, 'consumer offset moved back');
    queues.set(queueId, offset);
    this.dirty = true;
  }

  /** The stored offset, or -1 when there is none. */
  query(group: string, topic: string, queueId: number): number {
    return this.table.get(topic + SEPARATOR + group)?.get(queueId) ?? -1;
  }

  queryAll(group: string, topic: string): ReadonlyMap<number, number> | undefined {
    return this.table.get(topic + SEPARATOR + group);
  }

  /** Topics the group has offsets for. */
  topicsOf(group: string): string[] {
    const out: string[] = [];
    for (const key of this.table.keys()) {
      const [topic, g] = split(key);
      if (g === group) out.push(topic);
    }
    return out;
  }

  /** Groups with offsets for the topic. */
  groupsOf(topic: string): string[] {
    const out: string[] = [];
    for (const key of this.table.keys()) {
      const [t, group] = split(key);
      if (t === topic && group !== undefined) out.push(group);
    }
    return out;
  }

  removeGroup(group: string): void {
    for (const key of [...this.table.keys()]) {
      if (split(key)[1] === group) {
        this.table.delete(key);
        this.dirty = true;
        this.ctx.logger.warn({ key }, 'group offsets removed');
      }
    }
  }

  /** consumerOffset.json text (unquoted queue ids); compact for GET_ALL_CONSUMER_OFFSET. */
  encode(pretty: boolean): string {
    return encodeConsumerOffsetJson(this.table, { pretty });
  }

  /** Writes the table if it changed since the last write. */
  async persist(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.file.save(this.encode(true));
    } catch (e) {
      this.dirty = true;
      this.ctx.logger.error({ err: (e as Error).message }, 'cannot write consumerOffset.json');
    }
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.persist();
    await this.file.flush();
  }
}

/** `topic@group` -> [topic, group]; group undefined when the key is not of that form. */
function split(key: string): [string, string | undefined] {
  const parts = key.split(SEPARATOR);
  return parts.length === 2 ? [parts[0], parts[1]] : [key, undefined];
}
