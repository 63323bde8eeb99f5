import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServerProcess } from '../lib/server-process.js';
import { percentile } from './stats.js';

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;


/** The `thread_id` of the `thread` event at the start of a /v1/chat SSE body. */
function threadOf(body: string): string | undefined {
  return /"thread_id":"([^"]+)"/.exec(body)?.[1];
}

/**
 * Load benchmark: `connections` concurrent chat clients (autocannon) over `threads`
 * conversations for `seconds`, against a real `kedrec start` process in evidence-only mode
 * (KEDREC_LLM_PROVIDER=none: the real agent graph, tools, KB and SQLite checkpointer, no model).
 * A thread is never in two requests at once, so its turns have one order; afterwards every
 * thread's history (GET /v1/threads/:id) must hold exactly the turns that completed, in order.
 * Returns throughput, latency percentiles (ms), error counts and the server's peak RSS (MB).
 */
export async function runLoadBench(opts: {
  kbPath: string;
  seconds?: number;
  connections?: number;
  threads?: number;
  /** Progress and the figures line, for the person running the bench: the command's output (text), not a Logger. Default: dropped. */
  progress?: (line: string) => void;
}): Promise<Record<string, number>> {
  const seconds = opts.seconds ?? 60;
  const connections = opts.connections ?? 32;
  const nThreads = opts.threads ?? 200;
  const progress = opts.progress ?? (() => {});
  if (connections > nThreads) throw new Error(`connections (${connections}) must not exceed threads (${nThreads})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-load-'));
  const server = await startServerProcess({
    KEDREC_KB_PATH: path.resolve(opts.kbPath),
    KEDREC_CHECKPOINT_PATH: path.join(tmp, 'checkpoints.sqlite'),
    KEDREC_CACHE_DIR: path.join(tmp, 'cache'),
    KEDREC_LLM_PROVIDER: 'none',
    KEDREC_RATE_LIMIT_PER_MIN: '0',
  });
  const runId = `load-${process.pid}-${Date.now().toString(36)}`;
  const threadIds = Array.from({ length: nThreads }, (_, i) => `${runId}-t${i}`);
  const committed = new Map<string, string[]>(threadIds.map((t) => [t, []]));
  const pending = new Map<string, string>();
  /** The turns a thread of this run has completed (each has its list from the start). */
  const committedOf = (t: string): string[] => {
    const done = committed.get(t);
    if (!done) throw new Error(`load bench: ${t} is not one of this run's threads`);
    return done;
  };
  /** The message a busy thread was sent (recorded when it was marked busy). */
  const pendingOf = (t: string): string => {
    const message = pending.get(t);
    if (message === undefined) throw new Error(`load bench: thread ${t} is busy but no message was recorded for it`);
    return message;
  };
  const busy = new Set<string>();
  const turnNo = new Map<string, number>();
  let cursor = 0;
  let badBodies = 0;
  let overflow = 0;
  const latencies: number[] = [];
  const startedAt = new Map<string, number>();

  try {
    // Warm up the KB pages and the agent graph so the first second is not all start-up.
    await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ thread_id: `${runId}-warmup`, message: 'type 2 diabetes', stream: false }),
    }).then((r) => r.text());
    progress(`load: ${connections} connections, ${nThreads} threads, ${seconds} s against ${server.url} (evidence-only agent, pid ${server.child.pid})`);
    // A liveness probe beside the load, as an orchestrator would run it: its latency must stay small.
    const health: number[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now();
        try {
          await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
          health.push(performance.now() - t0);
        } catch {
          health.push(10_000);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await autocannon({
      url: server.url,
      connections,
      duration: seconds,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          path: '/v1/chat',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req: Record<string, unknown>) => {
            // Next idle thread, round robin: one request per thread at a time.
            let t: string | undefined;
            for (let i = 0; i < nThreads && !t; i++) {
              const cand = threadIds[(cursor + i) % nThreads];
              if (!busy.has(cand)) {
                t = cand;
                cursor = (cursor + i + 1) % nThreads;
              }
            }
            // Only when requests were lost (connection errors leave their thread marked busy):
            // such turns go to throw-away threads outside the verification, and count as errors.
            if (!t) {
              overflow += 1;
              t = `${runId}-overflow-${overflow}`;
            }
            busy.add(t);
            const n = (turnNo.get(t) ?? 0) + 1;
            turnNo.set(t, n);
            const message = `turn ${n} of ${t}: type 2 diabetes${n % 2 === 0 ? ', now also on warfarin' : ''}`;
            pending.set(t, message);
            startedAt.set(t, performance.now());
            return { ...req, body: JSON.stringify({ thread_id: t, message }) };
          },
          onResponse: (status: number, body: string) => {
            const t = threadOf(body);
            if (t?.includes('-overflow-')) return;
            if (!t || !busy.has(t)) {
              badBodies += 1;
              return;
            }
            const t0 = startedAt.get(t);
            if (t0 !== undefined) latencies.push(performance.now() - t0);
            if (status === 200 && body.includes('event: final')) committedOf(t).push(pendingOf(t));
            else badBodies += 1;
            pending.delete(t);
            busy.delete(t);
          },
        },
      ],
    });

    probing = false;
    await prober;
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the server exited during the run (${server.child.exitCode ?? server.child.signalCode}):\n${server.stderr().slice(-3000)}`);
    }
    // Requests cut off at the end of the run may still complete on the server: let them.
    await new Promise((r) => setTimeout(r, 1500));
    let incomplete = 0;
    let outOfOrder = 0;
    let verified = 0;
    const checkOne = async (t: string) => {
      const done = committedOf(t);
      const extra = pending.get(t);
      if (!done.length && !extra) return;
      const r = await fetch(`${server.url}/v1/threads/${encodeURIComponent(t)}`);
      if (r.status === 404 && !done.length) return;
      if (!r.ok) {
        incomplete += 1;
        return;
      }
      const snap = (await r.json()) as { messages: { role: string; content: string }[] };
      const users = snap.messages.filter((m) => m.role === 'user').map((m) => m.content);
      const assistants = snap.messages.filter((m) => m.role === 'assistant').length;
      const expectA = JSON.stringify(done);
      const expectB = extra ? JSON.stringify([...done, extra]) : expectA;
      const got = JSON.stringify(users);
      if (got !== expectA && got !== expectB) {
        const sorted = (xs: string[]) => JSON.stringify([...xs].sort());
        if (sorted(users) === sorted(done) || (extra && sorted(users) === sorted([...done, extra]))) outOfOrder += 1;
        else incomplete += 1;
      } else if (assistants < done.length) incomplete += 1;
      verified += 1;
    };
    for (let i = 0; i < threadIds.length; i += 16) await Promise.all(threadIds.slice(i, i + 16).map(checkOne));

    latencies.sort((a, b) => a - b);
    health.sort((a, b) => a - b);
    const pctOf = (xs: number[], p: number) => Math.round(percentile(xs, p) * 10) / 10;
    const pct = (p: number) => pctOf(latencies, p);
    const turns = [...committed.values()].reduce((s, x) => s + x.length, 0);
    // Conversation storage after the run: bytes in use (pages minus free pages) per completed turn.
    const { default: Database } = await import('better-sqlite3');
    const cp = new Database(path.join(tmp, 'checkpoints.sqlite'), { readonly: true });
    const storeBytes =
      ((cp.pragma('page_count', { simple: true }) as number) - (cp.pragma('freelist_count', { simple: true }) as number)) *
      (cp.pragma('page_size', { simple: true }) as number);
    const checkpointRows = cp.prepare('SELECT COUNT(*) FROM checkpoints').pluck().get() as number;
    cp.close();
    const out: Record<string, number> = {
      seconds,
      connections,
      threads: nThreads,
      requests: result.requests.total,
      completedTurns: turns,
      throughputRps: Math.round((turns / seconds) * 10) / 10,
      p50Ms: pct(50),
      p95Ms: pct(95),
      p99Ms: pct(99),
      maxMs: Math.round(latencies.at(-1) ?? NaN),
      // autocannon's `errors` already counts timeouts.
      errors: result.errors + result.non2xx + badBodies + overflow,
      non2xx: result.non2xx,
      timeouts: result.timeouts,
      threadsVerified: verified,
      threadsIncomplete: incomplete,
      threadsOutOfOrder: outOfOrder,
      peakRssMb: server.peakRssMb(),
      healthzP50Ms: pctOf(health, 50),
      healthzP99Ms: pctOf(health, 99),
      healthzMaxMs: Math.round(health.at(-1) ?? NaN),
      storeBytes,
      bytesPerTurn: turns ? Math.round(storeBytes / turns) : NaN,
      checkpointRows,
    };
    progress(
      `load: ${out.completedTurns} turns in ${seconds} s = ${out.throughputRps} turns/s; p50 ${out.p50Ms} ms, p95 ${out.p95Ms} ms, p99 ${out.p99Ms} ms, max ${out.maxMs} ms; ` +
        `errors ${out.errors}; threads verified ${verified} (incomplete ${incomplete}, out of order ${outOfOrder}); server peak RSS ${out.peakRssMb} MB; ` +
        `/healthz p50 ${out.healthzP50Ms} ms, p99 ${out.healthzP99Ms} ms, max ${out.healthzMaxMs} ms; store ${out.storeBytes} B = ${out.bytesPerTurn} B/turn (${out.checkpointRows} checkpoints)`,
    );
    return out;
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
