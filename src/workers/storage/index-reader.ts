import fs from 'node:fs';
import path from 'node:path';
import { Seq, type SharedState } from '../../shared/shared-state.js';
import { HASH_SLOT_SIZE, INDEX_ENTRY_SIZE, INDEX_HEADER_SIZE, indexFileSize } from '../../shared/storage/indexfile.js';
import { readInt, readLong } from '../../shared/storage/longs.js';
import { listIndexFiles, preadFully } from './index-writer.js';

export interface IndexQueryResult {
  /** Accepted CommitLog offsets, newest first, without duplicates. */
  phyOffsets: number[];
  /** Header of the newest file: what QueryMessageResponseHeader reports. */
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

/** `<storePathRootDir>/index`. */
export function indexDir(rootDir: string): string {
  return path.join(rootDir, 'index');
}

interface OpenFile {
  name: string;
  /** -1: not opened yet (opened on first use); -2: unusable (size differs from the config). */
  fd: number;
}

/**
 * Reads IndexFiles with positional reads through cached descriptors (network workers). Only the
 * dispatcher writes them, entry before slot before header, so a slot read here never points at
 * an entry that is not on disk yet. The set of files is re-listed when the dispatcher bumps
 * Seq.INDEX_FILES (a file was created or deleted); without shared state, on every query.
 */
export class IndexReader {
  private files: OpenFile[] = [];
  private version = Number.NaN;
  private readonly fileSize: number;
  private readonly head = Buffer.allocUnsafe(INDEX_HEADER_SIZE);
  private readonly cell = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
  private beginTs = 0;
  private endTs = 0;
  private endPhy = 0;
  private count = 1;

  constructor(readonly dir: string, readonly hashSlotNum: number, readonly indexNum: number, private readonly state: SharedState | null = null) {
    this.fileSize = indexFileSize(hashSlotNum, indexNum);
  }

  /** Names of the files currently known, oldest first. */
  fileNames(): string[] {
    this.refresh();
    return this.files.map((f) => f.name);
  }

  private refresh(): void {
    if (this.state) {
      const v = Atomics.load(this.state.seq, Seq.INDEX_FILES);
      if (v === this.version) return;
      this.version = v;
    }
    const old = new Map(this.files.map((f) => [f.name, f] as const));
    const next: OpenFile[] = [];
    for (const name of listIndexFiles(this.dir)) {
      const known = old.get(name);
      old.delete(name);
      // A file found short may have been caught while being created: look again.
      next.push(known && known.fd !== -2 ? known : { name, fd: -1 });
    }
    for (const f of old.values()) if (f.fd >= 0) fs.closeSync(f.fd);
    this.files = next;
  }

  /** The file's descriptor, opened on first use; -1 if it cannot be used (now). */
  private fdOf(f: OpenFile): number {
    if (f.fd !== -1) return f.fd >= 0 ? f.fd : -1;
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.dir, f.name), 'r');
    } catch {
      return -1;
    }
    if (fs.fstatSync(fd).size !== this.fileSize) {
      fs.closeSync(fd);
      f.fd = -2; // sized for another maxHashSlotNum/maxIndexNum (the writer creates files full size)
      return -1;
    }
    f.fd = fd;
    return fd;
  }

  private readHeader(fd: number): boolean {
    if (preadFully(fd, this.head, 0, INDEX_HEADER_SIZE, 0) < INDEX_HEADER_SIZE) return false;
    this.beginTs = readLong(this.head, 0);
    this.endTs = readLong(this.head, 8);
    this.endPhy = readLong(this.head, 24);
    const n = readInt(this.head, 36);
    this.count = n <= 0 ? 1 : n;
    return true;
  }

  /**
   * IndexService.queryOffset: files newest first, each whose time span overlaps [begin, end];
   * stops at a file that begins before `begin` or once `maxNum` offsets are accepted. Every
   * candidate whose hash and time match is offered to `accept` (which checks the stored message,
   * since hashes collide); only accepted ones count towards maxNum.
   */
  query(keyHash: number, begin: number, end: number, maxNum: number, accept: (phy: number) => boolean): IndexQueryResult {
    this.refresh();
    const out: number[] = [];
    const seen = new Set<number>();
    let lastTs = 0;
    let lastPhy = 0;
    for (let i = this.files.length - 1; i >= 0; i--) {
      const fd = this.fdOf(this.files[i]);
      if (fd < 0 || !this.readHeader(fd)) continue;
      if (i === this.files.length - 1) {
        lastTs = this.endTs;
        lastPhy = this.endPhy;
      }
      const b = this.beginTs;
      const e = this.endTs;
      const timeMatched = (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e);
      if (timeMatched && maxNum > 0) this.walk(fd, keyHash, begin, end, maxNum, accept, out, seen);
      if (b < begin) break;
      if (out.length >= maxNum) break;
    }
    return { phyOffsets: out, indexLastUpdateTimestamp: lastTs, indexLastUpdatePhyoffset: lastPhy };
  }

  /** IndexFile.selectPhyOffset over positional reads. */
  private walk(fd: number, keyHash: number, begin: number, end: number, maxNum: number, accept: (phy: number) => boolean, out: number[], seen: Set<number>): void {
    const slotPos = INDEX_HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    if (preadFully(fd, this.cell, 0, HASH_SLOT_SIZE, slotPos) < HASH_SLOT_SIZE) return;
    const slotValue = readInt(this.cell, 0);
    // The header read before the slot may be older than it: read it again before giving up.
    if (slotValue > this.count && !this.readHeader(fd)) return;
    if (slotValue <= 0 || slotValue > this.count || this.count <= 1) return;
    const entries = INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
    const beginTs = this.beginTs;
    for (let n = slotValue; ; ) {
      if (out.length >= maxNum) break;
      if (preadFully(fd, this.cell, 0, INDEX_ENTRY_SIZE, entries + n * INDEX_ENTRY_SIZE) < INDEX_ENTRY_SIZE) break;
      const hashRead = readInt(this.cell, 0);
      const phy = readLong(this.cell, 4);
      const timeDiff = readInt(this.cell, 12);
      const prev = readInt(this.cell, 16);
      if (timeDiff < 0) break;
      const timeRead = beginTs + timeDiff * 1000;
      if (hashRead === keyHash && timeRead >= begin && timeRead <= end && !seen.has(phy)) {
        seen.add(phy);
        if (accept(phy)) out.push(phy);
      }
      // Entries only ever link to older ones: prev >= n can only be damage (Java checks prev != n).
      if (prev <= 0 || prev >= n || timeRead < begin) break;
      n = prev;
    }
  }

  close(): void {
    for (const f of this.files) if (f.fd >= 0) fs.closeSync(f.fd);
    this.files = [];
    this.version = Number.NaN;
  }
}
