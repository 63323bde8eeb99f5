import crypto from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_MESSAGE_CHARS, type ChatAgent } from '../agent/types.js';
import { errorResponse } from './http-errors.js';
import type { Logger } from '../lib/log.js';
import { answerBlocks, answerFallbackText } from './slack-blocks.js';
import { createSlackEventStore, type SlackEventStore } from './slack-store.js';

/** Slack rejects replays older than five minutes; so do we. */
const SLACK_MAX_AGE_SECONDS = 300;

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
    async postMessage(msg: { channel: string; text: string; thread_ts?: string; blocks?: Record<string, unknown>[] }): Promise<{ ts?: string }> {
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
  /** Where events wait between the ack and the reply (default: in memory, lost on restart). */
  store?: SlackEventStore;
  /** Thread id for a Slack conversation; owners of the HTTP API cannot derive it (see slackThreadId). */
  threadIdOf?: (teamId: string, channel: string, threadTs: string) => string;
  /** Retries of a failed post (default SLACK_RETRY). */
  retry?: SlackRetryOptions;
  /** Whether no instance has taken this event id yet (Postgres, several instances); absent: this process's store decides alone. */
  firstSighting?: (eventId: string) => Promise<boolean>;
}

/** When a failed post is tried again: after `firstDelayMs`, doubling up to `maxDelayMs`, at most `maxAttempts` tries in all. */
export interface SlackRetryOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** About two minutes of retries in all: long enough for a Slack blip, short enough that the reply still fits the question. */
const SLACK_RETRY: SlackRetryOptions = { firstDelayMs: 2_000, maxDelayMs: 60_000, maxAttempts: 6 };

/** What is posted for an event: rendered once, stored, and posted again as is if posting fails. */
interface SlackReply {
  channel: string;
  /** Absent for a top-level reply in a direct message (the DM is one conversation). */
  thread_ts?: string;
  text: string;
  /** Block Kit; `text` is the fallback for notifications and clients without blocks. */
  blocks?: Record<string, unknown>[];
}

/** "new case", "start over", "reset": a direct message that ends the DM's conversation. */
const NEW_CASE = /^\s*(?:new (?:case|patient|conversation)|start (?:over|again)|reset)\s*[.!]?\s*$/i;

/** Slack ids and timestamps are short ASCII; anything else in them is not from Slack. */
const slackId = z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/);
/** Slack's own ceiling for message text is 40,000 characters; longer is not a Slack event. */
const slackEventSchema = z
  .object({
    type: z.string().max(64),
    subtype: z.string().max(64).optional(),
    channel_type: z.string().max(32).optional(),
    text: z.string().max(40_000).optional(),
    user: slackId.optional(),
    bot_id: slackId.optional(),
    channel: slackId.optional(),
    ts: slackId.optional(),
    thread_ts: slackId.optional(),
    team: slackId.optional(),
  })
  .passthrough();
const slackBodySchema = z
  .object({
    type: z.string().max(64),
    challenge: z.string().max(200).optional(),
    event: slackEventSchema.optional(),
    event_id: slackId.optional(),
    team_id: slackId.optional(),
  })
  .passthrough();
type SlackEvent = z.infer<typeof slackEventSchema>;

/**
 * The KEDRec thread of a Slack conversation: an HMAC of team, channel and thread under the
 * signing secret. Everyone in the channel sees the Slack ids; only this server can turn them
 * into a thread id, so no API client can read or append to a Slack conversation.
 */
export function slackThreadId(signingSecret: string, teamId: string, channel: string, threadTs: string): string {
  return `slack-${crypto.createHmac('sha256', signingSecret).update(`${teamId}:${channel}:${threadTs}`).digest('hex').slice(0, 32)}`;
}

/**
 * Removes `<@U123>` and `<@U123|name>` mentions so the agent sees only the question. Every part
 * of the pattern is bounded: an unbounded `[^>]*` rescans to the end of the text from every `<@`
 * of a message with no `>`, quadratic in its length.
 */
export function stripMentions(text: string): string {
  return text.replace(/<@[A-Z0-9]{1,32}(?:\|[^>]{0,100})?>/g, '').trim();
}

/**
 * POST /slack/events (Events API). Verifies the signature, answers url_verification, and for an
 * app_mention or a direct message acknowledges at once (Slack retries after 3 s) and posts the
 * answer in the message's thread afterwards. One Slack thread is one KEDRec conversation.
 * `close()` stops scheduled retries; `idle()` waits for the work in progress.
 */
export function slackRoutes(deps: SlackDeps): { app: Hono; idle: () => Promise<void>; close: () => Promise<void> } {
  const app = new Hono();
  const store = deps.store ?? createSlackEventStore(':memory:');
  const now = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const threadIdOf = deps.threadIdOf ?? ((team: string, channel: string, ts: string) => slackThreadId(deps.signingSecret, team, channel, ts));
  const retry = deps.retry ?? SLACK_RETRY;
  let draining: Promise<void> | undefined;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** The reply to an event: runs the agent turn (or explains why not). Never posts. */
  async function replyTo(ev: SlackEvent, teamId: string): Promise<SlackReply> {
    const { channel, ts } = ev;
    // The events route stores only events that carry both; one without them is not a Slack message.
    if (!channel || !ts) throw new Error('a stored Slack event has no channel or ts: nothing to reply to');
    // In a direct message every top-level message continues one conversation (a follow-up keeps the
    // case) and the reply is top-level too; "new case" starts over. In a channel, one Slack thread
    // is one conversation, answered in that thread.
    const dmTopLevel = ev.channel_type === 'im' && !ev.thread_ts;
    const threadTs = ev.thread_ts ?? ts;
    const threadId = threadIdOf(teamId, channel, dmTopLevel ? 'dm' : threadTs);
    const where = dmTopLevel ? { channel } : { channel, thread_ts: threadTs };
    const question = stripMentions(ev.text ?? '');
    let text: string;
    if (dmTopLevel && deps.agent && NEW_CASE.test(question)) {
      await deps.agent.deleteThread(threadId, `slack:${teamId}`).catch(() => false);
      return { ...where, text: 'Started a new case: the previous patient is forgotten. Describe the new case.' };
    }
    if (!deps.agent) {
      text = 'KEDRec cannot answer here: the chat agent is not available on this server.';
    } else if (!question) {
      text = 'Ask me about a patient case, e.g. "type 2 diabetes, takes warfarin: what should we start?"';
    } else if (question.length > MAX_MESSAGE_CHARS) {
      text = `That message has ${question.length} characters; KEDRec reads at most ${MAX_MESSAGE_CHARS}. Please send the case in a shorter message.`;
    } else {
      try {
        const answer = await deps.agent.invoke({ threadId, message: question, principal: `slack:${teamId}` });
        return { ...where, text: answerFallbackText(answer), blocks: answerBlocks(answer) };
      } catch (err) {
        deps.log.error('slack turn failed', { threadId, error: (err as Error).message });
        text = `Sorry, KEDRec failed to answer: ${(err as Error).message}`;
      }
    }
    return { ...where, text };
  }

  /** Answers one stored event; a failed post throws, leaving the event pending with its reply kept. */
  async function answer(e: { id: string; payload: unknown; reply?: unknown }): Promise<void> {
    let reply = e.reply as SlackReply | undefined;
    if (!reply) {
      const { event, teamId } = e.payload as { event: SlackEvent; teamId: string };
      reply = await replyTo(event, teamId);
      // Kept before posting: the turn is in the thread's history now, and running it again on a
      // retry would answer the question twice and append a second turn to the conversation.
      store.saveReply(e.id, reply);
    }
    await deps.client.postMessage(reply);
  }

  /** The next drain at the earliest retry still due, if any; replaces one scheduled before. */
  function scheduleRetry(): void {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (stopped) return;
    const at = store.nextDueAt();
    if (at === undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void drain();
    }, Math.max(0, at - Date.now()));
    // Shutdown is not held up by a retry; close() and the store's pending rows cover it.
    retryTimer.unref();
  }

  /**
   * Answers pending events one at a time until none is due (batches of 50, so a backlog left by
   * a restart is answered in full); a call while draining schedules one more pass. Failed posts
   * become due again after a backoff, and a timer drains them then, whether or not Slack sends
   * another event.
   */
  function drain(): Promise<void> {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      do {
        again = false;
        for (let batch = store.pending(50); batch.length && !stopped; batch = store.pending(50)) {
          for (const e of batch) {
            if (stopped) return;
            try {
              await answer(e);
              store.markDone(e.id);
            } catch (err) {
              const attempt = e.attempts + 1;
              const delay = Math.min(retry.firstDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
              const willRetry = attempt < retry.maxAttempts;
              deps.log.error('slack event failed', { event: e.id, attempt, error: (err as Error).message, ...(willRetry ? { retryInMs: delay } : { givenUp: true }) });
              store.markFailed(e.id, (err as Error).message, { maxAttempts: retry.maxAttempts, retryAt: Date.now() + delay });
            }
          }
        }
      } while (again && !stopped);
    })()
      .catch((err) => deps.log.error('slack queue failed', { error: (err as Error).message }))
      .finally(() => {
        draining = undefined;
        try {
          scheduleRetry();
        } catch (err) {
          deps.log.error('slack retry not scheduled', { error: (err as Error).message });
        }
      });
    return draining;
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
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return errorResponse(c, 400, 'invalid_request', 'Slack event body is not JSON');
    }
    // Signed is not the same as well-formed: every field the handler reads is checked first.
    const parsed = slackBodySchema.safeParse(json);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      deps.log.warn('slack event rejected', { field: i.path.join('.'), reason: i.message });
      return errorResponse(c, 400, 'invalid_request', `Slack event field ${i.path.join('.') || '(body)'}: ${i.message}`);
    }
    const body = parsed.data;
    if (body.type === 'url_verification') return c.json({ challenge: body.challenge ?? '' });
    if (body.type !== 'event_callback' || !body.event) return c.body(null, 200);

    const ev = body.event;
    const isMention = ev.type === 'app_mention';
    const isDm = ev.type === 'message' && ev.channel_type === 'im' && !ev.subtype;
    // Never answer bots (including ourselves): that loops.
    if ((!isMention && !isDm) || ev.bot_id || !ev.channel || !ev.ts) return c.body(null, 200);
    // Stored before the ack, keyed by Slack's event id: a retry or a replay after a restart is answered once.
    const key = body.event_id ?? `${ev.channel}:${ev.ts}`;
    // A retry Slack sends to another instance behind the load balancer is dropped there.
    if (deps.firstSighting && !(await deps.firstSighting(`slack:${key}`))) return c.body(null, 200);
    if (!store.insertIfNew(key, { event: ev, teamId: body.team_id ?? ev.team ?? 'T' })) return c.body(null, 200);
    void drain();
    return c.body(null, 200);
  });

  // Events a previous process acknowledged but did not answer, now or at their retry time.
  if (store.nextDueAt() !== undefined) void drain();

  const idle = async () => {
    while (draining) await draining;
  };
  return {
    app,
    idle,
    async close() {
      stopped = true;
      clearTimeout(retryTimer);
      await idle();
    },
  };
}
