import type { Worker } from 'node:worker_threads';
import { QueueSlots } from '../shared/queue-slots.js';
import { SharedState, StoreWord } from '../shared/shared-state.js';
import { StoreReader } from '../workers/storage/store-reader.js';
import type { StoreView } from './control/context.js';
import type { FromDispatcher } from '../workers/dispatcher.js';

const DELETE_TIMEOUT_MS = 10_000;

/** The acceptor's read access to the store: shared offsets plus file reads, and the slot registry. */
export class SharedStoreView implements StoreView {
  readonly slots = new QueueSlots();
  /** Set once the dispatcher runs; new slots and topic deletions are sent to it. */
  dispatcher: Worker | null = null;
  /** The schedule thread (delayed messages) also needs every queue's slot. */
  scheduler: Worker | null = null;

  constructor(private readonly state: SharedState, private readonly reader: StoreReader) {}

  private slot(topic: string, queueId: number): number {
    return this.slots.get(topic, queueId);
  }

  maxOffset(topic: string, queueId: number): number {
    return this.state.maxOffset(this.slot(topic, queueId));
  }

  minOffset(topic: string, queueId: number): number {
    return this.state.minOffset(this.slot(topic, queueId));
  }

  storeTimeAt(topic: string, queueId: number, offset: number): number {
    return this.reader.storeTimeAt(topic, queueId, offset);
  }

  searchOffsetByTimestamp(topic: string, queueId: number, timestamp: number): number {
    return this.reader.searchOffsetByTimestamp(topic, queueId, timestamp, this.minOffset(topic, queueId), this.maxOffset(topic, queueId));
  }

  commitLogMinOffset(): number {
    return this.state.store[StoreWord.COMMIT_MIN];
  }

  commitLogMaxOffset(): number {
    return this.state.store[StoreWord.COMMIT_END];
  }

  slotsFor(topic: string, queueCount: number): number[] {
    const before = this.slots.topicSlots(topic)?.length ?? 0;
    const slots = this.slots.slotsFor(topic, queueCount);
    if (slots.length > before) {
      const update = { kind: 'slots', topic, slots: [...(this.slots.topicSlots(topic) ?? [])] } as const;
      this.dispatcher?.postMessage(update);
      this.scheduler?.postMessage(update);
    }
    return slots;
  }

  /** Resolves once the dispatcher has removed the topic's ConsumeQueues and emptied its queues. */
  async deleteTopic(topic: string): Promise<void> {
    this.reader.forgetTopic(topic);
    const dispatcher = this.dispatcher;
    if (!dispatcher) {
      for (const slot of this.slots.topicSlots(topic) ?? []) this.state.resetQueue(slot);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const done = (err: Error | null) => {
        clearTimeout(timer);
        dispatcher.off('message', onMessage);
        dispatcher.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (m: FromDispatcher) => {
        if (m.kind === 'topicDeleted' && m.topic === topic) done(null);
      };
      // An exited dispatcher (restarted a moment later) never answers.
      const onExit = () => done(new Error('the dispatcher stopped before it deleted them'));
      const timer = setTimeout(() => done(new Error(`the dispatcher did not delete them within ${DELETE_TIMEOUT_MS} ms`)), DELETE_TIMEOUT_MS);
      dispatcher.on('message', onMessage);
      dispatcher.on('exit', onExit);
      dispatcher.postMessage({ kind: 'deleteTopic', topic });
    });
  }
}
