import crypto from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { MAX_MESSAGE_CHARS, THREAD_ID_PATTERN, type ChatAgent, type ChatEvent } from '../agent/types.js';
import { errorResponse } from './http-errors.js';
import type { Logger } from '../lib/log.js';

export const threadIdSchema = z.string().regex(THREAD_ID_PATTERN, '1–128 letters, digits and _ . : - only');

const chatRequestSchema = z
  .object({
    thread_id: threadIdSchema.optional().describe('Conversation to continue; a new one is created when absent'),
    message: z.string().trim().min(1).max(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`).describe('The user turn'),
    stream: z.boolean().default(true).describe('false: answer with one JSON object instead of Server-Sent Events'),
  })
  .strict();

export interface ChatRoutesDeps {
  agent?: ChatAgent;
  agentUnavailableReason?: string;
  log: Logger;
  /** Who is asking (set by the auth middleware); threads are answered for their owner only. */
  principalOf?: (c: Context) => string;
}

/** Parses a JSON body with a schema; the error names each bad field. */
export async function parseJsonBody<T extends z.ZodType>(req: Request, schema: T): Promise<{ ok: true; data: z.infer<T> } | { ok: false; message: string }> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    return { ok: false, message: 'request body is not valid JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ') };
  }
  return { ok: true, data: parsed.data };
}

/** Tool-call arguments can carry patient text; the stream shows them but caps their size. */
function shortArgs(args: unknown): unknown {
  const s = JSON.stringify(args ?? {});
  return s.length <= 2000 ? args : { truncated: `${s.slice(0, 2000)}…` };
}

/**
 * /v1/chat (SSE: `thread`, then the agent's events: token, tool_call, tool_result, notice, and a
 * last `final` or `error`), GET/DELETE /v1/threads/:id.
 */
export function chatRoutes(deps: ChatRoutesDeps): Hono {
  const app = new Hono();
  const unavailable = (c: Context) =>
    errorResponse(c, 503, 'agent_unavailable', `the chat agent is not available on this server${deps.agentUnavailableReason ? `: ${deps.agentUnavailableReason}` : ''}; the MCP tools at /mcp still work`);

  app.post('/chat', async (c) => {
    const body = await parseJsonBody(c.req.raw, chatRequestSchema);
    if (!body.ok) return errorResponse(c, 400, 'invalid_request', body.message);
    const agent = deps.agent;
    if (!agent) return unavailable(c);
    const threadId = body.data.thread_id ?? crypto.randomUUID();
    const requestId: string | undefined = c.get('requestId');
    const principal = deps.principalOf?.(c);

    if (!body.data.stream) {
      try {
        const answer = await agent.invoke({ threadId, message: body.data.message, signal: c.req.raw.signal, principal });
        return c.json({ thread_id: threadId, answer });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'thread_not_found') return errorResponse(c, 404, code, (err as Error).message);
        if (code === 'thread_full' || code === 'message_too_long') return errorResponse(c, code === 'message_too_long' ? 413 : 409, code, (err as Error).message);
        deps.log.error('chat turn failed', { requestId, threadId, error: (err as Error).message });
        return errorResponse(c, 502, 'agent_failed', (err as Error).message);
      }
    }

    c.header('X-Accel-Buffering', 'no');
    c.header('Cache-Control', 'no-cache');
    return streamSSE(c, async (stream) => {
      const ac = new AbortController();
      stream.onAbort(() => ac.abort());
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });
      await send('thread', { thread_id: threadId });
      let ended = false;
      try {
        for await (const ev of agent.stream({ threadId, message: body.data.message, signal: ac.signal, principal }) as AsyncIterable<ChatEvent>) {
          if (ac.signal.aborted) break;
          const data = ev.type === 'tool_call' ? { ...ev, args: shortArgs(ev.args) } : ev;
          await send(ev.type, data);
          if (ev.type === 'final' || ev.type === 'error') ended = true;
        }
        if (!ended && !ac.signal.aborted) await send('error', { type: 'error', code: 'incomplete', message: 'the agent ended the turn without a final answer' });
      } catch (err) {
        deps.log.error('chat turn failed', { requestId, threadId, error: (err as Error).message });
        if (!ac.signal.aborted) await send('error', { type: 'error', code: 'agent_failed', message: (err as Error).message });
      }
    });
  });

  app.get('/threads/:id', async (c) => {
    const id = threadIdSchema.safeParse(c.req.param('id'));
    if (!id.success) return errorResponse(c, 400, 'invalid_request', `thread id: ${id.error.issues[0].message}`);
    if (!deps.agent) return unavailable(c);
    const t = await deps.agent.getThread(id.data, deps.principalOf?.(c));
    if (!t) return errorResponse(c, 404, 'thread_not_found', `no thread ${id.data}`);
    return c.json(t);
  });

  app.delete('/threads/:id', async (c) => {
    const id = threadIdSchema.safeParse(c.req.param('id'));
    if (!id.success) return errorResponse(c, 400, 'invalid_request', `thread id: ${id.error.issues[0].message}`);
    if (!deps.agent) return unavailable(c);
    const deleted = await deps.agent.deleteThread(id.data, deps.principalOf?.(c));
    if (!deleted) return errorResponse(c, 404, 'thread_not_found', `no thread ${id.data}`);
    return c.json({ thread_id: id.data, deleted: true });
  });

  return app;
}
