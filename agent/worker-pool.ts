import { Worker, type MessagePort } from 'node:worker_threads';
import { silentLogger, type Logger } from '../lib/log.js';
import { finalOf, oneTurnPerThread } from './turns.js';
import type { ChatAgent, ChatEvent, FinalAnswer, ThreadSnapshot, TurnInput } from './types.js';

/**
 * The chat agent on a pool of worker threads. A turn is CPU work (case reading, ranking, the
 * safety engine, SQLite reads, checkpoint serialisation); run on the HTTP server's event loop it
 * delayed every other request, /healthz included, and used one core of several. Here each worker
 * holds its own agent (its own KB connection and checkpoint connection on the shared files); the
 * main thread only routes turns, keeps one turn per thread at a time, and enforces a wall-clock
 * budget per turn: a turn over budget is cancelled, and a worker that does not stop is replaced.
 * A thread's turn holds its lock until its worker has ended it (or is gone), even when the client
 * left early; a stopped worker is replaced after a backoff, and turns wait for a live worker.
 */

type Call = 'getThread' | 'deleteThread' | 'pruneThreads' | 'modelStatus';
type ToWorker =
  | { op: 'turn'; id: number; input: Omit<TurnInput, 'signal'> }
  | { op: 'cancel'; id: number }
  | { op: 'call'; id: number; method: Call; args: unknown[] };
type FromWorker =
  | { op: 'ready' }
  | { op: 'fatal'; message: string }
  | { op: 'event'; id: number; event: ChatEvent }
  | { op: 'done'; id: number }
  | { op: 'result'; id: number; value: unknown }
  | { op: 'error'; id: number; message: string };

export interface WorkerPoolOptions {
  /** Module each worker runs; it calls serveAgentInWorker with its agent. */
  workerUrl: URL;
  workerData: unknown;
  size: number;
  /** Wall-clock budget of one turn (ms). */
  turnTimeoutMs: number;
  /** How long a cancelled turn over budget may take to stop before its worker is terminated (ms; default 5000). */
  cancelGraceMs?: number;
  /**
   * Delay before replacing a stopped worker: `initialMs`, doubled for each further loss of that
   * slot up to `maxMs`, back to `initialMs` after a turn it completes (default 100 → 5000).
   */
  respawnBackoff?: { initialMs: number; maxMs: number };
  /** Workers stopped, failed and replaced; default: silent. */
  log?: Logger;
}

interface Slot {
  index: number;
  worker: Worker;
  busy: number;
  ready: Promise<void>;
  /** False once the worker has exited: its in-flight work has been ended. */
  alive: boolean;
  /** Set when the worker is being stopped (terminated, or failed to start): no new work goes to it. */
  retiring: boolean;
}

interface Pending {
  slot: Slot;
  onEvent?: (e: ChatEvent) => void;
  onDone?: () => void;
  resolve?: (v: unknown) => void;
  reject?: (e: Error) => void;
}

export function createWorkerPoolAgent(opts: WorkerPoolOptions): ChatAgent & { ready(): Promise<void>; close(): Promise<void>; size: number } {
  const log = opts.log ?? silentLogger;
  const graceMs = opts.cancelGraceMs ?? 5_000;
  const backoff = opts.respawnBackoff ?? { initialMs: 100, maxMs: 5_000 };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closing = false;
  const slots: Slot[] = [];
  // Per slot index: the delay before the next replacement, the timer of a replacement not yet
  // started, and a promise that settles when it has started (ready() waits for it).
  const respawnDelay: number[] = [];
  const respawnTimer: (NodeJS.Timeout | undefined)[] = [];
  const respawned: (Promise<void> | undefined)[] = [];
  const respawnDone: (() => void)[] = [];
  // Woken whenever a slot starts or becomes ready, and on close: turns waiting for a usable worker look again.
  let waiters: (() => void)[] = [];
  const changed = () => new Promise<void>((r) => waiters.push(r));
  const wakeWaiters = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const usable = (s: Slot) => s.alive && !s.retiring;

  /** Stops a slot's worker; its in-flight work ends when the worker has actually exited (see lost). */
  function retire(slot: Slot, why: string) {
    if (slot.retiring || !slot.alive) return;
    slot.retiring = true;
    log.warn('agent pool: stopping a worker', { worker: slot.index, reason: why });
    void slot.worker.terminate();
  }

  function spawn(index: number): Slot {
    const worker = new Worker(opts.workerUrl, { workerData: opts.workerData });
    let markReady!: () => void;
    let failReady!: (e: Error) => void;
    const slot: Slot = { index, worker, busy: 0, alive: true, retiring: false, ready: new Promise<void>((res, rej) => ((markReady = res), (failReady = rej))) };
    slot.ready.catch(() => {});
    void slot.ready.then(wakeWaiters, () => {});
    worker.on('message', (m: FromWorker) => {
      if (m.op === 'ready') return markReady();
      if (m.op === 'fatal') {
        // Marked before ready() rejects, so a turn waiting on this slot does not pick it again.
        slot.retiring = true;
        failReady(new Error(m.message));
        void worker.terminate();
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      if (m.op === 'event') p.onEvent?.(m.event);
      else if (m.op === 'done') {
        // The worker completed a turn: it is healthy, so its next loss is replaced quickly again.
        respawnDelay[index] = backoff.initialMs;
        finish(m.id);
      } else if (m.op === 'result') {
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
      if (closing) return;
      // Replaced after a growing delay: a worker that dies at once (bad KB, missing module) would
      // otherwise be restarted in a tight loop, each start costing a thread and a KB open.
      const delay = respawnDelay[index] ?? backoff.initialMs;
      respawnDelay[index] = Math.min(delay * 2, backoff.maxMs);
      log.warn('agent pool: worker stopped; starting a new one', { worker: index, reason: why, restartInMs: delay });
      respawned[index] = new Promise<void>((resolve) => {
        respawnDone[index] = resolve;
        respawnTimer[index] = setTimeout(() => {
          respawnTimer[index] = undefined;
          respawned[index] = undefined;
          if (!closing) slots[index] = spawn(index);
          wakeWaiters();
          resolve();
        }, delay);
      });
    };
    // An uncaught error is followed by 'exit'; the slot is cleaned up there, when the thread is really gone.
    worker.on('error', (err) => {
      slot.retiring = true;
      log.error('agent pool: worker failed', { worker: index, error: err.message });
    });
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

  for (let i = 0; i < opts.size; i++) {
    respawnDelay.push(backoff.initialMs);
    slots.push(spawn(i));
  }

  /**
   * The least busy started worker. Never a dead or stopping one: while every slot is between a
   * loss and its replacement, the caller waits for the replacement instead of failing.
   */
  const pick = async (): Promise<Slot> => {
    for (;;) {
      if (closing) throw new Error('the agent pool is closed');
      const live = slots.filter(usable);
      if (!live.length) {
        await changed();
        continue;
      }
      const slot = live.reduce((a, b) => (b.busy < a.busy ? b : a));
      // A worker that fails to start is retiring by the time ready rejects: the next pass skips it.
      const ok = await slot.ready.then(
        () => true,
        () => false,
      );
      if (ok && usable(slot)) return slot;
    }
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
    // done: nothing more for the consumer; ended: the worker has ended the turn (or is gone);
    // told: the consumer saw the turn's last event, so it did not leave early.
    let done = false;
    let told = false;
    let wake: (() => void) | undefined;
    let markEnded!: () => void;
    const ended = new Promise<void>((r) => (markEnded = r));
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    pending.set(id, { slot, onEvent: (e) => (queue.push(e), notify()), onDone: () => ((done = true), notify(), markEnded()) });
    slot.worker.postMessage({ op: 'turn', id, input: { threadId: input.threadId, message: input.message, principal: input.principal } } satisfies ToWorker);
    const cancel = () => {
      if (pending.has(id)) slot.worker.postMessage({ op: 'cancel', id } satisfies ToWorker);
    };
    input.signal?.addEventListener('abort', cancel, { once: true });
    // Over budget: cancel; a worker that has not ended the turn `graceMs` later is terminated.
    // The budget runs until the worker has ended the turn, whether or not anyone still reads it.
    let killTimer: NodeJS.Timeout | undefined;
    const budget = setTimeout(() => {
      queue.push({ type: 'error', code: 'turn_timeout', message: `the turn took longer than ${opts.turnTimeoutMs} ms and was stopped` });
      cancel();
      killTimer = setTimeout(() => {
        if (pending.has(id)) retire(slot, `a turn over budget did not stop within ${graceMs} ms`);
      }, graceMs);
      done = true;
      notify();
    }, opts.turnTimeoutMs);
    try {
      for (;;) {
        for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
          if (e.type === 'final' || e.type === 'error') told = true;
          yield e;
          if (told) return;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      input.signal?.removeEventListener('abort', cancel);
      // The consumer stopped reading (client gone, turn over budget) while the worker still runs
      // the turn: cancel it and hold the thread's lock (oneTurnPerThread releases when this
      // returns) until the worker ends it or is terminated, so the thread's next turn cannot start
      // on another worker beside it and fork the checkpoint history.
      if (pending.has(id)) {
        if (!told) cancel();
        await ended;
      }
      clearTimeout(budget);
      clearTimeout(killTimer);
    }
  }

  const stream = oneTurnPerThread(runTurn);
  return {
    size: opts.size,
    /**
     * Resolves when every slot has a started worker (waiting for a replacement that is due);
     * rejects with the reason of a worker that failed to start, e.g. a bad setting at start-up.
     */
    async ready() {
      await Promise.all(
        slots.map(async (_, i) => {
          await respawned[i];
          await slots[i].ready;
        }),
      );
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
      for (const t of respawnTimer) clearTimeout(t);
      for (const r of respawnDone) r?.();
      wakeWaiters();
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
