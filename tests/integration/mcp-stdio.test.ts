import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

describe('kedrec mcp (spawned stdio process)', () => {
  let client: Client;
  let transport: StdioClientTransport;
  const stderr: string[] = [];

  beforeAll(async () => {
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.resolve('bin/kedrec.mjs'), 'mcp'],
      env: { ...(process.env as Record<string, string>), KEDREC_KB_PATH: inject('kbPath') },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
  });

  it('answers tools over stdio, with logs on stderr only', async () => {
    const r = await client.callTool({ name: 'resolve_entity', arguments: { query: 'metformin' } });
    expect(r.isError).toBeFalsy();
    expect(JSON.stringify(r.structuredContent)).toContain('DB00331');
    // Anything non-JSON-RPC on stdout would have broken the connection before this point.
    expect(stderr.join('')).toContain('kedrec mcp:');
  });

  it('returns isError for bad arguments instead of crashing the process', async () => {
    const r = await client.callTool({ name: 'resolve_entity', arguments: { query: 'metformin', kind: 'Nope' } });
    expect(r.isError).toBe(true);
    const again = await client.callTool({ name: 'resolve_entity', arguments: { query: 'aspirin' } });
    expect(again.isError).toBeFalsy();
  });
});
