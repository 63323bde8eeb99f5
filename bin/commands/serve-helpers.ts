import fs from 'node:fs';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type Database from 'better-sqlite3';
import type { ChatAgent } from '../../agent/types.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/log.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { evidenceStoreFromConfig } from '../../kb/corpus/from-config.js';
import type { EvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { KnowledgeBaseError, openKnowledgeBase } from '../../kb/open.js';
import { checkSafetyTool } from '../../tools/check-safety.js';
import { createServer } from '../../mcp-server/server.js';
import { evidenceTools } from '../../tools/evidence-tools.js';
import { graphTools } from '../../tools/graph-tools.js';
import { recommendDrugsTool } from '../../tools/recommend-drugs.js';
import type { ToolDeps, ToolSpec } from '../../tools/spec.js';
import { DEFAULT_RULES_DIR, ruleFiles, rulesHash } from '../../kb/sources/safety.js';
import { buildWithProgress } from './kb.js';

/**
 * Why the knowledge base must be (re)built before serving: missing, built by another schema
 * version, or built from other safety rule tables. Undefined when it is current.
 */
function rebuildReason(kbPath: string): string | undefined {
  if (!fs.existsSync(kbPath)) return `${kbPath} is missing`;
  let db;
  try {
    db = openKnowledgeBase(kbPath);
  } catch (err) {
    // An older schema is rebuilt; a corrupt or foreign file is not overwritten: opening it fails with the fix.
    return /has schema version/.test((err as Error).message) ? (err as Error).message : undefined;
  }
  try {
    const stored = db.prepare("SELECT value FROM meta WHERE key = 'safety_rules_hash'").pluck().get() as string | undefined;
    const dir = DEFAULT_RULES_DIR;
    if (fs.existsSync(dir) && stored !== rulesHash(dir, ruleFiles(dir))) return 'the safety rule tables changed since it was built';
    return undefined;
  } finally {
    db.close();
  }
}

/** Everything the serving commands (start, mcp, chat, ask) share, opened from configuration. */
export interface ServeContext {
  db: Database.Database;
  graph: GraphStore;
  toolDeps: ToolDeps;
  tools: ToolSpec[];
  agent?: ChatAgent;
  agentUnavailableReason?: string;
  makeMcpServer: () => McpServer;
  /** A trivial KB query; throws when the knowledge base cannot answer. */
  checkKb: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Builds the chat agent from configuration (model, checkpointer, mode). Loaded on use: the
 * LangGraph stack is only needed by start, chat and ask. A bad agent setting fails here, at start-up.
 */
async function loadAgent(config: Config, tools: ToolSpec[], toolDeps: ToolDeps, log: Logger): Promise<ChatAgent & { close(): Promise<void> | void }> {
  const { createAgentFromConfig } = await import('../../agent/index.js');
  return createAgentFromConfig(config, toolDeps, { tools, log });
}

/**
 * The agent on worker threads (`kedrec start`): turns run off the HTTP event loop, on every core.
 * Start-up waits until every worker has opened its knowledge base and agent, so a bad setting
 * still fails at start-up with the worker's reason.
 */
async function loadWorkerPool(config: Config, size: number, log: Logger): Promise<ChatAgent & { close(): Promise<void> | void }> {
  const { createWorkerPoolAgent } = await import('../../agent/worker-pool.js');
  const pool = createWorkerPoolAgent({ workerUrl: new URL('../agent-worker.mjs', import.meta.url), workerData: config, size, turnTimeoutMs: config.KEDREC_TURN_TIMEOUT_MS, log });
  try {
    await pool.ready();
  } catch (err) {
    await pool.close();
    throw new Error(`the agent workers could not start: ${(err as Error).message}`);
  }
  // The pool's own close, captured: after the assign, pool.close is the wrapper (calling it there recursed).
  const closePool = pool.close.bind(pool);
  return Object.assign(pool, { close: () => void closePool() });
}

/**
 * Opens the knowledge base (building it first when `buildIfMissing` and the file is absent),
 * the graph store of the configured backend, the evidence store (live clients and dense search
 * as configured), the tool list of this build and, when asked, the agent. `log` is the entry
 * point's logger, passed on to the evidence store, the agent and the worker pool.
 */
export async function openServeContext(
  config: Config,
  opts: { log: Logger; buildIfMissing?: boolean; withAgent?: boolean; workers?: number },
): Promise<ServeContext> {
  const log = opts.log;
  if (opts.buildIfMissing) {
    const why = rebuildReason(config.KEDREC_KB_PATH);
    if (why) {
      log.warn('building the knowledge base before serving', { kbPath: config.KEDREC_KB_PATH, reason: why });
      // The build's progress and summary are the command's output to the person waiting, not log lines.
      process.stderr.write(`${buildWithProgress(config.KEDREC_DATA_DIR, config.KEDREC_KB_PATH, config.KEDREC_NONCOMMERCIAL)}\n`);
    }
  }
  const db = openKnowledgeBase(config.KEDREC_KB_PATH);
  let graph: GraphStore;
  try {
    graph =
      config.KEDREC_GRAPH_BACKEND === 'neo4j'
        ? // Loaded only when chosen: neo4j-driver alone costs ~0.5 s of start-up.
          await (await import('../../kb/graph/neo4j-store.js')).openNeo4jGraphStore({
            uri: config.NEO4J_URI ?? (() => { throw new Error('KEDREC_GRAPH_BACKEND=neo4j needs NEO4J_URI'); })(),
            user: config.NEO4J_USER,
            password: config.NEO4J_PASSWORD,
            database: config.NEO4J_DATABASE,
            timeoutMs: config.KEDREC_QUERY_TIMEOUT_MS,
          })
        : createSqliteGraphStore(db);
  } catch (err) {
    db.close();
    throw err;
  }

  let evidence: EvidenceStore | undefined;
  try {
    // Offline corpus always; live APIs (KEDREC_LIVE) and Chroma (CHROMA_URL) as configured.
    evidence = evidenceStoreFromConfig(db, config, log);
  } catch (err) {
    // A graph-only KB still serves the graph tools; the evidence tools are left out rather than failing on every call.
    log.warn('evidence store unavailable; the evidence tools are left out', { error: (err as Error).message });
  }
  let safety;
  try {
    // Stale rules would apply yesterday's safety table today: refuse, naming the fix.
    const opened = openSafetyEngine(db, graph);
    if (opened.stale) throw new KnowledgeBaseError(`knowledge base ${config.KEDREC_KB_PATH}: ${opened.stale}`);
    safety = opened.engine;
  } catch (err) {
    await graph.close().catch(() => {});
    db.close();
    throw err instanceof KnowledgeBaseError ? err : new KnowledgeBaseError(`knowledge base ${config.KEDREC_KB_PATH}: ${(err as Error).message}`);
  }
  const toolDeps: ToolDeps = { graph, evidence, safety };

  const tools: ToolSpec[] = [recommendDrugsTool, checkSafetyTool, ...graphTools, ...(evidence ? evidenceTools : [])];
  let agent: (ChatAgent & { close(): Promise<void> | void }) | undefined;
  try {
    agent = opts.withAgent ? (opts.workers ? await loadWorkerPool(config, opts.workers, log) : await loadAgent(config, tools, toolDeps, log)) : undefined;
  } catch (err) {
    await graph.close().catch(() => {});
    if (db.open) db.close();
    throw err;
  }

  return {
    db,
    graph,
    toolDeps,
    tools,
    agent,
    agentUnavailableReason: agent ? undefined : 'no chat agent in this process (the mcp command serves tools only)',
    makeMcpServer: () => createServer({ tools, toolDeps }),
    checkKb: async () => {
      await graph.resolve('aspirin', { limit: 1 });
    },
    close: async () => {
      await agent?.close();
      await graph.close().catch(() => {});
      if (db.open) db.close();
    },
  };
}
