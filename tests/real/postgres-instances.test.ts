import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { postgresConversationStore } from '../../agent/conversation-store.js';
import { silentLogger } from '../../lib/log.js';
import { postgresSharedState } from '../../server/shared-state.js';
import { parseSse } from '../fixtures/sse.js';
import { startServerProcess, type ServerProcess } from '../../lib/server-process.js';

/**
 * Two app instances behind one (imagined) load balancer, sharing a real Postgres
 * (KEDREC_CHECKPOINT_URL): a conversation moves between them turn by turn, and the rate limit
 * counts a client once across both. Real processes (`kedrec start`), real server; skipped, saying
 * why, without KEDREC_TEST_POSTGRES_URL (scripts/postgres/start_postgres.sh starts one; .ci/run does).
 */
const URL_ = process.env.KEDREC_TEST_POSTGRES_URL;
if (!URL_) process.stderr.write('[postgres-instances] SKIPPED: KEDREC_TEST_POSTGRES_URL is not set (scripts/postgres/start_postgres.sh starts one)\n');

describe.skipIf(!URL_)('two app instances on one Postgres', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-pg2-'));
  const run = Math.random().toString(36).slice(2, 8);
  // A named token per run: the shared rate-limit key is the token's name, so runs do not count against each other.
  const token = `tok-${run}-0123456789abcdef`;
  const auth = { authorization: `Bearer ${token}` };
  let a: ServerProcess;
  let b: ServerProcess;
  let db: pg.Pool;

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: URL_, max: 2 });
    const env = (n: string) => ({
      KEDREC_KB_PATH: inject('kbPath'),
      KEDREC_CHECKPOINT_URL: URL_!,
      KEDREC_CHECKPOINT_PATH: path.join(tmp, `unused-${n}.sqlite`),
      KEDREC_CACHE_DIR: path.join(tmp, `cache-${n}`),
      KEDREC_LLM_PROVIDER: 'none',
      KEDREC_WORKERS: '1',
      KEDREC_API_TOKENS: `client-${run}:${token}`,
      KEDREC_RATE_LIMIT_PER_MIN: '8',
    });
    [a, b] = await Promise.all([startServerProcess(env('a'), { timeoutMs: 60_000 }), startServerProcess(env('b'), { timeoutMs: 60_000 })]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const turn = async (url: string, threadId: string, message: string) => {
    const r = await fetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ thread_id: threadId, message }),
      signal: AbortSignal.timeout(30_000),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    const final = parseSse(await r.text()).find((e) => e.event === 'final');
    expect(final).toBeDefined();
    return JSON.parse(final!.data) as { answer: { recommendations: { drug: { name: string } }[]; excluded: { drug: { name: string } }[] } };
  };
  const thread = async (url: string, id: string) => {
    const r = await fetch(`${url}/v1/threads/${id}`, { headers: auth });
    expect(r.status).toBe(200);
    return (await r.json()) as { messages: { role: string; content: string }[]; case: { conditions: string[]; currentMedications: string[] } };
  };

  it('turn 1 on A, turn 2 on B: the history and the case are complete on both, and the thread is compacted', async () => {
    const id = `pg-${run}-1`;
    await turn(a.url, id, 'A 67-year-old with type 2 diabetes.');
    // Turn 2 on the other instance reads the case turn 1 recorded: warfarin now screens the answer.
    const second = await turn(b.url, id, 'She also takes warfarin.');
    expect(second.answer.excluded.length).toBeGreaterThan(0);
    for (const url of [a.url, b.url]) {
      const t = await thread(url, id);
      expect(t.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['A 67-year-old with type 2 diabetes.', 'She also takes warfarin.']);
      expect(t.messages.filter((m) => m.role === 'assistant').length).toBe(2);
      expect(t.case.conditions.join(' ').toLowerCase()).toMatch(/type 2 diabetes/);
      expect(t.case.currentMedications.join(' ').toLowerCase()).toContain('warfarin');
    }
    // One checkpoint per thread after each turn (compaction on Postgres), and its owner recorded once.
    const { rows } = await db.query('SELECT count(*)::int AS n FROM checkpoints WHERE thread_id = $1', [id]);
    expect(rows[0].n).toBe(1);
    const owner = await db.query('SELECT owner, turns FROM kedrec_threads WHERE thread_id = $1', [id]);
    expect(owner.rows).toEqual([{ owner: `token:client-${run}`, turns: 2 }]);
  }, 90_000);

  it('a thread deleted on B is gone on A', async () => {
    const id = `pg-${run}-2`;
    await turn(a.url, id, 'Hypertension.');
    const del = await fetch(`${b.url}/v1/threads/${id}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    expect((await fetch(`${a.url}/v1/threads/${id}`, { headers: auth })).status).toBe(404);
  }, 60_000);

  it('the rate limit counts a client once across both instances', async () => {
    // Earlier tests in this file used some of the minute's 8 requests: read what is left, then spend it across A and B.
    const probe = await fetch(`${a.url}/v1/threads/none-${run}`, { headers: auth });
    let left = Number(probe.headers.get('ratelimit-remaining'));
    expect(left).toBeLessThan(8);
    const statuses: number[] = [];
    for (let i = 0; left >= 0 && i < 20; i++, left--) statuses.push((await fetch(`${(i % 2 ? a : b).url}/v1/threads/none-${run}`, { headers: auth })).status);
    // Per instance each would allow 8; together the ninth request of the minute is refused, whichever instance gets it.
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 404)).toBe(true);
  }, 30_000);

  it('an unreachable Postgres stops start-up with one line naming the URL, its password hidden', async () => {
    const { stderr } = await promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'start'], {
      env: { ...process.env, KEDREC_KB_PATH: inject('kbPath'), KEDREC_CHECKPOINT_URL: 'postgres://kedrec:s3cret@127.0.0.1:1/kedrec', KEDREC_LLM_PROVIDER: 'none', KEDREC_WORKERS: '0', PORT: '1', LOG_LEVEL: 'warn' },
      timeout: 30_000,
    }).then(() => ({ stderr: 'started' }), (e: { stderr: string }) => e);
    expect(stderr).toMatch(/KEDREC_CHECKPOINT_URL=postgres:\/\/kedrec:\*\*\*@127\.0\.0\.1:1\/kedrec: the conversation store cannot be used/);
    expect(stderr).not.toContain('s3cret');
  }, 40_000);

  it('the store compacts a thread to its last checkpoint and its blobs', async () => {
    const store = await postgresConversationStore(URL_!);
    try {
      await store.ready();
      const { rows } = await db.query('SELECT count(*)::int AS n FROM checkpoint_blobs WHERE thread_id = $1', [`pg-${run}-1`]);
      const before = rows[0].n as number;
      await store.compact(`pg-${run}-1`);
      const after = (await db.query('SELECT count(*)::int AS n FROM checkpoint_blobs WHERE thread_id = $1', [`pg-${run}-1`])).rows[0].n as number;
      expect(after).toBeLessThanOrEqual(before);
      expect(after).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('a Slack event id is taken once across instances; with the database gone, each process counts alone', async () => {
    const [x, y] = await Promise.all([postgresSharedState(URL_!, silentLogger), postgresSharedState(URL_!, silentLogger)]);
    try {
      expect(await x.firstSighting(`slack:Ev-${run}`)).toBe(true);
      // The retry Slack sends to the other instance.
      expect(await y.firstSighting(`slack:Ev-${run}`)).toBe(false);
      expect((await x.rate.hit(`k-${run}`, 2)).count).toBe(2);
      expect((await y.rate.hit(`k-${run}`, 1)).count).toBe(3);
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
    // A closed pool stands for an unreachable database: the limiter keeps working on its own count.
    expect(await x.rate.hit(`k-${run}`, 1)).toMatchObject({ count: 1 });
    expect(await x.firstSighting(`slack:Ev2-${run}`)).toBe(true);
    expect(await x.firstSighting(`slack:Ev2-${run}`)).toBe(false);
  });

  it('instances starting together on a fresh database set its schema up once, without racing', async (ctx) => {
    // A database of its own, so the tables do not exist yet (needs CREATEDB, which start_postgres.sh grants).
    const name = `kedrec_fresh_${run}`;
    try {
      await db.query(`CREATE DATABASE ${name}`);
    } catch (err) {
      ctx.skip(`cannot create a database here (${(err as Error).message}); the race needs a fresh one`);
    }
    const fresh = new URL(URL_ ?? '');
    fresh.pathname = `/${name}`;
    const url = fresh.toString();
    const stores = await Promise.all([1, 2, 3, 4].map(() => postgresConversationStore(url)));
    const settled = await Promise.allSettled([
      ...stores.map((s) => s.ready().then(() => null)),
      postgresSharedState(url, silentLogger),
      postgresSharedState(url, silentLogger),
    ]);
    try {
      // Before the advisory lock, some of these failed on "type \"checkpoint_writes\" already exists".
      expect(settled.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      expect(await stores[0].threadIds()).toEqual([]);
    } finally {
      await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value?.close() : undefined)));
      await Promise.all(stores.map((s) => s.close()));
      await db.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
  });
});
