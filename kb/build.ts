import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GRAPH_DDL, GRAPH_INDEXES, KB_SCHEMA_VERSION, normalizeTerm } from './schema.js';
import { SOURCES, type SourceInfo } from './sources/registry.js';

export type DB = Database.Database;

export interface NodeInput {
  id: string;
  kind: string;
  name: string;
  description?: string | null;
  props?: Record<string, unknown>;
  source: string;
  inHetionet?: boolean;
}

/** Progress of one build step: `done` of `total` units (rows, files). */
export interface ProgressEvent {
  step: string;
  title: string;
  done: number;
  total: number;
  /** Set when the step has finished. */
  finished?: boolean;
}

/**
 * What a build step sees: the open database and helpers that keep node identifiers, terms and
 * xrefs consistent across sources (a drug named by Hetionet, DrugBank and DrugCentral is one node).
 */
export class BuildContext {
  private readonly nids = new Map<string, number>();
  private readonly seenTerms = new Set<string>();
  private readonly stmts;
  /** Source ids recorded in the `sources` table, with the files they were read from. */
  readonly usedSources = new Map<string, Set<string>>();

  constructor(
    readonly db: DB,
    readonly dataDir: string,
    readonly noncommercial: boolean,
    private readonly emit: (e: ProgressEvent) => void,
    /** The safety rule tables (clinical/rules); a step-chosen default when absent. */
    readonly rulesDir?: string,
  ) {
    this.stmts = {
      node: db.prepare(
        'INSERT INTO nodes (id, kind, name, description, props, source, in_hetionet) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      edge: db.prepare('INSERT INTO edges (src, metaedge, dst, source, license, props) VALUES (?, ?, ?, ?, ?, ?)'),
      term: db.prepare('INSERT INTO terms (term_norm, nid, term, term_type, source) VALUES (?, ?, ?, ?, ?)'),
      xref: db.prepare('INSERT INTO xrefs (nid, system, code, source) VALUES (?, ?, ?, ?)'),
      describe: db.prepare('UPDATE nodes SET description = ? WHERE nid = ? AND description IS NULL'),
      setProps: db.prepare('UPDATE nodes SET props = ? WHERE nid = ?'),
      getProps: db.prepare('SELECT props FROM nodes WHERE nid = ?'),
    };
  }

  /** Marks a source file as read, so `kb info` can list sources with the files behind them. */
  useSource(sourceId: string, file: string): SourceInfo {
    const info = SOURCES[sourceId];
    if (!info) throw new Error(`unknown source id ${sourceId}`);
    if (!this.usedSources.has(sourceId)) this.usedSources.set(sourceId, new Set());
    this.usedSources.get(sourceId)!.add(path.relative(this.dataDir, file));
    return info;
  }

  /** Whether a source may be used in this build (non-commercial sources are skipped on request). */
  allows(sourceId: string): boolean {
    const info = SOURCES[sourceId];
    return !!info && (this.noncommercial || !info.noncommercial);
  }

  nid(id: string): number | undefined {
    return this.nids.get(id);
  }

  /** Inserts a node, or returns the existing one with the same public id. */
  addNode(n: NodeInput): number {
    const existing = this.nids.get(n.id);
    if (existing !== undefined) {
      if (n.description) this.stmts.describe.run(n.description, existing);
      return existing;
    }
    const r = this.stmts.node.run(
      n.id, n.kind, n.name, n.description ?? null, JSON.stringify(n.props ?? {}), n.source, n.inHetionet ? 1 : 0,
    );
    const nid = Number(r.lastInsertRowid);
    this.nids.set(n.id, nid);
    this.addTerm(nid, n.name, 'name', n.source);
    this.addTerm(nid, n.id, 'code', n.source);
    return nid;
  }

  /** Merges properties into a node's JSON props (later sources add, never silently replace). */
  mergeProps(nid: number, props: Record<string, unknown>): void {
    const row = this.stmts.getProps.get(nid) as { props: string } | undefined;
    const cur = row ? (JSON.parse(row.props) as Record<string, unknown>) : {};
    for (const [k, v] of Object.entries(props)) {
      if (Array.isArray(v) && Array.isArray(cur[k])) cur[k] = [...new Set([...(cur[k] as unknown[]), ...v])];
      else if (cur[k] === undefined) cur[k] = v;
    }
    this.stmts.setProps.run(JSON.stringify(cur), nid);
  }

  addEdge(src: number, metaedge: string, dst: number, source: string, license: string, props?: Record<string, unknown>): void {
    this.stmts.edge.run(src, metaedge, dst, source, license, props ? JSON.stringify(props) : '{}');
  }

  /** Adds a lookup term for a node; a (node, normalised term) pair is kept once. */
  addTerm(nid: number, term: string, termType: 'name' | 'synonym' | 'brand' | 'code', source: string): void {
    const norm = normalizeTerm(term);
    if (!norm) return;
    const key = `${nid}\u0000${norm}`;
    if (this.seenTerms.has(key)) return;
    this.seenTerms.add(key);
    this.stmts.term.run(norm, nid, term.trim(), termType, source);
  }

  addXref(nid: number, system: string, code: string, source: string): void {
    const c = code.trim().toUpperCase();
    if (!c) return;
    this.stmts.xref.run(nid, system, c, source);
  }

  progress(step: string, title: string, done: number, total: number, finished = false): void {
    this.emit({ step, title, done, total, finished });
  }
}

/** One unit of the build: reads one source format (or derives data) into the KB. */
export interface BuildStep {
  id: string;
  title: string;
  /** Source ids this step reads; the step is skipped when none of them is allowed. */
  sources: string[];
  run(ctx: BuildContext): void;
}

export interface BuildOptions {
  dataDir: string;
  outPath: string;
  /** Include DrugBank-derived and SIDER data (default true). */
  noncommercial?: boolean;
  steps: BuildStep[];
  /** Extra DDL run before the steps (corpus tables) and after them (indexes). */
  extraDdl?: string[];
  extraIndexes?: string[];
  /** Safety rule tables directory (default: the repository's clinical/rules). */
  rulesDir?: string;
  onProgress?: (e: ProgressEvent) => void;
}

export interface BuildResult {
  path: string;
  bytes: number;
  seconds: number;
  steps: { id: string; seconds: number; skipped: boolean }[];
}

/**
 * Temporary files of builds whose process is gone (killed before it could clean up): a build that
 * is still running keeps its file, every other one is removed, so killed builds cannot fill the disk.
 */
export function removeStaleBuilds(outPath: string): string[] {
  const dir = path.dirname(path.resolve(outPath));
  const prefix = `${path.basename(outPath)}.tmp-`;
  const removed: string[] = [];
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = name.startsWith(prefix) ? /^(\d+)-\d+(?:-journal|-wal|-shm)?$/.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds the knowledge base atomically: everything is written to a temporary file beside the
 * target, which replaces the target only after the last step and an integrity check succeed.
 * A failed build removes its temporary file and leaves the previous knowledge base untouched.
 * A build killed before it could clean up leaves its file; the next build removes it.
 */
export function buildKnowledgeBase(opts: BuildOptions): BuildResult {
  const started = performance.now();
  const noncommercial = opts.noncommercial ?? true;
  if (!fs.existsSync(opts.dataDir) || !fs.statSync(opts.dataDir).isDirectory()) {
    throw new Error(`data directory ${opts.dataDir} does not exist; set KEDREC_DATA_DIR to the folder holding hetionet/, drugbank-dhimmel/, … (in this repo's CI: ../shared/data)`);
  }
  fs.mkdirSync(path.dirname(path.resolve(opts.outPath)), { recursive: true });
  removeStaleBuilds(opts.outPath);
  const tmp = `${opts.outPath}.tmp-${process.pid}-${Date.now()}`;
  const emit = opts.onProgress ?? (() => {});
  const stepTimes: BuildResult['steps'] = [];
  let db: DB | undefined;
  try {
    db = new Database(tmp);
    // The temporary file is discarded on any failure, so durability during the build buys nothing.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    // Steps insert in dependency order; enforcing keys per row would only slow the bulk load.
    db.pragma('foreign_keys = OFF');
    db.exec(GRAPH_DDL);
    for (const ddl of opts.extraDdl ?? []) db.exec(ddl);
    const ctx = new BuildContext(db, opts.dataDir, noncommercial, emit, opts.rulesDir);
    for (const step of opts.steps) {
      const t0 = performance.now();
      const skipped = !step.sources.some((s) => ctx.allows(s));
      emit({ step: step.id, title: step.title, done: 0, total: 1 });
      if (!skipped) db.transaction(() => step.run(ctx))();
      emit({ step: step.id, title: step.title, done: 1, total: 1, finished: true });
      stepTimes.push({ id: step.id, seconds: (performance.now() - t0) / 1000, skipped });
    }
    emit({ step: 'indexes', title: 'Creating indexes', done: 0, total: 1 });
    db.exec(GRAPH_INDEXES);
    for (const ddl of opts.extraIndexes ?? []) db.exec(ddl);
    emit({ step: 'indexes', title: 'Creating indexes', done: 1, total: 1, finished: true });

    const insertSource = db.prepare(
      'INSERT INTO sources (id, name, license, url, noncommercial, files) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (const [id, files] of ctx.usedSources) {
        const s = SOURCES[id];
        insertSource.run(s.id, s.name, s.license, s.url, s.noncommercial ? 1 : 0, JSON.stringify([...files].sort()));
      }
      setMeta.run('schema_version', String(KB_SCHEMA_VERSION));
      setMeta.run('built_at', new Date().toISOString());
      setMeta.run('noncommercial', noncommercial ? '1' : '0');
      setMeta.run('data_dir', path.resolve(opts.dataDir));
    })();
    db.exec('ANALYZE');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check of the new knowledge base failed: ${String(check)}`);
    db.pragma('journal_mode = WAL');
    db.close();
    db = undefined;
    // Stale WAL files of a previous KB must not be replayed into the new one.
    for (const suffix of ['-wal', '-shm']) fs.rmSync(opts.outPath + suffix, { force: true });
    fs.renameSync(tmp, opts.outPath);
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* already failing; the original error matters */
    }
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(tmp + suffix, { force: true });
    throw err;
  }
  return {
    path: opts.outPath,
    bytes: fs.statSync(opts.outPath).size,
    seconds: (performance.now() - started) / 1000,
    steps: stepTimes,
  };
}
