import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import { Seq, SharedState, StoreWord } from '../../shared/shared-state.js';
import { listOffsetFiles, offsetFileName } from './commitlog-files.js';

const MAX_FILES_PER_RUN = 10;

export interface RetentionDecision {
  /** Start offsets of CommitLog files to delete, oldest first. */
  remove: number[];
  reason: 'time' | 'disk' | 'forced' | 'none';
}

/**
 * RocketMQ's CleanCommitLogService, as a pure decision: which CommitLog files go, by age alone
 * (consumers' progress is not considered, as in RocketMQ). Expired files go at `deleteWhen`
 * o'clock or when disk use passes diskMaxUsedSpaceRatio; past diskSpaceCleanForciblyRatio the
 * oldest go whatever their age. The file being written and the ones after it always stay.
 */
export function decideRetention(
  files: { start: number; mtimeMs: number }[],
  writingFileStart: number,
  now: Date,
  diskUsedPercent: number,
  c: Pick<BrokerConfig, 'fileReservedTime' | 'fileReservedTimeMillis' | 'deleteWhen' | 'diskMaxUsedSpaceRatio' | 'diskSpaceCleanForciblyRatio'>,
): RetentionDecision {
  const reservedMs = c.fileReservedTimeMillis > 0 ? c.fileReservedTimeMillis : c.fileReservedTime * 3_600_000;
  const hours = c.deleteWhen.split(';').map((h) => Number(h.trim())).filter((h) => Number.isInteger(h));
  const timeToDelete = hours.includes(now.getHours());
  const forced = diskUsedPercent >= c.diskSpaceCleanForciblyRatio;
  const diskHigh = diskUsedPercent >= c.diskMaxUsedSpaceRatio;
  if (!timeToDelete && !diskHigh && !forced) return { remove: [], reason: 'none' };
  const remove: number[] = [];
  for (const f of files) {
    if (f.start >= writingFileStart || remove.length >= MAX_FILES_PER_RUN) break;
    const expired = now.getTime() - f.mtimeMs >= reservedMs;
    if (expired || forced) remove.push(f.start);
    else break;
  }
  return { remove, reason: remove.length === 0 ? 'none' : forced ? 'forced' : diskHigh ? 'disk' : 'time' };
}

export function diskUsedPercent(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    // As df and RocketMQ compute it: used / (used + available to unprivileged users).
    const used = s.blocks - s.bfree;
    return used + s.bavail > 0 ? (used / (used + s.bavail)) * 100 : 0;
  } catch {
    return 0;
  }
}

/**
 * Deletes expired CommitLog files (run from the dispatcher thread, never the store writer's),
 * publishes the new CommitLog min offset, and tells readers to drop cached descriptors so the
 * space is really freed. Returns the new min offset when it moved.
 */
export function runRetention(commitLogDir: string, fileSize: number, state: SharedState, config: BrokerConfig, log: Logger, now = new Date()): number | null {
  const end = state.store[StoreWord.COMMIT_END];
  const writingFileStart = end - (end % fileSize);
  const files = listOffsetFiles(commitLogDir).map((start) => {
    let mtimeMs = now.getTime();
    try {
      mtimeMs = fs.statSync(path.join(commitLogDir, offsetFileName(start))).mtimeMs;
    } catch {
      /* already gone */
    }
    return { start, mtimeMs };
  });
  const used = diskUsedPercent(commitLogDir);
  const d = decideRetention(files, writingFileStart, now, used, config);
  if (d.remove.length === 0) return null;
  for (const start of d.remove) fs.rmSync(path.join(commitLogDir, offsetFileName(start)), { force: true });
  const min = d.remove[d.remove.length - 1] + fileSize;
  state.store[StoreWord.COMMIT_MIN] = min;
  Atomics.add(state.seq, Seq.RETENTION, 1);
  log.info({ deleted: d.remove.map(offsetFileName), reason: d.reason, diskUsedPercent: Math.round(used), commitLogMin: min }, 'CommitLog files deleted by retention');
  return min;
}
