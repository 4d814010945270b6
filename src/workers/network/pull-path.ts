import { Perm, PullSysFlag, ResponseCode } from '../../shared/codes.js';
import { isOneway, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { SharedState, StoreWord } from '../../shared/shared-state.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize, readCqTagsCode } from '../../shared/storage/consumequeue.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import type { StoreReader } from '../storage/store-reader.js';
import type { Connection } from './connection.js';
import { tagFilter, type Filter, type Replica } from './replica.js';
import { sqlPullRejection, SqlRecordFilter } from './sql-pull.js';

export interface PullDeps {
  config: BrokerConfig;
  replica: Replica;
  state: SharedState;
  reader: StoreReader;
  commitOffset(group: string, topic: string, queueId: number, offset: number): void;
}

interface Held {
  conn: Connection;
  cmd: RemotingCommand;
  slot: number;
  offset: number;
  deadline: number;
}

/** The store's answer to one pull, before it becomes a response. */
interface PullResult {
  code: number;
  status: string;
  next: number;
  min: number;
  max: number;
  body: Buffer | null;
}

const MAX_SCAN_UNITS = 800;

/**
 * PULL_MESSAGE / LITE_PULL_MESSAGE: reads ConsumeQueue units, filters them by tag hash, and
 * answers with the stored records as they lie in the CommitLog. Pulls that find nothing new wait
 * (long polling) until the dispatcher publishes a new max offset for their queue, or time out.
 */
export class PullPath {
  private readonly held = new Map<number, Held[]>();
  private heldCount = 0;
  private readonly units = Buffer.allocUnsafe(MAX_SCAN_UNITS * CQ_UNIT_SIZE);
  private readonly phys = new Float64Array(MAX_SCAN_UNITS);
  private readonly sizes = new Int32Array(MAX_SCAN_UNITS);
  private watching = false;
  private sqlRecords: SqlRecordFilter | null = null;

  constructor(private readonly d: PullDeps) {
    setInterval(() => this.expire(), 100).unref();
  }

  get heldPulls(): number {
    return this.heldCount;
  }

  handle(conn: Connection, cmd: RemotingCommand, rerun = false): void {
    let res: RemotingCommand | null;
    try {
      res = this.pull(conn, cmd, rerun);
    } catch (e) {
      const err = e instanceof RemotingError ? e : new RemotingError(ResponseCode.SYSTEM_ERROR, String((e as Error).message));
      res = responseFor(cmd, err.code, err.message);
    }
    if (res && !isOneway(cmd)) conn.send(res);
  }

  private pull(conn: Connection, cmd: RemotingCommand, rerun: boolean): RemotingCommand | null {
    const { config, replica, state } = this.d;
    const h = cmd.extFields ?? {};
    const group = required(h, 'consumerGroup');
    const topicName = required(h, 'topic');
    const queueId = int(h, 'queueId');
    const offset = int(h, 'queueOffset');
    const maxMsgNums = int(h, 'maxMsgNums');
    const sysFlag = int(h, 'sysFlag');
    const groupConfig = replica.groups.get(group);
    if (!groupConfig && !config.autoCreateSubscriptionGroup) {
      return responseFor(cmd, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${group}] does not exist`);
    }
    if (groupConfig && !groupConfig.consumeEnable) return responseFor(cmd, ResponseCode.NO_PERMISSION, `subscription group no permission, ${group}`);
    if ((config.brokerPermission & Perm.READ) === 0) return responseFor(cmd, ResponseCode.NO_PERMISSION, `the broker[${config.brokerName}] pulling message is forbidden`);
    const topic = replica.topics.get(topicName);
    if (!topic) return responseFor(cmd, ResponseCode.TOPIC_NOT_EXIST, `topic[${topicName}] not exist, apply first please!`);
    if ((topic.config.perm & Perm.READ) === 0) return responseFor(cmd, ResponseCode.NO_PERMISSION, `the topic[${topicName}] pulling message is forbidden`);
    if (queueId < 0 || queueId >= topic.config.readQueueNums || queueId >= topic.slots.length) {
      return responseFor(cmd, ResponseCode.SYSTEM_ERROR, `queueId[${queueId}] is illegal, topic:[${topicName}] topicConfig.readQueueNums:[${topic.config.readQueueNums}] consumer:[${conn.remoteAddr}]`);
    }
    let filter: Filter;
    if (sysFlag & PullSysFlag.SUBSCRIPTION) {
      filter = tagFilter(h.subscription, h.expressionType, Number(h.subVersion) || 0, group, topicName);
    } else {
      const groupSubs = replica.subscriptions.get(group);
      if (!groupSubs) return responseFor(cmd, ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's group info not exist, group: ${group}`);
      const f = groupSubs.get(topicName);
      if (!f) return responseFor(cmd, ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's subscription not exist, group: ${group}`);
      if (f.subVersion < (Number(h.subVersion) || 0)) return responseFor(cmd, ResponseCode.SUBSCRIPTION_NOT_LATEST, `the consumer's subscription not latest, group: ${group}`);
      filter = f;
    }
    if (filter.expressionType !== 'TAG') {
      if (!config.enablePropertyFilter) return responseFor(cmd, ResponseCode.SYSTEM_ERROR, 'The broker does not support consumer to filter message by SQL92');
      const rejected = sqlPullRejection(filter, (sysFlag & PullSysFlag.SUBSCRIPTION) !== 0);
      if (rejected) return responseFor(cmd, rejected.code, rejected.remark);
    }
    if (!rerun && sysFlag & PullSysFlag.COMMIT_OFFSET && h.commitOffset !== undefined) {
      const commit = Number(h.commitOffset);
      if (commit >= 0) this.d.commitOffset(group, topicName, queueId, commit);
    }
    const slot = topic.slots[queueId];
    const r = this.read(topicName, queueId, slot, offset, maxMsgNums, filter);
    if (r.code === ResponseCode.PULL_NOT_FOUND && !rerun && sysFlag & PullSysFlag.SUSPEND) {
      const wait = config.longPollingEnable ? Number(h.suspendTimeoutMillis) || 15000 : config.shortPollingTimeMills;
      this.hold({ conn, cmd, slot, offset, deadline: Date.now() + wait });
      return null;
    }
    const ext = { suggestWhichBrokerId: '0', nextBeginOffset: String(r.next), minOffset: String(r.min), maxOffset: String(r.max) };
    return responseFor(cmd, r.code, r.status, ext, r.body);
  }

  private read(topic: string, queueId: number, slot: number, offset: number, maxMsgNums: number, filter: Filter): PullResult {
    const { state, reader, config } = this.d;
    const max = state.maxOffset(slot);
    const min = state.minOffset(slot);
    const result = (code: number, status: string, next: number, body: Buffer | null = null): PullResult => ({ code, status, next, min, max, body });
    if (max === 0) return result(offset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND, 'NO_MESSAGE_IN_QUEUE', 0);
    if (offset < min) return result(ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_TOO_SMALL', min);
    if (offset === max) return result(ResponseCode.PULL_NOT_FOUND, 'OFFSET_OVERFLOW_ONE', offset);
    if (offset > max) return result(ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_OVERFLOW_BADLY', min === 0 ? min : max);
    const commitMin = state.store[StoreWord.COMMIT_MIN];
    const maxCount = Math.min(Math.max(1, maxMsgNums), config.maxTransferCountOnMessageInMemory, MAX_SCAN_UNITS);
    const maxBytes = config.maxTransferBytesOnMessageInMemory;
    let scanned = 0;
    let found = 0;
    let bytes = 0;
    let full = false;
    // SQL92: properties are only in the CommitLog, so candidates are read (once) and evaluated there.
    const sql = filter.sql === null ? null : (this.sqlRecords ??= new SqlRecordFilter(reader, state)).begin(filter.sql);
    while (!full && scanned < MAX_SCAN_UNITS && offset + scanned < max) {
      const want = Math.min(MAX_SCAN_UNITS - scanned, max - offset - scanned);
      const n = reader.readCqUnits(topic, queueId, offset + scanned, want, this.units, slot);
      if (n === 0) break;
      let i = 0;
      for (; i < n; i++) {
        const u = i * CQ_UNIT_SIZE;
        const phy = readCqPhyOffset(this.units, u);
        const size = readCqSize(this.units, u);
        if (found > 0 && (found >= maxCount || bytes + size > maxBytes)) {
          full = true;
          break;
        }
        if (phy < commitMin) continue;
        if (sql !== null) {
          if (!sql.accept(phy, size)) continue;
        } else if (!filter.all && !filter.codes.has(readCqTagsCode(this.units, u) | 0)) continue;
        this.phys[found] = phy;
        this.sizes[found] = size;
        found++;
        bytes += size;
      }
      scanned += i;
    }
    const next = offset + scanned;
    if (found === 0) return result(ResponseCode.PULL_RETRY_IMMEDIATELY, 'NO_MATCHED_MESSAGE', next);
    return result(ResponseCode.SUCCESS, 'FOUND', next, sql !== null ? sql.take() : this.readRecords(found, bytes));
  }

  /** Reads the matched records, one read per run of adjacent records. */
  private readRecords(count: number, bytes: number): Buffer {
    const body = Buffer.allocUnsafe(bytes);
    let at = 0;
    let i = 0;
    while (i < count) {
      const start = this.phys[i];
      let len = this.sizes[i];
      let j = i + 1;
      while (j < count && this.phys[j] === start + len) len += this.sizes[j++];
      let done = 0;
      while (done < len) {
        const n = this.d.reader.commitLog.read(start + done, body, at + done, len - done);
        if (n <= 0) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `CommitLog read failed at ${start + done}`);
        done += n;
      }
      at += len;
      i = j;
    }
    return body;
  }

  private hold(h: Held): void {
    let list = this.held.get(h.slot);
    if (!list) this.held.set(h.slot, (list = []));
    list.push(h);
    this.heldCount++;
    this.watch();
  }

  /** Waits for the dispatcher's next publication while any pull is held. */
  private watch(): void {
    if (this.watching || this.heldCount === 0) return;
    this.watching = true;
    const seq = this.d.state.seq;
    const r = Atomics.waitAsync(seq, 1 /* Seq.DISPATCHED */, Atomics.load(seq, 1), 1000);
    const next = () => {
      this.watching = false;
      this.wakeArrived();
      this.watch();
    };
    if (r.async) void r.value.then(next);
    else setImmediate(next);
  }

  private wakeArrived(): void {
    for (const [slot, list] of this.held) {
      const max = this.d.state.maxOffset(slot);
      if (!list.some((h) => max > h.offset)) continue;
      const keep: Held[] = [];
      for (const h of list) {
        if (max > h.offset || h.conn.closed) this.release(h);
        else keep.push(h);
      }
      if (keep.length) this.held.set(slot, keep);
      else this.held.delete(slot);
    }
  }

  private expire(): void {
    if (this.heldCount === 0) return;
    const now = Date.now();
    for (const [slot, list] of this.held) {
      const keep = list.filter((h) => {
        if (h.deadline > now && !h.conn.closed) return true;
        this.release(h);
        return false;
      });
      if (keep.length) this.held.set(slot, keep);
      else this.held.delete(slot);
    }
  }

  private release(h: Held): void {
    this.heldCount--;
    if (!h.conn.closed) this.handle(h.conn, h.cmd, true);
  }

  /** Answers every held pull now (shutdown). */
  releaseAll(): void {
    for (const list of this.held.values()) for (const h of list) this.release(h);
    this.held.clear();
  }
}

function required(h: Record<string, string>, key: string): string {
  const v = h[key];
  if (v === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${key}> is null`);
  return v;
}

export function int(h: Record<string, string>, key: string): number {
  const v = required(h, key);
  if (!/^-?\d{1,19}$/.test(v)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${key}> is not a whole number: ${v}`);
  return Number(v);
}
