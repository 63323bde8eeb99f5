import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SOURCES_RESOURCE_URI } from '../../mcp-server/server.js';
import { openTestDeps } from '../fixtures/serve-deps.js';

describe('MCP server over InMemoryTransport', () => {
  let deps: ReturnType<typeof openTestDeps>;
  let client: Client;

  beforeAll(async () => {
    deps = openTestDeps(inject('kbPath'));
    const server = deps.makeMcpServer();
    const [clientT, serverT] = InMemoryTransport.createLinkedPair();
    await server.connect(serverT);
    client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientT);
  });
  afterAll(async () => {
    await client?.close();
    await deps?.close();
  });

  it('lists every tool with its input schema (no output schemas: they were most of tools/list) and honest annotations', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const spec of deps.tools) expect(names).toContain(spec.name);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema).toBeUndefined();
      expect(t.annotations?.readOnlyHint).toBe(true);
      expect(t.description!.length).toBeGreaterThan(40);
    }
    expect(tools.find((t) => t.name === 'resolve_entity')!.annotations?.openWorldHint).toBe(false);
    // search_trials may reach ClinicalTrials.gov live: the annotation must say so.
    const trials = tools.find((t) => t.name === 'search_trials');
    if (trials) expect(trials.annotations?.openWorldHint).toBe(true);
    expect(JSON.stringify(tools).length).toBeLessThan(30_000);
  });

  it('answers a graph tool with structuredContent and a text rendering', async () => {
    const r = await client.callTool({ name: 'find_drugs_for_condition', arguments: { condition: 'type 2 diabetes mellitus', limit: 5 } });
    expect(r.isError).toBeFalsy();
    const sc = r.structuredContent as { condition: { id: string }; drugs: { drug: { name: string } }[] };
    expect(sc.condition.id).toBe('DOID:9352');
    expect(sc.drugs.length).toBeGreaterThan(0);
    const text = (r.content as { type: string; text: string }[])[0]!.text;
    expect(text).toContain('DOID:9352');
  });

  it('turns a misnamed argument into an isError result listing the valid names', async () => {
    const r = await client.callTool({ name: 'find_drugs_for_condition', arguments: { condition: 'asthma', lmit: 3 } });
    expect(r.isError).toBe(true);
    const text = (r.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/unknown argument.*"lmit"/);
    expect(text).toContain('valid arguments are: condition, relations, tiers, limit');
  });

  it('names a missing required argument in an isError result', async () => {
    // The SDK validates required fields against the advertised schema before our handler runs.
    const r = await client.callTool({ name: 'find_drugs_for_condition', arguments: { disease: 'asthma' } });
    expect(r.isError).toBe(true);
    expect((r.content as { text: string }[])[0]!.text).toContain('condition');
  });

  it('turns an out-of-range argument and an unknown entity into isError results', async () => {
    const bad = await client.callTool({ name: 'find_drugs_for_condition', arguments: { condition: 'asthma', limit: 5000 } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]!.text).toContain('limit');
    const unknown = await client.callTool({ name: 'get_drug_profile', arguments: { drug: 'zzqqxx-not-a-drug' } });
    expect(unknown.isError).toBe(true);
  });

  it('answers an unknown tool with an error, not a crash', async () => {
    const r = await client.callTool({ name: 'no_such_tool', arguments: {} }).catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
    expect(r.isError).toBe(true);
    // The connection still works afterwards.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('serves the sources/licenses resource and the case-discussion prompt', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(SOURCES_RESOURCE_URI);
    const res = await client.readResource({ uri: SOURCES_RESOURCE_URI });
    const text = (res.contents[0] as { text: string }).text;
    expect(text).toContain('| hetionet');
    expect(text).toMatch(/CC0|CC BY/);

    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('case_discussion');
    const p = await client.getPrompt({ name: 'case_discussion', arguments: { conditions: 'type 2 diabetes mellitus', medications: 'warfarin' } });
    const msg = p.messages[0]!.content as { type: string; text: string };
    expect(msg.text).toContain('type 2 diabetes mellitus');
    expect(msg.text).toContain('warfarin');
    expect(msg.text).toContain('check_interactions');
  });
});
