import { Worker, type MessagePort } from 'node:worker_threads';
import { finalOf, oneTurnPerThread } from './turns.js';
import type { ChatAgent, ChatEvent, FinalAnswer, ThreadSnapshot, TurnInput } from './types.js';

/**
 * The chat agent on a pool of worker threads. A turn is CPU work (case reading, ranking, the
 * safety engine, SQLite reads, checkpoint serialisation); run on the HTTP server's event loop it
 * delayed every other request, /healthz included, and used one core of several. Here each worker
 * holds its own agent (its own KB connection and checkpoint connection on the shared files); the
 * main thread only routes turns, keeps one turn per thread at a time, and enforces a wall-clock
 * budget per turn: a turn over budget is cancelled, and a worker that does not stop is replaced.
 */

type Call = 'getThread' | 'deleteThread' | 'pruneThreads' | 'modelStatus';
type ToWorker = { op: 'turn'; id: number; input: Omit<TurnInput, 'signal'> } | { op: 'cancel'; id: number } | { op: 'call'; id: number; method: Call; args: unknown[] };
type FromWorker = { op: 'ready' } | { op: 'fatal'; message: string } | { op: 'event'; id: number; event: ChatEvent } | { op: 'done'; id: number } | { op: 'result'; id: number; value: unknown } | { op: 'error'; id: number; message: string };

export interface WorkerPoolOptions {
  /** Module each worker runs; it calls serveAgentInWorker with its agent. */
  workerUrl: URL;
  workerData: unknown;
  size: number;
  /** Wall-clock budget of one turn (ms). */
  turnTimeoutMs: number;
  log?: (line: string) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  ready: Promise<void>;
  alive: boolean;
}

interface Pending {
  slot: Slot;
  onEvent?: (e: ChatEvent) => void;
  onDone?: () => void;
  resolve?: (v: unknown) => void;
  reject?: (e: Error) => void;
}

export function createWorkerPoolAgent(opts: WorkerPoolOptions): ChatAgent & { ready(): Promise<void>; close(): Promise<void>; size: number } {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closing = false;
  const slots: Slot[] = [];

  function spawn(index: number): Slot {
    const worker = new Worker(opts.workerUrl, { workerData: opts.workerData });
    let markReady!: () => void;
    let failReady!: (e: Error) => void;
    const slot: Slot = { worker, busy: 0, alive: true, ready: new Promise<void>((res, rej) => ((markReady = res), (failReady = rej))) };
    slot.ready.catch(() => {});
    worker.on('message', (m: FromWorker) => {
      if (m.op === 'ready') return markReady();
      if (m.op === 'fatal') return failReady(new Error(m.message));
      const p = pending.get(m.id);
      if (!p) return;
      if (m.op === 'event') p.onEvent?.(m.event);
      else if (m.op === 'done') finish(m.id);
      else if (m.op === 'result') {
        pending.delete(m.id);
        p.resolve?.(m.value);
      } else if (m.op === 'error') {
        pending.delete(m.id);
        p.reject?.(new Error(m.message));
      }
    });
    const lost = (why: string) => {
      if (!slot.alive) return;
      slot.alive = false;
      failReady(new Error(why));
      // Everything in flight on this worker ends with an error; the pool replaces the worker.
      for (const [id, p] of pending) {
        if (p.slot !== slot) continue;
        if (p.reject) {
          pending.delete(id);
          p.reject(new Error(`the worker stopped (${why})`));
        } else {
          p.onEvent?.({ type: 'error', code: 'worker_failed', message: `the turn's worker stopped (${why})` });
          finish(id);
        }
      }
      if (!closing) {
        log(`[agent-pool] worker ${index} stopped (${why}); starting a new one`);
        slots[index] = spawn(index);
      }
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return slot;
  }

  function finish(id: number) {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    p.slot.busy--;
    p.onDone?.();
  }

  for (let i = 0; i < opts.size; i++) slots.push(spawn(i));

  const pick = async (): Promise<Slot> => {
    const live = slots.filter((s) => s.alive);
    const slot = (live.length ? live : slots).reduce((a, b) => (b.busy < a.busy ? b : a));
    await slot.ready;
    return slot;
  };

  async function call<T>(method: Call, ...args: unknown[]): Promise<T> {
    const slot = await pick();
    const id = nextId++;
    slot.busy++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, {
        slot,
        resolve: (v) => {
          slot.busy--;
          resolve(v as T);
        },
        reject: (e) => {
          slot.busy--;
          reject(e);
        },
      });
      slot.worker.postMessage({ op: 'call', id, method, args } satisfies ToWorker);
    });
  }

  async function* runTurn(input: TurnInput): AsyncGenerator<ChatEvent> {
    const slot = await pick();
    const id = nextId++;
    slot.busy++;
    const queue: ChatEvent[] = [];
    let done = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    pending.set(id, { slot, onEvent: (e) => (queue.push(e), notify()), onDone: () => ((done = true), notify()) });
    slot.worker.postMessage({ op: 'turn', id, input: { threadId: input.threadId, message: input.message, principal: input.principal } } satisfies ToWorker);
    const cancel = () => slot.worker.postMessage({ op: 'cancel', id } satisfies ToWorker);
    input.signal?.addEventListener('abort', cancel, { once: true });
    // Over budget: cancel; a worker that has not ended the turn 5 s later is replaced.
    let killTimer: NodeJS.Timeout | undefined;
    const budget = setTimeout(() => {
      queue.push({ type: 'error', code: 'turn_timeout', message: `the turn took longer than ${opts.turnTimeoutMs} ms and was stopped` });
      cancel();
      killTimer = setTimeout(() => {
        if (pending.has(id)) void slot.worker.terminate();
      }, 5_000);
      done = true;
      notify();
    }, opts.turnTimeoutMs);
    try {
      for (;;) {
        while (queue.length) {
          const e = queue.shift()!;
          yield e;
          if (e.type === 'final' || e.type === 'error') return;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      clearTimeout(budget);
      if (killTimer && !pending.has(id)) clearTimeout(killTimer);
      input.signal?.removeEventListener('abort', cancel);
      // A consumer that stops reading (client gone) cancels the turn in the worker.
      if (pending.has(id) && !done) cancel();
    }
  }

  const stream = oneTurnPerThread(runTurn);
  return {
    size: opts.size,
    async ready() {
      await Promise.all(slots.map((s) => s.ready));
    },
    // One turn at a time per thread, whichever worker runs it.
    stream,
    invoke: (input): Promise<FinalAnswer> => finalOf(stream(input)),
    getThread: (threadId, principal) => call<ThreadSnapshot | null>('getThread', threadId, principal),
    deleteThread: (threadId, principal) => call<boolean>('deleteThread', threadId, principal),
    pruneThreads: (ms) => call<number>('pruneThreads', ms),
    modelStatus: () => call('modelStatus'),
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * The worker side: answers the pool's messages with `agent`. Call once in the worker module,
 * after building the agent; `fatal` reports a worker that could not build one.
 */
export function serveAgentInWorker(port: MessagePort, agent: ChatAgent): void {
  const running = new Map<number, AbortController>();
  port.on('message', async (m: ToWorker) => {
    if (m.op === 'cancel') return running.get(m.id)?.abort();
    if (m.op === 'call') {
      try {
        const fn = agent[m.method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        if (!fn) throw new Error(`this agent has no ${m.method}`);
        port.postMessage({ op: 'result', id: m.id, value: await fn.apply(agent, m.args) } satisfies FromWorker);
      } catch (err) {
        port.postMessage({ op: 'error', id: m.id, message: (err as Error).message } satisfies FromWorker);
      }
      return;
    }
    const ac = new AbortController();
    running.set(m.id, ac);
    try {
      for await (const event of agent.stream({ ...m.input, signal: ac.signal })) port.postMessage({ op: 'event', id: m.id, event } satisfies FromWorker);
    } catch (err) {
      port.postMessage({ op: 'event', id: m.id, event: { type: 'error', code: 'internal', message: (err as Error).message } } satisfies FromWorker);
    } finally {
      running.delete(m.id);
      port.postMessage({ op: 'done', id: m.id } satisfies FromWorker);
    }
  });
  port.postMessage({ op: 'ready' } satisfies FromWorker);
}

/** Reports a worker that failed to start, so the pool's ready() rejects with the reason. */
export function reportWorkerFatal(port: MessagePort, err: unknown): void {
  port.postMessage({ op: 'fatal', message: (err as Error)?.message ?? String(err) } satisfies FromWorker);
}
