import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { buildDefaultKnowledgeBase } from '../../kb/steps.js';

/** Prints a flat record of figures, one per line, for parts that return rather than print. */
function printFlat(r: Record<string, number>, log: (s: string) => void): void {
  for (const [k, v] of Object.entries(r)) log(`  ${k.padEnd(32)} ${v}`);
}

const PARTS = ['graph', 'retrieval', 'agent', 'interfaces', 'parsers', 'load', 'model'] as const;
type Part = (typeof PARTS)[number];

/** The flags of `kedrec bench`, as commander parses them. */
interface BenchFlags {
  data?: string;
  kb?: string;
  json?: boolean;
  backend: string;
  seconds?: string;
  connections?: string;
  threads?: string;
  check?: boolean;
}

/**
 * `kedrec bench [part…]` (also `npm run bench -- part`): the project's performance and quality
 * benchmarks. The graph part builds a fresh KB (build time is one of its figures); the others
 * reuse one built KB. Results print as they come and, with --json, as one object on stdout.
 */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`run benchmarks: ${PARTS.join(', ')} (default: all)`)
    .argument('[parts...]', `parts to run (${PARTS.join(', ')})`)
    .option('--data <dir>', 'source data directory (default: KEDREC_DATA_DIR)')
    .option('--kb <file>', 'use this knowledge base instead of building one (graph: skips the build measurement)')
    .option('--json', 'print all results as one JSON object on stdout')
    .option('--backend <name>', 'graph: sqlite, neo4j (NEO4J_URI, loaded with `kedrec kb push-neo4j`) or both, side by side', 'sqlite')
    .option('--seconds <n>', 'load: duration in seconds (default 60)')
    .option('--connections <n>', 'load: concurrent chat clients (default 32)')
    .option('--threads <n>', 'load: conversations (default 200)')
    .option('--check', 'fail (exit 1) when a gate fails: parsers not linear in their input; retrieval below its quality floors, or dense/hybrid not run')
    .action(async (parts: string[], opts: BenchFlags) => {
      const backends = { sqlite: ['sqlite'], neo4j: ['neo4j'], both: ['sqlite', 'neo4j'] }[opts.backend] as ('sqlite' | 'neo4j')[] | undefined;
      if (!backends) throw new Error(`--backend must be sqlite, neo4j or both, got ${JSON.stringify(opts.backend)}`);
      const bad = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
      if (bad.length) throw new Error(`unknown bench part(s) ${bad.join(', ')}; valid parts: ${PARTS.join(', ')}`);
      // The load part runs a minute against a server process: only when asked for.
      const selected: Part[] = parts.length ? (parts as Part[]) : PARTS.filter((p) => p !== 'load' && p !== 'model');
      const num = (name: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
        return n;
      };
      const config = loadConfig();
      const dataDir = opts.data ?? config.KEDREC_DATA_DIR;
      // The benches' progress and figures are this command's output (plain text on stderr; --json on stdout), not log records.
      const log = (s: string) => process.stderr.write(`${s}\n`);
      const results: Record<string, unknown> = {};
      // Gates that failed (--check): quality floors and growth shapes, never wall-clock limits.
      const failures: string[] = [];
      let kbPath = opts.kb;
      let tmp: string | undefined;
      const ensureKb = () => {
        if (kbPath) return kbPath;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-bench-kb-'));
        kbPath = path.join(tmp, 'kb.sqlite');
        log(`building a knowledge base for the benchmarks in ${kbPath} …`);
        buildDefaultKnowledgeBase({ dataDir, outPath: kbPath });
        return kbPath;
      };
      try {
        for (const part of selected) {
          log(`\n== bench: ${part}`);
          if (part === 'graph') {
            const { runGraphBench } = await import('../../bench/graph.js');
            const neo4j = config.NEO4J_URI
              ? {
                  uri: config.NEO4J_URI,
                  user: config.NEO4J_USER,
                  password: config.NEO4J_PASSWORD,
                  database: config.NEO4J_DATABASE,
                  timeoutMs: config.KEDREC_QUERY_TIMEOUT_MS,
                }
              : undefined;
            results.graph = await runGraphBench({ dataDir, kbPath: opts.kb, skipBuild: !!opts.kb, backends, neo4j, progress: log });
          } else if (part === 'retrieval') {
            const { runRetrievalBench } = await import('../../bench/retrieval.js');
            // Dense and hybrid need a real embedding model: an OpenAI-compatible server (KEDREC_EMBED_URL),
            // into Chroma when CHROMA_URL is set (a bench collection, rebuilt each run), else an exact in-memory index.
            const [{ embedderFromConfig }, { ChromaDenseIndex }] = await Promise.all([import('../../kb/corpus/from-config.js'), import('../../kb/corpus/chroma.js')]);
            const embedder = config.KEDREC_EMBED_URL ? embedderFromConfig(config) : undefined;
            const denseIndex =
              embedder && config.CHROMA_URL
                ? new ChromaDenseIndex({ url: config.CHROMA_URL, collection: `kedrec-bench-articles-${Date.now()}`, embedder })
                : undefined;
            try {
              const retrieval = await runRetrievalBench({
                kbPath: ensureKb(),
                buildDataDir: dataDir,
                print: log,
                embedder,
                denseIndex,
                denseMaxChars: config.KEDREC_EMBED_MAX_CHARS,
              });
              results.retrieval = retrieval;
              const { retrievalGate } = await import('../../bench/retrieval.js');
              failures.push(...retrievalGate(retrieval, { requireDense: !!opts.check }).map((f) => `retrieval: ${f}`));
            } finally {
              await denseIndex?.drop();
            }
          } else if (part === 'agent') {
            const { runAgentBench } = await import('../../bench/agent.js');
            results.agent = await runAgentBench({ kbPath: ensureKb() });
            printFlat(results.agent as Record<string, number>, log);
          } else if (part === 'interfaces') {
            const { runInterfacesBench } = await import('../../bench/interfaces.js');
            results.interfaces = await runInterfacesBench({ kbPath: ensureKb() });
            printFlat(results.interfaces as Record<string, number>, log);
          } else if (part === 'parsers') {
            const { runParserBench } = await import('../../bench/parsers.js');
            const parsers = runParserBench(log);
            results.parsers = parsers.figures;
            failures.push(...parsers.failures.map((f) => `parsers: ${f}`));
          } else if (part === 'model') {
            const { runModelBench } = await import('../../bench/model.js');
            results.model = await runModelBench({
              kbPath: ensureKb(),
              ...(config.KEDREC_MODEL_PATH ? { modelPath: config.KEDREC_MODEL_PATH } : {}),
              threads: num('threads', opts.threads) ?? config.KEDREC_LLAMA_THREADS,
              progress: log,
            });
          } else if (part === 'load') {
            const { runLoadBench } = await import('../../bench/load.js');
            results.load = await runLoadBench({
              kbPath: ensureKb(),
              seconds: num('seconds', opts.seconds),
              connections: num('connections', opts.connections),
              threads: num('threads', opts.threads),
              progress: log,
            });
          }
        }
      } finally {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      for (const f of failures) log(`bench gate failed: ${f}`);
      if (opts.check && failures.length) process.exitCode = 1;
    });
}
