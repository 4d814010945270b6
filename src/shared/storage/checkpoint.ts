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
 * the page and touches only the first 40 bytes). Two CommitLog record boundaries:
 * - `durableOffset`: below it every record, its ConsumeQueue unit and its index entry had been
 *   fdatasync'd when the checkpoint was written; it holds after any crash.
 * - `writtenOffset`, with the kernel's boot id: below it all of those had been written (to the
 *   page cache). A killed process leaves the page cache behind, so in the same boot recovery may
 *   start there; after a reboot only the durable offset counts.
 * After an unclean stop, recovery verifies and re-dispatches from the offset that applies instead
 * of from the start of the file the checkpoint's timestamps name. The hint repeats
 * `logicsMsgTimestamp`, so once another broker has rewritten the checkpoint it no longer matches
 * and is ignored.
 */
export const RECOVERY_HINT_OFFSET = 2048;
const RECOVERY_HINT_MAGIC = 0x46525931; // "FRY1"
export const BOOT_ID_BYTES = 16;
const WRITTEN_AT = RECOVERY_HINT_OFFSET + 24;
const BOOT_ID_AT = RECOVERY_HINT_OFFSET + 32;

/** Without `written` (or with no boot id) the written offset is cleared: only the durable one applies. */
export function writeRecoveryHint(
  dst: Uint8Array,
  logicsMsgTimestamp: number,
  durableOffset: number,
  written: { offset: number; bootId: Uint8Array | null } | null = null,
): void {
  writeInt(dst, RECOVERY_HINT_OFFSET, RECOVERY_HINT_MAGIC);
  writeLong(dst, RECOVERY_HINT_OFFSET + 8, logicsMsgTimestamp);
  writeLong(dst, RECOVERY_HINT_OFFSET + 16, durableOffset);
  if (written && written.bootId) {
    writeLong(dst, WRITTEN_AT, written.offset);
    dst.set(written.bootId.subarray(0, BOOT_ID_BYTES), BOOT_ID_AT);
  } else {
    dst.fill(0, WRITTEN_AT, BOOT_ID_AT + BOOT_ID_BYTES);
  }
}

/**
 * Where recovery may start: the written offset when the page was written in boot `bootId`, else
 * the durable offset; -1 when the page has no hint or one another broker made stale.
 */
export function readRecoveryHint(page: Uint8Array, bootId: Uint8Array | null = null): number {
  if (page.length < RECOVERY_HINT_OFFSET + 24) return -1;
  if (readInt(page, RECOVERY_HINT_OFFSET) !== RECOVERY_HINT_MAGIC) return -1;
  if (readLong(page, RECOVERY_HINT_OFFSET + 8) !== readLong(page, 8)) return -1;
  const durable = readLong(page, RECOVERY_HINT_OFFSET + 16);
  if (bootId && page.length >= BOOT_ID_AT + BOOT_ID_BYTES && sameBoot(page.subarray(BOOT_ID_AT, BOOT_ID_AT + BOOT_ID_BYTES), bootId)) {
    const written = readLong(page, WRITTEN_AT);
    if (written >= Math.max(0, durable)) return written;
  }
  return durable >= 0 ? durable : -1;
}

function sameBoot(stored: Uint8Array, bootId: Uint8Array): boolean {
  if (bootId.length !== BOOT_ID_BYTES || stored.every((b) => b === 0)) return false;
  for (let i = 0; i < BOOT_ID_BYTES; i++) if (stored[i] !== bootId[i]) return false;
  return true;
}

/** The kernel's boot id (Linux `/proc/sys/kernel/random/boot_id`: a UUID) as 16 bytes; null if not one. */
export function parseBootId(text: string): Uint8Array | null {
  const hex = text.trim().replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const id = new Uint8Array(BOOT_ID_BYTES);
  for (let i = 0; i < BOOT_ID_BYTES; i++) id[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return id.every((b) => b === 0) ? null : id;
}
