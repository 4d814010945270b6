#!/usr/bin/env node
// Start-up time of Ferry on a large store (default ~10 GB): after a clean stop, after kill -9 (the
// abort marker present, checkpoint recent), and after kill -9 with the checkpoint gone (the worst
// case: every CommitLog file is walked). Prints the times and the broker's recovery log lines and
// writes bench/results/<yyyy-mm-dd>-recovery.md. Plain Node ESM; needs a built dist/ (npm run build).
//
// How the store is built, quickly: the CommitLog files are written directly (records encoded with
// Ferry's own encodeRecord, 1 GiB files as RocketMQ's default, a BLANK marker at each file's end),
// then Ferry is started on them: it finds no ConsumeQueues, so its dispatcher builds every
// ConsumeQueue unit, every IndexFile entry (one UNIQ_KEY per message) and the checkpoint from
// the CommitLog, as it would after a real run. Then it is stopped cleanly and the measured starts
// begin. The store is deleted at the end (also on failure or Ctrl-C) unless --keep.

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
const TOPIC = 'RecoveryBench';
const GiB = 2 ** 30;

const HELP = `usage: node bench/recovery.mjs [options]

  --gb N             CommitLog data to build, in GB (10^9 bytes; default 10). With the file Ferry
                     preallocates, the ConsumeQueues and the IndexFile the store takes ~1.4 GB more;
                     the whole run refuses to use more than 12 GB
  --file-size BYTES  mapedFileSizeCommitLog (default 1073741824, RocketMQ's default)
  --body N           message body bytes (default 1024)
  --queues N         queues of the topic (default 8)
  --dir DIR          where to build the store (default bench/results/tmp/recovery-<time>, same disk as the checkout)
  --cold             also measure each start with the page cache dropped first (echo 1 > /proc/sys/vm/drop_caches; root)
  --start-timeout S  how long one start may take before it counts as failed (default 600)
  --out NAME         result file base name in bench/results (default <yyyy-mm-dd>-recovery)
  --keep             keep the store afterwards
  -h, --help         this text
`;

function parseArgs(argv) {
  const o = { gb: 10, fileSize: GiB, body: 1024, queues: 8, dir: null, cold: false, startTimeout: 600, out: null, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--gb': o.gb = Number(next()); break;
      case '--file-size': o.fileSize = Number(next()); break;
      case '--body': o.body = Number(next()); break;
      case '--queues': o.queues = Number(next()); break;
      case '--dir': o.dir = path.resolve(next()); break;
      case '--cold': o.cold = true; break;
      case '--start-timeout': o.startTimeout = Number(next()); break;
      case '--out': o.out = next(); break;
      case '--keep': o.keep = true; break;
      case '-h': case '--help': process.stdout.write(HELP); process.exit(0); break;
      default: die(`unknown option ${a}\n${HELP}`);
    }
  }
  if (!(o.gb > 0 && o.gb <= 10.5)) die('--gb must be in (0, 10.5]');
  if (!Number.isInteger(o.fileSize) || o.fileSize < 64 * 1024 * 1024) die('--file-size must be at least 64 MiB');
  if (!(o.body >= 16 && o.body <= 64 * 1024)) die('--body must be 16..65536');
  if (!(o.queues >= 1 && o.queues <= 64)) die('--queues must be 1..64');
  return o;
}

function die(msg) {
  process.stderr.write(`recovery bench: ${msg}\n`);
  process.exit(2);
}
const t00 = Date.now();
function log(msg) {
  process.stderr.write(`[recovery ${((Date.now() - t00) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

const opts = parseArgs(process.argv.slice(2));
for (const f of ['shared/storage/message.js', 'main/net/remoting-client.js', 'shared/remoting/command.js']) {
  if (!fs.existsSync(path.join(DIST, f))) die(`dist/src/${f} is missing: build first (npm run build)`);
}
const { decodeRecord, encodeRecord, writeBlank, POS_QUEUEID, POS_QUEUEOFFSET, POS_PHYSICALOFFSET, POS_BORNTIMESTAMP, POS_STORETIMESTAMP, recordPropertiesRange } = await import(pathToFileURL(path.join(DIST, 'shared/storage/message.js')).href);
const { writeInt, writeLong } = await import(pathToFileURL(path.join(DIST, 'shared/storage/longs.js')).href);
const { RemotingClient } = await import(pathToFileURL(path.join(DIST, 'main/net/remoting-client.js')).href);
const { newRequest } = await import(pathToFileURL(path.join(DIST, 'shared/remoting/command.js')).href);

// ---------------------------------------------------------------------------------------------
// cleanup, whatever happens

let storeRoot = null;
let broker = null;
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (broker && broker.exitCode === null) {
    try { broker.kill('SIGKILL'); } catch { /* gone */ }
  }
  if (storeRoot && !opts.keep) {
    log(`deleting ${rel(storeRoot)}`);
    fs.rmSync(storeRoot, { recursive: true, force: true });
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { cleanup(); process.exit(130); });

function rel(p) {
  const r = path.relative(REPO, p);
  return r.startsWith('..') ? `<tmp>/${path.basename(p)}` : r;
}

// ---------------------------------------------------------------------------------------------
// disk check

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
storeRoot = opts.dir ?? path.join(RESULTS, 'tmp', `recovery-${stamp}`);
fs.mkdirSync(storeRoot, { recursive: true });
const dfBefore = spawnSync('df', ['-h', storeRoot], { encoding: 'utf8' }).stdout.trim();
log(`df -h before:\n${dfBefore}`);
const sfs = fs.statfsSync(storeRoot);
const freeBytes = sfs.bavail * sfs.bsize;
// CommitLog data + the next file Ferry zero-fills + ConsumeQueues and IndexFile (~40 B per message).
const dataBytes = Math.floor(opts.gb * 1e9);
const totalNeed = dataBytes + opts.fileSize + Math.ceil(dataBytes / (opts.body + 150)) * 40 + 64 * 2 ** 20;
if (totalNeed > 12e9) die(`this would use ${(totalNeed / 1e9).toFixed(1)} GB; the limit is 12 GB (smaller --gb or --file-size)`);
if (freeBytes < totalNeed + 5e9) die(`not enough free disk: ${(freeBytes / 1e9).toFixed(1)} GB free, need ${(totalNeed / 1e9).toFixed(1)} GB plus 5 GB headroom`);
log(`will use about ${(totalNeed / 1e9).toFixed(1)} GB of ${(freeBytes / 1e9).toFixed(1)} GB free`);

// ---------------------------------------------------------------------------------------------
// 1. write the CommitLog directly

const fileSize = opts.fileSize;
const ip = Buffer.from([127, 0, 0, 1]);
const body = Buffer.alloc(opts.body);
for (let i = 0; i < body.length; i++) body[i] = 0x41 + (i % 26);
const UNIQ_HEX_LEN = 32;
const props = Buffer.from(`TAGS\u0001TagBench\u0002UNIQ_KEY\u0001${'0'.repeat(UNIQ_HEX_LEN)}\u0002WAIT\u0001true`);
const tplBuf = Buffer.alloc(opts.body + 1024);
const recLen = encodeRecord(tplBuf, 0, {
  queueId: 0, flag: 0, queueOffset: 0, physicalOffset: 0, sysFlag: 0, bornTimestamp: 0, bornHost: ip, bornPort: 40000,
  storeTimestamp: 0, storeHost: ip, storePort: 10911, reconsumeTimes: 0, preparedTransactionOffset: 0, body, topic: Buffer.from(TOPIC), properties: props,
});
const tpl = tplBuf.subarray(0, recLen);
const range = new Int32Array(2);
recordPropertiesRange(tpl, 0, range);
const uniqAt = tpl.indexOf(Buffer.from('UNIQ_KEY\u0001'), range[0]) + 9;
const perFile = Math.floor((fileSize - 8) / recLen);
const totalRecords = Math.floor(dataBytes / recLen);
const files = Math.ceil(totalRecords / perFile);
const HEX = '0123456789ABCDEF';
// The first 20 hex digits are fixed (a made-up client IP/pid/hash), the last 12 count.
const uniqPrefix = Buffer.from('7F00000100AB12345678');

const expected = new Array(opts.queues).fill(0);
const inFlightAtKill = new Array(opts.queues).fill(0);
const now = Date.now();
const span = 60 * 60 * 1000; // store times spread over the last hour
const firstStore = now - span - 60_000;
function storeTimeOf(n) {
  return firstStore + Math.floor((n * span) / totalRecords);
}

log(`writing ${files} CommitLog file(s) of ${fileSize} bytes: ${totalRecords.toLocaleString('en')} records of ${recLen} bytes (body ${opts.body}) in ${opts.queues} queues`);
const commitDir = path.join(storeRoot, 'commitlog');
fs.mkdirSync(commitDir, { recursive: true });
const CHUNK = 64 * 1024 * 1024;
const chunk = Buffer.alloc(Math.min(CHUNK, fileSize));
const tw0 = Date.now();
let n = 0;
for (let f = 0; f < files; f++) {
  const fileStart = f * fileSize;
  const inThisFile = Math.min(perFile, totalRecords - n);
  const fd = fs.openSync(path.join(commitDir, String(fileStart).padStart(20, '0')), 'w');
  fs.ftruncateSync(fd, fileSize);
  let filePos = 0;
  let inFile = 0;
  while (inFile < inThisFile) {
    let p = 0;
    while (inFile < inThisFile && p + recLen <= chunk.length) {
      chunk.set(tpl, p);
      const q = n % opts.queues;
      const t = storeTimeOf(n);
      writeInt(chunk, p + POS_QUEUEID, q);
      writeLong(chunk, p + POS_QUEUEOFFSET, expected[q]++);
      writeLong(chunk, p + POS_PHYSICALOFFSET, fileStart + filePos + p);
      writeLong(chunk, p + POS_BORNTIMESTAMP, t - 1);
      writeLong(chunk, p + POS_STORETIMESTAMP, t);
      chunk.set(uniqPrefix, p + uniqAt);
      let v = n;
      for (let d = UNIQ_HEX_LEN - 1; d >= 20; d--) {
        chunk[p + uniqAt + d] = HEX.charCodeAt(v & 15);
        v = Math.floor(v / 16);
      }
      p += recLen;
      n++;
      inFile++;
    }
    // A full file ends with the BLANK marker; the last one is left partly filled (the broker appends there).
    if (inFile === perFile) {
      writeBlank(chunk, p, fileSize - (filePos + p));
      p += 8;
    }
    let done = 0;
    while (done < p) done += fs.writeSync(fd, chunk, done, p - done, filePos + done);
    filePos += p;
  }
  fs.closeSync(fd);
  if ((f + 1) % 2 === 0 || f === files - 1) log(`  ${f + 1}/${files} files, ${((Date.now() - tw0) / 1000).toFixed(1)} s`);
}
const writeSeconds = (Date.now() - tw0) / 1000;
const storeBytes = totalRecords * recLen;

// ---------------------------------------------------------------------------------------------
// broker process handling

async function freePort() {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    const ok2 = ok && await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p - 2, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok2) return p;
  }
  throw new Error('no free port');
}
const brokerPort = await freePort();
let namesrvPort = await freePort();
while (namesrvPort === brokerPort || namesrvPort === brokerPort - 2) namesrvPort = await freePort();

const brokerArgs = [
  path.join(REPO, 'bin', 'ferrymq.js'), 'start',
  `storePathRootDir=${storeRoot}`, `listenPort=${brokerPort}`, `namesrvListenPort=${namesrvPort}`, `namesrvAddr=127.0.0.1:${namesrvPort}`,
  'brokerIP1=127.0.0.1', `mapedFileSizeCommitLog=${fileSize}`, 'logLevel=info', 'networkWorkers=2',
];

let output = '';
/** Starts the broker; resolves with the wall time until "Ferry broker started" and its log lines. */
async function startBroker(what) {
  output = '';
  const t0 = process.hrtime.bigint();
  broker = spawn(process.execPath, brokerArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const child = broker;
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + opts.startTimeout * 1000;
  let lastProgress = 0;
  while (!output.includes('Ferry broker started')) {
    if (child.exitCode !== null) throw new Error(`${what}: ferry exited with ${child.exitCode}:\n${sanitize(output).slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what}: ferry did not start within ${opts.startTimeout} s:\n${sanitize(output).slice(-4000)}`);
    }
    const progress = output.split('\n').filter((l) => l.includes('recover')).length;
    if (progress !== lastProgress) lastProgress = progress;
    await sleep(20);
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { wallMs, lines: logLines(output) };
}

async function stopBroker() {
  const child = broker;
  const t0 = Date.now();
  child.kill('SIGTERM');
  const code = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
  if (code !== 0) throw new Error(`SIGTERM: ferry exited with ${code}\n${sanitize(output).slice(-3000)}`);
  return Date.now() - t0;
}

async function killBroker() {
  const child = broker;
  child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

function logLines(out) {
  const lines = [];
  for (const l of out.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l);
      if (/recover|not clean|broker started|IndexFile|index/i.test(o.msg)) lines.push(o);
    } catch { /* not a log line */ }
  }
  return lines;
}

function sanitize(s) {
  return String(s).split(storeRoot).join('<store>').split(REPO).join('<repo>').split(os.tmpdir()).join('<tmp>');
}

function showLine(o) {
  const { level, time, pid, thread, msg, ...rest } = o;
  return sanitize(`${thread ?? ''} ${msg} ${JSON.stringify(rest)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function invoke(client, code, ext, bodyBuf = null, timeout = 10_000) {
  return client.invoke(newRequest(code, ext, bodyBuf), timeout);
}

async function maxOffsets(client) {
  const out = [];
  for (let q = 0; q < opts.queues; q++) {
    const r = await invoke(client, 30, { topic: TOPIC, queueId: String(q) });
    out.push(r.code === 0 ? Number(r.extFields.offset) : -1);
  }
  return out;
}

/**
 * Every queue's max offset is what was acknowledged (plus at most the sends that were in flight at
 * a kill), and the newest message of each queue reads back. The max offsets found become the new
 * expectation.
 */
async function verify(what) {
  const client = await RemotingClient.connect(`127.0.0.1:${brokerPort}`);
  try {
    const got = await maxOffsets(client);
    for (let q = 0; q < opts.queues; q++) {
      if (!(got[q] >= expected[q] && got[q] <= expected[q] + inFlightAtKill[q])) {
        throw new Error(`${what}: max offsets ${got} but acknowledged ${expected} (+ up to ${inFlightAtKill} in flight at the kill)`);
      }
    }
    for (let q = 0; q < opts.queues; q++) {
      const r = await invoke(client, 11, {
        consumerGroup: 'recovery_bench', topic: TOPIC, queueId: String(q), queueOffset: String(got[q] - 1), maxMsgNums: '1', sysFlag: '4',
        commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
      });
      if (r.code !== 0 || !r.body || decodeRecord(r.body, 0).queueOffset !== got[q] - 1) throw new Error(`${what}: pull of the newest message of queue ${q}: code ${r.code} ${r.remark ?? ''}`);
    }
    got.forEach((v, q) => (expected[q] = v));
    inFlightAtKill.fill(0);
  } finally {
    client.close();
  }
}

/** Sends with 16 requests in flight and kills the broker after `ms`, in the middle of sending. */
async function sendThenKill(ms) {
  const client = await RemotingClient.connect(`127.0.0.1:${brokerPort}`);
  let n = 0;
  let acked = 0;
  const inflight = new Set();
  const pending = new Array(opts.queues).fill(0);
  let killed = false;
  const killer = sleep(ms).then(async () => {
    await killBroker();
    killed = true;
  });
  while (!killed && !client.closed) {
    while (inflight.size >= 16) await Promise.race(inflight);
    if (killed || client.closed) break;
    const q = n++ % opts.queues;
    // As the official clients send it: a UNIQ_KEY on every message (so the IndexFile gets entries).
    const props = `TAGS\u0001TagBench\u0002UNIQ_KEY\u0001${uniqPrefix.toString()}${(0xF00000000000 + n).toString(16).toUpperCase()}\u0002WAIT\u0001true`;
    const ext = { a: 'recovery_pg', b: TOPIC, c: 'TBW102', d: String(opts.queues), e: String(q), f: '0', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false' };
    pending[q]++;
    const p = client.invoke(newRequest(310, ext, body), 10_000).then((r) => {
      pending[q]--;
      if (r.code === 0) {
        acked++;
        expected[q] = Math.max(expected[q], Number(r.extFields.queueOffset) + 1);
      }
    }, () => {}).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await killer;
  await Promise.allSettled([...inflight]);
  client.close();
  pending.forEach((v, q) => (inFlightAtKill[q] = v));
  return { sent: n, acked };
}

function dropCaches() {
  spawnSync('sync');
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch (e) {
    log(`cannot drop the page cache (${e.code ?? e.message}); --cold needs root`);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// 2. the loader start: Ferry builds ConsumeQueues, IndexFile and checkpoint from the CommitLog;
// 3. the measured starts

const figures = [];
let summary = null;
const uptimeBefore = fs.readFileSync('/proc/loadavg', 'utf8').trim();
try {
  log('loader start: Ferry on the bare CommitLog (it has no ConsumeQueues yet)');
  const loader = await startBroker('loader start');
  figures.push({ what: 'first start on the bare CommitLog (no ConsumeQueues yet; the loader, not a recovery figure)', wallMs: loader.wallMs, lines: loader.lines });
  const admin = await RemotingClient.connect(`127.0.0.1:${brokerPort}`);
  const created = await invoke(admin, 17, {
    topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: String(opts.queues), writeQueueNums: String(opts.queues), perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
  });
  if (created.code !== 0) throw new Error(`UPDATE_AND_CREATE_TOPIC: ${created.code} ${created.remark}`);
  const td0 = Date.now();
  let lastLog = 0;
  for (;;) {
    const got = await maxOffsets(admin);
    const done = got.reduce((x, y) => x + Math.max(y, 0), 0);
    if (got.join() === expected.join()) break;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  dispatching: ${done.toLocaleString('en')} / ${totalRecords.toLocaleString('en')} units`);
    }
    if (Date.now() - td0 > 3600_000) throw new Error(`dispatch did not finish in an hour: ${got}`);
    await sleep(500);
  }
  admin.close();
  const dispatchSeconds = (Date.now() - td0) / 1000;
  log(`dispatched everything in ${dispatchSeconds.toFixed(1)} s; stopping cleanly`);
  await sleep(2500); // a ConsumeQueue flush and checkpoint
  const stopMs = await stopBroker();
  log(`clean stop took ${stopMs} ms`);

  const measured = async (what, cold) => {
    if (cold && !dropCaches()) return;
    const label = `${what}${cold ? ', page cache dropped' : ''}`;
    log(`measuring: ${label}`);
    const r = await startBroker(label);
    await verify(label);
    await sleep(300);
    // Worker threads' log lines reach the process's stdout asynchronously: read them again now.
    r.lines = logLines(output);
    figures.push({ what: label, wallMs: r.wallMs, lines: r.lines });
    log(`  ready after ${r.wallMs.toFixed(0)} ms (wall, from spawn)`);
    for (const l of r.lines) log(`    ${showLine(l)}`);
  };
  const modes = opts.cold ? [false, true] : [false];
  for (const cold of modes) {
    if (cold) await stopBroker();
    await measured('start after a clean stop', cold);
  }
  for (const cold of modes) {
    await sleep(3000); // a ConsumeQueue flush and checkpoint, as in a running broker
    await killBroker();
    await measured('start after kill -9 (abort marker, recent checkpoint)', cold);
  }
  for (const cold of modes) {
    // A crash under load: the IndexFile and ConsumeQueues are ahead of the checkpoint.
    await sleep(3000);
    const s = await sendThenKill(4000);
    log(`  killed while sending: ${s.acked} of ${s.sent} sends acknowledged`);
    await measured('start after kill -9 during sends (killed 4 s into sending, 16 sends in flight)', cold);
  }
  for (const cold of modes) {
    await sleep(3000);
    await killBroker();
    fs.rmSync(path.join(storeRoot, 'checkpoint'), { force: true });
    await measured('start after kill -9 with the checkpoint deleted (worst case)', cold);
  }
  await killBroker();
  summary = { writeSeconds, dispatchSeconds, stopMs };
} catch (e) {
  log(`FAILED: ${e.stack ?? e}`);
  cleanup();
  process.exit(1);
}
const uptimeAfter = fs.readFileSync('/proc/loadavg', 'utf8').trim();

// ---------------------------------------------------------------------------------------------
// 3. report

function machineFacts() {
  const cpus = os.cpus();
  let fsType = null;
  try { fsType = spawnSync('df', ['-PT', storeRoot], { encoding: 'utf8' }).stdout.split('\n')[1].split(/\s+/)[1]; } catch { /* ignore */ }
  let commit = null;
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  if (r.status === 0) commit = r.stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8' }).stdout?.trim() ? ' (with uncommitted changes)' : '';
  return {
    cpus: `${typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${(os.totalmem() / GiB).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    fs: fsType,
    ferry: `${commit ?? 'unknown'}${dirty}`,
  };
}

const m = machineFacts();
const date = new Date().toISOString().slice(0, 10);
let base = opts.out ?? `${date}-recovery`;
for (let i = 2; fs.existsSync(path.join(RESULTS, `${base}.md`)); i++) base = `${opts.out ?? `${date}-recovery`}-${i}`;
const cmd = `node bench/recovery.mjs ${process.argv.slice(2).map((a) => (a.startsWith('/') ? rel(a) : a)).join(' ')}`.trim();
const md = [];
md.push(`# Ferry start-up on a ${(storeBytes / 1e9).toFixed(1)} GB store — ${date}`, '');
md.push(`Command: \`${cmd}\``, '');
md.push(`Machine: ${m.cpus}, ${m.memory}, ${m.kernel}; Node ${m.node}; store filesystem ${m.fs}. Ferry ${m.ferry}.`);
md.push(`Load average (1/5/15 min, running/total) before: ${uptimeBefore}; after: ${uptimeAfter}. The machine is shared: figures are noisy.`, '');
md.push(`Store: ${(storeBytes / 1e9).toFixed(2)} GB of records in ${files} CommitLog file(s) of ${fileSize} bytes (the last one partly filled), ${totalRecords.toLocaleString('en')} records of ${recLen} bytes (body ${opts.body} B, one UNIQ_KEY each), topic ${TOPIC} with ${opts.queues} queues; ConsumeQueues, IndexFile and checkpoint built by Ferry's own dispatcher on a first start. Written directly in ${summary.writeSeconds.toFixed(1)} s; dispatched by Ferry in ${summary.dispatchSeconds.toFixed(1)} s; the clean stop after that took ${summary.stopMs} ms.`, '');
md.push('Each start is measured from spawning `node bin/ferrymq.js start` to its "Ferry broker started" log line (wall clock, Node start included); the broker\'s own figure is the `ms` of that line (from config loaded to listening). After every start the max offset of every queue is checked against what was written and acknowledged (plus at most what was in flight at a kill) and the newest message of each queue is pulled. Page cache warm unless said otherwise. Before each kill -9 the broker has run idle for 3 s (a ConsumeQueue flush and checkpoint), except in the "during sends" case, where it is killed while sends (same body size) are in flight.', '');
md.push('| start | wall ms to ready | broker ms | CommitLog recovery | ConsumeQueue recovery |', '|---|---:|---:|---|---|');
for (const f of figures) {
  const started = f.lines.find((l) => l.msg === 'Ferry broker started');
  const cl = f.lines.find((l) => l.msg === 'CommitLog recovered');
  const cq = f.lines.find((l) => l.msg === 'ConsumeQueues recovered');
  const clText = cl ? `mode ${cl.mode ?? '?'}, files scanned ${cl.filesScanned ?? '?'}, ${cl.scannedBytes !== undefined ? `${(cl.scannedBytes / 2 ** 20).toFixed(0)} MiB` : '?'}, ${cl.ms} ms` : '—';
  const cqText = cq ? `reput ${(((cq.reputTo ?? 0) - (cq.reputFrom ?? 0)) / 2 ** 20).toFixed(0)} MiB, dropped units ${cq.droppedUnits}, ${cq.ms} ms` : '—';
  md.push(`| ${f.what} | ${f.wallMs.toFixed(0)} | ${started?.ms ?? '—'} | ${clText} | ${cqText} |`);
}
md.push('', '## Broker log lines (recovery and start), per start', '');
for (const f of figures) {
  md.push(`### ${f.what}`, '', '```');
  for (const l of f.lines) md.push(showLine(l));
  md.push('```', '');
}
md.push('## Disk', '', '```', sanitize(dfBefore), '```', '');
fs.mkdirSync(RESULTS, { recursive: true });
const outFile = path.join(RESULTS, `${base}.md`);
fs.writeFileSync(outFile, md.join('\n'));
log(`wrote ${rel(outFile)}`);
process.stdout.write(md.join('\n') + '\n');
cleanup();
