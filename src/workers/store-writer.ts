/**
 * The store writer thread: the only writer of the CommitLog. It drains send entries from the
 * ring in order, gives every record its queue offset, physical offset and store timestamp,
 * appends each drained batch with one write, publishes the new CommitLog end for the dispatcher,
 * and returns completions to the network workers. Under SYNC_FLUSH the completions of a batch
 * are held until a flush covering it returns (group commit, see below).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Ring } from '../shared/ring.js';
import { SharedState, Seq, StoreWord, MAX_QUEUE_SLOTS, completionWord } from '../shared/shared-state.js';
import { COMPLETION_WORDS, ENTRY_HEADER_SIZE, PutStatus } from '../shared/send-entry.js';
import { CompletionOutbox, CompletionRing } from '../shared/completion-ring.js';
import { readInt } from '../shared/storage/longs.js';
import { patchStoreFields, POS_SYSFLAG, PREPARED, ROLLBACK, transactionType } from '../shared/storage/message.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import fs from 'node:fs';
import { AllocationError, CommitLogSyncer, CommitLogWriter } from './storage/commitlog-writer.js';
import { diskUsedPercent } from './storage/retention.js';
import { NotWritable } from '../shared/shared-state.js';
import { createLogger } from '../main/logger.js';

export interface StoreWriterData {
  config: BrokerConfig;
  commitLogDir: string;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  /** The last stop was not clean: verify CRCs, walk from the checkpoint. */
  abnormal: boolean;
  checkpointMinTimestamp: number;
  /** The checkpoint's recovery hint (-1: none): after an unclean stop, verify from there. */
  durableOffset: number;
  /** Where a clean stop records the CommitLog end, so the next start need not scan. */
  cleanStopFile: string;
}

export type ToStoreWriter =
  /** A ring producer's completion channel (replaces the one of a predecessor with the same id). */
  | { kind: 'port'; workerId: number; port: MessagePort; ring: SharedArrayBuffer }
  | { kind: 'start' }
  | { kind: 'shutdown' };

const data = workerData as StoreWriterData;
const config = data.config;
const log = createLogger('store-writer', config.logLevel);
const ring = new Ring(data.ringSab);
const state = new SharedState(data.stateSab);
const syncFlush = config.flushDiskType === 'SYNC_FLUSH';
const writer = new CommitLogWriter(data.commitLogDir, config.mapedFileSizeCommitLog, 32 * 1024 * 1024, (start) => awaitNextFile(start), !syncFlush);
const syncer = new CommitLogSyncer(data.commitLogDir, config.mapedFileSizeCommitLog);
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

// Queue offsets: the next logical offset per slot, taken from the dispatcher's table on first use
// (after recovery the dispatcher has re-indexed everything the CommitLog holds).
const nextOffset = new Float64Array(MAX_QUEUE_SLOTS);
/** Per slot: the queue epoch (SharedState.resetQueue) nextOffset counts in; -1 before its first record. */
const knownEpoch = new Int32Array(MAX_QUEUE_SLOTS).fill(-1);

/** Per ring producer: where its completions go, and the port that wakes it when it asked. */
const channels: ({ outbox: CompletionOutbox; port: MessagePort } | undefined)[] = [];
let completions: Float64Array[] = [];
let completionCount: number[] = [];
// Per batch, for rollback when the write fails: slot and how many offsets it took.
const batchSlots: number[] = [];
let running = false;
let stopping = false;
/** finish() runs: it flushes and answers everything itself. */
let closing = false;
/** Everything below it is on disk (StoreWord.FLUSHED under SYNC_FLUSH). */
let lastSyncedPos = 0;

const t0 = Date.now();
const report = writer.recover({
  verifyCrc: data.abnormal,
  cleanEnd: data.abnormal ? null : readCleanEnd(),
  checkpointMinTimestamp: data.checkpointMinTimestamp,
  durableOffset: data.durableOffset,
  onProgress: (p) => log.info(p, 'CommitLog recovery: file checked'),
});
fs.rmSync(data.cleanStopFile, { force: true });
// After an unclean stop what recovery walked may still be only in the page cache: the first
// flush covers it, and until then the checkpoint's durable offset cannot pass it.
lastSyncedPos = report.mode === 'abnormal' ? report.scanFrom : report.end;
state.store[StoreWord.COMMIT_END] = report.end;
state.store[StoreWord.FLUSHED] = lastSyncedPos;
state.store[StoreWord.COMMIT_MIN] = writer.minOffset;
state.bump(Seq.COMMITTED);
log.info({ ...report, ms: Date.now() - t0 }, 'CommitLog recovered');
parentPort!.postMessage({ kind: 'recovered', end: report.end, truncatedBytes: report.truncatedBytes, scanFrom: report.scanFrom, scanFromDurable: report.scanFromDurable });

parentPort!.on('message', (m: ToStoreWriter) => {
  if (m.kind === 'port') {
    channels[m.workerId] = { outbox: new CompletionOutbox(new CompletionRing(m.ring)), port: m.port };
    completions[m.workerId] ??= new Float64Array(COMPLETION_WORDS * 4096);
    completionCount[m.workerId] ??= 0;
  } else if (m.kind === 'start') {
    if (!running) {
      running = true;
      void loop();
    }
  } else if (m.kind === 'shutdown') {
    stopping = true;
    if (!running) finish();
  }
});

// ASYNC_FLUSH: the flusher thread syncs; this thread only appends.

function readCleanEnd(): number | null {
  try {
    const end = Number(JSON.parse(fs.readFileSync(data.cleanStopFile, 'utf8')).commitLogEnd);
    return Number.isSafeInteger(end) && end >= 0 ? end : null;
  } catch {
    return null;
  }
}

// ---- writability: disk use and next-file allocation ----
let allocationFailedAt = 0;
function setNotWritable(reason: number): void {
  if (Atomics.exchange(state.seq, Seq.NOT_WRITABLE, reason) !== reason) {
    if (reason) log.warn({ reason }, 'the store refuses writes');
    else log.info('the store accepts writes again');
  }
}

function diskFull(): boolean {
  return diskUsedPercent(data.commitLogDir) >= config.diskSpaceWarningLevelRatio;
}

/**
 * Rolling to the next CommitLog file: the flusher thread allocates it ahead of need; wait
 * (bounded) for it rather than ever writing into unallocated blocks.
 */
function awaitNextFile(start: number): string | null {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const seq = Atomics.load(state.seq, Seq.PREALLOC);
    if (state.store[StoreWord.NEXT_FILE_READY] === start) return null;
    if (state.store[StoreWord.NEXT_FILE_FAILED] === start) return 'the disk refused it (full?)';
    if (Date.now() > deadline) return 'it was not ready in time';
    Atomics.wait(state.seq, Seq.PREALLOC, seq, 100);
  }
}

function checkWritable(): void {
  if (allocationFailedAt && state.store[StoreWord.NEXT_FILE_READY] === writer.nextFileStart) allocationFailedAt = 0;
  if (diskFull()) setNotWritable(NotWritable.DISK_FULL);
  else if (allocationFailedAt) setNotWritable(NotWritable.ALLOCATION_FAILED);
  else setNotWritable(NotWritable.NO);
}
checkWritable();
setInterval(checkWritable, 1000).unref();

// ---- SYNC_FLUSH: group commit (RocketMQ's GroupCommitService) ----
// After a batch is appended its completions are held and, unless one is running, a flush of
// everything appended so far starts on the libuv pool; this thread goes on appending meanwhile.
// Batches appended during a flush are all covered by the next one: one fdatasync for all of
// them. A flush that returns releases the batches it covers; a held batch whose wait passes
// syncFlushTimeout is answered FLUSH_DISK_TIMEOUT right then (the record is stored; a later
// flush makes it durable), and is forgotten by the flush that covers it later.

/** A batch's completions per network worker (by id). */
type Outs = (Float64Array<ArrayBuffer> | undefined)[];

/** The completions of one appended batch, waiting for a flush to cover `end`. */
interface Held {
  end: number;
  deadline: number;
  outs: Outs;
}
/** In append order, so ends and deadlines ascend; the live ones are held[heldHead..]. */
let held: Held[] = [];
let heldHead = 0;
let flushRunning = false;
let timeoutTimer: NodeJS.Timeout | null = null;
let retryTimer: NodeJS.Timeout | null = null;
let timedOutSends = 0;
let timeoutLoggedAt = 0;

function startFlush(): void {
  if (flushRunning || closing) return;
  const from = lastSyncedPos;
  const to = writer.writePosition;
  if (to <= from) return;
  flushRunning = true;
  const t = Date.now();
  syncer.sync(from, to).then(
    () => {
      flushRunning = false;
      if (closing) return;
      const ms = Date.now() - t;
      lastSyncedPos = to;
      state.store[StoreWord.FLUSHED] = to;
      const answered = release(to, PutStatus.OK);
      log.debug({ from, to, ms, ...answered }, 'CommitLog group commit');
      if (ms > config.syncFlushTimeout) log.warn({ from, to, ms, syncFlushTimeout: config.syncFlushTimeout }, 'CommitLog flush took longer than syncFlushTimeout');
      startFlush();
    },
    (e: unknown) => {
      flushRunning = false;
      if (closing) return;
      // As RocketMQ does: the records are stored but not known to be on disk.
      log.error({ err: e, from, to }, 'CommitLog flush failed; its sends are answered FLUSH_DISK_TIMEOUT');
      release(to, PutStatus.FLUSH_DISK_TIMEOUT);
      // Try again even when no further send comes, so the flushed offset catches up.
      retryTimer ??= setTimeout(() => {
        retryTimer = null;
        startFlush();
      }, 1000);
    },
  );
}

/** Holds a batch's completions until a flush covers `end`, at most syncFlushTimeout. */
function hold(outs: Outs, end: number): void {
  held.push({ end, deadline: now + config.syncFlushTimeout, outs });
  if (!timeoutTimer && !closing) armTimeout();
}

/** Answers the held batches that end at or below `upTo`; how many batches and sends they were. */
function release(upTo: number, status: number): { batches: number; sends: number } {
  const first = heldHead;
  let sends = 0;
  while (heldHead < held.length && held[heldHead].end <= upTo) sends += post(held[heldHead++].outs, status);
  const batches = heldHead - first;
  compactHeld();
  return { batches, sends };
}

function compactHeld(): void {
  if (heldHead === held.length) {
    held = [];
    heldHead = 0;
  } else if (heldHead > 1024 && heldHead * 2 > held.length) {
    held = held.slice(heldHead);
    heldHead = 0;
  }
}

function armTimeout(): void {
  if (heldHead < held.length) timeoutTimer = setTimeout(onTimeout, Math.max(0, held[heldHead].deadline - Date.now()));
}

function onTimeout(): void {
  timeoutTimer = null;
  const t = Date.now();
  while (heldHead < held.length && held[heldHead].deadline <= t) timedOutSends += post(held[heldHead++].outs, PutStatus.FLUSH_DISK_TIMEOUT);
  compactHeld();
  if (timedOutSends > 0 && t - timeoutLoggedAt >= 1000) {
    log.warn({ sends: timedOutSends, syncFlushTimeout: config.syncFlushTimeout, flushedUpTo: lastSyncedPos }, 'sends answered FLUSH_DISK_TIMEOUT: the flush did not return within syncFlushTimeout');
    timedOutSends = 0;
    timeoutLoggedAt = t;
  }
  armTimeout();
}

/**
 * How long this thread may go without running its event loop (port messages: new workers,
 * shutdown; the writability timer). Between those turns it blocks on the ring's futex, so that a
 * network worker's wake-up is a plain futex wake rather than a task posted to this event loop.
 */
const EVENT_LOOP_EVERY_MS = 5;

async function loop(): Promise<void> {
  let lastTurn = Date.now();
  for (;;) {
    retryBacklogs();
    const n = drainOnce();
    if (n === 0) {
      if (stopping) break;
      if (flushRunning || heldHead < held.length) {
        // A SYNC_FLUSH group commit is under way: its completion and the syncFlushTimeout timer
        // run on the event loop, so wait there (and turn it after every batch, below).
        const wait = ring.waitForData(EVENT_LOOP_EVERY_MS);
        if (wait) await wait;
        lastTurn = Date.now();
        continue;
      }
      ring.waitForDataSync(EVENT_LOOP_EVERY_MS);
    }
    if (flushRunning || heldHead < held.length || Date.now() - lastTurn >= EVENT_LOOP_EVERY_MS) {
      await new Promise((r) => setImmediate(r));
      lastTurn = Date.now();
    }
  }
  finish();
}

let now = 0;
/** RocketMQ warns when a put holds its lock this long: the same threshold for one appended batch. */
const SLOW_BATCH_MS = 500;

function drainOnce(): number {
  now = Date.now();
  const batchStart = writer.writePosition;
  batchSlots.length = 0;
  const n = ring.drain(onEntry, MAX_DRAIN_BYTES);
  if (n === 0) return 0;
  let status: number = PutStatus.OK;
  try {
    writer.write();
    state.store[StoreWord.COMMIT_END] = writer.writePosition;
    state.bump(Seq.COMMITTED);
    const ms = Date.now() - now;
    if (ms >= SLOW_BATCH_MS) log.warn({ ms, sends: n, bytes: writer.writePosition - batchStart }, 'CommitLog append was slow: its sends waited as long (the disk, or this thread was not scheduled)');
  } catch (e) {
    log.error({ err: e }, 'CommitLog write failed; the batch is refused');
    status = PutStatus.SERVICE_NOT_AVAILABLE;
    for (let i = batchSlots.length - 2; i >= 0; i -= 2) nextOffset[batchSlots[i]] -= batchSlots[i + 1];
    writer.rewind(batchStart);
  }
  if (syncFlush && status === PutStatus.OK && writer.writePosition > batchStart) {
    hold(takeCompletions(), writer.writePosition);
    startFlush();
  } else {
    for (let id = 0; id < completions.length; id++) {
      const c = completionCount[id];
      if (!c) continue;
      completionCount[id] = 0;
      postTo(id, completions[id], c, status);
    }
  }
  return n;
}

function onEntry(u8: Uint8Array, off: number, len: number): void {
  const reqId = readInt(u8, off);
  const workerId = readInt(u8, off + 4);
  const slot = readInt(u8, off + 8);
  const count = readInt(u8, off + 12);
  const recLen = len - ENTRY_HEADER_SIZE;
  if (slot < 0 || slot >= MAX_QUEUE_SLOTS || recLen <= 0) {
    pushCompletion(workerId, reqId, PutStatus.MESSAGE_ILLEGAL, 0, 0);
    return;
  }
  const epoch = state.queueEpoch(slot);
  if (knownEpoch[slot] !== epoch) {
    // First record of this run: continue from what recovery published. After its topic was deleted: from 0.
    nextOffset[slot] = knownEpoch[slot] < 0 ? state.maxOffset(slot) : 0;
    knownEpoch[slot] = epoch;
  }
  let at: number;
  try {
    at = writer.stage(recLen);
  } catch (e) {
    if (!(e instanceof AllocationError)) throw e;
    allocationFailedAt = Date.now();
    setNotWritable(NotWritable.ALLOCATION_FAILED);
    pushCompletion(workerId, reqId, PutStatus.SERVICE_NOT_AVAILABLE, 0, 0);
    return;
  }
  const phy = writer.writePosition;
  const buf = writer.buffer;
  buf.set(u8.subarray(off + ENTRY_HEADER_SIZE, off + len), at);
  let q = nextOffset[slot];
  const q0 = q;
  let firstQueueOffset = -1;
  let p = at;
  for (let i = 0; i < count; i++) {
    const size = readInt(buf, p);
    const tx = transactionType(readInt(buf, p + POS_SYSFLAG));
    const queueOffset = tx === PREPARED || tx === ROLLBACK ? 0 : q++;
    if (firstQueueOffset < 0) firstQueueOffset = queueOffset;
    patchStoreFields(buf, p, queueOffset, phy + (p - at), now);
    p += size;
  }
  nextOffset[slot] = q;
  batchSlots.push(slot, q - q0);
  writer.advance(recLen);
  state.store[StoreWord.PUT_MESSAGES] += count;
  state.store[StoreWord.PUT_BYTES] += recLen;
  pushCompletion(workerId, reqId, PutStatus.OK, firstQueueOffset, phy);
}

function pushCompletion(workerId: number, reqId: number, status: number, queueOffset: number, phy: number): void {
  let arr = completions[workerId];
  if (!arr) {
    arr = completions[workerId] = new Float64Array(COMPLETION_WORDS * 4096);
    completionCount[workerId] = 0;
  }
  let c = completionCount[workerId];
  if ((c + 1) * COMPLETION_WORDS > arr.length) {
    const bigger = new Float64Array(arr.length * 2);
    bigger.set(arr);
    arr = completions[workerId] = bigger;
  }
  const w = c * COMPLETION_WORDS;
  arr[w] = reqId;
  arr[w + 1] = status;
  arr[w + 2] = queueOffset;
  arr[w + 3] = phy;
  completionCount[workerId] = c + 1;
}

/** The batch's completions, per network worker. */
function takeCompletions(): Outs {
  const outs: Outs = [];
  for (let id = 0; id < completions.length; id++) {
    const c = completionCount[id];
    if (!c) continue;
    outs[id] = completions[id].slice(0, c * COMPLETION_WORDS);
    completionCount[id] = 0;
  }
  return outs;
}

/** A held batch's completions, per producer. Returns how many completions. */
function post(outs: Outs, batchStatus: number): number {
  let n = 0;
  for (let id = 0; id < outs.length; id++) {
    const out = outs[id];
    if (!out) continue;
    n += out.length / COMPLETION_WORDS;
    postTo(id, out, out.length / COMPLETION_WORDS, batchStatus);
  }
  return n;
}

/**
 * Delivers the first `count` completions of `arr` to producer `id`. A batch status other than OK
 * (a failed write, a flush timeout) overrides every OK in it; errors keep theirs.
 */
function postTo(id: number, arr: Float64Array, count: number, batchStatus: number): void {
  if (batchStatus !== PutStatus.OK) {
    for (let w = 1; w < count * COMPLETION_WORDS; w += COMPLETION_WORDS) if (arr[w] === PutStatus.OK) arr[w] = batchStatus;
  }
  const ch = channels[id];
  if (!ch) log.warn({ workerId: id, completions: count }, 'completions for a ring producer that is gone');
  else wake(id, ch.outbox.send(arr, count), ch.port);
}

/** Wakes producer `id` for its completions: through its port when it asked, on its futex word always. */
function wake(id: number, viaPort: boolean, port: MessagePort): void {
  if (viaPort) port.postMessage(0);
  const word = completionWord(id);
  if (word >= 0) state.bump(word);
}

/** Completions that waited for room in their ring go as soon as there is some. */
function retryBacklogs(): void {
  for (let id = 0; id < channels.length; id++) {
    const ch = channels[id];
    if (ch?.outbox.backlog) wake(id, ch.outbox.retry(), ch.port);
  }
}

function finish(): void {
  closing = true;
  if (timeoutTimer) clearTimeout(timeoutTimer);
  if (retryTimer) clearTimeout(retryTimer);
  timeoutTimer = retryTimer = null;
  try {
    // Under SYNC_FLUSH what is drained now is held, then answered once the blocking flush returned.
    while (drainOnce() > 0);
    if (syncFlush) syncer.syncNow(lastSyncedPos, writer.writePosition);
    writer.close();
    lastSyncedPos = writer.writePosition;
    state.store[StoreWord.FLUSHED] = writer.writePosition;
    release(Infinity, PutStatus.OK);
    fs.writeFileSync(data.cleanStopFile, JSON.stringify({ commitLogEnd: writer.writePosition, time: Date.now() }));
    log.info({ end: writer.writePosition }, 'CommitLog closed');
  } catch (e) {
    log.error({ err: e }, 'CommitLog close failed');
  }
  // Whatever the failed close left held: stored, not known to be on disk.
  release(Infinity, PutStatus.FLUSH_DISK_TIMEOUT);
  void syncer.close();
  parentPort!.postMessage({ kind: 'stopped', end: writer.writePosition });
  parentPort!.close();
}
