import { Perm, RequestCode, ResponseCode, SerializeType } from '../../shared/codes.js';
import { isOneway, newRequest, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { SendResponseEncoder } from '../../shared/remoting/send-response.js';
import type { Ring } from '../../shared/ring.js';
import { NotWritable, notWritableRemark } from '../../shared/shared-state.js';
import { COMPLETION_WORDS, ENTRY_HEADER_SIZE, PutStatus } from '../../shared/send-entry.js';
import { decodeBatch } from '../../shared/storage/batch.js';
import { writeInt } from '../../shared/storage/longs.js';
import { BORNHOST_V6, encodeRecord, recordLength, STOREHOST_V6, type RecordFields } from '../../shared/storage/message.js';
import { createOffsetMsgId } from '../../shared/storage/msgid.js';
import { MAX_PROPERTIES_LENGTH, PropertyKey, withoutPropertyText } from '../../shared/storage/properties.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import type { Logger } from '../../main/logger.js';
import type { Connection } from './connection.js';
import type { Replica, TopicEntry } from './replica.js';
import { MAX_TOPIC_LENGTH, notSendable, parseSendRequest, topicProblem, type SendRequest } from './send-request.js';
import { needsRouting, routeSend, type RoutingDeps, type SendRoute } from './send-routing.js';
import { parseDelayLevels } from '../../shared/delay.js';
import { RETRY_PREFIX } from '../../shared/retry.js';
import type { SendV2View } from '../../shared/remoting/send-v2-view.js';
import { HALF_QUEUE_ID, isPrepared } from '../../shared/transaction.js';
import { halfSend } from './transaction-half.js';

/** Completion of a record stored for an internal producer (see storeRecord). */
export type StoredCallback = (status: number, queueOffset: number, physicalOffset: number) => void;

export interface SendDeps {
  workerId: number;
  ring: Ring;
  replica: Replica;
  config: BrokerConfig;
  storeIp: Buffer;
  storePort: number;
  log: Logger;
  /**
   * Restart count of this worker: request ids carry it, so completions for sends of a worker
   * that died are never matched to its successor's requests.
   */
  generation: number;
  /** Non-zero (a NotWritable reason) while the store refuses writes. */
  notWritable(): number;
  /** Asks the control plane (auto-create the topic, or an error response). */
  forward(conn: Connection, cmd: RemotingCommand, onReply: (reply: RemotingCommand | null) => void): void;
}

interface Pending {
  conn: Connection;
  cmd: RemotingCommand;
  queueId: number;
  /** Sizes of the records of a batch (to name each by its offset message id). */
  sizes: number[] | null;
  /** Internal producers (consumer send-back) answer themselves. */
  done?: StoredCallback;
}

interface Waiting {
  conn: Connection;
  cmd: RemotingCommand;
  since: number;
}

/** The fast path's last topic: its entry, its name's bytes, and the topics map's change count then. */
interface KeptTopic {
  bytes: Buffer;
  entry: TopicEntry;
  changes: number;
}

const EMPTY = Buffer.alloc(0);
/** Request ids per worker generation: ids are idBase + index, idBase = (generation % 1024) × ID_SPACE. */
const ID_SPACE = 1 << 20;

/**
 * The send path of a network worker: validates a send, encodes its CommitLog record(s) straight
 * into the ring, and answers when the store writer's completion comes back.
 */
export class SendPath {
  private readonly pending: (Pending | undefined)[] = [];
  private readonly free: number[] = [];
  private readonly waiting: Waiting[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly fields: RecordFields;
  private readonly clusterProps: Buffer;
  /** Retry/DLQ and delay-level rules (send-routing.ts), only consulted when needsRouting says so. */
  private readonly routing: RoutingDeps;
  onBackpressure: (paused: boolean) => void = () => {};
  private readonly idBase: number;
  private wakeScheduled = false;
  private readonly responses: SendResponseEncoder;
  private readonly topicCache = new Map<string, Buffer>();
  private propsScratch = Buffer.allocUnsafe(4096);
  /** See fastTopic. */
  private lastTopic: KeptTopic | null = null;
  /** One store-writer wake-up per event-loop turn, after every send of the turn is in the ring. */
  private readonly wake = () => {
    this.wakeScheduled = false;
    this.d.ring.wakeConsumer();
    this.afterWake();
  };
  /** Runs after each store-writer wake-up (network-worker.ts waits for completions there). */
  afterWake: () => void = () => {};

  constructor(private readonly d: SendDeps) {
    this.idBase = (d.generation % 1024) * ID_SPACE;
    this.responses = new SendResponseEncoder(d.config.regionId, String(d.config.traceOn), d.storeIp, d.storePort);
    this.fields = {
      queueId: 0, flag: 0, queueOffset: 0, physicalOffset: 0, sysFlag: 0, bornTimestamp: 0,
      bornHost: EMPTY, bornPort: 0, storeTimestamp: 0, storeHost: d.storeIp, storePort: d.storePort,
      reconsumeTimes: 0, preparedTransactionOffset: 0, body: EMPTY, topic: EMPTY, properties: EMPTY,
    };
    this.clusterProps = Buffer.from(`CLUSTER\u0001${d.config.brokerClusterName}`);
    this.routing = { replica: d.replica, config: d.config, maxDelayLevel: parseDelayLevels(d.config.messageDelayLevel).length };
  }

  get inFlight(): number {
    return this.pending.length - this.free.length;
  }

  handle(conn: Connection, cmd: RemotingCommand): void {
    if (this.waiting.length > 0) {
      this.waiting.push({ conn, cmd, since: Date.now() });
      return;
    }
    if (!this.process(conn, cmd, false)) this.enqueue(conn, cmd);
  }

  private process(conn: Connection, cmd: RemotingCommand, afterCreate: boolean): boolean {
    try {
      return this.tryStore(conn, cmd, afterCreate);
    } catch (e) {
      if (e instanceof RemotingError) this.reply(conn, cmd, e.code, e.message);
      else {
        this.d.log.error({ err: e, code: cmd.code }, 'send failed');
        this.reply(conn, cmd, ResponseCode.SYSTEM_ERROR, String((e as Error).message));
      }
      return true;
    }
  }

  /**
   * The common send, read in place by readSendV2: a plain message to an existing, writable topic
   * that needs no routing. False (nothing done) sends the frame down the generic path, which
   * answers every other case, so both paths give the same result.
   */
  tryFastSend(conn: Connection, frame: Buffer, v: SendV2View): boolean {
    const { config, replica } = this.d;
    if (this.waiting.length > 0 || this.inFlight >= ID_SPACE || this.d.notWritable()) return false;
    const bodyLen = frame.length - v.bodyStart;
    if (bodyLen > config.maxMessageSize || (config.brokerPermission & Perm.WRITE) === 0) return false;
    if (isPrepared(v.sysFlag)) return false;
    const kept = this.fastTopic(frame, v);
    if (!kept) return false;
    const topic = kept.entry;
    let queueId = v.queueId;
    if (queueId < 0) queueId = Math.floor(Math.random() * Math.max(1, topic.config.writeQueueNums));
    if (queueId >= Math.max(topic.config.writeQueueNums, topic.config.readQueueNums) || queueId >= topic.slots.length) return false;
    const propsLen = v.propsEnd - v.propsStart;
    const allProps = (propsLen > 0 ? propsLen + 1 : 0) + this.clusterProps.length;
    if (allProps > MAX_PROPERTIES_LENGTH) return false;
    if (v.delayMark) return false;
    const topicBytes = kept.bytes;
    const f = this.prepareFields(conn, v, queueId, topicBytes);
    const len = recordLength(f.sysFlag, bodyLen, topicBytes.length, allProps);
    const off = this.reserve(ENTRY_HEADER_SIZE + len);
    if (off < 0) return false;
    if (this.propsScratch.length < allProps) this.propsScratch = Buffer.allocUnsafe(MAX_PROPERTIES_LENGTH);
    if (propsLen > 0) {
      v.propsBuf.copy(this.propsScratch, 0, v.propsStart, v.propsEnd);
      this.propsScratch[propsLen] = 2;
    }
    this.clusterProps.copy(this.propsScratch, allProps - this.clusterProps.length);
    const cmd: RemotingCommand = { code: RequestCode.SEND_MESSAGE_V2, language: v.language, version: v.version, opaque: v.opaque, flag: v.flag, remark: null, extFields: null, serializeType: v.serializeType, body: null };
    const reqId = this.track({ conn, cmd, queueId, sizes: null });
    f.flag = v.msgFlag;
    f.body = frame.subarray(v.bodyStart);
    f.bodyCrc = undefined;
    f.properties = this.propsScratch.subarray(0, allProps);
    try {
      encodeRecord(this.d.ring.u8, off + ENTRY_HEADER_SIZE, f);
    } catch (e) {
      this.voidEntry(off, reqId);
      throw e;
    }
    this.commitEntry(off, reqId, topic.slots[queueId], 1);
    return true;
  }

  /**
   * The topic a fast send names, with its bytes, when it takes plain sends (it exists, is
   * writable, is not a retry or system topic); undefined otherwise. The last one found is kept until
   * the topics change: a connection mostly sends to one topic, and comparing its bytes in place
   * costs less than making its name a string for the lookup.
   */
  private fastTopic(frame: Buffer, v: SendV2View): KeptTopic | undefined {
    const topics = this.d.replica.topics;
    const last = this.lastTopic;
    if (last && last.changes === topics.changes && sameBytes(frame, v.topicStart, v.topicEnd, last.bytes)) return last;
    const topicName = frame.toString('latin1', v.topicStart, v.topicEnd);
    if (topicName.startsWith(RETRY_PREFIX) || notSendable(topicName)) return undefined;
    const topic = topics.get(topicName);
    if (!topic || (topic.config.perm & Perm.WRITE) === 0) return undefined;
    return (this.lastTopic = { bytes: this.topicBytes(topicName), entry: topic, changes: topics.changes });
  }

  /** Returns false when the ring is full (the request must wait). */
  private tryStore(conn: Connection, cmd: RemotingCommand, afterCreate: boolean): boolean {
    const { config, replica } = this.d;
    const req = parseSendRequest(cmd.code, cmd.extFields);
    const body = cmd.body;
    if (!body || body.length === 0) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, 'the message body is empty');
    if (this.inFlight >= ID_SPACE) throw new RemotingError(ResponseCode.SYSTEM_BUSY, '[OVERLOAD]too many sends in flight on this worker');
    const refused = this.d.notWritable();
    if (refused) throw new RemotingError(ResponseCode.SERVICE_NOT_AVAILABLE, notWritableRemark(refused));
    if (body.length > config.maxMessageSize) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, `the message is illegal, maybe msg body or properties length not matched. msg body length limit ${config.maxMessageSize}B, msg properties length limit 32KB.`);
    const problem = topicProblem(req.topic);
    if (problem) throw new RemotingError(ResponseCode.SYSTEM_ERROR, problem);
    if (notSendable(req.topic)) throw new RemotingError(ResponseCode.NO_PERMISSION, `Sending message to topic[${req.topic}] is forbidden.`);
    if ((config.brokerPermission & Perm.WRITE) === 0) throw new RemotingError(ResponseCode.NO_PERMISSION, `the broker[${config.brokerName}] sending message is forbidden`);
    const topic = replica.topics.get(req.topic);
    if (!topic) {
      if (afterCreate) throw new RemotingError(ResponseCode.TOPIC_NOT_EXIST, `topic[${req.topic}] not exist, apply first please!`);
      this.d.forward(conn, cmd, (reply) => {
        if (reply) conn.send(reply);
        else if (!this.process(conn, cmd, true)) this.enqueue(conn, cmd);
      });
      return true;
    }
    if ((topic.config.perm & Perm.WRITE) === 0) throw new RemotingError(ResponseCode.NO_PERMISSION, `the topic[${req.topic}] sending message is forbidden`);
    const writeQueues = topic.config.writeQueueNums;
    let queueId = req.queueId;
    if (queueId < 0) queueId = Math.floor(Math.random() * Math.max(1, writeQueues));
    if (queueId >= Math.max(writeQueues, topic.config.readQueueNums) || queueId >= topic.slots.length) {
      throw new RemotingError(ResponseCode.SYSTEM_ERROR, `request queueId[${queueId}] is illegal, topic:${req.topic} writeQueueNums:${writeQueues} Producer:${conn.remoteAddr}`);
    }
    const slot = topic.slots[queueId];
    const batch = cmd.code === RequestCode.SEND_BATCH_MESSAGE || req.batch;
    if (isPrepared(req.sysFlag) && !batch) {
      // A transaction's half message (transaction-half.ts): stored in the half topic, answered as sent.
      const half = halfSend(req, queueId, this.routing);
      return this.storeOne(conn, cmd, half.req, body, queueId, half.slot, HALF_QUEUE_ID);
    }
    if (needsRouting(req)) {
      const route = routeSend(req, cmd.version, queueId, batch, this.routing, afterCreate);
      if (route) return this.storeRouted(conn, cmd, req, body, queueId, route);
    }
    return batch ? this.storeBatch(conn, cmd, req, body, queueId, slot) : this.storeOne(conn, cmd, req, body, queueId, slot);
  }

  /**
   * A retry send moved to its DLQ and/or a delayed message parked in SCHEDULE_TOPIC_XXXX. The
   * response still names the queue the producer asked for (as Java's queueIdInt does).
   */
  private storeRouted(conn: Connection, cmd: RemotingCommand, req: SendRequest, body: Buffer, queueId: number, route: SendRoute): boolean {
    if (route.kind === 'create') {
      const ask = newRequest(RequestCode.SEND_MESSAGE, { producerGroup: req.producerGroup, topic: route.topic, defaultTopic: req.defaultTopic, defaultTopicQueueNums: '1', queueId: '0', sysFlag: '0', bornTimestamp: '0', flag: '0' });
      this.d.forward(conn, ask, (reply) => {
        if (reply) this.reply(conn, cmd, reply.code, reply.remark ?? `topic[${route.topic}] not exist`);
        else if (!this.process(conn, cmd, true)) this.enqueue(conn, cmd);
      });
      return true;
    }
    return this.storeOne(conn, cmd, { ...req, topic: route.topic, properties: route.properties }, body, queueId, route.slot, route.queueId);
  }

  /**
   * Stores one complete record (built by an internal producer: the consumer send-back) through the
   * ring; `done` receives the store writer's status. False when the ring is full right now.
   */
  storeRecord(conn: Connection, cmd: RemotingCommand, record: Uint8Array, slot: number, done: StoredCallback): boolean {
    const off = this.reserve(ENTRY_HEADER_SIZE + record.length);
    if (off < 0) return false;
    const reqId = this.track({ conn, cmd, queueId: 0, sizes: null, done });
    this.d.ring.u8.set(record, off + ENTRY_HEADER_SIZE);
    this.commitEntry(off, reqId, slot, 1);
    return true;
  }

  /** The client's properties plus the broker's CLUSTER, in one allocation. */
  private propertiesOf(text: string): Buffer {
    const textLen = text.length === 0 ? 0 : Buffer.byteLength(text) + 1;
    const len = textLen + this.clusterProps.length;
    if (len > MAX_PROPERTIES_LENGTH) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, `the message properties size over max value, MAX: ${MAX_PROPERTIES_LENGTH}`);
    const out = Buffer.allocUnsafe(len);
    if (textLen > 0) {
      out.write(text, 0, 'utf8');
      out[textLen - 1] = 2;
    }
    this.clusterProps.copy(out, textLen);
    return out;
  }

  /** UTF-8 bytes of a topic name, kept per topic: every send needs them. */
  private topicBytes(topic: string): Buffer {
    let b = this.topicCache.get(topic);
    if (!b) {
      if (this.topicCache.size > 10_000) this.topicCache.clear();
      b = Buffer.from(topic);
      this.topicCache.set(topic, b);
    }
    return b;
  }

  /** The per-send header fields, from a decoded request or one read in place (readSendV2). */
  private prepareFields(conn: Connection, req: Pick<SendRequest, 'sysFlag' | 'bornTimestamp' | 'reconsumeTimes'>, queueId: number, topicBytes: Buffer): RecordFields {
    const f = this.fields;
    f.queueId = queueId;
    f.sysFlag = (req.sysFlag & ~(BORNHOST_V6 | STOREHOST_V6)) | (conn.remoteIp.length === 16 ? BORNHOST_V6 : 0) | (this.d.storeIp.length === 16 ? STOREHOST_V6 : 0);
    f.bornTimestamp = req.bornTimestamp;
    f.bornHost = conn.remoteIp;
    f.bornPort = conn.remotePort;
    f.reconsumeTimes = req.reconsumeTimes;
    f.topic = topicBytes;
    return f;
  }

  private storeOne(conn: Connection, cmd: RemotingCommand, req: SendRequest, body: Buffer, queueId: number, slot: number, recordQueueId = queueId): boolean {
    const topicBytes = this.topicBytes(req.topic);
    const props = this.propertiesOf(req.properties);
    const f = this.prepareFields(conn, req, recordQueueId, topicBytes);
    const len = recordLength(f.sysFlag, body.length, topicBytes.length, props.length);
    const off = this.reserve(ENTRY_HEADER_SIZE + len);
    if (off < 0) return false;
    const u8 = this.d.ring.u8;
    const reqId = this.track({ conn, cmd, queueId, sizes: null });
    f.flag = req.flag;
    f.body = body;
    f.bodyCrc = undefined;
    f.properties = props;
    try {
      encodeRecord(u8, off + ENTRY_HEADER_SIZE, f);
    } catch (e) {
      this.voidEntry(off, reqId);
      throw e;
    }
    this.commitEntry(off, reqId, slot, 1);
    return true;
  }

  private storeBatch(conn: Connection, cmd: RemotingCommand, req: SendRequest, body: Buffer, queueId: number, slot: number): boolean {
    if (req.topic.length > MAX_TOPIC_LENGTH) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, 'message topic length too long');
    if ((req.sysFlag & 0xc) !== 0) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, 'batch request does not support transaction message');
    let elements;
    try {
      elements = decodeBatch(body);
    } catch (e) {
      throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, `the batch body is malformed: ${(e as Error).message}`);
    }
    if (elements.length === 0) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, 'the batch is empty');
    const topicBytes = this.topicBytes(req.topic);
    // Apache RocketMQ 4.9 appends the batch's properties to every element's, and so does Ferry.
    // RocketMQ 5 producers give the batch a UNIQ_KEY of its own as well, and each element has one;
    // appended, the batch's would win on reading and no element would carry the id its producer
    // reported. RocketMQ 5 brokers keep each element's own, so Ferry never appends the batch's.
    const batchProps = this.propertiesOf(withoutPropertyText(req.properties, PropertyKey.UNIQ_KEY));
    const f = this.prepareFields(conn, req, queueId, topicBytes);
    const propsList: Buffer[] = [];
    const sizes: number[] = [];
    let total = 0;
    for (const el of elements) {
      const own = body.subarray(el.propsStart, el.propsEnd);
      const sep = own.length > 0 && own[own.length - 1] !== 2 ? Buffer.from([2]) : EMPTY;
      const props = Buffer.concat([own, sep, batchProps]);
      if (props.length > MAX_PROPERTIES_LENGTH) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, `the message properties size over max value, MAX: ${MAX_PROPERTIES_LENGTH}`);
      propsList.push(props);
      const size = recordLength(f.sysFlag, el.bodyEnd - el.bodyStart, topicBytes.length, props.length);
      sizes.push(size);
      total += size;
    }
    const off = this.reserve(ENTRY_HEADER_SIZE + total);
    if (off < 0) return false;
    const reqId = this.track({ conn, cmd, queueId, sizes });
    let p = off + ENTRY_HEADER_SIZE;
    try {
      for (let i = 0; i < elements.length; i++) {
        const el = elements[i];
        f.flag = el.flag;
        f.body = body.subarray(el.bodyStart, el.bodyEnd);
        f.bodyCrc = undefined;
        f.properties = propsList[i];
        p += encodeRecord(this.d.ring.u8, p, f);
      }
    } catch (e) {
      this.voidEntry(off, reqId);
      throw e;
    }
    this.commitEntry(off, reqId, slot, elements.length);
    return true;
  }

  private reserve(len: number): number {
    if (len > this.d.ring.maxPayload) throw new RemotingError(ResponseCode.MESSAGE_ILLEGAL, `the message of ${len} bytes is larger than the broker's ring`);
    return this.d.ring.reserve(len);
  }

  /** Publishes a reserved entry; slot -1 marks a void entry (encoding failed) that the store writer refuses. */
  private commitEntry(off: number, reqId: number, slot: number, count: number): void {
    const u8 = this.d.ring.u8;
    writeInt(u8, off, reqId);
    writeInt(u8, off + 4, this.d.workerId);
    writeInt(u8, off + 8, slot);
    writeInt(u8, off + 12, count);
    this.d.ring.commit(off, false);
    if (!this.wakeScheduled) {
      this.wakeScheduled = true;
      setImmediate(this.wake);
    }
  }

  /** Encoding failed after the reservation: publish the entry as void so the ring never stalls. */
  private voidEntry(off: number, reqId: number): void {
    this.pending[reqId - this.idBase] = undefined;
    this.free.push(reqId - this.idBase);
    this.commitEntry(off, -1, -1, 0);
  }

  private track(p: Pending): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.pending.length;
    this.pending[id] = p;
    return this.idBase + id;
  }

  /** Completions from the store writer: [reqId, status, queueOffset, physicalOffset]... */
  complete(c: Float64Array): void {
    const { storeIp, storePort } = this.d;
    for (let w = 0; w < c.length; w += COMPLETION_WORDS) {
      const id = c[w] - this.idBase;
      const p = id >= 0 && id < ID_SPACE ? this.pending[id] : undefined;
      if (!p) continue;
      this.pending[id] = undefined;
      this.free.push(id);
      if (p.done) {
        p.done(c[w + 1], c[w + 2], c[w + 3]);
        continue;
      }
      if (p.conn.closed || isOneway(p.cmd)) continue;
      const status = c[w + 1];
      if (status === PutStatus.OK || status === PutStatus.FLUSH_DISK_TIMEOUT) {
        const phy = c[w + 3];
        let msgId: string | number = phy;
        if (p.sizes) {
          const ids: string[] = [];
          let at = phy;
          for (const s of p.sizes) {
            ids.push(createOffsetMsgId(storeIp, storePort, at));
            at += s;
          }
          msgId = ids.join(',');
        }
        const type = p.cmd.serializeType;
        const code = status === PutStatus.OK ? ResponseCode.SUCCESS : ResponseCode.FLUSH_DISK_TIMEOUT;
        const idLen = typeof msgId === 'number' ? this.responses.idLength : msgId.length;
        const at = p.conn.reserveResponse(this.responses.frameLength(type, code, p.cmd.opaque, idLen, p.queueId, c[w + 2]));
        this.responses.write(p.conn.output, at, type, code, p.cmd.opaque, msgId, p.queueId, c[w + 2]);
      } else if (status === PutStatus.SERVICE_NOT_AVAILABLE) {
        this.reply(p.conn, p.cmd, ResponseCode.SERVICE_NOT_AVAILABLE, notWritableRemark(this.d.notWritable() || NotWritable.WRITE_FAILED));
      } else {
        this.reply(p.conn, p.cmd, ResponseCode.MESSAGE_ILLEGAL, 'the message is illegal, maybe msg body or properties length not matched');
      }
    }
    if (this.waiting.length > 0) this.retryWaiting();
  }

  private reply(conn: Connection, cmd: RemotingCommand, code: number, remark: string): void {
    if (!isOneway(cmd)) conn.send(responseFor(cmd, code, remark));
  }

  /** Ring full: hold sends in arrival order, stop reading sockets, answer SYSTEM_BUSY past the wait limit. */
  private retryWaiting(): void {
    const now = Date.now();
    const limit = this.d.config.waitTimeMillsInSendQueue;
    while (this.waiting.length > 0) {
      const w = this.waiting[0];
      if (w.conn.closed) {
        this.waiting.shift();
        continue;
      }
      if (now - w.since > limit) {
        this.waiting.shift();
        this.reply(w.conn, w.cmd, ResponseCode.SYSTEM_BUSY, `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${now - w.since}ms, size of queue: ${this.waiting.length}`);
        continue;
      }
      if (!this.process(w.conn, w.cmd, false)) break;
      this.waiting.shift();
    }
    this.onBackpressure(this.waiting.length > 0);
    if (this.waiting.length > 0 && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.retryWaiting();
      }, 1);
    }
  }

  /** Called when `process` could not reserve ring space for a new request. */
  enqueue(conn: Connection, cmd: RemotingCommand): void {
    this.waiting.push({ conn, cmd, since: Date.now() });
    this.retryWaiting();
  }
}

function sameBytes(buf: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (buf[start + i] !== other[i]) return false;
  return true;
}
