import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../lib/log.js';
import { createSlackEventStore } from '../../server/slack-store.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';
import { readSlackFixture, startSlackApiStandIn } from '../fixtures/slack-api.js';

const SECRET = 'test-signing-secret-0123456789';
const BOT = 'xoxb-test-bot-token';

function signed(body: string, ts = Math.floor(Date.now() / 1000), secret = SECRET): RequestInit {
  const sig = `v0=${crypto.createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, body };
}

describe('POST /slack/events against a local Slack Web API stand-in', () => {
  let api: Awaited<ReturnType<typeof startSlackApiStandIn>>;
  let http: ReturnType<typeof createApp>;

  beforeAll(async () => {
    api = await startSlackApiStandIn(BOT);
    http = createApp({
      agent: scriptedAgent({ delayMs: 5 }),
      checkKb: async () => {},
      options: { allowedHosts: ['localhost'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
      slack: { signingSecret: SECRET, botToken: BOT, apiUrl: api.url },
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await http?.idle();
    await api?.close();
  });

  it('answers url_verification with the challenge', async () => {
    const { raw, json } = readSlackFixture<{ challenge: string }>('slack__url-verification__slack-docs.json');
    const r = await http.app.request('/slack/events', signed(raw));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ challenge: json.challenge });
  });

  it('rejects bad signatures and stale timestamps with 401', async () => {
    const { raw } = readSlackFixture('slack__url-verification__slack-docs.json');
    const bad = await http.app.request('/slack/events', signed(raw, undefined, 'wrong-secret'));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_signature' } });
    const stale = await http.app.request('/slack/events', signed(raw, Math.floor(Date.now() / 1000) - 600));
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: 'stale_timestamp' } });
    expect(api.posted).toHaveLength(0);
  });

  it('acknowledges an app_mention at once and replies in its thread; a retry is not answered twice', async () => {
    const { json } = readSlackFixture<{ event: { text: string; ts: string; channel: string }; event_id: string }>('slack__app-mention-event-callback__python-slack-sdk.json');
    json.event.text = '<@U111> type 2 diabetes, she takes warfarin';
    const body = JSON.stringify(json);
    const t0 = performance.now();
    const r = await http.app.request('/slack/events', signed(body));
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3000);
    // Slack redelivers an event whose ack it did not see.
    expect((await http.app.request('/slack/events', signed(body))).status).toBe(200);
    const [msg] = await api.waitFor(1);
    await http.idle();
    expect(api.posted).toHaveLength(1);
    expect(msg!.body.channel).toBe('C111');
    expect(msg!.body.thread_ts).toBe('1610241741.000200');
    expect(msg!.body.text).toContain('Metformin');
    expect(msg!.body.text).toContain('Warfarin + Metformin');
  });

  it('a Slack answer lists what was left out for the patient', async () => {
    const before = api.posted.length;
    const body = JSON.stringify({ type: 'event_callback', team_id: 'T111', event_id: 'Ev-preg', event: { type: 'app_mention', channel: 'C333', user: 'U1', text: '<@U111> type 2 diabetes, she is pregnant', ts: '1700000001.000100' } });
    expect((await http.app.request('/slack/events', signed(body))).status).toBe(200);
    await http.idle();
    const posted = (await api.waitFor(before + 1)).at(-1)!;
    expect(posted.body.text).toContain('*Not for this patient*');
    expect(posted.body.text).toContain('*Losartan* — contraindicated');
    // Block Kit: a section per drug, flags apart, sources as a context block; within Slack's limits.
    const blocks = posted.body.blocks as { type: string; text?: { text: string }; elements?: { text: string }[] }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(blocks.some((b) => b.type === 'section' && /\*1\. Metformin\*/.test(b.text?.text ?? ''))).toBe(true);
    expect(blocks.some((b) => b.type === 'section' && /Not for this patient[\s\S]*Losartan/.test(b.text?.text ?? ''))).toBe(true);
    expect(blocks.some((b) => b.type === 'context' && b.elements!.some((e) => /<https:\/\/clinicaltrials\.gov\/study\/NCT\d{8}\|NCT\d{8}>/.test(e.text)))).toBe(true);
  });

  it('a direct message is one conversation: a top-level follow-up keeps the case, "new case" starts over', async () => {
    const dm = (text: string, ts: string) =>
      JSON.stringify({
        type: 'event_callback',
        team_id: 'T111',
        event_id: `Ev-top-${ts}`,
        event: { type: 'message', channel_type: 'im', channel: 'D333', user: 'U333', text, ts },
      });
    const before = api.posted.length;
    await http.app.request('/slack/events', signed(dm('type 2 diabetes', '1700000200.000100')));
    await api.waitFor(before + 1);
    await http.app.request('/slack/events', signed(dm('she also takes warfarin', '1700000201.000100')));
    const second = (await api.waitFor(before + 2)).at(-1)!.body;
    expect(second.thread_ts).toBeUndefined();
    expect(second.text).toMatch(/type 2 diabetes[^\n]*takes warfarin/i);
    await http.app.request('/slack/events', signed(dm('new case', '1700000202.000100')));
    expect((await api.waitFor(before + 3)).at(-1)!.body.text).toMatch(/Started a new case/);
    await http.app.request('/slack/events', signed(dm('asthma', '1700000203.000100')));
    const fresh = (await api.waitFor(before + 4)).at(-1)!.body.text as string;
    expect(fresh).not.toMatch(/diabetes|warfarin/i);
  });

  it('handles a direct message and keeps the Slack thread as one conversation; ignores bot messages', async () => {
    const dm = (text: string, ts: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        type: 'event_callback',
        team_id: 'T111',
        event_id: `Ev-${ts}`,
        event: { type: 'message', channel_type: 'im', channel: 'D222', user: 'U222', text, ts, thread_ts: '1700000000.000100', ...extra },
      });
    const before = api.posted.length;
    await http.app.request('/slack/events', signed(dm('type 2 diabetes', '1700000000.000100')));
    await api.waitFor(before + 1);
    await http.app.request('/slack/events', signed(dm('also on warfarin', '1700000001.000100')));
    await api.waitFor(before + 2);
    await http.app.request('/slack/events', signed(dm('bot echo', '1700000002.000100', { bot_id: 'B1' })));
    await http.idle();
    expect(api.posted).toHaveLength(before + 2);
    const second = api.posted[before + 1]!.body;
    expect(second.thread_ts).toBe('1700000000.000100');
    // The second turn knew the diabetes from the first: same conversation.
    expect(second.text).toMatch(/type 2 diabetes[^\n]*takes warfarin/i);
  });
});

describe('Slack replies that fail to post', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-slack-retry-'));
  const retry = { firstDelayMs: 20, maxDelayMs: 40, maxAttempts: 4 };
  const mention = (id: string, text: string, ts: string) =>
    JSON.stringify({ type: 'event_callback', team_id: 'T111', event_id: id, event: { type: 'app_mention', channel: 'C444', user: 'U1', text, ts } });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('are posted again on a timer, from the stored reply: the agent answers once, and no further event is needed', async () => {
    const api = await startSlackApiStandIn(BOT);
    const file = path.join(tmp, 'retry.sqlite');
    const store = createSlackEventStore(file);
    const agent = scriptedAgent();
    const http = createApp({
      agent,
      checkKb: async () => {},
      options: { allowedHosts: ['localhost'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
      slack: { signingSecret: SECRET, botToken: BOT, apiUrl: api.url, store, retry },
      log: silentLogger,
    });
    // Slack refuses the first two posts; nothing else arrives.
    api.failNext(2);
    expect((await http.app.request('/slack/events', signed(mention('Ev-retry', '<@U111> type 2 diabetes', '1700000100.000100')))).status).toBe(200);
    const [msg] = await api.waitFor(1);
    await http.idle();
    expect(api.attempts).toBe(3);
    expect(agent.turns).toBe(1);
    expect(msg!.body).toMatchObject({ channel: 'C444', thread_ts: '1700000100.000100', text: expect.stringContaining('Metformin') });
    // Answered: the event id is kept (de-duplication), the patient text and reply are not.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT status, attempts, payload, reply FROM slack_events WHERE id = ?').get('Ev-retry')).toEqual({ status: 'done', attempts: 2, payload: '{}', reply: null });
    db.close();
    await http.close();
    store.close();
    await api.close();
  });

  it('a reply stored before a restart is posted by the next process without a new turn', async () => {
    const api = await startSlackApiStandIn(BOT);
    const file = path.join(tmp, 'restart.sqlite');
    const first = createSlackEventStore(file);
    first.insertIfNew('Ev-stored', { event: { type: 'app_mention', text: '<@U111> hypertension', channel: 'C555', ts: '1700000200.000100' }, teamId: 'T111' });
    first.saveReply('Ev-stored', { channel: 'C555', thread_ts: '1700000200.000100', text: 'the reply rendered before the crash' });
    first.markFailed('Ev-stored', 'chat.postMessage failed: service_unavailable', { maxAttempts: 4 });
    first.close();
    const store = createSlackEventStore(file);
    const agent = scriptedAgent();
    const http = createApp({
      agent,
      checkKb: async () => {},
      options: { allowedHosts: ['localhost'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
      slack: { signingSecret: SECRET, botToken: BOT, apiUrl: api.url, store, retry },
      log: silentLogger,
    });
    const [msg] = await api.waitFor(1);
    await http.idle();
    expect(msg!.body).toMatchObject({ channel: 'C555', text: 'the reply rendered before the crash' });
    expect(agent.turns).toBe(0);
    await http.close();
    store.close();
    await api.close();
  });

  it('a backlog larger than one batch is answered in full after a restart', async () => {
    const api = await startSlackApiStandIn(BOT);
    const file = path.join(tmp, 'backlog.sqlite');
    const first = createSlackEventStore(file);
    for (let i = 0; i < 120; i++) first.insertIfNew(`Ev-b${i}`, { event: { type: 'app_mention', text: '<@U111> hypertension', channel: 'C666', ts: `1700000300.${String(i).padStart(6, '0')}` }, teamId: 'T111' });
    first.close();
    const store = createSlackEventStore(file);
    const http = createApp({
      agent: scriptedAgent(),
      checkKb: async () => {},
      options: { allowedHosts: ['localhost'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
      slack: { signingSecret: SECRET, botToken: BOT, apiUrl: api.url, store, retry },
      log: silentLogger,
    });
    await http.idle();
    expect(api.posted).toHaveLength(120);
    expect(store.nextDueAt()).toBeUndefined();
    await http.close();
    store.close();
    await api.close();
  });
});
