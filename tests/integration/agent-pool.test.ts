import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../agent/types.js';
import { createWorkerPoolAgent } from '../../agent/worker-pool.js';

/**
 * The agent on worker threads: turns leave the main event loop (it stays free while workers
 * work), one thread's turns stay in order, and a turn over its budget or a crashed worker ends
 * with an error while the pool replaces the worker and goes on answering.
 */
const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-pool-')), 'turns.log');
const pool = createWorkerPoolAgent({ workerUrl: new URL('../fixtures/pool-worker.mjs', import.meta.url), workerData: { delayMs: 2, logFile }, size: 2, turnTimeoutMs: 1500, log: () => {} });
afterAll(async () => {
  await pool.close();
  fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
});

async function collect(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('worker-pool agent', () => {
  it('answers turns from workers and keeps each thread\'s turns in order', async () => {
    await pool.ready();
    const turns = await Promise.all([1, 2, 3, 4].map((i) => pool.invoke({ threadId: 'same', message: `turn ${i}: type 2 diabetes` })));
    expect(turns.every((a) => a.recommendations[0]?.drug.id === 'DB00331')).toBe(true);
    // Both workers answered, and never two turns of the thread at once, in the order they were sent.
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => l.split('\t'));
    expect(lines.map(([what, , msg]) => `${what} ${msg!.slice(0, 6)}`)).toEqual([1, 2, 3, 4].flatMap((i) => [`start turn ${i}`, `end turn ${i}`]));
  });

  it('keeps the main event loop free while a worker is busy', async () => {
    const hang = collect(pool.stream({ threadId: 'busy', message: 'hang' }));
    // The worker spins; timers on the main thread still fire on time.
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    expect(performance.now() - t0).toBeLessThan(1000);
    const evs = await hang;
    expect(evs.at(-1)).toMatchObject({ type: 'error', code: 'turn_timeout' });
  });

  it('replaces a worker that was stopped or crashed, and answers the next turn', async () => {
    const crashed = await collect(pool.stream({ threadId: 'c', message: 'crash' }));
    expect(crashed.at(-1)).toMatchObject({ type: 'error', code: 'worker_failed' });
    // The hung worker of the previous test was terminated and replaced too.
    await new Promise((r) => setTimeout(r, 6000));
    await pool.ready();
    const answers = await Promise.all([1, 2, 3].map((i) => pool.invoke({ threadId: `after-${i}`, message: 'type 2 diabetes' })));
    expect(answers).toHaveLength(3);
  }, 20_000);
});
