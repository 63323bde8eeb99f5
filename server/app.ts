import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { ChatAgent } from '../agent/types.js';
import type { Config } from '../config.js';
import { handleMcpHttp } from '../mcp-server/http.js';
import { invalidToolCallParams } from '../mcp-server/params.js';
import { chatRoutes } from './chat.js';
import { errorResponse } from './http-errors.js';
import { apiAuth, hostGuard, jsonOnly, originGuard, principalOf, rateLimit, type ApiToken } from './limits.js';
import { createLogger, type Logger } from '../lib/log.js';
import { openAiRoutes } from './openai.js';
import { createSlackClient, slackRoutes, type SlackClient, type SlackRetryOptions } from './slack.js';
import type { SharedState } from './shared-state.js';
import type { SlackEventStore } from './slack-store.js';
import { renderChatPage } from './web.js';

/** HTTP settings, from the environment via serverOptionsFromConfig or set directly in tests. */
export interface ServerOptions {
  /** When set, /v1 and /mcp require `Authorization: Bearer <token>` (principal "token:default"). */
  apiToken?: string;
  /** Named tokens (KEDREC_API_TOKENS): each caller's threads are its own. */
  apiTokens?: ApiToken[];
  /** Reverse proxies whose X-Forwarded-For is believed (KEDREC_TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /** JSON-RPC calls one /mcp batch may hold (each counts against the rate limit). */
  maxMcpBatch?: number;
  /** Failed token checks per address per minute before 429 (default 20; 0: off). */
  maxAuthFailuresPerMin?: number;
  /** Host names accepted on /mcp (DNS-rebinding protection). */
  allowedHosts: string[];
  /** Origins allowed cross-origin on /v1 ("*" for any); empty: no CORS headers (same origin only). */
  corsOrigins: string[];
  /** Requests per minute per client on /v1 and /mcp; 0 disables. */
  rateLimitPerMin: number;
  maxBodyBytes: number;
}

export interface AppDeps {
  /** The chat agent; absent when it cannot be built: chat endpoints answer 503 agent_unavailable. */
  agent?: ChatAgent;
  agentUnavailableReason?: string;
  /** A fresh MCP server per /mcp request (createServer with this deployment's tools). */
  makeMcpServer?: () => McpServer;
  /** Readiness of the knowledge base: resolves when a trivial query works, throws otherwise. */
  checkKb: () => Promise<void>;
  options: ServerOptions;
  slack?: { signingSecret: string; botToken: string; apiUrl: string; client?: SlackClient; store?: SlackEventStore; retry?: SlackRetryOptions };
  log?: Logger;
  /** Rate limit and Slack de-duplication shared by several instances (Postgres); per process without it. */
  shared?: SharedState;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The /mcp POST body, read by mcpBatchCost to count a batch; the transport gets it back. */
    mcpBody?: string;
    /** A reply mcpBatchCost decided on (a refused batch, malformed tool params), sent after the rate limit. */
    mcpEarlyReply?: (ctx: Context) => Response | Promise<Response>;
  }
}

/**
 * An MCP POST may carry a JSON-RPC batch: each call in it counts against the rate limit (one
 * request of 100 calls is 100 calls), and batches over `max` calls are refused. A refusal, and a
 * tool call answered -32602 here, is only decided now: it is sent by mcpEarlyReply, after the
 * rate limit has counted the request, so a client sending nothing but bad calls is limited too.
 */
function mcpBatchCost(max: number): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const text = await c.req.text();
    c.set('mcpBody', text);
    let calls = 1;
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
      if (Array.isArray(body)) calls = body.length;
    } catch {
      // Not JSON: the transport answers with a JSON-RPC parse error.
    }
    if (calls > max) {
      // Refused unrun: it costs one request, not the calls it would have made.
      c.set('mcpEarlyReply', (ctx) => errorResponse(ctx, 400, 'batch_too_large', `a JSON-RPC batch of ${calls} calls; at most ${max} per request`));
      return next();
    }
    // A tool call with malformed params gets -32602 (the SDK would answer -32603 with a raw dump).
    const bad = invalidToolCallParams(body);
    if (bad) c.set('mcpEarlyReply', (ctx) => ctx.json(bad, 200));
    c.set('requestCost', calls);
    return next();
  };
}

/** Sends the reply mcpBatchCost decided on, once the rate limit has let the request through. */
function mcpEarlyReply(): MiddlewareHandler {
  return async (c, next) => {
    const reply = c.get('mcpEarlyReply');
    return reply ? reply(c) : next();
  };
}

/** Reads the HTTP settings from validated configuration. */
export function serverOptionsFromConfig(config: Config): ServerOptions {
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const hosts = list(config.KEDREC_ALLOWED_HOSTS);
  // The host the server binds to is always reachable under its own name.
  if (config.HOST !== '0.0.0.0' && config.HOST !== '::' && !hosts.includes(config.HOST)) hosts.push(config.HOST);
  return {
    apiToken: config.KEDREC_API_TOKEN,
    apiTokens: parseApiTokens(config.KEDREC_API_TOKENS),
    trustedProxies: list(config.KEDREC_TRUSTED_PROXIES),
    maxAuthFailuresPerMin: config.KEDREC_AUTH_FAILURES_PER_MIN,
    allowedHosts: hosts,
    corsOrigins: list(config.KEDREC_CORS_ORIGINS),
    rateLimitPerMin: config.KEDREC_RATE_LIMIT_PER_MIN,
    maxBodyBytes: config.KEDREC_MAX_BODY_BYTES,
  };
}

/** "alice:token1,bob:token2" → named tokens (validated by the config schema). */
function parseApiTokens(spec: string | undefined): ApiToken[] {
  if (!spec) return [];
  return spec.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
    const i = x.indexOf(':');
    return { name: x.slice(0, i), token: x.slice(i + 1) };
  });
}

export interface KedrecHttp {
  app: Hono;
  /** Resolves when background work (Slack replies) is done; for shutdown and tests. */
  idle: () => Promise<void>;
  /** Stops scheduled background work (Slack retries) and waits for what is running; before closing the stores. */
  close: () => Promise<void>;
}

/**
 * Builds the HTTP application: /healthz, /readyz, /v1/chat (SSE), /v1/threads/:id,
 * /v1/chat/completions and /v1/models (OpenAI-compatible), /mcp (Streamable HTTP), /slack/events
 * and the web chat page at /. Request IDs, one structured log line per request, bearer auth,
 * body limit, per-client rate limit and CORS apply as configured; every error is JSON with a code.
 */
export function createApp(deps: AppDeps): KedrecHttp {
  const log = deps.log ?? createLogger('info');
  const o = deps.options;
  const app = new Hono();

  app.use(requestId({ limitLength: 128 }));
  // Every response: nosniff, no referrer, no framing, same-origin resource and opener policy, and a
  // CSP under which a JSON or SSE body opened as a page can do nothing. A route that sets its own
  // (the web page) keeps it.
  app.use(secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }, xFrameOptions: 'DENY', overwrite: false }));
  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    // Path and status only: query strings and bodies may hold patient text.
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    log.info('request', { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status: c.res.status, ms });
  });
  app.onError((err, c) => {
    // Hono's own middleware (bearerAuth) answers by throwing the response it built.
    if (err instanceof HTTPException) return err.getResponse();
    // A client that hangs up mid-upload is not a server error.
    if (c.req.raw.signal.aborted || /aborted|ECONNRESET|premature close/i.test(err.message)) {
      log.info('client closed the request', { requestId: c.get('requestId'), path: c.req.path });
      return errorResponse(c, 400, 'client_closed', 'the client closed the request before it was complete');
    }
    log.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, error: err.message });
    return errorResponse(c, 500, 'internal_error', 'internal server error');
  });
  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route ${c.req.method} ${c.req.path}`));

  const limitBody = bodyLimit({ maxSize: o.maxBodyBytes, onError: (c) => errorResponse(c, 413, 'payload_too_large', `request body over ${o.maxBodyBytes} bytes`) });
  const tokens = [...(o.apiToken ? [{ name: 'default', token: o.apiToken }] : []), ...(o.apiTokens ?? [])];
  const auth = apiAuth({ tokens, trustedProxies: o.trustedProxies, maxAuthFailuresPerMin: o.maxAuthFailuresPerMin });

  // Every route but the liveness probe checks Host (DNS rebinding); /healthz says nothing but "ok".
  app.use('*', async (c, next) => (c.req.path === '/healthz' ? next() : hostGuard(o.allowedHosts)(c, next)));
  if (o.corsOrigins.length) {
    for (const p of ['/v1/*', '/mcp']) {
      app.use(
        p,
        cors({
          origin: o.corsOrigins.includes('*') ? '*' : o.corsOrigins,
          allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
          allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-KEDREC-Thread-Id', 'X-KEDREC-Structured', 'Mcp-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID'],
          exposeHeaders: ['X-Request-Id', 'X-KEDREC-Thread-Id', 'Retry-After', 'Mcp-Session-Id'],
          maxAge: 600,
        }),
      );
    }
  }
  for (const p of ['/v1/*', '/mcp']) {
    app.use(p, originGuard(o.corsOrigins));
    app.use(p, jsonOnly());
    app.use(p, auth);
    app.use(p, limitBody);
    if (p === '/mcp') app.use(p, mcpBatchCost(o.maxMcpBatch ?? 20));
    app.use(p, rateLimit(o.rateLimitPerMin, { trustedProxies: o.trustedProxies, shared: deps.shared?.rate }));
    if (p === '/mcp') app.use(p, mcpEarlyReply());
  }
  // Readiness details name the KB file, the model host and failure reasons: behind the token too.
  // Only /healthz (no details), the static page (it asks for the token) and Slack (signed) stay open.
  app.use('/readyz', auth);

  app.get('/healthz', (c) => c.json({ status: 'ok', uptime_s: Math.round(process.uptime()) }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await deps.checkKb();
      checks.kb = { ok: true };
    } catch (err) {
      checks.kb = { ok: false, detail: (err as Error).message };
    }
    if (!deps.agent) {
      checks.agent = { ok: false, detail: deps.agentUnavailableReason ?? 'no chat agent configured' };
    } else {
      try {
        const s = await deps.agent.modelStatus();
        // Evidence-only mode is a working, declared mode: ready, and saying so.
        checks.agent = { ok: true, detail: s.mode === 'model' ? `model ${s.provider}${s.model ? `/${s.model}` : ''}` : `evidence-only${s.reason ? ` (${s.reason})` : ''}` };
      } catch (err) {
        checks.agent = { ok: false, detail: (err as Error).message };
      }
    }
    checks.mcp = deps.makeMcpServer ? { ok: true } : { ok: false, detail: 'MCP server not configured' };
    const ready = Object.values(checks).every((x) => x.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });

  app.route('/v1', chatRoutes({ agent: deps.agent, agentUnavailableReason: deps.agentUnavailableReason, log, principalOf }));
  app.route('/v1', openAiRoutes({ agent: deps.agent, agentUnavailableReason: deps.agentUnavailableReason, log, principalOf }));

  app.all('/mcp', async (c) => {
    if (!deps.makeMcpServer) return errorResponse(c, 503, 'mcp_unavailable', 'the MCP server is not configured on this server');
    // The body was read to count a batch; the transport gets it back as a fresh request.
    const text = c.get('mcpBody');
    const req = text === undefined ? c.req.raw : new Request(c.req.raw.url, { method: c.req.method, headers: c.req.raw.headers, body: text });
    return handleMcpHttp(req, { makeServer: deps.makeMcpServer, allowedHosts: o.allowedHosts, allowedOrigins: o.corsOrigins, maxBodyBytes: o.maxBodyBytes });
  });

  let idle = async () => {};
  let close = async () => {};
  if (deps.slack) {
    const slack = slackRoutes({
      signingSecret: deps.slack.signingSecret,
      client: deps.slack.client ?? createSlackClient({ botToken: deps.slack.botToken, apiUrl: deps.slack.apiUrl }),
      agent: deps.agent,
      log,
      store: deps.slack.store,
      retry: deps.slack.retry,
      firstSighting: deps.shared?.firstSighting,
    });
    app.use('/slack/*', limitBody);
    app.route('/slack', slack.app);
    idle = slack.idle;
    close = slack.close;
  } else {
    app.post('/slack/events', (c) => errorResponse(c, 503, 'slack_unconfigured', 'Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN'));
  }

  // The page's own inline style and script run under a fresh nonce; nothing else loads or runs.
  const pageHeaders = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE],
      styleSrc: [NONCE],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
  });
  app.get('/', pageHeaders, (c) => c.html(renderChatPage(c.get('secureHeadersNonce') ?? '')));

  return { app, idle, close };
}
