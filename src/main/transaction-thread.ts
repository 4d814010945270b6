import { Worker } from 'node:worker_threads';
import { stopThread } from './stop-thread.js';
import { Perm } from '../shared/codes.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { transactionWorkerId } from '../shared/send-entry.js';
import { openCompletionChannel, type AttachCompletions } from './completion-channel.js';
import { CID_RMQ_SYS_TRANS, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../shared/transaction.js';
import type { ChannelRef, WireCommand } from '../shared/worker-protocol.js';
import type { FromTransactionWorker, ToTransactionWorker, TransactionWorkerData } from '../workers/transaction-worker.js';
import type { SharedStoreView } from './store-view.js';
import type { Logger } from './logger.js';

/** The parts of the control plane the check service uses. */
export interface TransactionControl {
  offsets: {
    query(group: string, topic: string, queueId: number): number;
    commit(group: string, topic: string, queueId: number, offset: number): void;
  };
  producers: { availableChannel(group: string): { channel: ChannelRef } | undefined };
  topics: { createInSendMessageBackMethod(topic: string, queueNums: number, perm: number, topicSysFlag: number): unknown };
}

export interface TransactionThreadOptions {
  config: BrokerConfig;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  /** Slot registry: the thread starts with its entries. */
  view: SharedStoreView;
  logger: Logger;
  control: TransactionControl;
  /** Writes a server-initiated request to a client connection (the network workers' bus). */
  bus: { sendToClient(channel: ChannelRef, cmd: WireCommand): void };
  /** Hands the store writer its end of the thread's completion channel (under the reserved id). */
  attachCompletions: AttachCompletions;
}

const WORKER_FILE = new URL('../workers/transaction-worker.js', import.meta.url);
/** Missing-channel warnings per producer group at most this often. */
const NO_CHANNEL_WARN_MS = 10_000;

/**
 * Starts the transaction check thread once the store writer runs, serves what it needs from the
 * main thread (a live producer channel per check, CID_RMQ_SYS_TRANS offsets, the
 * TRANS_CHECK_MAX_TIME_TOPIC topic), restarts it if it dies, and stops it before the store writer.
 */
export class TransactionThread {
  private worker: Worker | null = null;
  private stopping = false;
  private readonly warnedAt = new Map<string, number>();

  constructor(private readonly opts: TransactionThreadOptions) {}

  get workerId(): number {
    return transactionWorkerId(this.opts.config.networkWorkers);
  }

  async start(): Promise<void> {
    const { config, view, logger, control } = this.opts;
    const completions = openCompletionChannel(this.workerId, this.opts.attachCompletions);
    const offsets: [string, number, number][] = [];
    for (const topic of [TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC]) {
      const queues = view.slots.topicSlots(topic)?.length ?? 0;
      for (let q = 0; q < queues; q++) offsets.push([topic, q, control.offsets.query(CID_RMQ_SYS_TRANS, topic, q)]);
    }
    const wd: TransactionWorkerData = {
      config,
      rootDir: config.storePathRootDir,
      commitLogDir: config.storePathCommitLog,
      ringSab: this.opts.ringSab,
      stateSab: this.opts.stateSab,
      slots: view.slots.entries(),
      offsets,
      workerId: this.workerId,
      completions,
    };
    const w = new Worker(WORKER_FILE, { workerData: wd, transferList: [completions.port] });
    this.worker = w;
    w.on('error', (e) => logger.error({ err: e }, 'transaction thread failed'));
    const ready = new Promise<void>((resolve, reject) => {
      w.once('exit', (code) => reject(new Error(`transaction thread exited with code ${code} before it was ready`)));
      w.on('message', (m: FromTransactionWorker) => {
        if (m.kind === 'ready') resolve();
        else this.onMessage(w, m);
      });
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (this.stopping) return;
      // The new thread resumes from the offsets committed so far: half messages re-put since are checked again.
      logger.error({ code }, 'transaction thread exited; restarting it');
      setTimeout(() => {
        if (!this.stopping) this.start().catch((e) => logger.error({ err: e }, 'transaction thread restart failed'));
      }, 1000);
    });
    await ready;
  }

  private onMessage(w: Worker, m: FromTransactionWorker): void {
    const { control, logger } = this.opts;
    switch (m.kind) {
      case 'check': {
        const live = control.producers.availableChannel(m.group);
        if (live) this.opts.bus.sendToClient(live.channel, m.cmd);
        else {
          const now = Date.now();
          if (now - (this.warnedAt.get(m.group) ?? 0) > NO_CHANNEL_WARN_MS) {
            this.warnedAt.set(m.group, now);
            logger.warn({ group: m.group, msgId: m.cmd.extFields?.msgId }, 'transaction check not sent: the producer group has no live connection');
          }
        }
        break;
      }
      case 'commitOffset':
        control.offsets.commit(CID_RMQ_SYS_TRANS, m.topic, m.queueId, m.offset);
        break;
      case 'ensureTopic': {
        let slots: number[] | null = null;
        try {
          control.topics.createInSendMessageBackMethod(m.topic, 1, Perm.READ | Perm.WRITE, 0);
          slots = [...(this.opts.view.slots.topicSlots(m.topic) ?? [])];
        } catch (e) {
          logger.error({ topic: m.topic, err: (e as Error).message }, 'cannot create a topic for the transaction thread');
        }
        w.postMessage({ kind: 'topicSlots', reqId: m.reqId, slots } satisfies ToTransactionWorker);
        break;
      }
    }
  }

  /** Stops checking; resolves once the thread let its re-puts finish and exited (bounded). */
  async stop(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    if (!w) return;
    await stopThread(w, { kind: 'shutdown' } satisfies ToTransactionWorker, 10_000);
  }
}
