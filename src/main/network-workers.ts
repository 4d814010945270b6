import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { openCompletionChannel, type AttachCompletions } from './completion-channel.js';
import type { ChannelRef, FromWorker, SubscriptionGroupView, SubscriptionView, ToWorker, TopicConfig, WireCommand } from '../shared/worker-protocol.js';
import type { NetworkWorkerData } from '../workers/network-worker.js';
import { HandoffPipe } from './acceptor.js';
import type { WorkerBus } from './control/context.js';
import type { Logger } from './logger.js';


/** What the control plane does with requests the network workers forward. */
export interface ControlHandler {
  handle(cmd: WireCommand & { body: Buffer | null }, channel: ChannelRef): Promise<WireCommand | null>;
  onChannelClosed(channel: ChannelRef): void;
  commitOffset(group: string, topic: string, queueId: number, offset: number): void;
}

export interface NetworkWorkersOptions {
  config: BrokerConfig;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  storeIp: string;
  logger: Logger;
  /** Receives the store writer's end of each worker's completion channel. */
  attachCompletions: AttachCompletions;
}

interface Slot {
  worker: Worker;
  pipe: HandoffPipe | null;
  ready: boolean;
}

const WORKER_FILE = new URL('../workers/network-worker.js', import.meta.url);

/**
 * Supervises the network workers (restarting one that dies), hands them connections, and is the
 * control plane's way to reach clients and keep the workers' replicas current.
 */
export class NetworkWorkers implements WorkerBus {
  private readonly slots: Slot[] = [];
  private readonly generations: number[] = [];
  private rr = 0;
  private stopping = false;
  private nextInvoke = 1;
  private readonly invokes = new Map<number, { resolve(c: WireCommand): void; reject(e: Error): void }>();
  private readonly topics = new Map<string, { config: TopicConfig; queueSlots: number[] }>();
  private readonly groups = new Map<string, SubscriptionGroupView>();
  private readonly subs = new Map<string, SubscriptionView[]>();
  control: ControlHandler | null = null;

  constructor(private readonly opts: NetworkWorkersOptions) {}

  /**
   * Starts workers `from` up to `to`. The broker starts one before it listens and the rest once it
   * is registered: connections only ever go to workers that are ready.
   */
  async start(from = 0, to = this.opts.config.networkWorkers): Promise<void> {
    const ids = [];
    for (let id = from; id < to; id++) ids.push(id);
    await Promise.all(ids.map((id) => this.spawn(id)));
  }

  private spawn(id: number): Promise<void> {
    const { config, logger } = this.opts;
    const handoffPath = path.join(os.tmpdir(), `ferry-${process.pid}-${id}-${Date.now()}.sock`);
    const completions = openCompletionChannel(id, this.opts.attachCompletions);
    const wd: NetworkWorkerData = {
      workerId: id,
      generation: (this.generations[id] = (this.generations[id] ?? -1) + 1),
      config,
      ringSab: this.opts.ringSab,
      stateSab: this.opts.stateSab,
      rootDir: config.storePathRootDir,
      commitLogDir: config.storePathCommitLog,
      storeIp: config.brokerIP1,
      storePort: config.listenPort,
      handoffPath,
      completions,
    };
    const worker = new Worker(WORKER_FILE, { workerData: wd, transferList: [completions.port] });
    const slot: Slot = { worker, pipe: null, ready: false };
    this.slots[id] = slot;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') {
          HandoffPipe.connect(handoffPath).then((pipe) => {
            slot.pipe = pipe;
            slot.ready = true;
            this.sendReplicas(worker);
            resolve();
          }, reject);
        } else this.onMessage(id, m);
      });
      worker.on('error', (e) => logger.error({ err: e, workerId: id }, 'network worker failed'));
      worker.on('exit', (code) => {
        slot.ready = false;
        slot.pipe?.close();
        if (this.stopping) return;
        logger.error({ workerId: id, code }, 'network worker exited; restarting it');
        reject(new Error(`network worker ${id} exited with ${code}`));
        setTimeout(() => this.spawn(id).catch((e) => logger.error({ err: e, workerId: id }, 'network worker restart failed')), 100);
      });
    });
  }

  private sendReplicas(worker: Worker): void {
    const post = (m: ToWorker) => worker.postMessage(m);
    post({ kind: 'topics', upsert: [...this.topics.values()], remove: [] });
    post({ kind: 'groups', upsert: [...this.groups.values()], remove: [] });
    for (const [group, subscriptions] of this.subs) post({ kind: 'subscriptions', group, subscriptions });
  }

  private onMessage(workerId: number, m: FromWorker): void {
    const control = this.control;
    if (!control) return;
    switch (m.kind) {
      case 'request': {
        const cmd = { ...m.cmd, body: m.cmd.body ? Buffer.from(m.cmd.body.buffer, m.cmd.body.byteOffset, m.cmd.body.byteLength) : null };
        control.handle(cmd, m.channel).then(
          (reply) => this.post(workerId, { kind: 'reply', reqId: m.reqId, cmd: reply }),
          (e) => {
            this.opts.logger.error({ err: e, code: m.cmd.code }, 'control request failed');
            this.post(workerId, { kind: 'reply', reqId: m.reqId, cmd: null });
          },
        );
        break;
      }
      case 'closed':
        control.onChannelClosed(m.channel);
        break;
      case 'commitOffsets':
        for (let i = 0; i < m.groups.length; i++) {
          const pairs = m.pairs[i];
          for (let k = 0; k < pairs.length; k += 2) control.commitOffset(m.groups[i], m.topics[i], pairs[k], pairs[k + 1]);
        }
        break;
      case 'clientReply': {
        const inv = this.invokes.get(m.invokeId);
        this.invokes.delete(m.invokeId);
        if (!inv) break;
        if (m.cmd) inv.resolve(m.cmd);
        else inv.reject(new Error(`client did not answer: ${m.error ?? 'unknown'}`));
        break;
      }
    }
  }

  private post(workerId: number, m: ToWorker): void {
    const slot = this.slots[workerId];
    if (slot?.ready) slot.worker.postMessage(m);
  }

  private broadcast(m: ToWorker): void {
    for (const s of this.slots) if (s?.ready) s.worker.postMessage(m);
  }

  nextPipe(): HandoffPipe | null {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[this.rr++ % this.slots.length];
      if (s?.ready && s.pipe && !s.pipe.broken) return s.pipe;
    }
    return null;
  }

  // ---- WorkerBus ----

  sendToClient(channel: ChannelRef, cmd: WireCommand): void {
    this.post(channel.workerId, { kind: 'toClient', connId: channel.connId, cmd });
  }

  invokeClient(channel: ChannelRef, cmd: WireCommand, timeoutMs: number): Promise<WireCommand> {
    const invokeId = this.nextInvoke++;
    return new Promise((resolve, reject) => {
      this.invokes.set(invokeId, { resolve, reject });
      this.post(channel.workerId, { kind: 'toClient', connId: channel.connId, cmd, invokeId, timeoutMs });
    });
  }

  publishTopics(upsert: { config: TopicConfig; queueSlots: number[] }[], remove: string[]): void {
    for (const t of remove) this.topics.delete(t);
    for (const u of upsert) this.topics.set(u.config.topicName, u);
    this.broadcast({ kind: 'topics', upsert, remove });
  }

  publishGroups(upsert: SubscriptionGroupView[], remove: string[]): void {
    for (const g of remove) this.groups.delete(g);
    for (const g of upsert) this.groups.set(g.groupName, g);
    this.broadcast({ kind: 'groups', upsert, remove });
  }

  publishSubscriptions(group: string, subscriptions: SubscriptionView[]): void {
    if (subscriptions.length === 0) this.subs.delete(group);
    else this.subs.set(group, subscriptions);
    this.broadcast({ kind: 'subscriptions', group, subscriptions });
  }

  /** Asks every worker to stop: they stop reading, answer held pulls and drain in-flight sends. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map((s) => {
        if (!s) return Promise.resolve();
        s.pipe?.close();
        const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
        s.worker.postMessage({ kind: 'shutdown' } satisfies ToWorker);
        return Promise.race([exited, new Promise<void>((r) => setTimeout(r, 8000))]).then(() => void s.worker.terminate());
      }),
    );
  }
}
