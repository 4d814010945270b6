// StoreCheckpoint file (reference doc §6.5): one 4096-byte page of big-endian longs.

import { readInt, readLong, writeInt, writeLong } from './longs.js';

export const CHECKPOINT_SIZE = 4096;

export interface Checkpoint {
  physicMsgTimestamp: number;
  logicsMsgTimestamp: number;
  indexMsgTimestamp: number;
  /** 5.x */
  masterFlushedOffset: number;
  /** 5.x */
  confirmPhyOffset: number;
}

export type CheckpointInput = Omit<Checkpoint, 'masterFlushedOffset' | 'confirmPhyOffset'> &
  Partial<Pick<Checkpoint, 'masterFlushedOffset' | 'confirmPhyOffset'>>;

/** Writes the fields in place (e.g. into the mapped page); other bytes are left untouched. */
export function writeCheckpoint(dst: Uint8Array, c: CheckpointInput): void {
  writeLong(dst, 0, c.physicMsgTimestamp);
  writeLong(dst, 8, c.logicsMsgTimestamp);
  writeLong(dst, 16, c.indexMsgTimestamp);
  writeLong(dst, 24, c.masterFlushedOffset ?? 0);
  writeLong(dst, 32, c.confirmPhyOffset ?? 0);
}

export function encodeCheckpoint(c: CheckpointInput): Buffer {
  const buf = Buffer.alloc(CHECKPOINT_SIZE);
  writeCheckpoint(buf, c);
  return buf;
}

/** Accepts 4.9 files too (their 5.x fields read as 0). */
export function decodeCheckpoint(buf: Uint8Array): Checkpoint {
  if (buf.length < 24) throw new RangeError(`checkpoint needs at least 24 bytes, got ${buf.length}`);
  return {
    physicMsgTimestamp: readLong(buf, 0),
    logicsMsgTimestamp: readLong(buf, 8),
    indexMsgTimestamp: readLong(buf, 16),
    masterFlushedOffset: buf.length >= 32 ? readLong(buf, 24) : 0,
    confirmPhyOffset: buf.length >= 40 ? readLong(buf, 32) : 0,
  };
}

/** Abnormal-recovery bound: min(physic, logics) - 3 s, floored at 0 (StoreCheckpoint.getMinTimestamp). */
export function checkpointMinTimestamp(c: Checkpoint, messageIndexSafe = false): number {
  let min = Math.min(c.physicMsgTimestamp, c.logicsMsgTimestamp) - 3000;
  if (min < 0) min = 0;
  return messageIndexSafe ? Math.min(min, c.indexMsgTimestamp) : min;
}

/**
 * Ferry's recovery hint, in a part of the checkpoint page RocketMQ never reads or writes (it maps
 * the page and touches only the first 40 bytes). `durableOffset` is a CommitLog record boundary
 * below which every record, its ConsumeQueue unit and its index entry had been fdatasync'd when
 * the checkpoint was written: after an unclean stop, recovery verifies and re-dispatches from
 * there instead of from the start of the file the checkpoint's timestamps name. The hint repeats
 * `logicsMsgTimestamp`, so once another broker has rewritten the checkpoint it no longer matches
 * and is ignored.
 */
export const RECOVERY_HINT_OFFSET = 2048;
const RECOVERY_HINT_MAGIC = 0x46525931; // "FRY1"

export function writeRecoveryHint(dst: Uint8Array, logicsMsgTimestamp: number, durableOffset: number): void {
  writeInt(dst, RECOVERY_HINT_OFFSET, RECOVERY_HINT_MAGIC);
  writeLong(dst, RECOVERY_HINT_OFFSET + 8, logicsMsgTimestamp);
  writeLong(dst, RECOVERY_HINT_OFFSET + 16, durableOffset);
}

/** The durable offset, or -1 when the page has no hint or one another broker made stale. */
export function readRecoveryHint(page: Uint8Array): number {
  if (page.length < RECOVERY_HINT_OFFSET + 24) return -1;
  if (readInt(page, RECOVERY_HINT_OFFSET) !== RECOVERY_HINT_MAGIC) return -1;
  if (readLong(page, RECOVERY_HINT_OFFSET + 8) !== readLong(page, 8)) return -1;
  const durable = readLong(page, RECOVERY_HINT_OFFSET + 16);
  return durable >= 0 ? durable : -1;
}
