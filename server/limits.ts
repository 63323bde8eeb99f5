import crypto from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { errorResponse } from './http-errors.js';

/**
 * Bearer-token check in constant time. Both sides are hashed first so timingSafeEqual gets
 * equal-length inputs and the comparison leaks neither content nor length of the token.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** Requires `Authorization: Bearer <token>` when a token is configured; otherwise passes everything. */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!token || c.req.method === 'OPTIONS') return next();
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !tokenMatches(m[1]!.trim(), token)) {
      c.header('WWW-Authenticate', 'Bearer realm="kedrec"');
      return errorResponse(c, 401, 'unauthorized', 'missing or invalid bearer token (Authorization: Bearer <KEDREC_API_TOKEN>)');
    }
    return next();
  };
}

/**
 * The client a request counts against: a hash of its bearer token when it sends one (several
 * users behind one proxy get separate budgets), else its remote address.
 */
export function clientKey(c: Context): string {
  const auth = c.req.header('authorization');
  if (auth) return `t:${crypto.createHash('sha256').update(auth).digest('hex').slice(0, 16)}`;
  try {
    return `a:${getConnInfo(c).remote.address ?? 'unknown'}`;
  } catch {
    // app.request() in tests has no socket.
    return 'a:local';
  }
}

/**
 * Fixed-window rate limit per client, in memory (one process). `perMinute` 0 disables it. Answers
 * 429 with Retry-After; sets RateLimit-* headers so clients can pace themselves.
 */
export function rateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return async (c, next) => {
    if (perMinute <= 0 || c.req.method === 'OPTIONS') return next();
    const t = now();
    const key = clientKey(c);
    let w = windows.get(key);
    if (!w || t - w.start >= 60_000) {
      w = { start: t, count: 0 };
      windows.set(key, w);
      // Keep the map bounded: drop expired windows once it grows.
      if (windows.size > 10_000) for (const [k, v] of windows) if (t - v.start >= 60_000) windows.delete(k);
    }
    w.count += 1;
    const reset = Math.ceil((w.start + 60_000 - t) / 1000);
    c.header('RateLimit-Limit', String(perMinute));
    c.header('RateLimit-Remaining', String(Math.max(0, perMinute - w.count)));
    c.header('RateLimit-Reset', String(reset));
    if (w.count > perMinute) {
      c.header('Retry-After', String(reset));
      return errorResponse(c, 429, 'rate_limited', `more than ${perMinute} requests per minute from this client; retry in ${reset} s`);
    }
    return next();
  };
}
