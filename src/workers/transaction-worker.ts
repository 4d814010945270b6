/**
 * The transaction thread: RocketMQ's TransactionalMessageCheckService. Every
 * transactionCheckInterval it scans the half queues and asks producers about the transactions
 * they left open (check-service.ts).
 *
 * Why a thread of its own: a scan does blocking file reads (half and op ConsumeQueue units, whole
 * CommitLog records), may go on for up to a minute per queue with a large backlog, and waits for
 * ring space and completions for every half message it appends again. On the main thread that
 * would stall the control plane (heartbeats, admin requests, topic creation) that every worker
 * forwards to; in a network worker it would stall that worker's connections, and one worker would
 * have to be singled out to run it; in the dispatcher it would delay ConsumeQueue publication and
 * so every pull; in the schedule thread a long scan would hold back due delayed messages. Here it
 * costs one thread that sleeps between scans. Like the schedule thread it is an internal producer
 * on the shared SharedArrayBuffer ring (the store writer stays the CommitLog's only writer) with
 * its own completion port under the reserved id transactionWorkerId(). Producer connections live
 * in the network workers and only the main thread's ProducerManager knows which are live, so a
 * check goes thread -> main (picks a channel of the group, round robin) -> the worker owning it;
 * progress goes to the main thread's consumer offsets (group CID_RMQ_SYS_TRANS), persisted in
 * consumerOffset.json as RocketMQ does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CompletionChannel } from '../shared/completion-ring.js';
import { listenForCompletions } from './completions.js';
import { Ring } from '../shared/ring.js';
import { SharedState } from '../shared/shared-state.js';
import { QueueSlots } from '../shared/queue-slots.js';
import { RequestCode } from '../shared/codes.js';
import { newRequest } from '../shared/remoting/command.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import type { WireCommand } from '../shared/worker-protocol.js';
import { createLogger } from '../main/logger.js';
import { StoreReader } from './storage/store-reader.js';
import { CheckService } from './transaction/check-service.js';

export interface TransactionWorkerData {
  config: BrokerConfig;
  rootDir: string;
  commitLogDir: string;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  /** Queue slots known at start, as QueueSlots.entries(). */
  slots: [string, number[]][];
  /** Saved CID_RMQ_SYS_TRANS offsets of the half and op queues: [topic, queueId, offset]. */
  offsets: [string, number, number][];
  /** Completion-port id this thread puts in its ring entries. */
  workerId: number;
  /** Receives the store writer's completions for this thread's re-puts. */
  completions: CompletionChannel;
}

export type ToTransactionWorker = { kind: 'topicSlots'; reqId: number; slots: number[] | null } | { kind: 'shutdown' };
export type FromTransactionWorker =
  | { kind: 'ready' }
  /** Write this CHECK_TRANSACTION_STATE to a live channel of the producer group. */
  | { kind: 'check'; group: string; cmd: WireCommand }
  /** Progress of a half or op queue for CID_RMQ_SYS_TRANS. */
  | { kind: 'commitOffset'; topic: string; queueId: number; offset: number }
  /** Create the topic (1 queue, read/write) when missing and answer its slots. */
  | { kind: 'ensureTopic'; reqId: number; topic: string }
  | { kind: 'stopped' };

/** How long shutdown waits for re-puts already in the ring. */
const SHUTDOWN_WAIT_MS = 5_000;

const data = workerData as TransactionWorkerData;
const config = data.config;
const log = createLogger('transaction', config.logLevel);
const post = (m: FromTransactionWorker) => parentPort!.postMessage(m);
const slots = new QueueSlots();
for (const [t, s] of data.slots) slots.adopt(t, s);
const state = new SharedState(data.stateSab);
const reader = new StoreReader(data.rootDir, data.commitLogDir, config.mapedFileSizeCommitLog, config.mapedFileSizeConsumeQueue, state);
const topicRequests = new Map<number, (slots: number[] | null) => void>();
let nextTopicRequest = 1;

const service = new CheckService({
  reader,
  ring: new Ring(data.ringSab),
  state,
  slots,
  workerId: data.workerId,
  settings: {
    transactionTimeout: config.transactionTimeOut,
    transactionCheckMax: config.transactionCheckMax,
    fileReservedTimeMs: config.fileReservedTimeMillis > 0 ? config.fileReservedTimeMillis : config.fileReservedTime * 3_600_000,
  },
  log,
  offsets: new Map(data.offsets.map(([topic, queueId, offset]) => [`${topic}@${queueId}`, offset])),
  commitOffset: (topic, queueId, offset) => post({ kind: 'commitOffset', topic, queueId, offset }),
  sendCheck: (group, extFields, body) => post({ kind: 'check', group, cmd: newRequest(RequestCode.CHECK_TRANSACTION_STATE, extFields, body, true) }),
  ensureTopic: (topic) =>
    new Promise((resolve) => {
      const reqId = nextTopicRequest++;
      topicRequests.set(reqId, resolve);
      post({ kind: 'ensureTopic', reqId, topic });
    }),
});

listenForCompletions(data.completions, (c) => service.complete(c));

let stopping = false;
let timer: NodeJS.Timeout | null = null;
let running: Promise<void> | null = null;

/** TransactionalMessageCheckService: wait an interval, scan, repeat. */
function schedule(): void {
  if (stopping) return;
  timer = setTimeout(() => {
    timer = null;
    running = runCheck().finally(() => {
      running = null;
      schedule();
    });
  }, config.transactionCheckInterval);
}

async function runCheck(): Promise<void> {
  const t0 = Date.now();
  try {
    const reports = await service.check();
    const busy = reports.filter((r) => r.checked || r.discarded || r.settled || r.halfTo !== r.halfFrom || r.opTo !== r.opFrom);
    if (busy.length) log.info({ ms: Date.now() - t0, queues: busy }, 'transaction check done');
  } catch (e) {
    log.error({ err: e }, 'transaction check failed');
  }
}

parentPort!.on('message', (m: ToTransactionWorker) => {
  if (m.kind === 'topicSlots') {
    const resolve = topicRequests.get(m.reqId);
    topicRequests.delete(m.reqId);
    resolve?.(m.slots);
  } else if (m.kind === 'shutdown') void shutdown();
});

/** Stops scanning, lets the re-puts in the ring complete (bounded), then exits. */
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  service.stopping = true;
  if (timer) clearTimeout(timer);
  for (const resolve of topicRequests.values()) resolve(null);
  topicRequests.clear();
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (service.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (service.inFlight > 0) {
    log.warn({ inFlight: service.inFlight }, 'transaction re-puts unanswered at shutdown: those half messages are checked again');
    service.abandon();
  }
  await running;
  reader.close();
  log.info('transaction check service stopped');
  post({ kind: 'stopped' });
  data.completions.port.close();
  parentPort!.close();
}

log.info({ intervalMs: config.transactionCheckInterval, timeoutMs: config.transactionTimeOut, checkMax: config.transactionCheckMax, offsets: data.offsets }, 'transaction check service started');
post({ kind: 'ready' });
schedule();
