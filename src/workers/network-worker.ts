/**
 * A network worker thread: owns its client connections end to end. Sends go into the ring for
 * the store writer, pulls and offset queries are served from the store directly, and every
 * other request is forwarded to the acceptor's control plane.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type net from 'node:net';
import { RequestCode, ResponseCode, RpcFlag } from '../shared/codes.js';
import { readSendV2, readSendV2Json, SendV2View } from '../shared/remoting/send-v2-view.js';
import { decodeCommand, isOneway, isResponse, responseFor, type RemotingCommand } from '../shared/remoting/command.js';
import { FrameError, RemotingError } from '../shared/remoting/errors.js';
import { Ring } from '../shared/ring.js';
import { completionWord, Seq, SharedState } from '../shared/shared-state.js';
import { CompletionRing, type CompletionChannel } from '../shared/completion-ring.js';
import { sleepThread } from './sleep-thread.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import type { FromWorker, ToWorker, WireCommand } from '../shared/worker-protocol.js';
import { parseIp } from '../shared/storage/ip.js';
import { createLogger } from '../main/logger.js';
import { StoreReader } from './storage/store-reader.js';
import { IndexReader, indexDir } from './storage/index-reader.js';
import { answerQueryMessage } from './network/query-message.js';
import { Connection } from './network/connection.js';
import { Replica } from './network/replica.js';
import { SendPath } from './network/send-path.js';
import { SendBack } from './network/send-back.js';
import { EndTransaction } from './network/end-transaction.js';
import { parseDelayLevels } from '../shared/delay.js';
import { PullPath } from './network/pull-path.js';
import { readPullRequest } from '../shared/remoting/pull-request.js';
import { answerQuery, LOCAL_QUERY_CODES } from './network/offset-queries.js';
import { receiveSockets } from './network/socket-handoff.js';

export interface NetworkWorkerData {
  workerId: number;
  /** How many times this worker id has been started before (restarts after a crash). */
  generation: number;
  config: BrokerConfig;
  ringSab: SharedArrayBuffer;
  stateSab: SharedArrayBuffer;
  rootDir: string;
  commitLogDir: string;
  storeIp: string;
  storePort: number;
  handoffPath: string;
  completions: CompletionChannel;
}

/** Ferry's own request code, honoured only with enableDebugCodes=true: the worker exits (crash drills). */
export const DEBUG_EXIT_WORKER = 9901;

const data = workerData as NetworkWorkerData;
const { config, workerId } = data;
const log = createLogger(`network-${workerId}`, config.logLevel);
/**
 * Pulls carry the consumer's offset (COMMIT_OFFSET), and with many queues (RocketMQ's BenchmarkTest
 * has 1024) nearly every pull does, each in an event-loop turn of its own: they reach the main
 * thread at most COMMIT_BATCH_MS later, in one message, not one message per pull (RocketMQ itself
 * persists offsets every 5 s). Any other message to the main thread takes them along first, so an
 * offset query or update that follows a pull on this worker still sees its commit.
 */
const COMMIT_BATCH_MS = 10;
/** group -> topic -> queueId, offset, queueId, offset... */
const commits = new Map<string, Map<string, number[]>>();
let commitTimer: NodeJS.Timeout | null = null;
const flushCommits = () => {
  if (commitTimer) clearTimeout(commitTimer);
  commitTimer = null;
  if (commits.size === 0) return;
  const m: FromWorker = { kind: 'commitOffsets', groups: [], topics: [], pairs: [] };
  for (const [group, byTopic] of commits) {
    for (const [topic, pairs] of byTopic) {
      m.groups.push(group);
      m.topics.push(topic);
      m.pairs.push(Float64Array.from(pairs));
    }
  }
  commits.clear();
  parentPort!.postMessage(m, m.pairs.map((p) => p.buffer as ArrayBuffer));
};
const post = (m: FromWorker) => {
  flushCommits();
  parentPort!.postMessage(m);
};
const commitOffset = (group: string, topic: string, queueId: number, offset: number) => {
  let byTopic = commits.get(group);
  if (!byTopic) commits.set(group, (byTopic = new Map()));
  let pairs = byTopic.get(topic);
  if (!pairs) byTopic.set(topic, (pairs = []));
  pairs.push(queueId, offset);
  commitTimer ??= setTimeout(flushCommits, COMMIT_BATCH_MS);
};
const state = new SharedState(data.stateSab);
const reader = new StoreReader(data.rootDir, data.commitLogDir, config.mapedFileSizeCommitLog, config.mapedFileSizeConsumeQueue, state);
const index = new IndexReader(indexDir(data.rootDir), config.maxHashSlotNum, config.maxIndexNum, state);
const replica = new Replica();
reader.slotOf = (topic, queueId) => replica.topics.get(topic)?.slots[queueId] ?? -1;
const connections = new Map<number, Connection>();
let nextConnId = 1;
let nextReqId = 1;
let paused = false;
let stopping = false;
const awaitingControl = new Map<number, (cmd: RemotingCommand | null) => void>();
/** Server-initiated invokes awaiting a client's response, by connection and opaque. */
const clientInvokes = new Map<string, { invokeId: number; timer: NodeJS.Timeout }>();

const toWire = (c: RemotingCommand): WireCommand => ({ ...c, body: c.body ? new Uint8Array(c.body) : null });
const fromWire = (w: WireCommand): RemotingCommand => ({ ...w, body: w.body ? Buffer.from(w.body.buffer, w.body.byteOffset, w.body.byteLength) : null });

function forward(conn: Connection, cmd: RemotingCommand, onReply: (reply: RemotingCommand | null) => void): void {
  const reqId = nextReqId++;
  awaitingControl.set(reqId, onReply);
  post({ kind: 'request', reqId, channel: { workerId, connId: conn.id, remoteAddr: conn.remoteAddr }, cmd: toWire(cmd) });
}

/** Reused for every send read in place (the common case, see readSendV2). */
const sendView = new SendV2View();
const sends = new SendPath({
  workerId,
  ring: new Ring(data.ringSab),
  replica,
  config,
  storeIp: parseIp(data.storeIp),
  storePort: data.storePort,
  log,
  forward,
  generation: data.generation,
  notWritable: () => Atomics.load(state.seq, Seq.NOT_WRITABLE),
});
sends.onBackpressure = (on) => {
  if (on === paused) return;
  paused = on;
  for (const c of connections.values()) {
    c.ringPaused = on;
    c.updateReading();
  }
  if (on) log.warn({ inFlight: sends.inFlight }, 'ring full: reading paused');
};

const sendBack = new SendBack({ sends, replica, reader, state, config, maxDelayLevel: parseDelayLevels(config.messageDelayLevel).length, log, forward });
const endTransaction = new EndTransaction({ sends, replica, reader, state, config, maxDelayLevel: parseDelayLevels(config.messageDelayLevel).length, storeIp: parseIp(data.storeIp), storePort: data.storePort, log });

const pulls = new PullPath({
  config,
  replica,
  state,
  reader,
  commitOffset,
});

const completions = new CompletionRing(data.completions.ring);
const complete = (c: Float64Array) => sends.complete(c);
/**
 * Takes whatever completions are there. While sends remain in flight, asks the store writer to
 * wake this event loop (a port message) when more come; with none in flight, or while this
 * thread waits for them itself (below), the store writer sends nothing.
 */
function takeCompletions(): number {
  let n = completions.take(complete);
  while (sends.inFlight > 0 && completions.armWake()) n += completions.take(complete);
  return n;
}
data.completions.port.on('message', takeCompletions);
/**
 * After a turn's sends are in the ring and the store writer is woken, wait a moment for their
 * completions and answer them in the same turn: the store writer answers an append within tens of
 * microseconds, far sooner than a wake-up would get this event loop to them. Measured with
 * RocketMQ's Producer in bench/compare.mjs: about a quarter more send TPS and a quarter less
 * broker CPU per message. Not under SYNC_FLUSH, where completions wait for an fdatasync. What has
 * not arrived by then is taken when the store writer's wake-up comes.
 */
const COMPLETION_WAIT_MS = 0.3;
/**
 * After answering a turn of at least this many sends, this thread sleeps `sendLingerMicros`
 * before it reads again. A turn that large means clients keep many sends in flight, and while the
 * thread sleeps the next ones gather: each socket read, store-writer wake-up, CommitLog write and
 * response write then covers more messages, and those per-turn costs (system calls, thread
 * wake-ups) are most of the broker's CPU per message when turns are small. A worker whose clients
 * have fewer sends in flight between them never makes such turns, so their latency is untouched.
 * Measured with RocketMQ's Producer (64 threads) in bench/compare.mjs: see
 * bench/results/2026-11-23-send-linger.md, and 2026-11-24-linger-and-drain.md for why the default
 * is now shorter: once a turn cost less, a long sleep left the machine idle.
 */
const LINGER_MIN_SENDS = 8;
const lingerMs = config.sendLingerMicros / 1000;
const linger = () => sleepThread(lingerMs);
const completionSeq = completionWord(workerId);
if (completionSeq >= 0 && config.flushDiskType !== 'SYNC_FLUSH') {
  sends.afterWake = () => {
    if (sends.inFlight === 0) return;
    completions.disarmWake();
    const seq = Atomics.load(state.seq, completionSeq);
    if (completions.pending === 0) Atomics.wait(state.seq, completionSeq, seq, COMPLETION_WAIT_MS);
    const answered = takeCompletions();
    // Queued after the connections' response flushes (nextTicks run in order): the answers are
    // written before the pause.
    if (lingerMs > 0 && answered >= LINGER_MIN_SENDS) process.nextTick(linger);
  };
} else {
  sends.afterWake = () => void takeCompletions();
}

function onRequest(conn: Connection, cmd: RemotingCommand): void {
  switch (cmd.code) {
    case RequestCode.SEND_MESSAGE:
    case RequestCode.SEND_MESSAGE_V2:
    case RequestCode.SEND_BATCH_MESSAGE:
      if (stopping) return reply(conn, cmd, ResponseCode.SERVICE_NOT_AVAILABLE, 'the broker is shutting down');
      return sends.handle(conn, cmd);
    case RequestCode.CONSUMER_SEND_MSG_BACK:
      if (stopping) return reply(conn, cmd, ResponseCode.SERVICE_NOT_AVAILABLE, 'the broker is shutting down');
      return sendBack.handle(conn, cmd);
    case RequestCode.END_TRANSACTION:
      if (stopping) return reply(conn, cmd, ResponseCode.SERVICE_NOT_AVAILABLE, 'the broker is shutting down');
      return endTransaction.handle(conn, cmd);
    case RequestCode.PULL_MESSAGE:
    case RequestCode.LITE_PULL_MESSAGE:
      return pulls.handleCommand(conn, cmd);
    case RequestCode.QUERY_MESSAGE:
      if (!isOneway(cmd)) conn.send(answerQueryMessage(cmd, index, reader));
      return;
    case RequestCode.HEART_BEAT:
      replica.mergeHeartbeat(cmd.body);
      break;
    default:
      if (cmd.code === DEBUG_EXIT_WORKER && config.enableDebugCodes) {
        log.warn({ conn: conn.remoteAddr }, 'debug request: this network worker exits now');
        process.exit(70);
      }
      if (LOCAL_QUERY_CODES.has(cmd.code)) {
        let res: RemotingCommand;
        try {
          res = answerQuery(cmd, replica, state, reader);
        } catch (e) {
          res = responseFor(cmd, e instanceof RemotingError ? e.code : ResponseCode.SYSTEM_ERROR, (e as Error).message);
        }
        if (!isOneway(cmd)) conn.send(res);
        return;
      }
  }
  forward(conn, cmd, (res) => {
    if (res && !isOneway(cmd)) conn.send(res);
  });
}

function reply(conn: Connection, cmd: RemotingCommand, code: number, remark: string): void {
  if (!isOneway(cmd)) conn.send(responseFor(cmd, code, remark));
}

function onResponse(conn: Connection, cmd: RemotingCommand): void {
  const key = `${conn.id}:${cmd.opaque}`;
  const inv = clientInvokes.get(key);
  if (!inv) return;
  clearTimeout(inv.timer);
  clientInvokes.delete(key);
  post({ kind: 'clientReply', invokeId: inv.invokeId, cmd: toWire(cmd) });
}

/**
 * Every socket of this worker reads into this one buffer (net.Socket's `onread`), instead of
 * through the stream layer with a new buffer per read: a few per cent less broker CPU per
 * message, most with few sends in flight (bench/results/2026-11-25-async-start.md). Frames are
 * views of it until the read callback returns: the fast send path encodes them at once, and every
 * other frame is copied before it is handled, since pulls, control requests and sends waiting for
 * ring space keep theirs. 64 KiB, the size of Node's own reads: every frame of a read is handled
 * before reading can pause, so a larger read lets a client that pipelines requests and never reads
 * its answers queue more of them past the write-backlog limit (test/integration/bad-input.test.ts).
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function adopt(makeSocket: (opts?: object) => net.Socket): void {
  let conn!: Connection;
  const onFrame = (frame: Buffer) => {
    if (!stopping && (readSendV2(frame, sendView) || readSendV2Json(frame, sendView)) && sends.tryFastSend(conn, frame, sendView)) {
      if ((sendView.flag & RpcFlag.ONEWAY) === 0) conn.requested(config.maxPendingRequestsPerConnection);
      return;
    }
    frame = Buffer.from(frame); // see READ_BUFFER
    const pull = readPullRequest(frame);
    if (pull !== null) {
      if ((pull.flag & RpcFlag.ONEWAY) === 0) conn.requested(config.maxPendingRequestsPerConnection);
      return pulls.handle(conn, pull);
    }
    const cmd = decodeCommand(frame);
    if (isResponse(cmd)) onResponse(conn, cmd);
    else {
      if (!isOneway(cmd)) conn.requested(config.maxPendingRequestsPerConnection);
      onRequest(conn, cmd);
    }
  };
  const socket = makeSocket({
    onread: {
      buffer: READ_BUFFER,
      callback: (n: number, buf: Buffer) => {
        try {
          conn.decoder.push(buf.subarray(0, n), onFrame);
        } catch (e) {
          const why = e instanceof FrameError ? e.message : String(e);
          log.warn({ conn: conn.remoteAddr, err: why }, 'malformed frame: closing the connection');
          socket.destroy();
        }
      },
    },
  });
  if (stopping) {
    socket.destroy();
    return;
  }
  conn = new Connection(nextConnId++, socket);
  connections.set(conn.id, conn);
  socket.setNoDelay(true);
  socket.on('error', (e) => log.debug({ conn: conn.remoteAddr, err: e.message }, 'connection error'));
  socket.on('close', () => {
    conn.closed = true;
    connections.delete(conn.id);
    post({ kind: 'closed', channel: { workerId, connId: conn.id, remoteAddr: conn.remoteAddr } });
  });
  conn.ringPaused = paused;
  conn.updateReading();
}

parentPort!.on('message', (m: ToWorker) => {
  switch (m.kind) {
    case 'reply': {
      const cb = awaitingControl.get(m.reqId);
      awaitingControl.delete(m.reqId);
      cb?.(m.cmd ? fromWire(m.cmd) : null);
      break;
    }
    case 'topics':
      for (const t of m.remove) replica.topics.delete(t);
      for (const u of m.upsert) replica.topics.set(u.config.topicName, { config: u.config, slots: u.queueSlots });
      for (const t of m.remove) reader.forgetTopic(t);
      break;
    case 'groups':
      for (const g of m.remove) replica.groups.delete(g);
      for (const g of m.upsert) replica.groups.set(g.groupName, g);
      break;
    case 'subscriptions':
      replica.setSubscriptions(m.group, m.subscriptions);
      break;
    case 'toClient': {
      const conn = connections.get(m.connId);
      if (!conn) {
        if (m.invokeId !== undefined) post({ kind: 'clientReply', invokeId: m.invokeId, cmd: null, error: 'connection closed' });
        break;
      }
      const cmd = fromWire(m.cmd);
      if (m.invokeId !== undefined) {
        const invokeId = m.invokeId;
        const key = `${conn.id}:${cmd.opaque}`;
        const timer = setTimeout(() => {
          clientInvokes.delete(key);
          post({ kind: 'clientReply', invokeId, cmd: null, error: 'timeout' });
        }, m.timeoutMs ?? 10_000);
        clientInvokes.set(key, { invokeId, timer });
      }
      conn.send(cmd);
      break;
    }
    case 'shutdown':
      void shutdown();
      break;
  }
});

/** Stop reading, answer held pulls, wait (bounded) for in-flight sends, close connections. */
async function shutdown(): Promise<void> {
  stopping = true;
  pulls.releaseAll();
  const deadline = Date.now() + 5000;
  while (sends.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  for (const c of connections.values()) c.end();
  await new Promise((r) => setTimeout(r, 20));
  for (const c of connections.values()) c.socket.destroy();
  reader.close();
  index.close();
  log.info({ inFlight: sends.inFlight }, 'network worker stopped');
  post({ kind: 'stats', workerId, connections: 0 });
  process.exit(0);
}

void receiveSockets(data.handoffPath, adopt).then(() => post({ kind: 'ready', workerId }));
