import crypto from 'node:crypto';
import { Hono } from 'hono';
import type { ChatAgent } from '../agent/types.js';
import { errorResponse } from './http-errors.js';
import type { Logger } from './log.js';
import { renderAnswerMarkdown } from './render.js';

/** Slack rejects replays older than five minutes; so do we. */
export const SLACK_MAX_AGE_SECONDS = 300;

export type SlackVerification = { ok: true } | { ok: false; reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

/**
 * Verifies a Slack request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`
 * under the signing secret, compared in constant time, with the timestamp within five minutes
 * of `nowSeconds` (either direction) so a captured request cannot be replayed later.
 */
export function verifySlackSignature(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSeconds: number;
}): SlackVerification {
  const { timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return { ok: false, reason: 'missing_headers' };
  if (Math.abs(input.nowSeconds - Number(timestamp)) > SLACK_MAX_AGE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  const expected = `v0=${crypto.createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:${input.rawBody}`).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}

/** Minimal Slack Web API client: chat.postMessage only, against a configurable base URL. */
export function createSlackClient(opts: { botToken: string; apiUrl: string; fetch?: typeof fetch }) {
  const doFetch = opts.fetch ?? fetch;
  return {
    async postMessage(msg: { channel: string; text: string; thread_ts?: string }): Promise<{ ts?: string }> {
      const res = await doFetch(`${opts.apiUrl.replace(/\/$/, '')}/chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${opts.botToken}` },
        body: JSON.stringify({ ...msg, unfurl_links: false, unfurl_media: false }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string; ts?: string };
      // Slack answers HTTP 200 with ok:false for API errors (invalid_auth, channel_not_found…).
      if (!res.ok || !body.ok) throw new Error(`chat.postMessage failed: ${body.error ?? `HTTP ${res.status}`}`);
      return { ts: body.ts };
    },
  };
}

export type SlackClient = ReturnType<typeof createSlackClient>;

export interface SlackDeps {
  signingSecret: string;
  client: SlackClient;
  agent?: ChatAgent;
  log: Logger;
  nowSeconds?: () => number;
}

interface SlackEvent {
  type?: string;
  subtype?: string;
  channel_type?: string;
  text?: string;
  user?: string;
  bot_id?: string;
  channel?: string;
  ts?: string;
  thread_ts?: string;
  team?: string;
}

/** Removes `<@U123>` mentions so the agent sees only the question. */
export function stripMentions(text: string): string {
  return text.replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, '').trim();
}

/**
 * POST /slack/events (Events API). Verifies the signature, answers url_verification, and for an
 * app_mention or a direct message acknowledges at once (Slack retries after 3 s) and posts the
 * answer in the message's thread afterwards. One Slack thread is one KEDRec conversation.
 */
export function slackRoutes(deps: SlackDeps): { app: Hono; idle: () => Promise<void> } {
  const app = new Hono();
  const pending = new Set<Promise<void>>();
  const seen = new Map<string, number>();
  const now = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  async function answer(ev: SlackEvent, teamId: string): Promise<void> {
    const threadTs = ev.thread_ts ?? ev.ts!;
    const channel = ev.channel!;
    const threadId = `slack-${teamId}-${channel}-${threadTs}`.replace(/[^A-Za-z0-9_.:-]/g, '_');
    const question = stripMentions(ev.text ?? '');
    let text: string;
    if (!deps.agent) {
      text = 'KEDRec cannot answer here: the chat agent is not available on this server.';
    } else if (!question) {
      text = 'Ask me about a patient case, e.g. "type 2 diabetes, takes warfarin: what should we start?"';
    } else {
      try {
        text = renderAnswerMarkdown(await deps.agent.invoke({ threadId, message: question })).replace(/\*\*(.+?)\*\*/g, '*$1*');
      } catch (err) {
        deps.log.error('slack turn failed', { threadId, error: (err as Error).message });
        text = `Sorry, KEDRec failed to answer: ${(err as Error).message}`;
      }
    }
    try {
      await deps.client.postMessage({ channel, thread_ts: threadTs, text });
    } catch (err) {
      deps.log.error('slack post failed', { threadId, error: (err as Error).message });
    }
  }

  app.post('/events', async (c) => {
    const raw = await c.req.text();
    const v = verifySlackSignature({
      signingSecret: deps.signingSecret,
      timestamp: c.req.header('x-slack-request-timestamp'),
      signature: c.req.header('x-slack-signature'),
      rawBody: raw,
      nowSeconds: now(),
    });
    if (!v.ok) {
      deps.log.warn('slack request rejected', { reason: v.reason });
      return errorResponse(c, 401, v.reason, `Slack signature verification failed: ${v.reason.replace(/_/g, ' ')}`);
    }
    let body: { type?: string; challenge?: string; event?: SlackEvent; event_id?: string; team_id?: string };
    try {
      body = JSON.parse(raw);
    } catch {
      return errorResponse(c, 400, 'invalid_request', 'Slack event body is not JSON');
    }
    if (body.type === 'url_verification') return c.json({ challenge: body.challenge ?? '' });
    if (body.type !== 'event_callback' || !body.event) return c.body(null, 200);

    const ev = body.event;
    const isMention = ev.type === 'app_mention';
    const isDm = ev.type === 'message' && ev.channel_type === 'im' && !ev.subtype;
    // Never answer bots (including ourselves): that loops.
    if ((!isMention && !isDm) || ev.bot_id || !ev.channel || !ev.ts) return c.body(null, 200);
    // Slack redelivers when an ack is late; one event is answered once.
    const key = body.event_id ?? `${ev.channel}:${ev.ts}`;
    if (seen.has(key)) return c.body(null, 200);
    seen.set(key, now());
    if (seen.size > 5000) for (const [k, t] of seen) if (now() - t > 3600) seen.delete(k);

    const p = answer(ev, body.team_id ?? ev.team ?? 'T').finally(() => pending.delete(p));
    pending.add(p);
    return c.body(null, 200);
  });

  return {
    app,
    idle: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
