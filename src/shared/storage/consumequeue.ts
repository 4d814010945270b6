// ConsumeQueue unit (reference doc §6.3): [long commitLogOffset][int size][long tagsCode].

import { readInt, readLong, writeInt, writeLong } from './longs.js';

export const CQ_UNIT_SIZE = 20;
export const DEFAULT_CQ_FILE_SIZE = 6_000_000; // 300 000 units
export const DEFAULT_COMMITLOG_FILE_SIZE = 1_073_741_824;

export function writeCqUnit(dst: Uint8Array, off: number, phyOffset: number, size: number, tagsCode: number): void {
  writeLong(dst, off, phyOffset);
  writeInt(dst, off + 8, size);
  writeLong(dst, off + 12, tagsCode);
}

export function readCqPhyOffset(buf: Uint8Array, off: number): number {
  return readLong(buf, off);
}
export function readCqSize(buf: Uint8Array, off: number): number {
  return readInt(buf, off + 8);
}
export function readCqTagsCode(buf: Uint8Array, off: number): number {
  return readLong(buf, off + 12);
}

/** Java's recovery test for a written unit: offset >= 0 and size > 0 (zero-filled tail is not). */
export function isValidCqUnit(buf: Uint8Array, off: number): boolean {
  return readLong(buf, off) >= 0 && readInt(buf, off + 8) > 0;
}

/** File name of a CommitLog/ConsumeQueue file: its starting offset, 20 digits zero-padded. */
export function offsetToFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function cqFileName(startByteOffset: number): string {
  return offsetToFileName(startByteOffset);
}

export const commitLogFileName = offsetToFileName;
