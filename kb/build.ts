import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DB } from './base/build-context.js';
import { GRAPH_DDL, GRAPH_INDEXES, KB_SCHEMA_VERSION } from './base/graph-schema.js';
import { SOURCES } from './base/source-registry.js';
import { BuildContext, type BuildStep, type ProgressEvent } from './base/build-context.js';

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
