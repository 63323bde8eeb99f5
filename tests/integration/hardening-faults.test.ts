import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAgentFromConfig } from '../../agent/index.js';
import type { ChatEvent } from '../../agent/types.js';

import { loadConfig } from '../../config.js';
import { ChromaDenseIndex } from '../../kb/corpus/chroma.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { CtgovClient } from '../../kb/live/ctgov.js';
import { EutilsClient } from '../../kb/live/eutils.js';
import { HttpClient } from '../../kb/live/http.js';
import { openTestDeps } from '../fixtures/serve-deps.js';
import { freePort } from '../../lib/net.js';
import { API_FIXTURES_DIR } from '../fixtures/api-fixtures.js';

const fixturesDir = API_FIXTURES_DIR;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-faults-'));
const repoRoot = path.resolve(import.meta.dirname, '../..');

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

/** A local HTTP stand-in whose behaviour the test sets per case; it records every request. */
async function standIn(): Promise<{ url: string; hits: { path: string; at: number }[]; set: (h: Handler) => void; close: () => Promise<void> }> {
  let handler: Handler = (_q, _b, res) => res.end();
  const hits: { path: string; at: number }[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', at: performance.now() });
      handler(req, body, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    set: (h) => (handler = h),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let deps: ReturnType<typeof openTestDeps>;
let stand: Awaited<ReturnType<typeof standIn>>;
beforeAll(async () => {
  deps = openTestDeps(inject('kbPath'));
  stand = await standIn();
});
afterAll(async () => {
  await stand?.close();
  await deps?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const TAGS = fs.readFileSync(path.join(fixturesDir, 'ollama__tags__foobara.json'), 'utf8');
const TOOL_REPLY = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'ollama__chat-tools-nonstream__ollama-docs.json'), 'utf8')) as Record<string, unknown> & { message: Record<string, unknown> };

function agentAgainst(baseUrl: string, mode: 'tool-calling' | 'retrieve-then-generate', n: number) {
  const config = loadConfig({
    KEDREC_LLM_PROVIDER: 'ollama',
    OLLAMA_BASE_URL: baseUrl,
    KEDREC_MODEL: 'llama3.1:8b', // listed in the recorded /api/tags answer
    KEDREC_AGENT_MODE: mode,
    KEDREC_MODEL_TIMEOUT_MS: '1000',
    KEDREC_MAX_TOOL_ROUNDS: '2',
    KEDREC_CHECKPOINT_PATH: path.join(tmp, `cp-${n}.sqlite`),
    KEDREC_KB_PATH: inject('kbPath'),
  });
  return createAgentFromConfig(config, deps.toolDeps);
}

async function expectEvidenceOnlyWithNotice(agent: Awaited<ReturnType<typeof agentAgainst>>, boundMs: number, noticeRe: RegExp) {
  const t0 = performance.now();
  const evs = await collect(agent.stream({ threadId: 'fault', message: 'Type 2 diabetes, on warfarin. What should we start?' }));
  const ms = performance.now() - t0;
  expect(ms, 'the turn must not hang').toBeLessThan(boundMs);
  const final = evs.find((e) => e.type === 'final');
  expect(final, JSON.stringify(evs.filter((e) => e.type === 'error'))).toBeDefined();
  if (final?.type !== 'final') return;
  expect(final.answer.mode).toBe('evidence-only');
  expect(final.answer.recommendations.length).toBeGreaterThan(0);
  const notices = evs.filter((e) => e.type === 'notice').map((e) => (e as { message: string }).message);
  expect(notices.join(' | ')).toMatch(noticeRe);
  expect(final.answer.notices.join(' | ')).toMatch(noticeRe);
}

describe('model endpoint faults → evidence-only answer with a notice, no hang', () => {
  it('model server down (connection refused)', async () => {
    const agent = await agentAgainst(`http://127.0.0.1:${await freePort()}`, 'retrieve-then-generate', 1);
    try {
      await expectEvidenceOnlyWithNotice(agent, 8000, /not reachable|unreachable/);
    } finally {
      await agent.close();
    }
  });

  it('model server slow: /api/chat past the model timeout', async () => {
    stand.set((req, _b, res) => {
      if (req.url === '/api/tags') return res.writeHead(200, { 'content-type': 'application/json' }).end(TAGS);
      // Never answers: holds the request until the client gives up.
      req.socket.setTimeout(10_000, () => res.destroy());
    });
    const agent = await agentAgainst(stand.url, 'retrieve-then-generate', 2);
    try {
      await expectEvidenceOnlyWithNotice(agent, 8000, /timed out|failed|aborted/i);
    } finally {
      await agent.close();
    }
  });

  it('model returns malformed tool calls (unknown tool, non-object and garbage arguments)', async () => {
    const variants = [
      { ...TOOL_REPLY.message, tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Tokyo' } } }] },
      { ...TOOL_REPLY.message, tool_calls: [{ function: { name: 'find_drugs_for_condition', arguments: '{"condition": "diab' } }] },
      { ...TOOL_REPLY.message, tool_calls: [{ function: { name: 'find_drugs_for_condition', arguments: { conditon: 42, limit: 'many' } } }] },
      { ...TOOL_REPLY.message, tool_calls: 'not a list' },
    ];
    for (const [i, message] of variants.entries()) {
      stand.set((req, _b, res) => {
        if (req.url === '/api/tags') return res.writeHead(200, { 'content-type': 'application/json' }).end(TAGS);
        res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(`${JSON.stringify({ ...TOOL_REPLY, model: 'llama3.1:8b', message })}\n`);
      });
      const agent = await agentAgainst(stand.url, 'tool-calling', 10 + i);
      try {
        await expectEvidenceOnlyWithNotice(agent, 10_000, /evidence-only recommender|not reachable|failed/);
      } finally {
        await agent.close();
      }
    }
  }, 45_000);
});

describe('live evidence faults → backoff, then the offline corpus', () => {
  it('ClinicalTrials.gov answering 429 then 5xx: retried with growing delays, then offline results with a notice', async () => {
    stand.hits.length = 0;
    stand.set((_q, _b, res) => {
      const n = stand.hits.length;
      res.writeHead(n === 1 ? 429 : 503, { 'content-type': 'text/plain' }).end(n === 1 ? 'Too Many Requests' : 'Service Unavailable');
    });
    const httpc = new HttpClient({ userAgent: 'kedrec-test', retries: 3, backoffMs: 40 });
    const ctgov = new CtgovClient({ http: httpc, baseUrl: `${stand.url}/api/v2`, perSecond: 1000 });
    const store = createEvidenceStore({ db: deps.db, live: { ctgov } });
    const r = await store.searchTrials({ text: 'diabetes', limit: 3, source: 'auto' });
    expect(stand.hits.length).toBe(4);
    const gaps = stand.hits.slice(1).map((h, i) => h.at - stand.hits[i]!.at);
    // Exponential backoff with ±25 % jitter: 40, 80, 160 ms nominal.
    expect(gaps[0]!).toBeGreaterThanOrEqual(25);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    expect(r.origin).toBe('offline');
    expect(r.items.length).toBeGreaterThan(0);
    expect(r.notices.join(' ')).toMatch(/HTTP 503.*offline corpus/);
  });

  it('NCBI E-utilities answering 429 with the recorded rate-limit body: offline articles with a notice', async () => {
    const body429 = fs.readFileSync(path.join(fixturesDir, 'ncbi__error-429-rate-limit-esummary__biomcp.json'), 'utf8');
    stand.hits.length = 0;
    stand.set((_q, _b, res) => res.writeHead(429, { 'content-type': 'application/json' }).end(body429));
    const httpc = new HttpClient({ userAgent: 'kedrec-test', retries: 2, backoffMs: 30 });
    const eutils = new EutilsClient({ http: httpc, identity: { tool: 'kedrec' }, baseUrl: `${stand.url}/entrez/eutils` });
    const store = createEvidenceStore({ db: deps.db, live: { eutils } });
    const r = await store.searchArticles({ text: 'metformin', limit: 3, source: 'auto' });
    expect(stand.hits.length).toBe(3);
    expect(r.origin).toBe('offline');
    expect(r.items.length).toBeGreaterThan(0);
    expect(r.notices.join(' ')).toMatch(/429.*offline corpus/);
  });

  it('a service that is down entirely (connection refused) → offline at once, saying so', async () => {
    const httpc = new HttpClient({ userAgent: 'kedrec-test', retries: 1, backoffMs: 10 });
    const ctgov = new CtgovClient({ http: httpc, baseUrl: `http://127.0.0.1:${await freePort()}/api/v2`, perSecond: 1000 });
    const store = createEvidenceStore({ db: deps.db, live: { ctgov } });
    const r = await store.searchTrials({ text: 'asthma', limit: 3, source: 'auto' });
    expect(r.origin).toBe('offline');
    expect(r.notices.join(' ')).toMatch(/unreachable.*offline corpus/);
  });
});

describe('Chroma down → BM25 only', () => {
  it('answers hybrid searches from BM25 with a notice when Chroma refuses connections', async () => {
    const embedder = { name: 'stub-embedder', embed: async (texts: string[]) => texts.map(() => [1, 0, 0]) };
    const url = `http://127.0.0.1:${await freePort()}`;
    const store = createEvidenceStore({
      db: deps.db,
      dense: { trials: new ChromaDenseIndex({ url, collection: 'kedrec-trials-stub', embedder }), articles: new ChromaDenseIndex({ url, collection: 'kedrec-articles-stub', embedder }) },
    });
    const t0 = performance.now();
    const a = await store.searchArticles({ text: 'metformin', limit: 3 });
    const t = await store.searchTrials({ text: 'diabetes', limit: 3 });
    expect(performance.now() - t0).toBeLessThan(10_000);
    for (const r of [a, t]) {
      expect(r.retrieval).toBe('bm25');
      expect(r.items.length).toBeGreaterThan(0);
      expect(r.notices.join(' ')).toMatch(/BM25 only/);
    }
  });
});

describe('a corrupt or missing KB → a clear start-up error naming `kedrec kb build`', () => {
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin/kedrec.mjs'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', KEDREC_LLM_PROVIDER: 'none', KEDREC_CHECKPOINT_PATH: path.join(tmp, 'cp-kb.sqlite'), ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('kedrec start refuses a corrupt (truncated) KB file and a non-SQLite file', async () => {
    const truncated = path.join(tmp, 'truncated.sqlite');
    const fd = fs.openSync(inject('kbPath'), 'r');
    const buf = Buffer.alloc(64 * 1024);
    fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(truncated, buf);
    const garbage = path.join(tmp, 'garbage.sqlite');
    fs.writeFileSync(garbage, 'this is not a database\n'.repeat(100));
    for (const kb of [truncated, garbage]) {
      const r = run(['start'], { KEDREC_KB_PATH: kb, PORT: String(await freePort()) });
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('kedrec kb build');
      expect(r.stderr).toContain(kb);
    }
  }, 45_000);

  it('kedrec mcp (which never builds) refuses a missing KB file', () => {
    const missing = path.join(tmp, 'nope', 'kb.sqlite');
    const r = run(['mcp'], { KEDREC_KB_PATH: missing });
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/does not exist.*kedrec kb build/);
  }, 25_000);
});
