/**
 * Starts and stops a whole broker: store threads, embedded name server, control plane, network
 * workers, listeners and name-server registration, in the order that keeps every step safe.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import { createRingBuffer } from '../shared/ring.js';
import { SharedState } from '../shared/shared-state.js';
import { embeddedNamesrvEnabled, namesrvAddrList, type BrokerConfig } from '../shared/config/broker-config.js';
import type { StoreWriterData, ToStoreWriter } from '../workers/store-writer.js';
import type { DispatcherData, FromDispatcher, ToDispatcher } from '../workers/dispatcher.js';
import { SCHEDULE_TOPIC } from '../shared/delay.js';
import { TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../shared/transaction.js';
import type { FlusherData } from '../workers/flusher.js';
import { StoreReader } from '../workers/storage/store-reader.js';
import { checkpointMinTimestamp, decodeCheckpoint, parseBootId, readRecoveryHint } from '../shared/storage/checkpoint.js';
import { startNameServer, type NameServer } from './namesrv/server.js';
import { BrokerRegistrar } from './namesrv/registrar.js';
import { BrokerControl } from './control/broker-control.js';
import type { ControlContext } from './control/context.js';
import { SharedStoreView } from './store-view.js';
import { NetworkWorkers } from './network-workers.js';
import type { AttachCompletions } from './completion-channel.js';
import { Acceptor } from './acceptor.js';
import { ScheduleThread } from './schedule-thread.js';
import { TransactionThread } from './transaction-thread.js';
import { localHostNames } from './config-loader.js';
import type { Logger } from './logger.js';

export interface RunningBroker {
  stop(): Promise<void>;
}

const workerFile = (name: string) => new URL(`../workers/${name}.js`, import.meta.url);

function once<T>(worker: Worker, kind: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { kind: string }) => {
      if (m.kind !== kind) return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number) => reject(new Error(`thread exited with code ${code} before "${kind}"`));
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

function ringCapacity(mb: number): number {
  let cap = 1 << 20;
  while (cap < mb * 1024 * 1024 && cap < 1 << 30) cap *= 2;
  return cap;
}

/** Topics that have ConsumeQueues on disk, with their queue counts. */
function queuesOnDisk(root: string): [string, number][] {
  const dir = path.join(root, 'consumequeue');
  const out: [string, number][] = [];
  let topics: string[] = [];
  try {
    topics = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const t of topics) {
    let ids: number[] = [];
    try {
      ids = fs.readdirSync(path.join(dir, t)).filter((q) => /^\d+$/.test(q)).map(Number);
    } catch {
      continue;
    }
    if (ids.length) out.push([t, Math.max(...ids) + 1]);
  }
  return out;
}

/** The kernel's boot id (Linux), which tells a process crash from a reboot; null elsewhere. */
function readBootId(): Uint8Array | null {
  try {
    return parseBootId(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * RocketMQ's abnormal-recovery bound from the checkpoint file (0: scan everything) and where
 * Ferry's recovery hint in the same page lets recovery start in this boot (-1: none); both the
 * widest values if the file is unreadable.
 */
function readCheckpoint(file: string, bootId: Uint8Array | null): { minTimestamp: number; durableOffset: number } {
  try {
    const page = fs.readFileSync(file);
    return { minTimestamp: checkpointMinTimestamp(decodeCheckpoint(page)), durableOffset: readRecoveryHint(page, bootId) };
  } catch {
    return { minTimestamp: 0, durableOffset: -1 };
  }
}

export async function startBroker(config: BrokerConfig, log: Logger): Promise<RunningBroker> {
  const t0 = Date.now();
  const root = config.storePathRootDir;
  fs.mkdirSync(path.join(root, 'config'), { recursive: true });
  fs.mkdirSync(config.storePathCommitLog, { recursive: true });
  const abortFile = path.join(root, 'abort');
  const abnormal = fs.existsSync(abortFile);
  if (abnormal) log.warn({ store: root }, 'the last stop was not clean: recovering with full checks');
  fs.writeFileSync(abortFile, '');
  for (const [k, v] of Object.entries(config.unknown)) log.info({ key: k, value: v }, 'config key not used by Ferry; kept');

  const stateSab = SharedState.create();
  const state = new SharedState(stateSab);
  const reader = new StoreReader(root, config.storePathCommitLog, config.mapedFileSizeCommitLog, config.mapedFileSizeConsumeQueue, state);
  const view = new SharedStoreView(state, reader);
  reader.slotOf = (topic, queueId) => view.slots.get(topic, queueId);
  for (const [topic, n] of queuesOnDisk(root)) view.slots.slotsFor(topic, n);

  let namesrv: NameServer | null = null;
  if (embeddedNamesrvEnabled(config, localHostNames())) {
    namesrv = await startNameServer({ port: config.namesrvListenPort, logger: log.child({ component: 'namesrv' }) });
    log.info({ port: namesrv.port }, 'embedded name server listening');
  }
  const namesrvAddrs = namesrvAddrList(config);
  if (namesrvAddrs.length === 0) namesrvAddrs.push(`127.0.0.1:${config.namesrvListenPort}`);

  const ringSab = createRingBuffer(ringCapacity(config.ringSizeMB));
  const checkpointFile = path.join(root, 'checkpoint');
  const bootId = readBootId();
  const checkpoint = readCheckpoint(checkpointFile, bootId);
  const storeWriterData: StoreWriterData = {
    config,
    commitLogDir: config.storePathCommitLog,
    ringSab,
    stateSab,
    abnormal,
    checkpointMinTimestamp: checkpoint.minTimestamp,
    durableOffset: checkpoint.durableOffset,
    cleanStopFile: path.join(root, 'ferry.cleanstop'),
  };
  const storeWriter = new Worker(workerFile('store-writer'), { workerData: storeWriterData });
  const toStoreWriter = (m: ToStoreWriter, transfer?: MessagePort[]) => storeWriter.postMessage(m, transfer);
  storeWriter.on('error', (e) => log.fatal({ err: e }, 'store writer failed'));
  const recovered = once<{ scanFrom: number; scanFromDurable: boolean }>(storeWriter, 'recovered');

  const attachCompletions: AttachCompletions = (workerId, ring, port) => toStoreWriter({ kind: 'port', workerId, port, ring }, [port]);
  const workers = new NetworkWorkers({
    config,
    ringSab,
    stateSab,
    storeIp: config.brokerIP1,
    logger: log,
    attachCompletions,
  });
  let registrar: BrokerRegistrar | null = null;
  const ctx: ControlContext = { config, logger: log.child({ component: 'control' }), store: view, bus: workers, registerNow: () => void registrar?.registerNow() };
  const control = new BrokerControl(ctx);
  await control.load();
  // Start-up is bound by thread boots (each mostly Node's own bootstrap and module loading) on few
  // cores, so the first send waits only for the threads it needs: the store writer, the dispatcher
  // (it recovers the queue offsets the store writer assigns from) and one network worker. It boots
  // while the store writer recovers, and gets no connection before the acceptor listens, below.
  const firstWorkerStarted = workers.start(0, 1);
  firstWorkerStarted.catch(() => undefined); // awaited below; a failure before then must not count as unhandled

  let stopping = false;
  // The schedule and transaction threads serve queues that many brokers never use: each starts
  // once the dispatcher reports a ConsumeQueue of its topics (found at recovery, or made for the
  // first delayed or half message), which spares every other broker a thread's start-up CPU and
  // memory. Until the late starts below, demands are only collected.
  const demanded = new Set<string>();
  let startOnDemand: ((topic: string) => void) | null = null;
  const onDispatcherMessage = (m: FromDispatcher) => {
    if (m.kind !== 'internalQueue') return;
    demanded.add(m.topic);
    startOnDemand?.(m.topic);
  };
  /** The dispatcher loads while the CommitLog is recovered, and starts once it is. */
  const startDispatcher = async (recovering: boolean, restarted = false): Promise<Worker> => {
    const d: DispatcherData = { config, rootDir: root, commitLogDir: config.storePathCommitLog, stateSab, slots: view.slots.entries(), abnormal: recovering, bootId };
    const w = new Worker(workerFile('dispatcher'), { workerData: d });
    w.on('error', (e) => log.error({ err: e }, 'dispatcher failed'));
    w.on('message', onDispatcherMessage);
    w.on('exit', (code) => {
      if (stopping) return;
      log.error({ code }, 'dispatcher exited; restarting it');
      setTimeout(() => startDispatcher(true, true).then((nw) => (view.dispatcher = nw)), 100);
    });
    const ready = once(w, 'ready');
    const r = await recovered;
    // A restarted thread goes by the newer checkpoint its predecessor wrote (the CommitLog was
    // verified at start-up).
    const durable = restarted ? readCheckpoint(checkpointFile, bootId).durableOffset : -1;
    const start: ToDispatcher = durable >= 0
      ? { kind: 'start', abnormalReputFrom: durable, durable: true }
      : { kind: 'start', abnormalReputFrom: r.scanFrom, durable: r.scanFromDurable };
    w.postMessage(start);
    await ready;
    return w;
  };
  // Threads start side by side: each spends most of its start-up loading modules.
  const dispatcherStarted = startDispatcher(abnormal);
  dispatcherStarted.catch(() => undefined); // awaited below
  view.dispatcher = await dispatcherStarted;
  toStoreWriter({ kind: 'start' });
  storeWriter.on('exit', (code) => {
    if (stopping) return;
    // Offsets live in this thread alone; a fresh start recovers them from disk.
    log.fatal({ code }, 'store writer exited: stopping the broker so that it restarts through recovery');
    process.exit(70);
  });
  // Delayed-message delivery re-puts through the ring: it needs the store writer running and the
  // ConsumeQueues recovered (the schedule queues' offsets published).
  const scheduler = new ScheduleThread({ config, ringSab, stateSab, view, logger: log, attachCompletions });
  // Transaction check-back (transaction-thread.ts): also an internal producer on the ring.
  const transactions = new TransactionThread({ config, ringSab, stateSab, view, logger: log, control, bus: workers, attachCompletions });
  workers.control = {
    handle: (cmd, channel) => control.handle(cmd, channel),
    onChannelClosed: (channel) => control.onChannelClosed(channel),
    commitOffset: (g, t, q, o) => control.commitOffset(g, t, q, o),
  };
  await firstWorkerStarted;
  const acceptor = new Acceptor({ ports: [config.listenPort, config.listenPort - 2], maxConnections: config.maxConnections, logger: log, nextPipe: () => workers.nextPipe() });
  await acceptor.listen();

  registrar = new BrokerRegistrar({
    namesrvAddrs,
    clusterName: config.brokerClusterName,
    brokerName: config.brokerName,
    brokerId: config.brokerId,
    brokerAddr: `${config.brokerIP1}:${config.listenPort}`,
    haServerAddr: `${config.brokerIP1}:${config.haListenPort}`,
    logger: log.child({ component: 'registrar' }),
    topicConfigWrapper: () => {
      const w = control.topicWrapper();
      return { dataVersion: w.dataVersion, topicConfigTable: Object.fromEntries(w.topicConfigTable) };
    },
    periodMs: config.registerNameServerPeriod,
  });
  await registrar.start();
  // The rest start once clients can find the broker, one at a time so that the first sends do not
  // queue behind their boots. Until the flusher runs, ASYNC_FLUSH appends are only in the page
  // cache, as between any two flushes (under SYNC_FLUSH the store writer flushes itself); the store
  // writer waits for it only to roll to the next CommitLog file.
  const flusherData: FlusherData = { config, commitLogDir: config.storePathCommitLog, stateSab };
  const flusher = new Worker(workerFile('flusher'), { workerData: flusherData });
  flusher.on('error', (e) => log.error({ err: e }, 'flusher failed'));
  await once(flusher, 'ready');
  for (let id = 1; id < config.networkWorkers; id++) await workers.start(id, id + 1);
  const threadFor = new Map<string, ScheduleThread | TransactionThread>([[SCHEDULE_TOPIC, scheduler], [TRANS_HALF_TOPIC, transactions], [TRANS_OP_HALF_TOPIC, transactions]]);
  const started = new Set<ScheduleThread | TransactionThread>();
  startOnDemand = (topic) => {
    const thread = threadFor.get(topic);
    if (!thread || started.has(thread) || stopping) return;
    started.add(thread);
    const name = thread === scheduler ? 'schedule' : 'transaction';
    thread.start().then(
      () => log.info({ thread: name, topic }, 'thread started on demand'),
      (e) => stopping || log.error({ err: e, thread: name }, 'thread failed to start'),
    );
  };
  for (const topic of demanded) startOnDemand(topic);
  log.info({ ms: Date.now() - t0, listenPort: config.listenPort, namesrvAddrs, store: root, networkWorkers: config.networkWorkers, flushDiskType: config.flushDiskType }, 'Ferry broker started');

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      const s0 = Date.now();
      await acceptor.close();
      await workers.stop();
      await scheduler.stop();
      await transactions.stop();
      const writerStopped = once(storeWriter, 'stopped');
      toStoreWriter({ kind: 'shutdown' });
      await writerStopped;
      const dispatcher = view.dispatcher!;
      const dispatcherStopped = once(dispatcher, 'stopped');
      dispatcher.postMessage({ kind: 'shutdown' } satisfies ToDispatcher);
      await dispatcherStopped;
      const flusherStopped = once(flusher, 'stopped');
      flusher.postMessage({ kind: 'shutdown' });
      await flusherStopped;
      await control.shutdown();
      await registrar?.stop();
      await namesrv?.close();
      reader.close();
      fs.rmSync(abortFile, { force: true });
      log.info({ ms: Date.now() - s0 }, 'Ferry broker stopped cleanly');
    },
  };
}
