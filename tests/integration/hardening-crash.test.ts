import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, inject, it } from 'vitest';

import { openKnowledgeBase } from '../../kb/open.js';
import { startServerProcess, type ServerProcess } from '../../lib/server-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-crash-'));
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * Sends one streaming turn; resolves true once the `final` event has arrived, false when the
 * stream ends (or the connection dies) without one. `onFinal` fires as soon as it is seen.
 */
async function turn(url: string, threadId: string, message: string, onFinal?: () => void): Promise<boolean> {
  let final = false;
  try {
    const r = await fetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ thread_id: threadId, message }),
      signal: AbortSignal.timeout(20_000),
    });
    if (!r.ok || !r.body) return false;
    let buf = '';
    const dec = new TextDecoder();
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      if (!final && buf.includes('event: final')) {
        // Complete from the client's point of view: the structured answer has arrived.
        final = true;
        onFinal?.();
      }
    }
  } catch {
    // The connection died (the server was killed): complete only if `final` had arrived.
  }
  return final;
}

/** The conversation stores the test runs on: the SQLite file always, Postgres when one is given (.ci/run starts one). */
const POSTGRES = process.env.KEDREC_TEST_POSTGRES_URL;
if (!POSTGRES) process.stderr.write('[hardening-crash] Postgres variant SKIPPED: KEDREC_TEST_POSTGRES_URL is not set (scripts/postgres/start_postgres.sh starts one)\n');
const stores = [{ name: 'SQLite', postgres: false }, ...(POSTGRES ? [{ name: 'Postgres', postgres: true }] : [])];

describe.each(stores)('crash safety on $name: SIGKILL in the middle of streaming turns', ({ name, postgres }) => {
  it('keeps every completed turn of every thread across a kill and restart, and the KB opens cleanly', async () => {
    const env = {
      KEDREC_KB_PATH: inject('kbPath'),
      KEDREC_CHECKPOINT_PATH: path.join(tmp, `checkpoints-${name}.sqlite`),
      ...(postgres ? { KEDREC_CHECKPOINT_URL: POSTGRES } : {}),
      KEDREC_CACHE_DIR: path.join(tmp, 'cache'),
      KEDREC_LLM_PROVIDER: 'none',
      KEDREC_RATE_LIMIT_PER_MIN: '0',
    };
    const a = await startServerProcess(env);
    servers.push(a);
    // A shared database outlives the run: thread ids of this run only.
    const run = Math.random().toString(36).slice(2, 8);
    const threads = Array.from({ length: 12 }, (_, i) => `crash-${run}-${i}`);
    const completed = new Map<string, string[]>(threads.map((t) => [t, []]));

    // Wave 1: one completed turn per thread.
    await Promise.all(
      threads.map(async (t) => {
        const m = `turn 1 of ${t}: type 2 diabetes`;
        if (await turn(a.url, t, m)) completed.get(t)!.push(m);
      }),
    );
    expect([...completed.values()].every((x) => x.length === 1)).toBe(true);

    // Wave 2: all threads at once; kill -9 as soon as the first of them completes, the others mid-turn.
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        a.child.kill('SIGKILL');
      }
    };
    await Promise.all(
      threads.map(async (t) => {
        const m = `turn 2 of ${t}: now also on warfarin`;
        if (await turn(a.url, t, m, kill)) completed.get(t)!.push(m);
      }),
    );
    kill();
    await new Promise<void>((r) => (a.child.exitCode !== null || a.child.signalCode !== null ? r() : a.child.once('exit', () => r())));
    expect(a.child.signalCode).toBe('SIGKILL');
    const secondDone = [...completed.values()].filter((x) => x.length === 2).length;
    expect(secondDone, 'the kill must land while turns are still streaming').toBeLessThan(threads.length);

    // The checkpoint file survives the kill intact (Postgres: the server's own recovery, nothing to check here).
    if (!postgres) {
      const cp = new Database(env.KEDREC_CHECKPOINT_PATH, { readonly: true });
      expect(cp.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
      cp.close();
    }

    const b = await startServerProcess(env);
    servers.push(b);
    const ready = await fetch(`${b.url}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect(((await ready.json()) as { checks: { kb: { ok: boolean } } }).checks.kb.ok).toBe(true);

    for (const t of threads) {
      const r = await fetch(`${b.url}/v1/threads/${t}`);
      expect(r.status, t).toBe(200);
      const snap = (await r.json()) as { messages: { role: string; content: string }[] };
      const users = snap.messages.filter((m) => m.role === 'user').map((m) => m.content);
      const done = completed.get(t)!;
      // Every completed turn, in order; an interrupted one may or may not have been recorded.
      expect(users.slice(0, done.length), t).toEqual(done);
      expect(users.length, t).toBeLessThanOrEqual(2);
      // Each completed turn has its answer right after it.
      const idx = snap.messages.findIndex((m) => m.role === 'user' && m.content === done[0]);
      expect(snap.messages.slice(idx + 1).some((m) => m.role === 'assistant'), t).toBe(true);
    }

    // The restarted server continues an interrupted thread normally.
    const t0 = threads.find((t) => completed.get(t)!.length === 1)!;
    expect(await turn(b.url, t0, `turn 3 of ${t0}: any interactions?`)).toBe(true);
    await b.stop();
    // The KB was opened read-only throughout and still opens cleanly.
    openKnowledgeBase(inject('kbPath')).close();
  }, 60_000);
});
