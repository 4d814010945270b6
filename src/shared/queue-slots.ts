import { MAX_QUEUE_SLOTS } from './shared-state.js';

/**
 * Names every (topic, queueId) with a small integer, so threads can index shared arrays instead
 * of hashing strings per message. The acceptor owns the registry; other threads get copies of
 * its entries.
 */
export class QueueSlots {
  private readonly byTopic = new Map<string, number[]>();
  private next = 0;

  /** Slots for queues 0..count-1, allocating the missing ones. */
  slotsFor(topic: string, count: number): number[] {
    let slots = this.byTopic.get(topic);
    if (!slots) {
      slots = [];
      this.byTopic.set(topic, slots);
    }
    while (slots.length < count) {
      if (this.next >= MAX_QUEUE_SLOTS) throw new RangeError(`more than ${MAX_QUEUE_SLOTS} queues on this broker`);
      slots.push(this.next++);
    }
    return slots.slice(0, count);
  }

  get(topic: string, queueId: number): number {
    const slots = this.byTopic.get(topic);
    return slots && queueId < slots.length ? slots[queueId] : -1;
  }

  topicSlots(topic: string): readonly number[] | undefined {
    return this.byTopic.get(topic);
  }

  /** Entries as [topic, slots] for copying to another thread. */
  entries(): [string, number[]][] {
    return [...this.byTopic].map(([t, s]) => [t, [...s]]);
  }

  /** Replica side: adopt entries made by the owner. */
  adopt(topic: string, slots: number[]): void {
    const cur = this.byTopic.get(topic);
    if (!cur || cur.length < slots.length) this.byTopic.set(topic, [...slots]);
    this.next = Math.max(this.next, ...slots.map((s) => s + 1));
  }
}
