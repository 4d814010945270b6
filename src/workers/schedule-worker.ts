/**
 * The schedule thread: delivers delayed messages (delay levels, and so consumer retries) when due.
 *
 * Why a thread of its own rather than the dispatcher's: the dispatcher is the ConsumeQueue writer
 * every pull and long-poll waits on, and this service does blocking file reads (schedule
 * ConsumeQueue units, whole CommitLog records) and may have to wait for ring space when the
 * store writer is saturated; here neither slows dispatch, a backlog of due messages (thousands
 * becoming due at once after a restart) is worked off without adding dispatch latency, and a
 * failure here leaves dispatch running. It costs one more thread. Re-puts go through the same
 * SharedArrayBuffer ring as client sends, so the store writer stays the CommitLog's only writer;
 * its completions come back on this thread's own port, under the reserved id scheduleWorkerId().
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CompletionChannel } from '../shared/completion-ring.js';
import { listenForCompletions } from './completions.js';
import { Ring } from '../shared/ring.js';
import { SharedState } from '../shared/shared-state.js';
import { QueueSlots } from '../shared/queue-slots.js';
import { parseDelayLevels } from '../shared/delay.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { createLogger } from '../main/logger.js';
import { StoreReader } from './storage/store-reader.js';
import { DelayProgressFile } from './schedule/delay-progress.js';
import { POLL_INTERVAL_MS, ScheduleService } from './schedule/schedule-service.js';

export interface ScheduleWorkerData {
  config: BrokerConfig;
  rootDir: string;
  commitLogDir: string;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  /** Queue slots known at start, as QueueSlots.entries(). */
  slots: [string, number[]][];
  /** Completion-port id this thread puts in its ring entries. */
  workerId: number;
  /** Receives the store writer's completions for this thread's re-puts. */
  completions: CompletionChannel;
}

export type ToScheduleWorker = { kind: 'slots'; topic: string; slots: number[] } | { kind: 'shutdown' };
export type FromScheduleWorker = { kind: 'ready'; levels: number } | { kind: 'stopped'; offsets: [number, number][] };

/** RocketMQ's flushDelayOffsetInterval. */
const PERSIST_INTERVAL_MS = 10_000;
/** How long shutdown waits for re-puts already in the ring. */
const SHUTDOWN_WAIT_MS = 5_000;

const data = workerData as ScheduleWorkerData;
const config = data.config;
const log = createLogger('schedule', config.logLevel);
const slots = new QueueSlots();
for (const [t, s] of data.slots) slots.adopt(t, s);
const reader = new StoreReader(data.rootDir, data.commitLogDir, config.mapedFileSizeCommitLog, config.mapedFileSizeConsumeQueue);
const progressFile = new DelayProgressFile(data.rootDir, log);
const levels = parseDelayLevels(config.messageDelayLevel);
/** Created once delayOffset.json is read (start, below). */
let service: ScheduleService;

let stopping = false;
let pollTimer: NodeJS.Timeout | null = null;
let soon = false;

function poll(): void {
  pollTimer = null;
  if (stopping) return;
  // A level held back by its in-flight cap or a full ring looks again soon (completions also wake it).
  const more = service.poll();
  schedule(more ? 10 : POLL_INTERVAL_MS);
}

function schedule(ms: number): void {
  if (stopping) return;
  if (pollTimer && ms >= POLL_INTERVAL_MS) return;
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, ms);
}

function onCompletions(c: Float64Array): void {
  service.complete(c);
  // Room in the level's in-flight window: look again without waiting for the next poll.
  if (!soon && !stopping) {
    soon = true;
    setImmediate(() => {
      soon = false;
      schedule(0);
    });
  }
}

async function persist(): Promise<void> {
  try {
    await progressFile.save(service.offsetTable());
  } catch (e) {
    log.error({ err: (e as Error).message }, 'cannot write delayOffset.json');
  }
}

let persistTimer: NodeJS.Timeout | undefined;

function onMessage(m: ToScheduleWorker): void {
  if (m.kind === 'slots') slots.adopt(m.topic, m.slots);
  else if (m.kind === 'shutdown') void shutdown();
}

/** Stops reading, lets the re-puts in the ring complete (bounded), saves the progress. */
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (pollTimer) clearTimeout(pollTimer);
  clearInterval(persistTimer);
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (service.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (service.inFlight > 0) log.warn({ inFlight: service.inFlight }, 're-puts unanswered at shutdown: they will be delivered again');
  await progressFile.flush();
  await persist();
  const table = service.offsetTable();
  reader.close();
  log.info({ offsets: Object.fromEntries(table) }, 'schedule service stopped');
  parentPort!.postMessage({ kind: 'stopped', offsets: [...table] } satisfies FromScheduleWorker);
  data.completions.port.close();
  parentPort!.close();
}

/** Messages from the main thread wait in their port, and completions in their ring, until the service exists. */
function start(saved: Map<number, number>): void {
  service = new ScheduleService({
    levels,
    progress: saved,
    reader,
    ring: new Ring(data.ringSab),
    state: new SharedState(data.stateSab),
    slots,
    workerId: data.workerId,
    log,
  });
  listenForCompletions(data.completions, onCompletions);
  persistTimer = setInterval(() => void persist(), PERSIST_INTERVAL_MS);
  parentPort!.on('message', onMessage);
  log.info({ levels: levels.length, offsets: Object.fromEntries(saved) }, 'schedule service started');
  parentPort!.postMessage({ kind: 'ready', levels: levels.length } satisfies FromScheduleWorker);
  schedule(0);
}

void progressFile.load().then(start);
