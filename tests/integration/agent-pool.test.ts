import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../agent/types.js';
import { createWorkerPoolAgent } from '../../agent/worker-pool.js';
import { createLogger } from '../../lib/log.js';

/**
 * The agent on worker threads: turns leave the main event loop (it stays free while workers
 * work), one thread's turns stay in order, and a turn over its budget or a crashed worker ends
 * with an error while the pool replaces the worker and goes on answering.
 */
const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-pool-')), 'turns.log');
const pool = createWorkerPoolAgent({
  workerUrl: new URL('../fixtures/pool-worker.mjs', import.meta.url),
  workerData: { delayMs: 2, logFile },
  size: 2,
  turnTimeoutMs: 1500,
  cancelGraceMs: 1000,
});
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
    // The hung worker of the previous test was terminated too; ready() waits for both replacements.
    await pool.ready();
    const answers = await Promise.all([1, 2, 3].map((i) => pool.invoke({ threadId: `after-${i}`, message: 'type 2 diabetes' })));
    expect(answers).toHaveLength(3);
  }, 20_000);
});

const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t') as [string, string, string]);

describe('worker-pool agent when the client leaves or workers die', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-pool-leave-'));
  const leaveLog = path.join(dir, 'turns.log');
  const poolUrl = new URL('../fixtures/pool-worker.mjs', import.meta.url);
  const leaving = createWorkerPoolAgent({ workerUrl: poolUrl, workerData: { delayMs: 2, logFile: leaveLog }, size: 2, turnTimeoutMs: 400, cancelGraceMs: 200 });
  const logged: { msg: string; restartInMs?: number }[] = [];
  const log = createLogger('debug', (l) => void logged.push(JSON.parse(l)));
  const single = createWorkerPoolAgent({
    workerUrl: poolUrl,
    workerData: { delayMs: 0 },
    size: 1,
    turnTimeoutMs: 5000,
    respawnBackoff: { initialMs: 20, maxMs: 50 },
    log,
  });
  afterAll(async () => {
    await Promise.all([leaving.close(), single.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a client that stops reading keeps the thread locked until the worker has ended the turn', async () => {
    await leaving.ready();
    const first = leaving.stream({ threadId: 'leave', message: 'linger' })[Symbol.asyncIterator]();
    expect((await first.next()).value).toMatchObject({ type: 'token' });
    // The thread's next turn is queued while the first still runs; then the client goes away.
    const second = leaving.invoke({ threadId: 'leave', message: 'type 2 diabetes' });
    await first.return!(undefined);
    await second;
    // The second turn started on the idle worker only after the first worker had stopped the first turn.
    expect(lines(leaveLog).filter(([, t]) => t === 'leave').map(([what, , msg]) => `${what} ${msg}`)).toEqual(['start linger', 'stop linger', 'start type 2 diabetes', 'end type 2 diabetes']);
  });

  it('a turn whose client left and that ignores cancellation is still stopped at its budget, before the thread goes on', async () => {
    const first = leaving.stream({ threadId: 'deaf', message: 'deaf' })[Symbol.asyncIterator]();
    expect((await first.next()).value).toMatchObject({ type: 'token' });
    const second = leaving.invoke({ threadId: 'deaf', message: 'type 2 diabetes' });
    await first.return!(undefined);
    expect((await second).recommendations[0]?.drug.id).toBe('DB00331');
    const log = lines(leaveLog).filter(([, t]) => t === 'deaf');
    const started = log.findIndex(([what, , msg]) => what === 'start' && msg === 'type 2 diabetes');
    // The ignoring turn ran for a while, and its worker was terminated before the next turn began: no tick after it.
    expect(log.filter(([what]) => what === 'tick').length).toBeGreaterThan(0);
    expect(started).toBeGreaterThan(0);
    expect(log.slice(started).filter(([what]) => what === 'tick')).toEqual([]);
  });

  it('replaces a crashed worker after a doubling backoff, reset by a completed turn; turns wait for the replacement', async () => {
    await single.ready();
    // One worker: each turn after a crash finds only a dead slot and must wait for its replacement, not fail on it.
    for (let i = 0; i < 4; i++) {
      const evs = await collect(single.stream({ threadId: `crash-${i}`, message: 'crash' }));
      expect(evs.at(-1)).toMatchObject({ type: 'error', code: 'worker_failed' });
    }
    expect((await single.invoke({ threadId: 'after-crashes', message: 'type 2 diabetes' })).recommendations[0]?.drug.id).toBe('DB00331');
    await collect(single.stream({ threadId: 'crash-again', message: 'crash' }));
    await single.ready();
    const delays = logged.filter((l) => /starting a new one/.test(l.msg)).map((l) => l.restartInMs);
    expect(delays).toEqual([20, 40, 50, 50, 20]);
    expect(await single.getThread('after-crashes')).toBeNull();
  });
});
