import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../lib/log.js';
import { listen } from '../../lib/net.js';
import { openTestDeps } from '../fixtures/serve-deps.js';

const TOKEN = 'mcp-http-test-token-0123456789';

/** Raw request with a chosen Host header (fetch does not let a caller set Host). */
function rawPost(port: number, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const initBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

describe('MCP over Streamable HTTP at /mcp', () => {
  let deps: ReturnType<typeof openTestDeps>;
  let server: Awaited<ReturnType<typeof listen>>;
  let client: Client;

  beforeAll(async () => {
    deps = openTestDeps(inject('kbPath'));
    const { app } = createApp({
      makeMcpServer: deps.makeMcpServer,
      checkKb: deps.checkKb,
      options: { apiToken: TOKEN, allowedHosts: ['localhost', '127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 1_000_000 },
      log: silentLogger,
    });
    server = await listen(app);
    client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await deps?.close();
  });

  it('lists and calls tools through the SDK client', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('check_interactions');
    const r = await client.callTool({ name: 'check_interactions', arguments: { drugs: ['warfarin', 'aspirin'] } });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { checkedPairs: number }).checkedPairs).toBe(1);
  });

  it('recommend_drugs and check_safety take typed patient factors and return exclusions with citations', async () => {
    const { tools } = await client.listTools();
    const rec = tools.find((t) => t.name === 'recommend_drugs')!;
    for (const field of ['pregnancy', 'renal', 'hepatic', 'allergies', 'comorbidities', 'current_medications', 'devices', 'qtc_ms', 'overrides']) expect(Object.keys(rec.inputSchema.properties ?? {}), field).toContain(field);
    expect(tools.map((t) => t.name)).toContain('check_safety');
    const r = await client.callTool({ name: 'recommend_drugs', arguments: { conditions: ['hypertension'], pregnancy: { pregnant: true, weeks: 20 }, detail: 'full' } });
    expect(r.isError).toBeFalsy();
    const out = r.structuredContent as {
      recommendations: { drug: { name: string } }[];
      excluded: { drug: { name: string }; rule?: string; citation?: { url?: string } }[];
    };
    const losartan = out.excluded.find((e) => e.drug.name === 'Losartan')!;
    expect(losartan.rule).toBeTruthy();
    expect(losartan.citation?.url).toMatch(/^https:\/\//);
    expect((r.content as { text: string }[])[0].text).toMatch(/Left out for this patient:\n(?:- .*\n)*- Losartan/);
    // By default a model gets the compact result: each drug's reason, flags and citable ids, the
    // safety exclusions by rule, and a fraction of the full result's size.
    const s = await client.callTool({ name: 'recommend_drugs', arguments: { conditions: ['hypertension'], pregnancy: { pregnant: true, weeks: 20 } } });
    const text = (s.content as { text: string }[])[0].text;
    expect(text).toMatch(/^1\. (?:Labetalol|Nifedipine|Methyldopa) \(DB\d{5}\) — First-line for hypertension in pregnancy/m);
    expect(text).toMatch(/cite: \[GUIDELINE:hypertension-pregnancy\]/);
    expect(text).toMatch(/Not for this patient:\n- [^\n]*Losartan[^\n]*contraindicated/);
    const sc = s.structuredContent as { recommendations: { cite: { id: string }[] }[]; not_for_patient: { name: string }[] };
    expect(sc.not_for_patient.some((e) => /Losartan/.test(e.name))).toBe(true);
    const size = (x: typeof r) => JSON.stringify(x.structuredContent).length + (x.content as { text: string }[])[0].text.length;
    expect(size(s)).toBeLessThan(size(r) / 3);
    const c = await client.callTool({ name: 'check_safety', arguments: { drugs: ['metformin'], renal: { egfr: 22 } } });
    expect((c.structuredContent as { results: { verdict: string }[] }).results[0].verdict).toBe('excluded');
    const bad = await client.callTool({ name: 'check_safety', arguments: { drugs: ['metformin'], renal: { egfr: 'low' } } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0].text).toMatch(/renal\.egfr/);
  });

  it('returns isError for invalid arguments and keeps serving', async () => {
    const r = await client.callTool({ name: 'check_interactions', arguments: { drugs: ['warfarin'] } });
    expect(r.isError).toBe(true);
    expect((r.content as { text: string }[])[0]!.text).toMatch(/drugs/);
    expect((await client.listPrompts()).prompts[0]!.name).toBe('case_discussion');
  });

  it('rejects a foreign Host or Origin (DNS rebinding) with 403', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const evilHost = await rawPost(server.port, { ...auth, host: 'attacker.example:8787' }, initBody);
    expect(evilHost.status).toBe(403);
    expect(evilHost.body).toContain('KEDREC_ALLOWED_HOSTS');
    const evilOrigin = await rawPost(server.port, { ...auth, host: `localhost:${server.port}`, origin: 'https://attacker.example' }, initBody);
    expect(evilOrigin.status).toBe(403);
    const ok = await rawPost(server.port, { ...auth, host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` }, initBody);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).result.serverInfo.name).toBe('kedrec');
  });

  it('requires the bearer token', async () => {
    const r = await rawPost(server.port, { host: `127.0.0.1:${server.port}` }, initBody);
    expect(r.status).toBe(401);
  });
});
