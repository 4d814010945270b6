import { RequestCode, ResponseCode, RpcFlag, SerializeType } from '../codes.js';
import { RemotingError } from './errors.js';
import { internedAt, type RemotingCommand } from './command.js';
import { decimal } from './send-v2-view.js';

/** The fields of a PULL_MESSAGE or LITE_PULL_MESSAGE request (PullMessageRequestHeader) that a pull uses. */
export interface PullRequest {
  code: number;
  serializeType: number;
  opaque: number;
  flag: number;
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  /** NaN when absent or not a number. */
  commitOffset: number;
  /** 0 when absent or not a number. */
  suspendTimeoutMillis: number;
  subscription: string | undefined;
  /** 0 when absent or not a number. */
  subVersion: number;
  expressionType: string | undefined;
}

/**
 * A pull request from a decoded command, with RocketMQ's checks of the required fields: a missing
 * or non-numeric one is a SYSTEM_ERROR naming it.
 */
export function pullRequestFromCommand(cmd: RemotingCommand): PullRequest {
  const h = cmd.extFields ?? {};
  return {
    code: cmd.code,
    serializeType: cmd.serializeType,
    opaque: cmd.opaque,
    flag: cmd.flag,
    consumerGroup: required(h, 'consumerGroup'),
    topic: required(h, 'topic'),
    queueId: int(h, 'queueId'),
    queueOffset: int(h, 'queueOffset'),
    maxMsgNums: int(h, 'maxMsgNums'),
    sysFlag: int(h, 'sysFlag'),
    commitOffset: h.commitOffset === undefined ? NaN : Number(h.commitOffset),
    suspendTimeoutMillis: Number(h.suspendTimeoutMillis) || 0,
    subscription: h.subscription,
    subVersion: Number(h.subVersion) || 0,
    expressionType: h.expressionType,
  };
}

function required(h: Record<string, string>, key: string): string {
  const v = h[key];
  if (v === undefined) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${key}> is null`);
  return v;
}

function int(h: Record<string, string>, key: string): number {
  const v = required(h, key);
  if (!/^-?\d{1,19}$/.test(v)) throw new RemotingError(ResponseCode.SYSTEM_ERROR, `the custom field <${key}> is not a whole number: ${v}`);
  return Number(v);
}

const KEYS = ['consumerGroup', 'topic', 'queueId', 'queueOffset', 'maxMsgNums', 'sysFlag', 'commitOffset', 'suspendTimeoutMillis', 'subscription', 'subVersion', 'expressionType'] as const;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'latin1'));
const GROUP = 0, TOPIC = 1, QUEUE_ID = 2, QUEUE_OFFSET = 3, MAX_MSG_NUMS = 4, SYS_FLAG = 5, COMMIT_OFFSET = 6, SUSPEND = 7, SUBSCRIPTION = 8, SUB_VERSION = 9, EXPRESSION_TYPE = 10;
const REQUIRED = (1 << GROUP) | (1 << TOPIC) | (1 << QUEUE_ID) | (1 << QUEUE_OFFSET) | (1 << MAX_MSG_NUMS) | (1 << SYS_FLAG);
/** Which of KEYS has each key length, to compare a key's bytes with as few names as possible. */
const BY_LENGTH: number[][] = [];
KEYS.forEach((k, i) => (BY_LENGTH[k.length] ??= []).push(i));

/**
 * Reads a PULL_MESSAGE or LITE_PULL_MESSAGE request with a ROCKETMQ binary header straight from
 * its frame (without the length prefix): no command object and no field map. Returns null for
 * anything but the plain case — another code or header type, a response, a required field missing,
 * a number that is not a plain decimal of at most 15 digits. Those take the generic decoder and
 * pullRequestFromCommand, which answer them by the same rules, so this only saves work.
 */
export function readPullRequest(frame: Buffer): PullRequest | null {
  const n = frame.length;
  if (n < 4 + 21 || frame[0] !== SerializeType.ROCKETMQ) return null;
  const headerEnd = 4 + ((frame[1] << 16) | (frame[2] << 8) | frame[3]);
  if (headerEnd > n) return null;
  const code = (frame[4] << 8) | frame[5];
  if (code !== RequestCode.PULL_MESSAGE && code !== RequestCode.LITE_PULL_MESSAGE) return null;
  const flag = frame.readInt32BE(13);
  if ((flag & RpcFlag.RESPONSE) !== 0) return null;
  const remarkLen = frame.readInt32BE(17);
  if (remarkLen < 0 || remarkLen > headerEnd - 25) return null;
  let p = 25 + remarkLen;
  const extLen = frame.readInt32BE(p - 4);
  const extEnd = p + extLen;
  if (extLen < 0 || extEnd > headerEnd) return null;
  const r: PullRequest = {
    code,
    serializeType: SerializeType.ROCKETMQ,
    opaque: frame.readInt32BE(9),
    flag,
    consumerGroup: '',
    topic: '',
    queueId: 0,
    queueOffset: 0,
    maxMsgNums: 0,
    sysFlag: 0,
    commitOffset: NaN,
    suspendTimeoutMillis: 0,
    subscription: undefined,
    subVersion: 0,
    expressionType: undefined,
  };
  let seen = 0;
  while (p < extEnd) {
    if (extEnd - p < 6) return null;
    const kl = (frame[p] << 8) | frame[p + 1];
    const ks = p + 2;
    p = ks + kl;
    if (extEnd - p < 4) return null;
    const vl = frame.readInt32BE(p);
    const vs = p + 4;
    p = vs + vl;
    if (vl < 0 || p > extEnd) return null;
    // An empty value counts as absent, as in the generic decoder.
    if (vl === 0) continue;
    const field = keyAt(frame, ks, kl);
    if (field < 0) continue;
    seen |= 1 << field;
    if (field === GROUP || field === TOPIC || field === SUBSCRIPTION || field === EXPRESSION_TYPE) {
      const text = internedAt(frame, vs, p);
      if (field === GROUP) r.consumerGroup = text;
      else if (field === TOPIC) r.topic = text;
      else if (field === SUBSCRIPTION) r.subscription = text;
      else r.expressionType = text;
      continue;
    }
    const v = decimal(frame, vs, p);
    if (v === null) return null;
    switch (field) {
      case QUEUE_ID: r.queueId = v; break;
      case QUEUE_OFFSET: r.queueOffset = v; break;
      case MAX_MSG_NUMS: r.maxMsgNums = v; break;
      case SYS_FLAG: r.sysFlag = v; break;
      case COMMIT_OFFSET: r.commitOffset = v; break;
      case SUSPEND: r.suspendTimeoutMillis = v; break;
      default: r.subVersion = v;
    }
  }
  return (seen & REQUIRED) === REQUIRED ? r : null;
}

function keyAt(buf: Buffer, start: number, len: number): number {
  const candidates = BY_LENGTH[len];
  if (candidates === undefined) return -1;
  for (const i of candidates) {
    const k = KEY_BYTES[i];
    let j = 0;
    while (j < len && buf[start + j] === k[j]) j++;
    if (j === len) return i;
  }
  return -1;
}
