/**
 * SYNC_FLUSH on a really slow disk: a send is answered FLUSH_DISK_TIMEOUT (code 10) when
 * syncFlushTimeout passes, while the fdatasync goes on, and the message is stored all the same.
 *
 * The slow disk: an ext4 image on a loop device holds the store; the broker process is moved
 * into a cgroup v1 blkio group whose `blkio.throttle.write_bps_device` limits its writes to that
 * device to a few KiB/s. An fdatasync submits its writes from the broker's own threads, so it is
 * throttled and takes seconds (page-cache writes are not: appends stay fast, as on a real slow
 * disk). Lifting the limit makes the disk fast again.
 *
 * Needs root, loop devices, mkfs.ext4 and cgroup v1 blkio throttling; skipped, saying which is
 * missing, where they are not available.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FerryProcess } from '../helpers/ferry-process.js';
import { WireClient } from '../helpers/wire-client.js';
import { logLines } from '../helpers/store-walk.js';
import { ResponseCode } from '../../src/shared/codes.js';
import { decodeOffsetMsgId } from '../../src/shared/storage/msgid.js';

const BLKIO = '/sys/fs/cgroup/blkio';
const SYNC_FLUSH_TIMEOUT = 500;
/** Write limit for the broker on the loop device: one 4 KiB block takes 4 s. */
const SLOW_BPS = 1024;
const TOPIC = 'SlowDisk';
const CONCURRENT = 10;
const SLOW_FLUSH = 'CommitLog flush took longer than syncFlushTimeout';
/** Logged at debug level for every flush of the group commit, with the CommitLog range [from, to). */
const GROUP_COMMIT = 'CommitLog group commit';

let tmp = '';
let mnt = '';
let loop = '';
let mounted = false;
let cgroup = '';
let device = '';
let throttled = false;
let ferry: FerryProcess | null = null;

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() || r.error?.message || `exit ${r.status}` };
}

function throttle(bps: number): void {
  fs.writeFileSync(path.join(cgroup, 'blkio.throttle.write_bps_device'), `${device} ${bps}`);
  throttled = bps > 0;
}

after(async () => {
  // Undone in this order even when the test failed half way: a process waiting on throttled
  // writes cannot die until they are let through.
  try {
    if (throttled) throttle(0);
  } catch (e) {
    process.stderr.write(`slow-disk test: cannot lift the throttle: ${(e as Error).message}\n`);
  }
  try {
    await ferry?.kill();
  } finally {
    if (cgroup) {
      try {
        for (const pid of fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) fs.writeFileSync(path.join(BLKIO, 'cgroup.procs'), pid);
        fs.rmdirSync(cgroup);
      } catch (e) {
        process.stderr.write(`slow-disk test: cannot remove the cgroup: ${(e as Error).message}\n`);
      }
    }
    if (mounted) {
      let r = run('umount', [mnt]);
      if (!r.ok) r = run('umount', ['-l', mnt]);
      if (!r.ok) process.stderr.write(`slow-disk test: cannot unmount the loop device: ${r.out}\n`);
    }
    if (loop) {
      const r = run('losetup', ['-d', loop]);
      if (!r.ok) process.stderr.write(`slow-disk test: cannot detach ${loop}: ${r.out}\n`);
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/** Makes the slow-disk setting; a reason when this machine cannot. */
function setUp(): string | null {
  if (process.platform !== 'linux') return 'needs Linux (loop devices, cgroup v1 blkio)';
  if (process.getuid?.() !== 0) return 'needs root (losetup, mount, cgroups)';
  if (!fs.existsSync(path.join(BLKIO, 'blkio.throttle.write_bps_device'))) return `no cgroup v1 blkio throttling at ${BLKIO}`;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-slowdisk-'));
  const image = path.join(tmp, 'disk.img');
  mnt = path.join(tmp, 'mnt');
  fs.mkdirSync(mnt);
  fs.closeSync(fs.openSync(image, 'w'));
  fs.truncateSync(image, 256 * 1024 * 1024);
  let r = run('mkfs.ext4', ['-q', '-F', '-b', '4096', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]);
  if (!r.ok) return `mkfs.ext4 failed: ${r.out}`;
  r = run('losetup', ['-f', '--show', image]);
  if (!r.ok) return `no loop device: ${r.out}`;
  loop = r.out;
  r = run('mount', [loop, mnt]);
  if (!r.ok) return `cannot mount ${loop}: ${r.out}`;
  mounted = true;
  device = fs.readFileSync(`/sys/block/${path.basename(loop)}/dev`, 'utf8').trim();
  cgroup = path.join(BLKIO, `ferry-slowdisk-${process.pid}`);
  try {
    fs.mkdirSync(cgroup);
  } catch (e) {
    cgroup = '';
    return `cannot create a blkio cgroup: ${(e as Error).message}`;
  }
  return null;
}

async function timedSend(client: WireClient, body: string): Promise<{ code: number; ms: number; phy: number }> {
  const t = Date.now();
  const r = await client.send(TOPIC, body, { queueId: 0, keys: body });
  return { code: r.code, ms: Date.now() - t, phy: r.extFields?.msgId ? decodeOffsetMsgId(r.extFields.msgId).offset : -1 };
}

test('SYNC_FLUSH on a slow disk: FLUSH_DISK_TIMEOUT at syncFlushTimeout, messages stored, SUCCESS when the disk is fast again', { timeout: 180_000 }, async (t) => {
  const cannot = setUp();
  if (cannot) {
    t.skip(cannot);
    return;
  }
  ferry = await FerryProcess.start({
    storeDir: path.join(mnt, 'store'),
    overrides: ['flushDiskType=SYNC_FLUSH', `syncFlushTimeout=${SYNC_FLUSH_TIMEOUT}`, 'logLevel=debug'],
  });
  fs.writeFileSync(path.join(cgroup, 'cgroup.procs'), String(ferry.proc!.pid));
  const client = await WireClient.connect(ferry.brokerAddr);
  try {
    assert.equal((await client.createTopic(TOPIC, 1)).code, ResponseCode.SUCCESS);
    const keys: string[] = [];

    // ---- fast disk ----
    for (let i = 0; i < 5; i++) {
      const r = await timedSend(client, `fast-${i}`);
      assert.equal(r.code, ResponseCode.SUCCESS, `send before the throttle: ${r.code}`);
      keys.push(`fast-${i}`);
    }

    // ---- slow disk: answered at the timeout, not after the flush ----
    throttle(SLOW_BPS);
    const outputBefore = ferry.output.length;
    const one = await timedSend(client, 'slow-0');
    keys.push('slow-0');
    t.diagnostic(`throttled to ${SLOW_BPS} B/s: one send answered ${one.code} after ${one.ms} ms (syncFlushTimeout ${SYNC_FLUSH_TIMEOUT} ms)`);
    assert.equal(one.code, ResponseCode.FLUSH_DISK_TIMEOUT, `a send while the disk is slow: ${one.code}`);
    assert.ok(one.ms >= SYNC_FLUSH_TIMEOUT * 0.9, `answered after ${one.ms} ms, not before syncFlushTimeout`);
    assert.ok(one.ms < SYNC_FLUSH_TIMEOUT + 2000, `answered after ${one.ms} ms: about syncFlushTimeout, not after the flush`);

    // Several sends in flight share the wait: each is answered about syncFlushTimeout after it
    // arrived, none waits behind another's flush.
    const many = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => timedSend(client, `slow-many-${i}`)));
    for (let i = 0; i < CONCURRENT; i++) keys.push(`slow-many-${i}`);
    t.diagnostic(`${CONCURRENT} concurrent sends: codes ${[...new Set(many.map((r) => r.code))].join(',')}, answered after ${Math.min(...many.map((r) => r.ms))}..${Math.max(...many.map((r) => r.ms))} ms`);
    assert.deepEqual(many.map((r) => r.code), many.map(() => ResponseCode.FLUSH_DISK_TIMEOUT));
    for (const r of many) assert.ok(r.ms >= SYNC_FLUSH_TIMEOUT * 0.9 && r.ms < SYNC_FLUSH_TIMEOUT + 2000, `a concurrent send answered after ${r.ms} ms`);
    const slowest = Math.max(one.ms, ...many.map((r) => r.ms));

    // The flush really was slower than the answers (the broker reports each such flush).
    const flushDeadline = Date.now() + 60_000;
    while (logLines(ferry.output.slice(outputBefore), SLOW_FLUSH).length === 0 && Date.now() < flushDeadline) await new Promise((r) => setTimeout(r, 100));
    const slowFlushes = logLines(ferry.output.slice(outputBefore), SLOW_FLUSH);
    t.diagnostic(`slow flushes reported while throttled: ${slowFlushes.map((l) => `${l.ms} ms for CommitLog [${l.from}, ${l.to})`).join(', ')}`);
    assert.ok(slowFlushes.length > 0, 'the broker reported a flush slower than syncFlushTimeout');
    assert.ok(Number(slowFlushes[0].ms) > slowest, `the flush (${slowFlushes[0].ms} ms) outlasted the answers (${slowest} ms)`);

    // Stored nevertheless, and readable while the disk is still slow.
    const stored = await client.pullAtLeast('slowdisk_cg', TOPIC, 0, 0, keys.length, 30_000);
    assert.deepEqual(stored.slice(0, keys.length).map((m) => m.properties.get('KEYS')).sort(), [...keys].sort());

    // ---- fast again ----
    throttle(0);
    const resumeDeadline = Date.now() + 30_000;
    let last = -1;
    while (Date.now() < resumeDeadline) {
      const r = await timedSend(client, `fast-again-${keys.length}`);
      keys.push(`fast-again-${keys.length}`);
      last = r.code;
      if (r.code === ResponseCode.SUCCESS) break;
    }
    assert.equal(last, ResponseCode.SUCCESS, 'sends are answered SUCCESS once the throttle is lifted');
    for (let i = 0; i < 20; i++) {
      const r = await timedSend(client, `fast-after-${i}`);
      keys.push(`fast-after-${i}`);
      assert.equal(r.code, ResponseCode.SUCCESS, `send ${i} after the throttle was lifted: ${r.code}`);
    }
    const all = await client.pullAtLeast('slowdisk_cg', TOPIC, 0, 0, keys.length);
    assert.deepEqual(all.map((m) => m.properties.get('KEYS')).sort(), [...keys].sort(), 'every message sent, once');

    // Which fdatasyncs made the slow sends durable: the one that was running when the
    // concurrent sends arrived did not cover them; the next one covered all of them at once.
    const flushes = logLines(ferry.output, GROUP_COMMIT).map((l) => ({ from: Number(l.from), to: Number(l.to), ms: Number(l.ms) }));
    const coveredBy = (phy: number): number[] => flushes.flatMap((f, i) => (f.from <= phy && phy < f.to ? [i] : []));
    assert.equal(coveredBy(one.phy).length, 1, `one flush made the first slow send durable: ${JSON.stringify(flushes)}`);
    const shared = new Set(many.map((r) => JSON.stringify(coveredBy(r.phy))));
    t.diagnostic(`flush of the first slow send: ${JSON.stringify(flushes[coveredBy(one.phy)[0]])}; of the ${CONCURRENT} concurrent ones: ${[...shared].map((s) => JSON.stringify((JSON.parse(s) as number[]).map((i) => flushes[i])))}`);
    assert.equal(shared.size, 1, `the ${CONCURRENT} concurrent sends were made durable by one fdatasync: ${[...shared].join(' ')}`);
    const [sharedFlush] = JSON.parse([...shared][0]) as number[];
    assert.ok(sharedFlush !== undefined && sharedFlush !== coveredBy(one.phy)[0], 'by a flush of their own, after the one running when they arrived');
  } finally {
    client.close();
  }
});
