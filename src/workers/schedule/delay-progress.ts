import path from 'node:path';
import { decodeDelayOffsetJson, encodeDelayOffsetJson } from '../../shared/storage/config-files.js';
import { ConfigFile } from '../../main/control/config-file.js';
import type { Logger } from '../../main/logger.js';

/** `<storePathRootDir>/config/delayOffset.json`, RocketMQ's place for it. */
export function delayOffsetPath(rootDir: string): string {
  return path.join(rootDir, 'config', 'delayOffset.json');
}

/**
 * The schedule service's progress file: delay level -> next SCHEDULE_TOPIC_XXXX queue offset to
 * deliver (`{"offsetTable":{1:0,2:5}}`, unquoted integer keys). Only the schedule thread writes
 * it (tmp + fsync + rename, `.bak` kept, through ConfigFile); the control plane reads it to answer
 * GET_ALL_DELAY_OFFSET, so the file is the one source of truth.
 */
export class DelayProgressFile {
  private readonly file: ConfigFile;
  private lastText = '';

  constructor(rootDir: string, logger: Logger) {
    this.file = new ConfigFile(delayOffsetPath(rootDir), logger);
  }

  /** The saved table (or its .bak), empty on a first start. */
  async load(): Promise<Map<number, number>> {
    const table = await this.file.load(decodeDelayOffsetJson);
    if (table) this.lastText = encodeDelayOffsetJson(table);
    return table ?? new Map();
  }

  /** Writes the table when it differs from what was last written; resolves once on disk. */
  async save(table: Map<number, number>): Promise<void> {
    const text = encodeDelayOffsetJson(table);
    if (text === this.lastText) return;
    await this.file.save(text);
    this.lastText = text;
  }

  flush(): Promise<void> {
    return this.file.flush();
  }
}

/**
 * GET_ALL_DELAY_OFFSET's body: the table in delayOffset.json as compact JSON (Java answers its
 * `encode()`), `{"offsetTable":{}}` before the first save.
 */
export async function readDelayOffsetBody(rootDir: string, logger: Logger): Promise<string> {
  const table = await new ConfigFile(delayOffsetPath(rootDir), logger).load(decodeDelayOffsetJson);
  return encodeDelayOffsetJson(table ?? new Map(), { pretty: false });
}
