import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCheckpointer } from '../../agent/checkpointer.js';
import { makeAgent } from '../../agent/index.js';
import type { ChatAgent } from '../../agent/types.js';
import { checkCliInput } from '../../bin/commands/ask.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import net from 'node:net';
import { createApp } from '../../server/app.js';
import { createLogger, silentLogger } from '../../lib/log.js';
import { createSlackEventStore } from '../../server/slack-store.js';
import { slackThreadId } from '../../server/slack.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';
import { listen } from '../../lib/net.js';
import { startSlackApiStandIn } from '../fixtures/slack-api.js';

/**
 * Issue 19's failures, each as a test: bounded input on every surface, a signed but malformed
 * Slack event, Slack events that survive a restart, conversation storage that grows with the
 * conversation (not its square), threads that belong to their principal, Host/Origin/content
 * type on every route, MCP batches, and the low items (checkpoint path, CLI thread ids).
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-limits-'));
let graph: GraphStore;
let real: ChatAgent;
let closeCp: () => void;

beforeAll(() => {
  const db = openKnowledgeBase(inject('kbPath'));
  graph = createSqliteGraphStore(db);
  const cp = createCheckpointer(path.join(tmp, 'cp.sqlite'));
  closeCp = () => cp.close();
  real = makeAgent({ deps: { graph, safety: openSafetyEngine(db, graph).engine, evidence: createEvidenceStore({ db }) }, checkpointer: cp });
});
afterAll(async () => {
  closeCp();
  await graph.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const opts = { allowedHosts: ['localhost', '127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 2_000_000 };
const post = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('bounded input on every surface', () => {
  const app = createApp({ agent: scriptedAgent(), checkKb: async () => {}, options: opts, log: silentLogger }).app;

  it('the chat API refuses a message over the limit, naming it', async () => {
    const r = await app.request('/v1/chat', post({ message: 'x'.repeat(8001), stream: false }));
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/message: at most 8000 characters/);
  });

  it('the OpenAI-compatible API refuses a resent history over 64,000 characters with 413', async () => {
    const messages = Array.from({ length: 199 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'type 2 diabetes '.repeat(300) }));
    messages.push({ role: 'user', content: 'what now?' });
    const r = await app.request('/v1/chat/completions', post({ model: 'kedrec', messages }));
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ error: { code: 'input_too_large', message: expect.stringMatching(/limit is 64000/) } });
  });

  it('the agent itself refuses a message over the limit, whatever interface sent it', async () => {
    await expect(real.invoke({ threadId: 'too-long', message: 'a'.repeat(9000) })).rejects.toMatchObject({ code: 'message_too_long' });
  });

  it('the CLI refuses an invalid --thread and an over-long question before any work', () => {
    expect(() => checkCliInput('q', 'a b')).toThrowError(/--thread "a b": 1–128 letters/);
    expect(() => checkCliInput('x'.repeat(8001), undefined)).toThrowError(/limit is 8000/);
  });
});

describe('every route guarded alike', () => {
  const app = createApp({
    agent: scriptedAgent(),
    checkKb: async () => {},
    options: { ...opts, corsOrigins: ['https://webui.example'] },
    makeMcpServer: undefined,
    log: silentLogger,
  }).app;

  it('a foreign Host is refused on /v1, the page and /readyz; /healthz stays open', async () => {
    for (const p of ['/v1/models', '/', '/readyz']) expect((await app.request(p, { headers: { host: 'evil.example' } })).status, p).toBe(403);
    expect((await app.request('/healthz', { headers: { host: 'evil.example' } })).status).toBe(200);
  });

  it('only JSON bodies are accepted (a text/plain POST needs no CORS preflight), and origins match exactly', async () => {
    const plain = await app.request('/v1/chat', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ message: 'x' }) });
    expect(plain.status).toBe(415);
    const otherPort = await app.request('/v1/models', { headers: { host: 'localhost:8787', origin: 'http://localhost:3000' } });
    expect(otherPort.status).toBe(403);
    const self = await app.request('/v1/models', { headers: { host: 'localhost:8787', origin: 'http://localhost:8787' } });
    expect(self.status).toBe(200);
    expect((await app.request('/v1/models', { headers: { origin: 'https://webui.example' } })).status).toBe(200);
  });

  it('/mcp refuses a batch over 20 calls, and answers malformed tool-call params with -32602', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'recommend_drugs', arguments: { conditions: ['hypertension'] } } }));
    const big = await app.request('/mcp', post(batch, { accept: 'application/json, text/event-stream' }));
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ error: { code: 'batch_too_large' } });
    const bad = await app.request('/mcp', post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'resolve_entity', arguments: null } }, { accept: 'application/json, text/event-stream' }));
    expect(await bad.json()).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32602, message: expect.stringMatching(/arguments must be an object .* not null/) } });
  });

  it('/mcp answers a CORS preflight for a configured origin', async () => {
    const pre = await app.request('/mcp', { method: 'OPTIONS', headers: { origin: 'https://webui.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,mcp-protocol-version' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://webui.example');
  });
});

describe('a client that hangs up mid-upload', () => {
  it('is logged as the client closing, never as a server error', async () => {
    const lines: string[] = [];
    const { app } = createApp({ agent: scriptedAgent(), checkKb: async () => {}, options: opts, log: createLogger('info', (l) => void lines.push(l)) });
    const server = await listen(app);
    await new Promise<void>((resolve) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write(`POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"message":"type 2 diab`);
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 100);
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    await server.close();
    expect(lines.join('')).not.toMatch(/"status":500|unhandled error/);
  });
});

describe('threads belong to the principal that created them', () => {
  const tokens = [{ name: 'alice', token: 'alice-token-0123456789' }, { name: 'bob', token: 'bob-token-0123456789ab' }];
  let app: ReturnType<typeof createApp>['app'];
  beforeAll(() => {
    app = createApp({ agent: real, checkKb: async () => {}, options: { ...opts, apiTokens: tokens }, log: silentLogger }).app;
  });
  const as = (who: 0 | 1) => ({ authorization: `Bearer ${tokens[who].token}` });

  it('another token cannot read, continue or delete a thread; the owner can', async () => {
    const r = await app.request('/v1/chat', post({ thread_id: 'alice-case', message: 'Type 2 diabetes.', stream: false }, as(0)));
    expect(r.status).toBe(200);
    expect((await app.request('/v1/threads/alice-case', { headers: as(1) })).status).toBe(404);
    const hijack = await app.request('/v1/chat', post({ thread_id: 'alice-case', message: 'She no longer has diabetes and is allergic to metformin.', stream: false }, as(1)));
    expect(hijack.status).toBe(404);
    expect((await app.request('/v1/threads/alice-case', { method: 'DELETE', headers: as(1) })).status).toBe(404);
    const mine = await app.request('/v1/threads/alice-case', { headers: as(0) });
    expect(mine.status).toBe(200);
    expect((await mine.json()).case.conditions).toEqual(['type 2 diabetes mellitus (DOID:9352)']);
  });

  it('Slack conversations get ids no API client can derive from what the channel shows', () => {
    const id = slackThreadId('secret-a', 'T1', 'C1', '1700000000.000100');
    expect(id).toMatch(/^slack-[0-9a-f]{32}$/);
    expect(id).not.toContain('C1');
    expect(slackThreadId('secret-b', 'T1', 'C1', '1700000000.000100')).not.toBe(id);
  });
});

describe('conversation storage grows with the conversation, not its square', () => {
  it('one checkpoint per thread, and under 20 KB per turn after the first turns', async () => {
    const file = path.join(tmp, 'growth.sqlite');
    const cp = createCheckpointer(file);
    const db = openKnowledgeBase(inject('kbPath'));
    const g = createSqliteGraphStore(db);
    const agent = makeAgent({ deps: { graph: g, safety: openSafetyEngine(db, g).engine, evidence: createEvidenceStore({ db }) }, checkpointer: cp });
    const used = () => {
      const d = new Database(file, { readonly: true });
      const n = ((d.pragma('page_count', { simple: true }) as number) - (d.pragma('freelist_count', { simple: true }) as number)) * (d.pragma('page_size', { simple: true }) as number);
      d.close();
      return n;
    };
    const msgs = ['Type 2 diabetes, what should we start?', 'She also takes warfarin.', 'Her eGFR is 40.', 'Why not glipizide?', 'She is 70 years old.'];
    let at5 = 0;
    for (let i = 1; i <= 15; i++) {
      await agent.invoke({ threadId: 'growth', message: msgs[i % msgs.length] });
      if (i === 5) at5 = used();
    }
    const perTurn = (used() - at5) / 10;
    const d = new Database(file, { readonly: true });
    expect(d.prepare("SELECT COUNT(*) FROM checkpoints WHERE thread_id = 'growth'").pluck().get()).toBe(1);
    expect(d.prepare('SELECT turns FROM kedrec_threads WHERE thread_id = ?').pluck().get('growth')).toBe(15);
    d.close();
    expect(perTurn).toBeLessThan(20_000);
    cp.close();
    await g.close();
  });

  it('a thread over the turn cap asks for a new thread; idle threads are pruned', async () => {
    const db = openKnowledgeBase(inject('kbPath'));
    const g = createSqliteGraphStore(db);
    const agent = makeAgent({ deps: { graph: g, safety: openSafetyEngine(db, g).engine }, maxTurnsPerThread: 2 });
    await agent.invoke({ threadId: 'cap', message: 'Hypertension.' });
    await agent.invoke({ threadId: 'cap', message: 'She is 60.' });
    await expect(agent.invoke({ threadId: 'cap', message: 'And asthma.' })).rejects.toMatchObject({ code: 'thread_full' });
    expect(await agent.pruneThreads!(-1)).toBe(1);
    expect(await agent.getThread('cap')).toBeNull();
    await g.close();
  });

  it('an unwritable checkpoint path fails naming the variable and the path', () => {
    // A directory that cannot exist: its parent is a plain file.
    const file = path.join(tmp, 'plain-file');
    fs.writeFileSync(file, 'x');
    const bad = path.join(file, 'cp.sqlite');
    expect(() => createCheckpointer(bad)).toThrowError(new RegExp(`KEDREC_CHECKPOINT_PATH=${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the conversation store cannot be opened`));
  });
});

describe('Slack: validated, durable, answered once', () => {
  const SECRET = 'limits-signing-secret-0123456789';
  const BOT = 'xoxb-limits';
  const signed = (body: string) => {
    const ts = Math.floor(Date.now() / 1000);
    return { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${crypto.createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}` }, body };
  };
  const event = (id: string, text: unknown) =>
    JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      event_id: id,
      event: { type: 'app_mention', text, channel: 'C1', ts: `1700000000.${id.replace(/\D/g, '').padStart(6, '0')}`, user: 'U1' },
    });

  it('a signed event whose text is not a string is refused and the server keeps answering', async () => {
    const api = await startSlackApiStandIn(BOT);
    const http = createApp({
      agent: scriptedAgent(),
      checkKb: async () => {},
      options: opts,
      slack: { signingSecret: SECRET, botToken: BOT, apiUrl: api.url },
      log: silentLogger,
    });
    const r = await http.app.request('/slack/events', signed(event('Ev001', 123)));
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/event\.text/);
    const ok = await http.app.request('/slack/events', signed(event('Ev002', '<@U9> type 2 diabetes')));
    expect(ok.status).toBe(200);
    await http.idle();
    expect((await api.waitFor(1))[0].body.text).toMatch(/Metformin/);
    await api.close();
  });

  it('an event acknowledged before a crash is answered by the next process, and a replay after the restart is not answered again', async () => {
    const file = path.join(tmp, 'slack.sqlite');
    const api = await startSlackApiStandIn(BOT);
    // The first process stored and acknowledged the event, then died before replying.
    const first = createSlackEventStore(file);
    first.insertIfNew('Ev100', { event: { type: 'app_mention', text: '<@U9> hypertension', channel: 'C1', ts: '1700000000.000100' }, teamId: 'T1' });
    first.close();
    const store = createSlackEventStore(file);
    const http = createApp({
      agent: scriptedAgent(),
      checkKb: async () => {},
      options: opts,
      slack: { signingSecret: SECRET, botToken: BOT, apiUrl: api.url, store },
      log: silentLogger,
    });
    await http.idle();
    expect(await api.waitFor(1)).toHaveLength(1);
    // Slack redelivers the same event id after the restart: acknowledged, not answered twice.
    expect((await http.app.request('/slack/events', signed(event('Ev100', '<@U9> hypertension')))).status).toBe(200);
    await http.idle();
    expect(api.posted).toHaveLength(1);
    store.close();
    await api.close();
  });
});
