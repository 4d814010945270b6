// The consumer side that runs inside one worker thread (or inline): heartbeats its group, then
// long-polls each of its queues, counting what arrives, until stopped (or drained).

import { PullSysFlag, RequestCode, ResponseCode, SerializeType } from '../../shared/codes.js';
import { newRequest, type RemotingCommand } from '../../shared/remoting/command.js';
import { RemotingClient } from '../net/remoting-client.js';
import { C, counterSlices, CTRL_STOP } from './counters.js';
import { consumerHeartbeat } from './heartbeat-data.js';
import { RecordScanner } from './record-scan.js';

export interface ConsumeWorkerInput {
  index: number;
  /** the queues of this worker, per broker */
  targets: { addr: string; queueIds: number[] }[];
  topic: string;
  group: string;
  clientID: string;
  fromStart: boolean;
  /** stop each queue at its first empty long poll */
  drain: boolean;
  pullBatch: number;
  suspendMs: number;
  recordKeys: boolean;
  counters: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export interface ConsumeWorkerResult {
  keys: string[] | null;
  errors: string[];
  /** "broker queueId offset" of every queue at the end */
  offsets: string[];
}

const HEARTBEAT_MS = 20_000;
const RETRY_MS = 1000;
const STOP_POLL_MS = 50;
const PULL_SYS_FLAG = PullSysFlag.COMMIT_OFFSET | PullSysFlag.SUSPEND | PullSysFlag.SUBSCRIPTION;

interface QueueState {
  client: RemotingClient;
  addr: string;
  queueId: number;
  offset: number;
}

function request(code: number, ext: Record<string, string>, body: Buffer | null = null): RemotingCommand {
  const r = newRequest(code, ext, body);
  r.serializeType = SerializeType.ROCKETMQ; // as RocketMQ's benchmark tools force it
  return r;
}

export async function runConsumeWorker(input: ConsumeWorkerInput): Promise<ConsumeWorkerResult> {
  const counters = counterSlices(input.counters, input.index);
  const control = new Int32Array(input.control);
  const keys = input.recordKeys ? [] as string[] : null;
  const scanner = new RecordScanner(counters, keys);
  const errors = new Set<string>();
  const subVersion = Date.now();
  const clients = new Map<string, RemotingClient>();
  let stopping = false;
  const stopped = () => stopping || control[CTRL_STOP] !== 0;

  const heartbeat = async (c: RemotingClient) => {
    const res = await c.invoke(request(RequestCode.HEART_BEAT, {}, consumerHeartbeat(input.clientID, input.group, input.topic, subVersion)));
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`HEART_BEAT to ${c.addr} answered ${res.code}: ${res.remark ?? ''}`);
  };
  const offsetOf = async (q: QueueState) => {
    const code = input.fromStart ? RequestCode.GET_MIN_OFFSET : RequestCode.GET_MAX_OFFSET;
    const res = await q.client.invoke(request(code, { topic: input.topic, queueId: String(q.queueId) }));
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`offset query to ${q.addr} for queue ${q.queueId} answered ${res.code}: ${res.remark ?? ''}`);
    return Number(res.extFields?.offset ?? 0);
  };

  const queues: QueueState[] = [];
  try {
    for (const t of input.targets) {
      const client = await RemotingClient.connect(t.addr);
      clients.set(t.addr, client);
      await heartbeat(client);
      for (const queueId of t.queueIds) queues.push({ client, addr: t.addr, queueId, offset: 0 });
    }
    for (const q of queues) q.offset = await offsetOf(q);
  } catch (e) {
    for (const c of clients.values()) c.close();
    throw e;
  }

  const beat = setInterval(() => {
    for (const c of clients.values()) heartbeat(c).catch((e: Error) => errors.add(e.message));
  }, HEARTBEAT_MS);
  let wakeStop: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => (wakeStop = resolve));
  const stopPoll = setInterval(() => {
    if (control[CTRL_STOP] !== 0) wakeStop();
  }, STOP_POLL_MS);
  const pause = (ms: number) => Promise.race([new Promise((r) => setTimeout(r, ms)), stopSignal]);

  const pullLoop = async (q: QueueState): Promise<void> => {
    while (!stopped()) {
      let res: RemotingCommand;
      try {
        res = await q.client.invoke(
          request(RequestCode.PULL_MESSAGE, {
            consumerGroup: input.group, topic: input.topic, queueId: String(q.queueId), queueOffset: String(q.offset),
            maxMsgNums: String(input.pullBatch), sysFlag: String(PULL_SYS_FLAG), commitOffset: String(q.offset),
            suspendTimeoutMillis: String(input.suspendMs), subscription: '*', subVersion: String(subVersion), expressionType: 'TAG',
          }),
          input.suspendMs + 15_000,
        );
      } catch (e) {
        if (stopped()) return;
        counters[C.FAILED_PULLS]++;
        errors.add((e as Error).message);
        await pause(RETRY_MS);
        continue;
      }
      if (stopped()) return; // not counted, not committed: a later run gets these again
      const next = Number(res.extFields?.nextBeginOffset);
      switch (res.code) {
        case ResponseCode.SUCCESS:
          if (res.body) scanner.scan(res.body, Date.now());
          q.offset = next;
          break;
        case ResponseCode.PULL_NOT_FOUND:
          if (Number.isFinite(next)) q.offset = next;
          if (input.drain) return;
          break;
        case ResponseCode.PULL_RETRY_IMMEDIATELY:
        case ResponseCode.PULL_OFFSET_MOVED:
          if (Number.isFinite(next)) q.offset = next;
          break;
        default:
          counters[C.FAILED_PULLS]++;
          errors.add(`pull of queue ${q.queueId} from ${q.addr} answered ${res.code}: ${res.remark ?? ''}`);
          await pause(RETRY_MS);
      }
    }
  };

  const loops = Promise.all(queues.map(pullLoop));
  await Promise.race([loops, stopSignal]);
  stopping = true;
  clearInterval(stopPoll);
  clearInterval(beat);
  // persist where every queue got to, then leave the group
  await Promise.all(queues.map((q) =>
    q.client.invoke(request(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: input.group, topic: input.topic, queueId: String(q.queueId), commitOffset: String(q.offset) }))
      .then((r) => (r.code === ResponseCode.SUCCESS ? undefined : errors.add(`offset commit of queue ${q.queueId} answered ${r.code}: ${r.remark ?? ''}`)))
      .catch((e: Error) => errors.add(e.message)),
  ));
  await Promise.all([...clients.values()].map((c) =>
    c.invoke(request(RequestCode.UNREGISTER_CLIENT, { clientID: input.clientID, consumerGroup: input.group })).catch(() => undefined),
  ));
  for (const c of clients.values()) c.close();
  await loops.catch(() => undefined);
  return { keys, errors: [...errors], offsets: queues.map((q) => `${q.addr} ${q.queueId} ${q.offset}`) };
}
