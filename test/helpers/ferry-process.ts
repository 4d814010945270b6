import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freeBrokerPort, freePort } from './ports.js';

/** The repository root, from dist/test/helpers or test/helpers. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const BIN = path.join(REPO_ROOT, 'bin', 'ferrymq.js');

export interface FerryOptions {
  storeDir?: string;
  overrides?: string[];
  brokerPort?: number;
  namesrvPort?: number;
  /** The log message that counts as started ("Ferry broker started": every thread up). */
  readyLine?: string;
}

/** A real Ferry broker process on loopback, on free ports, with its own store. */
export class FerryProcess {
  proc: ChildProcess | null = null;
  output = '';
  exitCode: number | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(readonly storeDir: string, readonly brokerPort: number, readonly namesrvPort: number, readonly overrides: string[], readonly readyLine: string) {}

  static async start(opts: FerryOptions = {}): Promise<FerryProcess> {
    const f = new FerryProcess(
      opts.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-test-')),
      opts.brokerPort ?? (await freeBrokerPort()),
      opts.namesrvPort ?? (await freePort()),
      opts.overrides ?? [],
      opts.readyLine ?? 'Ferry broker started',
    );
    await f.launch();
    return f;
  }

  get namesrvAddr(): string {
    return `127.0.0.1:${this.namesrvPort}`;
  }

  get brokerAddr(): string {
    return `127.0.0.1:${this.brokerPort}`;
  }

  args(): string[] {
    return [
      BIN, 'start',
      `storePathRootDir=${this.storeDir}`, `listenPort=${this.brokerPort}`, `namesrvListenPort=${this.namesrvPort}`,
      `namesrvAddr=${this.namesrvAddr}`, 'brokerIP1=127.0.0.1', 'mapedFileSizeCommitLog=16777216', 'mapedFileSizeConsumeQueue=60000',
      'networkWorkers=2', 'logLevel=info', 'flushIntervalCommitLog=50',
      ...this.overrides,
    ];
  }

  async launch(): Promise<void> {
    this.output = '';
    this.exitCode = null;
    const proc = spawn(process.execPath, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d) => (this.output += d));
    proc.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((r) => proc.once('exit', (code) => {
      this.exitCode = code;
      r(code);
    }));
    const deadline = Date.now() + 20_000;
    while (!this.output.includes(this.readyLine)) {
      if (this.exitCode !== null) throw new Error(`ferry exited with ${this.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`ferry did not start in time:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await waitForPort(this.brokerPort);
  }

  /** Graceful stop (SIGTERM); resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.proc || this.exitCode !== null) return this.exitCode;
    this.proc.kill('SIGTERM');
    return this.exited;
  }

  async kill(): Promise<void> {
    if (!this.proc || this.exitCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stop and remove the store. */
  async dispose(): Promise<void> {
    await this.kill();
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
