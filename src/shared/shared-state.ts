/**
 * Store state shared by all threads through one SharedArrayBuffer: the CommitLog positions the
 * store writer publishes, and every queue's logical min/max offsets the dispatcher publishes.
 * A value is written first, then a sequence word is bumped (a seq-cst atomic, which orders the
 * plain Float64 store before it); readers load the sequence word before reading values.
 */
import { CqTails } from './cq-tails.js';

export const MAX_QUEUE_SLOTS = 1 << 18;

const SEQ_WORDS = 16;
const STORE_WORDS = 16;

/** Int32 sequence words. */
export const Seq = {
  /** Bumped by the store writer after each append; the dispatcher waits on it. */
  COMMITTED: 0,
  /** Bumped by the dispatcher after it published new queue offsets. */
  DISPATCHED: 1,
  /** 1 once the store (recovery included) is ready to accept writes. */
  READY: 2,
  /** Bumped by the dispatcher whenever IndexFiles are created or deleted; readers re-list the directory. */
  INDEX_FILES: 3,
  /** Non-zero while the store refuses writes: a NotWritable reason, set by the store writer. */
  NOT_WRITABLE: 4,
  /** Bumped when retention deleted files: readers close cached descriptors so space is freed. */
  RETENTION: 5,
  /** Bumped by the flusher when it finished (or failed) allocating the next CommitLog file. */
  PREALLOC: 6,
} as const;

const COMPLETIONS_AT = 8;

/**
 * The Seq word the store writer bumps after posting completions to the ring producer `workerId`
 * (so that a network worker can wait for them with Atomics.wait); -1 past the last word.
 */
export function completionWord(workerId: number): number {
  const w = COMPLETIONS_AT + workerId;
  return workerId >= 0 && w < SEQ_WORDS ? w : -1;
}

/** Why the store refuses writes (value of Seq.NOT_WRITABLE). */
export const NotWritable = {
  NO: 0,
  DISK_FULL: 1,
  ALLOCATION_FAILED: 2,
  WRITE_FAILED: 3,
} as const;

export function notWritableRemark(reason: number): string {
  switch (reason) {
    case NotWritable.DISK_FULL:
      return 'service not available now: the disk is full (CommitLog disk use is past diskSpaceWarningLevelRatio); sends resume when space is freed';
    case NotWritable.ALLOCATION_FAILED:
      return 'service not available now: the next CommitLog file cannot be allocated (disk full?); sends resume when space is freed';
    default:
      return 'service not available now: the CommitLog could not be written (disk full or not writable)';
  }
}

/** Float64 store-wide values. */
export const StoreWord = {
  /** End of the last complete record in the CommitLog. */
  COMMIT_END: 0,
  /** Everything below this offset has been fdatasync'ed. */
  FLUSHED: 1,
  /** First offset still on disk (advances when retention deletes files). */
  COMMIT_MIN: 2,
  /** CommitLog offset up to which ConsumeQueues have been written. */
  DISPATCHED: 3,
  /** Store timestamp of the last dispatched message. */
  LAST_DISPATCH_TIME: 4,
  /** Totals for runtime info. */
  PUT_MESSAGES: 5,
  PUT_BYTES: 6,
  /** Start offset of the next CommitLog file once fully allocated; -1 before. */
  NEXT_FILE_READY: 7,
  /** Start offset of a next file whose allocation failed (disk full); -1 when none. */
  NEXT_FILE_FAILED: 8,
} as const;

const TAILS_AT = SEQ_WORDS * 4 + STORE_WORDS * 8 + MAX_QUEUE_SLOTS * 16;
const EPOCHS_AT = TAILS_AT + CqTails.bytes(MAX_QUEUE_SLOTS);

export class SharedState {
  readonly seq: Int32Array;
  readonly store: Float64Array;
  /** [maxOffset, minOffset] per queue slot. */
  readonly queues: Float64Array;
  /** The newest ConsumeQueue units (cq-tails.ts). */
  readonly tails: CqTails;
  /** Per queue slot: how many times the queue was emptied (its topic deleted); see resetQueue. */
  private readonly epochs: Int32Array;

  static create(): SharedArrayBuffer {
    return new SharedArrayBuffer(EPOCHS_AT + MAX_QUEUE_SLOTS * 4);
  }

  constructor(readonly sab: SharedArrayBuffer) {
    this.seq = new Int32Array(sab, 0, SEQ_WORDS);
    this.store = new Float64Array(sab, SEQ_WORDS * 4, STORE_WORDS);
    this.queues = new Float64Array(sab, SEQ_WORDS * 4 + STORE_WORDS * 8, MAX_QUEUE_SLOTS * 2);
    this.tails = new CqTails(sab, TAILS_AT, MAX_QUEUE_SLOTS);
    this.epochs = new Int32Array(sab, EPOCHS_AT, MAX_QUEUE_SLOTS);
  }

  /**
   * The queue's topic was deleted: it is empty, and the store writer numbers the next message
   * stored in it 0 again, as RocketMQ does for a topic created anew.
   */
  resetQueue(slot: number): void {
    this.setQueue(slot, 0, 0);
    Atomics.add(this.epochs, slot, 1);
  }

  queueEpoch(slot: number): number {
    return Atomics.load(this.epochs, slot);
  }

  maxOffset(slot: number): number {
    return slot < 0 ? 0 : this.queues[slot * 2];
  }

  minOffset(slot: number): number {
    return slot < 0 ? 0 : this.queues[slot * 2 + 1];
  }

  setQueue(slot: number, min: number, max: number): void {
    this.queues[slot * 2] = max;
    this.queues[slot * 2 + 1] = min;
  }

  bump(word: number): void {
    Atomics.add(this.seq, word, 1);
    Atomics.notify(this.seq, word);
  }
}
