import type { Ring } from '../../shared/ring.js';
import type { SharedState } from '../../shared/shared-state.js';
import { StoreWord } from '../../shared/shared-state.js';
import type { QueueSlots } from '../../shared/queue-slots.js';
import { COMPLETION_WORDS, ENTRY_HEADER_SIZE, PutStatus } from '../../shared/send-entry.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize, readCqTagsCode } from '../../shared/storage/consumequeue.js';
import { writeInt } from '../../shared/storage/longs.js';
import { checkRecord, decodeRecord } from '../../shared/storage/message.js';
import { rewriteRecord } from '../../shared/storage/rewrite.js';
import { delayLevelToQueueId, deliveryOf, isDue, SCHEDULE_TOPIC } from '../../shared/delay.js';
import type { Logger } from '../../main/logger.js';
import type { StoreReader } from '../storage/store-reader.js';
import { LevelTracker, type UnitPut } from './level-tracker.js';

/** ScheduleMessageService's DELAY_FOR_A_WHILE: how often each level looks for due units. */
export const POLL_INTERVAL_MS = 100;
/** Re-puts of one level the store writer may hold at once. */
const MAX_IN_FLIGHT_PER_LEVEL = 256;
/** Units read from a ConsumeQueue per read. */
const UNITS_PER_READ = 64;

export interface ScheduleDeps {
  /** Delay of each level in ms (index = level - 1). */
  levels: readonly number[];
  /** Saved progress: level -> next queue offset. */
  progress: Map<number, number>;
  reader: StoreReader;
  ring: Ring;
  state: SharedState;
  slots: QueueSlots;
  /** This producer's completion-port id in ring entries. */
  workerId: number;
  log: Logger;
  now?: () => number;
}

/**
 * RocketMQ's ScheduleMessageService: per delay level, follows SCHEDULE_TOPIC_XXXX queue level-1
 * from its saved offset; every unit whose deliver time (its tagsCode) has come is read back from
 * the CommitLog and re-put, as a new record in its REAL_TOPIC / REAL_QID, through the same ring as
 * client sends. The level's offset moves once the store writer reports the re-put stored.
 */
export class ScheduleService {
  readonly trackers: LevelTracker[];
  private readonly putsById = new Map<number, { tracker: LevelTracker; put: UnitPut }>();
  private nextReqId = 1;
  private readonly units = Buffer.allocUnsafe(UNITS_PER_READ * CQ_UNIT_SIZE);
  private recordBuf = Buffer.allocUnsafe(64 * 1024);
  /** Levels present in the saved file: kept in the table even while they stay at 0. */
  private readonly savedLevels: Set<number>;
  private readonly now: () => number;
  private readonly warned = new Set<string>();

  constructor(private readonly d: ScheduleDeps) {
    this.now = d.now ?? Date.now;
    this.savedLevels = new Set(d.progress.keys());
    this.trackers = d.levels.map((_, i) => new LevelTracker(i + 1, Math.max(0, d.progress.get(i + 1) ?? 0)));
  }

  /** The table delayOffset.json holds: level -> progress, for levels delivered or saved before. */
  offsetTable(): Map<number, number> {
    const table = new Map<number, number>();
    for (const t of this.trackers) if (t.progress > 0 || this.savedLevels.has(t.level)) table.set(t.level, t.progress);
    // Levels no longer configured keep their saved offsets.
    for (const [level, offset] of this.d.progress) if (level > this.trackers.length) table.set(level, offset);
    return table;
  }

  get inFlight(): number {
    return this.putsById.size;
  }

  /**
   * One pass over every level: delivers what is due. Returns true when some level stopped only
   * because of its in-flight cap or a full ring (so another pass soon is worth it).
   */
  poll(): boolean {
    let more = false;
    for (const t of this.trackers) {
      try {
        if (this.pollLevel(t)) more = true;
      } catch (e) {
        this.d.log.error({ level: t.level, offset: t.cursor, err: e }, 'delay level delivery failed; retrying later');
        t.retryAt = this.now() + 10_000;
      }
    }
    return more;
  }

  private pollLevel(t: LevelTracker): boolean {
    const { state, reader, slots, levels } = this.d;
    const queueId = delayLevelToQueueId(t.level);
    const slot = slots.get(SCHEDULE_TOPIC, queueId);
    if (slot < 0) return false;
    const max = state.maxOffset(slot);
    t.skipTo(state.minOffset(slot));
    t.clampTo(max);
    while (t.cursor < max) {
      const now = this.now();
      if (!t.canRead(now, MAX_IN_FLIGHT_PER_LEVEL)) return t.inFlight >= MAX_IN_FLIGHT_PER_LEVEL;
      const n = reader.readCqUnits(SCHEDULE_TOPIC, queueId, t.cursor, Math.min(UNITS_PER_READ, max - t.cursor), this.units);
      if (n <= 0) return false;
      for (let i = 0; i < n; i++) {
        const at = i * CQ_UNIT_SIZE;
        if (!isDue(levels, t.level, now, readCqTagsCode(this.units, at))) return false;
        if (!t.canRead(now, MAX_IN_FLIGHT_PER_LEVEL)) return true;
        if (t.wasStored(t.cursor)) {
          t.skip();
          continue;
        }
        if (!this.deliver(t, readCqPhyOffset(this.units, at), readCqSize(this.units, at))) return true;
      }
    }
    return false;
  }

  /** Re-puts the unit at t.cursor (or skips it when it can't be delivered). False: ring full. */
  private deliver(t: LevelTracker, phy: number, size: number): boolean {
    const { state, reader, ring, slots, log } = this.d;
    const offset = t.cursor;
    if (size <= 0 || phy < state.store[StoreWord.COMMIT_MIN] || phy + size > state.store[StoreWord.COMMIT_END]) {
      log.warn({ level: t.level, offset, phy, size }, 'delayed message no longer in the CommitLog; skipped');
      t.skip();
      return true;
    }
    if (this.recordBuf.length < size) this.recordBuf = Buffer.allocUnsafe(Math.max(size, this.recordBuf.length * 2));
    const buf = this.recordBuf;
    if (reader.commitLog.read(phy, buf, 0, size) !== size || checkRecord(buf, 0, size, false) !== size) {
      log.warn({ level: t.level, offset, phy, size }, 'delayed message unreadable; skipped');
      t.skip();
      return true;
    }
    const msg = decodeRecord(buf.subarray(0, size), 0);
    const target = deliveryOf(msg.properties);
    if ('error' in target) {
      log.warn({ level: t.level, offset, phy, msgId: msg.msgId, why: target.error }, 'delayed message cannot be delivered; discarded');
      t.skip();
      return true;
    }
    const targetSlot = slots.get(target.topic, target.queueId);
    if (targetSlot < 0) {
      const key = `${target.topic}:${target.queueId}`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        log.warn({ topic: target.topic, queueId: target.queueId, level: t.level, offset }, 'the real queue of a delayed message does not exist; discarded');
      }
      t.skip();
      return true;
    }
    const record = rewriteRecord(msg, { topic: target.topic, queueId: target.queueId, properties: target.properties, reconsumeTimes: msg.reconsumeTimes });
    const off = ring.reserve(ENTRY_HEADER_SIZE + record.length);
    if (off < 0) return false;
    const reqId = this.nextReqId;
    this.nextReqId = (this.nextReqId % 0x7fffffff) + 1;
    ring.u8.set(record, off + ENTRY_HEADER_SIZE);
    writeInt(ring.u8, off, reqId);
    writeInt(ring.u8, off + 4, this.d.workerId);
    writeInt(ring.u8, off + 8, targetSlot);
    writeInt(ring.u8, off + 12, 1);
    this.putsById.set(reqId, { tracker: t, put: t.started() });
    ring.commit(off);
    return true;
  }

  /** Completions from the store writer: [reqId, status, queueOffset, physicalOffset]... */
  complete(c: Float64Array): void {
    const now = this.now();
    let failed: Map<number, { offset: number; status: number; count: number }> | null = null;
    for (let w = 0; w < c.length; w += COMPLETION_WORDS) {
      const entry = this.putsById.get(c[w]);
      if (!entry) continue;
      this.putsById.delete(c[w]);
      const status = c[w + 1];
      const stored = status === PutStatus.OK || status === PutStatus.FLUSH_DISK_TIMEOUT;
      if (!stored) {
        failed ??= new Map();
        const f = failed.get(entry.tracker.level);
        if (f) f.count++;
        else failed.set(entry.tracker.level, { offset: entry.put.offset, status, count: 1 });
      }
      entry.tracker.completed(entry.put, stored, now);
    }
    if (failed) for (const [level, f] of failed) this.d.log.error({ level, firstOffset: f.offset, status: f.status, failed: f.count }, 'delayed message re-put failed; the level retries in 10 s');
  }
}
