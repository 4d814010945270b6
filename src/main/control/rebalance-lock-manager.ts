import { mqJson, type MessageQueue } from './message-queue.js';

interface LockEntry {
  clientId: string;
  lastUpdate: number;
}

/** RocketMQ's default `rocketmq.broker.rebalance.lockMaxLiveTime`. */
export const LOCK_MAX_LIVE_MS = 60_000;

/**
 * Queue locks of orderly consumers (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ, reference 3.9): per group and
 * MessageQueue, the client holding it and when it last locked it. A lock is granted when the queue
 * is free, its lock has expired, or the same client already holds it (which refreshes it).
 */
export class RebalanceLockManager {
  private readonly table = new Map<string, Map<string, LockEntry>>();

  constructor(
    private readonly maxLiveMs = LOCK_MAX_LIVE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Locks what it can; returns the queues now held by `clientId` (each once). */
  tryLockBatch(group: string, mqs: MessageQueue[], clientId: string): MessageQueue[] {
    let locks = this.table.get(group);
    if (!locks) {
      locks = new Map();
      this.table.set(group, locks);
    }
    const now = this.now();
    const granted = new Map<string, MessageQueue>();
    for (const mq of mqs) {
      const key = mqJson(mq);
      if (granted.has(key)) continue;
      const entry = locks.get(key);
      if (!entry || entry.clientId === clientId || now - entry.lastUpdate > this.maxLiveMs) {
        locks.set(key, { clientId, lastUpdate: now });
        granted.set(key, mq);
      }
    }
    return [...granted.values()];
  }

  /** Releases the queues `clientId` holds; locks of other clients are left alone. */
  unlockBatch(group: string, mqs: MessageQueue[], clientId: string): void {
    const locks = this.table.get(group);
    if (!locks) return;
    for (const mq of mqs) {
      const key = mqJson(mq);
      if (locks.get(key)?.clientId === clientId) locks.delete(key);
    }
    if (locks.size === 0) this.table.delete(group);
  }

  /** The live holder of a queue's lock, if any. */
  holder(group: string, mq: MessageQueue): string | null {
    const entry = this.table.get(group)?.get(mqJson(mq));
    if (!entry || this.now() - entry.lastUpdate > this.maxLiveMs) return null;
    return entry.clientId;
  }
}
