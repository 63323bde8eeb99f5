import path from 'node:path';
import type Database from 'better-sqlite3';
import { normalizeTerm } from './graph-schema.js';
import { SOURCES, type SourceInfo } from './source-registry.js';

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
    let files = this.usedSources.get(sourceId);
    if (!files) {
      files = new Set();
      this.usedSources.set(sourceId, files);
    }
    files.add(path.relative(this.dataDir, file));
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

  /** The row id of a node this build must already hold; its absence is a bug in step order or mapping, so it throws. */
  requireNid(id: string): number {
    const nid = this.nid(id);
    if (nid === undefined) throw new Error(`no node ${id} in the knowledge base being built`);
    return nid;
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
