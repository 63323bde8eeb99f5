import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpStatusError, kedrecUserAgent, OfflineError, RateLimiter } from '../../kb/live/http.js';

type Call = { url: string; headers: Record<string, string> };

/** A scripted fetch: each call takes the next response (or error) from the list. */
function scriptedFetch(script: (Response | Error)[]) {
  const calls: Call[] = [];
  const f = (async (url: string | URL, init?: RequestInit) => {
    calls.push({ url: String(url), headers: init?.headers as Record<string, string> });
    const next = script.shift();
    if (!next) throw new Error('fetch called more often than scripted');
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { f, calls };
}

const netError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-http-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function client(f: typeof fetch, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const sleeps: number[] = [];
  const c = new HttpClient({
    userAgent: kedrecUserAgent('dev@example.org'), fetch: f, sleep: async (ms) => void sleeps.push(ms), retries: 3, backoffMs: 100,
    secretParams: ['api_key'], ...extra,
  });
  return { c, sleeps };
}

describe('shared HTTP client', () => {
  it('sends a real User-Agent and returns the body', async () => {
    const { f, calls } = scriptedFetch([new Response('{"ok":1}', { status: 200, headers: { 'content-type': 'application/json' } })]);
    const { c } = client(f);
    const r = await c.get('https://example.org/x', { service: 'Test' });
    expect(r).toMatchObject({ status: 200, body: '{"ok":1}', fromCache: false });
    expect(calls[0].headers['User-Agent']).toMatch(/^KEDRec\/\S+ \(.*mailto:dev@example\.org\)$/);
  });

  it('retries 429 and 5xx with backoff, honouring Retry-After', async () => {
    const { f, calls } = scriptedFetch([
      new Response('slow down', { status: 429, headers: { 'retry-after': '2' } }),
      new Response('oops', { status: 503 }),
      new Response('fine', { status: 200 }),
    ]);
    const { c, sleeps } = client(f);
    const r = await c.get('https://example.org/x', { service: 'Test' });
    expect(r.body).toBe('fine');
    expect(calls).toHaveLength(3);
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(150); // 100 * 2^1 with ±25 % jitter
    expect(sleeps[1]).toBeLessThanOrEqual(250);
  });

  it('does not retry a 4xx and reports its text body', async () => {
    const { f, calls } = scriptedFetch([new Response('`filter.phase` is unknown parameter', { status: 400 })]);
    const { c } = client(f);
    const err = await c.get('https://example.org/x?api_key=SECRET', { service: 'ClinicalTrials.gov' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).message).toBe('ClinicalTrials.gov answered HTTP 400: `filter.phase` is unknown parameter');
    expect((err as HttpStatusError).url).not.toContain('SECRET');
    expect(calls).toHaveLength(1);
  });

  it('gives up after the retries with the last status', async () => {
    const { f, calls } = scriptedFetch([1, 2, 3, 4].map(() => new Response('down', { status: 502 })));
    const { c } = client(f);
    await expect(c.get('https://example.org/x', { service: 'Test' })).rejects.toThrow(/HTTP 502/);
    expect(calls).toHaveLength(4);
  });

  it('says plainly that it is offline and the offline corpus is used', async () => {
    const { f, calls } = scriptedFetch([netError('ENOTFOUND')]);
    const { c } = client(f);
    const err = await c.get('https://clinicaltrials.gov/api/v2/studies', { service: 'ClinicalTrials.gov' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OfflineError);
    expect((err as Error).message).toBe('ClinicalTrials.gov is unreachable (ENOTFOUND); using the offline corpus instead');
    expect(calls).toHaveLength(1); // DNS failure: no point retrying
    const refused = scriptedFetch([netError('ECONNREFUSED'), netError('ECONNREFUSED'), netError('ECONNREFUSED'), netError('ECONNREFUSED')]);
    await expect(client(refused.f).c.get('https://x.org/', { service: 'X' })).rejects.toThrow(/X is unreachable \(ECONNREFUSED\)/);
    expect(refused.calls).toHaveLength(4);
  });

  it('caches successful responses on disk with a TTL, keyed without secrets', async () => {
    const dir = tmp();
    let now = 1_000_000;
    const { f, calls } = scriptedFetch([new Response('v1', { status: 200 }), new Response('v2', { status: 200 })]);
    const { c } = client(f, { cacheDir: dir, ttlMs: 60_000, now: () => now });
    expect((await c.get('https://e.org/a?q=1&api_key=K1', { service: 'T' })).body).toBe('v1');
    const hit = await c.get('https://e.org/a?q=1&api_key=K2', { service: 'T' });
    expect(hit).toMatchObject({ body: 'v1', fromCache: true });
    const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((p) => p.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, files[0]), 'utf8')).not.toContain('K1');
    now += 61_000;
    expect((await c.get('https://e.org/a?q=1&api_key=K1', { service: 'T' })).body).toBe('v2');
    expect(calls).toHaveLength(2);
  });

  it('does not cache errors', async () => {
    const dir = tmp();
    const { f } = scriptedFetch([new Response('bad', { status: 400 }), new Response('good', { status: 200 })]);
    const { c } = client(f, { cacheDir: dir });
    await expect(c.get('https://e.org/b', { service: 'T' })).rejects.toThrow(HttpStatusError);
    expect((await c.get('https://e.org/b', { service: 'T' })).body).toBe('good');
  });
});

describe('rate limiter', () => {
  it('spaces request starts 1/perSecond apart in arrival order', async () => {
    let now = 0;
    const waits: number[] = [];
    const rl = new RateLimiter(3, () => now, async (ms) => void waits.push(ms));
    await Promise.all([rl.acquire(), rl.acquire(), rl.acquire(), rl.acquire()]);
    expect(waits.map((w) => Math.round(w))).toEqual([333, 667, 1000]);
    now = 5000;
    waits.length = 0;
    await rl.acquire();
    expect(waits).toEqual([]);
    expect(() => new RateLimiter(0)).toThrow(/positive/);
  });
});
