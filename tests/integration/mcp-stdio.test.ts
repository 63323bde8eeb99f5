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
      // LOG_LEVEL info: the tests read the server's info lines on stderr.
      env: { ...(process.env as Record<string, string>), KEDREC_KB_PATH: inject('kbPath'), LOG_LEVEL: 'info' },
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

/** A JSON-RPC message as the server writes it: a reply carries `result` or `error`. */
interface RpcMessage {
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

/** The raw protocol, as a misbehaving client would speak it: one JSON-RPC message per line. */
describe('kedrec mcp with malformed input', () => {
  async function session(lines: string[], waitMs = 1500): Promise<{ out: RpcMessage[]; err: string; code: number | null }> {
    const { spawn } = await import('node:child_process');
    const env = { ...process.env, KEDREC_KB_PATH: inject('kbPath'), LOG_LEVEL: 'info' };
    const p = spawn(process.execPath, [path.resolve('bin/kedrec.mjs'), 'mcp'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    // The oversize test's process exits while the line is still being written.
    p.stdin.on('error', () => {});
    await new Promise<void>((resolve) => p.stderr.on('data', () => err.includes('ready on stdio') && resolve()));
    for (const l of lines) p.stdin.write(`${l}\n`);
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        p.kill();
        resolve(null);
      }, waitMs);
      p.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    return { out: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RpcMessage), err, code };
  }
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

  it('answers a malformed line with a parse error and bad tool params with -32602, and keeps serving', async () => {
    const r = await session([
      init,
      'this is not json',
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'resolve_entity', arguments: ['metformin'] } }),
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'resolve_entity', arguments: { query: 'metformin' } } }),
    ]);
    expect(r.out.find((m) => m.id === null)?.error?.code).toBe(-32700);
    expect(r.out.find((m) => m.id === 2)?.error).toMatchObject({ code: -32602, message: expect.stringMatching(/arguments must be an object .* not an array/) });
    expect(JSON.stringify(r.out.find((m) => m.id === 3)?.result)).toContain('DB00331');
  }, 30_000);

  it('a line over the 10 MiB limit ends the process with a message and a non-zero code', async () => {
    const r = await session([init, `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}}`], 15_000);
    expect(r.err).toMatch(/exceeded the 10 MiB limit/);
    expect(r.code).toBe(1);
  }, 30_000);
});
