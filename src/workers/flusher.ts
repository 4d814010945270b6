/**
 * The flush thread (ASYNC_FLUSH): every flushIntervalCommitLog ms it fdatasyncs the CommitLog
 * up to the end the store writer published, when at least flushCommitLogLeastPages pages are
 * dirty (and everything every 10 intervals), then publishes the flushed offset. It runs apart
 * from the store writer, so appends never wait behind a disk flush (RocketMQ's
 * FlushRealTimeService). Under SYNC_FLUSH the store writer flushes itself (group commit).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { SharedState, StoreWord } from '../shared/shared-state.js';
import type { BrokerConfig } from '../shared/config/broker-config.js';
import { offsetFileName } from './store/commitlog-files.js';
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
let flushed = state.store[StoreWord.COMMIT_END];
let lastThorough = Date.now();
state.store[StoreWord.FLUSHED] = flushed;

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

const timer = setInterval(() => flush(false), config.flushIntervalCommitLog);
parentPort!.on('message', (m: { kind: string }) => {
  if (m.kind === 'shutdown') {
    clearInterval(timer);
    flush(true);
    parentPort!.postMessage({ kind: 'stopped', flushed });
    parentPort!.close();
  }
});
parentPort!.postMessage({ kind: 'ready' });
