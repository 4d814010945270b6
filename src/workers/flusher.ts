/**
 * The flush thread, apart from the store writer so appends never wait behind the disk:
 * - ASYNC_FLUSH: every flushIntervalCommitLog ms it fdatasyncs the CommitLog up to the end the
 *   store writer published, when at least flushCommitLogLeastPages pages are dirty (and
 *   everything every 10 intervals), then publishes the flushed offset (RocketMQ's
 *   FlushRealTimeService). Under SYNC_FLUSH the store writer flushes itself (group commit, its
 *   fdatasyncs on the libuv pool) and publishes the flushed offset.
 * - Both modes: once the current CommitLog file is half full it allocates the next one's disk
 *   blocks (RocketMQ's AllocateMappedFileService), so appends never allocate: a full disk shows
 *   up here, ahead of need. The store writer waits for it before rolling, so the two never
 *   write the same file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Seq, SharedState, StoreWord } from '../shared/shared-state.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { offsetFileName } from './storage/commitlog-files.js';
import { createLogger } from '../main/logger.js';

export interface FlusherData {
  config: BrokerConfig;
  commitLogDir: string;
  stateSab: SharedArrayBuffer;
}

const data = workerData as FlusherData;
const { config } = data;
const log = createLogger('flusher', config.logLevel);
const state = new SharedState(data.stateSab);
const fileSize = config.mapedFileSizeCommitLog;
const PAGE = 4096;
// Below the CommitLog end after an unclean stop: what recovery walked is synced by the first flush.
let flushed = state.store[StoreWord.FLUSHED];
let lastThorough = Date.now();

/** fdatasync of every file holding bytes in [from, to). */
function syncRange(from: number, to: number): void {
  for (let start = from - (from % fileSize); start < to; start += fileSize) {
    let fd: number;
    try {
      fd = fs.openSync(path.join(data.commitLogDir, offsetFileName(start)), 'r+');
    } catch {
      continue; // deleted by retention meanwhile
    }
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function flush(force: boolean): void {
  const end = state.store[StoreWord.COMMIT_END];
  const dirty = end - flushed;
  const thorough = force || Date.now() - lastThorough >= 10 * config.flushIntervalCommitLog;
  if (dirty <= 0 || (dirty < config.flushCommitLogLeastPages * PAGE && !thorough)) return;
  try {
    syncRange(flushed, end);
    flushed = end;
    if (thorough) lastThorough = Date.now();
    state.store[StoreWord.FLUSHED] = end;
  } catch (e) {
    log.error({ err: e }, 'CommitLog flush failed');
  }
}

const ZERO_CHUNK = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(ZERO_CHUNK);
let preparing = false;
let failedAt = 0;

let fallocateMissing = false;

/**
 * Reserves the blocks of a new, empty file without writing them, with util-linux's fallocate(1)
 * (Node has no fallocate). Zero-filling a 1 GiB file instead costs seconds of kernel CPU, taken
 * from the broker and its clients while it runs, and a GiB of disk writes that the records then
 * write again; an allocation takes milliseconds, and a full disk fails it just the same. False
 * where it cannot (no such program, a filesystem without fallocate): the caller zero-fills.
 */
function reserveBlocks(file: string, size: number): boolean {
  if (fallocateMissing) return false;
  try {
    execFileSync('fallocate', ['-l', String(size), file], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') fallocateMissing = true;
    return false;
  }
}

/**
 * Allocates the file after the one being written. A file already there (a preparation that a
 * full disk cut short) may hold bytes from before, so it is zero-filled, as is any file where
 * reserveBlocks cannot help: a chunk per event-loop turn.
 */
async function preallocateNext(): Promise<void> {
  const end = state.store[StoreWord.COMMIT_END];
  const next = end - (end % fileSize) + fileSize;
  if (preparing || state.store[StoreWord.NEXT_FILE_READY] === next || Date.now() - failedAt < 1000) return;
  // Not before the current file is half full: a broker starting up, or one that writes little,
  // should not pay for a file (and its disk space, maybe seconds of zero-filling) yet.
  if (end % fileSize < fileSize / 2) return;
  preparing = true;
  const file = path.join(data.commitLogDir, offsetFileName(next));
  let fd = -1;
  try {
    const existed = fs.existsSync(file);
    fd = fs.openSync(file, existed ? 'r+' : 'w+');
    if (existed || !reserveBlocks(file, fileSize)) {
      for (let p = 0; p < fileSize; ) {
        p += fs.writeSync(fd, ZEROS, 0, Math.min(ZERO_CHUNK, fileSize - p), p);
        await new Promise((r) => setImmediate(r));
      }
    }
    state.store[StoreWord.NEXT_FILE_READY] = next;
    state.store[StoreWord.NEXT_FILE_FAILED] = 0;
    if (failedAt) log.info({ file: offsetFileName(next) }, 'next CommitLog file allocated');
    failedAt = 0;
  } catch (e) {
    failedAt = Date.now();
    state.store[StoreWord.NEXT_FILE_FAILED] = next;
    log.warn({ file: offsetFileName(next), err: (e as Error).message }, 'next CommitLog file cannot be allocated yet');
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    preparing = false;
    state.bump(Seq.PREALLOC);
  }
}

const asyncFlush = config.flushDiskType === 'ASYNC_FLUSH';
const timer = setInterval(() => {
  if (asyncFlush) flush(false);
}, config.flushIntervalCommitLog);
const allocTimer = setInterval(() => void preallocateNext(), 100);
void preallocateNext();
parentPort!.on('message', (m: { kind: string }) => {
  if (m.kind === 'shutdown') {
    clearInterval(timer);
    clearInterval(allocTimer);
    if (asyncFlush) flush(true);
    parentPort!.postMessage({ kind: 'stopped', flushed });
    parentPort!.close();
  }
});
parentPort!.postMessage({ kind: 'ready' });
