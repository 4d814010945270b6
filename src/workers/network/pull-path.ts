import { Perm, PullSysFlag, ResponseCode, RpcFlag } from '../../shared/codes.js';
import { responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { pullRequestFromCommand, type PullRequest } from '../../shared/remoting/pull-request.js';
import { pullResponseLength, writePullResponse } from '../../shared/remoting/pull-response.js';
import { SharedState, StoreWord } from '../../shared/shared-state.js';
import { CQ_UNIT_SIZE, readCqPhyOffset, readCqSize, readCqTagsCode } from '../../shared/storage/consumequeue.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import { CommitLogWindows } from '../storage/commitlog-windows.js';
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
  req: PullRequest;
  deadline: number;
}

/** The pulls held on one queue, and the lowest offset they wait beyond. */
interface HeldQueue {
  slot: number;
  low: number;
  pulls: Held[];
  /** Where it is in PullPath.heldQueues while it holds pulls; -1 when it holds none. */
  index: number;
}

const MAX_SCAN_UNITS = 800;
/** The most CommitLog bytes read at once for the pulls one publication wakes. */
const WOKEN_BYTES = 256 * 1024;

/**
 * PULL_MESSAGE / LITE_PULL_MESSAGE: reads ConsumeQueue units, filters them by tag hash, and
 * answers with the stored records as they lie in the CommitLog. Pulls that find nothing new wait
 * (long polling) until the dispatcher publishes a new max offset for their queue, or time out.
 *
 * A pull of RocketMQ's benchmark topic (1,024 queues) mostly carries one message, so its fixed
 * costs are paid per message: the answer's header is written straight into the connection's
 * output, and the records are read into one reused buffer.
 */
export class PullPath {
  /** Held pulls by queue slot, and the same queues as a list for the scan at each publication. */
  private readonly heldBySlot = new Map<number, HeldQueue>();
  private readonly heldQueues: HeldQueue[] = [];
  private heldCount = 0;
  private readonly units = Buffer.allocUnsafe(MAX_SCAN_UNITS * CQ_UNIT_SIZE);
  private readonly phys = new Float64Array(MAX_SCAN_UNITS);
  private readonly sizes = new Int32Array(MAX_SCAN_UNITS);
  /**
   * CommitLog bytes [wokenStart, wokenEnd), read in one go when a publication wakes held pulls:
   * their records are mostly what that publication made visible, and each would otherwise be a
   * read of its own. Bytes below the dispatched offset never change, so they stay valid.
   */
  private readonly woken = Buffer.allocUnsafe(WOKEN_BYTES);
  private wokenStart = 0;
  private wokenEnd = 0;
  /** Older CommitLog bytes, for pulls of a backlog whose records lie apart. */
  private readonly windows: CommitLogWindows;
  /** The dispatched offset at the last wake that answered pulls. */
  private lastWake = 0;
  private watching = false;
  private sqlRecords: SqlRecordFilter | null = null;
  // The outcome of the last read(): kept in fields rather than an object per pull.
  private code = 0;
  private status = '';
  private next = 0;
  private min = 0;
  private max = 0;
  /**
   * The answer's body, `bodyLength` bytes: those of `bodyFrom` (SQL92 matches), or else the
   * `records` records at phys/sizes, copied from the CommitLog straight into the answer.
   */
  private bodyFrom: Buffer | null = null;
  private records = 0;
  private bodyLength = 0;

  constructor(private readonly d: PullDeps) {
    this.windows = new CommitLogWindows(d.reader.commitLog);
    setInterval(() => this.expire(), 100).unref();
  }

  get heldPulls(): number {
    return this.heldCount;
  }

  /** A pull the generic decoder decoded: its fields are checked as RocketMQ checks them. */
  handleCommand(conn: Connection, cmd: RemotingCommand): void {
    let req: PullRequest;
    try {
      req = pullRequestFromCommand(cmd);
    } catch (e) {
      this.fail(conn, cmd, e);
      return;
    }
    this.handle(conn, req);
  }

  handle(conn: Connection, req: PullRequest, rerun = false): void {
    try {
      const res = this.pull(conn, req, rerun);
      if (res && (req.flag & RpcFlag.ONEWAY) === 0) conn.send(res);
    } catch (e) {
      this.fail(conn, req, e);
    }
  }

  private fail(conn: Connection, req: RemotingCommand | PullRequest, e: unknown): void {
    const err = e instanceof RemotingError ? e : new RemotingError(ResponseCode.SYSTEM_ERROR, String((e as Error).message));
    if ((req.flag & RpcFlag.ONEWAY) === 0) conn.send(responseFor(req, err.code, err.message));
  }

  /** Answers `req` itself and returns null, or returns the (error) response to send. */
  private pull(conn: Connection, req: PullRequest, rerun: boolean): RemotingCommand | null {
    const { config, replica } = this.d;
    const group = req.consumerGroup;
    const topicName = req.topic;
    const queueId = req.queueId;
    const sysFlag = req.sysFlag;
    const groupConfig = replica.groups.get(group);
    if (!groupConfig && !config.autoCreateSubscriptionGroup) {
      return responseFor(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${group}] does not exist`);
    }
    if (groupConfig && !groupConfig.consumeEnable) return responseFor(req, ResponseCode.NO_PERMISSION, `subscription group no permission, ${group}`);
    if ((config.brokerPermission & Perm.READ) === 0) return responseFor(req, ResponseCode.NO_PERMISSION, `the broker[${config.brokerName}] pulling message is forbidden`);
    const topic = replica.topics.get(topicName);
    if (!topic) return responseFor(req, ResponseCode.TOPIC_NOT_EXIST, `topic[${topicName}] not exist, apply first please!`);
    if ((topic.config.perm & Perm.READ) === 0) return responseFor(req, ResponseCode.NO_PERMISSION, `the topic[${topicName}] pulling message is forbidden`);
    if (queueId < 0 || queueId >= topic.config.readQueueNums || queueId >= topic.slots.length) {
      return responseFor(req, ResponseCode.SYSTEM_ERROR, `queueId[${queueId}] is illegal, topic:[${topicName}] topicConfig.readQueueNums:[${topic.config.readQueueNums}] consumer:[${conn.remoteAddr}]`);
    }
    let filter: Filter;
    if (sysFlag & PullSysFlag.SUBSCRIPTION) {
      filter = tagFilter(req.subscription, req.expressionType, req.subVersion, group, topicName);
    } else {
      const groupSubs = replica.subscriptions.get(group);
      if (!groupSubs) return responseFor(req, ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's group info not exist, group: ${group}`);
      const f = groupSubs.get(topicName);
      if (!f) return responseFor(req, ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's subscription not exist, group: ${group}`);
      if (f.subVersion < req.subVersion) return responseFor(req, ResponseCode.SUBSCRIPTION_NOT_LATEST, `the consumer's subscription not latest, group: ${group}`);
      filter = f;
    }
    if (filter.expressionType !== 'TAG') {
      if (!config.enablePropertyFilter) return responseFor(req, ResponseCode.SYSTEM_ERROR, 'The broker does not support consumer to filter message by SQL92');
      const rejected = sqlPullRejection(filter, (sysFlag & PullSysFlag.SUBSCRIPTION) !== 0);
      if (rejected) return responseFor(req, rejected.code, rejected.remark);
    }
    if (!rerun && sysFlag & PullSysFlag.COMMIT_OFFSET && req.commitOffset >= 0) {
      this.d.commitOffset(group, topicName, queueId, req.commitOffset);
    }
    const slot = topic.slots[queueId];
    this.read(topicName, queueId, slot, req.queueOffset, req.maxMsgNums, filter);
    if (this.code === ResponseCode.PULL_NOT_FOUND && !rerun && sysFlag & PullSysFlag.SUSPEND) {
      const wait = config.longPollingEnable ? req.suspendTimeoutMillis || 15000 : config.shortPollingTimeMills;
      this.hold(slot, { conn, req, deadline: Date.now() + wait });
      return null;
    }
    if ((req.flag & RpcFlag.ONEWAY) === 0) this.answer(conn, req);
    return null;
  }

  /**
   * Writes the outcome of the last read() to the connection's output. A CommitLog read that fails
   * takes the answer back and throws, for the caller to answer with the error instead.
   */
  private answer(conn: Connection, req: PullRequest): void {
    const len = pullResponseLength(req.serializeType, this.code, req.opaque, this.status, this.next, this.min, this.max, this.bodyLength);
    const at = conn.reserveResponse(len);
    const out = conn.output;
    const bodyAt = writePullResponse(out, at, req.serializeType, this.code, req.opaque, this.status, this.next, this.min, this.max, this.bodyLength);
    if (this.bodyFrom !== null) {
      this.bodyFrom.copy(out, bodyAt, 0, this.bodyLength);
    } else if (this.records > 0) {
      try {
        this.copyRecords(this.records, out, bodyAt);
      } catch (e) {
        conn.takeBackResponse(at);
        throw e;
      }
    }
  }

  private result(code: number, status: string, next: number): void {
    this.code = code;
    this.status = status;
    this.next = next;
    this.bodyFrom = null;
    this.records = 0;
    this.bodyLength = 0;
  }

  /** Looks for messages of one queue; the outcome is left in this object's fields. */
  private read(topic: string, queueId: number, slot: number, offset: number, maxMsgNums: number, filter: Filter): void {
    const { state, reader, config } = this.d;
    const max = state.maxOffset(slot);
    const min = state.minOffset(slot);
    this.min = min;
    this.max = max;
    if (max === 0) return this.result(offset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND, 'NO_MESSAGE_IN_QUEUE', 0);
    if (offset < min) return this.result(ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_TOO_SMALL', min);
    if (offset === max) return this.result(ResponseCode.PULL_NOT_FOUND, 'OFFSET_OVERFLOW_ONE', offset);
    if (offset > max) return this.result(ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_OVERFLOW_BADLY', min === 0 ? min : max);
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
    if (found === 0) return this.result(ResponseCode.PULL_RETRY_IMMEDIATELY, 'NO_MATCHED_MESSAGE', next);
    this.result(ResponseCode.SUCCESS, 'FOUND', next);
    if (sql !== null) this.bodyFrom = sql.matched();
    else this.records = found;
    this.bodyLength = bytes;
  }

  /**
   * Copies the matched records to body[at], one read per run of adjacent records that the woken
   * bytes or the windows do not hold.
   */
  private copyRecords(count: number, body: Buffer, at: number): void {
    let i = 0;
    while (i < count) {
      const start = this.phys[i];
      let len = this.sizes[i];
      let j = i + 1;
      while (j < count && this.phys[j] === start + len) len += this.sizes[j++];
      if (start >= this.wokenStart && start + len <= this.wokenEnd) {
        this.woken.copy(body, at, start - this.wokenStart, start - this.wokenStart + len);
      } else if (!this.windows.copy(start, len, body, at, this.d.state.store[StoreWord.COMMIT_END])) {
        let done = 0;
        while (done < len) {
          const n = this.d.reader.commitLog.read(start + done, body, at + done, len - done);
          if (n <= 0) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `CommitLog read failed at ${start + done}`);
          done += n;
        }
      }
      at += len;
      i = j;
    }
  }

  private hold(slot: number, h: Held): void {
    let q = this.heldBySlot.get(slot);
    if (!q) this.heldBySlot.set(slot, (q = { slot, low: 0, pulls: [], index: -1 }));
    if (q.index < 0) {
      q.index = this.heldQueues.length;
      this.heldQueues.push(q);
      q.low = h.req.queueOffset;
    } else if (h.req.queueOffset < q.low) {
      q.low = h.req.queueOffset;
    }
    q.pulls.push(h);
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

  /**
   * Answers the held pulls whose queue grew past them. Runs at every publication of the
   * dispatcher (about every millisecond under load) over every queue with a held pull (1,024 for
   * RocketMQ's benchmark Consumer), so the test per queue is one comparison.
   */
  private wakeArrived(): void {
    const queues = this.heldQueues;
    let readWoken = false;
    for (let i = 0; i < queues.length; ) {
      const q = queues[i];
      const max = this.d.state.maxOffset(q.slot);
      if (max > q.low) {
        if (!readWoken) {
          readWoken = true;
          this.readWoken();
        }
        this.releaseWhere(q, (h) => max > h.req.queueOffset || h.conn.closed);
      }
      // releaseWhere may have moved the last queue into this place.
      if (queues[i] === q) i++;
    }
  }

  /**
   * Reads what was dispatched since the last wake that answered pulls (its last WOKEN_BYTES at
   * most) into `woken`. A failed or short read just leaves less there: pulls read the rest
   * themselves.
   */
  private readWoken(): void {
    const end = this.d.state.store[StoreWord.DISPATCHED];
    const start = Math.max(this.lastWake, end - WOKEN_BYTES, 0);
    this.lastWake = end;
    if (start >= end) return;
    this.wokenStart = this.wokenEnd = start;
    let done = 0;
    try {
      while (start + done < end) {
        const n = this.d.reader.commitLog.read(start + done, this.woken, done, end - start - done);
        if (n <= 0) break;
        done += n;
      }
    } catch {
      // The pulls read their records themselves, and report what fails there.
    }
    this.wokenEnd = start + done;
  }

  private expire(): void {
    if (this.heldCount === 0) return;
    const now = Date.now();
    const queues = this.heldQueues;
    for (let i = 0; i < queues.length; ) {
      const q = queues[i];
      this.releaseWhere(q, (h) => h.deadline <= now || h.conn.closed);
      if (queues[i] === q) i++;
    }
  }

  /** Takes the pulls of `q` that `due` picks off the queue (and the queue off the lists if none is left), then answers them. */
  private releaseWhere(q: HeldQueue, due: (h: Held) => boolean): void {
    const pulls = q.pulls;
    let kept = 0;
    let low = Infinity;
    let released: Held[] | null = null;
    for (let i = 0; i < pulls.length; i++) {
      const h = pulls[i];
      if (due(h)) {
        (released ??= []).push(h);
      } else {
        pulls[kept++] = h;
        if (h.req.queueOffset < low) low = h.req.queueOffset;
      }
    }
    if (released === null) return;
    pulls.length = kept;
    q.low = low;
    if (kept === 0) this.forget(q);
    for (const h of released) this.release(h);
  }

  /** Takes an empty queue off the scanned list; its entry by slot stays, for its next pull. */
  private forget(q: HeldQueue): void {
    const queues = this.heldQueues;
    const last = queues.pop()!;
    if (last !== q) {
      queues[q.index] = last;
      last.index = q.index;
    }
    q.index = -1;
  }

  private release(h: Held): void {
    this.heldCount--;
    if (!h.conn.closed) this.handle(h.conn, h.req, true);
  }

  /** Answers every held pull now (shutdown). */
  releaseAll(): void {
    const queues = this.heldQueues.splice(0);
    for (const q of queues) {
      q.index = -1;
      const pulls = q.pulls.splice(0);
      for (const h of pulls) this.release(h);
    }
  }
}
