/**
 * The store writer thread: the only writer of the CommitLog. It drains send entries from the
 * ring in order, gives every record its queue offset, physical offset and store timestamp,
 * appends each drained batch with one write, flushes (group commit under SYNC_FLUSH), publishes
 * the new CommitLog end for the dispatcher, and returns completions to the network workers.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Ring } from '../shared/ring.js';
import { SharedState, Seq, StoreWord, MAX_QUEUE_SLOTS } from '../shared/shared-state.js';
import { COMPLETION_WORDS, ENTRY_HEADER_SIZE, PutStatus } from '../shared/send-entry.js';
import { readInt } from '../shared/storage/longs.js';
import { patchStoreFields, POS_SYSFLAG, PREPARED, ROLLBACK, transactionType } from '../shared/storage/message.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import fs from 'node:fs';
import { AllocationError, CommitLogWriter } from './storage/commitlog-writer.js';
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
  /** Where a clean stop records the CommitLog end, so the next start need not scan. */
  cleanStopFile: string;
}

export type ToStoreWriter =
  | { kind: 'port'; workerId: number; port: MessagePort }
  | { kind: 'start' }
  | { kind: 'shutdown' };

const data = workerData as StoreWriterData;
const config = data.config;
const log = createLogger('store-writer', config.logLevel);
const ring = new Ring(data.ringSab);
const state = new SharedState(data.stateSab);
const writer = new CommitLogWriter(data.commitLogDir, config.mapedFileSizeCommitLog, 32 * 1024 * 1024, (start) => awaitNextFile(start));
const syncFlush = config.flushDiskType === 'SYNC_FLUSH';
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

// Queue offsets: the next logical offset per slot, taken from the dispatcher's table on first use
// (after recovery the dispatcher has re-indexed everything the CommitLog holds).
const nextOffset = new Float64Array(MAX_QUEUE_SLOTS);
const known = new Uint8Array(MAX_QUEUE_SLOTS);

const ports: (MessagePort | undefined)[] = [];
let completions: Float64Array[] = [];
let completionCount: number[] = [];
// Per batch, for rollback when the write fails: slot and how many offsets it took.
const batchSlots: number[] = [];
let running = false;
let stopping = false;
let lastSyncedPos = 0;

const t0 = Date.now();
const report = writer.recover({
  verifyCrc: data.abnormal,
  cleanEnd: data.abnormal ? null : readCleanEnd(),
  checkpointMinTimestamp: data.checkpointMinTimestamp,
  onProgress: (p) => log.info(p, 'CommitLog recovery: file checked'),
});
fs.rmSync(data.cleanStopFile, { force: true });
lastSyncedPos = report.end;
state.store[StoreWord.COMMIT_END] = report.end;
state.store[StoreWord.FLUSHED] = report.end;
state.store[StoreWord.COMMIT_MIN] = writer.minOffset;
state.bump(Seq.COMMITTED);
log.info({ ...report, ms: Date.now() - t0 }, 'CommitLog recovered');
parentPort!.postMessage({ kind: 'recovered', end: report.end, truncatedBytes: report.truncatedBytes, scanFrom: report.scanFrom });

parentPort!.on('message', (m: ToStoreWriter) => {
  if (m.kind === 'port') {
    ports[m.workerId] = m.port;
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
 * Rolling to the next CommitLog file: the flusher thread zero-fills it ahead of need; wait
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

function flushToDisk(): void {
  try {
    writer.sync();
    lastSyncedPos = writer.writePosition;
    state.store[StoreWord.FLUSHED] = lastSyncedPos;
  } catch (e) {
    log.error({ err: e }, 'CommitLog flush failed');
  }
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
    const n = drainOnce();
    if (n === 0) {
      if (stopping) break;
      ring.waitForDataSync(EVENT_LOOP_EVERY_MS);
    }
    if (Date.now() - lastTurn >= EVENT_LOOP_EVERY_MS) {
      await new Promise((r) => setImmediate(r));
      lastTurn = Date.now();
    }
  }
  finish();
}

let now = 0;

function drainOnce(): number {
  now = Date.now();
  const batchStart = writer.writePosition;
  batchSlots.length = 0;
  const n = ring.drain(onEntry, MAX_DRAIN_BYTES);
  if (n === 0) return 0;
  let status: number = PutStatus.OK;
  try {
    writer.write();
    if (syncFlush) {
      const t = Date.now();
      flushToDisk();
      if (Date.now() - t > config.syncFlushTimeout) status = PutStatus.FLUSH_DISK_TIMEOUT;
    }
    state.store[StoreWord.COMMIT_END] = writer.writePosition;
    state.bump(Seq.COMMITTED);
  } catch (e) {
    log.error({ err: e }, 'CommitLog write failed; the batch is refused');
    status = PutStatus.SERVICE_NOT_AVAILABLE;
    for (let i = batchSlots.length - 2; i >= 0; i -= 2) nextOffset[batchSlots[i]] -= batchSlots[i + 1];
    writer.rewind(batchStart);
  }
  sendCompletions(status);
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
  if (!known[slot]) {
    known[slot] = 1;
    nextOffset[slot] = state.maxOffset(slot);
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

/** One message per network worker per batch. A failed batch overrides every status but errors. */
function sendCompletions(batchStatus: number): void {
  for (let id = 0; id < completions.length; id++) {
    const c = completionCount[id];
    if (!c) continue;
    const out = completions[id].slice(0, c * COMPLETION_WORDS);
    if (batchStatus !== PutStatus.OK) {
      for (let w = 1; w < out.length; w += COMPLETION_WORDS) if (out[w] === PutStatus.OK) out[w] = batchStatus;
    }
    completionCount[id] = 0;
    const port = ports[id];
    if (port) port.postMessage(out, [out.buffer]);
    else log.warn({ workerId: id, completions: c }, 'completions for a network worker that is gone');
  }
}

function finish(): void {
  try {
    while (drainOnce() > 0);
    writer.close();
    state.store[StoreWord.FLUSHED] = writer.writePosition;
    fs.writeFileSync(data.cleanStopFile, JSON.stringify({ commitLogEnd: writer.writePosition, time: Date.now() }));
    log.info({ end: writer.writePosition }, 'CommitLog closed');
  } catch (e) {
    log.error({ err: e }, 'CommitLog close failed');
  }
  parentPort!.postMessage({ kind: 'stopped', end: writer.writePosition });
  parentPort!.close();
}
