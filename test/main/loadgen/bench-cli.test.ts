import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FerryProcess, REPO_ROOT } from '../../helpers/ferry-process.js';
import { WireClient } from '../../helpers/wire-client.js';
import { RequestCode } from '../../../src/shared/codes.js';
import { parseReportLine, type ParsedReport } from '../../../src/main/loadgen/report-format.js';

const BIN = path.join(REPO_ROOT, 'bin', 'ferrymq.js');
const TOPIC = 'LoadgenE2E';

let ferry: FerryProcess;
let dir: string;

before(async () => {
  ferry = await FerryProcess.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-loadgen-'));
});

after(async () => {
  await ferry?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  reports: ParsedReport[];
}

function bench(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'bench', ...args, '-n', ferry.namesrvAddr], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(timer);
      const reports = stdout.split('\n').map(parseReportLine).filter((r): r is ParsedReport => r !== null);
      resolve({ code, stdout, stderr, reports });
    });
  });
}

const keysOf = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

function onlyReportLines(run: Run, prefixes: RegExp): void {
  for (const line of run.stdout.split('\n')) {
    if (/^(Current Time|\[Complete\])/.test(line)) assert.ok(parseReportLine(line), `unparsable report line: ${line}`);
    else if (line) assert.match(line, prefixes, `unexpected output line: ${line}`);
  }
}

test('produce (sync, binary, then async JSON batches) and consume --from-start see every message exactly once', async () => {
  const k1 = path.join(dir, 'sync.keys');
  const sync = await bench(['produce', '-t', TOPIC, '--count', '2000', '-w', '8', '--keys-file', k1]);
  assert.equal(sync.code, 0, sync.stdout + sync.stderr);
  assert.match(sync.stdout, /defaultTopic TBW102/, 'the unknown topic was created through TBW102');
  const done = sync.reports.find((r) => r.kind === 'produce-complete');
  assert.ok(done, sync.stdout);
  assert.equal(done.values['Send Total'], 2000);
  assert.equal(done.values['Send Failed'], 0);
  assert.equal(done.values['Response Failed'], 0);
  assert.match(sync.stdout, /^Generator CPU: user [\d.]+ s, system [\d.]+ s, [\d.]+ us\/msg over 2000 msgs$/m);
  onlyReportLines(sync, /^(topic: |route: |Elapsed: |Generator CPU: )/);
  const syncKeys = keysOf(k1);
  assert.equal(syncKeys.length, 2000);
  assert.equal(new Set(syncKeys).size, 2000, 'UNIQ_KEYs are unique');
  for (const k of syncKeys) assert.match(k, /^[0-9A-F]{32}$/);

  const k2 = path.join(dir, 'async.keys');
  const pipelined = await bench(['produce', '-t', TOPIC, '--async', '--inflight', '2', '-w', '2', '--workers', '1', '--json', '--batch', '4', '--tags', 'TagB', '--keys', '--duration', '1.6', '--keys-file', k2]);
  assert.equal(pipelined.code, 0, pipelined.stdout + pipelined.stderr);
  const periodic = pipelined.reports.filter((r) => r.kind === 'produce');
  assert.ok(periodic.length >= 1, `a report line every second:\n${pipelined.stdout}`);
  assert.ok(periodic[0].values['Send TPS'] > 0);
  const asyncKeys = keysOf(k2);
  assert.ok(asyncKeys.length > 0 && asyncKeys.length % 4 === 0, `${asyncKeys.length} keys, whole batches`);
  assert.equal(pipelined.reports.find((r) => r.kind === 'produce-complete')?.values['Send Total'], asyncKeys.length);

  const k3 = path.join(dir, 'consumed.keys');
  const consumed = await bench(['consume', '-t', TOPIC, '-g', 'loadgen_e2e', '--from-start', '--drain', '--duration', '15', '--keys-file', k3]);
  assert.equal(consumed.code, 0, consumed.stdout + consumed.stderr);
  onlyReportLines(consumed, /^(topic: |route: |Elapsed: |Consumer CPU: )/);
  const got = keysOf(k3);
  const sent = [...syncKeys, ...asyncKeys];
  assert.equal(new Set(got).size, got.length, 'no message was consumed twice');
  assert.deepEqual([...got].sort(), [...sent].sort(), 'every acknowledged message was consumed');
  const total = consumed.reports.find((r) => r.kind === 'consume-complete');
  assert.equal(total?.values['Consume Total'], sent.length);
  assert.ok(consumed.reports.some((r) => r.kind === 'consume'), `a Consume TPS line:\n${consumed.stdout}`);

  // offsets were committed at the end of each queue
  const wire = await WireClient.connect(ferry.brokerAddr);
  try {
    for (let q = 0; q < 4; q++) {
      const max = await wire.invoke(RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: String(q) });
      const committed = await wire.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'loadgen_e2e', topic: TOPIC, queueId: String(q) });
      assert.equal(committed.extFields?.offset, max.extFields?.offset, `queue ${q}`);
    }
  } finally {
    wire.close();
  }
});

test('consume without --from-start starts at the max offsets', async () => {
  const run = await bench(['consume', '-t', TOPIC, '-g', 'loadgen_tail', '--drain', '--duration', '10', '--workers', '0']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.reports.find((r) => r.kind === 'consume-complete')?.values['Consume Total'], 0);
});

test('bad options exit with code 2 and a message', async () => {
  const run = await bench(['produce', '-w', '0', '--count', '1']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /-w must be an integer/);
});
