import type { CommitLogReader } from './commitlog-files.js';

/**
 * Aligned blocks of the CommitLog, kept for pulls whose records lie far apart.
 *
 * A consumer reading a backlog of a topic with many queues pulls the queues in turn, up to 32
 * messages each. One queue's messages are interleaved with every other queue's, so the records of
 * one pull are spread over megabytes of CommitLog and each needs a read of its own. But the next
 * pull, for the next queue, wants the records right beside them. Reading whole blocks and keeping
 * the most recently used ones turns about 32 reads per pull into a few per thousand records.
 *
 * Only blocks that lie wholly below `stableEnd` (the dispatched offset: bytes there never change)
 * are kept. When blocks are evicted before much of them was served (consumers far apart, say), the
 * cache steps aside for a while and callers read records directly again.
 */
interface Block {
  bytes: Buffer;
  /** The `clock` of its last use: the block with the lowest is evicted. */
  used: number;
}

export class CommitLogBlockCache {
  private readonly blocks = new Map<number, Block>();
  private readonly spare: Buffer[] = [];
  private clock = 0;
  private loadedBytes = 0;
  private servedBytes = 0;
  private loads = 0;
  /** Reads left to pass by while the cache steps aside. */
  private bypass = 0;

  constructor(
    private readonly log: CommitLogReader,
    readonly blockSize = 64 * 1024,
    readonly capacity = 256,
  ) {}

  /**
   * Copies `len` bytes at CommitLog offset `pos` into dst from cached blocks, loading the missing
   * ones; false when it does not (part of the range is at or past `stableEnd`, a block cannot be
   * read whole, or the cache is stepping aside): the caller then reads the range itself.
   */
  read(pos: number, len: number, dst: Uint8Array, at: number, stableEnd: number): boolean {
    if (this.bypass > 0) {
      this.bypass--;
      return false;
    }
    const fileSize = this.log.fileSize;
    const fileStart = pos - (pos % fileSize);
    const blockSize = Math.min(this.blockSize, fileSize);
    const blockOf = (p: number) => fileStart + Math.floor((p - fileStart) / blockSize) * blockSize;
    if (Math.min(blockOf(pos + len - 1) + blockSize, fileStart + fileSize) > stableEnd) return false;
    let done = 0;
    while (done < len) {
      const p = pos + done;
      const blockStart = blockOf(p);
      const blockEnd = Math.min(blockStart + blockSize, fileStart + fileSize);
      const block = this.blocks.get(blockStart) ?? this.load(blockStart, blockEnd - blockStart);
      if (block === null) return false;
      block.used = ++this.clock;
      const n = Math.min(len - done, blockEnd - p);
      block.bytes.copy(dst, at + done, p - blockStart, p - blockStart + n);
      done += n;
    }
    this.servedBytes += len;
    if (this.loads >= LOADS_PER_CHECK) this.checkWorth();
    return true;
  }

  /** Drops every block (after retention deleted files, or to free the memory). */
  clear(): void {
    for (const b of this.blocks.values()) this.spare.push(b.bytes);
    this.blocks.clear();
  }

  get size(): number {
    return this.blocks.size;
  }

  /** Loads are rare (one per block's worth of records): a scan for the least recently used is cheap. */
  private load(blockStart: number, length: number): Block | null {
    let bytes: Buffer;
    if (this.blocks.size >= this.capacity) {
      let oldest = -1;
      let oldestUse = Infinity;
      for (const [start, b] of this.blocks) {
        if (b.used < oldestUse) {
          oldestUse = b.used;
          oldest = start;
        }
      }
      bytes = this.blocks.get(oldest)!.bytes;
      this.blocks.delete(oldest);
    } else {
      bytes = this.spare.pop() ?? Buffer.allocUnsafe(this.blockSize);
    }
    let got = 0;
    while (got < length) {
      const n = this.log.read(blockStart + got, bytes, got, length - got);
      if (n <= 0) break;
      got += n;
    }
    if (got < length) {
      this.spare.push(bytes);
      return null;
    }
    const block = { bytes, used: 0 };
    this.blocks.set(blockStart, block);
    this.loadedBytes += length;
    this.loads++;
    return block;
  }

  /**
   * Every LOADS_PER_CHECK loads: a block costs one read plus copying it whole, about what reading
   * a few records one by one costs. If the cache served under an eighth of what it loaded, blocks
   * are evicted before their neighbours are asked for, and loading them costs more than it saves.
   */
  private checkWorth(): void {
    if (this.servedBytes * 8 < this.loadedBytes) {
      this.bypass = BYPASS_READS;
      this.clear();
    }
    this.loads = 0;
    this.loadedBytes = 0;
    this.servedBytes = 0;
  }
}

const LOADS_PER_CHECK = 256;
const BYPASS_READS = 4096;
