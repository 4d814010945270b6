import { Worker } from 'node:worker_threads';
import { stopThread } from './stop-thread.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { scheduleWorkerId } from '../shared/send-entry.js';
import { openCompletionChannel, type AttachCompletions } from './completion-channel.js';
import type { FromScheduleWorker, ScheduleWorkerData, ToScheduleWorker } from '../workers/schedule-worker.js';
import type { SharedStoreView } from './store-view.js';
import type { Logger } from './logger.js';

export interface ScheduleThreadOptions {
  config: BrokerConfig;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  /** Slot registry: the thread starts with its entries and is told about new ones. */
  view: SharedStoreView;
  logger: Logger;
  /** Hands the store writer its end of the thread's completion channel (under the reserved id). */
  attachCompletions: AttachCompletions;
}

const WORKER_FILE = new URL('../workers/schedule-worker.js', import.meta.url);

/**
 * Starts the schedule thread (delayed-message delivery) once the store writer runs, restarts it
 * if it dies, and stops it before the store writer so its last re-puts are answered and its
 * progress saved.
 */
export class ScheduleThread {
  private worker: Worker | null = null;
  private stopping = false;

  constructor(private readonly opts: ScheduleThreadOptions) {}

  get workerId(): number {
    return scheduleWorkerId(this.opts.config.networkWorkers);
  }

  async start(): Promise<void> {
    const { config, view, logger } = this.opts;
    const completions = openCompletionChannel(this.workerId, this.opts.attachCompletions);
    const wd: ScheduleWorkerData = {
      config,
      rootDir: config.storePathRootDir,
      commitLogDir: config.storePathCommitLog,
      ringSab: this.opts.ringSab,
      stateSab: this.opts.stateSab,
      slots: view.slots.entries(),
      workerId: this.workerId,
      completions,
    };
    const w = new Worker(WORKER_FILE, { workerData: wd, transferList: [completions.port] });
    this.worker = w;
    view.scheduler = w;
    w.on('error', (e) => logger.error({ err: e }, 'schedule thread failed'));
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromScheduleWorker) => {
        if (m.kind !== 'ready') return;
        w.off('message', onMessage);
        resolve();
      };
      w.on('message', onMessage);
      w.once('exit', (code) => reject(new Error(`schedule thread exited with code ${code} before it was ready`)));
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (view.scheduler === w) view.scheduler = null;
      if (this.stopping) return;
      // The new thread starts from the saved progress: what was delivered since the last save
      // (at most 10 s) is delivered again, as after a crash.
      logger.error({ code }, 'schedule thread exited; restarting it');
      setTimeout(() => {
        if (!this.stopping) this.start().catch((e) => logger.error({ err: e }, 'schedule thread restart failed'));
      }, 1000);
    });
    await ready;
  }

  /** Stops delivering; resolves once the thread saved its progress and exited (bounded). */
  async stop(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    if (!w) return;
    await stopThread(w, { kind: 'shutdown' } satisfies ToScheduleWorker, 10_000);
  }
}
