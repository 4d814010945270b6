import { ResponseCode } from '../../shared/codes.js';
import { isOneway, responseFor, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingError } from '../../shared/remoting/errors.js';
import { SharedState, StoreWord } from '../../shared/shared-state.js';
import { PutStatus } from '../../shared/send-entry.js';
import { checkRecord, decodeRecord, COMMIT, ROLLBACK, type DecodedMessage } from '../../shared/storage/message.js';
import { SCHEDULE_TOPIC } from '../../shared/delay.js';
import { checkHalfMessage, finalMessage, opRecord, parseEndTransactionHeader, TRANS_OP_HALF_TOPIC, type EndTransactionHeader } from '../../shared/transaction.js';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import type { Logger } from '../../main/logger.js';
import type { StoreReader } from '../storage/store-reader.js';
import type { Connection } from './connection.js';
import type { Replica } from './replica.js';
import type { SendPath } from './send-path.js';

/** Status passed to a store callback when the ring stayed full. */
const RING_FULL = -1;
/** How long an op message may wait for ring space. */
const OP_PATIENCE_MS = 10_000;

export interface EndTransactionDeps {
  sends: SendPath;
  replica: Replica;
  reader: StoreReader;
  state: SharedState;
  config: BrokerConfig;
  /** Number of configured delay levels (a committed message that still has a DELAY is parked). */
  maxDelayLevel: number;
  storeIp: Buffer;
  storePort: number;
  log: Logger;
}

/**
 * END_TRANSACTION (37), RocketMQ 4.9's EndTransactionProcessor. Commit: the half message at
 * commitLogOffset is checked against the header and stored again as the final message in its real
 * queue (transaction type COMMIT); rollback stores nothing of it. Either way an op message in
 * RMQ_SYS_TRANS_OP_HALF_TOPIC then marks the half message settled, so the check service passes
 * it. The op is written only once the final message is stored: a failed commit leaves the half
 * message to be checked again rather than lost. Both go through the ring like any send; a caller
 * that wants a response (Java sends oneway) gets it after the op. Unknown (0) does nothing and is
 * never answered, as in RocketMQ.
 */
export class EndTransaction {
  constructor(private readonly d: EndTransactionDeps) {}

  handle(conn: Connection, cmd: RemotingCommand): void {
    try {
      this.process(conn, cmd);
    } catch (e) {
      if (e instanceof RemotingError) this.reply(conn, cmd, e.code, e.message);
      else {
        this.d.log.error({ err: e }, 'end transaction failed');
        this.reply(conn, cmd, ResponseCode.SYSTEM_ERROR, String((e as Error).message));
      }
    }
  }

  private process(conn: Connection, cmd: RemotingCommand): void {
    const h = parseEndTransactionHeader(cmd.extFields);
    if (h.commitOrRollback !== COMMIT && h.commitOrRollback !== ROLLBACK) {
      this.d.log.warn({ producer: conn.remoteAddr, producerGroup: h.producerGroup, msgId: h.msgId, fromTransactionCheck: h.fromTransactionCheck, remark: cmd.remark }, 'end transaction with an unknown state: the half message stays pending');
      return;
    }
    if (h.fromTransactionCheck) {
      this.d.log.debug({ producer: conn.remoteAddr, producerGroup: h.producerGroup, msgId: h.msgId, commit: h.commitOrRollback === COMMIT }, 'transaction check answered');
    }
    const half = this.lookMessage(h.commitLogOffset);
    const wrong = checkHalfMessage(half, h);
    if (wrong) throw new RemotingError(ResponseCode.SYSTEM_ERROR, wrong);
    if (h.commitOrRollback === ROLLBACK) {
      this.writeOp(conn, cmd, half!, h, ResponseCode.SUCCESS, null);
      return;
    }
    const final = finalMessage(half!, this.d.maxDelayLevel);
    const slot = this.d.replica.topics.get(final.topic)?.slots[final.queueId];
    if (slot === undefined) {
      const what = final.topic === SCHEDULE_TOPIC ? `the delay queue ${final.queueId} of ${SCHEDULE_TOPIC}` : `queue ${final.queueId} of topic[${final.topic}]`;
      throw new RemotingError(ResponseCode.SYSTEM_ERROR, `${what} does not exist: the transaction cannot be committed`);
    }
    this.store(conn, cmd, final.record, slot, Date.now(), this.d.config.waitTimeMillsInSendQueue, (status) => {
      if (status === PutStatus.OK || status === PutStatus.FLUSH_DISK_TIMEOUT) {
        this.writeOp(conn, cmd, half!, h, ResponseCode.SUCCESS, null);
        return;
      }
      this.d.log.error({ status, topic: final.topic, queueId: final.queueId, msgId: h.msgId }, 'committed transaction message not stored; the half message stays pending');
      if (status === RING_FULL) this.reply(conn, cmd, ResponseCode.SYSTEM_BUSY, `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${this.d.config.waitTimeMillsInSendQueue}ms`);
      else if (status === PutStatus.SERVICE_NOT_AVAILABLE) this.reply(conn, cmd, ResponseCode.SERVICE_NOT_AVAILABLE, 'Service not available now.');
      else if (status === PutStatus.MESSAGE_ILLEGAL) this.reply(conn, cmd, ResponseCode.MESSAGE_ILLEGAL, `The message is illegal, maybe msg body or properties length not matched. msg body length limit ${this.d.config.maxMessageSize}B, msg properties length limit 32KB.`);
      else this.reply(conn, cmd, ResponseCode.SYSTEM_ERROR, 'UNKNOWN_ERROR');
    });
  }

  /** The op message that settles `half`; then the answer (code of the commit, or of the op for a rollback). */
  private writeOp(conn: Connection, cmd: RemotingCommand, half: DecodedMessage, h: EndTransactionHeader, code: number, remark: string | null): void {
    const slot = this.d.replica.topics.get(TRANS_OP_HALF_TOPIC)?.slots[half.queueId];
    if (slot === undefined) {
      this.d.log.error({ queueId: half.queueId }, `${TRANS_OP_HALF_TOPIC} has no queue for the half queue: the half message will be checked again`);
      this.reply(conn, cmd, h.commitOrRollback === COMMIT ? code : ResponseCode.SYSTEM_ERROR, remark);
      return;
    }
    const record = opRecord(half.queueOffset, half.queueId, Date.now(), this.d.storeIp, this.d.storePort);
    this.store(conn, cmd, record, slot, Date.now(), OP_PATIENCE_MS, (status) => {
      const stored = status === PutStatus.OK || status === PutStatus.FLUSH_DISK_TIMEOUT;
      if (!stored) this.d.log.error({ status, halfQueueOffset: half.queueOffset, msgId: h.msgId }, 'transaction op message not stored: the half message will be checked again');
      // RocketMQ answers a commit with the final message's result whatever the op's.
      if (stored || h.commitOrRollback === COMMIT) this.reply(conn, cmd, code, remark);
      else this.reply(conn, cmd, ResponseCode.SYSTEM_ERROR, 'the rollback could not be recorded');
    });
  }

  /** The stored record at a commit-log offset, or null when no whole valid record starts there. */
  private lookMessage(offset: number): DecodedMessage | null {
    const { state, reader } = this.d;
    if (offset < state.store[StoreWord.COMMIT_MIN] || offset >= state.store[StoreWord.COMMIT_END]) return null;
    const record = reader.readRecord(offset);
    if (!record || offset + record.length > state.store[StoreWord.COMMIT_END]) return null;
    if (checkRecord(record, 0, record.length, false) !== record.length) return null;
    return decodeRecord(record, 0);
  }

  /**
   * Through the ring; a full ring is retried for up to `patienceMs`, then `done(RING_FULL)`. The
   * final message waits as long as a send would (waitTimeMillsInSendQueue); the op of a stored
   * commit waits longer, since without it the producer is asked again and may commit twice.
   */
  private store(conn: Connection, cmd: RemotingCommand, record: Buffer, slot: number, since: number, patienceMs: number, done: (status: number) => void): void {
    if (this.d.sends.storeRecord(conn, cmd, record, slot, (status) => done(status))) return;
    if (Date.now() - since > patienceMs) {
      done(RING_FULL);
      return;
    }
    setTimeout(() => this.store(conn, cmd, record, slot, since, patienceMs, done), 1);
  }

  private reply(conn: Connection, cmd: RemotingCommand, code: number, remark: string | null): void {
    if (!isOneway(cmd) && !conn.closed) conn.send(responseFor(cmd, code, remark));
  }
}
