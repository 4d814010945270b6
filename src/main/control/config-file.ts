import { copyFile, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logger.js';

/**
 * One JSON config file under `<storePathRootDir>/config/`, written the crash-safe way: the new text
 * goes to `<file>.tmp` and is fsynced, the current file is copied to `<file>.bak`, then the temp
 * file is renamed over the original. Loading falls back to `.bak` when the file is missing, empty
 * or unreadable. Writes are serialised and coalesced: only the newest pending text is written.
 */
export class ConfigFile {
  private pending: string | null = null;
  private running: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** The decoded main file, else the decoded `.bak`, else null (first start). */
  async load<T>(decode: (text: string) => T): Promise<T | null> {
    for (const candidate of [this.path, this.path + '.bak']) {
      let text: string;
      try {
        text = await readFile(candidate, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.logger.warn({ file: candidate, err: (e as Error).message }, 'cannot read config file');
        continue;
      }
      if (text.trim() === '') {
        this.logger.warn({ file: candidate }, 'config file is empty');
        continue;
      }
      try {
        const value = decode(text);
        if (candidate !== this.path) this.logger.warn({ file: candidate }, 'loaded config from its backup');
        return value;
      } catch (e) {
        this.logger.error({ file: candidate, err: (e as Error).message }, 'config file is corrupt');
      }
    }
    return null;
  }

  /** Schedules a write of `text`; resolves once it (or a newer text) is on disk. */
  save(text: string): Promise<void> {
    this.pending = text;
    if (!this.running) this.running = this.drain();
    return this.running;
  }

  /** Resolves when no write is pending. */
  async flush(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== null) {
        const text = this.pending;
        this.pending = null;
        await writeAtomic(this.path, text);
      }
    } finally {
      this.running = null;
    }
  }
}

export async function writeAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = path + '.tmp';
  await writeAndSync(tmp, text);
  try {
    await copyFile(path, path + '.bak');
    await syncFile(path + '.bak');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await rename(tmp, path);
  await syncDir(dir);
}

async function writeAndSync(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes the rename durable; some file systems refuse fsync on a directory, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // best effort
  }
}
