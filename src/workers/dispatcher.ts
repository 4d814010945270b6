/**
 * The dispatcher thread: RocketMQ's "reput" service. It follows the CommitLog end published by
 * the store writer, reads the new records back (page cache), writes their ConsumeQueue units and
 * publishes every queue's max offset in shared memory, where network workers serve pulls and wake
 * long-polling requests from. On start it recovers the ConsumeQueues and re-dispatches what the
 * CommitLog holds beyond them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { SharedState, Seq, StoreWord } from '../shared/shared-state.js';
import { QueueSlots } from '../shared/queue-slots.js';
import { readInt, readLong } from '../shared/storage/longs.js';
import { BLANK_MAGIC, MAGIC_V1, MAGIC_V2, POS_MAGIC, POS_QUEUEID, POS_QUEUEOFFSET, POS_SYSFLAG, PREPARED, ROLLBACK, posStoreTimestamp, propertiesRangeAfterTopic, recordTopicRange, transactionType } from '../shared/storage/message.js';
import { findProperties } from '../shared/storage/properties.js';
import { javaHashCodeUtf8 } from '../shared/storage/hash.js';
import { utf8Slice } from '../shared/storage/text.js';
import { encodeCheckpoint, writeRecoveryHint } from '../shared/storage/checkpoint.js';
import { parseDelayLevels, SCHEDULE_TOPIC, scheduleTagsCode } from '../shared/delay.js';
import { TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../shared/transaction.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { CommitLogReader } from './storage/commitlog-files.js';
import { ConsumeQueueWriter } from './storage/consume-queue-writer.js';
import { runRetention } from './storage/retention.js';
import { INDEXED_KEYS, IndexWriter, topicKeySeed } from './storage/index-writer.js';
import { createLogger } from '../main/logger.js';
import { sleepThread } from './sleep-thread.js';

export interface DispatcherData {
  config: BrokerConfig;
  rootDir: string;
  commitLogDir: string;
  stateSab: SharedArrayBuffer;
  slots: [string, number[]][];
  abnormal: boolean;
  /** The kernel's boot id, for the checkpoint's written offset; null where there is none. */
  bootId: Uint8Array | null;
}

/**
 * `start` comes once the store writer has recovered the CommitLog (its end is then published),
 * so this thread can load while the CommitLog is recovered.
 */
export type ToDispatcher =
  /**
   * After an unclean stop, re-dispatch starts at `abnormalReputFrom` at the latest; `durable`:
   * everything before it had been dispatched durably (the checkpoint's recovery hint), so it
   * starts exactly there rather than at the start of the file holding the newest unit.
   */
  | { kind: 'start'; abnormalReputFrom: number; durable: boolean }
  | { kind: 'slots'; topic: string; slots: number[] }
  | { kind: 'deleteTopic'; topic: string }
  | { kind: 'shutdown' };

export type FromDispatcher =
  | { kind: 'ready'; dispatched: number }
  | { kind: 'stopped'; dispatched: number }
  /**
   * A queue of a topic that the schedule or transaction thread reads now has a ConsumeQueue (found
   * at recovery, or made for its first record): those threads start on demand (broker.ts).
   */
  | { kind: 'internalQueue'; topic: string }
  /** The topic's ConsumeQueues are gone and its queues empty (see deleteTopic). */
  | { kind: 'topicDeleted'; topic: string };

const data = workerData as DispatcherData;
const config = data.config;
const log = createLogger('dispatcher', config.logLevel);
const state = new SharedState(data.stateSab);
const slots = new QueueSlots();
for (const [t, s] of data.slots) slots.adopt(t, s);
const commitLog = new CommitLogReader(data.commitLogDir, config.mapedFileSizeCommitLog);
const cqRoot = path.join(data.rootDir, 'consumequeue');
const queues = new Map<string, ConsumeQueueWriter[]>();
/** Queues given units since the last publish (ConsumeQueueWriter.touched marks them). */
const touched: ConsumeQueueWriter[] = [];
const readBuf = Buffer.allocUnsafe(16 * 1024 * 1024);
const range = new Int32Array(2);
const index = new IndexWriter(path.join(data.rootDir, 'index'), config.maxHashSlotNum, config.maxIndexNum, log, state);
const TAGS = Buffer.from('TAGS');
/** Delay of each level: SCHEDULE_TOPIC_XXXX units carry their deliver time as tagsCode. */
const delayLevels = parseDelayLevels(config.messageDelayLevel);
let dispatched = 0;
let lastStoreTime = 0;
let stopping = false;
let waitingForSlot = '';

parentPort!.on('message', (m: ToDispatcher) => {
  if (m.kind === 'start') {
    recover(m.abnormalReputFrom, m.durable);
    void loop();
  } else if (m.kind === 'slots') {
    slots.adopt(m.topic, m.slots);
    if (waitingForSlot === m.topic) waitingForSlot = '';
  } else if (m.kind === 'deleteTopic') {
    deleteTopic(m.topic);
  } else if (m.kind === 'shutdown') {
    stopping = true;
  }
});

/**
 * Deletes a topic's ConsumeQueues and empties its queues, as RocketMQ's cleanUnusedTopic does.
 * What the CommitLog holds already is dispatched first, so none of the topic's earlier messages
 * lands in a queue made anew; the queues' epochs then move, and the store writer numbers the
 * topic's next message 0. A failure to remove the files is logged, and the queues are empty all
 * the same.
 */
function deleteTopic(topic: string): void {
  try {
    if (!waitingForSlot) reput();
  } catch (e) {
    log.error({ err: (e as Error).message, topic }, 'dispatch before deleting a topic failed');
  }
  const gone = new Set(queues.get(topic) ?? []);
  for (const cq of gone) cq?.close();
  queues.delete(topic);
  // Left from a failed pass, a closed queue must not publish its offsets over the reset below.
  const kept = touched.filter((cq) => !gone.has(cq));
  touched.length = 0;
  touched.push(...kept);
  try {
    fs.rmSync(path.join(cqRoot, topic), { recursive: true, force: true });
  } catch (e) {
    log.error({ err: (e as Error).message, topic }, 'cannot remove the deleted topic\'s consume queues');
  }
  for (const slot of slots.topicSlots(topic) ?? []) state.resetQueue(slot);
  post({ kind: 'topicDeleted', topic });
}

/**
 * Queues the schedule and transaction threads read by name, without slots: their units are
 * written at once rather than published from ConsumeQueue tails (cq-tails.ts).
 */
const READ_BY_INTERNAL_THREADS = new Set([SCHEDULE_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC]);

const post = (m: FromDispatcher) => parentPort!.postMessage(m);

function queueFor(topic: string, queueId: number): ConsumeQueueWriter | null {
  let list = queues.get(topic);
  if (!list) queues.set(topic, (list = []));
  let cq = list[queueId];
  if (!cq) {
    const slot = slots.get(topic, queueId);
    if (slot < 0) return null;
    const internal = READ_BY_INTERNAL_THREADS.has(topic);
    cq = new ConsumeQueueWriter(path.join(cqRoot, topic, String(queueId)), config.mapedFileSizeConsumeQueue, slot, internal ? null : state.tails);
    list[queueId] = cq;
    if (internal) post({ kind: 'internalQueue', topic });
  }
  return cq;
}

function recover(abnormalReputFrom: number, durable: boolean): void {
  const t0 = Date.now();
  const end = state.store[StoreWord.COMMIT_END];
  const min = state.store[StoreWord.COMMIT_MIN];
  let maxPhyEnd = 0;
  let dropped = 0;
  let count = 0;
  for (const topic of safeReaddir(cqRoot)) {
    for (const q of safeReaddir(path.join(cqRoot, topic))) {
      if (!/^\d+$/.test(q)) continue;
      const cq = queueFor(topic, Number(q));
      if (!cq) {
        log.warn({ topic, queueId: q }, 'ConsumeQueue on disk has no slot; skipped');
        continue;
      }
      dropped += cq.recover(end, min).dropped;
      // A restarted dispatcher thread finds files behind what its predecessor published from the
      // tails (the CommitLog still has those records, and re-dispatch below rewrites them): never
      // publish a smaller max. At process start the published values are all 0.
      state.setQueue(cq.slot, cq.minOffset, Math.max(cq.maxOffset, state.maxOffset(cq.slot)));
      if (cq.maxPhyEnd > maxPhyEnd) maxPhyEnd = cq.maxPhyEnd;
      count++;
    }
  }
  // After an unclean stop some queues may lag the newest one: without a durable point, re-dispatch
  // from the start of the CommitLog file holding the newest unit, and from where CommitLog
  // recovery started (the file the checkpoint names) at the latest (unit writes are idempotent).
  const fileSize = config.mapedFileSizeCommitLog;
  let from = !data.abnormal ? maxPhyEnd : durable ? abnormalReputFrom : Math.min(maxPhyEnd - (maxPhyEnd % fileSize), abnormalReputFrom);
  if (maxPhyEnd === 0 || from < min) from = min;
  // IndexFiles dropped by recovery are rebuilt by re-dispatching from where the kept ones end.
  const indexFrom = index.load({ abnormal: data.abnormal, commitLogEnd: end, checkpointFile: path.join(data.rootDir, 'checkpoint'), commitLog }).redispatchFrom;
  if (indexFrom < from) from = Math.max(indexFrom, min);
  dispatched = Math.min(from, end);
  const reputFrom = dispatched;
  reput();
  // What recovery rebuilt goes to the files now rather than at the next ConsumeQueue flush.
  for (const list of queues.values()) for (const cq of list) cq?.flushStage();
  log.info({ queues: count, droppedUnits: dropped, reputFrom, reputTo: dispatched, ms: Date.now() - t0 }, 'ConsumeQueues recovered');
  post({ kind: 'ready', dispatched });
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Dispatches everything between `dispatched` and the published CommitLog end. */
function reput(): void {
  const fileSize = config.mapedFileSizeCommitLog;
  for (;;) {
    const end = state.store[StoreWord.COMMIT_END];
    if (dispatched >= end) break;
    const n = commitLog.read(dispatched, readBuf, 0, Math.min(readBuf.length, end - dispatched));
    if (n <= 0) {
      log.error({ dispatched, end }, 'CommitLog read returned nothing; dispatch paused');
      break;
    }
    let p = 0;
    let next = -1;
    let stop = false;
    while (p + 8 <= n) {
      const size = readInt(readBuf, p);
      const magic = readInt(readBuf, p + POS_MAGIC);
      if (magic === BLANK_MAGIC) {
        next = dispatched + p - ((dispatched + p) % fileSize) + fileSize;
        break;
      }
      if ((magic !== MAGIC_V1 && magic !== MAGIC_V2) || size <= 0) {
        log.error({ offset: dispatched + p, magic, size }, 'invalid record in the CommitLog; dispatch paused');
        stop = true;
        break;
      }
      if (size > n - p) break;
      if (!dispatchRecord(readBuf, p, dispatched + p, size)) {
        stop = true;
        break;
      }
      p += size;
    }
    // The position moves only once the units are written: a failed write (disk full) is retried
    // from the same records, and unit writes are idempotent.
    publish(next >= 0 ? next : dispatched + p);
    dispatched = next >= 0 ? next : dispatched + p;
    if (stop) return;
  }
}

/** The index's keys and TAGS: each record's properties are scanned once for all three. */
const DISPATCH_KEYS = [...INDEXED_KEYS, TAGS];
const TAGS_AT = 2 * INDEXED_KEYS.length;
const found = new Int32Array(2 * DISPATCH_KEYS.length);

/**
 * The previous record's topic, as bytes and as what they resolve to: consecutive records mostly
 * share a topic, so most records cost a byte comparison instead of a string and its hash.
 */
let lastTopicBytes = Buffer.alloc(256);
let lastTopicLen = -1;
let lastTopic = '';
let lastTopicSeed = 0;

function topicAt(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === lastTopicLen) {
    let i = 0;
    while (i < len && buf[start + i] === lastTopicBytes[i]) i++;
    if (i === len) return lastTopic;
  }
  if (lastTopicBytes.length < len) lastTopicBytes = Buffer.alloc(len);
  buf.copy(lastTopicBytes, 0, start, end);
  lastTopicLen = len;
  lastTopic = utf8Slice(buf, start, end);
  lastTopicSeed = topicKeySeed(buf, start, end);
  return lastTopic;
}

/** Returns false when the record's queue has no slot yet (its topic is being created). */
function dispatchRecord(buf: Buffer, off: number, phy: number, size: number): boolean {
  const sysFlag = readInt(buf, off + POS_SYSFLAG);
  lastStoreTime = readLong(buf, off + posStoreTimestamp(sysFlag));
  recordTopicRange(buf, off, range);
  const topic = topicAt(buf, range[0], range[1]);
  propertiesRangeAfterTopic(buf, range[1], range);
  const propsStart = range[0];
  const propsEnd = range[1];
  findProperties(buf, propsStart, propsEnd, DISPATCH_KEYS, found);
  index.indexParsed(buf, phy, sysFlag, lastStoreTime, lastTopicSeed, found[0], found[1], found[2], found[3]);
  const tx = transactionType(sysFlag);
  if (tx === PREPARED || tx === ROLLBACK) return true;
  const queueId = readInt(buf, off + POS_QUEUEID);
  const cq = queueFor(topic, queueId);
  if (!cq) {
    waitingForSlot = topic;
    log.debug({ topic, queueId }, 'waiting for the slot of a new queue');
    return false;
  }
  const tagsCode = topic === SCHEDULE_TOPIC
    ? scheduleTagsCode(buf, propsStart, propsEnd, lastStoreTime, delayLevels, 0, range)
    : found[TAGS_AT] >= 0 ? javaHashCodeUtf8(buf, found[TAGS_AT], found[TAGS_AT + 1]) : 0;
  cq.put(readLong(buf, off + POS_QUEUEOFFSET), phy, size, tagsCode);
  if (!cq.touched) {
    cq.touched = true;
    touched.push(cq);
  }
  return true;
}

function publish(upTo = dispatched): void {
  index.flushStage();
  for (let i = 0; i < touched.length; i++) {
    const cq = touched[i];
    cq.touched = false;
    if (!cq.deferred) cq.flushStage();
    state.setQueue(cq.slot, cq.minOffset, cq.maxOffset);
  }
  touched.length = 0;
  state.store[StoreWord.DISPATCHED] = upTo;
  state.store[StoreWord.LAST_DISPATCH_TIME] = lastStoreTime;
  state.bump(Seq.DISPATCHED);
}

/**
 * After dispatching something, gather for this long before the next reput (RocketMQ's reput
 * service sleeps 1 ms too): one pass then covers many store-writer batches, and the store writer's
 * publication wakes nobody while this thread is busy. Idle, it sleeps on COMMITTED.
 */
const REPUT_INTERVAL_MS = 1;
/** Longest stretch without an event-loop turn (port messages, the flush and retention timers). */
const EVENT_LOOP_EVERY_MS = 5;
const nextTurn = () => new Promise((r) => setImmediate(r));

async function loop(): Promise<void> {
  let lastTurn = Date.now();
  for (;;) {
    const seq = Atomics.load(state.seq, Seq.COMMITTED);
    const before = dispatched;
    if (!waitingForSlot) {
      try {
        reput();
      } catch (e) {
        // A disk that refuses ConsumeQueue or index writes must not stop the thread: retry.
        log.error({ err: (e as Error).message, dispatched }, 'dispatch failed; retrying in 1 s');
        await new Promise((r) => setTimeout(r, 1000));
        if (stopping) break;
        continue;
      }
    }
    if (stopping && (dispatched >= state.store[StoreWord.COMMIT_END] || waitingForSlot)) break;
    if (waitingForSlot || Date.now() - lastTurn >= EVENT_LOOP_EVERY_MS) {
      await nextTurn();
      lastTurn = Date.now();
      if (waitingForSlot) await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    if (dispatched < state.store[StoreWord.COMMIT_END]) continue;
    if (dispatched !== before) sleepThread(REPUT_INTERVAL_MS);
    else Atomics.wait(state.seq, Seq.COMMITTED, seq, EVENT_LOOP_EVERY_MS);
  }
  finish();
}

const checkpointFile = path.join(data.rootDir, 'checkpoint');
const PAGE = 4096;
let flushing = false;
let lastThorough = -Infinity;
/** What the last thorough flush covered: the checkpoint's logics timestamp and durable offset. */
let synced = { upTo: 0, durable: -1 };

/**
 * Periodic flush, RocketMQ's FlushConsumeQueueService rules: every flushIntervalConsumeQueue ms
 * each queue with flushConsumeQueueLeastPages pages written since its last fdatasync is synced,
 * and every flushConsumeQueueThoroughInterval ms every queue with anything unsynced. The syncs
 * run on the libuv pool while this thread keeps dispatching. Every pass writes all staged units
 * to the files first, so the checkpoint written after it can give, for this boot, the offset
 * below which everything is written; the durable offset and the logics timestamp move only at a
 * thorough pass. Without a boot id every pass is thorough, since nothing tells a process crash
 * from a machine crash.
 */
function flushQueuesAsync(): void {
  if (flushing) return;
  flushing = true;
  const startedAt = Date.now();
  // Passes stay thorough until one has covered a record: the checkpoint needs its timestamp.
  const thorough = data.bootId === null || config.flushConsumeQueueLeastPages === 0 || synced.upTo === 0
    || startedAt - lastThorough >= config.flushConsumeQueueThoroughInterval;
  const upTo = lastStoreTime;
  const durable = durableOffset();
  const written = dispatched;
  try {
    // Units published from tails reach their files here, so the checkpoint below covers them.
    for (const list of queues.values()) for (const cq of list) cq?.flushStage();
  } catch (e) {
    log.error({ err: (e as Error).message }, 'ConsumeQueue write failed; retrying at the next flush');
    flushing = false;
    return;
  }
  const leastBytes = thorough ? 1 : config.flushConsumeQueueLeastPages * PAGE;
  const syncs: Promise<void>[] = [];
  for (const list of queues.values()) for (const cq of list) {
    const p = cq?.syncAsync(leastBytes);
    if (p) syncs.push(p);
  }
  Promise.all(syncs).then(
    () => {
      if (thorough) {
        synced = { upTo, durable };
        lastThorough = startedAt;
      }
      writeCheckpoint(upTo, written);
    },
    (e) => log.error({ err: e }, 'ConsumeQueue flush failed'),
  ).finally(() => (flushing = false));
}

/**
 * Where the checkpoint's recovery hint may point: every record below it is in the CommitLog on
 * disk (FLUSHED) and dispatched, and the ConsumeQueue flush that follows syncs its units.
 */
function durableOffset(): number {
  return Math.min(dispatched, state.store[StoreWord.FLUSHED]);
}

/** `upTo`: the store time dispatched; `written`: the CommitLog offset below which all is written. */
function writeCheckpoint(upTo: number, written: number): void {
  try {
    if (synced.upTo > 0) {
      const tmp = checkpointFile + '.tmp';
      const page = encodeCheckpoint({ physicMsgTimestamp: upTo, logicsMsgTimestamp: synced.upTo, indexMsgTimestamp: index.flush(upTo) });
      writeRecoveryHint(page, synced.upTo, synced.durable, { offset: written, bootId: data.bootId });
      fs.writeFileSync(tmp, page);
      fs.renameSync(tmp, checkpointFile);
    }
  } catch (e) {
    log.error({ err: e }, 'checkpoint write failed');
  }
}

/** Synchronous flush of everything, at shutdown. */
function flushQueues(): void {
  try {
    for (const list of queues.values()) for (const cq of list) cq?.sync();
  } catch (e) {
    log.error({ err: e }, 'ConsumeQueue flush failed');
    return;
  }
  synced = { upTo: lastStoreTime, durable: durableOffset() };
  writeCheckpoint(lastStoreTime, dispatched);
}

const flushTimer = setInterval(flushQueuesAsync, config.flushIntervalConsumeQueue);

/** Retention runs here, beside the ConsumeQueues it trims, so deleting never stalls the store writer. */
function retention(): void {
  try {
    const min = runRetention(data.commitLogDir, config.mapedFileSizeCommitLog, state, config, log);
    if (min === null) return;
    commitLog.forgetBelow(min);
    index.deleteExpired(min);
    for (const list of queues.values()) {
      for (const cq of list) {
        if (!cq) continue;
        cq.trimBelow(min);
        state.setQueue(cq.slot, cq.minOffset, cq.maxOffset);
      }
    }
    state.bump(Seq.DISPATCHED);
  } catch (e) {
    log.error({ err: e }, 'retention failed');
  }
}
const retentionTimer = setInterval(retention, 10_000);

function finish(): void {
  clearInterval(flushTimer);
  clearInterval(retentionTimer);
  for (const list of queues.values()) for (const cq of list) cq?.close();
  flushQueues();
  index.close();
  commitLog.close();
  log.info({ dispatched }, 'ConsumeQueues closed');
  post({ kind: 'stopped', dispatched });
  parentPort!.close();
}

