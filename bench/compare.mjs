#!/usr/bin/env node
// Ferry vs Apache RocketMQ 4.9.8, measured with RocketMQ's own benchmark tools, in one run.
// Plain Node ESM, built-ins only. See bench/README.md for what it does and what each figure means.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH);
const RMQ_VERSION = '4.9.8';
const CACHE = path.join(BENCH, '.cache');
const RMQ_SRC = path.join(CACHE, 'src', `rocketmq-all-${RMQ_VERSION}`);
const RMQ_HOME = path.join(CACHE, `rocketmq-${RMQ_VERSION}`);
const RMQ_LIB = path.join(RMQ_HOME, 'lib');
const PROBE_SRC = path.join(BENCH, 'apache', 'StartupProbe.java');
const PROBE_DIR = path.join(RMQ_HOME, 'probe');
const RESULTS = path.join(BENCH, 'results');
const TMP_PARENT = path.join(RESULTS, 'tmp');
const TOPIC = 'BenchmarkTest';
const JAVA_HOME = process.env.JAVA_HOME;
const JAVA = JAVA_HOME ? path.join(JAVA_HOME, 'bin', 'java') : 'java';
const JAVAC = JAVA_HOME ? path.join(JAVA_HOME, 'bin', 'javac') : 'javac';

// ---------------------------------------------------------------------------------------------
// options

const HELP = `usage: npm run bench:compare -- [options]      (or: node bench/compare.mjs [options])

  --duration SEC     producer run time per round and case (default 60)
  --sizes LIST       message sizes in bytes, comma separated (default 128,1024)
  --threads N        benchmark Producer threads, its -w (default 64; async sends always use 1)
  --flush MODE       ASYNC_FLUSH or SYNC_FLUSH, for both brokers (default ASYNC_FLUSH)
  --rounds N         A/B alternations (default 1); the order flips every round
  --brokers LIST     apache,ferry (default both), and null: bench/null-broker.mjs, which answers
                     sends without storing them: the Producer's ceiling on this machine (sync and
                     async cases only)
  --cases LIST       sync,async,consume,drain (default all): sync = one case per size; async =
                     Producer -y true with the first size; consume = Producer + Consumer with the
                     first size; drain = the Producer fills the topic, then the Consumer alone
                     reads the backlog (first size)
  --drain-messages N the backlog the drain case fills and reads (default 2000000)
  --smoke            10 s, size 128, sync case only, one round (for CI)
  --apache-heap SZ   broker heap, -Xms/-Xmx (default 2g; the distribution's runbroker.sh says 8g)
  --namesrv-heap SZ  name server heap (default 1g; the distribution's runserver.sh says 4g)
  --ferry-workers N  Ferry's networkWorkers (default: Ferry's own default)
  --ferry-set K=V    a Ferry broker setting for every Ferry run (repeatable, e.g.
                     sendLingerMicros=0); stated in the output; a key Ferry does not use stops it
  --ferry-node-args ARGS  extra node flags for Ferry, space separated (e.g. "--cpu-prof
                     --cpu-prof-dir=DIR" to profile it under exactly this load); stated in the output
  --out NAME         base name of the result files in bench/results (default <yyyy-mm-dd>-compare)
  --wait-idle SEC    before each run, wait up to SEC seconds for the machine to be idle (under 25 %
                     CPU busy over 3 s); useful on a shared machine (default 0: don't wait)
  --keep-tmp         keep the stores and logs under bench/results/tmp/ instead of deleting them
  -h, --help         this text
`;

function parseArgs(argv) {
  const o = {
    duration: 60, sizes: [128, 1024], threads: 64, flush: 'ASYNC_FLUSH', rounds: 1,
    brokers: ['apache', 'ferry'], cases: ['sync', 'async', 'consume', 'drain'], drainMessages: 2_000_000, smoke: false,
    apacheHeap: '2g', namesrvHeap: '1g', ferryWorkers: null, ferrySettings: [], ferryNodeArgs: [], out: null, keepTmp: false, waitIdle: 0,
  };
  const list = (v) => String(v).split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) die(`option ${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--duration': o.duration = posInt(val(), a); break;
      case '--sizes': o.sizes = list(val()).map((s) => posInt(s, a)); break;
      case '--threads': o.threads = posInt(val(), a); break;
      case '--flush': o.flush = String(val()).toUpperCase(); break;
      case '--rounds': o.rounds = posInt(val(), a); break;
      case '--brokers': o.brokers = list(val()).map((s) => s.toLowerCase()); break;
      case '--cases': o.cases = list(val()).map((s) => s.toLowerCase()); break;
      case '--smoke': o.smoke = true; break;
      case '--drain-messages': o.drainMessages = posInt(val(), a); break;
      case '--apache-heap': o.apacheHeap = val(); break;
      case '--namesrv-heap': o.namesrvHeap = val(); break;
      case '--ferry-workers': o.ferryWorkers = posInt(val(), a); break;
      case '--ferry-set': { const kv = String(val()); if (!/^[A-Za-z][A-Za-z0-9]*=/.test(kv)) die('--ferry-set needs KEY=VALUE'); o.ferrySettings.push(kv); break; }
      case '--ferry-node-args': o.ferryNodeArgs = String(val()).split(' ').filter(Boolean); break;
      case '--out': o.out = val(); break;
      case '--keep-tmp': o.keepTmp = true; break;
      case '--wait-idle': o.waitIdle = Number(val()); if (!(o.waitIdle >= 0)) die('--wait-idle needs seconds'); break;
      case '-h': case '--help': process.stdout.write(HELP); process.exit(0); break;
      default: die(`unknown option ${a}\n\n${HELP}`);
    }
  }
  if (o.smoke) { o.duration = 10; o.sizes = [o.sizes[0] ?? 128]; o.cases = ['sync']; o.rounds = 1; }
  if (!['ASYNC_FLUSH', 'SYNC_FLUSH'].includes(o.flush)) die('--flush must be ASYNC_FLUSH or SYNC_FLUSH');
  for (const b of o.brokers) if (!['apache', 'ferry', 'null'].includes(b)) die(`unknown broker ${b}`);
  if (o.brokers.includes('null') && o.cases.some((c) => c === 'consume' || c === 'drain')) die('the null broker serves no consumer: run it with --cases sync,async');
  for (const c of o.cases) if (!['sync', 'async', 'consume', 'drain'].includes(c)) die(`unknown case ${c}`);
  if (!o.brokers.length || !o.cases.length || !o.sizes.length) die('nothing to run');
  for (const h of [o.apacheHeap, o.namesrvHeap]) if (!/^\d+[kmgKMG]?$/.test(h)) die(`bad heap size ${h}`);
  if (o.out && !/^[\w.-]+$/.test(o.out)) die('--out takes a plain file base name');
  return o;
}
function posInt(s, name) {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) die(`${name} needs a positive integer, got ${s}`);
  return n;
}
function die(msg) { process.stderr.write(`bench: ${msg}\n`); process.exit(2); }
function log(msg) { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`); }

// ---------------------------------------------------------------------------------------------
// child processes: every one is tracked and killed on exit, Ctrl-C and errors

const children = new Set();
const tmpDirs = new Set();

function launch(name, cmd, args, { env, cwd, logFile } = {}) {
  const child = spawn(cmd, args, {
    cwd: cwd ?? REPO, env: { ...process.env, ...(env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  });
  child.benchName = name;
  child.lines = [];
  child.lineWaiters = new Set();
  child.exited = false;
  const out = logFile ? fs.createWriteStream(logFile) : null;
  children.add(child);
  const feed = (stream) => {
    let buf = '';
    stream.on('data', (d) => {
      out?.write(d);
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const rec = { t: Date.now(), line };
        if (child.lines.length < 20000) child.lines.push(rec);
        for (const w of [...child.lineWaiters]) w(rec);
      }
    });
  };
  feed(child.stdout);
  feed(child.stderr);
  child.stdin.on('error', () => {});
  child.exitPromise = new Promise((resolve) => {
    child.on('error', (e) => { child.spawnError = e; });
    child.on('close', (code, signal) => {
      child.exited = true; child.exitCode2 = code; child.exitSignal = signal;
      children.delete(child);
      out?.end();
      for (const w of [...child.lineWaiters]) w(null);
      resolve({ code, signal });
    });
  });
  return child;
}

function signalTree(child, sig) {
  if (child.exited || !child.pid) return;
  try { process.kill(-child.pid, sig); } catch { try { process.kill(child.pid, sig); } catch { /* gone */ } }
}

async function stopChild(child, graceMs) {
  if (!child || child.exited) return { clean: child ? child.exitSignal == null : true, forced: false };
  signalTree(child, 'SIGTERM');
  const t = await Promise.race([child.exitPromise, sleep(graceMs).then(() => null)]);
  if (t) return { clean: true, forced: false, code: t.code, signal: t.signal };
  signalTree(child, 'SIGKILL');
  await Promise.race([child.exitPromise, sleep(5000)]);
  return { clean: false, forced: true };
}

function waitLine(child, re, timeoutMs, what) {
  for (const rec of child.lines) { const m = re.exec(rec.line); if (m) return Promise.resolve({ ...rec, m }); }
  return new Promise((resolve, reject) => {
    const done = (fn, v) => { clearTimeout(timer); child.lineWaiters.delete(waiter); fn(v); };
    const waiter = (rec) => {
      if (rec === null) return done(reject, new Error(`${child.benchName} exited (${child.exitCode2 ?? child.exitSignal}) before ${what}`));
      const m = re.exec(rec.line);
      if (m) done(resolve, { ...rec, m });
    };
    const timer = setTimeout(() => done(reject, new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    child.lineWaiters.add(waiter);
    if (child.exited) waiter(null);
  });
}

let cleaningUp = false;
async function cleanupAll() {
  if (cleaningUp) return;
  cleaningUp = true;
  await Promise.all([...children].map((c) => stopChild(c, 8000)));
  removeTmp();
}
function removeTmp() {
  for (const d of tmpDirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ } tmpDirs.delete(d); }
  try { fs.rmdirSync(TMP_PARENT); } catch { /* not empty or absent */ }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping every process this run started`);
    cleanupAll().finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  for (const c of children) signalTree(c, 'SIGKILL');
  removeTmp();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// ports (taken free from the OS, on 127.0.0.1 only)

function canBind(port) {
  return new Promise((resolve) => {
    if (port < 1024 || port > 65535) return resolve(false);
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}
// A RocketMQ broker also binds listenPort-2 (the "VIP" channel) and listenPort+1 (HA).
async function brokerPort(avoid) {
  for (let i = 0; i < 200; i++) {
    const p = await freePort();
    const set = [p - 2, p - 1, p, p + 1];
    if (set.some((x) => avoid.includes(x))) continue;
    if ((await canBind(p - 2)) && (await canBind(p - 1)) && (await canBind(p + 1))) return p;
  }
  throw new Error('no free port block for the broker');
}
async function waitPort(port, timeoutMs, procs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const p of procs) if (p.exited) throw new Error(`${p.benchName} exited before port ${port} opened`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// /proc: CPU and memory of a process and its descendants; machine-wide CPU

let CLK_TCK = 100;
try { CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100; } catch { /* keep 100 */ }

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]) };
  } catch { return null; }
}
function readStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s); return m ? Number(m[1]) : 0; };
    const th = /^Threads:\s+(\d+)/m.exec(s);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), threads: th ? Number(th[1]) : 0 };
  } catch { return null; }
}
function treePids(root) {
  const kids = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(e);
    if (!st) continue;
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push(Number(e));
  }
  const out = [];
  const walk = (p) => { out.push(p); for (const k of kids.get(p) ?? []) walk(k); };
  walk(root);
  return out;
}
// CPU seconds (user+system, all threads) of each tracked process tree. Threads and children that
// have exited are counted by the kernel in the parent's figures once reaped; live ones by the walk.
function cpuSeconds(procs) {
  let ticks = 0;
  for (const p of procs) {
    if (p.exited) { ticks += p.lastTicks ?? 0; continue; }
    let t = 0;
    for (const pid of treePids(p.pid)) { const st = readStat(pid); if (st) t += st.utime + st.stime; }
    p.lastTicks = Math.max(p.lastTicks ?? 0, t);
    ticks += p.lastTicks;
  }
  return ticks / CLK_TCK;
}
function memory(procs) {
  let rss = 0, hwm = 0, threads = 0;
  const per = {};
  for (const p of procs) {
    if (p.exited) continue;
    let r = 0, h = 0;
    for (const pid of treePids(p.pid)) { const st = readStatus(pid); if (st) { r += st.rssKb; h += st.hwmKb; threads += st.threads; } }
    per[p.benchName] = { rssMB: r / 1024, hwmMB: h / 1024 };
    rss += r; hwm += h;
  }
  return { rssMB: rss / 1024, hwmMB: hwm / 1024, threads, per };
}
function machineCpu() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

async function busyPercent(ms) {
  const a = machineCpu();
  await sleep(ms);
  const b = machineCpu();
  return +(100 * (b.busy - a.busy) / Math.max(1e-9, b.total - a.total)).toFixed(1);
}
/**
 * Measures how busy the machine is over `windowMs`, again until it is under `underPercent` or
 * `maxMs` have passed; `onWait` is told when it starts waiting.
 */
async function waitQuiet(windowMs, underPercent, maxMs, onWait = () => {}) {
  const t0 = Date.now();
  let busy = await busyPercent(windowMs);
  if (busy >= underPercent && maxMs > 0) onWait(busy);
  while (busy >= underPercent && Date.now() - t0 < maxMs) busy = await busyPercent(windowMs);
  return { busyPercent: busy, waitedMs: Date.now() - t0 };
}
async function waitIdle(maxSeconds) {
  const r = await waitQuiet(3000, 25, maxSeconds * 1000, (busy) => log(`machine ${busy}% busy: waiting up to ${maxSeconds} s for it to be idle`));
  return { busyPercent: r.busyPercent, waited: Math.round(r.waitedMs / 1000) };
}

// ---------------------------------------------------------------------------------------------
// setup: Apache RocketMQ 4.9.8 from Maven Central (source release, built here), Ferry from this checkout

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, env: { ...process.env, ...(opts.env ?? {}) } });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stdout + r.stderr).split('\n').slice(-40).join('\n')}`);
  return r.stdout;
}

const MVN_SKIP = [
  '-DskipTests', '-Dmaven.test.skip=true', '-Djacoco.skip=true', '-Dcheckstyle.skip=true', '-Drat.skip=true',
  '-Dspotbugs.skip=true', '-Dfindbugs.skip=true', '-Dmaven.source.skip=true', '-Denforcer.skip=true',
  '-Dmaven.javadoc.skip=true', '-Dgpg.skip=true',
  // the client module of 4.9.8 asks for -source 1.6, which a JDK 17 javac no longer accepts
  '-Dmaven.compiler.source=1.8', '-Dmaven.compiler.target=1.8',
];

function ensureApache() {
  const marker = path.join(RMQ_HOME, '.built');
  if (!fs.existsSync(marker)) {
    log(`fetching Apache RocketMQ ${RMQ_VERSION} (source release from Maven Central) into bench/.cache ...`);
    fs.mkdirSync(CACHE, { recursive: true });
    run('mvn', ['-B', '-q', '-f', path.join(BENCH, 'apache', 'pom.xml'), 'dependency:unpack', `-Dbench.cache=${CACHE}`]);
    if (!fs.existsSync(path.join(RMQ_SRC, 'pom.xml'))) throw new Error('source release did not unpack where expected');
    log('building broker, namesrv and example modules (a minute or two the first time) ...');
    fs.rmSync(RMQ_HOME, { recursive: true, force: true });
    fs.mkdirSync(RMQ_LIB, { recursive: true });
    run('mvn', ['-B', '-q', ...MVN_SKIP, '-pl', 'broker,namesrv,example', '-am', 'package',
      'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${RMQ_LIB}`], { cwd: RMQ_SRC });
    for (const m of ['broker', 'namesrv', 'example']) {
      const jar = `rocketmq-${m}-${RMQ_VERSION}.jar`;
      fs.copyFileSync(path.join(RMQ_SRC, m, 'target', jar), path.join(RMQ_LIB, jar));
    }
    fs.cpSync(path.join(RMQ_SRC, 'distribution', 'conf'), path.join(RMQ_HOME, 'conf'), { recursive: true });
    fs.writeFileSync(marker, `${RMQ_VERSION}\n`);
  }
  const cls = path.join(PROBE_DIR, 'StartupProbe.class');
  if (!fs.existsSync(cls) || fs.statSync(cls).mtimeMs < fs.statSync(PROBE_SRC).mtimeMs) {
    fs.mkdirSync(PROBE_DIR, { recursive: true });
    run(JAVAC, ['-nowarn', '-cp', `${RMQ_LIB}/*`, '-d', PROBE_DIR, PROBE_SRC]);
  }
}

/** `ferrymq start` from this checkout with its embedded name server on 127.0.0.1; `settings`: more key=value. */
function launchFerry(name, { port, nsPort, store, home, logFile, settings = [], nodeArgs = [] }) {
  return launch(name, process.execPath, [...nodeArgs, path.join(REPO, 'bin', 'ferrymq.js'), 'start', `listenPort=${port}`,
    `namesrvAddr=127.0.0.1:${nsPort}`, `namesrvListenPort=${nsPort}`, `storePathRootDir=${store}`, 'brokerIP1=127.0.0.1', ...settings],
  { env: { HOME: home }, logFile });
}

const ferryCodeCacheExists = () => fs.existsSync(path.join(REPO, 'dist', 'bundle', 'main', 'cli.bundle.cache'));

/**
 * A build leaves no code cache; each thread writes its own 1 s after its first start
 * (src/main/bundle-loader.ts). Start Ferry once, untimed, as any first start after an install
 * would, so that every timed start is like every later one in use. It also runs with the
 * --ferry-set settings: Ferry keeps a key it does not know (broker.conf has many) and only logs
 * it, and a misspelt setting must stop the comparison, not measure the default under its name.
 */
async function firstStartAfterBuild(settings) {
  fs.mkdirSync(TMP_PARENT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(TMP_PARENT, 'first-start-'));
  tmpDirs.add(dir);
  const nsPort = await freePort();
  const port = await brokerPort([nsPort]);
  const t0 = Date.now();
  const f = launchFerry('ferry-first-start', { port, nsPort, store: path.join(dir, 'store'), home: dir, logFile: path.join(dir, 'ferry.out'), settings });
  try {
    const started = await waitLine(f, /"msg":"Ferry broker started"/, 60000, 'Ferry\'s first start');
    const unused = f.lines.map(({ line }) => /"key":"([^"]+)".*"msg":"config key not used by Ferry/.exec(line)?.[1]).filter(Boolean);
    const misspelt = settings.filter((kv) => unused.includes(kv.slice(0, kv.indexOf('='))));
    if (misspelt.length) throw new Error(`--ferry-set: Ferry does not use ${misspelt.join(', ')}`);
    const startedMs = started.t - t0;
    await sleep(2000);
    return { startedMs, codeCache: ferryCodeCacheExists() };
  } finally {
    await stopChild(f, 10000);
    fs.rmSync(dir, { recursive: true, force: true });
    tmpDirs.delete(dir);
  }
}

function buildFerry() {
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) throw new Error('node_modules/typescript missing: run npm ci first');
  if (!fs.existsSync(path.join(REPO, 'bin', 'ferrymq.js'))) throw new Error('bin/ferrymq.js missing');
  const r = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  // tsc still emits on type errors; run what it emitted, but say so in the results
  const errors = r.status === 0 ? [] : (r.stdout + r.stderr).split('\n').filter((l) => /error TS\d+/.test(l));
  if (!fs.existsSync(path.join(REPO, 'dist', 'src', 'main', 'cli.js'))) throw new Error(`tsc failed:\n${errors.slice(0, 20).join('\n')}`);
  // bin/ferrymq.js runs the per-thread bundles (scripts/bundle.mjs), as `npm run build` makes them
  const bundle = path.join(REPO, 'scripts', 'bundle.mjs');
  if (fs.existsSync(bundle)) {
    const b = spawnSync(process.execPath, [bundle], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (b.status !== 0) throw new Error(`bundling failed:\n${b.stdout}${b.stderr}`);
  }
  return r.status === 0 ? null : `tsc reported ${errors.length} type error(s); ran the emitted JavaScript. First: ${errors[0] ?? '?'}`;
}

// ---------------------------------------------------------------------------------------------
// JVM settings: the 4.9.8 distribution's bin/runserver.sh, runbroker.sh and benchmark/runclass.sh,
// as they apply to Java >= 9, except for the heap, which is an option and is stated in the output.

const JAVA17_OPENS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED', '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED', '--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
];
const G1 = ['-XX:+UseG1GC', '-XX:G1HeapRegionSize=16m', '-XX:G1ReservePercent=25', '-XX:InitiatingHeapOccupancyPercent=30', '-XX:SoftRefLRUPolicyMSPerMB=0'];
const gcLog = (dir, name) => `-Xlog:gc*:file=${dir}/${name}_gc_%p_%t.log:time,tags:filecount=5,filesize=30M`;
function namesrvJvm(o, logDir) {
  return ['-server', `-Xms${o.namesrvHeap}`, `-Xmx${o.namesrvHeap}`, '-XX:MetaspaceSize=128m', '-XX:MaxMetaspaceSize=320m',
    ...G1, gcLog(logDir, 'rmq_srv'), '-XX:-OmitStackTraceInFastThrow', '-XX:-UseLargePages', ...JAVA17_OPENS];
}
function brokerJvm(o, logDir) {
  return ['-server', `-Xms${o.apacheHeap}`, `-Xmx${o.apacheHeap}`, ...G1, gcLog(logDir, 'rmq_broker'),
    '-XX:-OmitStackTraceInFastThrow', '-XX:+AlwaysPreTouch', '-XX:MaxDirectMemorySize=15g', '-XX:-UseLargePages',
    '-XX:-UseBiasedLocking', ...JAVA17_OPENS];
}
// runclass.sh's CMS, PermSize and java.ext.dirs flags do not exist on Java 17 (the last one stops
// the JVM), so the tools run with its heap and the rest of its flags, on Java 17's default G1.
const TOOLS_JVM = ['-server', '-Xms1g', '-Xmx1g', '-Xmn256m', '-XX:-OmitStackTraceInFastThrow', '-XX:-UseLargePages', '-XX:+PerfDisableSharedMem'];
// The start-up probe is our instrument, not RocketMQ's tool: C1 alone compiles its warm-up in a
// fraction of the CPU, so that C2 compiling later does not take cores from the broker being timed.
const PROBE_JVM = [...TOOLS_JVM, '-XX:TieredStopAtLevel=1'];
const rmqClasspath = () => `${path.join(RMQ_HOME, 'conf')}:${RMQ_LIB}/*`;

// ---------------------------------------------------------------------------------------------
// parsing the 4.9.8 tools' output

// Producer, every 10 s: "Current Time: ... Send TPS: N Max RT(ms): N Average RT(ms): X Send Failed: N Response Failed: N"
const SEND_RE = /Send TPS: (\d+)\s*\|?\s*Max RT\(ms\): (\d+)\s*\|?\s*Average RT\(ms\):\s*([\d.]+|NaN)\s*\|?\s*Send Failed: (\d+)\s*\|?\s*Response Failed: (\d+)/;
// Consumer, every 10 s: "Current Time: ... TPS: N FAIL: N AVG(B2C) RT(ms): X AVG(S2C) RT(ms): X MAX(B2C) ..."
const CONSUME_RE = /\bTPS: (\d+)\b.*AVG\(B2C\) RT\(ms\):\s*([\d.]+|NaN)/;

function sendLines(child, t0) {
  const out = [];
  for (const { t, line } of child.lines) {
    const m = SEND_RE.exec(line);
    if (m) out.push({ t: (t - t0) / 1000, tps: Number(m[1]), maxRtMs: Number(m[2]), avgRtMs: Number(m[3]), sendFailed: Number(m[4]), responseFailed: Number(m[5]) });
  }
  return out;
}
function consumeLines(child, t0) {
  const out = [];
  for (const { t, line } of child.lines) {
    const m = CONSUME_RE.exec(line);
    if (m) out.push({ t: (t - t0) / 1000, tps: Number(m[1]), avgB2cMs: Number(m[2]) });
  }
  return out;
}
// The tools print a TPS over the last ~10 s every 10 s. The first line covers the JVM's and the
// broker's warm-up; the steady window is every line after it.
function steady(lines) { return lines.length > 1 ? lines.slice(1) : lines; }
function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

// Messages stored in a topic, from the ConsumeQueue files (RocketMQ's store format: 20-byte units,
// files named by their first byte offset; a unit with size 0 is past the end).
function storedMessages(storeRoot, topic) {
  const dir = path.join(storeRoot, 'consumequeue', topic);
  if (!fs.existsSync(dir)) return null;
  let total = 0;
  for (const q of fs.readdirSync(dir)) {
    const qdir = path.join(dir, q);
    const files = fs.readdirSync(qdir).filter((f) => /^\d+$/.test(f)).sort();
    if (!files.length) continue;
    const last = files[files.length - 1];
    const fd = fs.openSync(path.join(qdir, last), 'r');
    try {
      const units = Math.floor(fs.fstatSync(fd).size / 20);
      const b = Buffer.alloc(4);
      const used = (i) => { fs.readSync(fd, b, 0, 4, i * 20 + 8); return b.readInt32BE(0) > 0; };
      let lo = 0, hi = units; // first unused unit in [lo, hi]
      while (lo < hi) { const mid = (lo + hi) >> 1; if (used(mid)) lo = mid + 1; else hi = mid; }
      total += Number(last) / 20 + lo;
    } finally { fs.closeSync(fd); }
  }
  return total;
}

// Bytes appended to the CommitLog so far, to 4 KB: files before the last are full; in the last one
// (preallocated, zero past the end) the first 4 KB block that is all zeros marks the end. Messages
// of one benchmark run all have the same record size, so bytes / record size counts them.
function commitLogFill(storeRoot) {
  const dir = path.join(storeRoot, 'commitlog');
  if (!fs.existsSync(dir)) return null;
  const files = fs.readdirSync(dir).filter((f) => /^\d+$/.test(f)).sort();
  // the newest files may be preallocated ahead and still empty: use the last one that has data
  for (let i = files.length - 1; i >= 0; i--) {
    const fd = fs.openSync(path.join(dir, files[i]), 'r');
    try {
      const size = fs.fstatSync(fd).size, B = 4096, blocks = Math.floor(size / B);
      const b = Buffer.alloc(B);
      const used = (k) => { const n = fs.readSync(fd, b, 0, B, k * B); for (let j = 0; j + 4 <= n; j += 4) if (b.readInt32LE(j) !== 0) return true; return false; };
      if (!blocks || !used(0)) continue;
      let lo = 0, hi = blocks;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (used(mid)) lo = mid + 1; else hi = mid; }
      return { bytes: Number(files[i]) + lo * B };
    } finally { fs.closeSync(fd); }
  }
  return null;
}
// size of the n-th record of the first CommitLog file (0: the probe's message, 1: the first benchmark one)
function commitLogRecordSize(storeRoot, nth) {
  const dir = path.join(storeRoot, 'commitlog');
  const files = fs.readdirSync(dir).filter((f) => /^\d+$/.test(f)).sort();
  const fd = fs.openSync(path.join(dir, files[0]), 'r');
  try {
    const b = Buffer.alloc(4);
    let pos = 0, len = 0;
    for (let i = 0; i <= nth; i++) { fs.readSync(fd, b, 0, 4, pos); len = b.readInt32BE(0); if (len <= 0) return null; pos += len; }
    return len;
  } finally { fs.closeSync(fd); }
}

// Messages in the CommitLog so far, from its fill and the size of the first benchmark record:
// cheap enough to ask every half second while the drain case fills its backlog.
function commitLogMessages(storeRoot) {
  try {
    const fill = commitLogFill(storeRoot), size = commitLogRecordSize(storeRoot, 1);
    return fill && size ? fill.bytes / size : 0;
  } catch { return 0; }
}

// The sum of a group's committed offsets in a topic, from config/consumerOffset.json (fastjson
// writes the queue ids unquoted; either way is read): the messages it consumed from offset 0.
function committedOffsets(storeRoot, topic, group) {
  let text;
  try { text = fs.readFileSync(path.join(storeRoot, 'config', 'consumerOffset.json'), 'utf8'); } catch { return null; }
  const entry = new RegExp(`"${topic}@${group}"\\s*:\\s*\\{([^}]*)\\}`).exec(text);
  if (!entry) return null;
  let sum = 0;
  for (const m of entry[1].matchAll(/"?\d+"?\s*:\s*(\d+)/g)) sum += Number(m[1]);
  return sum;
}

/** RocketMQ's benchmark Consumer with its defaults (20 threads, group DRAIN_GROUP); `started`: its "Consumer Started" line. */
async function startConsumer(name, { tools, nsAddr, userHome, javaEnv, logs }) {
  const consumer = launch(name, JAVA, [...TOOLS_JVM, userHome, '-cp', rmqClasspath(),
    'org.apache.rocketmq.example.benchmark.Consumer', '-n', nsAddr, '-t', TOPIC], { env: javaEnv, logFile: path.join(logs, `${name}.out`) });
  tools.push(consumer);
  const started = await waitLine(consumer, /Consumer Started/, 60000, 'the Consumer to start');
  return { consumer, started };
}

const DRAIN_FILL_MAX_S = 240;
const DRAIN_MAX_S = 300;
const DRAIN_GROUP = 'benchmark_consumer'; // the benchmark Consumer's default group, which it runs with
const CLIENT_BUSY_CORES = 0.2;

/**
 * The drain case, after the fill: RocketMQ's benchmark Consumer alone reads the backlog. Its group
 * is new, so it starts at offset 0 (both brokers answer a new group's offset query with 0 while a
 * queue still holds its first message). The client caches up to 1,000 pulled messages per queue,
 * so the broker may be done serving pulls well before the client is done consuming: the drain ends
 * when the broker's CPU and the Consumer's have both stayed near rest for 3 s. Its time runs from
 * the Consumer's "Consumer Started" to the last moment either was busy, and the broker's CPU from
 * the Consumer's launch to that moment. Afterwards it waits for the client's 5-second offset
 * commit, so that the broker's record shows whether every message was read.
 */
async function drainBacklog({ procs, tools, store, nsAddr, userHome, javaEnv, logs, tp0 }) {
  await sleep(2000); // the last sends are dispatched
  const backlog = storedMessages(store, TOPIC);
  const rest = { t: Date.now(), cpu: cpuSeconds(procs) };
  await sleep(2000);
  const restCores = (cpuSeconds(procs) - rest.cpu) / ((Date.now() - rest.t) / 1000);
  const busyCores = Math.max(0.1, 3 * restCores);
  const t0 = Date.now(), cpu0 = cpuSeconds(procs);
  const { consumer, started } = await startConsumer('drain-consumer', { tools, nsAddr, userHome, javaEnv, logs });
  const at = () => ({ t: Date.now(), cpu: cpuSeconds(procs), client: cpuSeconds([consumer]) });
  const cores = (a, b, k) => (b[k] - a[k]) / ((b.t - a.t) / 1000);
  let prev = at(), brokerBusy = null, clientBusy = null, lastBusy = null;
  for (;;) {
    await sleep(250);
    for (const p of [...procs, consumer]) if (p.exited) throw new Error(`${p.benchName} exited during the drain (${p.exitCode2 ?? p.exitSignal})`);
    const now = at();
    if (cores(prev, now, 'cpu') >= busyCores) brokerBusy = now;
    if (cores(prev, now, 'client') >= CLIENT_BUSY_CORES) clientBusy = now;
    if (brokerBusy && clientBusy) {
      lastBusy = brokerBusy.t > clientBusy.t ? brokerBusy : clientBusy;
      if (now.t - lastBusy.t >= 3000) break;
    }
    if (now.t - t0 > DRAIN_MAX_S * 1000) throw new Error(`the drain did not end within ${DRAIN_MAX_S} s`);
    prev = now;
  }
  await sleep(6000);
  return {
    consumer,
    figures: {
      drainBacklog: backlog, drainRestCores: +restCores.toFixed(3),
      drainSeconds: +((lastBusy.t - started.t) / 1000).toFixed(2),
      drainServedSeconds: +((brokerBusy.t - started.t) / 1000).toFixed(2),
      drainCpuSeconds: +(lastBusy.cpu - cpu0).toFixed(2),
      consumeTpsLines: consumeLines(consumer, tp0),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// one broker, one case, one round, on a fresh store

async function runOne(o, broker, kase, round, runRoot) {
  const id = `${broker}-${kase.id}-r${round}`;
  const dir = path.join(runRoot, id);
  const store = path.join(dir, 'store');
  const home = path.join(dir, 'home');
  const logs = path.join(dir, 'logs');
  for (const d of [store, home, logs]) fs.mkdirSync(d, { recursive: true });
  const res = { broker, case: kase.id, round, size: kase.size, mode: kase.mode, ok: false };
  const procs = []; // broker-side processes (CPU and RSS are theirs)
  const tools = [];
  let sampler = null;
  const javaEnv = { ROCKETMQ_HOME: RMQ_HOME };
  const userHome = `-Duser.home=${home}`;
  try {
    const nsPort = await freePort();
    const port = await brokerPort([nsPort]);
    const nsAddr = `127.0.0.1:${nsPort}`;

    // the startup probe: its JVM and client start before the broker, it sends when told to
    const probe = launch('probe', JAVA, [...PROBE_JVM, userHome, '-cp', `${rmqClasspath()}:${PROBE_DIR}`, 'StartupProbe', nsAddr, TOPIC, '120000'],
      { env: javaEnv, logFile: path.join(logs, 'probe.log') });
    tools.push(probe);
    await waitLine(probe, /PROBE READY/, 60000, 'the probe to start');
    // The probe's JVM goes on compiling for a moment after it is ready; on 2 cores that would be
    // counted in the broker's start.
    const settled = await waitQuiet(250, 10, 5000);
    res.busyPercentAtSpawn = settled.busyPercent;
    res.settleMs = settled.waitedMs;

    res.loadavgStart = os.loadavg().map((x) => +x.toFixed(2));
    const probeCpu0 = cpuSeconds([probe]);
    const machine0 = machineCpu();
    const t0 = Date.now();
    let tBroker = t0;
    if (broker === 'apache') {
      const nsConf = path.join(dir, 'namesrv.properties');
      fs.writeFileSync(nsConf, `listenPort=${nsPort}\n`);
      const ns = launch('namesrv', JAVA, [...namesrvJvm(o, logs), userHome, '-cp', rmqClasspath(),
        'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', nsConf], { env: javaEnv, logFile: path.join(logs, 'namesrv.out') });
      procs.push(ns);
      probe.stdin.write('GO\n');
      await waitPort(nsPort, 60000, [ns]);
      const conf = path.join(dir, 'broker.conf');
      fs.writeFileSync(conf, [
        // the distribution's conf/broker.conf ...
        'brokerClusterName = DefaultCluster', 'brokerName = broker-a', 'brokerId = 0', 'deleteWhen = 04',
        'fileReservedTime = 48', 'brokerRole = ASYNC_MASTER', `flushDiskType = ${o.flush}`,
        // ... and what this run needs
        `listenPort = ${port}`, `namesrvAddr = ${nsAddr}`, `storePathRootDir = ${store}`, 'brokerIP1 = 127.0.0.1',
        'autoCreateTopicEnable = true', '',
      ].join('\n'));
      tBroker = Date.now();
      const b = launch('broker', JAVA, [...brokerJvm(o, logs), userHome, '-cp', rmqClasspath(),
        'org.apache.rocketmq.broker.BrokerStartup', '-c', conf], { env: javaEnv, logFile: path.join(logs, 'broker.out') });
      procs.push(b);
    } else if (broker === 'null') {
      procs.push(launch('null', process.execPath, [path.join(REPO, 'bench', 'null-broker.mjs'), '--port', String(port), '--ns-port', String(nsPort)],
        { logFile: path.join(logs, 'null.out') }));
      probe.stdin.write('GO\n');
    } else {
      // the code cache the untimed first start wrote (firstStartAfterBuild)
      res.ferryCodeCache = ferryCodeCacheExists();
      const settings = ['brokerClusterName=DefaultCluster', 'brokerName=broker-a', `flushDiskType=${o.flush}`, 'autoCreateTopicEnable=true'];
      if (o.ferryWorkers) settings.push(`networkWorkers=${o.ferryWorkers}`);
      settings.push(...o.ferrySettings);
      const f = launchFerry('ferry', { port, nsPort, store, home, logFile: path.join(logs, 'ferry.out'), settings, nodeArgs: o.ferryNodeArgs });
      procs.push(f);
      probe.stdin.write('GO\n');
    }
    res.brokerArgs = broker === 'apache' ? { heap: o.apacheHeap, namesrvHeap: o.namesrvHeap } : broker === 'null' ? {} : { networkWorkers: o.ferryWorkers ?? 'default', settings: o.ferrySettings };

    // sample memory (and CPU for the record) once a second for the rest of the broker's life
    let peakSampledMB = 0;
    const series = [];
    let tp0 = null;
    const storeFill = []; // CommitLog bytes, about once a second while the Producer runs
    const sample = () => {
      if (tp0 != null) {
        try {
          const t = (Date.now() - tp0) / 1000, f = commitLogFill(store);
          if (f && (!storeFill.length || t - storeFill[storeFill.length - 1].t >= 0.8)) storeFill.push({ t, bytes: f.bytes });
        } catch { /* not there yet */ }
      }
      const m = memory(procs);
      peakSampledMB = Math.max(peakSampledMB, m.rssMB);
      series.push({ t: +((Date.now() - t0) / 1000).toFixed(1), rssMB: +m.rssMB.toFixed(1), cpuS: +cpuSeconds(procs).toFixed(2), threads: m.threads });
    };
    sampler = setInterval(sample, 1000);
    sample();

    const ok = await Promise.race([
      waitLine(probe, /PROBE (OK (\d+) attempts=(\d+)|TIMEOUT.*)/, 130000, 'the first successful send'),
      ...procs.map((p) => p.exitPromise.then(() => { throw new Error(`${p.benchName} exited during start-up (${p.exitCode2 ?? p.exitSignal})`); })),
    ]);
    if (!ok.m[2]) throw new Error(`startup probe: ${ok.m[1]}`);
    const tFirst = Number(ok.m[2]);
    // CPU spent from the spawn to the first send: by the broker, by the probe, by the whole machine
    const machine1 = machineCpu();
    res.startCpuMs = { broker: Math.round(cpuSeconds(procs) * 1000), probe: Math.round((cpuSeconds([probe]) - probeCpu0) * 1000), machine: Math.round((machine1.busy - machine0.busy) * 1000) };
    res.startToFirstSendMs = tFirst - t0;
    res.brokerSpawnToFirstSendMs = tFirst - tBroker;
    res.probeAttempts = Number(ok.m[3]);
    await probe.exitPromise;
    log(`${id}: first send ${res.startToFirstSendMs} ms after start (CPU ms: broker ${res.startCpuMs.broker}, probe ${res.startCpuMs.probe}, machine ${res.startCpuMs.machine})`);

    let consumer = null;
    if (kase.consume) consumer = (await startConsumer('consumer', { tools, nsAddr, userHome, javaEnv, logs })).consumer;

    const pArgs = ['-n', nsAddr, '-t', TOPIC, '-w', String(o.threads), '-s', String(kase.size)];
    if (kase.async) pArgs.push('-y', 'true');
    res.producerArgs = pArgs.filter((_, i) => i > 1).join(' ').replace(`-t ${TOPIC} `, '');
    const cpu0 = cpuSeconds(procs);
    const m0 = machineCpu();
    tp0 = Date.now();
    const producer = launch('producer', JAVA, [...TOOLS_JVM, '-Dorg.apache.rocketmq.client.sendSmartMsg=true', userHome, '-cp', rmqClasspath(),
      'org.apache.rocketmq.example.benchmark.Producer', ...pArgs], { env: javaEnv, logFile: path.join(logs, 'producer.out') });
    tools.push(producer);

    // run for the duration, plus a moment so the tool's line at `duration` seconds is printed; the
    // drain case's fill runs until the backlog is there instead
    const endAt = tp0 + (kase.drain ? DRAIN_FILL_MAX_S : o.duration) * 1000 + 1500;
    while (Date.now() < endAt) {
      await sleep(Math.min(500, endAt - Date.now()));
      for (const p of [...procs, producer]) if (p.exited) throw new Error(`${p.benchName} exited during the run (${p.exitCode2 ?? p.exitSignal})`);
      if (kase.drain && commitLogMessages(store) >= o.drainMessages) break;
    }
    // a short run on a busy machine may not have printed its first line yet: give it up to 15 s
    if (!sendLines(producer, tp0).length) {
      await waitLine(producer, SEND_RE, 15000, 'the first Send TPS line').catch(() => {});
    }
    const cpu1 = cpuSeconds(procs);
    const toolCpu = cpuSeconds(tools);
    const m1 = machineCpu();
    const tp1 = Date.now();
    let mem = memory(procs);
    clearInterval(sampler); sampler = null;
    sample();
    await stopChild(producer, 5000);
    if (consumer) await stopChild(consumer, 5000);
    if (kase.drain) {
      const d = await drainBacklog({ procs, tools, store, nsAddr, userHome, javaEnv, logs, tp0 });
      Object.assign(res, d.figures);
      await stopChild(d.consumer, 5000);
      mem = memory(procs); // the peak so far, now with the drain in it
    }

    // stop the broker (then the name server) the way an operator does: SIGTERM, wait
    const stops = [];
    for (const p of [...procs].reverse()) stops.push({ name: p.benchName, ...(await stopChild(p, 60000)) });
    res.stop = stops;
    res.cleanShutdown = stops.every((s) => s.clean && !s.forced && (s.code === 0 || s.code === null || s.code === 143))
      && !fs.existsSync(path.join(store, 'abort'));

    const sends = sendLines(producer, tp0);
    const st = steady(sends);
    const last = sends[sends.length - 1];
    res.sendTpsLines = sends;
    res.sendTps = median(st.map((x) => x.tps));
    res.avgRtMs = median(st.map((x) => x.avgRtMs));
    res.maxRtMs = last ? last.maxRtMs : null; // the tool's Max RT is the maximum since it started
    res.sendFailed = last ? last.sendFailed : null;
    res.responseFailed = last ? last.responseFailed : null;
    if (consumer) {
      const cl = consumeLines(consumer, tp0);
      res.consumeTpsLines = cl;
      res.consumeTps = median(steady(cl).map((x) => x.tps));
      res.consumeAvgB2cMs = median(steady(cl).map((x) => x.avgB2cMs));
    }
    res.peakRssMB = +mem.hwmMB.toFixed(1);
    res.peakRssByProcessMB = Object.fromEntries(Object.entries(mem.per).map(([k, v]) => [k, +v.hwmMB.toFixed(1)]));
    res.sampledPeakRssMB = +peakSampledMB.toFixed(1);
    res.brokerThreads = mem.threads;
    res.windowSeconds = +((tp1 - tp0) / 1000).toFixed(2);
    res.cpuSeconds = +(cpu1 - cpu0).toFixed(2);
    res.toolCpuSeconds = +toolCpu.toFixed(2);
    res.otherCpuSeconds = +Math.max(0, (m1.busy - m0.busy) - (cpu1 - cpu0) - toolCpu).toFixed(2);
    res.machineBusyPercent = +(100 * (m1.busy - m0.busy) / (m1.total - m0.total)).toFixed(1);
    const stored = storedMessages(store, TOPIC);
    if (stored != null && stored > 0) {
      res.messages = Math.max(0, stored - 1); // minus the probe's message
      res.messagesFrom = 'store';
    } else {
      let n = 0, prev = 0;
      for (const l of sends) { n += l.tps * (l.t - prev); prev = l.t; }
      res.messages = Math.round(n);
      res.messagesFrom = 'tool lines';
    }
    res.cpuSecPerMillion = res.messages > 0 ? +(res.cpuSeconds / (res.messages / 1e6)).toFixed(2) : null;
    if (kase.drain) {
      // what the Consumer committed, as the broker saved it at its clean stop
      res.drainConsumed = committedOffsets(store, TOPIC, DRAIN_GROUP);
      res.drainComplete = res.drainConsumed != null && res.drainConsumed >= res.drainBacklog;
      if (res.drainComplete) {
        res.drainTps = Math.round(res.drainBacklog / res.drainSeconds);
        res.drainCpuSecPerMillion = +(res.drainCpuSeconds / (res.drainBacklog / 1e6)).toFixed(2);
      } else log(`${id}: the Consumer committed ${res.drainConsumed} of ${res.drainBacklog} messages: no drain figures`);
    }
    res.rssSeries = series;
    // per-second stored msg/s, from the growth of the CommitLog while the Producer ran
    let recSize = null;
    try { recSize = commitLogRecordSize(store, 1); } catch { /* no store of the expected format */ }
    res.recordBytes = recSize;
    if (recSize) {
      res.storeTpsSeries = storeFill.slice(1).map((c, i) => ({ t: +c.t.toFixed(1), tps: Math.round((c.bytes - storeFill[i].bytes) / recSize / (c.t - storeFill[i].t)) }));
      const from = Math.min(10, o.duration / 2); // the same warm-up the tool's first line covers
      res.storeTps = median(res.storeTpsSeries.filter((x) => x.t > from && x.t <= o.duration).map((x) => x.tps));
    }
    res.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));
    // a short fill may end before the Producer's first line: the drain case stands on its drain
    res.ok = kase.drain ? res.drainBacklog != null : res.sendTps != null;
    if (!res.ok) res.error = 'the Producer printed no Send TPS line';
  } catch (e) {
    res.error = String(e.message ?? e);
    log(`${id}: FAILED: ${res.error}`);
    res.logTail = {};
    for (const c of [...procs, ...tools]) res.logTail[c.benchName] = c.lines.slice(-30).map((l) => l.line);
  } finally {
    if (sampler) clearInterval(sampler);
    await Promise.all([...tools, ...procs].map((c) => stopChild(c, 20000)));
    if (!o.keepTmp) { fs.rmSync(dir, { recursive: true, force: true }); }
    spawnSync('sync');
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// reports

function machineFacts() {
  const cpus = os.cpus();
  const j = spawnSync(JAVA, ['-version'], { encoding: 'utf8' });
  let fsType = null;
  try { fsType = spawnSync('df', ['-PT', RESULTS], { encoding: 'utf8' }).stdout.split('\n')[1].split(/\s+/)[1]; } catch { /* ignore */ }
  return {
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    cpuModel: cpus[0]?.model ?? 'unknown',
    kernel: `${os.type()} ${os.release()} ${os.version?.() ?? ''}`.trim(),
    arch: os.arch(),
    node: process.version,
    java: (j.stderr || j.stdout || '').split('\n').filter(Boolean).join('; '),
    storeFilesystem: fsType,
  };
}
function ferryFacts() {
  let commit = null;
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  if (r.status === 0) commit = r.stdout.trim();
  let version = null;
  try { version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version; } catch { /* ignore */ }
  return { version, commit };
}

const COLORS = { apache: '#c0392b', ferry: '#1f6fb2', null: '#7f8c8d' };
/** The brokers given a ratio over the null broker: the others, when it ran. */
const overNull = (brokers) => (brokers.includes('null') ? brokers.filter((b) => b !== 'null') : []);
const NAMES = { apache: `Apache RocketMQ ${RMQ_VERSION}`, ferry: 'Ferry', null: 'null broker' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function niceStep(range, n) {
  const raw = range / n, p = 10 ** Math.floor(Math.log10(raw || 1)), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}
function fmtK(v) { return v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(+v.toFixed(1)); }

function drawSvg(report) {
  const cases = report.cases;
  const W = 860, PH = 250, top = 76, gap = 46, L = 70, R = 20;
  const H = top + cases.length * (PH + gap) + 10;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(`Send TPS over time (RocketMQ benchmark Producer, ${report.options.flush}) — ${report.date}`)}</text>`);
  let lx = L;
  for (const b of report.options.brokers) {
    o.push(`<line x1="${lx}" y1="40" x2="${lx + 26}" y2="40" stroke="${COLORS[b]}" stroke-width="2.5"/><text x="${lx + 32}" y="44">${esc(NAMES[b])}</text>`);
    lx += 230;
  }
  o.push(`<text x="${L}" y="62" fill="#555">dots, thick lines: the tool's TPS lines (each over the last 10 s); thin lines: messages appended to the CommitLog per second</text>`);
  if (cases.some((c) => c.consume)) {
    o.push(`<line x1="${lx}" y1="40" x2="${lx + 26}" y2="40" stroke="#555" stroke-width="2" stroke-dasharray="5,4"/><text x="${lx + 32}" y="44">consume TPS</text>`);
  }
  cases.forEach((kase, ci) => {
    const y0 = top + ci * (PH + gap) + 20, x0 = L, pw = W - L - R, ph = PH - 40;
    const runs = report.runs.filter((r) => r.case === kase.id && r.ok);
    const pts = runs.flatMap((r) => [...(r.sendTpsLines ?? []), ...(r.consumeTpsLines ?? []), ...(r.storeTpsSeries ?? [])]);
    const xmax = Math.max(report.options.duration + 2, ...pts.map((p) => p.t));
    const ymaxRaw = Math.max(1, ...pts.map((p) => p.tps));
    const ys = niceStep(ymaxRaw * 1.1, 5), ymax = Math.ceil((ymaxRaw * 1.1) / ys) * ys;
    const xs = niceStep(xmax, 8);
    const X = (t) => x0 + (t / xmax) * pw, Y = (v) => y0 + ph - (v / ymax) * ph;
    o.push(`<text x="${x0}" y="${y0 - 8}" font-weight="bold">${esc(kase.title)}</text>`);
    o.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (let v = 0; v <= ymax + 1e-9; v += ys) {
      o.push(`<line x1="${x0}" y1="${Y(v)}" x2="${x0 + pw}" y2="${Y(v)}" stroke="#eee"/><text x="${x0 - 6}" y="${Y(v) + 4}" text-anchor="end">${fmtK(v)}</text>`);
    }
    for (let t = 0; t <= xmax + 1e-9; t += xs) {
      o.push(`<line x1="${X(t)}" y1="${y0 + ph}" x2="${X(t)}" y2="${y0 + ph + 4}" stroke="#999"/><text x="${X(t)}" y="${y0 + ph + 16}" text-anchor="middle">${+t.toFixed(0)}</text>`);
    }
    o.push(`<text x="${x0 + pw / 2}" y="${y0 + ph + 32}" text-anchor="middle" fill="#444">seconds since the Producer started</text>`);
    o.push(`<text transform="translate(${x0 - 52},${y0 + ph / 2}) rotate(-90)" text-anchor="middle" fill="#444">msg/s</text>`);
    for (const r of runs) {
      const sl = (r.storeTpsSeries ?? []).filter((p) => p.tps >= 0);
      if (sl.length > 1) {
        const poly = sl.map((p) => `${X(p.t).toFixed(1)},${Y(p.tps).toFixed(1)}`).join(' ');
        o.push(`<polyline points="${poly}" fill="none" stroke="${COLORS[r.broker]}" stroke-width="1" stroke-opacity="0.45"/>`);
      }
    }
    for (const r of runs) {
      const color = COLORS[r.broker];
      for (const [lines, dash] of [[r.sendTpsLines ?? [], ''], [r.consumeTpsLines ?? [], ' stroke-dasharray="5,4"']]) {
        if (!lines.length) continue;
        const poly = lines.map((p) => `${X(p.t).toFixed(1)},${Y(p.tps).toFixed(1)}`).join(' ');
        o.push(`<polyline points="${poly}" fill="none" stroke="${color}" stroke-width="2" stroke-opacity="0.85"${dash}/>`);
        for (const p of lines) o.push(`<circle cx="${X(p.t).toFixed(1)}" cy="${Y(p.tps).toFixed(1)}" r="2.5" fill="${color}"/>`);
      }
    }
    if (!runs.length) o.push(`<text x="${x0 + pw / 2}" y="${y0 + ph / 2}" text-anchor="middle" fill="#999">no successful run</text>`);
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}

function fmt(v, d = 0) {
  if (v == null || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
function ratio(f, a) { return f != null && a != null && a !== 0 ? f / a : null; }

// figures: [key, label, unit/format, getter over aggregated broker results]
function figureList(report) {
  const out = [];
  // the drain case's fill is a sync run like the sync case's: only its drain figures are its own
  const sending = report.cases.filter((c) => !c.drain), draining = report.cases.filter((c) => c.drain);
  for (const c of sending) {
    out.push({ key: `sendTps:${c.id}`, label: `send TPS ${c.label}`, d: 0, get: (b) => agg(report, b, c.id, 'sendTps') });
  }
  for (const c of sending) {
    out.push({ key: `storeTps:${c.id}`, label: `stored msg/s ${c.label}`, d: 0, get: (b) => agg(report, b, c.id, 'storeTps') });
  }
  for (const c of sending.filter((x) => x.consume)) {
    out.push({ key: `consumeTps:${c.id}`, label: `consume TPS ${c.sizeLabel}`, d: 0, get: (b) => agg(report, b, c.id, 'consumeTps') });
  }
  for (const c of draining) out.push({ key: `drainTps:${c.id}`, label: `drain msg/s ${c.sizeLabel}`, d: 0, get: (b) => agg(report, b, c.id, 'drainTps') });
  for (const c of sending) out.push({ key: `avgRt:${c.id}`, label: `avg RT ms ${c.label}`, d: 3, get: (b) => agg(report, b, c.id, 'avgRtMs') });
  for (const c of sending) out.push({ key: `maxRt:${c.id}`, label: `max RT ms ${c.label}`, d: 0, get: (b) => aggMax(report, b, c.id, 'maxRtMs') });
  for (const c of sending) out.push({ key: `fail:${c.id}`, label: `send+response failures ${c.label}`, d: 0, get: (b) => aggSum(report, b, c.id, (r) => (r.sendFailed ?? 0) + (r.responseFailed ?? 0)) });
  for (const c of sending) out.push({ key: `cpu:${c.id}`, label: `CPU s per M msgs ${c.label}`, d: 2, get: (b) => agg(report, b, c.id, 'cpuSecPerMillion') });
  for (const c of draining) out.push({ key: `drainCpu:${c.id}`, label: `CPU s per M msgs drained ${c.sizeLabel}`, d: 2, get: (b) => agg(report, b, c.id, 'drainCpuSecPerMillion') });
  out.push({ key: 'rss', label: 'peak RSS MB', d: 0, get: (b) => aggAllMax(report, b, 'peakRssMB') });
  out.push({ key: 'start', label: 'start to first send ms', d: 0, get: (b) => aggAll(report, b, 'startToFirstSendMs') });
  return out;
}
const okRuns = (report, b, c) => report.runs.filter((r) => r.broker === b && r.ok && (c == null || r.case === c));
const agg = (report, b, c, k) => median(okRuns(report, b, c).map((r) => r[k]).filter((x) => x != null));
const aggMax = (report, b, c, k) => { const v = okRuns(report, b, c).map((r) => r[k]).filter((x) => x != null); return v.length ? Math.max(...v) : null; };
const aggSum = (report, b, c, f) => { const v = okRuns(report, b, c); return v.length ? v.reduce((a, r) => a + f(r), 0) : null; };
const aggAll = (report, b, k) => median(okRuns(report, b, null).map((r) => r[k]).filter((x) => x != null));
const aggAllMax = (report, b, k) => { const v = okRuns(report, b, null).map((r) => r[k]).filter((x) => x != null); return v.length ? Math.max(...v) : null; };

function markdown(report, base) {
  const o = report.options, m = report.machine;
  const L = [];
  L.push(`# Ferry vs Apache RocketMQ ${RMQ_VERSION} — ${report.date}`, '');
  L.push(`Command: \`${report.command}\``, '');
  L.push(`Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.kernel}, ${m.arch}; Node ${m.node}; ${m.java}; store filesystem ${m.storeFilesystem}.`, '');
  L.push(`Settings: ${o.duration} s per case and round, ${o.rounds} round(s), Producer \`-w ${o.threads}\` (async: 1 thread, \`-y true\`), flush ${o.flush}, each broker on a fresh store in the results folder's tmp/ (same disk), brokers started one at a time.`);
  if (o.brokers.includes('apache')) {
    L.push(`Apache: broker \`-Xms${o.apacheHeap} -Xmx${o.apacheHeap}\`, name server \`-Xms${o.namesrvHeap} -Xmx${o.namesrvHeap}\`, other JVM flags from the distribution's runbroker.sh / runserver.sh (G1, AlwaysPreTouch, MaxDirectMemorySize=15g), plus the Java 17 \`--add-opens\`/\`--add-exports\` for java.base; conf/broker.conf of the distribution.`);
  }
  if (o.brokers.includes('null')) {
    L.push('Null broker: bench/null-broker.mjs, one Node thread that answers every send as stored and stores nothing (Ferry\'s codecs and connection output): the most send TPS any broker can show with this Producer on this machine.');
  }
  if (o.brokers.includes('ferry')) {
    L.push(`Ferry: ${report.ferry.version ?? '?'} at ${report.ferry.commit ?? 'no commit'}, networkWorkers ${o.ferryWorkers ?? 'default'}${o.ferrySettings.length ? `, settings \`${o.ferrySettings.join(' ')}\`` : ''}${o.ferryNodeArgs.length ? `, node flags \`${o.ferryNodeArgs.join(' ')}\`` : ''}.`);
    if (report.ferry.buildWarning) L.push(`Ferry build: ${report.ferry.buildWarning}`);
  }
  L.push('', '## Figures (median over rounds)', '');
  const bs = o.brokers;
  const head = ['figure', ...bs.map((b) => NAMES[b])];
  const both = bs.includes('apache') && bs.includes('ferry');
  if (both) head.push('ferry / apache');
  for (const b of overNull(bs)) head.push(`${b} / null`);
  L.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
  for (const f of figureList(report)) {
    const vals = bs.map((b) => f.get(b));
    const row = [f.label, ...vals.map((v) => fmt(v, f.d))];
    if (both) { const r = ratio(f.get('ferry'), f.get('apache')); row.push(r == null ? '—' : r.toFixed(2)); }
    for (const b of overNull(bs)) { const r = ratio(f.get(b), f.get('null')); row.push(r == null ? '—' : r.toFixed(2)); }
    L.push(`| ${row.join(' | ')} |`);
  }
  L.push('', `![TPS over time](${base}.svg)`, '', '## Every run', '');
  L.push('| broker | case | round | Producer args | send TPS | stored msg/s | avg RT ms | max RT ms | failed (send/resp) | consume TPS | drained msgs in s | drain CPU s/M | peak RSS MB | CPU s | msgs | CPU s/M | start→send ms | clean stop | other CPU s | busy before |');
  L.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const r of report.runs) {
    if (!r.ok) { L.push(`| ${r.broker} | ${r.case} | ${r.round} | — | failed: ${esc(String(r.error).split('\n')[0]).replace(/\|/g, '/')} | | | | | | | | | | | | | | | |`); continue; }
    const drained = r.drainBacklog == null ? '—' : `${fmt(r.drainConsumed)} of ${fmt(r.drainBacklog)} in ${fmt(r.drainSeconds, 1)}`;
    L.push(`| ${r.broker} | ${r.case} | ${r.round} | \`${r.producerArgs}\` | ${fmt(r.sendTps)} | ${fmt(r.storeTps)} | ${fmt(r.avgRtMs, 3)} | ${fmt(r.maxRtMs)} | ${r.sendFailed}/${r.responseFailed} | ${fmt(r.consumeTps)} | ${drained} | ${fmt(r.drainCpuSecPerMillion, 2)} | ${fmt(r.peakRssMB)} | ${fmt(r.cpuSeconds, 1)} | ${fmt(r.messages)} | ${fmt(r.cpuSecPerMillion, 2)} | ${fmt(r.startToFirstSendMs)} | ${r.cleanShutdown ? 'yes' : 'NO'} | ${fmt(r.otherCpuSeconds, 1)} | ${r.busyPercentBefore ?? '?'}% |`);
  }
  L.push('', 'What each figure means: see bench/README.md. "other CPU s" is CPU time that neither the broker nor the benchmark tools used during the run: noise from the rest of the machine.', '');
  return L.join('\n');
}

function sanitize(text) {
  // never write this machine's absolute paths into result files
  let t = text;
  for (const [p, r] of [[TMP_PARENT, '<tmp>'], [REPO, '.'], [os.homedir(), '~']]) if (p && p.length > 1) t = t.split(p).join(r);
  return t;
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const sizeLabel = (s) => `${s}B`;
  const cases = [];
  if (o.cases.includes('sync')) for (const s of o.sizes) cases.push({ id: `sync-${s}`, size: s, mode: 'sync', label: sizeLabel(s), sizeLabel: sizeLabel(s), title: `sync send, ${s} B, -w ${o.threads}` });
  if (o.cases.includes('async')) cases.push({ id: `async-${o.sizes[0]}`, size: o.sizes[0], mode: 'async', async: true, label: `async ${sizeLabel(o.sizes[0])}`, sizeLabel: sizeLabel(o.sizes[0]), title: `async send (-y true, 1 thread), ${o.sizes[0]} B` });
  if (o.cases.includes('drain')) cases.push({ id: `drain-${o.sizes[0]}`, size: o.sizes[0], mode: 'drain', drain: true, label: `drain ${sizeLabel(o.sizes[0])}`, sizeLabel: sizeLabel(o.sizes[0]), title: `the Producer (-w ${o.threads}) fills ${o.drainMessages.toLocaleString('en-US')} messages of ${o.sizes[0]} B, then the benchmark Consumer alone reads them (dashed: consume TPS)` });
  if (o.cases.includes('consume')) cases.push({ id: `consume-${o.sizes[0]}`, size: o.sizes[0], mode: 'sync+consume', consume: true, label: `with consumer ${sizeLabel(o.sizes[0])}`, sizeLabel: sizeLabel(o.sizes[0]), title: `sync send with the benchmark Consumer running, ${o.sizes[0]} B, -w ${o.threads} (dashed: consume TPS)` });

  const command = process.env.npm_lifecycle_event === 'bench:compare'
    ? `npm run bench:compare -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, '')
    : `node bench/compare.mjs ${process.argv.slice(2).join(' ')}`.trim();

  const setupErrors = {};
  let ferryBuildWarning = null;
  let ferryFirstStart = null;
  // the tools and the probe come from the RocketMQ build, whichever broker is measured
  try { ensureApache(); } catch (e) { die(`could not set up Apache RocketMQ ${RMQ_VERSION}: ${e.message}`); }
  const jv = spawnSync(JAVA, ['-version'], { encoding: 'utf8' }).stderr ?? '';
  if (!/version "17/.test(jv)) log(`warning: this is not Java 17 (${jv.split('\n')[0]}); the reference setup is Java 17`);
  if (o.brokers.includes('ferry') || o.brokers.includes('null')) {
    // the null broker uses Ferry's codecs from the build
    try { ferryBuildWarning = buildFerry(); if (ferryBuildWarning) log(`Ferry: ${ferryBuildWarning}`); } catch (e) { setupErrors.ferry = setupErrors.null = `build failed: ${e.message}`; log(`Ferry: ${setupErrors.ferry}`); }
    if (!setupErrors.ferry && o.brokers.includes('ferry')) {
      try { ferryFirstStart = await firstStartAfterBuild(o.ferrySettings); log(`Ferry: first start after the build, untimed: started in ${ferryFirstStart.startedMs} ms, code cache ${ferryFirstStart.codeCache ? 'written' : 'not written'}`); } catch (e) { setupErrors.ferry = `first start failed: ${e.message}`; log(`Ferry: ${setupErrors.ferry}`); }
    }
  }

  const now = new Date();
  const date = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  fs.mkdirSync(RESULTS, { recursive: true });
  let base = o.out ?? `${date}-compare`;
  if (!o.out) for (let n = 2; fs.existsSync(path.join(RESULTS, `${base}.json`)); n++) base = `${date}-compare-${n}`;

  fs.mkdirSync(TMP_PARENT, { recursive: true });
  const runRoot = fs.mkdtempSync(path.join(TMP_PARENT, 'run-'));
  if (!o.keepTmp) tmpDirs.add(runRoot);

  const report = {
    date, startedAt: now.toISOString(), command, options: o, machine: machineFacts(), ferry: { ...ferryFacts(), buildWarning: ferryBuildWarning, firstStartAfterBuild: ferryFirstStart },
    apache: {
      version: RMQ_VERSION, source: `org.apache.rocketmq:rocketmq-all:${RMQ_VERSION}:zip:source-release (Maven Central), modules broker, namesrv, example`,
      brokerJvm: brokerJvm(o, '<logs>'), namesrvJvm: namesrvJvm(o, '<logs>'), toolsJvm: TOOLS_JVM,
      brokerConf: 'brokerClusterName=DefaultCluster brokerName=broker-a brokerId=0 deleteWhen=04 fileReservedTime=48 brokerRole=ASYNC_MASTER flushDiskType=' + o.flush,
    },
    cases: cases.map(({ id, size, mode, label, title, consume, drain }) => ({ id, size, mode, label, title, consume: !!consume, drain: !!drain, sizeLabel: sizeLabel(size) })),
    runs: [],
  };
  const total = o.rounds * cases.length * o.brokers.length;
  log(`${total} run(s) of ${o.duration} s: brokers ${o.brokers.join(',')}, cases ${cases.map((c) => c.id).join(',')}, ${o.rounds} round(s)`);
  let k = 0;
  for (let round = 1; round <= o.rounds; round++) {
    for (const kase of cases) {
      const order = round % 2 ? o.brokers : [...o.brokers].reverse();
      for (const b of order) {
        k++;
        if (setupErrors[b]) { report.runs.push({ broker: b, case: kase.id, round, ok: false, error: setupErrors[b] }); continue; }
        const idle = await waitIdle(o.waitIdle);
        log(`run ${k}/${total}: ${b} ${kase.id} round ${round} (load ${os.loadavg()[0].toFixed(2)}, machine ${idle.busyPercent}% busy)`);
        const r = await runOne(o, b, kase, round, runRoot);
        r.busyPercentBefore = idle.busyPercent;
        r.idleWaitSeconds = idle.waited;
        report.runs.push(r);
        if (r.ok) log(`  send TPS ${fmt(r.sendTps)}${r.consumeTps != null ? `, consume TPS ${fmt(r.consumeTps)}` : ''}${r.drainBacklog != null ? `, drained ${fmt(r.drainConsumed)} of ${fmt(r.drainBacklog)} in ${fmt(r.drainSeconds, 1)} s at ${fmt(r.drainCpuSecPerMillion, 2)} CPU s/M` : ''}, avg RT ${fmt(r.avgRtMs, 3)} ms, peak RSS ${fmt(r.peakRssMB)} MB, CPU ${fmt(r.cpuSecPerMillion, 2)} s/M msgs, first send ${r.startToFirstSendMs} ms`);
        await sleep(2000);
      }
    }
  }
  report.finishedAt = new Date().toISOString();

  const json = sanitize(JSON.stringify(report, null, 2)) + '\n';
  fs.writeFileSync(path.join(RESULTS, `${base}.json`), json);
  fs.writeFileSync(path.join(RESULTS, `${base}.md`), sanitize(markdown(report, base)));
  fs.writeFileSync(path.join(RESULTS, `${base}.svg`), sanitize(drawSvg(report)));
  log(`wrote bench/results/${base}.json, .md, .svg`);

  // the closing lines: every figure per broker, then one ratio line per figure
  const figs = figureList(report);
  const lines = [];
  for (const f of figs) for (const b of o.brokers) lines.push(`${b} ${f.label}: ${fmt(f.get(b), f.d).replace(/,/g, '')}`);
  for (const f of figs) {
    const r = ratio(f.get('ferry'), f.get('apache'));
    lines.push(`ratio ferry/apache ${f.label}: ${r == null ? 'n/a' : r.toFixed(2)}`);
  }
  // the ceiling's ratios: send TPS and CPU per message (the other figures are not a broker's work)
  for (const f of figs.filter((x) => /^(sendTps|cpu):/.test(x.key))) for (const b of overNull(o.brokers)) {
    const r = ratio(f.get(b), f.get('null'));
    lines.push(`ratio ${b}/null ${f.label}: ${r == null ? 'n/a' : r.toFixed(2)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  const failed = report.runs.filter((r) => !r.ok);
  if (!o.keepTmp) removeTmp();
  if (failed.length) { log(`${failed.length} run(s) failed`); process.exitCode = 1; }
}

main().catch(async (e) => {
  log(`error: ${e.stack ?? e}`);
  await cleanupAll();
  process.exit(1);
});
