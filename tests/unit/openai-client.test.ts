import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../lib/log.js';
import { listen } from '../../lib/net.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';

/** The OpenAI-compatible API through the `openai` npm client itself, as chat front-ends call it. */
let server: Awaited<ReturnType<typeof listen>>;
let client: OpenAI;

beforeAll(async () => {
  const { app } = createApp({
    agent: scriptedAgent(),
    checkKb: async () => {},
    options: { allowedHosts: ['localhost', '127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
    log: silentLogger,
  });
  server = await listen(app);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('openai client', () => {
  it('streams the answer in several deltas, then the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'kedrec',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'type 2 diabetes, she is pregnant' }],
    });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta.content;
      if (d) deltas.push(d);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.length).toBeGreaterThan(3);
    const text = deltas.join('');
    expect(text).toMatch(/1\. \*\*Metformin\*\* — /);
    expect(text).toMatch(/\*\*Losartan\*\* — contraindicated/);
    expect(text.match(/Evidence-only answer/g)).toHaveLength(1);
    expect(usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('answers non-streaming with the compact answer and no non-standard field', async () => {
    const r = await client.chat.completions.create({ model: 'kedrec', messages: [{ role: 'user', content: 'type 2 diabetes' }] });
    expect(r.choices[0]!.message.content).toMatch(/Sources: \[indication: PharmacotherapyDB\]|Sources: /);
    expect(r).not.toHaveProperty('kedrec');
  });

  it('a title task gets a title', async () => {
    const r = await client.chat.completions.create({ model: 'kedrec', messages: [{ role: 'user', content: '### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n### Chat History:\n<chat_history>\nUSER: asthma in a 9-year-old\n</chat_history>' }] });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ title: 'Asthma in a 9-year-old' });
  });
});
