#!/usr/bin/env node
// Soak: mixed load against one Ferry broker for a long time (default 30 min) with small CommitLog
// files and short retention, so that files are created and deleted all the time; pull consumers
// following every queue; idle connections and a consumer that stops reading its socket; periodic
// restarts, alternately kill -9 and graceful; the broker's RSS sampled every 10 s; and at the end a
// zero-loss check of every acknowledged message. Writes bench/results/<yyyy-mm-dd>-soak.md.
// Plain Node ESM; needs a built dist/ (npm run build). Traffic on 127.0.0.1 only.
//
// Zero loss means: every acknowledged message whose queue offset is still at or above its queue's
// min offset at the end is stored at exactly the queue offset and physical offset the broker
// acknowledged, with the body it was sent with, and was delivered to the consumer of its queue;
// acknowledged messages below the min offset were deleted by retention (counted, not lost). No
// message (acknowledged or not) is stored twice.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH);
const DIST = path.join(REPO, 'dist', 'src');
const RESULTS = path.join(BENCH, 'results');
const ALL_HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(';');

const HELP = `usage: node bench/soak.mjs [options]

  --minutes N          how long the load runs (default 30)
  --rate N             messages per second offered by all producers together (default 600)
  --producers N        producer connections (default 4), each with --window sends in flight (default 8)
  --topics N           topics (default 2), each with --queues queues (default 4)
  --file-size BYTES    mapedFileSizeCommitLog (default 4194304)
  --restart-every MIN  a restart every MIN minutes, alternately kill -9 and SIGTERM (default 5; 0 = never)
  --idle N             idle connections held open (default 200)
  --flush MODE         ASYNC_FLUSH (default) or SYNC_FLUSH
  --retention-ms MS    fileReservedTimeMillis (Ferry's fine-grained retention; default 60000), with
                       deleteWhen at every hour so that expired files go at every clean-up pass
  --broker-arg K=V     extra broker setting, repeatable (applied last)
  --out NAME           result file base name in bench/results (default <yyyy-mm-dd>-soak)
  --keep               keep the store and the broker log (bench/results/tmp/soak-*)
  -h, --help           this text
`;

function parseArgs(argv) {
  const o = {
    minutes: 30, rate: 600, producers: 4, window: 8, topics: 2, queues: 4, fileSize: 4 * 1024 * 1024, restartEvery: 5, idle: 200,
    flush: 'ASYNC_FLUSH', retentionMs: 60_000, brokerArgs: [], out: null, keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    const num = () => {
      const v = Number(next());
      if (!Number.isFinite(v) || v < 0) die(`${a} needs a non-negative number`);
      return v;
    };
    switch (a) {
      case '--minutes': o.minutes = num(); break;
      case '--rate': o.rate = num(); break;
      case '--producers': o.producers = Math.max(1, Math.floor(num())); break;
      case '--window': o.window = Math.max(1, Math.floor(num())); break;
      case '--topics': o.topics = Math.max(1, Math.floor(num())); break;
      case '--queues': o.queues = Math.max(1, Math.floor(num())); break;
      case '--file-size': o.fileSize = Math.floor(num()); break;
      case '--restart-every': o.restartEvery = num(); break;
      case '--idle': o.idle = Math.floor(num()); break;
      case '--flush': o.flush = next(); break;
      case '--retention-ms': o.retentionMs = Math.floor(num()); break;
      case '--broker-arg': o.brokerArgs.push(next()); break;
      case '--out': o.out = next(); break;
      case '--keep': o.keep = true; break;
      case '-h': case '--help': process.stdout.write(HELP); process.exit(0); break;
      default: die(`unknown option ${a}\n${HELP}`);
    }
  }
  if (!['ASYNC_FLUSH', 'SYNC_FLUSH'].includes(o.flush)) die('--flush must be ASYNC_FLUSH or SYNC_FLUSH');
  if (o.fileSize < 256 * 1024) die('--file-size must be at least 262144');
  return o;
}

function die(msg) {
  process.stderr.write(`soak: ${msg}\n`);
  process.exit(2);
}
const T0 = Date.now();
const elapsed = () => (Date.now() - T0) / 1000;
function log(msg) {
  process.stderr.write(`[soak ${fmtDur(elapsed())}] ${msg}\n`);
}
function fmtDur(s) {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${(s - m * 60).toFixed(0).padStart(2, '0')}`;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const opts = parseArgs(process.argv.slice(2));
for (const f of ['shared/storage/message.js', 'main/net/remoting-client.js', 'shared/remoting/command.js']) {
  if (!fs.existsSync(path.join(DIST, f))) die(`dist/src/${f} is missing: build first (npm run build)`);
}
const imp = (f) => import(pathToFileURL(path.join(DIST, f)).href);
const { RemotingClient } = await imp('main/net/remoting-client.js');
const { newRequest, encodeCommand } = await imp('shared/remoting/command.js');
const { decodeRecord } = await imp('shared/storage/message.js');
const { readInt } = await imp('shared/storage/longs.js');
const { decodeOffsetMsgId } = await imp('shared/storage/msgid.js');

const C = { SEND: 310, PULL: 11, CREATE_TOPIC: 17, MAX: 30, MIN: 31 };
const R = { SUCCESS: 0, SYSTEM_BUSY: 2, FLUSH_DISK_TIMEOUT: 10, SERVICE_NOT_AVAILABLE: 14, PULL_NOT_FOUND: 19, PULL_RETRY: 20, PULL_OFFSET_MOVED: 21 };

// ---------------------------------------------------------------------------------------------
// store, ports, broker process

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const workDir = path.join(RESULTS, 'tmp', `soak-${stamp}`);
const storeRoot = path.join(workDir, 'store');
const brokerLog = path.join(workDir, 'broker.log');
fs.mkdirSync(storeRoot, { recursive: true });

async function isFree(p) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
async function freePort(pair) {
  for (let i = 0; i < 500; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if ((await isFree(p)) && (!pair || (await isFree(p - 2)))) return p;
  }
  throw new Error('no free port');
}
const brokerPort = await freePort(true);
let namesrvPort = await freePort(false);
while (namesrvPort === brokerPort || namesrvPort === brokerPort - 2) namesrvPort = await freePort(false);
const brokerAddr = `127.0.0.1:${brokerPort}`;

const retentionArgs = [`fileReservedTimeMillis=${opts.retentionMs}`, `deleteWhen=${ALL_HOURS}`];
const brokerSettings = [
  `storePathRootDir=${storeRoot}`, `listenPort=${brokerPort}`, `namesrvListenPort=${namesrvPort}`, `namesrvAddr=127.0.0.1:${namesrvPort}`,
  'brokerIP1=127.0.0.1', `mapedFileSizeCommitLog=${opts.fileSize}`, `maxMessageSize=${Math.min(65536, opts.fileSize - 65536 * 2)}`,
  'mapedFileSizeConsumeQueue=60000', 'maxHashSlotNum=5000', 'maxIndexNum=20000', `flushDiskType=${opts.flush}`, 'networkWorkers=2', 'logLevel=info',
  ...retentionArgs, ...opts.brokerArgs,
];

let broker = null;
let lifetimes = []; // { start, end, how, pid, rss: [[t, kB]] }
let current = null;
const events = [];
let cleaned = false;
let idleSockets = [];
let stalled = null;

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (broker && broker.exitCode === null && broker.signalCode === null) {
    try { broker.kill('SIGKILL'); } catch { /* gone */ }
  }
  if (!opts.keep) fs.rmSync(workDir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { cleanup(); process.exit(130); });

async function startBroker(why) {
  const out = fs.openSync(brokerLog, 'a');
  fs.writeSync(out, `=== ${new Date().toISOString()} start (${why})\n`);
  broker = spawn(process.execPath, [path.join(REPO, 'bin', 'ferrymq.js'), 'start', ...brokerSettings], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const child = broker;
  const t0 = Date.now();
  const deadline = t0 + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`ferry exited (${child.exitCode ?? child.signalCode}) while starting; see the broker log`);
    if (Date.now() > deadline) throw new Error('ferry did not start within 120 s');
    if (await portOpen(brokerPort)) {
      const tail = readTail(brokerLog, 64 * 1024);
      const i = tail.lastIndexOf('=== ');
      if (tail.slice(i).includes('Ferry broker started')) break;
    }
    await sleep(100);
  }
  current = { start: elapsed(), startMs: Date.now() - t0, end: null, how: null, pid: child.pid, rss: [] };
  lifetimes.push(current);
  events.push({ t: elapsed(), what: `broker started (${why}) in ${Date.now() - t0} ms, pid ${child.pid}` });
  child.once('exit', (code, sig) => {
    if (current && current.pid === child.pid && current.end === null && !current.stopping) {
      current.end = elapsed();
      current.how = current.how ?? `exited unexpectedly (${code ?? sig})`;
      events.push({ t: elapsed(), what: `broker exited unexpectedly: ${code ?? sig}` });
    }
  });
}

async function stopBroker(how) {
  const child = broker;
  current.how = how;
  current.stopping = true;
  const t0 = Date.now();
  const exited = new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig)));
  child.kill(how === 'kill -9' ? 'SIGKILL' : 'SIGTERM');
  const res = await Promise.race([exited, sleep(60_000).then(() => 'timeout')]);
  if (res === 'timeout') {
    child.kill('SIGKILL');
    await exited;
    events.push({ t: elapsed(), what: `SIGTERM did not stop the broker within 60 s: killed` });
  }
  current.end = elapsed();
  events.push({ t: elapsed(), what: `broker stopped: ${how} (exit ${res}) after ${Date.now() - t0} ms` });
  return res;
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function readTail(file, bytes) {
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, size - n);
    fs.closeSync(fd);
    return buf.toString('utf8');
  } catch {
    return '';
  }
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// messages: the body is a function of the sequence number, so nothing needs to be kept to check it

function bodySize(seq) {
  return 64 + ((seq * 2654435761) >>> 0) % 1985; // 64..2048
}
function makeBody(seq) {
  const b = Buffer.alloc(bodySize(seq), 0x61 + (seq % 26));
  b.write(`soak:${seq};`);
  return b;
}
function bodyOk(seq, body) {
  if (body.length !== bodySize(seq)) return false;
  const head = `soak:${seq};`;
  if (body.toString('latin1', 0, head.length) !== head) return false;
  const c = 0x61 + (seq % 26);
  for (let i = head.length; i < body.length; i++) if (body[i] !== c) return false;
  return true;
}

const topics = Array.from({ length: opts.topics }, (_, i) => `SoakTopic${i}`);
const slots = opts.topics * opts.queues; // (topic, queue) → slot
const slotOf = (t, q) => t * opts.queues + q;

// Per sequence number: 0 = never sent, 1 = in flight / unknown, 2 = acknowledged, 3 = refused.
let cap = 1 << 20;
let seqState = new Uint8Array(cap);
let ackSlot = new Uint8Array(cap);
let ackOffset = new Float64Array(cap);
let ackPhy = new Float64Array(cap);
let seenAt = new Float64Array(cap); // queue offset + 1 where a consumer saw it
function grow() {
  const n = cap * 2;
  const g = (Old, a) => { const x = new Old(n); x.set(a); return x; };
  seqState = g(Uint8Array, seqState);
  ackSlot = g(Uint8Array, ackSlot);
  ackOffset = g(Float64Array, ackOffset);
  ackPhy = g(Float64Array, ackPhy);
  seenAt = g(Float64Array, seenAt);
  cap = n;
}
let nextSeq = 0;

const stats = {
  sent: 0, acked: 0, failedNoAnswer: 0, byCode: new Map(), busy: 0, consumed: 0, offsetMoved: 0, consumeErrors: 0,
  dupStored: [], wrongBody: [], wrongPlace: [],
};
const latency = []; // per 10 s window: { t, n, max, p99 }
let windowLat = [];

// ---------------------------------------------------------------------------------------------
// producers

let running = true;
let paused = false; // during restarts the producers keep trying; failures count as no answer

function sendRequest(seq) {
  const t = seq % opts.topics;
  const q = Math.floor(seq / opts.topics) % opts.queues;
  const props = `KEYS\u0001${seq}\u0002TAGS\u0001Tag${seq % 4}\u0002WAIT\u0001true`;
  const ext = { a: 'soak_pg', b: topics[t], c: 'TBW102', d: String(opts.queues), e: String(q), f: '0', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false' };
  return { cmd: newRequest(C.SEND, ext, makeBody(seq)), slot: slotOf(t, q) };
}

async function producer(id, ratePerProducer) {
  let client = null;
  const interval = 1000 / ratePerProducer;
  let due = Date.now();
  const inflight = new Set();
  while (running) {
    if (!client || client.closed) {
      client = await connectRetry();
      if (!client) continue;
    }
    while (inflight.size >= opts.window) await Promise.race(inflight);
    const now = Date.now();
    if (due > now) await sleep(due - now);
    due = Math.max(due + interval, Date.now() - 1000);
    if (!running) break;
    const seq = nextSeq++;
    if (seq >= cap) grow();
    const { cmd, slot } = sendRequest(seq);
    seqState[seq] = 1;
    stats.sent++;
    const t0 = performance.now();
    const c = client;
    const p = c.invoke(cmd, 15_000).then(
      (r) => {
        windowLat.push(performance.now() - t0);
        stats.byCode.set(r.code, (stats.byCode.get(r.code) ?? 0) + 1);
        if (r.code === R.SUCCESS) {
          seqState[seq] = 2;
          stats.acked++;
          ackSlot[seq] = slot;
          ackOffset[seq] = Number(r.extFields.queueOffset);
          ackPhy[seq] = decodeOffsetMsgId(r.extFields.msgId).offset;
        } else {
          if (r.code === R.SYSTEM_BUSY) stats.busy++;
          // FLUSH_DISK_TIMEOUT etc.: stored maybe, not acknowledged as durable; state stays unknown.
          if (r.code !== R.FLUSH_DISK_TIMEOUT) seqState[seq] = 3;
        }
      },
      () => {
        stats.failedNoAnswer++;
      },
    ).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.allSettled([...inflight]);
  client?.close();
}

async function connectRetry() {
  for (let i = 0; running || i === 0; i++) {
    try {
      return await RemotingClient.connect(brokerAddr, { connectTimeoutMs: 2000 });
    } catch {
      await sleep(Math.min(1000, 50 * (i + 1)));
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// consumers: one long-polling pull loop per queue, from offset 0

const consumerOffset = new Float64Array(slots);
let consumersRunning = true;

async function consumer(t, q) {
  const slot = slotOf(t, q);
  let client = null;
  while (consumersRunning) {
    if (!client || client.closed) {
      client = await connectRetryConsumers();
      if (!client) break;
    }
    let r;
    try {
      r = await client.invoke(newRequest(C.PULL, {
        consumerGroup: 'soak_cg', topic: topics[t], queueId: String(q), queueOffset: String(consumerOffset[slot]), maxMsgNums: '32',
        sysFlag: String(0x2 | 0x4), commitOffset: '0', suspendTimeoutMillis: '2000', subscription: '*', subVersion: '0', expressionType: 'TAG',
      }), 10_000);
    } catch {
      stats.consumeErrors++;
      client.close();
      await sleep(200);
      continue;
    }
    if (r.code === R.SUCCESS) {
      const body = r.body;
      for (let p = 0; p < body.length; ) {
        const size = readInt(body, p);
        const m = decodeRecord(body.subarray(p, p + size), 0);
        p += size;
        checkConsumed(slot, m);
      }
      consumerOffset[slot] = Number(r.extFields.nextBeginOffset);
    } else if (r.code === R.PULL_OFFSET_MOVED) {
      stats.offsetMoved++;
      events.push({ t: elapsed(), what: `consumer ${topics[t]}/${q}: OFFSET_MOVED ${consumerOffset[slot]} -> ${r.extFields?.nextBeginOffset}` });
      consumerOffset[slot] = Number(r.extFields.nextBeginOffset);
    } else if (r.code === R.PULL_NOT_FOUND || r.code === R.PULL_RETRY) {
      const next = Number(r.extFields?.nextBeginOffset);
      if (Number.isFinite(next) && next > consumerOffset[slot]) {
        // moved forward without OFFSET_MOVED: the broker skipped units (retention) — count it
        stats.offsetMoved++;
        consumerOffset[slot] = next;
      }
      if (r.code === R.PULL_RETRY) await sleep(50);
    } else {
      stats.consumeErrors++;
      await sleep(200);
    }
  }
  client?.close();
}

async function connectRetryConsumers() {
  for (let i = 0; consumersRunning; i++) {
    try {
      return await RemotingClient.connect(brokerAddr, { connectTimeoutMs: 2000 });
    } catch {
      await sleep(Math.min(1000, 50 * (i + 1)));
    }
  }
  return null;
}

function checkConsumed(slot, m) {
  const seq = Number(m.properties.get('KEYS'));
  stats.consumed++;
  if (!Number.isInteger(seq) || seq < 0 || seq >= nextSeq || seqState[seq] === 0) {
    if (stats.wrongBody.length < 20) stats.wrongBody.push(`slot ${slot} offset ${m.queueOffset}: a message that was never sent (KEYS ${m.properties.get('KEYS')})`);
    return;
  }
  if (!bodyOk(seq, m.body) && stats.wrongBody.length < 20) stats.wrongBody.push(`seq ${seq} at slot ${slot}/${m.queueOffset}: body differs`);
  if (seenAt[seq] !== 0 && seenAt[seq] !== m.queueOffset + 1 && stats.dupStored.length < 20) {
    stats.dupStored.push(`seq ${seq} stored twice: queue offsets ${seenAt[seq] - 1} and ${m.queueOffset} (slot ${slot})`);
  }
  seenAt[seq] = m.queueOffset + 1;
  if (seqState[seq] === 2 && (ackSlot[seq] !== slot || ackOffset[seq] !== m.queueOffset || ackPhy[seq] !== m.physicalOffset) && stats.wrongPlace.length < 20) {
    stats.wrongPlace.push(`seq ${seq}: acknowledged at slot ${ackSlot[seq]}/${ackOffset[seq]} phy ${ackPhy[seq]}, delivered at slot ${slot}/${m.queueOffset} phy ${m.physicalOffset}`);
  }
}

// ---------------------------------------------------------------------------------------------
// idle connections and a consumer that stops reading

async function openIdle() {
  for (const s of idleSockets) s.destroy();
  idleSockets = [];
  for (let i = 0; i < opts.idle; i++) {
    const s = net.connect(brokerPort, '127.0.0.1');
    s.on('error', () => {});
    idleSockets.push(s);
    if (i % 50 === 49) await sleep(20);
  }
}

/** 200 pulls of up to 32 messages each from the start of a queue, then the socket is never read. */
function openStalledConsumer() {
  stalled?.destroy();
  const s = net.connect(brokerPort, '127.0.0.1', () => {
    for (let i = 0; i < 200; i++) {
      s.write(encodeCommand(newRequest(C.PULL, {
        consumerGroup: 'soak_stalled', topic: topics[0], queueId: '0', queueOffset: String(Math.max(0, consumerOffset[0] - 2000)), maxMsgNums: '32',
        sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
      })));
    }
    s.pause();
  });
  s.on('error', () => {});
  stalled = s;
}

// ---------------------------------------------------------------------------------------------
// helpers for the admin side

async function withClient(fn) {
  const c = await RemotingClient.connect(brokerAddr);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
async function queueOffsets() {
  return withClient(async (c) => {
    const out = [];
    for (let t = 0; t < opts.topics; t++) {
      for (let q = 0; q < opts.queues; q++) {
        const ext = { topic: topics[t], queueId: String(q) };
        const min = await c.invoke(newRequest(C.MIN, ext));
        const max = await c.invoke(newRequest(C.MAX, ext));
        out.push({ min: Number(min.extFields?.offset ?? -1), max: Number(max.extFields?.offset ?? -1) });
      }
    }
    return out;
  });
}

function commitLogFiles() {
  try {
    return fs.readdirSync(path.join(storeRoot, 'commitlog')).filter((n) => /^\d{20}$/.test(n)).sort();
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// the run

const machine = machineFacts();
const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').trim();
log(`store ${path.relative(REPO, storeRoot)}, broker ${brokerAddr}, ${opts.minutes} min at ${opts.rate} msg/s; load ${loadBefore}`);
let failure = null;
const minOffsetHistory = []; // { t, mins: [...], commitLogFirst }
const minRegressions = [];
let lastMins = null;
let verdict = null;

try {
  await startBroker('first start');
  await withClient(async (c) => {
    for (const topic of topics) {
      const r = await c.invoke(newRequest(C.CREATE_TOPIC, {
        topic, defaultTopic: 'TBW102', readQueueNums: String(opts.queues), writeQueueNums: String(opts.queues), perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
      }));
      if (r.code !== 0) throw new Error(`create topic ${topic}: ${r.code} ${r.remark}`);
    }
  });
  await openIdle();
  openStalledConsumer();

  const producers = Array.from({ length: opts.producers }, (_, i) => producer(i, opts.rate / opts.producers));
  const consumers = [];
  for (let t = 0; t < opts.topics; t++) for (let q = 0; q < opts.queues; q++) consumers.push(consumer(t, q));

  const endAt = Date.now() + opts.minutes * 60_000;
  let nextSample = Date.now();
  let nextRestart = opts.restartEvery > 0 ? Date.now() + opts.restartEvery * 60_000 : Infinity;
  let restartCount = 0;
  let lastReport = 0;
  while (Date.now() < endAt) {
    if (Date.now() >= nextSample) {
      nextSample += 10_000;
      const kb = current && current.end === null ? rssKb(current.pid) : null;
      if (kb !== null) current.rss.push([elapsed(), kb]);
      const lat = windowLat.sort((a, b) => a - b);
      latency.push({ t: elapsed(), n: lat.length, max: lat.at(-1) ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0, p50: lat[Math.floor(lat.length * 0.5)] ?? 0 });
      windowLat = [];
      try {
        const offs = await queueOffsets();
        const mins = offs.map((o) => o.min);
        if (lastMins) mins.forEach((m, i) => { if (m >= 0 && lastMins[i] >= 0 && m < lastMins[i]) minRegressions.push(`slot ${i}: min offset went back from ${lastMins[i]} to ${m} at ${fmtDur(elapsed())}`); });
        if (!mins.includes(-1)) lastMins = mins;
        const files = commitLogFiles();
        minOffsetHistory.push({ t: elapsed(), mins, commitLogFirst: files[0] ?? null, commitLogFiles: files.length });
      } catch { /* broker restarting */ }
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        const h = minOffsetHistory.at(-1);
        log(`sent ${stats.sent}, acked ${stats.acked}, consumed ${stats.consumed}, busy ${stats.busy}, no answer ${stats.failedNoAnswer}, RSS ${kb ? (kb / 1024).toFixed(0) : '?'} MiB, CommitLog files ${h?.commitLogFiles} from ${h?.commitLogFirst}, p99 ${latency.at(-1)?.p99.toFixed(1)} ms`);
      }
    }
    if (Date.now() >= nextRestart && Date.now() < endAt - 60_000) {
      const how = restartCount % 2 === 0 ? 'kill -9' : 'SIGTERM';
      restartCount++;
      log(`restart ${restartCount}: ${how}`);
      await stopBroker(how);
      await sleep(500);
      await startBroker(`after ${how}`);
      await openIdle();
      openStalledConsumer();
      nextRestart = Date.now() + opts.restartEvery * 60_000;
    }
    if (current.end !== null) throw new Error(`the broker died: ${current.how}; see the broker log`);
    await sleep(200);
  }

  // ---- end of load ----
  log('load done: stopping producers, letting consumers catch up');
  running = false;
  await Promise.all(producers);
  const catchUpDeadline = Date.now() + 120_000;
  let offs = await queueOffsets();
  while (Date.now() < catchUpDeadline && offs.some((o, i) => consumerOffset[i] < o.max)) {
    await sleep(500);
    offs = await queueOffsets();
  }
  consumersRunning = false;
  await Promise.all(consumers);
  for (const s of idleSockets) s.destroy();
  stalled?.destroy();

  // ---- final check: read every queue from its min offset ----
  log('final check: reading every queue from its min offset');
  const stored = new Map(); // seq -> [slot, offset, phy]
  const problems = [];
  offs = await queueOffsets();
  await withClient(async (c) => {
    for (let t = 0; t < opts.topics; t++) {
      for (let q = 0; q < opts.queues; q++) {
        const slot = slotOf(t, q);
        let offset = offs[slot].min;
        while (offset < offs[slot].max) {
          const r = await c.invoke(newRequest(C.PULL, {
            consumerGroup: 'soak_final', topic: topics[t], queueId: String(q), queueOffset: String(offset), maxMsgNums: '32', sysFlag: '4',
            commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
          }), 15_000);
          if (r.code !== R.SUCCESS) {
            problems.push(`final pull ${topics[t]}/${q}@${offset}: code ${r.code} ${r.remark ?? ''} (min ${offs[slot].min}, max ${offs[slot].max})`);
            break;
          }
          const body = r.body;
          for (let p = 0; p < body.length; ) {
            const size = readInt(body, p);
            const m = decodeRecord(body.subarray(p, p + size), 0);
            p += size;
            const seq = Number(m.properties.get('KEYS'));
            if (m.queueOffset !== offset) problems.push(`${topics[t]}/${q}: expected offset ${offset}, got ${m.queueOffset}`);
            offset = m.queueOffset + 1;
            if (!Number.isInteger(seq) || seq < 0 || seq >= nextSeq || seqState[seq] === 0) { problems.push(`${topics[t]}/${q}@${m.queueOffset}: never sent (KEYS ${m.properties.get('KEYS')})`); continue; }
            if (stored.has(seq)) problems.push(`seq ${seq} stored twice: ${stored.get(seq)} and ${slot}/${m.queueOffset}`);
            stored.set(seq, [slot, m.queueOffset, m.physicalOffset]);
            if (!bodyOk(seq, m.body)) problems.push(`seq ${seq}: body differs`);
          }
          offset = Number(r.extFields.nextBeginOffset);
        }
      }
    }
  });
  let expired = 0;
  let lost = 0;
  let notConsumed = 0;
  let expiredUnconsumed = 0;
  const lostExamples = [];
  for (let seq = 0; seq < nextSeq; seq++) {
    if (seqState[seq] !== 2) continue;
    const slot = ackSlot[seq];
    if (ackOffset[seq] < offs[slot].min) {
      expired++;
      if (seenAt[seq] === 0) expiredUnconsumed++;
      continue;
    }
    const s = stored.get(seq);
    if (!s || s[0] !== slot || s[1] !== ackOffset[seq] || s[2] !== ackPhy[seq]) {
      lost++;
      if (lostExamples.length < 20) lostExamples.push(`seq ${seq}: acknowledged at slot ${slot}/${ackOffset[seq]} phy ${ackPhy[seq]}, stored ${s ? s.join('/') : 'nowhere'}`);
      continue;
    }
    if (seenAt[seq] === 0) notConsumed++;
  }
  const unknownStored = [...stored.keys()].filter((s) => seqState[s] !== 2).length;
  verdict = { expired, expiredUnconsumed, lost, lostExamples, notConsumed, unknownStored, problems, storedChecked: stored.size };
  log(`final: ${stats.acked} acknowledged; ${stored.size} stored and checked; ${expired} deleted by retention; ${lost} LOST; ${notConsumed} not consumed; ${problems.length} problem(s)`);
  await stopBroker('SIGTERM');
} catch (e) {
  failure = e;
  log(`FAILED: ${e.stack ?? e}`);
}

// ---------------------------------------------------------------------------------------------
// report

const loadAfter = fs.readFileSync('/proc/loadavg', 'utf8').trim();
const rssCheck = lifetimes.map((l) => {
  const s = l.rss.filter(([t]) => t - l.start >= 60).map(([, kb]) => kb / 1024);
  if (s.length < 6) return { ...l, verdict: 'too short to judge', first: null, last: null, max: Math.max(0, ...l.rss.map(([, kb]) => kb / 1024)) };
  const third = Math.floor(s.length / 3);
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const first = med(s.slice(0, third));
  const last = med(s.slice(s.length - third));
  const max = Math.max(...l.rss.map(([, kb]) => kb / 1024));
  const flat = last <= first * 1.2 + 20;
  return { ...l, first, last, max, verdict: flat ? 'flat' : 'GROWING' };
});
const allRss = lifetimes.flatMap((l) => l.rss.map(([, kb]) => kb / 1024));
const deletedFiles = (() => {
  const firsts = minOffsetHistory.map((h) => h.commitLogFirst).filter(Boolean);
  return firsts.length ? { from: firsts[0], to: firsts.at(-1), moved: firsts[0] !== firsts.at(-1) } : null;
})();
const worstLatency = latency.reduce((a, b) => (b.max > a.max ? b : a), { max: 0, t: 0 });
const brokerLogLines = grepBrokerLog();

const ok = !failure && verdict && verdict.lost === 0 && verdict.problems.length === 0 && stats.dupStored.length === 0 && stats.wrongBody.length === 0 &&
  stats.wrongPlace.length === 0 && rssCheck.every((r) => r.verdict !== 'GROWING') && minRegressions.length === 0;

const md = [];
const date = new Date().toISOString().slice(0, 10);
md.push(`# Ferry soak — ${date}${ok ? '' : ' — FAILED'}`, '');
md.push(`Command: \`node bench/soak.mjs ${process.argv.slice(2).join(' ')}\``, '');
md.push(`Machine: ${machine.cpus}, ${machine.memory}, ${machine.kernel}; Node ${machine.node}; store filesystem ${machine.fs}. Ferry ${machine.ferry}.`);
md.push(`Load average before: ${loadBefore}; after: ${loadAfter} (2 shared cores: the load generator, the consumers and the broker share them with other work).`, '');
md.push(`Broker settings (besides store path and ports): \`${brokerSettings.filter((s) => !/^(storePathRootDir|listenPort|namesrvListenPort|namesrvAddr)=/.test(s)).join(' ')}\`.`);
md.push(`Retention: fileReservedTimeMillis=${opts.retentionMs} (Ferry's key; RocketMQ's fileReservedTime is whole hours) with deleteWhen at every hour, so every CommitLog file older than that goes at the next clean-up pass.`, '');
md.push(`Load: ${opts.producers} producer connections (${opts.window} sends in flight each) offering ${opts.rate} msg/s in total over ${opts.topics} topic(s) × ${opts.queues} queues, bodies 64–2048 B; one long-polling pull consumer per queue; ${opts.idle} idle connections; one connection that sends 200 pulls and never reads its socket (re-made after every restart); a restart every ${opts.restartEvery} min, alternately kill -9 and SIGTERM.`, '');
md.push('## Outcome', '');
md.push(`- ${ok ? 'PASS' : 'FAIL'}${failure ? `: ${String(failure.message ?? failure).split('\n')[0]}` : ''}`);
md.push(`- ran ${fmtDur(elapsed())} (mm:ss) in total; sends ${stats.sent}, acknowledged ${stats.acked}, no answer (restarts) ${stats.failedNoAnswer}, SYSTEM_BUSY ${stats.busy}; answers by code: ${[...stats.byCode].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
md.push(`- consumed ${stats.consumed} deliveries; OFFSET_MOVED / skipped by retention ${stats.offsetMoved}; consumer errors (restarts) ${stats.consumeErrors}`);
if (verdict) {
  md.push(`- zero-loss check: ${verdict.storedChecked} stored messages read back and checked; acknowledged and deleted by retention ${verdict.expired} (of which never delivered before deletion: ${verdict.expiredUnconsumed}); **acknowledged and lost ${verdict.lost}**; acknowledged, retained but never delivered to the consumer ${verdict.notConsumed}; stored but not acknowledged (sent across a restart) ${verdict.unknownStored}`);
  for (const x of [...verdict.lostExamples, ...verdict.problems.slice(0, 20)]) md.push(`  - ${x}`);
}
for (const x of [...stats.dupStored, ...stats.wrongBody, ...stats.wrongPlace, ...minRegressions]) md.push(`  - ${x}`);
md.push(`- retention: first CommitLog file ${deletedFiles ? `${deletedFiles.from} at the start, ${deletedFiles.to} at the end (${deletedFiles.moved ? 'files were deleted' : '**nothing was deleted**'})` : 'unknown'}; min offsets never went back: ${minRegressions.length === 0 ? 'yes' : 'NO'}`);
md.push(`- send latency: worst ${worstLatency.max.toFixed(0)} ms (10 s window at ${fmtDur(worstLatency.t)}), p99 per window: median ${median(latency.map((l) => l.p99)).toFixed(1)} ms, max ${Math.max(0, ...latency.map((l) => l.p99)).toFixed(1)} ms`);
md.push(`- broker RSS: min ${Math.min(...allRss).toFixed(0)} MiB, max ${Math.max(...allRss).toFixed(0)} MiB over ${allRss.length} samples`, '');
md.push('## RSS per broker lifetime (sampled every 10 s; flat = median of the last third ≤ 1.2 × median of the first third + 20 MiB, first 60 s excluded)', '');
md.push('| lifetime | from | to | ended by | start ms | samples | first third MiB | last third MiB | max MiB | verdict |', '|---|---|---|---|---:|---:|---:|---:|---:|---|');
rssCheck.forEach((r, i) => md.push(`| ${i + 1} | ${fmtDur(r.start)} | ${r.end === null ? '—' : fmtDur(r.end)} | ${r.how ?? '—'} | ${r.startMs} | ${r.rss.length} | ${r.first?.toFixed(0) ?? '—'} | ${r.last?.toFixed(0) ?? '—'} | ${r.max.toFixed(0)} | ${r.verdict} |`));
md.push('', '### RSS samples (MiB), one per minute', '', '```');
for (const l of lifetimes) {
  const perMin = l.rss.filter((_, i) => i % 6 === 0).map(([t, kb]) => `${fmtDur(t)} ${(kb / 1024).toFixed(0)}`);
  md.push(`pid ${l.pid}: ${perMin.join(' · ')}`);
}
md.push('```', '', '## Events', '');
for (const e of events.slice(0, 200)) md.push(`- ${fmtDur(e.t)} ${e.what}`);
md.push('', '## Broker log: retention, disk, recovery and warnings (first 80 lines)', '', '```');
for (const l of brokerLogLines.slice(0, 80)) md.push(l);
md.push('```', '');
fs.mkdirSync(RESULTS, { recursive: true });
let base = opts.out ?? `${date}-soak`;
for (let i = 2; fs.existsSync(path.join(RESULTS, `${base}.md`)); i++) base = `${opts.out ?? `${date}-soak`}-${i}`;
const outFile = path.join(RESULTS, `${base}.md`);
fs.writeFileSync(outFile, md.join('\n'));
log(`wrote ${path.relative(REPO, outFile)}`);
cleanup();
process.exit(ok ? 0 : 1);

function median(a) {
  if (!a.length) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function grepBrokerLog() {
  const out = [];
  let text = '';
  try {
    text = fs.readFileSync(brokerLog, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let o;
    try { o = JSON.parse(line); } catch { continue; }
    if (o.level >= 40 || /delet|retention|expired|clean|disk|recover|not clean|refuse|writes/i.test(o.msg)) {
      const { level, time, pid, msg, thread, ...rest } = o;
      out.push(`${new Date(time).toISOString().slice(11, 19)} ${thread ?? ''} ${level >= 50 ? 'ERROR' : level >= 40 ? 'WARN' : 'info'} ${msg} ${JSON.stringify(rest)}`.split(storeRoot).join('<store>').split(REPO).join('<repo>'));
    }
  }
  return out;
}

function machineFacts() {
  const cpus = os.cpus();
  let fsType = null;
  try { fsType = spawnSync('df', ['-PT', storeRoot], { encoding: 'utf8' }).stdout.split('\n')[1].split(/\s+/)[1]; } catch { /* ignore */ }
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8' }).stdout?.trim() ? ' (with uncommitted changes)' : '';
  return {
    cpus: `${typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    fs: fsType,
    ferry: `${r.status === 0 ? r.stdout.trim() : 'unknown'}${dirty}`,
  };
}
