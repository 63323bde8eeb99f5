import type { ChatEvent, FinalAnswer, TurnInput } from './types.js';

/**
 * One turn at a time per thread: two concurrent turns would fork the checkpoint history. Returns
 * a `stream` that queues each thread's turns behind the ones before it (other threads run freely).
 */
export function oneTurnPerThread(run: (input: TurnInput) => AsyncIterable<ChatEvent>): (input: TurnInput) => AsyncGenerator<ChatEvent> {
  const locks = new Map<string, Promise<unknown>>();
  return async function* stream(input) {
    const previous = locks.get(input.threadId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => mine);
    locks.set(input.threadId, chained);
    await previous;
    try {
      yield* run(input);
    } finally {
      release();
      if (locks.get(input.threadId) === chained) locks.delete(input.threadId);
    }
  };
}

/** The final answer of a streamed turn; an error event becomes an Error carrying its code. */
export async function finalOf(events: AsyncIterable<ChatEvent>): Promise<FinalAnswer> {
  for await (const ev of events) {
    if (ev.type === 'final') return ev.answer;
    if (ev.type === 'error') throw Object.assign(new Error(ev.message), { code: ev.code });
  }
  throw new Error('the turn ended without an answer');
}
