import { describe, expect, it } from 'vitest';
import type { FinalAnswer } from '../../agent/types.js';
import { createApp, type AppDeps, type ServerOptions } from '../../server/app.js';
import { tokenMatches } from '../../server/limits.js';
import { createLogger, silentLogger } from '../../lib/log.js';
import { planTurn } from '../../server/openai.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';
import { parseSse } from '../fixtures/sse.js';

const TOKEN = 'test-token-0123456789abcdef';
const baseOptions: ServerOptions = { allowedHosts: ['localhost', '127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 10_000 };

function makeApp(over: Partial<AppDeps> = {}, options: Partial<ServerOptions> = {}) {
  return createApp({ agent: scriptedAgent(), checkKb: async () => {}, options: { ...baseOptions, ...options }, log: silentLogger, ...over }).app;
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('health and readiness', () => {
  it('/healthz answers while the process runs', async () => {
    const r = await makeApp().request('/healthz');
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok' });
  });

  it('/readyz is ready with the KB open and an evidence-only agent, and says so', async () => {
    const r = await makeApp({ makeMcpServer: () => ({}) as never }).request('/readyz');
    expect(r.status).toBe(200);
    const j = (await r.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(j.checks.agent!.detail).toMatch(/evidence-only/);
  });

  it('/readyz is 503 with the reason when the KB fails or the agent is missing', async () => {
    const r = await makeApp({ agent: undefined, agentUnavailableReason: 'no agent in this build', checkKb: async () => { throw new Error('kb gone'); } }).request('/readyz');
    expect(r.status).toBe(503);
    const j = (await r.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(j.status).toBe('not_ready');
    expect(j.checks.kb).toEqual({ ok: false, detail: 'kb gone' });
    expect(j.checks.agent).toEqual({ ok: false, detail: 'no agent in this build' });
  });
});

describe('/v1/chat', () => {
  it('streams thread, tool steps, tokens and the final structured answer as SSE', async () => {
    const r = await makeApp().request('/v1/chat', post({ message: 'Patient with type 2 diabetes' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    expect(r.headers.get('x-request-id')).toBeTruthy();
    const events = parseSse(await r.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('thread');
    expect(names).toContain('tool_call');
    expect(names).toContain('tool_result');
    expect(names).toContain('token');
    expect(names.at(-1)).toBe('final');
    const call = JSON.parse(events.find((e) => e.event === 'tool_call')!.data);
    expect(call).toMatchObject({ name: 'find_drugs_for_condition', args: { condition: 'type 2 diabetes mellitus' } });
    const final = JSON.parse(events.at(-1)!.data) as { answer: FinalAnswer };
    expect(final.answer.recommendations[0]!.drug.id).toBe('DB00331');
  });

  it('continues a thread across turns, and GET/DELETE /v1/threads/:id work', async () => {
    const app = makeApp();
    const first = parseSse(await (await app.request('/v1/chat', post({ message: 'type 2 diabetes' }))).text());
    const threadId = JSON.parse(first[0]!.data).thread_id as string;
    const second = parseSse(await (await app.request('/v1/chat', post({ thread_id: threadId, message: 'she also takes warfarin' }))).text());
    const answer = (JSON.parse(second.at(-1)!.data) as { answer: FinalAnswer }).answer;
    expect(answer.case.conditions).toContain('type 2 diabetes mellitus');
    expect(answer.warnings[0]!.kind).toBe('interaction');

    const t = await app.request(`/v1/threads/${threadId}`);
    expect(t.status).toBe(200);
    expect(((await t.json()) as { messages: unknown[] }).messages).toHaveLength(4);
    expect((await app.request(`/v1/threads/${threadId}`, { method: 'DELETE' })).status).toBe(200);
    const gone = await app.request(`/v1/threads/${threadId}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'thread_not_found' } });
  });

  it('answers one JSON object with stream:false', async () => {
    const r = await makeApp().request('/v1/chat', post({ message: 'diabetes', stream: false }));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { answer: FinalAnswer }).answer.mode).toBe('evidence-only');
  });

  it('streams an agent error as an error event, never as a final answer', async () => {
    const r = await makeApp({ agent: scriptedAgent({ failOn: 'BOOM' }) }).request('/v1/chat', post({ message: 'BOOM' }));
    const events = parseSse(await r.text());
    expect(events.at(-1)!.event).toBe('error');
    expect(events.map((e) => e.event)).not.toContain('final');
  });

  it('rejects invalid bodies with a JSON error naming the field', async () => {
    const app = makeApp();
    const missing = await app.request('/v1/chat', post({ thread_id: 'x' }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('message') } });
    const extra = await app.request('/v1/chat', post({ message: 'hi', mesage: 'typo' }));
    expect(extra.status).toBe(400);
    const notJson = await app.request('/v1/chat', post('{not json'));
    expect(await notJson.json()).toMatchObject({ error: { code: 'invalid_request', message: 'request body is not valid JSON' } });
    const badThread = await app.request('/v1/threads/..%2F..%2Fetc');
    expect(badThread.status).toBe(400);
  });

  it('answers 503 agent_unavailable when there is no agent', async () => {
    const r = await makeApp({ agent: undefined, agentUnavailableReason: 'no agent in this build' }).request('/v1/chat', post({ message: 'hi' }));
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ error: { code: 'agent_unavailable', message: expect.stringContaining('no agent in this build') } });
  });
});

describe('/v1/chat/completions (OpenAI-compatible)', () => {
  it('shows what the safety engine left out, with the citation link', async () => {
    const r = await makeApp().request('/v1/chat/completions', post({ model: 'kedrec', messages: [{ role: 'user', content: 'type 2 diabetes, she is pregnant' }] }));
    const content = (await r.json()).choices[0].message.content as string;
    expect(content).toContain('**Not for this patient**');
    expect(content).toMatch(/\*\*Losartan\*\* — contraindicated: .*\(\[FDA label\]\(https:\/\/dailymed/);
  });

  it('answers non-streaming with a chat.completion whose content includes the cards and warnings', async () => {
    const r = await makeApp().request(
      '/v1/chat/completions',
      post({
        model: 'kedrec',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'type 2 diabetes' },
          { role: 'assistant', content: '…' },
          { role: 'user', content: [{ type: 'text', text: 'she takes warfarin' }] },
        ],
      }),
    );
    expect(r.status).toBe(200);
    const j = (await r.json()) as { object: string; choices: { message: { role: string; content: string }; finish_reason: string }[] };
    expect(j.object).toBe('chat.completion');
    expect(j.choices[0]!.finish_reason).toBe('stop');
    const content = j.choices[0]!.message.content;
    expect(content).toContain('Metformin');
    expect(content).toContain('https://clinicaltrials.gov/study/NCT00000620');
    expect(content).toContain('https://pubmed.ncbi.nlm.nih.gov/9742976/');
    // Earlier user turns are carried into the throw-away thread: the interaction is found.
    expect(content).toMatch(/Warfarin \+ Metformin/);
  });

  it('streams chat.completion.chunk deltas ending in [DONE]', async () => {
    const r = await makeApp().request('/v1/chat/completions', post({ model: 'kedrec', stream: true, messages: [{ role: 'user', content: 'type 2 diabetes' }] }));
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await r.text());
    expect(events.at(-1)!.data).toBe('[DONE]');
    type Chunk = { object: string; choices: { delta: { content?: string; role?: string }; finish_reason: string | null }[] };
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    const text = chunks.map((c) => c.choices[0]!.delta.content ?? '').join('');
    expect(text).toContain('metformin is the first choice');
    expect(text).toMatch(/1\. \*\*Metformin\*\* — /);
    // The answer arrives in segments, not one chunk; no oversized non-standard field by default.
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(3);
    expect(events.every((e) => e.data.length < 4000)).toBe(true);
    expect(chunks.some((c) => 'kedrec' in c)).toBe(false);
  });

  it('sends the usage chunk when stream_options.include_usage is set, and the structured answer only when asked', async () => {
    const r = await makeApp().request('/v1/chat/completions', post({ stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'type 2 diabetes' }] }));
    const chunks = parseSse(await r.text()).slice(0, -1).map((e) => JSON.parse(e.data) as { choices: unknown[]; usage?: { total_tokens: number } });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 0, completion_tokens: expect.any(Number), total_tokens: expect.any(Number) } });
    const plain = (await (await makeApp().request('/v1/chat/completions', post({ messages: [{ role: 'user', content: 'type 2 diabetes' }] }))).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty('kedrec');
    const structured = post({ messages: [{ role: 'user', content: 'type 2 diabetes' }] }, { 'x-kedrec-structured': '1' });
    const asked = (await (await makeApp().request('/v1/chat/completions', structured)).json()) as { kedrec: { answer: FinalAnswer } };
    expect(asked.kedrec.answer.recommendations[0]!.drug.name).toBe('Metformin');
  });

  it("answers a front-end's title, tags and follow-up tasks briefly instead of with a drug answer", async () => {
    const history = '<chat_history>\nUSER: 67-year-old woman with type 2 diabetes and atrial fibrillation\nASSISTANT: 1. Metformin …\n</chat_history>';
    const ask = async (task: string, extra: Record<string, unknown> = {}) => {
      const content = `### Task:\n${task}\n### Output:\nJSON format\n### Chat History:\n${history}`;
      const r = await makeApp().request('/v1/chat/completions', post({ messages: [{ role: 'user', content }], ...extra }));
      return ((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    };
    expect(JSON.parse(await ask('Generate a concise, 3-5 word title with an emoji summarizing the chat history.'))).toEqual({ title: 'Type 2 diabetes, Atrial fibrillation: drug options' });
    expect(JSON.parse(await ask('Generate 1-3 broad tags categorizing the main themes of the chat history'))).toMatchObject({ tags: expect.arrayContaining(['Medicine']) });
    expect(JSON.parse(await ask('Suggest 3-5 relevant follow-up questions or prompts'))).toMatchObject({ follow_ups: expect.any(Array) });
    // Declared by Open WebUI's metadata too; never a recommendation.
    const declared = await ask('anything', { metadata: { task: 'title_generation' } });
    expect(declared).not.toMatch(/Metformin/);
  });

  it('continues an explicit thread given by X-KEDREC-Thread-Id and lists the model', async () => {
    const app = makeApp();
    await app.request('/v1/chat/completions', post({ messages: [{ role: 'user', content: 'diabetes' }] }, { 'x-kedrec-thread-id': 'oai-t1' }));
    const r = await app.request('/v1/chat/completions', post({ messages: [{ role: 'user', content: 'warfarin too' }] }, { 'x-kedrec-thread-id': 'oai-t1' }));
    expect(r.headers.get('x-kedrec-thread-id')).toBe('oai-t1');
    expect(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain('Warfarin + Metformin');
    const models = (await (await app.request('/v1/models')).json()) as { data: { id: string }[] };
    expect(models.data[0]!.id).toBe('kedrec');
  });

  it('plans turns without leaking state between clients', () => {
    const p = planTurn([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }]);
    expect(p).toMatchObject({ ephemeral: true, message: expect.stringContaining('- a') });
    expect(planTurn([{ role: 'system', content: 'x' }])).toHaveProperty('error');
  });
});

describe('auth, limits, CORS, errors', () => {
  it('requires the bearer token on /v1 and /mcp when configured, compared in constant time', async () => {
    const app = makeApp({}, { apiToken: TOKEN });
    const none = await app.request('/v1/chat', post({ message: 'hi' }));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await app.request('/v1/chat', post({ message: 'hi' }, { authorization: 'Bearer wrong' }))).status).toBe(401);
    expect((await app.request('/mcp', post({}, { host: 'localhost' }))).status).toBe(401);
    expect((await app.request('/v1/chat', post({ message: 'diabetes', stream: false }, { authorization: `Bearer ${TOKEN}` }))).status).toBe(200);
    // Health, readiness and the page stay open for probes and browsers.
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/')).status).toBe(200);
    expect(tokenMatches('a', 'ab')).toBe(false);
  });

  it('never logs the token or the message text', async () => {
    const lines: string[] = [];
    const { app } = createApp({
      agent: scriptedAgent(),
      checkKb: async () => {},
      options: { ...baseOptions, apiToken: TOKEN },
      log: createLogger('debug', (l) => lines.push(l)),
    });
    await app.request('/v1/chat', post({ message: 'secret patient diabetes', stream: false }, { authorization: `Bearer ${TOKEN}` }));
    const all = lines.join('');
    expect(all).toContain('"path":"/v1/chat"');
    expect(all).toContain('"requestId"');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('secret patient');
  });

  it('limits the body size with 413 payload_too_large', async () => {
    const r = await makeApp({}, { maxBodyBytes: 2000 }).request('/v1/chat', post({ message: 'x'.repeat(5000) }));
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('rate-limits per client with 429 and Retry-After', async () => {
    const app = makeApp({}, { rateLimitPerMin: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.request('/v1/models')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const r = await app.request('/v1/models');
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await r.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // A made-up Authorization header is not another client: without tokens everyone anonymous shares the address's budget.
    expect((await app.request('/v1/models', { headers: { authorization: 'Bearer other' } })).status).toBe(429);
  });

  it('counts /mcp calls answered without the MCP server (bad params, oversize batches) against the rate limit', async () => {
    const app = makeApp({ makeMcpServer: () => ({}) as never }, { rateLimitPerMin: 3, maxBodyBytes: 100_000 });
    const mcp = (body: unknown) => app.request('/mcp', post(body, { accept: 'application/json, text/event-stream' }));
    const badCall = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'resolve_entity', arguments: 'metformin' } };
    const bigBatch = Array.from({ length: 21 }, (_, i) => ({ ...badCall, id: i }));
    const first = await mcp(badCall);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ error: { code: -32602 } });
    expect((await mcp(bigBatch)).status).toBe(400);
    expect((await mcp(badCall)).status).toBe(200);
    // Three requests in the minute: the fourth is refused, whatever it holds.
    const limited = await mcp(badCall);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await mcp(bigBatch)).status).toBe(429);
  });

  it('rate-limits by token name after authentication; another token has its own budget; failed guesses are throttled', async () => {
    const tokens = [{ name: 'alice', token: 'alice-token-0123456789' }, { name: 'bob', token: 'bob-token-0123456789ab' }];
    const app = makeApp({}, { rateLimitPerMin: 2, apiTokens: tokens });
    const as = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    const alice = [];
    for (let i = 0; i < 3; i++) alice.push((await app.request('/v1/models', as(tokens[0].token))).status);
    expect(alice).toEqual([200, 200, 429]);
    expect((await app.request('/v1/models', as(tokens[1].token))).status).toBe(200);
    // Guessing tokens: 401s until the address has failed 20 times in a minute, then 429 before any comparison.
    const guesses: number[] = [];
    for (let i = 0; i < 22; i++) guesses.push((await app.request('/v1/models', as(`guess-${i}-0123456789abcdef`))).status);
    expect(guesses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(guesses.slice(20)).toEqual([429, 429]);
  });

  it('sends CORS headers only for configured origins', async () => {
    const app = makeApp({}, { corsOrigins: ['https://webui.example'] });
    const ok = await app.request('/v1/models', { headers: { origin: 'https://webui.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://webui.example');
    const pre = await app.request('/v1/chat', { method: 'OPTIONS', headers: { origin: 'https://webui.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    const other = await app.request('/v1/models', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const off = await makeApp().request('/v1/models', { headers: { origin: 'https://webui.example' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers unknown routes with a JSON 404 and echoes a given request id', async () => {
    const r = await makeApp().request('/nope', { headers: { 'x-request-id': 'req-123' } });
    expect(r.status).toBe(404);
    expect(r.headers.get('x-request-id')).toBe('req-123');
    expect(await r.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /nope', request_id: 'req-123' } });
  });

  it('serves the web page with a nonce-based CSP', async () => {
    const r = await makeApp().request('/');
    const html = await r.text();
    const csp = r.headers.get('content-security-policy')!;
    const nonce = /nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    // A fresh nonce per response.
    expect((await makeApp().request('/')).headers.get('content-security-policy')).not.toBe(csp);
  });

  it('sends security headers on API answers and errors too', async () => {
    for (const r of [await makeApp().request('/v1/models'), await makeApp({}, { apiToken: TOKEN }).request('/v1/models')]) {
      expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
