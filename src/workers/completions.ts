import { CompletionRing, type CompletionChannel } from '../shared/completion-ring.js';

/**
 * Takes a ring producer's completions on its event loop: the consumer stays armed, so the store
 * writer wakes it through the channel's port at every publish. For threads with few sends (the
 * schedule and transaction threads); a network worker collects its own (network-worker.ts).
 */
export function listenForCompletions(channel: CompletionChannel, onChunk: (completions: Float64Array) => void): void {
  const ring = new CompletionRing(channel.ring);
  const takeAll = () => {
    do ring.take(onChunk);
    while (ring.armWake());
  };
  channel.port.on('message', takeAll);
  takeAll();
}
