import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { CompletionRing, type CompletionChannel } from '../shared/completion-ring.js';

/** Hands the store writer its end of a ring producer's completion channel. */
export type AttachCompletions = (workerId: number, ring: SharedArrayBuffer, port: MessagePort) => void;

/**
 * Opens the completion channel of ring producer `workerId`: the store writer gets its end through
 * `attach`; the returned end goes to the producer's thread (its port in the transfer list).
 */
export function openCompletionChannel(workerId: number, attach: AttachCompletions): CompletionChannel {
  const channel = new MessageChannel();
  const ring = CompletionRing.create();
  attach(workerId, ring, channel.port1);
  return { ring, port: channel.port2 };
}
