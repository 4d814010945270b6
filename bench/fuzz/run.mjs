#!/usr/bin/env node
// Long fuzz run: the decoder fuzz targets (test/fuzz/targets.ts, 1,000,000 inputs by default) in a
// worker thread, while a real broker on 127.0.0.1 gets random and mutated frames on its broker and
// name server ports over many short connections, and a well-formed client keeps sending, pulling
// and checking its messages. Prints inputs/s, any crash or hang, the client's success count, and
// writes bench/results/<date>-fuzz.md.
//
//   npx tsc -p . && node bench/fuzz/run.mjs [--inputs N] [--seed S] [--after-seconds T]
//        [--attackers K] [--client-pause-ms P] [--wait-idle SEC] [--max-minutes M] [--root DIR] [--no-write]
//
// --wait-idle: first wait up to SEC seconds for the machine to be idle (under 25 % CPU busy over 3 s).
//
// --root: where dist/ and bin/ are (default: this repository), to fuzz a build kept apart.
// Everything is bounded: the run stops by itself after the inputs and the after-phase, or at
// --max-minutes. Traffic goes to 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

// ---------------------------------------------------------------------------------------------
// Options.

function option(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}
const flag = (name) => process.argv.includes(`--${name}`);

const INPUTS = Number(option('inputs', process.env.FUZZ_INPUTS ?? 1_000_000));
const SEED = Number(option('seed', process.env.FUZZ_SEED ?? (Math.random() * 2 ** 31) | 0)) | 0;
const AFTER_S = Number(option('after-seconds', 60));
const ATTACKERS = Number(option('attackers', 6));
const MAX_MIN = Number(option('max-minutes', 90));
const CLIENT_PAUSE_MS = Number(option('client-pause-ms', 2));
const WAIT_IDLE_S = Number(option('wait-idle', 0));
const ROOT = path.resolve(option('root', REPO));
const WRITE = !flag('no-write');

const need = ['dist/test/fuzz/fuzz-worker.js', 'dist/test/helpers/ferry-process.js', 'dist/src/shared/remoting/command.js', 'bin/ferrymq.js'];
for (const f of need) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    process.stderr.write(`missing ${f}: build first (npx tsc -p .)\n`);
    process.exit(2);
  }
}
const load = (p) => import(pathToFileURL(path.join(ROOT, p)).href);
const { FerryProcess } = await load('dist/test/helpers/ferry-process.js');
const { WireClient, decodeRecords } = await load('dist/test/helpers/wire-client.js');
const { TARGETS } = await load('dist/test/fuzz/targets.js');
const { runInWorker } = await load('dist/test/fuzz/fuzz-worker.js');
const { decodeCommand, encodeCommand } = await load('dist/src/shared/remoting/command.js');
const { FrameDecoder } = await load('dist/src/shared/remoting/frame-decoder.js');
const { encodeBatch } = await load('dist/src/shared/storage/batch.js');

const fcVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/fast-check/package.json'), 'utf8')).version;
const deadline = Date.now() + MAX_MIN * 60_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => process.stdout.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------
// A seeded PRNG for the network fuzzer.

let rngState = SEED ^ 0x9e3779b9;
function rand() {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rand() < p;
function randomBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}
function randomText(n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rand();
    s += r < 0.7 ? String.fromCharCode(0x20 + int(95)) : r < 0.85 ? String.fromCharCode(int(32)) : r < 0.95 ? String.fromCharCode(0xa0 + int(0x2000)) : String.fromCodePoint(0x10000 + int(0x1000));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Requests the network fuzzer builds (then mutates). Names are from a pool of its own, so it
// never touches the well-formed client's topic and group.

const HEALTH_TOPIC = 'FuzzHealth';
const HEALTH_GROUP = 'fuzz_health_cg';
const TOPICS = ['fzT0', 'fzT1', 'fzT2', 'fzT3', 'TBW102', 'SCHEDULE_TOPIC_XXXX', 'SELF_TEST_TOPIC', '%RETRY%fzG0', '%DLQ%fzG0', 'bad topic', 'x'.repeat(130), ''];
const GROUPS = ['fzG0', 'fzG1', 'fzG2', 'CID_ONSAPI_OWNER', '', 'bad group'];
/** Codes never sent: they change the broker's own config or the client's data on purpose. */
const FORBIDDEN = new Set([25, 222, 314, 205, 207, 215, 216, 104]);

const edgy = ['', '0', '-1', '1', '1.5', '-0.5', '2147483647', '2147483648', '-2147483649', '9007199254740993', '1e3', '1e400', 'NaN', 'Infinity', 'true', 'false', ' 3 ', '0x10', '__proto__', 'constructor', 'null', 'undefined'];
function val(good) {
  const r = rand();
  if (r < 0.6) return String(good);
  if (r < 0.85) return pick(edgy);
  if (r < 0.97) return randomText(int(20));
  return randomText(1000 + int(3000));
}
const topic = () => (chance(0.9) ? pick(TOPICS) : randomText(int(12)));
const group = () => (chance(0.9) ? pick(GROUPS) : randomText(int(12)));
const maybe = (ext, key, v) => {
  if (chance(0.93)) ext[key] = v;
};

function props() {
  const parts = [];
  if (chance(0.5)) parts.push(`TAGS\u0001${pick(['TagA', 'TagB', '', '*', randomText(5)])}`);
  if (chance(0.4)) parts.push(`KEYS\u0001${randomText(int(10))}`);
  if (chance(0.2)) parts.push(`DELAY\u0001${pick(['1', '3', '18', '19', '-1', 'x'])}`);
  if (chance(0.2)) parts.push(`TRAN_MSG\u0001${pick(['true', 'false'])}`);
  if (chance(0.2)) parts.push(`UNIQ_KEY\u0001${randomText(int(32))}`);
  if (chance(0.1)) parts.push(randomText(int(40)));
  if (chance(0.05)) parts.push(`BIG\u0001${'p'.repeat(33000)}`);
  return parts.join('\u0002');
}

function heartbeatBody() {
  const sub = () => ({ topic: topic(), subString: pick(['*', 'TagA || TagB', '', 5, null, ['a'], { x: 1 }, randomText(8)]), expressionType: pick(['TAG', 'SQL92', '', 3]), subVersion: pick([1, -1, '7', 1.5, null]), tagsSet: pick([[], ['TagA'], null, 'x']), codeSet: pick([[], [1], null]) });
  const o = {
    clientID: pick(['127.0.0.1@1', randomText(10), '', 7]),
    producerDataSet: chance(0.5) ? [{ groupName: group() }] : pick([[], null, 'x', [null]]),
    consumerDataSet: chance(0.8)
      ? [{ groupName: group(), consumeType: pick(['CONSUME_PASSIVELY', 'CONSUME_ACTIVELY', 1, '']), messageModel: pick(['CLUSTERING', 'BROADCASTING', 0]), consumeFromWhere: pick(['CONSUME_FROM_LAST_OFFSET', 'CONSUME_FROM_FIRST_OFFSET', 9]), subscriptionDataSet: chance(0.9) ? Array.from({ length: int(4) }, sub) : pick([null, 'x', [null]]), unitMode: pick([false, true, 'x']) }]
      : pick([[], null, {}]),
  };
  return Buffer.from(chance(0.9) ? JSON.stringify(o) : JSON.stringify(o).slice(0, int(60)));
}

const jsonBody = (o) => Buffer.from(JSON.stringify(o));

/** [code, ext, body] for a random request to the broker port. */
function brokerRequest() {
  const r = int(30);
  const e = {};
  switch (r) {
    case 0: case 1: case 2: case 3: {
      const v2 = r < 3;
      const k = v2 ? 'abcdefghijklm'.split('') : ['producerGroup', 'topic', 'defaultTopic', 'defaultTopicQueueNums', 'queueId', 'sysFlag', 'bornTimestamp', 'flag', 'properties', 'reconsumeTimes', 'unitMode', 'maxReconsumeTimes', 'batch'];
      const vals = [group() || 'fzPG', topic(), 'TBW102', 4, int(6) - 1, pick([0, 0, 0, 1, 4, 8, 12, 16, 32, int(256)]), Date.now(), int(3), props(), int(3), false, pick([-1, 3, 16]), false];
      k.forEach((key, i) => maybe(e, key, val(vals[i])));
      const body = chance(0.02) ? Buffer.alloc(4 * 1024 * 1024 + 1 + int(10), 0x61) : chance(0.05) ? null : randomBytes(int(300));
      return [v2 ? (chance(0.8) ? 310 : 325) : 10, e, body];
    }
    case 4: {
      'abcdefghijklm'.split('').forEach((key, i) => maybe(e, key, val([group() || 'fzPG', topic(), 'TBW102', 4, int(5) - 1, 0, Date.now(), 0, props(), 0, false, -1, true][i])));
      const msgs = Array.from({ length: int(5) }, () => ({ flag: int(4), body: randomBytes(int(100)), properties: Buffer.from(props().slice(0, 200)) }));
      let body = encodeBatch(msgs);
      if (chance(0.4)) body = mutateBytes(body);
      return [320, e, body];
    }
    case 5: case 6: case 7: {
      const keys = { consumerGroup: group(), topic: topic(), queueId: int(6) - 1, queueOffset: pick([0, 1, 5, -1, 1e15]), maxMsgNums: pick([1, 32, 0, -5, 100000]), sysFlag: pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 31]), commitOffset: pick([0, 3, -1]), suspendTimeoutMillis: pick([0, 100, 500, 15000]), subscription: pick(['*', 'TagA', 'TagA || TagB', '', 'a = 1', randomText(10)]), subVersion: pick([0, Date.now(), -1]), expressionType: pick(['TAG', 'SQL92', '', 'XX']), maxMsgBytes: pick([0, 1024]) };
      for (const [k, v] of Object.entries(keys)) maybe(e, k, val(v));
      return [r === 7 ? 361 : 11, e, null];
    }
    case 8: case 9:
      return [34, null, heartbeatBody()];
    case 10:
      for (const [k, v] of Object.entries({ clientID: randomText(8), producerGroup: group(), consumerGroup: group() })) maybe(e, k, val(v));
      return [35, e, null];
    case 11: case 12: {
      const code = pick([14, 15, 30, 31, 32, 29, 33, 38, 43, 45]);
      for (const [k, v] of Object.entries({ consumerGroup: group(), topic: topic(), queueId: int(5) - 1, commitOffset: int(10), timestamp: Date.now() - int(1e6), offset: pick([0, 1, 200, -1, 1e12]) })) maybe(e, k, val(v));
      return [code, e, null];
    }
    case 13: {
      const mqs = Array.from({ length: int(4) }, () => ({ topic: topic(), brokerName: pick(['broker-a', randomText(4)]), queueId: int(5) - 1 }));
      return [pick([41, 42]), null, jsonBody({ consumerGroup: group(), clientId: randomText(6), mqSet: chance(0.8) ? mqs : pick([null, 'x', {}]) })];
    }
    case 14:
      for (const [k, v] of Object.entries({ offset: int(1e6), group: group(), delayLevel: int(20) - 1, originMsgId: randomText(32), originTopic: topic(), unitMode: false, maxReconsumeTimes: 16 })) maybe(e, k, val(v));
      return [36, e, null];
    case 15:
      for (const [k, v] of Object.entries({ producerGroup: group(), tranStateTableOffset: int(100), commitLogOffset: int(1e6), commitOrRollback: pick([0, 4, 8, 12]), fromTransactionCheck: false, msgId: randomText(32), transactionId: randomText(8) })) maybe(e, k, val(v));
      return [37, e, null];
    case 16:
      for (const [k, v] of Object.entries({ topic: topic(), key: randomText(5), maxNum: int(64), beginTimestamp: 0, endTimestamp: Date.now() })) maybe(e, k, val(v));
      return [12, e, null];
    case 17: case 18: {
      const code = pick([21, 26, 28, 201, 202, 203, 204, 208, 300, 303, 305, 307, 315, 317, 46, 316, 221, 223, 322]);
      for (const [k, v] of Object.entries({ topic: topic(), consumerGroup: group(), group: group(), clientId: randomText(6), statsName: 'TOPIC_PUT_NUMS', statsKey: topic(), isOrder: false, timeoutMillis: 1000 })) maybe(e, k, val(v));
      return [code, e, chance(0.3) ? jsonBody({ group: group(), topic: topic(), x: [1, 2] }) : null];
    }
    case 19: {
      const t = pick(['fzT0', 'fzT1', 'fzT2', 'fzT3', '%RETRY%fzG0', randomText(6)]);
      for (const [k, v] of Object.entries({ topic: t, defaultTopic: 'TBW102', readQueueNums: int(10) - 1, writeQueueNums: int(10) - 1, perm: pick([6, 2, 4, 0, 7, 99]), topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false })) maybe(e, k, val(v));
      return [17, e, null];
    }
    case 20:
      return [200, null, chance(0.8) ? jsonBody({ groupName: pick(['fzG0', 'fzG1', 'fzG2', randomText(5)]), consumeEnable: pick([true, false, 'x']), retryQueueNums: int(3) - 1, retryMaxTimes: int(20) - 1, brokerId: 0, whichBrokerWhenConsumeSlowly: 1 }) : randomBytes(int(80))];
    case 21:
      return [pick([1, 2, 3, 99, 1000, 9999, 20000, 32767, -1, 200050, 0]), chance(0.5) ? { topic: topic() } : null, chance(0.5) ? randomBytes(int(50)) : null];
    default: {
      const code = pick([10, 11, 14, 15, 17, 21, 28, 30, 34, 35, 36, 37, 38, 41, 42, 43, 200, 201, 202, 203, 208, 310, 320, 361]);
      const n = int(8);
      for (let i = 0; i < n; i++) e[pick(['topic', 'consumerGroup', 'queueId', 'a', 'b', 'e', 'f', 'group', randomText(4)])] = val(int(5));
      return [code, e, chance(0.5) ? randomBytes(int(200)) : null];
    }
  }
}

/** [code, ext, body] for a random request to the name server port. */
function namesrvRequest() {
  const e = {};
  const r = int(10);
  if (r < 3) {
    for (const [k, v] of Object.entries({ brokerName: pick(['fzBroker', randomText(5)]), brokerAddr: pick(['127.0.0.1:1', '10.0.0.1:10911', randomText(10)]), clusterName: pick(['fzCluster', 'DefaultCluster']), haServerAddr: '127.0.0.1:2', brokerId: pick([0, 1, -1]), compressed: pick(['false', 'false', 'true']), bodyCrc32: pick([0, 0, 12345]) })) maybe(e, k, val(v));
    const body = { topicConfigSerializeWrapper: { dataVersion: { counter: int(100), timestamp: Date.now() }, topicConfigTable: Object.fromEntries(Array.from({ length: int(4) }, () => { const t = topic(); return [t, { topicName: t, readQueueNums: int(20) - 1, writeQueueNums: int(20) - 1, perm: pick([6, 7, 0]), order: false }]; })) }, filterServerList: pick([[], null, ['x']]) };
    return [103, e, chance(0.85) ? jsonBody(body) : randomBytes(int(200))];
  }
  if (r < 5) {
    maybe(e, 'topic', val(topic()));
    maybe(e, 'acceptStandardJsonOnly', val('true'));
    return [105, e, null];
  }
  if (r < 6) {
    for (const [k, v] of Object.entries({ namespace: pick(['ORDER_TOPIC_CONFIG', 'fzNs', '']), key: topic(), value: randomText(10) })) maybe(e, k, val(v));
    return [pick([100, 101, 102, 219]), e, null];
  }
  if (r < 7) {
    for (const [k, v] of Object.entries({ brokerName: 'fzBroker', brokerAddr: '127.0.0.1:1', clusterName: 'fzCluster', brokerId: 0 })) maybe(e, k, val(v));
    return [322, e, chance(0.7) ? jsonBody({ counter: int(10), timestamp: Date.now() }) : randomBytes(int(40))];
  }
  if (r < 8) return [pick([106, 206, 224, 304, 319, 327]), chance(0.5) ? { cluster: 'DefaultCluster', brokerName: 'fzBroker' } : null, null];
  if (r < 9) return [318, null, Buffer.from(`${randomText(5)}=${randomText(5)}\n`)];
  return [pick([1, 9999, 0, -7, 32000]), null, chance(0.5) ? randomBytes(int(30)) : null];
}

// ---------------------------------------------------------------------------------------------
// Mutations at the frame level.

function mutateBytes(b) {
  const out = Buffer.from(b);
  const n = 1 + int(6);
  for (let i = 0; i < n && out.length > 0; i++) {
    const r = rand();
    const at = int(out.length);
    if (r < 0.6) out[at] = int(256);
    else if (r < 0.8 && out.length >= 4) out.writeInt32BE(pick([0, -1, 1, 3, 4, 0x7fffffff, -0x80000000, 0xffffff, 21, out.length, out.length + 1]), Math.min(at, out.length - 4));
    else out[at] ^= 1 << int(8);
  }
  return out;
}

let opaque = 1;
/** A frame and whether it is a well-formed request we expect an answer to (and not a close). */
function nextFrame(port, ports) {
  const toNs = port === ports.namesrv;
  const [code, ext, body] = toNs ? namesrvRequest() : brokerRequest();
  const oneway = chance(0.08);
  const serializeType = chance(0.3) ? 1 : 0;
  const cmd = { code, language: int(14), version: pick([409, 317, 121, 0, 500]), opaque: opaque++ | 0, flag: oneway ? 2 : 0, remark: chance(0.05) ? randomText(10) : null, extFields: ext, serializeType, body };
  if (serializeType === 1 && (code < -32768 || code > 32767)) cmd.serializeType = 0;
  let frame;
  try {
    frame = encodeCommand(cmd);
  } catch {
    return { frame: randomBytes(8 + int(40)), wellFormed: false, cmd: null };
  }
  const r = rand();
  if (r < 0.55) return { frame, wellFormed: true, cmd };
  let bad;
  if (r < 0.8) bad = mutateBytes(frame);
  else if (r < 0.87) bad = frame.subarray(0, int(frame.length));
  else if (r < 0.92) {
    bad = Buffer.from(frame);
    bad[4] = pick([2, 3, 0x7f, 0xff]);
  } else if (r < 0.96) bad = randomBytes(int(64));
  else {
    // JSON header text with noise
    const h = encodeCommand({ ...cmd, serializeType: 0, body: null }).subarray(8).toString('utf8');
    const at = int(h.length);
    const t = Buffer.from(h.slice(0, at) + pick(['{', '}', '"', ',', ':', '\\', '[', 'null', '1e9', '\u0000']) + h.slice(at + int(3)), 'utf8');
    bad = Buffer.alloc(8 + t.length);
    bad.writeInt32BE(4 + t.length, 0);
    bad.writeInt32BE(t.length, 4);
    t.copy(bad, 8);
  }
  // never send what decodes to a forbidden code
  try {
    if (bad.length >= 8 && FORBIDDEN.has(decodeCommand(bad.subarray(4, 4 + Math.max(0, bad.readInt32BE(0)))).code)) return nextFrame(port, ports);
  } catch {
    // not decodable: fine to send
  }
  return { frame: bad, wellFormed: false, cmd: null };
}

// ---------------------------------------------------------------------------------------------
// Counters and findings.

const net_ = { connections: 0, connectErrors: 0, frames: 0, wellFormed: 0, bytes: 0, responses: 0, closedByBroker: 0, codes: new Map() };
const findings = new Map(); // kind -> { count, samples[] }
function finding(kind, sample) {
  let f = findings.get(kind);
  if (!f) findings.set(kind, (f = { count: 0, samples: [] }));
  f.count++;
  if (f.samples.length < 5 && sample !== undefined) f.samples.push(sample);
}
const INTERNAL_ERROR = /Cannot read prop|is not a function|is not iterable|undefined is not|of undefined|of null|Maximum call stack|Invalid array length|ERR_[A-Z_]+|is not defined|out of range|Cannot convert|Invalid (typed )?array/;
/** Requests a broker legitimately sends to a client that registered by HEART_BEAT. */
const SERVER_REQUESTS = new Set([39, 40, 220, 307, 309]);
const serverRequests = new Map();

const describeCmd = (c) => (c ? `code ${c.code}, ${c.serializeType ? 'ROCKETMQ' : 'JSON'}${c.flag & 2 ? ', oneway' : ''}, ext ${JSON.stringify(c.extFields)?.slice(0, 300)}, body ${c.body ? c.body.length : 0} B` : 'mutated');

/** One short connection: a few frames, read until answered, closed, or a bound. */
async function attack(port, ports) {
  const frames = Array.from({ length: 1 + int(chance(0.2) ? 6 : 2) }, () => nextFrame(port, ports));
  const halfClose = chance(0.3);
  const expected = new Map();
  for (const f of frames) if (f.wellFormed && !(f.cmd.flag & 2)) expected.set(f.cmd.opaque, f.cmd);
  const onewayOpaques = new Set(frames.filter((f) => f.wellFormed && f.cmd.flag & 2).map((f) => f.cmd.opaque));
  const allWellFormed = frames.every((f) => f.wellFormed);
  net_.connections++;
  await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(finish, 1500);
    s.on('error', (e) => {
      if (!s.connecting && e.code !== 'ECONNRESET' && e.code !== 'EPIPE') finding('socket error', e.message);
      if (s.connecting || e.code === 'ECONNREFUSED') net_.connectErrors++;
      finish();
    });
    s.on('close', () => {
      if (!done) {
        net_.closedByBroker++;
        // (after our own half-close the broker may close before answering, as Java does)
        if (allWellFormed && expected.size > 0 && !halfClose) finding('well-formed request answered by closing the connection', frames.map((f) => describeCmd(f.cmd)).join(' | '));
      }
      finish();
    });
    s.on('data', (chunk) => {
      try {
        decoder.push(chunk, (fr) => {
          const res = decodeCommand(fr);
          net_.responses++;
          net_.codes.set(res.code, (net_.codes.get(res.code) ?? 0) + 1);
          if (!(res.flag & 1)) {
            if (SERVER_REQUESTS.has(res.code)) return void serverRequests.set(res.code, (serverRequests.get(res.code) ?? 0) + 1);
            return finding('broker sent an unexpected request on a fuzz connection', `code ${res.code}`);
          }
          if (onewayOpaques.has(res.opaque)) finding('oneway request answered', describeCmd(frames.find((f) => f.cmd?.opaque === res.opaque)?.cmd));
          const req = expected.get(res.opaque);
          if (!req) return;
          expected.delete(res.opaque);
          if (res.serializeType !== req.serializeType) finding('response serialize type differs from the request', `${describeCmd(req)} -> code ${res.code}`);
          if (res.remark && INTERNAL_ERROR.test(res.remark)) finding(`internal error text in a response: ${res.remark.slice(0, 120)}`, describeCmd(req));
          if (expected.size === 0 && chance(0.9)) finish();
        });
      } catch (e) {
        finding('undecodable response from the broker', e.message);
        finish();
      }
    });
    s.once('connect', () => {
      (async () => {
        for (const f of frames) {
          if (done) return;
          net_.frames++;
          if (f.wellFormed) net_.wellFormed++;
          net_.bytes += f.frame.length;
          if (chance(0.2) && f.frame.length > 1) {
            const cut = 1 + int(f.frame.length - 1);
            s.write(f.frame.subarray(0, cut));
            await new Promise((r) => setImmediate(r));
            if (!done) s.write(f.frame.subarray(cut));
          } else s.write(f.frame);
        }
        if (halfClose && !done) s.end();
      })().catch(() => {});
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The well-formed client.

const health = { ok: 0, fail: 0, sentinelChecks: 0, failures: [] };
async function pullAt(c, queueId, offset) {
  for (let i = 0; i < 100; i++) {
    const r = await c.pull(HEALTH_GROUP, HEALTH_TOPIC, queueId, offset, { max: 1, sysFlag: 0x4 | 0x2, suspendMs: 3000 });
    if (r.code === 0) return r;
    // acknowledged but not yet in the ConsumeQueue: the offset is still past the queue's max
    if (r.code === 21 && Number(r.extFields?.maxOffset) <= offset) {
      await sleep(10);
      continue;
    }
    if (r.code !== 19) throw new Error(`pull ${queueId}@${offset}: ${r.code} ${r.remark} ${JSON.stringify(r.extFields)}`);
  }
  throw new Error(`message ${queueId}@${offset} never became pullable`);
}
async function healthRound(c, i) {
  const body = `health-${SEED}-${i}`;
  const q = i % 4;
  const s = await c.send(HEALTH_TOPIC, body, { queueId: q, keys: `k${i}`, tags: 'H' });
  if (s.code !== 0) throw new Error(`send: ${s.code} ${s.remark}`);
  const got = decodeRecords((await pullAt(c, q, Number(s.extFields.queueOffset))).body)[0];
  if (got?.body.toString() !== body) throw new Error(`pulled ${got?.body.toString()} instead of ${body}`);
  if (got.properties.get('KEYS') !== `k${i}`) throw new Error('KEYS lost');
  if (i % 50 === 0) {
    const sentinel = decodeRecords((await pullAt(c, 0, 0)).body)[0];
    if (sentinel?.body.toString() !== `sentinel-${SEED}`) throw new Error(`sentinel is ${sentinel?.body.toString()}`);
    health.sentinelChecks++;
  }
}
async function healthLoop(ferry, stop) {
  let i = 1;
  let c = null;
  while (!stop.stopped) {
    try {
      if (!c || c.client.closed) c = await WireClient.connect(ferry.brokerAddr);
      await healthRound(c, i);
      health.ok++;
      if (CLIENT_PAUSE_MS > 0) await sleep(CLIENT_PAUSE_MS);
    } catch (e) {
      health.fail++;
      if (health.failures.length < 20) health.failures.push(`#${i} at ${new Date().toISOString()}: ${e.message}`);
      c?.close();
      c = null;
      await sleep(200);
    }
    i++;
  }
  c?.close();
}

// ---------------------------------------------------------------------------------------------
// The run.

function machineFacts() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    // not a git checkout
  }
  return { cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`, mem: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`, os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version, fastCheck: fcVersion, commit };
}

function cpuTimes() {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}
async function busyPercent(ms) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return Math.round((100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total));
}

const facts = machineFacts();
const idleT0 = Date.now();
let busyAtStart = await busyPercent(3000);
if (WAIT_IDLE_S > 0 && busyAtStart >= 25) log(`machine ${busyAtStart}% busy: waiting up to ${WAIT_IDLE_S} s for it to be idle`);
while (WAIT_IDLE_S > 0 && busyAtStart >= 25 && Date.now() - idleT0 < WAIT_IDLE_S * 1000) busyAtStart = await busyPercent(3000);
const waitedIdleS = Math.round((Date.now() - idleT0) / 1000);
const loadStart = os.loadavg();
const t0 = Date.now();
log(`ferry fuzz: ${INPUTS} decoder inputs, seed ${SEED}, ${ATTACKERS} network attackers, after-phase ${AFTER_S}s`);
log(`machine: ${facts.cpu}, ${facts.mem}, ${facts.os}, node ${facts.node}; load ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);

const ferry = await FerryProcess.start();
const ports = { broker: ferry.brokerPort, namesrv: ferry.namesrvPort };
{
  const c = await WireClient.connect(ferry.brokerAddr);
  if ((await c.createTopic(HEALTH_TOPIC, 4)).code !== 0) throw new Error('cannot create the health topic');
  const s = await c.send(HEALTH_TOPIC, `sentinel-${SEED}`, { queueId: 0 });
  if (s.code !== 0 || s.extFields.queueOffset !== '0') throw new Error(`sentinel send: ${s.code} ${s.remark}`);
  await pullAt(c, 0, 0);
  c.close();
}

const stopNet = { stopped: false };
const stopHealth = { stopped: false };
let crashed = null;
const watch = setInterval(() => {
  if (ferry.exitCode !== null && !crashed) {
    crashed = `broker exited with ${ferry.exitCode}`;
    stopNet.stopped = true;
    stopHealth.stopped = true;
  }
}, 250);

async function attacker() {
  while (!stopNet.stopped && Date.now() < deadline) await attack(chance(0.75) ? ports.broker : ports.namesrv, ports);
}
const attackers = Array.from({ length: ATTACKERS }, () => attacker());
const healthDone = healthLoop(ferry, stopHealth);

// decoder fuzz, weighted over the targets
const totalWeight = TARGETS.reduce((s, t) => s + t.weight, 0);
const specs = TARGETS.map((t) => ({ name: t.name, runs: Math.max(1, Math.round((INPUTS * t.weight) / totalWeight)) }));
const plannedInputs = specs.reduce((s, x) => s + x.runs, 0);
const progress = new Map();
const targetMs = new Map();
const targetViolations = new Map();
let lastPrint = Date.now();
const fuzzT0 = Date.now();
const decoderFailures = [];
let decoderHang = null;
let decoderError = null;
let remaining = specs;
while (remaining.length > 0 && Date.now() < deadline && !crashed) {
  let r;
  try {
    r = await runInWorker(remaining, {
      seed: SEED,
      chunk: 5000,
      hangMs: 30_000,
      stopAtFailure: false,
      onMessage: (m) => {
        if (m.kind === 'progress') progress.set(m.target, m.done);
        if (m.kind === 'target-done') {
          progress.set(m.target, m.runs);
          targetMs.set(m.target, m.ms);
          targetViolations.set(m.target, m.violations);
        }
        if (m.kind === 'failure') decoderFailures.push(m.failure);
        if (Date.now() - lastPrint > 10_000) {
          lastPrint = Date.now();
          const done = [...progress.values()].reduce((a, b) => a + b, 0);
          log(`  ${((Date.now() - t0) / 1000).toFixed(0)}s: decoder inputs ${done}/${plannedInputs} (${Math.round(done / ((Date.now() - fuzzT0) / 1000))}/s), net ${net_.connections} conns ${net_.frames} frames, client ok ${health.ok} fail ${health.fail}, load ${os.loadavg()[0].toFixed(2)}`);
        }
      },
    });
  } catch (e) {
    decoderError = e.message;
    break;
  }
  if (!r.hang) break;
  decoderHang = r.hang;
  log(`  HANG in decoder target "${r.hang.target}" after ${r.hang.done} inputs`);
  remaining = remaining.slice(remaining.findIndex((s) => s.name === r.hang.target) + 1);
}
const fuzzMs = Date.now() - fuzzT0;
const decoderInputs = [...progress.values()].reduce((a, b) => a + b, 0);
const healthDuring = { ok: health.ok, fail: health.fail };
const netDuring = net_.connections;
log(`decoders: ${decoderInputs} inputs in ${(fuzzMs / 1000).toFixed(1)}s = ${Math.round(decoderInputs / (fuzzMs / 1000))} inputs/s; ${decoderFailures.length} failures${decoderHang ? ', 1 hang' : ''}`);

// after-phase: the network fuzz and the client go on alone
const afterEnd = Math.min(Date.now() + AFTER_S * 1000, deadline);
while (Date.now() < afterEnd && !crashed) await sleep(250);
stopNet.stopped = true;
await Promise.all(attackers);
await sleep(500);
stopHealth.stopped = true;
await healthDone;
clearInterval(watch);

// final checks on fresh connections
const final = { send: false, sentinel: false, namesrv: false, stopCode: null, errorLogs: [] };
if (!crashed) {
  try {
    const c = await WireClient.connect(ferry.brokerAddr);
    await healthRound(c, 1_000_000_000 + 50 * 3);
    final.send = true;
    final.sentinel = decodeRecords((await pullAt(c, 0, 0)).body)[0]?.body.toString() === `sentinel-${SEED}`;
    c.close();
    const n = await WireClient.connect(ferry.namesrvAddr);
    final.namesrv = (await n.invoke(106, null)).code === 0;
    n.close();
  } catch (e) {
    finding('final check failed', e.message);
  }
}
for (const line of ferry.output.split('\n')) {
  const m = /"level":(50|60)/.test(line) ? line : null;
  if (m) final.errorLogs.push(line.replace(/"(time|pid|hostname)":[^,]*,/g, '').slice(0, 400));
}
const outputTail = ferry.output.split('\n').slice(-30).join('\n');
if (!crashed) {
  const stopping = ferry.stop();
  final.stopCode = await Promise.race([stopping, sleep(20_000).then(() => 'no exit in 20s')]);
}
await ferry.dispose();
const totalS = (Date.now() - t0) / 1000;
const loadEnd = os.loadavg();

// ---------------------------------------------------------------------------------------------
// Report.

const knownBugFailures = decoderFailures.filter((f) => f.knownBug);
const newFailures = decoderFailures.filter((f) => !f.knownBug);
const bad = crashed || decoderHang || decoderError || newFailures.length > 0 || health.fail > 0 || !final.send || !final.sentinel || !final.namesrv || [...findings.keys()].length > 0;
const codes = [...net_.codes].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([c, n]) => `${c}:${n}`).join(' ');
const lines = [];
lines.push(`# Fuzz run ${new Date(t0).toISOString().slice(0, 10)}`, '');
lines.push('Decoder fuzzing (test/fuzz/targets.ts, fast-check) in a worker thread, while a real broker on 127.0.0.1 received random and mutated frames on its broker and name server ports over many short connections and a well-formed client kept sending, pulling and checking its messages.', '');
lines.push('## Machine', '');
lines.push(`| | |`, `|---|---|`, `| CPU | ${facts.cpu} |`, `| memory | ${facts.mem} |`, `| OS | ${facts.os} |`, `| Node | ${facts.node} |`, `| fast-check | ${facts.fastCheck} |`, `| commit | ${facts.commit} (plus the working tree) |`, `| load average at start / end (1, 5, 15 min) | ${loadStart.map((x) => x.toFixed(2)).join(' ')} / ${loadEnd.map((x) => x.toFixed(2)).join(' ')} |`, `| CPU busy just before the start (3 s) | ${busyAtStart} %${WAIT_IDLE_S > 0 ? ` (after waiting ${waitedIdleS} s for idle, at most ${WAIT_IDLE_S} s)` : ''} |`, '');
lines.push('## Command', '', '```', `npx tsc -p . && node bench/fuzz/run.mjs --inputs ${INPUTS} --seed ${SEED} --after-seconds ${AFTER_S} --attackers ${ATTACKERS} --client-pause-ms ${CLIENT_PAUSE_MS}${WAIT_IDLE_S ? ` --wait-idle ${WAIT_IDLE_S}` : ''}`, '```', '');
lines.push('## Figures', '');
lines.push(`| | |`, `|---|---|`);
lines.push(`| verdict | ${bad ? '**findings, see below**' : 'no crash, no hang, no unexpected failure'} |`);
lines.push(`| wall time | ${totalS.toFixed(0)} s (decoders ${(fuzzMs / 1000).toFixed(0)} s, then ${AFTER_S} s of network fuzz alone) |`);
lines.push(`| decoder inputs | ${decoderInputs} of ${plannedInputs} planned, ${Math.round(decoderInputs / (fuzzMs / 1000))} inputs/s (one worker thread, sharing 2 cores with the broker and the network fuzz) |`);
lines.push(`| decoder failures | ${newFailures.length} unexpected, ${knownBugFailures.length} from known broker bugs |`);
lines.push(`| decoder hang | ${decoderHang ? `yes: ${decoderHang.target} after ${decoderHang.done} inputs` : 'none'}${decoderError ? `; worker error: ${decoderError}` : ''} |`);
lines.push(`| broker crash | ${crashed ?? 'none'} |`);
lines.push(`| network fuzz | ${net_.connections} connections (${netDuring} during the decoder run), ${net_.frames} frames (${net_.wellFormed} well-formed requests), ${(net_.bytes / 2 ** 20).toFixed(1)} MiB, ${net_.responses} responses, ${net_.closedByBroker} connections closed by the broker, ${net_.connectErrors} connect errors |`);
lines.push(`| response codes (top) | ${codes} |`);
lines.push(`| broker-to-client requests seen | ${[...serverRequests].map(([c, n]) => `${c}:${n}`).join(' ') || 'none'} (after fuzz HEART_BEATs) |`);
lines.push(`| well-formed client | ${health.ok} send+pull+check rounds ok, ${health.fail} failed (${healthDuring.ok} ok / ${healthDuring.fail} failed during the decoder run); sentinel checked ${health.sentinelChecks} times |`);
lines.push(`| final checks | send+pull ${final.send ? 'ok' : 'FAILED'}, message stored before the run ${final.sentinel ? 'still pullable' : 'LOST'}, name server ${final.namesrv ? 'ok' : 'FAILED'}, graceful stop exit code ${final.stopCode} |`);
lines.push(`| broker error-level log lines | ${final.errorLogs.length} |`, '');
lines.push('## Decoder targets', '', 'After a target\'s first failure (shrunk and listed below) its other inputs are still run and the violations counted.', '', '| target | inputs | violations | ms |', '|---|---:|---:|---:|');
for (const s of specs) lines.push(`| ${s.name}${TARGETS.find((t) => t.name === s.name)?.knownBug ? ' (known bug)' : ''} | ${progress.get(s.name) ?? 0} | ${targetViolations.get(s.name) ?? '-'} | ${targetMs.get(s.name) ?? '-'} |`);
lines.push('');
if (decoderFailures.length) {
  lines.push('## Decoder failures', '');
  for (const f of decoderFailures) lines.push(`- **${f.target}**${f.knownBug ? ` (known: ${f.knownBug})` : ''}: ${f.error.split('\n')[0].slice(0, 300)}  `, `  counterexample \`${f.counterexample.slice(0, 400)}\`, fast-check seed ${f.seed}, path ${f.path}`);
  lines.push('');
}
if (findings.size) {
  lines.push('## Network findings', '');
  for (const [k, f] of findings) {
    lines.push(`- ${k}: ${f.count}×`);
    for (const s of f.samples) lines.push(`  - \`${String(s).slice(0, 400).replace(/`/g, "'")}\``);
  }
  lines.push('');
}
if (health.failures.length) lines.push('## Client failures', '', ...health.failures.map((f) => `- ${f}`), '');
if (final.errorLogs.length) {
  const distinct = new Map();
  for (const l of final.errorLogs) {
    const key = (/"msg":"([^"]*)"/.exec(l)?.[1] ?? l).slice(0, 100);
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  lines.push('## Broker error-level logs (distinct messages)', '', ...[...distinct].map(([k, n]) => `- ${n}× ${k}`), '', 'First lines:', '', '```', ...final.errorLogs.slice(0, 5), '```', '');
}
if (crashed) lines.push('## Broker output (tail)', '', '```', outputTail, '```', '');
/** No absolute paths of this machine in the report. */
function sanitize(text) {
  let out = text;
  for (const [p, name] of [[ferry.storeDir, '<store>'], [ROOT, '<root>'], [REPO, '<repo>'], [os.tmpdir(), '<tmp>'], [os.homedir(), '<home>']]) out = out.split(p).join(name);
  return out;
}
const report = sanitize(lines.join('\n'));

log('');
log(report);
if (WRITE) {
  const dir = path.join(REPO, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date(t0).toISOString().slice(0, 10)}-fuzz.md`);
  fs.writeFileSync(file, report + '\n');
  log(`written: ${path.relative(process.cwd(), file)}`);
}
process.exit(bad ? 1 : 0);
