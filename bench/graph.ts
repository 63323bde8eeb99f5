import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteGraphStore } from '../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../kb/open.js';
import { readTsv } from '../kb/sources/table.js';
import { peakRssMb, summarize, timeEach, type LatencyStats } from './stats.js';

export interface GraphBenchResult {
  build: { seconds: number; megabytes: number; peakRssMb: number; steps: Record<string, number> } | null;
  /** The same queries, per backend measured ("sqlite", "neo4j"). */
  queries: Record<string, Record<string, LatencyStats>>;
  peakRssMb: number;
}

export type GraphBackend = 'sqlite' | 'neo4j';

/** A Neo4j server already loaded with this KB (`kedrec kb push-neo4j`), as the configuration names it. */
export interface Neo4jTarget {
  uri: string;
  user: string;
  password?: string;
  database: string;
  timeoutMs: number;
}

/** Deterministic pseudo-random generator so every run draws the same inputs. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A typo: two adjacent letters swapped in the middle of the word. */
const typo = (s: string) => (s.length < 5 ? s : s.slice(0, 2) + s[3] + s[2] + s.slice(4));

/**
 * Other typos people make, in turn: a letter dropped ("warfrin"), one doubled, one replaced by
 * its keyboard neighbour, two letters swapped near the end ("hypertensoin"). Positions are
 * fixed so every run draws the same inputs.
 */
const mixedTypo = (s: string, i: number) => {
  if (s.length < 5) return s;
  const p = Math.floor(s.length / 2);
  const neighbour: Record<string, string> = { a: 's', e: 'r', i: 'o', o: 'p', u: 'y', n: 'm', r: 't', t: 'y', s: 'd', l: 'k' };
  switch (i % 4) {
    case 0: return s.slice(0, p) + s.slice(p + 1);
    case 1: return s.slice(0, p) + s[p] + s.slice(p);
    case 2: return s.slice(0, p) + (neighbour[s[p].toLowerCase()] ?? 'x') + s.slice(p + 1);
    default: return s.slice(0, -3) + s[s.length - 2] + s[s.length - 3] + s.slice(-1);
  }
};

/**
 * Knowledge-base build time and size, then per-query latency over realistic inputs drawn from
 * the data: every PharmacotherapyDB drug, disease and indication pair, DeepDDI drug sets, and
 * names, brands, codes and typos for resolution (the first typo timed apart: it builds the
 * SQLite store's fuzzy index).
 */
export async function runGraphBench(opts: {
  dataDir: string;
  kbPath?: string;
  skipBuild?: boolean;
  backends?: GraphBackend[];
  neo4j?: Neo4jTarget;
  /**
   * Progress and figures as the bench runs, for the person running it: a plain callback, not a
   * Logger, because this is the bench command's output (text, shown whatever LOG_LEVEL says).
   * Default: dropped.
   */
  progress?: (line: string) => void;
}): Promise<GraphBenchResult> {
  const progress = opts.progress ?? (() => {});
  let build: GraphBenchResult['build'] = null;
  let kbPath = opts.kbPath;
  let tmp: string | undefined;
  if (!opts.skipBuild) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-bench-'));
    kbPath = path.join(tmp, 'kb.sqlite');
    progress(`building the knowledge base from ${opts.dataDir} (separate process, so its memory is measured apart) …`);
    // The build runs as `kedrec kb build` does for users; its own peak RSS comes back in the summary.
    const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'kedrec.mjs');
    const child = spawnSync(process.execPath, [cli, 'kb', 'build', '--data', opts.dataDir, '--out', kbPath, '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`knowledge-base build failed: ${child.stderr}`);
    // `--json` prints the summary as the build's last line of output.
    const lines = child.stdout.trim().split('\n');
    const r = JSON.parse(lines[lines.length - 1]) as { seconds: number; bytes: number; peakRssMb: number; steps: { id: string; seconds: number }[] };
    build = {
      seconds: Math.round(r.seconds * 10) / 10,
      megabytes: Math.round(r.bytes / 1e5) / 10,
      peakRssMb: r.peakRssMb,
      steps: Object.fromEntries(r.steps.map((s) => [s.id, Math.round(s.seconds * 100) / 100])),
    };
    progress(`  built in ${build.seconds} s, ${build.megabytes} MB, build peak RSS ${build.peakRssMb} MB`);
  }
  if (!kbPath) throw new Error('runGraphBench needs kbPath when skipBuild is set');
  const backends = opts.backends ?? ['sqlite'];
  try {
    const indications = [...readTsv(path.join(opts.dataDir, 'pharmacotherapydb', 'catalog_indications.tsv'))]
      .filter((r) => r.get('category') !== 'NOT')
      .map((r) => ({ drug: r.get('drugbank_id'), drugName: r.get('drug'), disease: r.get('doid_id'), diseaseName: r.get('disease') }));
    const drugs = [...new Set(indications.map((i) => i.drug))];
    const diseases = [...new Set(indications.map((i) => i.disease))];
    const names = [...new Set([...indications.map((i) => i.drugName), ...indications.map((i) => i.diseaseName)])];
    const aliases = JSON.parse(fs.readFileSync(path.join(opts.dataDir, 'drugbank-dhimmel', 'aliases.json'), 'utf8')) as Record<string, string[]>;
    const brands = drugs.flatMap((d) => (aliases[d] ?? []).slice(-1));
    const codes = [...drugs.slice(0, 100), ...diseases, 'ICD10:E11', 'E11.9', 'MESH:D003924', '250.00', 'UMLS:C0011860'];
    const exactInputs = [...names, ...brands, ...codes];
    const random = rng(42);
    const ddiDrugs = [...readTsv(path.join(opts.dataDir, 'ddi-drugbank-deepddi', 'Drugbank.txt'))].slice(0, 20000).map((r) => r.get('drug1'));
    const drugSets = Array.from({ length: 300 }, () => Array.from({ length: 5 }, () => ddiDrugs[Math.floor(random() * ddiDrugs.length)]));

    const queries: GraphBenchResult['queries'] = {};
    for (const backend of backends) {
      progress(`  -- ${backend}`);
      const g = backend === 'sqlite' ? createSqliteGraphStore(openKnowledgeBase(kbPath)) : await openNeo4jStore(opts.neo4j);
      const q: Record<string, LatencyStats> = (queries[backend] = {});
      try {
        const run = async <T>(name: string, inputs: T[], fn: (x: T) => Promise<unknown>) => {
          q[name] = await timeEach(inputs, fn);
          progress(`  ${name.padEnd(26)} n=${q[name].n}  p50 ${q[name].p50} ms  p95 ${q[name].p95} ms`);
        };
        await run('resolve (exact)', exactInputs, (q) => g.resolve(q));
        // The first typo builds the SQLite store's fuzzy index; timed alone, because timeEach's
        // warm-up pass would otherwise hide that one-off cost.
        const first = performance.now();
        await g.resolve('metfromin');
        q['resolve (first fuzzy)'] = summarize([performance.now() - first]);
        const rssNow = Math.round(process.memoryUsage().rss / 1e6);
        progress(`  ${'resolve (first fuzzy)'.padEnd(26)} ${q['resolve (first fuzzy)'].max} ms (builds the fuzzy index), RSS now ${rssNow} MB`);
        await run('resolve (fuzzy/typo)', names.slice(0, 300).map(typo), (q) => g.resolve(q));
        await run('resolve (fuzzy/mixed)', names.slice(0, 300).map(mixedTypo), (q) => g.resolve(q));
        await run('indicatedDrugs', diseases, (d) => g.indicatedDrugs(d));
        await run('drugProfile', drugs, (d) => g.drugProfile(d));
        await run('mechanismPaths', indications.slice(0, 400), (i) => g.mechanismPaths(i.drug, i.disease));
        await run('interactions (5 drugs)', drugSets, (s) => g.interactions([...new Set(s)]));
        await run('similarDrugs', drugs.slice(0, 300), (d) => g.similarDrugs(d));
        await run('similarDiseases', diseases, (d) => g.similarDiseases(d));
      } finally {
        await g.close();
      }
    }
    if (backends.length > 1) progress(sideBySide(queries));
    const rss = peakRssMb();
    progress(`  peak RSS of the query bench: ${rss} MB`);
    return { build, queries, peakRssMb: rss };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The Neo4j store over a server loaded with this KB; refuses, saying how to load it, when it is not. */
async function openNeo4jStore(t: Neo4jTarget | undefined) {
  if (!t) throw new Error('--backend neo4j needs NEO4J_URI (scripts/neo4j/start_neo4j.sh starts a server; `kedrec kb push-neo4j` loads it)');
  const [{ default: neo4j }, { assertNeo4jLoaded, createNeo4jGraphStore }] = await Promise.all([import('neo4j-driver'), import('../kb/graph/neo4j-store.js')]);
  const driver = neo4j.driver(t.uri, neo4j.auth.basic(t.user, t.password ?? ''));
  try {
    await assertNeo4jLoaded(driver, t.database, t.timeoutMs);
  } catch (err) {
    await driver.close();
    throw err;
  }
  return createNeo4jGraphStore({ driver, database: t.database, timeoutMs: t.timeoutMs, closeDriver: true });
}

/** p50 / p95 per query, one column pair per backend. */
function sideBySide(queries: GraphBenchResult['queries']): string {
  const backends = Object.keys(queries);
  const names = [...new Set(backends.flatMap((b) => Object.keys(queries[b])))];
  const head = `| query | ${backends.map((b) => `${b} p50 ms | ${b} p95 ms`).join(' | ')} |`;
  const rule = `|---|${backends.map(() => '---:|---:').join('|')}|`;
  const rows = names.map((n) => `| ${n} | ${backends.map((b) => (queries[b][n] ? `${queries[b][n].p50} | ${queries[b][n].p95}` : '– | –')).join(' | ')} |`);
  return ['', head, rule, ...rows].join('\n');
}
