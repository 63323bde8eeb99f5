import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger, type Logger } from '../../lib/log.js';

/** The service could not be reached at all (DNS, refused, no route, timeout): we are offline. */
export class OfflineError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
  ) {
    super(`${service} is unreachable (${reason}); using the offline corpus instead`);
    this.name = 'OfflineError';
  }
}

/** The service answered with an error status after all retries; body is the start of its text. */
export class HttpStatusError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly url: string,
    readonly body: string,
  ) {
    super(`${service} answered HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/**
 * Spaces request starts at least 1/perSecond apart, per limiter, in arrival order. NCBI allows
 * 3 requests/s without an API key and 10 with one; ClinicalTrials.gov asks for about 1/s.
 */
export class RateLimiter {
  private next = 0;
  private readonly interval: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(perSecond > 0)) throw new Error(`rate limit must be positive, got ${perSecond}`);
    this.interval = 1000 / perSecond;
  }

  /** Resolves when the caller may start its request. */
  async acquire(): Promise<void> {
    const t = this.now();
    const at = Math.max(t, this.next);
    this.next = at + this.interval;
    if (at > t) await this.sleep(at - t);
  }
}

export interface HttpClientOptions {
  /** Sent on every request; services ask for one that names the tool and a contact. */
  userAgent: string;
  /** Directory of the on-disk cache; no caching when absent. */
  cacheDir?: string;
  /** How long a cached response is served (default 24 h). */
  ttlMs?: number;
  /** Per-attempt timeout (default 15 s). */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx and network errors (default 3). */
  retries?: number;
  /** First backoff delay; doubled per retry with jitter (default 500 ms). */
  backoffMs?: number;
  /** Injected for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Query parameters that are secrets: left out of cache keys, cache files and error messages. */
  secretParams?: string[];
  /** Warnings (retries, cache write failures); default: silent. */
  log?: Logger;
}

export interface GetOptions {
  /** Service name for messages ("ClinicalTrials.gov", "NCBI E-utilities"). */
  service: string;
  limiter?: RateLimiter;
  accept?: string;
  /** Override the client's TTL for this request; 0 disables the cache. */
  ttlMs?: number;
}

export interface HttpResponse {
  status: number;
  body: string;
  contentType: string;
  fromCache: boolean;
  url: string;
}

interface CacheEntry {
  url: string;
  storedAt: number;
  status: number;
  contentType: string;
  body: string;
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** The errno-style code of a failed fetch (undici wraps it in `cause`). */
function networkCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown; name?: string } | undefined;
  for (let i = 0; e && i < 4; i++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/**
 * The one HTTP client of the live sources: per-attempt timeout, retries with exponential
 * backoff and jitter on 429/5xx/network errors (honouring Retry-After), a rate limiter per
 * service, a descriptive User-Agent, and an on-disk cache with TTL for successful responses.
 * Unreachable → OfflineError (callers fall back to the offline corpus); an error status →
 * HttpStatusError with the body text, which ClinicalTrials.gov uses to explain bad queries.
 */
export class HttpClient {
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(readonly opts: HttpClientOptions) {
    if (!opts.userAgent.trim()) throw new Error('HttpClient needs a User-Agent naming the tool');
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
  }

  /** The URL with secret parameters removed, for cache keys, cache files and messages. */
  redact(url: string): string {
    const u = new URL(url);
    for (const p of this.opts.secretParams ?? []) u.searchParams.delete(p);
    return u.toString();
  }

  private cacheFile(url: string): string | undefined {
    if (!this.opts.cacheDir) return undefined;
    const key = createHash('sha256').update(this.redact(url)).digest('hex');
    return path.join(this.opts.cacheDir, key.slice(0, 2), `${key}.json`);
  }

  private readCache(url: string, ttl: number): CacheEntry | undefined {
    const file = this.cacheFile(url);
    if (!file || ttl <= 0) return undefined;
    try {
      const e = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
      if (this.now() - e.storedAt <= ttl && typeof e.body === 'string') return e;
    } catch {
      /* missing or unreadable entries are misses */
    }
    return undefined;
  }

  private writeCache(url: string, entry: CacheEntry): void {
    const file = this.cacheFile(url);
    if (!file) return;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename, so a concurrent reader never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(entry));
      fs.renameSync(tmp, file);
    } catch (err) {
      // The URL is left out: its query can hold patient text.
      this.log.warn('http cache write failed', { error: (err as Error).message });
    }
  }

  /** GETs a URL as text; see the class comment for the failure contract. */
  async get(url: string, o: GetOptions): Promise<HttpResponse> {
    const ttl = o.ttlMs ?? this.opts.ttlMs ?? 24 * 3600_000;
    const cached = this.readCache(url, ttl);
    if (cached) return { status: cached.status, body: cached.body, contentType: cached.contentType, fromCache: true, url: cached.url };
    const retries = this.opts.retries ?? 3;
    const backoff = this.opts.backoffMs ?? 500;
    const shown = this.redact(url);
    let lastNetwork: string | undefined;
    let lastStatus: { status: number; body: string } | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      await o.limiter?.acquire();
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          headers: { 'User-Agent': this.opts.userAgent, Accept: o.accept ?? '*/*' },
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
        });
      } catch (err) {
        const code = networkCode(err);
        if (!code) throw err;
        lastNetwork = code;
        lastStatus = undefined;
        // A failed DNS lookup will not heal in a second: no network, so stop retrying.
        if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') break;
        if (attempt < retries) await this.sleep(this.delay(backoff, attempt));
        continue;
      }
      const body = await res.text();
      if (res.ok) {
        const contentType = res.headers.get('content-type') ?? '';
        this.writeCache(url, { url: shown, storedAt: this.now(), status: res.status, contentType, body });
        return { status: res.status, body, contentType, fromCache: false, url: shown };
      }
      lastNetwork = undefined;
      lastStatus = { status: res.status, body };
      if (res.status !== 429 && res.status < 500) break;
      if (attempt < retries) {
        const ra = Number(res.headers.get('retry-after'));
        const wait = Number.isFinite(ra) && ra > 0 ? Math.min(ra * 1000, 30_000) : this.delay(backoff, attempt);
        this.log.warn('http request retried', { service: o.service, status: res.status, retryInMs: wait, attempt: attempt + 1, retries });
        await this.sleep(wait);
      }
    }
    if (lastStatus) throw new HttpStatusError(o.service, lastStatus.status, shown, lastStatus.body.trim());
    throw new OfflineError(o.service, lastNetwork ?? 'no response');
  }

  private delay(base: number, attempt: number): number {
    return Math.round(base * 2 ** attempt * (0.75 + Math.random() * 0.5));
  }
}

/** User-Agent for KEDRec's live calls: tool name, version and, when given, a contact address. */
export function kedrecUserAgent(email?: string): string {
  return `KEDRec/0.1 (explainable drug recommendation; +https://github.com/kedrec${email ? `; mailto:${email}` : ''})`;
}
