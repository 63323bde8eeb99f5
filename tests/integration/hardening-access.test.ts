import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { tokenMatches } from '../../server/limits.js';
import { startServerProcess, type ServerProcess } from '../../lib/server-process.js';

const TOKEN = 'hardening-token-0123456789abcdef';
const SIGNING = 'hardening-slack-signing-secret';
const PATIENT = 'Mrs Zyxwvut, 71, lives alone at 12 Quince Lane, type 2 diabetes';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-access-'));

let s: ServerProcess;
beforeAll(async () => {
  s = await startServerProcess({
    KEDREC_KB_PATH: inject('kbPath'),
    KEDREC_CHECKPOINT_PATH: path.join(tmp, 'cp.sqlite'),
    KEDREC_CACHE_DIR: path.join(tmp, 'cache'),
    KEDREC_LLM_PROVIDER: 'none',
    KEDREC_API_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SIGNING,
    SLACK_BOT_TOKEN: 'xoxb-hardening',
    // Nothing listens here: replies fail, which is logged (without the text).
    SLACK_API_URL: 'http://127.0.0.1:9/api',
    // The default level: what operators get.
    LOG_LEVEL: 'info',
    KEDREC_RATE_LIMIT_PER_MIN: '0',
    // These tests send dozens of wrong tokens on purpose; the per-address throttle has its own test.
    KEDREC_AUTH_FAILURES_PER_MIN: '0',
  });
}, 40_000);
afterAll(async () => {
  await s?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ENDPOINTS: [string, string, unknown?][] = [
  ['GET', '/readyz'],
  ['GET', '/v1/models'],
  ['POST', '/v1/chat', { message: PATIENT }],
  ['POST', '/v1/chat/completions', { model: 'kedrec', messages: [{ role: 'user', content: PATIENT }] }],
  ['GET', '/v1/threads/some-thread'],
  ['DELETE', '/v1/threads/some-thread'],
  ['POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
  ['GET', '/mcp'],
];

function call(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${s.url}${p}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('access control on a real `kedrec start` process with KEDREC_API_TOKEN set', () => {
  it('/healthz is open; every other API endpoint answers 401 without, or with a wrong, token', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    const wrong = [undefined, 'Bearer', `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, 4)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN];
    for (const [m, p, b] of ENDPOINTS) {
      for (const auth of wrong) {
        const r = await call(m, p, b, auth ? { authorization: auth } : {});
        expect(r.status, `${m} ${p} with ${auth ?? 'no header'}`).toBe(401);
        await r.body?.cancel();
      }
    }
  });

  it('accepts the token on every endpoint (case-insensitive scheme)', async () => {
    for (const [m, p, b] of ENDPOINTS) {
      const r = await call(m, p, b === undefined ? undefined : p === '/v1/chat' ? { message: PATIENT, stream: false } : b, { authorization: `bearer ${TOKEN}` });
      expect(r.status, `${m} ${p}`).not.toBe(401);
      await r.text();
    }
  });

  it('compares tokens in constant time: equal-length hashes, no early exit on prefix or length', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    for (const t of ['', TOKEN.slice(0, 1), TOKEN.slice(0, -1), `${TOKEN}0`, TOKEN.toUpperCase()]) expect(tokenMatches(t, TOKEN)).toBe(false);
  });

  it('the MCP endpoint rejects foreign Host and Origin headers even with the right token', async () => {
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    const ok = await call('POST', '/mcp', body, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    await ok.text();
    // fetch forbids setting Host; a raw request does what a rebinding attacker's browser would.
    const http = await import('node:http');
    const raw = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${s.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    expect(await raw({ host: `evil.example:${s.port}` })).toBe(403);
    expect(await raw({ origin: 'http://evil.example' })).toBe(403);
    expect(await raw({ host: `127.0.0.1:${s.port}`, origin: `http://localhost.evil.example:${s.port}` })).toBe(403);
    expect(await raw({ host: `127.0.0.1:${s.port}`, origin: `http://127.0.0.1:${s.port}` })).toBe(200);
  });

  it('Slack requests with a bad or stale signature are rejected', async () => {
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention', text: `<@U1> ${PATIENT}`, channel: 'C1', ts: '1.0', user: 'U2' } });
    const sign = (ts: number, b: string, secret = SIGNING) => `v0=${crypto.createHmac('sha256', secret).update(`v0:${ts}:${b}`).digest('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, string>, string][] = [
      [{ 'x-slack-request-timestamp': String(now), 'x-slack-signature': sign(now, body, 'not-the-secret') }, 'wrong secret'],
      [{ 'x-slack-request-timestamp': String(now), 'x-slack-signature': sign(now, `${body} `) }, 'tampered body'],
      [{ 'x-slack-request-timestamp': String(now - 600), 'x-slack-signature': sign(now - 600, body) }, 'stale (10 min)'],
      [{ 'x-slack-request-timestamp': String(now + 600), 'x-slack-signature': sign(now + 600, body) }, 'future'],
      [{ 'x-slack-request-timestamp': 'abc', 'x-slack-signature': sign(now, body) }, 'bad timestamp'],
      [{}, 'unsigned'],
    ];
    for (const [h, why] of cases) {
      const r = await fetch(`${s.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body });
      expect(r.status, why).toBe(401);
      await r.text();
    }
    // A correctly signed url_verification passes (the endpoint works, it is the signature that failed).
    const uv = JSON.stringify({ type: 'url_verification', challenge: 'c-123' });
    const ok = await fetch(`${s.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(now), 'x-slack-signature': sign(now, uv) }, body: uv });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('c-123');
  });

  it('the server log holds neither the token nor patient free text', async () => {
    // A signed Slack mention whose reply fails (no Slack API here) exercises the error path too.
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev-log', event: { type: 'app_mention', text: `<@U1> ${PATIENT}`, channel: 'C1', ts: '2.0', user: 'U2' } });
    const sig = `v0=${crypto.createHmac('sha256', SIGNING).update(`v0:${now}:${body}`).digest('hex')}`;
    const r = await fetch(`${s.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(now), 'x-slack-signature': sig }, body });
    await r.text();
    await new Promise((res) => setTimeout(res, 1500));
    const log = s.stderr();
    expect(log).toContain('"path":"/v1/chat"');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(TOKEN.slice(0, 12));
    expect(log).not.toContain('Zyxwvut');
    expect(log).not.toContain('Quince Lane');
  }, 15_000);
});
