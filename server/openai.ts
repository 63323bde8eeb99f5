import crypto from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { MAX_MESSAGE_CHARS, MAX_REQUEST_TEXT_CHARS, type ChatAgent, type FinalAnswer } from '../agent/types.js';
import { parseJsonBody, threadIdSchema } from './chat.js';
import { errorResponse } from './http-errors.js';
import type { Logger } from '../lib/log.js';
import { renderCompact } from '../clinical/compact-answer.js';
import { answerAuxTask, auxTaskOf } from './openai-tasks.js';

const OPENAI_MODEL_ID = 'kedrec';

const contentSchema = z.union([
  z.string(),
  // Multi-part content (Open WebUI, LibreChat): the text parts are used, others ignored.
  z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()),
  z.null(),
]);

/** Only the fields KEDRec uses are checked; other OpenAI parameters (temperature, …) are accepted and ignored. */
const completionRequestSchema = z
  .object({
    model: z.string().max(200).optional(),
    messages: z
      .array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']), content: contentSchema.optional() }).passthrough())
      .min(1)
      .max(200),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    metadata: z.object({ thread_id: threadIdSchema.optional(), task: z.string().max(100).optional() }).passthrough().optional(),
    /** Opt-in: the structured answer (recommendations, exclusions, evidence) beside the text, as `kedrec.answer`. */
    kedrec_structured: z.boolean().optional(),
  })
  .passthrough();

type CompletionMessage = z.infer<typeof completionRequestSchema>['messages'][number];

function textOf(m: CompletionMessage): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
  return '';
}

/**
 * How a request maps onto a KEDRec thread. OpenAI clients resend the whole history each turn.
 * With an explicit thread (X-KEDREC-Thread-Id header or metadata.thread_id) the last user
 * message continues that thread. Without one the turn runs on a fresh, throw-away thread and
 * the earlier user messages are passed along as context, so no state leaks between clients.
 */
export function planTurn(
  messages: CompletionMessage[],
  explicitThread?: string,
): { threadId: string; message: string; ephemeral: boolean } | { error: string; status?: 413 } {
  const texts = messages.map(textOf);
  const total = texts.reduce((n, t) => n + t.length, 0);
  if (total > MAX_REQUEST_TEXT_CHARS) return { error: `the messages hold ${total} characters in all; the limit is ${MAX_REQUEST_TEXT_CHARS} (send X-KEDREC-Thread-Id to continue a server-side thread instead of resending the history)`, status: 413 };
  const users = messages.filter((m) => m.role === 'user').map(textOf).filter((t) => t.trim());
  const last = users.at(-1);
  if (!last) return { error: 'messages: at least one user message with text is required' };
  if (last.length > MAX_MESSAGE_CHARS) return { error: `the last user message has ${last.length} characters; the limit is ${MAX_MESSAGE_CHARS}`, status: 413 };
  if (explicitThread) return { threadId: explicitThread, message: last, ephemeral: false };
  // The earlier user turns come along as context, newest first, within the same bound as one message.
  const budget = MAX_MESSAGE_CHARS - last.length - 64;
  const earlier: string[] = [];
  let used = 0;
  for (const u of users.slice(0, -1).reverse()) {
    const line = `- ${u.replace(/\s+/g, ' ').slice(0, 1000)}`;
    if (used + line.length + 1 > budget) break;
    earlier.unshift(line);
    used += line.length + 1;
  }
  const message = earlier.length ? `Earlier in this conversation I said:\n${earlier.join('\n')}\n\nNow: ${last}` : last;
  return { threadId: `oai-${crypto.randomUUID()}`, message, ephemeral: true };
}

export interface OpenAiRoutesDeps {
  agent?: ChatAgent;
  agentUnavailableReason?: string;
  log: Logger;
  principalOf?: (c: Context) => string;
}

/** OpenAI-compatible API: GET /models and POST /chat/completions (streaming and not). */
export function openAiRoutes(deps: OpenAiRoutesDeps): Hono {
  const app = new Hono();

  app.get('/models', (c) => c.json({ object: 'list', data: [{ id: OPENAI_MODEL_ID, object: 'model', created: 0, owned_by: 'kedrec' }] }));

  app.post('/chat/completions', async (c) => {
    const body = await parseJsonBody(c.req.raw, completionRequestSchema);
    if (!body.ok) return errorResponse(c, 400, 'invalid_request', body.message);
    const headerThread = c.req.header('x-kedrec-thread-id');
    const explicit = headerThread ?? body.data.metadata?.thread_id;
    if (explicit !== undefined && !threadIdSchema.safeParse(explicit).success) return errorResponse(c, 400, 'invalid_request', 'thread id: letters, digits and _ . : - only, at most 128');
    // Title, tags, follow-up suggestions: a few words about the chat, not a drug answer.
    const lastUser = [...body.data.messages].reverse().find((m) => m.role === 'user');
    const task = auxTaskOf(lastUser ? textOf(lastUser) : '', body.data.metadata?.task);
    if (task) return auxReply(c, body.data, answerAuxTask(task, lastUser ? textOf(lastUser) : ''));
    const plan = planTurn(body.data.messages, explicit);
    if ('error' in plan) return plan.status === 413 ? errorResponse(c, 413, 'input_too_large', plan.error) : errorResponse(c, 400, 'invalid_request', plan.error);
    const agent = deps.agent;
    if (!agent) return errorResponse(c, 503, 'agent_unavailable', `the chat agent is not available on this server${deps.agentUnavailableReason ? `: ${deps.agentUnavailableReason}` : ''}`);
    const id = `chatcmpl-${crypto.randomUUID().replace(/-/g, '')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.data.model ?? OPENAI_MODEL_ID;
    const requestId: string | undefined = c.get('requestId');
    const principal = deps.principalOf?.(c);
    if (!plan.ephemeral) c.header('X-KEDREC-Thread-Id', plan.threadId);
    const cleanup = () => (plan.ephemeral ? agent.deleteThread(plan.threadId, principal).catch(() => false) : Promise.resolve(false));
    // The structured answer is ~30 KB: sent only to a client that asks (header or body flag); the
    // thread endpoint (GET /v1/threads/:id, with X-KEDREC-Thread-Id) serves it too.
    const structured = body.data.kedrec_structured === true || /^(?:1|true|yes)$/i.test(c.req.header('x-kedrec-structured') ?? '');

    if (!body.data.stream) {
      try {
        const answer = await agent.invoke({ threadId: plan.threadId, message: plan.message, signal: c.req.raw.signal, principal });
        return c.json({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: renderCompact(answer) }, finish_reason: 'stop', logprobs: null }],
          usage: usageOf(answer, 0),
          ...(structured ? { kedrec: { answer } } : {}),
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'thread_not_found') return errorResponse(c, 404, code, (err as Error).message);
        if (code === 'thread_full') return errorResponse(c, 409, code, (err as Error).message);
        deps.log.error('completion failed', { requestId, error: (err as Error).message });
        return errorResponse(c, 502, 'agent_failed', (err as Error).message);
      } finally {
        await cleanup();
      }
    }

    c.header('Cache-Control', 'no-cache');
    return streamSSE(c, async (stream) => {
      const ac = new AbortController();
      stream.onAbort(() => ac.abort());
      const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
        stream.writeSSE({
          data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra }),
        });
      await chunk({ role: 'assistant', content: '' });
      let streamedText = false;
      let tokens = 0;
      let final: FinalAnswer | undefined;
      try {
        for await (const ev of agent.stream({ threadId: plan.threadId, message: plan.message, signal: ac.signal, principal })) {
          if (ac.signal.aborted) break;
          if (ev.type === 'token') {
            streamedText = true;
            tokens++;
            await chunk({ content: ev.text });
          } else if (ev.type === 'final') {
            final = ev.answer;
          } else if (ev.type === 'error') {
            // OpenAI streams report mid-stream failures as an error object on the stream.
            await stream.writeSSE({ data: JSON.stringify({ error: { code: ev.code, message: ev.message, type: 'agent_error' } }) });
            break;
          }
        }
        if (final) {
          // Tokens carried the model's text; the drugs, safety and sources follow in the compact
          // format, a segment (line) per chunk, so a client renders the answer as it arrives.
          const rest = renderCompact(final, undefined, { includeModelText: !streamedText });
          const lines = (streamedText ? `\n\n${rest}` : rest).split(/(?<=\n)/);
          for (const line of lines) {
            if (ac.signal.aborted) break;
            await chunk({ content: line });
          }
          await chunk({}, 'stop', structured ? { kedrec: { answer: final } } : {});
          if (body.data.stream_options?.include_usage) {
            await stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(final, tokens) }) });
          }
        } else if (!ac.signal.aborted) {
          await stream.writeSSE({ data: JSON.stringify({ error: { code: 'incomplete', message: 'the agent ended the turn without a final answer', type: 'agent_error' } }) });
        }
      } catch (err) {
        deps.log.error('completion failed', { requestId, error: (err as Error).message });
        await stream.writeSSE({ data: JSON.stringify({ error: { code: 'agent_failed', message: (err as Error).message, type: 'agent_error' } }) });
      } finally {
        if (!ac.signal.aborted) await stream.writeSSE({ data: '[DONE]' });
        await cleanup();
      }
    });
  });

  return app;
}

/**
 * Usage as OpenAI reports it. An evidence-only answer used no language model: 0 tokens, said
 * plainly rather than estimated. A model's answer counts the tokens it streamed.
 */
function usageOf(a: FinalAnswer, streamedTokens: number) {
  const completion = a.mode === 'model' ? streamedTokens : 0;
  return { prompt_tokens: 0, completion_tokens: completion, total_tokens: completion };
}

/** A brief reply to an auxiliary task, streamed or not as the client asked. */
function auxReply(c: Context, req: z.infer<typeof completionRequestSchema>, content: string) {
  const id = `chatcmpl-${crypto.randomUUID().replace(/-/g, '')}`;
  const created = Math.floor(Date.now() / 1000);
  const model = req.model ?? OPENAI_MODEL_ID;
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  if (!req.stream) {
    return c.json({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }], usage });
  }
  return streamSSE(c, async (stream) => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      stream.writeSSE({
        data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] }),
      });
    await chunk({ role: 'assistant', content });
    await chunk({}, 'stop');
    if (req.stream_options?.include_usage) await stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }) });
    await stream.writeSSE({ data: '[DONE]' });
  });
}
