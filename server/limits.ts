import crypto from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { RateCounter } from './shared-state.js';
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { errorResponse } from './http-errors.js';
import { hostnameOf } from '../lib/net.js';

/**
 * Access control for the HTTP API: who is asking (a named API token, or "anonymous" when the
 * server runs without tokens), where from (the client address, through trusted proxies only),
 * and how often (per principal after authentication; failed attempts per address). Host, Origin
 * and content-type checks keep web pages on other sites from driving the API.
 */

/** An API token with the name requests made with it are attributed to (and threads owned by). */
export interface ApiToken {
  name: string;
  token: string;
}

/**
 * Bearer-token check in constant time. Both sides are hashed first so timingSafeEqual gets
 * equal-length inputs and the comparison leaks neither content nor length of the token.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * The address a request comes from. Behind a reverse proxy every request arrives from the proxy;
 * `X-Forwarded-For` is believed only when the direct peer is a configured trusted proxy, and then
 * the right-most address not itself a trusted proxy is the client (a client can prepend anything).
 */
function clientAddress(c: Context, trustedProxies: string[] = []): string {
  let peer: string;
  try {
    peer = getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket.
    peer = 'local';
  }
  const norm = (a: string) => a.replace(/^::ffff:/, '');
  if (!trustedProxies.length || !trustedProxies.includes(norm(peer))) return norm(peer);
  const chain = (c.req.header('x-forwarded-for') ?? '').split(',').map((x) => norm(x.trim())).filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) if (!trustedProxies.includes(chain[i])) return chain[i];
  return norm(peer);
}

/** A fixed one-minute window counter per key, bounded in memory: this process's count (also the shared limit's fallback). */
export function windowCounter(now: () => number) {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    /** Counts one event for `key`; returns the window's count and seconds to reset. */
    hit(key: string, n = 1): { count: number; reset: number } {
      const t = now();
      let w = windows.get(key);
      if (!w || t - w.start >= 60_000) {
        w = { start: t, count: 0 };
        windows.set(key, w);
        if (windows.size > 10_000) for (const [k, v] of windows) if (t - v.start >= 60_000) windows.delete(k);
      }
      w.count += n;
      return { count: w.count, reset: Math.ceil((w.start + 60_000 - t) / 1000) };
    },
    peek(key: string): number {
      const w = windows.get(key);
      return w && now() - w.start < 60_000 ? w.count : 0;
    },
  };
}

export interface AuthOptions {
  /** Accepted tokens; none: the API is open and every caller is "anonymous". */
  tokens: ApiToken[];
  trustedProxies?: string[];
  /** Failed attempts per address per minute before 429 (default 20; 0: no limit). */
  maxAuthFailuresPerMin?: number;
  now?: () => number;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Who is asking: `token:<name>`, or `anonymous` on a server without tokens (set by apiAuth). */
    principal: string;
    /** How many requests this one counts as against the rate limit (an MCP batch: its calls); 1 when unset. */
    requestCost?: number;
  }
}

/**
 * Requires `Authorization: Bearer <token>` (Hono's bearerAuth) when tokens are configured and
 * records the caller's principal (`token:<name>`, else `anonymous`) on the context. Failed
 * attempts are counted per address, and an address over the limit gets 429 before its token is
 * even compared: guessing runs at a few attempts a minute, not a thousand a second. Every failure
 * (no header, a malformed one, a wrong token) is the same 401 with the API's error body.
 */
export function apiAuth(opts: AuthOptions): MiddlewareHandler {
  const failures = windowCounter(opts.now ?? Date.now);
  const maxFailures = opts.maxAuthFailuresPerMin ?? 20;
  const refuse = (c: Context) => {
    failures.hit(clientAddress(c, opts.trustedProxies));
    return errorResponse(c, 401, 'unauthorized', 'missing or invalid bearer token (Authorization: Bearer <token from KEDREC_API_TOKEN or KEDREC_API_TOKENS>)');
  };
  const check = bearerAuth({
    realm: 'kedrec',
    verifyToken: (presented, c) => {
      // Every configured token is compared, so timing does not tell which one (or whether any) came close.
      let who: ApiToken | undefined;
      for (const t of opts.tokens) if (tokenMatches(presented, t.token) && !who) who = t;
      if (who) c.set('principal', `token:${who.name}`);
      return who !== undefined;
    },
    noAuthenticationHeader: { message: refuse },
    invalidAuthenticationHeader: { message: refuse, wwwAuthenticateHeader: { realm: 'kedrec', error: 'invalid_request' } },
    invalidToken: { message: refuse, wwwAuthenticateHeader: { realm: 'kedrec', error: 'invalid_token' } },
  });
  return async (c, next) => {
    if (!opts.tokens.length) {
      c.set('principal', 'anonymous');
      return next();
    }
    if (c.req.method === 'OPTIONS') return next();
    const addr = clientAddress(c, opts.trustedProxies);
    if (maxFailures > 0 && failures.peek(addr) >= maxFailures) {
      c.header('Retry-After', '60');
      return errorResponse(c, 429, 'too_many_auth_failures', `more than ${maxFailures} failed authentications from this address in a minute; retry later`);
    }
    return check(c, next);
  };
}

/** The principal the auth middleware recorded ("anonymous" before or without it). */
export const principalOf = (c: Context): string => c.get('principal') ?? 'anonymous';

/**
 * Fixed-window rate limit per client, after authentication: keyed by the token's name when there
 * is one (rotating made-up Authorization headers buys nothing: they fail auth first), else by the
 * client address. `perMinute` 0 disables it. `cost` lets a request count as several (an MCP batch).
 */
export function rateLimit(perMinute: number, opts: { trustedProxies?: string[]; now?: () => number; shared?: RateCounter } = {}): MiddlewareHandler {
  const local = windowCounter(opts.now ?? Date.now);
  // Shared across instances when the deployment has a shared store (server/shared-state.ts).
  const counter: RateCounter = opts.shared ?? { hit: async (key, n) => local.hit(key, n) };
  return async (c, next) => {
    if (perMinute <= 0 || c.req.method === 'OPTIONS') return next();
    const principal = principalOf(c);
    const key = principal === 'anonymous' ? `a:${clientAddress(c, opts.trustedProxies)}` : principal;
    const cost = Math.max(1, c.get('requestCost') ?? 1);
    const { count, reset } = await counter.hit(key, cost);
    c.header('RateLimit-Limit', String(perMinute));
    c.header('RateLimit-Remaining', String(Math.max(0, perMinute - count)));
    c.header('RateLimit-Reset', String(reset));
    if (count > perMinute) {
      c.header('Retry-After', String(reset));
      return errorResponse(c, 429, 'rate_limited', `more than ${perMinute} requests per minute from this client; retry in ${reset} s`);
    }
    return next();
  };
}

/** Host name of a Host header value, port removed; undefined when it does not parse. */
/** The Host a request names (the header, or the URL's host for in-process requests). */
const hostOf = (c: Context) => c.req.header('host') ?? new URL(c.req.url).host;

/**
 * DNS-rebinding protection on every route: a page on an attacker's domain that rebinds its name to
 * 127.0.0.1 still sends its own Host, which is not in the allowed list.
 */
export function hostGuard(allowedHosts: string[]): MiddlewareHandler {
  return async (c, next) => {
    const host = hostOf(c);
    const name = hostnameOf(host);
    if (!name || !allowedHosts.includes(name)) {
      return errorResponse(c, 403, 'host_not_allowed', `Host ${JSON.stringify(host)} is not allowed; add its name to KEDREC_ALLOWED_HOSTS`);
    }
    return next();
  };
}

/**
 * A browser Origin must be this server itself (scheme, host and port exactly) or listed in
 * KEDREC_CORS_ORIGINS (exactly; "*" for any). Requests without Origin (curl, SDKs) pass.
 */
function originAllowed(origin: string, c: Context, corsOrigins: string[]): boolean {
  if (corsOrigins.includes('*') || corsOrigins.includes(origin)) return true;
  const self = `${new URL(c.req.url).protocol}//${hostOf(c)}`;
  return origin === self || origin === self.replace(/^https?:/, 'http:') || origin === self.replace(/^https?:/, 'https:');
}

export function originGuard(corsOrigins: string[]): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin && origin !== 'null' && !originAllowed(origin, c, corsOrigins)) {
      return errorResponse(c, 403, 'origin_not_allowed', `Origin ${JSON.stringify(origin)} is not allowed; add it to KEDREC_CORS_ORIGINS`);
    }
    if (origin === 'null') return errorResponse(c, 403, 'origin_not_allowed', 'requests from an opaque origin ("null") are not allowed');
    return next();
  };
}

/**
 * POST bodies must be JSON. A form or text/plain POST is a "simple" request a browser sends
 * cross-site without a CORS preflight; requiring application/json forces the preflight, which
 * only the configured origins pass.
 */
export function jsonOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return errorResponse(c, 415, 'unsupported_media_type', `Content-Type must be application/json (got ${JSON.stringify(type || '(none)')})`);
    }
    return next();
  };
}
