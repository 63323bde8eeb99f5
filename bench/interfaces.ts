import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openEvalKb } from '../evals/kb.js';
import { createServer } from '../mcp-server/server.js';
import { createApp } from '../server/app.js';
import { silentLogger } from '../lib/log.js';
import { evidenceTools } from '../tools/evidence-tools.js';
import { graphTools } from '../tools/graph-tools.js';
import type { ToolDeps } from '../tools/spec.js';
import { listen } from '../lib/net.js';
import { childProcessEnv } from '../lib/server-process.js';
import { percentile } from './stats.js';
import { loadConfig } from '../config.js';
import { scriptedAgent } from '../agent/scripted-agent.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const round = (x: number) => Math.round(x * 100) / 100;

const GRAPH_CALLS = [
  { name: 'resolve_entity', arguments: { query: 'metformin' } },
  { name: 'find_drugs_for_condition', arguments: { condition: 'DOID:9352', limit: 10 } },
  { name: 'check_interactions', arguments: { drugs: ['warfarin', 'aspirin', 'metformin'] } },
  { name: 'get_drug_profile', arguments: { drug: 'DB00331' } },
];

/** MCP tool round trips over Streamable HTTP (graph tools), after a warm-up. */
async function mcpHttpRoundTrip(kbPath: string, n: number): Promise<{ p50: number; p95: number; errors: number }> {
  // The benchmark KB always has the corpus: the offline KB parts the evaluations open.
  const kb = openEvalKb(kbPath, silentLogger);
  const toolDeps: ToolDeps = { graph: kb.graph, evidence: kb.evidence, safety: kb.safety };
  const tools = [...graphTools, ...evidenceTools];
  const { app } = createApp({
    makeMcpServer: () => createServer({ tools, toolDeps }),
    checkKb: async () => {},
    options: { allowedHosts: ['127.0.0.1', 'localhost'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 1_000_000 },
    log: silentLogger,
  });
  const server = await listen(app);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  let errors = 0;
  try {
    for (let i = 0; i < 20; i++) await client.callTool(GRAPH_CALLS[i % GRAPH_CALLS.length]);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await client.callTool(GRAPH_CALLS[i % GRAPH_CALLS.length]);
      times.push(performance.now() - t0);
      if (r.isError) errors += 1;
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p95: percentile(times, 95), errors };
  } finally {
    await client.close();
    await server.close();
    await kb.graph.close().catch(() => {});
    if (kb.db.open) kb.close();
  }
}

/** Spawn `kedrec mcp` (stdio) to the first tool answer; the median of `runs`. */
async function coldStart(kbPath: string, runs: number): Promise<{ median: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(repoRoot, 'bin/kedrec.mjs'), 'mcp'],
      env: childProcessEnv({ KEDREC_KB_PATH: kbPath }),
      stderr: 'ignore',
    });
    const client = new Client({ name: 'bench-cold', version: '1' });
    await client.connect(transport);
    const r = await client.callTool({ name: 'resolve_entity', arguments: { query: 'metformin' } });
    times.push(performance.now() - t0);
    await client.close();
    if (r.isError) throw new Error('cold-start tool call failed');
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), max: times[times.length - 1] };
}

/** /v1/chat with the scripted agent: `clients` concurrent loops for `seconds`. */
async function chatThroughput(clients: number, seconds: number): Promise<{ rps: number; p50: number; p95: number; requests: number; errors: number }> {
  const { app } = createApp({
    agent: scriptedAgent(),
    checkKb: async () => {},
    options: { allowedHosts: ['127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 1_000_000 },
    log: silentLogger,
  });
  const server = await listen(app);
  const times: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let turn = 0;
      while (performance.now() < deadline) {
        const s = performance.now();
        try {
          const res = await fetch(`${server.url}/v1/chat`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ thread_id: `bench-${c}-${Math.floor(turn / 2)}`, message: turn % 2 ? 'she also takes warfarin' : 'type 2 diabetes' }),
          });
          const text = await res.text();
          if (res.status !== 200 || !text.includes('event: final')) errors += 1;
        } catch {
          errors += 1;
        }
        times.push(performance.now() - s);
        turn += 1;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await server.close();
  times.sort((a, b) => a - b);
  return { rps: times.length / elapsed, p50: percentile(times, 50), p95: percentile(times, 95), requests: times.length, errors };
}

/**
 * Interface numbers: MCP round trip over HTTP (graph tools, p50/p95 ms), cold start of the stdio
 * server to its first tool answer (ms), and /v1/chat throughput with 16 concurrent clients over
 * a scripted agent (requests/s, p50/p95 ms, errors). Targets: MCP p95 < 20 ms, cold start < 1.5 s,
 * zero errors.
 */
export async function runInterfacesBench(opts: {
  kbPath: string;
  mcpCalls?: number;
  coldStartRuns?: number;
  chatSeconds?: number;
}): Promise<Record<string, number>> {
  const mcp = await mcpHttpRoundTrip(opts.kbPath, opts.mcpCalls ?? 400);
  const cold = await coldStart(opts.kbPath, opts.coldStartRuns ?? 3);
  const chat = await chatThroughput(16, opts.chatSeconds ?? 5);
  return {
    mcp_http_roundtrip_p50_ms: round(mcp.p50),
    mcp_http_roundtrip_p95_ms: round(mcp.p95),
    mcp_http_tool_errors: mcp.errors,
    mcp_stdio_cold_start_ms: round(cold.median),
    mcp_stdio_cold_start_max_ms: round(cold.max),
    chat_16_clients_rps: round(chat.rps),
    chat_16_clients_p50_ms: round(chat.p50),
    chat_16_clients_p95_ms: round(chat.p95),
    chat_16_clients_requests: chat.requests,
    chat_16_clients_errors: chat.errors,
  };
}

// `npx tsx bench/interfaces.ts <kb.sqlite>` runs it alone.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const kbPath = process.argv[2] ?? loadConfig().KEDREC_KB_PATH;
  const r = await runInterfacesBench({ kbPath });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
