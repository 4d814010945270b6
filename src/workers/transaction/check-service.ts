import type { Ring } from '../../shared/ring.js';
import { StoreWord, type SharedState } from '../../shared/shared-state.js';
import type { QueueSlots } from '../../shared/queue-slots.js';
import { COMPLETION_WORDS, ENTRY_HEADER_SIZE, PutStatus } from '../../shared/send-entry.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize } from '../../shared/storage/consumequeue.js';
import { writeInt } from '../../shared/storage/longs.js';
import { checkRecord, decodeRecord, type DecodedMessage } from '../../shared/storage/message.js';
import { PropertyKey } from '../../shared/storage/properties.js';
import {
  checkRequest,
  decideCheck,
  discardedHalf,
  MAX_PROCESS_TIME_MS,
  nextOpOffset,
  parseOpBody,
  REMOVE_TAG,
  renewedHalf,
  TRANS_CHECK_MAX_TIME_TOPIC,
  TRANS_HALF_TOPIC,
  TRANS_OP_HALF_TOPIC,
  type CheckSettings,
  type StoredAt,
} from '../../shared/transaction.js';
import type { Logger } from '../../main/logger.js';
import type { StoreReader } from '../storage/store-reader.js';

/** Re-puts one queue scan may have in the ring before it waits for their completions. */
const MAX_IN_FLIGHT = 256;
/** How long a re-put waits for ring space before the scan gives up until the next run. */
const RING_WAIT_MS = 10_000;
/** Op-queue units read per read. */
const UNITS_PER_READ = 64;

export interface CheckDeps {
  reader: StoreReader;
  ring: Ring;
  state: SharedState;
  slots: QueueSlots;
  /** This producer's completion-port id in ring entries. */
  workerId: number;
  settings: CheckSettings;
  log: Logger;
  /** Saved progress of CID_RMQ_SYS_TRANS: `topic@queueId` -> next offset (absent: start at the queue's min). */
  offsets: Map<string, number>;
  /** Records progress (the control plane's consumer offsets, persisted with consumerOffset.json). */
  commitOffset(topic: string, queueId: number, offset: number): void;
  /** Asks a live producer of `group` (CHECK_TRANSACTION_STATE, oneway). */
  sendCheck(group: string, extFields: Record<string, string>, body: Buffer): void;
  /** Slots of a topic, created (1 queue, read/write) when missing; null when that failed. */
  ensureTopic(topic: string): Promise<number[] | null>;
  now?: () => number;
}

interface Stored extends StoredAt {
  status: number;
}

/** One re-put of a scan, by half-queue offset. */
interface Put {
  offset: number;
  done: Promise<boolean>;
}

export interface ScanReport {
  queueId: number;
  halfFrom: number;
  halfTo: number;
  opFrom: number;
  opTo: number;
  checked: number;
  discarded: number;
  settled: number;
}

/**
 * RocketMQ 4.9's TransactionalMessageServiceImpl.check, run by the transaction thread every
 * transactionCheckInterval: for each half queue, from the progress CID_RMQ_SYS_TRANS keeps, every
 * half message with an op message is passed; one old enough without is appended again to the half
 * queue (TRANSACTION_CHECK_TIMES + 1) and its producer group asked for the state of the new copy;
 * one checked transactionCheckMax times is moved to TRANS_CHECK_MAX_TIME_TOPIC. The half queue's
 * progress stops at the first message too young to check; the op queue's moves over the op
 * messages used, while they follow on without a gap. Both are recorded only once every re-put
 * before them is stored, so a crash re-checks (the producer answers twice) but never loses a half
 * message.
 *
 * One difference in how it reads: RocketMQ pulls op messages 32 at a time, more only while the
 * last ones are not much newer than the scan; this reads the op queue from its progress to its end
 * once per queue scan (the unsettled ones are at most a transactionTimeOut's worth of traffic).
 */
export class CheckService {
  private readonly waiting = new Map<number, (s: Stored) => void>();
  /** Random start: a restarted thread never takes completions meant for its predecessor's ids. */
  private nextReqId = 1 + Math.floor(Math.random() * 0x3fffffff);
  private readonly units = Buffer.allocUnsafe(UNITS_PER_READ * CQ_UNIT_SIZE);
  private readonly now: () => number;
  stopping = false;

  constructor(private readonly d: CheckDeps) {
    this.now = d.now ?? Date.now;
  }

  get inFlight(): number {
    return this.waiting.size;
  }

  /** One pass over every half queue. */
  async check(): Promise<ScanReport[]> {
    const reports: ScanReport[] = [];
    const queues = this.d.slots.topicSlots(TRANS_HALF_TOPIC)?.length ?? 0;
    for (let q = 0; q < queues && !this.stopping; q++) {
      try {
        const r = await this.checkQueue(q);
        if (r) reports.push(r);
      } catch (e) {
        this.d.log.error({ queueId: q, err: e }, 'transaction check of a half queue failed');
      }
    }
    return reports;
  }

  private progress(topic: string, queueId: number, slot: number): number {
    const saved = this.d.offsets.get(`${topic}@${queueId}`);
    return saved === undefined || saved < 0 ? this.d.state.minOffset(slot) : saved;
  }

  private commit(topic: string, queueId: number, offset: number): void {
    this.d.offsets.set(`${topic}@${queueId}`, offset);
    this.d.commitOffset(topic, queueId, offset);
  }

  private async checkQueue(q: number): Promise<ScanReport | null> {
    const { slots, state, settings, log } = this.d;
    const startTime = this.now();
    const halfSlot = slots.get(TRANS_HALF_TOPIC, q);
    if (halfSlot < 0) return null;
    const opSlot = slots.get(TRANS_OP_HALF_TOPIC, q);
    const halfOffset = this.progress(TRANS_HALF_TOPIC, q, halfSlot);
    const opOffset = opSlot < 0 ? 0 : Math.max(this.progress(TRANS_OP_HALF_TOPIC, q, opSlot), state.minOffset(opSlot));
    const halfMax = state.maxOffset(halfSlot);

    // Op messages: settled half offsets still ahead (removeMap: half offset -> op offset) and op
    // messages used (doneOp: [op offset, half offset where it was used, -1 before the scan's start]).
    const removeMap = new Map<number, number>();
    const doneOp: [number, number][] = [];
    if (opSlot >= 0) this.readOps(q, opOffset, state.maxOffset(opSlot), halfOffset, removeMap, doneOp);

    const report: ScanReport = { queueId: q, halfFrom: halfOffset, halfTo: halfOffset, opFrom: opOffset, opTo: opOffset, checked: 0, discarded: 0, settled: 0 };
    let i = Math.max(halfOffset, state.minOffset(halfSlot));
    let puts: Put[] = [];
    let failedAt = -1;
    const settle = async (): Promise<void> => {
      for (const p of puts) if (!(await p.done) && (failedAt < 0 || p.offset < failedAt)) failedAt = p.offset;
      puts = [];
    };
    while (i < halfMax && !this.stopping) {
      if (this.now() - startTime > MAX_PROCESS_TIME_MS) {
        log.info({ queueId: q, offset: i }, 'transaction check reached its time limit for the queue');
        break;
      }
      const op = removeMap.get(i);
      if (op !== undefined) {
        removeMap.delete(i);
        doneOp.push([op, i]);
        report.settled++;
        i++;
        continue;
      }
      const half = this.readHalf(q, i);
      if (!half) {
        log.warn({ queueId: q, offset: i }, 'half message unreadable; passed');
        i++;
        continue;
      }
      const decision = decideCheck(half, this.now(), startTime, settings);
      if (decision.kind === 'stop') break;
      if (decision.kind === 'discard') {
        log.warn({ queueId: q, offset: i, msgId: half.properties.get(PropertyKey.UNIQ_KEY), checkTimes: half.properties.get(PropertyKey.TRANSACTION_CHECK_TIMES), realTopic: half.properties.get(PropertyKey.REAL_TOPIC) }, `half message checked too many times (or too old): moved to ${TRANS_CHECK_MAX_TIME_TOPIC}`);
        puts.push({ offset: i, done: this.discard(half, decision.properties) });
        report.discarded++;
      } else if (decision.kind === 'immunity') {
        const prepared = decision.preparedQueueOffset;
        const settledOp = prepared === null ? undefined : removeMap.get(prepared);
        if (settledOp !== undefined) {
          removeMap.delete(prepared!);
          doneOp.push([settledOp, i]);
          report.settled++;
        } else {
          puts.push({ offset: i, done: this.put(renewedHalf(half, decision.properties), halfSlot).then((s) => s !== null) });
        }
      } else {
        puts.push({ offset: i, done: this.renewAndAsk(half, decision.properties, halfSlot) });
        report.checked++;
      }
      i++;
      if (puts.length >= MAX_IN_FLIGHT) {
        await settle();
        if (failedAt >= 0) break;
      }
    }
    await settle();
    const newHalf = failedAt >= 0 ? Math.min(failedAt, i) : i;
    if (newHalf !== halfOffset) this.commit(TRANS_HALF_TOPIC, q, newHalf);
    // After a failed re-put the half queue resumes at it: op messages used past it are read again.
    const newOp = nextOpOffset(doneOp.filter(([, h]) => h < newHalf).map(([o]) => o), opOffset);
    if (opSlot >= 0 && newOp !== opOffset) this.commit(TRANS_OP_HALF_TOPIC, q, newOp);
    report.halfTo = newHalf;
    report.opTo = newOp;
    return report;
  }

  /** fillOpRemoveMap over [from, max) of op queue q. */
  private readOps(q: number, from: number, max: number, halfOffset: number, removeMap: Map<number, number>, doneOp: [number, number][]): void {
    const { reader, log } = this.d;
    let o = from;
    while (o < max) {
      const n = reader.readCqUnits(TRANS_OP_HALF_TOPIC, q, o, Math.min(UNITS_PER_READ, max - o), this.units);
      if (n <= 0) {
        log.warn({ queueId: q, offset: o }, 'op queue unreadable; the check goes on with the op messages read so far');
        return;
      }
      for (let k = 0; k < n; k++, o++) {
        const op = this.readRecord(readCqPhyOffset(this.units, k * CQ_UNIT_SIZE), readCqSize(this.units, k * CQ_UNIT_SIZE));
        if (!op) {
          log.warn({ queueId: q, offset: o }, 'op message unreadable; passed');
          doneOp.push([o, -1]);
          continue;
        }
        if (op.properties.get(PropertyKey.TAGS) !== REMOVE_TAG) {
          // RocketMQ logs it and never moves past it; Ferry passes it.
          log.error({ queueId: q, offset: o, tags: op.properties.get(PropertyKey.TAGS) }, 'op message with an unknown tag; passed');
          doneOp.push([o, -1]);
          continue;
        }
        const halfQueueOffset = parseOpBody(op.body);
        if (halfQueueOffset < halfOffset) doneOp.push([o, -1]);
        else {
          // A second op for the same half (answered twice): the earlier one is used up with it.
          const earlier = removeMap.get(halfQueueOffset);
          if (earlier !== undefined) doneOp.push([earlier, halfQueueOffset]);
          removeMap.set(halfQueueOffset, o);
        }
      }
    }
  }

  private readHalf(q: number, offset: number): DecodedMessage | null {
    const unit = this.d.reader.cqUnit(TRANS_HALF_TOPIC, q, offset);
    return unit ? this.readRecord(unit.phy, unit.size) : null;
  }

  private readRecord(phy: number, size: number): DecodedMessage | null {
    const { state, reader } = this.d;
    if (size <= 0 || phy < state.store[StoreWord.COMMIT_MIN] || phy + size > state.store[StoreWord.COMMIT_END]) return null;
    const buf = Buffer.allocUnsafe(size);
    if (reader.commitLog.read(phy, buf, 0, size) !== size || checkRecord(buf, 0, size, false) !== size) return null;
    return decodeRecord(buf, 0);
  }

  /** putBackHalfMsgQueue, then resolveHalfMsg: the renewed copy stored, its producer asked about it. */
  private async renewAndAsk(half: DecodedMessage, properties: Map<string, string>, halfSlot: number): Promise<boolean> {
    const stored = await this.put(renewedHalf(half, properties), halfSlot);
    if (!stored) return false;
    const request = checkRequest(half, properties, stored);
    if (!request) {
      this.d.log.warn({ msgId: properties.get(PropertyKey.UNIQ_KEY), offset: stored.queueOffset }, 'half message names no producer group or real queue: nobody to ask');
      return true;
    }
    this.d.log.debug({ group: request.group, ...request.extFields }, 'checking transaction state');
    this.d.sendCheck(request.group, request.extFields, request.body);
    return true;
  }

  /** DefaultTransactionalMessageCheckListener.resolveDiscardMsg. */
  private async discard(half: DecodedMessage, properties: Map<string, string>): Promise<boolean> {
    let slot = this.d.slots.get(TRANS_CHECK_MAX_TIME_TOPIC, 0);
    if (slot < 0) {
      const slots = await this.d.ensureTopic(TRANS_CHECK_MAX_TIME_TOPIC);
      if (!slots || slots.length === 0) return false;
      this.d.slots.adopt(TRANS_CHECK_MAX_TIME_TOPIC, slots);
      slot = slots[0];
    }
    return (await this.put(discardedHalf(half, properties), slot)) !== null;
  }

  /** One record through the ring; resolves with where it was stored, or null when it was not. */
  private async put(record: Buffer, slot: number): Promise<Stored | null> {
    const { ring, log } = this.d;
    if (ENTRY_HEADER_SIZE + record.length > ring.maxPayload) {
      log.error({ bytes: record.length }, 'transaction record larger than the ring');
      return null;
    }
    const since = this.now();
    let off = ring.reserve(ENTRY_HEADER_SIZE + record.length);
    while (off < 0) {
      if (this.stopping || this.now() - since > RING_WAIT_MS) return null;
      await new Promise((r) => setTimeout(r, 1));
      off = ring.reserve(ENTRY_HEADER_SIZE + record.length);
    }
    const reqId = this.nextReqId;
    this.nextReqId = (this.nextReqId % 0x7fffffff) + 1;
    ring.u8.set(record, off + ENTRY_HEADER_SIZE);
    writeInt(ring.u8, off, reqId);
    writeInt(ring.u8, off + 4, this.d.workerId);
    writeInt(ring.u8, off + 8, slot);
    writeInt(ring.u8, off + 12, 1);
    const done = new Promise<Stored>((resolve) => this.waiting.set(reqId, resolve));
    ring.commit(off);
    const s = await done;
    if (s.status === PutStatus.OK || s.status === PutStatus.FLUSH_DISK_TIMEOUT) return s;
    log.error({ status: s.status, slot }, 'transaction re-put not stored; the half queue is checked from there next time');
    return null;
  }

  /** Completions from the store writer: [reqId, status, queueOffset, physicalOffset]... */
  complete(c: Float64Array): void {
    for (let w = 0; w < c.length; w += COMPLETION_WORDS) {
      const resolve = this.waiting.get(c[w]);
      if (!resolve) continue;
      this.waiting.delete(c[w]);
      resolve({ status: c[w + 1], queueOffset: c[w + 2], physicalOffset: c[w + 3] });
    }
  }

  /** Shutdown: puts still waiting for a completion that will not come are answered as failed. */
  abandon(): void {
    for (const resolve of this.waiting.values()) resolve({ status: PutStatus.SERVICE_NOT_AVAILABLE, queueOffset: 0, physicalOffset: 0 });
    this.waiting.clear();
  }
}
