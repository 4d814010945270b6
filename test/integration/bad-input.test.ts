// Bad input against a real broker process: every case checks the exact answer (or that only the
// offending connection is closed), then that the broker still serves a well-formed client on
// another connection and that a message stored before the bad input is still pullable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { FerryProcess, REPO_ROOT } from '../helpers/ferry-process.js';
import { freeBrokerPort, freePort } from '../helpers/ports.js';
import { WireClient, decodeRecords } from '../helpers/wire-client.js';
import { RequestCode, ResponseCode, RpcFlag, SerializeType } from '../../src/shared/codes.js';
import { decodeCommand, encodeCommand, newRequest, type RemotingCommand } from '../../src/shared/remoting/command.js';
import { FrameDecoder } from '../../src/shared/remoting/frame-decoder.js';
import { encodeBatch } from '../../src/shared/storage/batch.js';

const TOPIC = 'BadInputTopic';
const GROUP = 'bad_input_cg';
const SENTINEL = 'stored-before-any-bad-input';
const MAX_MESSAGE_SIZE = 1024;
const T = { timeout: 60_000 };

let ferry: FerryProcess;
let healthSeq = 0;

// ---------------------------------------------------------------------------------------------
// A raw connection: bytes out, decoded frames in, and whether the peer closed it.

class RawConn {
  readonly frames: RemotingCommand[] = [];
  closedByPeer = false;
  private readonly decoder = new FrameDecoder();
  private readonly waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (f) => this.frames.push(decodeCommand(f)));
      } catch (e) {
        this.frames.push({ code: -1, language: 0, version: 0, opaque: -1, flag: 0, remark: `undecodable reply: ${(e as Error).message}`, extFields: null, serializeType: 0, body: null });
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedByPeer = true;
      this.wake();
    });
  }

  static open(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.off('error', reject);
        resolve(new RawConn(s));
      });
      s.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `cond` holds, rejects after `ms` (a bound, not a timing assertion). */
  async until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames so far: ${JSON.stringify(this.frames.map((f) => [f.code, f.opaque, f.remark]))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  waitClosed(ms = 10_000): Promise<void> {
    return this.until(() => this.closedByPeer, ms, 'the broker to close the connection');
  }

  async response(opaque: number, ms = 10_000): Promise<RemotingCommand> {
    await this.until(() => this.frames.some((f) => f.opaque === opaque) || this.closedByPeer, ms, `the response to opaque ${opaque}`);
    const f = this.frames.find((x) => x.opaque === opaque);
    if (!f) throw new Error(`connection closed before the response to opaque ${opaque}`);
    return f;
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Frame builders.

/** [length][type<<24 | headerLen][header][body] with every field given explicitly. */
function frame(header: Buffer, body: Buffer = Buffer.alloc(0), type: number = SerializeType.JSON, opts: { length?: number; headerLen?: number } = {}): Buffer {
  const out = Buffer.alloc(8 + header.length + body.length);
  out.writeInt32BE(opts.length ?? 4 + header.length + body.length, 0);
  out.writeUInt32BE(((type & 0xff) << 24 | (opts.headerLen ?? header.length)) >>> 0, 4);
  header.copy(out, 8);
  body.copy(out, 8 + header.length);
  return out;
}

let nextOpaque = 1_000_000;
function request(code: number, ext: Record<string, string> | null, body: Buffer | null = null, opts: { oneway?: boolean; serializeType?: number } = {}): RemotingCommand {
  const cmd = newRequest(code, ext, body, opts.oneway === true);
  cmd.opaque = nextOpaque++;
  cmd.serializeType = opts.serializeType ?? SerializeType.JSON;
  return cmd;
}

/** A ROCKETMQ binary header: the 21 fixed bytes, the remark and a raw ext block. */
function binaryHeader(code: number, opaque: number, ext: Buffer, opts: { remark?: Buffer; remarkLen?: number; extLen?: number } = {}): Buffer {
  const remark = opts.remark ?? Buffer.alloc(0);
  const h = Buffer.alloc(21 + remark.length + ext.length);
  h.writeInt16BE(code, 0);
  h[2] = 0;
  h.writeInt16BE(409, 3);
  h.writeInt32BE(opaque, 5);
  h.writeInt32BE(0, 9);
  h.writeInt32BE(opts.remarkLen ?? remark.length, 13);
  remark.copy(h, 17);
  h.writeInt32BE(opts.extLen ?? ext.length, 17 + remark.length);
  ext.copy(h, 21 + remark.length);
  return h;
}

/** One ext entry: [short keyLen][key][int valueLen][value], lengths overridable. */
function extEntry(key: string, value: string, opts: { keyLen?: number; valueLen?: number } = {}): Buffer {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const e = Buffer.alloc(6 + k.length + v.length);
  e.writeUInt16BE(opts.keyLen ?? k.length, 0);
  k.copy(e, 2);
  e.writeInt32BE(opts.valueLen ?? v.length, 2 + k.length);
  v.copy(e, 6 + k.length);
  return e;
}

function sendExt(topic: string, extra: Record<string, string> = {}, drop: string[] = []): Record<string, string> {
  const ext: Record<string, string> = { a: 'bad_input_pg', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: 'WAIT\u0001true', j: '0', k: 'false', m: 'false', ...extra };
  for (const k of drop) delete ext[k];
  return ext;
}

function pullExt(group: string, topic: string, queueId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    consumerGroup: group, topic, queueId, queueOffset: '0', maxMsgNums: '32', sysFlag: '4', commitOffset: '0',
    suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG', ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// The health check every test ends with.

/**
 * Pulls queue (topic, queueId) at `offset`, long-polling until the message there is visible. A send
 * is acknowledged before the ConsumeQueue is written, so right after it the offset can still be past
 * the queue's max (PULL_OFFSET_MOVED with maxOffset <= offset): that is waited out too.
 */
async function pullAt(c: WireClient, topic: string, queueId: number, offset: number): Promise<RemotingCommand> {
  for (let i = 0; i < 100; i++) {
    const r = await c.pull(GROUP, topic, queueId, offset, { max: 1, sysFlag: 0x4 | 0x2, suspendMs: 2000 });
    if (r.code === ResponseCode.SUCCESS) return r;
    if (r.code === ResponseCode.PULL_OFFSET_MOVED && Number(r.extFields?.maxOffset) <= offset) {
      await new Promise((res) => setTimeout(res, 20));
      continue;
    }
    assert.equal(r.code, ResponseCode.PULL_NOT_FOUND, `pull ${topic}/${queueId}@${offset}: ${r.code} ${r.remark}`);
  }
  throw new Error(`message ${topic}/${queueId}@${offset} never became pullable`);
}

/** A well-formed client on a new connection can send and pull, and the sentinel is still there. */
async function assertServing(): Promise<void> {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    const body = `health-${++healthSeq}`;
    const s = await c.send(TOPIC, body, { queueId: 1 });
    assert.equal(s.code, ResponseCode.SUCCESS, `health send: ${s.remark}`);
    const got = decodeRecords((await pullAt(c, TOPIC, 1, Number(s.extFields!.queueOffset))).body);
    assert.equal(got[0].body.toString(), body);
    const sentinel = decodeRecords((await pullAt(c, TOPIC, 0, 0)).body);
    assert.equal(sentinel[0].body.toString(), SENTINEL);
  } finally {
    c.close();
  }
  const ns = await WireClient.connect(ferry.namesrvAddr);
  try {
    const r = await ns.invoke(RequestCode.GET_BROKER_CLUSTER_INFO, null);
    assert.equal(r.code, ResponseCode.SUCCESS, `name server: ${r.remark}`);
  } finally {
    ns.close();
  }
}

/** Writes `bytes` on a fresh connection and expects the broker to close it without answering. */
async function expectClosed(port: number, bytes: Buffer, label: string): Promise<void> {
  const conn = await RawConn.open(port);
  try {
    conn.write(bytes);
    await conn.waitClosed();
    assert.deepEqual(conn.frames.map((f) => f.code), [], `${label}: the broker answered a malformed frame`);
  } finally {
    conn.close();
  }
}

/**
 * Runs `bad` while bystander connections are open on the same port, then checks they still work.
 * Two of them: connections go round robin to the two network workers, so each worker has one.
 */
async function withBystander(port: number, bad: () => Promise<void>): Promise<void> {
  const bystanders = [await WireClient.connect(`127.0.0.1:${port}`), await WireClient.connect(`127.0.0.1:${port}`)];
  try {
    await bad();
    const code = port === ferry.namesrvPort ? RequestCode.GET_BROKER_CLUSTER_INFO : RequestCode.GET_MAX_OFFSET;
    for (const b of bystanders) {
      const r = await b.invoke(code, { topic: TOPIC, queueId: '0' });
      assert.equal(r.code, ResponseCode.SUCCESS, `a bystander connection was disturbed: ${r.remark}`);
    }
  } finally {
    for (const b of bystanders) b.close();
  }
}

const ports = () => [
  { name: 'broker', port: ferry.brokerPort },
  { name: 'name server', port: ferry.namesrvPort },
];

before(async () => {
  ferry = await FerryProcess.start({ overrides: [`maxMessageSize=${MAX_MESSAGE_SIZE}`, 'autoCreateSubscriptionGroup=false'] });
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    assert.equal((await c.createTopic(TOPIC, 2)).code, ResponseCode.SUCCESS);
    const group = await c.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, null, Buffer.from(JSON.stringify({ groupName: GROUP, consumeEnable: true, consumeFromMinEnable: true, consumeBroadcastEnable: true, retryQueueNums: 1, retryMaxTimes: 16, brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true })));
    assert.equal(group.code, ResponseCode.SUCCESS, group.remark ?? '');
    const s = await c.send(TOPIC, SENTINEL, { queueId: 0 });
    assert.equal(s.code, ResponseCode.SUCCESS, s.remark ?? '');
    assert.equal(s.extFields?.queueOffset, '0');
  } finally {
    c.close();
  }
  await assertServing();
});

after(async () => {
  await ferry?.dispose();
});

// ---------------------------------------------------------------------------------------------
// Malformed frames: only the offending connection is closed, on both ports.

test('a frame length < 4 closes only that connection (broker and name server)', T, async () => {
  for (const { name, port } of ports()) {
    await withBystander(port, async () => {
      for (const len of [0, 1, 3, -1, -2147483648]) {
        const b = Buffer.alloc(8);
        b.writeInt32BE(len, 0);
        await expectClosed(port, b, `${name} length ${len}`);
      }
    });
  }
  await assertServing();
});

test('a frame length > 16 MiB closes only that connection (broker and name server)', T, async () => {
  for (const { name, port } of ports()) {
    await withBystander(port, async () => {
      for (const len of [16 * 1024 * 1024 + 1, 0x7fffffff]) {
        const b = Buffer.alloc(64);
        b.writeInt32BE(len, 0);
        b.writeInt32BE(40, 4);
        await expectClosed(port, b, `${name} length ${len}`);
      }
    });
  }
  await assertServing();
});

test('a garbage JSON header closes only that connection (broker and name server)', T, async () => {
  const garbage = ['{not json', '\u0000\u0001\u0002\u00ff', '[1,2,3]', 'null', '"code"', '{"code":"ten"}', ''];
  for (const { name, port } of ports()) {
    await withBystander(port, async () => {
      for (const g of garbage) await expectClosed(port, frame(Buffer.from(g, 'latin1')), `${name} header ${JSON.stringify(g)}`);
      await expectClosed(port, frame(Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x7b])), `${name} invalid UTF-8 header`);
    });
  }
  await assertServing();
});

test('an unknown serialize type byte closes only that connection (broker and name server)', T, async () => {
  const header = Buffer.from(JSON.stringify({ code: RequestCode.GET_BROKER_CLUSTER_INFO, opaque: 1, flag: 0, language: 'JAVA', version: 409 }));
  for (const { name, port } of ports()) {
    await withBystander(port, async () => {
      for (const type of [2, 3, 0x7f, 0x80, 0xff]) await expectClosed(port, frame(header, Buffer.alloc(0), type), `${name} type ${type}`);
    });
  }
  await assertServing();
});

test('a header length past the frame end closes only that connection (broker and name server)', T, async () => {
  const header = Buffer.from(JSON.stringify({ code: RequestCode.GET_BROKER_CLUSTER_INFO, opaque: 1, flag: 0 }));
  for (const { name, port } of ports()) {
    await withBystander(port, async () => {
      await expectClosed(port, frame(header, Buffer.alloc(0), SerializeType.JSON, { headerLen: header.length + 1 }), `${name} JSON headerLen + 1`);
      await expectClosed(port, frame(header, Buffer.from('body'), SerializeType.JSON, { headerLen: 0xffffff }), `${name} JSON headerLen 0xffffff`);
      const bin = binaryHeader(RequestCode.GET_BROKER_CLUSTER_INFO, 1, Buffer.alloc(0));
      await expectClosed(port, frame(bin, Buffer.alloc(0), SerializeType.ROCKETMQ, { headerLen: bin.length + 5 }), `${name} binary headerLen + 5`);
    });
  }
  await assertServing();
});

test('a ROCKETMQ binary header with ext/remark lengths past the header closes only that connection', T, async () => {
  const ok = extEntry('topic', TOPIC);
  const cases: [string, Buffer][] = [
    ['extLen past the header', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, ok, { extLen: ok.length + 1 })],
    ['extLen huge', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, ok, { extLen: 0x7fffffff })],
    ['extLen negative', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, ok, { extLen: -1 })],
    ['key length past the ext block', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, extEntry('topic', TOPIC, { keyLen: 0xffff }))],
    ['value length past the ext block', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, extEntry('topic', TOPIC, { valueLen: 1000 }))],
    ['value length negative', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, extEntry('topic', TOPIC, { valueLen: -5 }))],
    ['ext block ends inside a key length', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, Buffer.concat([ok, Buffer.from([0])]))],
    ['remarkLen past the header', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, ok, { remark: Buffer.from('r'), remarkLen: 500 })],
    ['remarkLen negative', binaryHeader(RequestCode.GET_MAX_OFFSET, 1, ok, { remarkLen: -1 })],
    ['header shorter than 21 bytes', Buffer.alloc(20)],
  ];
  for (const { name, port } of ports()) {
    await withBystander(port, async () => {
      for (const [label, h] of cases) await expectClosed(port, frame(h, Buffer.alloc(0), SerializeType.ROCKETMQ), `${name}: ${label}`);
    });
  }
  await assertServing();
});

// ---------------------------------------------------------------------------------------------
// Well-formed frames with bad requests: exact answers.

test('an unknown request code answers 3 REQUEST_CODE_NOT_SUPPORTED (broker and name server, JSON and binary)', T, async () => {
  for (const { name, port } of ports()) {
    const conn = await RawConn.open(port);
    try {
      for (const [code, type] of [[9999, SerializeType.JSON], [0, SerializeType.JSON], [-3, SerializeType.JSON], [31999, SerializeType.ROCKETMQ], [777, SerializeType.ROCKETMQ]] as const) {
        const req = request(code, { topic: TOPIC }, null, { serializeType: type });
        conn.write(encodeCommand(req));
        const res = await conn.response(req.opaque);
        assert.equal(res.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `${name} code ${code}`);
        assert.equal(res.remark, ` request type ${code} not supported`, `${name} code ${code}`);
        assert.equal(res.flag & RpcFlag.RESPONSE, RpcFlag.RESPONSE);
        assert.equal(res.serializeType, type, `${name}: the reply must use the request's serialize type`);
      }
      assert.equal(conn.closedByPeer, false, `${name} closed the connection after an unknown code`);
    } finally {
      conn.close();
    }
  }
  await assertServing();
});

test('a oneway request with an unknown code gets no response at all (broker and name server)', T, async () => {
  for (const { name, port } of ports()) {
    const conn = await RawConn.open(port);
    try {
      const oneway = request(9999, null, null, { oneway: true });
      const onewayBin = request(9996, null, null, { oneway: true, serializeType: SerializeType.ROCKETMQ });
      const follow1 = request(9998, null);
      const follow2 = request(9997, null);
      // Requests on one connection are answered in order on the same path: if the oneway ones were
      // answered, those answers would come before the answers to the two requests that follow.
      conn.write(Buffer.concat([encodeCommand(oneway), encodeCommand(onewayBin), encodeCommand(follow1)]));
      assert.equal((await conn.response(follow1.opaque)).code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      conn.write(encodeCommand(follow2));
      assert.equal((await conn.response(follow2.opaque)).code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      assert.deepEqual(conn.frames.map((f) => f.opaque), [follow1.opaque, follow2.opaque], `${name} answered a oneway request`);
    } finally {
      conn.close();
    }
  }
  await assertServing();
});

test('a oneway send that fails validation gets no response either', T, async () => {
  const conn = await RawConn.open(ferry.brokerPort);
  try {
    const bad = request(RequestCode.SEND_MESSAGE_V2, sendExt('bad topic!'), Buffer.from('x'), { oneway: true });
    const big = request(RequestCode.SEND_MESSAGE_V2, sendExt(TOPIC), Buffer.alloc(MAX_MESSAGE_SIZE + 1), { oneway: true });
    const follow = request(RequestCode.SEND_MESSAGE_V2, sendExt('another bad topic'), Buffer.from('x'));
    conn.write(Buffer.concat([encodeCommand(bad), encodeCommand(big), encodeCommand(follow)]));
    assert.equal((await conn.response(follow.opaque)).code, ResponseCode.SYSTEM_ERROR);
    assert.deepEqual(conn.frames.map((f) => f.opaque), [follow.opaque]);
  } finally {
    conn.close();
  }
  await assertServing();
});

test('a body over maxMessageSize answers 13 MESSAGE_ILLEGAL', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    for (const code of [RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_MESSAGE]) {
      const r = await c.send(TOPIC, Buffer.alloc(MAX_MESSAGE_SIZE + 1, 0x61), { code });
      assert.equal(r.code, ResponseCode.MESSAGE_ILLEGAL, `code ${code}: ${r.remark}`);
      // RocketMQ 4.9.8 SendMessageProcessor's text
      assert.equal(r.remark, `the message is illegal, maybe msg body or properties length not matched. msg body length limit ${MAX_MESSAGE_SIZE}B, msg properties length limit 32KB.`);
    }
    const r = await c.send(TOPIC, Buffer.alloc(64 * 1024, 0x61));
    assert.equal(r.code, ResponseCode.MESSAGE_ILLEGAL, r.remark ?? '');
    // the limit itself is allowed
    const okAtLimit = await c.send(TOPIC, Buffer.alloc(MAX_MESSAGE_SIZE, 0x62), { queueId: 1 });
    assert.equal(okAtLimit.code, ResponseCode.SUCCESS, okAtLimit.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('an illegal topic name answers 1 SYSTEM_ERROR', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    // RocketMQ 4.9.8 TopicValidator's texts
    const chars = 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
    const long = 'The specified topic is longer than topic max length.';
    for (const [topic, remark] of [['bad topic!', chars], ['x'.repeat(200), long], ['tab\there', chars], ['ünïcode', chars], ['a/b', chars], ['a.b', chars]]) {
      for (const code of [RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_MESSAGE]) {
        const r = await c.send(topic, 'x', { code });
        assert.equal(r.code, ResponseCode.SYSTEM_ERROR, `${topic} code ${code}: ${r.remark}`);
        assert.equal(r.remark, remark, topic);
      }
    }
    // the boundary: 127 chars is legal
    const r = await c.send('y'.repeat(127), 'x');
    assert.equal(r.code, ResponseCode.SUCCESS, r.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('a send to a system topic (SCHEDULE_TOPIC_XXXX) is refused with 16 NO_PERMISSION', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    for (const topic of ['SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC', 'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT']) {
      const r = await c.send(topic, 'x');
      assert.equal(r.code, ResponseCode.NO_PERMISSION, `${topic}: ${r.code} ${r.remark}`);
      assert.equal(r.remark, `Sending message to topic[${topic}] is forbidden.`);
    }
  } finally {
    c.close();
  }
  await assertServing();
});

test('a pull for a topic that does not exist answers 17 TOPIC_NOT_EXIST', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    const r = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, 'NoSuchTopic', '0'));
    assert.equal(r.code, ResponseCode.TOPIC_NOT_EXIST, r.remark ?? '');
    assert.ok(r.remark?.startsWith('topic[NoSuchTopic] not exist, apply first please!'), r.remark ?? '');
    const lite = await c.invoke(RequestCode.LITE_PULL_MESSAGE, pullExt(GROUP, 'NoSuchTopic', '0'));
    assert.equal(lite.code, ResponseCode.TOPIC_NOT_EXIST, lite.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('a pull with an illegal queueId answers 1 SYSTEM_ERROR', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    for (const q of ['2', '99', '-1', '2147483647', '-2147483648']) {
      const r = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, q));
      assert.equal(r.code, ResponseCode.SYSTEM_ERROR, `queueId ${q}: ${r.remark}`);
      assert.ok(r.remark?.startsWith(`queueId[${q}] is illegal, topic:[${TOPIC}] topicConfig.readQueueNums:[2] consumer:[`), `queueId ${q}: ${r.remark}`);
    }
    const nan = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, 'zero'));
    assert.equal(nan.code, ResponseCode.SYSTEM_ERROR, nan.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('a pull for an unknown group with autoCreateSubscriptionGroup=false answers 26', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    const r = await c.invoke(RequestCode.PULL_MESSAGE, pullExt('no_such_group', TOPIC, '0'));
    assert.equal(r.code, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, r.remark ?? '');
    assert.ok(r.remark?.startsWith('subscription group [no_such_group] does not exist'), r.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('a pull without the subscription flag before any heartbeat answers 24', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    const r = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, '0', { sysFlag: '0' }));
    assert.equal(r.code, ResponseCode.SUBSCRIPTION_NOT_EXIST, r.remark ?? '');
    assert.ok(r.remark?.startsWith("the consumer's group info not exist"), r.remark ?? '');
    const suspend = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, '0', { sysFlag: String(0x1 | 0x2), suspendTimeoutMillis: '1000' }));
    assert.equal(suspend.code, ResponseCode.SUBSCRIPTION_NOT_EXIST, suspend.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('a malformed batch body answers 13 MESSAGE_ILLEGAL', T, async () => {
  const good = encodeBatch([{ flag: 0, body: Buffer.from('one'), properties: Buffer.from('KEYS\u0001k') }]);
  const withLen = (at: number, v: number, size: 2 | 4) => {
    const b = Buffer.from(good);
    if (size === 4) b.writeInt32BE(v, at);
    else b.writeInt16BE(v, at);
    return b;
  };
  const bodies: [string, Buffer][] = [
    ['10 random bytes', Buffer.from('0123456789')],
    ['truncated element header', good.subarray(0, 19)],
    ['negative body length', withLen(16, -1, 4)],
    ['body length past the end', withLen(16, 1000, 4)],
    ['negative properties length', withLen(23, -1, 2)],
    ['properties length past the end', withLen(23, 500, 2)],
    ['a good element then garbage', Buffer.concat([good, Buffer.from([1, 2, 3])])],
  ];
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    for (const [label, body] of bodies) {
      const r = await c.invoke(RequestCode.SEND_BATCH_MESSAGE, sendExt(TOPIC, { m: 'true' }), body);
      assert.equal(r.code, ResponseCode.MESSAGE_ILLEGAL, `${label}: ${r.code} ${r.remark}`);
    }
    const empty = await c.invoke(RequestCode.SEND_BATCH_MESSAGE, sendExt(TOPIC, { m: 'true' }), null);
    assert.equal(empty.code, ResponseCode.MESSAGE_ILLEGAL, `empty body: ${empty.remark}`);
    // the good batch is stored
    const ok = await c.invoke(RequestCode.SEND_BATCH_MESSAGE, sendExt(TOPIC, { m: 'true', e: '1' }), good);
    assert.equal(ok.code, ResponseCode.SUCCESS, ok.remark ?? '');
  } finally {
    c.close();
  }
  await assertServing();
});

test('a send missing a required header field answers an error, not a crash', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    for (const drop of ['a', 'b', 'e', 'f', 'g', 'h']) {
      const r = await c.invoke(RequestCode.SEND_MESSAGE_V2, sendExt(TOPIC, {}, [drop]), Buffer.from('x'));
      assert.equal(r.code, ResponseCode.SYSTEM_ERROR, `V2 without ${drop}: ${r.code} ${r.remark}`);
      assert.ok(r.remark && r.remark.length > 0);
    }
    const v1 = { producerGroup: 'pg', topic: TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: '0', sysFlag: '0', bornTimestamp: '1', flag: '0' };
    for (const drop of Object.keys(v1).filter((k) => !k.startsWith('default'))) {
      const ext: Record<string, string> = { ...v1 };
      delete ext[drop];
      const r = await c.invoke(RequestCode.SEND_MESSAGE, ext, Buffer.from('x'));
      assert.equal(r.code, ResponseCode.SYSTEM_ERROR, `V1 without ${drop}: ${r.code} ${r.remark}`);
      assert.match(r.remark ?? '', new RegExp(drop), `V1 without ${drop}: remark ${r.remark}`);
    }
    const noExt = await c.invoke(RequestCode.SEND_MESSAGE_V2, null, Buffer.from('x'));
    assert.equal(noExt.code, ResponseCode.SYSTEM_ERROR, noExt.remark ?? '');
    const notNumber = await c.invoke(RequestCode.SEND_MESSAGE_V2, sendExt(TOPIC, { e: 'zero' }), Buffer.from('x'));
    assert.equal(notNumber.code, ResponseCode.SYSTEM_ERROR, notNumber.remark ?? '');
    const noBody = await c.invoke(RequestCode.SEND_MESSAGE_V2, sendExt(TOPIC), null);
    assert.notEqual(noBody.code, ResponseCode.SUCCESS, 'a send without a body was stored');
    for (const drop of ['consumerGroup', 'topic', 'queueId', 'queueOffset', 'maxMsgNums', 'sysFlag']) {
      const ext = pullExt(GROUP, TOPIC, '0');
      delete ext[drop];
      const r = await c.invoke(RequestCode.PULL_MESSAGE, ext);
      assert.equal(r.code, ResponseCode.SYSTEM_ERROR, `pull without ${drop}: ${r.code} ${r.remark}`);
    }
  } finally {
    c.close();
  }
  await assertServing();
});

test('a send with a non-integer queueId is refused and leaves the queue alone', T, async () => {
  // its own broker: on the buggy path this corrupts queue offsets
  const own = await FerryProcess.start();
  const c = await WireClient.connect(own.brokerAddr);
  try {
    assert.equal((await c.createTopic('FracQueue', 2)).code, ResponseCode.SUCCESS);
    const first = await c.send('FracQueue', 'original', { queueId: 1 });
    assert.equal(first.code, ResponseCode.SUCCESS);
    assert.equal(first.extFields?.queueOffset, '0');
    const frac = await c.invoke(RequestCode.SEND_MESSAGE_V2, sendExt('FracQueue', { e: '1.5' }), Buffer.from('intruder'));
    const frac1 = await c.invoke(RequestCode.SEND_MESSAGE, { producerGroup: 'pg', topic: 'FracQueue', defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: '0.5', sysFlag: '0', bornTimestamp: '1', flag: '0' }, Buffer.from('intruder'));
    const second = await c.send('FracQueue', 'second', { queueId: 1 });
    assert.equal(second.code, ResponseCode.SUCCESS);
    assert.equal(second.extFields?.queueOffset, '1');
    await pullAt(c, 'FracQueue', 1, 1);
    const p = await c.pull(GROUP, 'FracQueue', 1, 0);
    assert.deepEqual(decodeRecords(p.body).map((m) => m.body.toString()), ['original', 'second'], 'queue 1 after the fractional sends');
    assert.equal(frac.code, ResponseCode.SYSTEM_ERROR, `queueId 1.5 answered ${frac.code} queueId=${frac.extFields?.queueId}`);
    assert.equal(frac1.code, ResponseCode.SYSTEM_ERROR, `queueId 0.5 answered ${frac1.code} queueId=${frac1.extFields?.queueId}`);
  } finally {
    c.close();
    await own.dispose();
  }
});

test('a pull or offset query with a non-integer queueId or queueOffset answers 1', T, async () => {
  const c = await WireClient.connect(ferry.brokerAddr);
  try {
    const offset = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, '0', { queueOffset: '0.5' }));
    const queue = await c.invoke(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, '0.5'));
    const max = await c.invoke(RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: '0.5' });
    assert.deepEqual(
      [offset.code, queue.code, max.code],
      [ResponseCode.SYSTEM_ERROR, ResponseCode.SYSTEM_ERROR, ResponseCode.SYSTEM_ERROR],
      `queueOffset 0.5 -> ${offset.code} ${JSON.stringify(offset.extFields)}; queueId 0.5 -> ${queue.code} ${JSON.stringify(queue.extFields)}; GET_MAX_OFFSET queueId 0.5 -> ${max.code} ${JSON.stringify(max.extFields)}`,
    );
  } finally {
    c.close();
  }
  await assertServing();
});

test('oneway pulls and oneway offset queries get no response', T, async () => {
  const conn = await RawConn.open(ferry.brokerPort);
  try {
    const onewayPull = request(RequestCode.PULL_MESSAGE, pullExt(GROUP, TOPIC, '0'), null, { oneway: true });
    const onewayBadPull = request(RequestCode.PULL_MESSAGE, pullExt('no_such_group', TOPIC, '0'), null, { oneway: true });
    const onewayMax = request(RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: '0' }, null, { oneway: true });
    const follow = request(RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: '0' });
    conn.write(Buffer.concat([encodeCommand(onewayPull), encodeCommand(onewayBadPull), encodeCommand(onewayMax), encodeCommand(follow)]));
    assert.equal((await conn.response(follow.opaque)).code, ResponseCode.SUCCESS);
    assert.deepEqual(conn.frames.map((f) => f.opaque), [follow.opaque], 'a oneway request was answered');
  } finally {
    conn.close();
  }
  await assertServing();
});

test('a HEART_BEAT whose subString is not a string is answered, not closed', T, async () => {
  const conn = await RawConn.open(ferry.brokerPort);
  try {
    for (const subString of [5, ['TagA'], { tag: 'TagA' }, true]) {
      const body = Buffer.from(JSON.stringify({
        clientID: '127.0.0.1@bad-input', producerDataSet: [],
        consumerDataSet: [{ groupName: 'hb_cg', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', unitMode: false, subscriptionDataSet: [{ topic: TOPIC, subString, expressionType: 'TAG', subVersion: 1, tagsSet: [], codeSet: [] }] }],
      }));
      const hb = request(RequestCode.HEART_BEAT, null, body);
      conn.write(encodeCommand(hb));
      const res = await conn.response(hb.opaque);
      assert.equal(res.code, ResponseCode.SUCCESS, `subString ${JSON.stringify(subString)}: ${res.remark}`);
    }
    assert.equal(conn.closedByPeer, false);
  } finally {
    conn.close();
  }
  await assertServing();
});

/** Resident memory of a process in MiB (Linux /proc), or null elsewhere. */
function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

test('a client that pipelines pulls and never reads does not make the broker buffer without bound', T, async (t) => {
  const own = await FerryProcess.start();
  const c = await WireClient.connect(own.brokerAddr);
  const greedy = new net.Socket();
  try {
    if (rssMiB(own.proc!.pid!) === null) return t.skip('no /proc on this system');
    assert.equal((await c.createTopic('Greedy', 1)).code, ResponseCode.SUCCESS);
    for (let i = 0; i < 40; i++) assert.equal((await c.send('Greedy', Buffer.alloc(4000, 0x61), { queueId: 0 })).code, ResponseCode.SUCCESS);
    await c.pullAtLeast(GROUP, 'Greedy', 0, 39, 1); // dispatched
    const before = rssMiB(own.proc!.pid!)!;
    // 3000 pulls of ~130 KiB each: 0.9 MB asked, ~390 MiB to answer
    const pull = (i: number) => encodeCommand({ ...request(RequestCode.PULL_MESSAGE, pullExt(GROUP, 'Greedy', '0')), opaque: i });
    await new Promise<void>((resolve, reject) => {
      greedy.once('error', reject);
      greedy.connect({ host: '127.0.0.1', port: own.brokerPort }, () => resolve());
    });
    greedy.pause();
    await new Promise<void>((resolve) => greedy.write(Buffer.concat(Array.from({ length: 3000 }, (_, i) => pull(i + 1))), () => resolve()));
    let peak = before;
    for (let i = 0; i < 10; i++) {
      await c.invoke(RequestCode.GET_MAX_OFFSET, { topic: 'Greedy', queueId: '0' });
      await new Promise((r) => setTimeout(r, 200));
      peak = Math.max(peak, rssMiB(own.proc!.pid!) ?? 0);
    }
    assert.ok(peak - before < 150, `broker RSS grew from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB for a client that does not read`);
  } finally {
    greedy.destroy();
    c.close();
    await own.dispose();
  }
});

test('a compressed REGISTER_BROKER body that inflates to 256 MiB is refused without inflating it all', { ...T }, async (t) => {
  const own = await FerryProcess.start();
  const ns = await WireClient.connect(own.namesrvAddr);
  try {
    const before = rssMiB(own.proc!.pid!);
    if (before === null) return t.skip('no /proc on this system');
    // a valid compressed body ([len][DataVersion][count][len][topic line][len][filter servers]) padded with 256 MiB of zeros
    const part = (s: string) => {
      const b = Buffer.from(s);
      return Buffer.concat([Buffer.from([b.length >>> 24, b.length >>> 16, b.length >>> 8, b.length]), b]);
    };
    const head = Buffer.concat([part('{"counter":1,"timestamp":1}'), Buffer.from([0, 0, 0, 1]), part('BombTopic 4 4 6 SINGLE_TAG'), part('[]')]);
    const deflate = zlib.createDeflate({ level: 9 });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => deflate.on('end', r));
    deflate.write(head);
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < 16; i++) deflate.write(zeros);
    deflate.end();
    await ended;
    const bomb = Buffer.concat(chunks);
    const r = await ns.invoke(RequestCode.REGISTER_BROKER, { brokerName: 'bomb', brokerAddr: '127.0.0.1:1', clusterName: 'BombCluster', haServerAddr: '127.0.0.1:2', brokerId: '0', compressed: 'true' }, bomb, 60_000);
    const after = rssMiB(own.proc!.pid!)!;
    assert.notEqual(r.code, ResponseCode.SUCCESS, `a ${bomb.length}-byte body that inflates to 256 MiB was accepted`);
    assert.ok(after - before < 150, `broker RSS grew from ${before.toFixed(0)} to ${after.toFixed(0)} MiB for one ${bomb.length}-byte request`);
  } finally {
    ns.close();
    await own.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Start-up and connections.

function runCli(args: string[], ms = 20_000): Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'ferrymq.js'), 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, ms);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

test('a bad config value at start-up exits non-zero naming the key', T, async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-badcfg-'));
  try {
    const listen = await freeBrokerPort();
    const ns = await freePort();
    // Everything else is valid and private, so a config that were wrongly accepted starts nothing shared.
    const base = [`storePathRootDir=${store}`, `listenPort=${listen}`, `namesrvListenPort=${ns}`, `namesrvAddr=127.0.0.1:${ns}`, 'brokerIP1=127.0.0.1', 'mapedFileSizeCommitLog=16777216', 'networkWorkers=1'];
    for (const [key, bad] of [['listenPort', 'abc'], ['flushDiskType', 'FAST'], ['maxMessageSize', '-1'], ['maxMessageSize', 'lots'], ['autoCreateSubscriptionGroup', 'yes'], ['sendLingerMicros', '-5']]) {
      const r = await runCli([...base, `${key}=${bad}`]);
      assert.equal(r.timedOut, false, `${key}=${bad}: the broker did not exit:\n${r.output}`);
      assert.notEqual(r.code, 0, `${key}=${bad}: exit code 0`);
      assert.notEqual(r.code, null, `${key}=${bad}: killed by ${r.signal}`);
      assert.ok(r.output.includes(key), `${key}=${bad}: the message does not name the key:\n${r.output}`);
      assert.ok(!r.output.includes('Ferry broker started'), `${key}=${bad}: the broker started`);
    }
  } finally {
    fs.rmSync(store, { recursive: true, force: true });
  }
  await assertServing();
});

test('200 idle connections opened and closed do not disturb a working client', T, async () => {
  const client = await WireClient.connect(ferry.brokerAddr);
  const idle: net.Socket[] = [];
  let ok = 0;
  const work = async (rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      const body = `busy-${i}-${++healthSeq}`;
      const s = await client.send(TOPIC, body, { queueId: 1 });
      assert.equal(s.code, ResponseCode.SUCCESS, s.remark ?? '');
      const got = decodeRecords((await pullAt(client, TOPIC, 1, Number(s.extFields!.queueOffset))).body);
      assert.equal(got[0].body.toString(), body);
      ok++;
    }
  };
  try {
    const open = (port: number) =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
        s.on('error', reject);
      });
    const opening = Promise.all(Array.from({ length: 200 }, (_, i) => open(i % 4 === 3 ? ferry.namesrvPort : ferry.brokerPort)));
    await Promise.all([work(20), opening.then((s) => idle.push(...s))]);
    assert.equal(idle.length, 200);
    await work(5);
    await Promise.all(idle.map((s) => new Promise<void>((r) => {
      s.once('close', () => r());
      s.destroy();
    })));
    idle.length = 0;
    await work(5);
    assert.equal(ok, 30);
  } finally {
    for (const s of idle) s.destroy();
    client.close();
  }
  await assertServing();
});

test('a partial frame followed by a close leaves the broker serving', T, async () => {
  for (const { port } of ports()) {
    const conn = await RawConn.open(port);
    const full = encodeCommand(request(RequestCode.GET_BROKER_CLUSTER_INFO, null));
    conn.write(full.subarray(0, full.length - 3));
    conn.socket.end();
    await conn.waitClosed();
    conn.close();
  }
  await assertServing();
});
