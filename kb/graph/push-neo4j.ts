/**
 * Loads the SQLite knowledge base into Neo4j (`kedrec kb push-neo4j`).
 *
 * The Neo4j model (read by neo4j-store.ts; keep the two in step):
 * - every KB node is `(:Entity:<Kind> {id, kind, name, description, source, inGraph, props})`;
 *   the kind label is the kind in PascalCase (`Side Effect` → `SideEffect`); `props` keeps the
 *   KB's JSON string as is (nested values such as ATC lists need no Neo4j mapping);
 * - every KB edge row is one relationship `(src)-[:<VERB>_<metaedge>]->(dst)` (Hetionet's own
 *   Neo4j naming: `TREATS_CtD`, `BINDS_CbG`, `REGULATES_GrG`) with `metaedge`, `source`,
 *   `license`, `dup` and the row's props flattened to properties. Rows repeat per source, so
 *   Hetionet and PharmacotherapyDB both keep their own TREATS_CtD; `dup` numbers identical
 *   (src, metaedge, dst, source) rows, so counts match SQLite and MERGE stays idempotent;
 * - terms are `(:Term {norm})-[:NAMES {term, type, source}]->(:Entity)`, one Term per normalised
 *   string, with a full-text index on `norm` for fuzzy lookup;
 * - xrefs are `(:Xref {key: "SYSTEM:CODE", system, code})-[:IDENTIFIES {source}]->(:Entity)`;
 * - interactions are `(:Entity)-[:INTERACTS {type, source, license, dup}]->(:Entity)` as
 *   published (drug1 → drug2), templates `(:DdiType {type, template})`;
 * - `(:Source)`, `(:KbMeta {key, value})` and `(:EdgeCount {metaedge, source, license, count})`
 *   carry what `stats()` reports; `(:Neo4jPush {id: 'kedrec'})` records the push state, and the
 *   store refuses a database whose last push did not finish.
 *
 * Writes are batched `UNWIND $rows` MERGEs in managed write transactions (retried by the driver
 * on transient errors, which MERGE makes safe). Re-running updates what exists; facts removed
 * from the KB since the last push stay in Neo4j until the database is cleared.
 */
import type Database from 'better-sqlite3';
import neo4j, { type Driver } from 'neo4j-driver';
import type { ProgressEvent } from '../base/build-context.js';

const DEFAULT_PUSH_BATCH_SIZE = 5000;
/** Per-batch transaction timeout: generous, since one batch MERGEs thousands of rows. */
const WRITE_TIMEOUT_MS = 300_000;

/** Verb part of the relationship type per metaedge; unknown metaedges fall back to `REL`. */
const METAEDGE_VERBS: Record<string, string> = {
  AdG: 'DOWNREGULATES', AeG: 'EXPRESSES', AuG: 'UPREGULATES', CbG: 'BINDS', CcSE: 'CAUSES', CdG: 'DOWNREGULATES',
  CiD: 'INDICATED_FOR', CnD: 'NOT_INDICATED_FOR', CpD: 'PALLIATES', CrC: 'RESEMBLES', CtD: 'TREATS', CuG: 'UPREGULATES', DaG: 'ASSOCIATES',
  DdG: 'DOWNREGULATES', DkD: 'KIND_OF', DlA: 'LOCALIZES', DpS: 'PRESENTS', DrD: 'RESEMBLES', DsD: 'SUBSUMED_BY', DuG: 'UPREGULATES',
  GcG: 'COVARIES', GiG: 'INTERACTS', 'Gr>G': 'REGULATES', GpBP: 'PARTICIPATES', GpCC: 'PARTICIPATES',
  GpMF: 'PARTICIPATES', GpPW: 'PARTICIPATES', PCiC: 'INCLUDES',
};

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Node label for a KB kind: PascalCase letters and digits only ("Side Effect" → "SideEffect").
 * Labels cannot be query parameters, so this is the only way kind text reaches Cypher; the
 * result is checked against a strict identifier pattern as well.
 */
export function kindLabel(kind: string): string {
  const label = kind
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  if (!IDENT.test(label) || label === 'Entity') throw new Error(`cannot make a Neo4j label from node kind ${JSON.stringify(kind)}`);
  return label;
}

/** Relationship type for a metaedge: `TREATS_CtD`, `REGULATES_GrG` (characters outside [A-Za-z0-9] dropped). */
export function relType(metaedge: string): string {
  const abbrev = metaedge.replace(/[^A-Za-z0-9]/g, '');
  const type = `${METAEDGE_VERBS[metaedge] ?? 'REL'}_${abbrev}`;
  if (!abbrev || !IDENT.test(type)) throw new Error(`cannot make a Neo4j relationship type from metaedge ${JSON.stringify(metaedge)}`);
  return type;
}

/** Backtick-quotes an identifier already checked by kindLabel/relType (defence in depth). */
function q(ident: string): string {
  if (!IDENT.test(ident)) throw new Error(`refusing to put ${JSON.stringify(ident)} into Cypher`);
  return `\`${ident}\``;
}

/** Schema statements, each idempotent (IF NOT EXISTS); one unique-id constraint per kind label. */
export function schemaStatements(kindLabels: string[]): string[] {
  const stmts = [
    'CREATE CONSTRAINT kedrec_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE',
    'CREATE INDEX kedrec_entity_kind IF NOT EXISTS FOR (n:Entity) ON (n.kind)',
    'CREATE CONSTRAINT kedrec_term_norm IF NOT EXISTS FOR (t:Term) REQUIRE t.norm IS UNIQUE',
    "CREATE FULLTEXT INDEX kedrec_term_fulltext IF NOT EXISTS FOR (t:Term) ON EACH [t.norm] OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}}",
    'CREATE CONSTRAINT kedrec_xref_key IF NOT EXISTS FOR (x:Xref) REQUIRE x.key IS UNIQUE',
    'CREATE INDEX kedrec_xref_code IF NOT EXISTS FOR (x:Xref) ON (x.code)',
    'CREATE CONSTRAINT kedrec_ddi_type IF NOT EXISTS FOR (t:DdiType) REQUIRE t.type IS UNIQUE',
    'CREATE CONSTRAINT kedrec_source_id IF NOT EXISTS FOR (s:Source) REQUIRE s.id IS UNIQUE',
    'CREATE CONSTRAINT kedrec_meta_key IF NOT EXISTS FOR (m:KbMeta) REQUIRE m.key IS UNIQUE',
  ];
  for (const label of [...new Set(kindLabels)].sort()) {
    stmts.push(`CREATE CONSTRAINT ${q(`kedrec_${label.toLowerCase()}_id`)} IF NOT EXISTS FOR (n:${q(label)}) REQUIRE n.id IS UNIQUE`);
  }
  return stmts;
}

/** Cypher that MERGEs a batch of nodes of one kind. */
export function nodeBatchCypher(label: string): string {
  return `UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n:${q(label)}, n.kind = row.kind, n.name = row.name, n.description = row.description,
    n.source = row.source, n.inGraph = row.inGraph, n.props = row.props`;
}

const TERM_BATCH_CYPHER = `UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
MERGE (t:Term {norm: row.norm})
MERGE (t)-[r:NAMES]->(n)
SET r.term = row.term, r.type = row.type, r.source = row.source`;

const XREF_BATCH_CYPHER = `UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
MERGE (x:Xref {key: row.system + ':' + row.code})
SET x.system = row.system, x.code = row.code
MERGE (x)-[r:IDENTIFIES {source: row.source}]->(n)`;

/** Cypher that MERGEs a batch of edge rows of one metaedge. */
export function edgeBatchCypher(metaedge: string): string {
  return `UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:${q(relType(metaedge))} {source: row.source, dup: row.dup}]->(b)
SET r = row.props, r.metaedge = row.metaedge, r.source = row.source, r.license = row.license, r.dup = row.dup`;
}

const DDI_BATCH_CYPHER = `UNWIND $rows AS row
MATCH (a:Entity {id: row.drug1})
MATCH (b:Entity {id: row.drug2})
MERGE (a)-[r:INTERACTS {type: row.type, source: row.source, dup: row.dup}]->(b)
SET r.license = row.license`;

const DDI_TYPE_BATCH_CYPHER = `UNWIND $rows AS row
MERGE (t:DdiType {type: row.type})
SET t.template = row.template`;

const SOURCE_BATCH_CYPHER = `UNWIND $rows AS row
MERGE (s:Source {id: row.id})
SET s.name = row.name, s.license = row.license, s.url = row.url, s.noncommercial = row.noncommercial, s.files = row.files`;

const META_BATCH_CYPHER = `UNWIND $rows AS row
MERGE (m:KbMeta {key: row.key})
SET m.value = row.value`;

/** Edge counts are replaced as a whole: they describe this push, not an accumulation of pushes. */
const EDGE_COUNT_CYPHER = `MATCH (c:EdgeCount) DETACH DELETE c
WITH count(*) AS removed
UNWIND $rows AS row
CREATE (:EdgeCount {metaedge: row.metaedge, source: row.source, license: row.license, count: row.count})`;

const PUSH_STATE_CYPHER = `MERGE (p:Neo4jPush {id: 'kedrec'})
SET p.state = $state, p.updatedAt = $at, p.kbBuiltAt = $builtAt`;

type Prop = string | number | boolean | ReturnType<typeof neo4j.int> | string[] | number[] | boolean[];

/**
 * KB edge props (JSON) as Neo4j properties: primitives and homogeneous primitive lists kept,
 * integers sent as Neo4j integers (a JS number would arrive as a float), empty lists and nulls
 * dropped (absent reads back the same), anything nested kept as a JSON string.
 */
export function toNeo4jProps(json: string): Record<string, Prop> {
  const src = JSON.parse(json || '{}') as Record<string, unknown>;
  const out: Record<string, Prop> = {};
  for (const [k, v] of Object.entries(src)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') out[k] = Number.isSafeInteger(v) ? neo4j.int(v) : v;
    else if (typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) {
      if (!v.length) continue;
      const t = typeof v[0];
      if ((t === 'string' || t === 'number' || t === 'boolean') && v.every((x) => typeof x === t)) out[k] = v as string[];
      else out[k] = JSON.stringify(v);
    } else out[k] = JSON.stringify(v);
  }
  return out;
}

/** Splits a stream of rows into batches of at most `size` that share one key (label, metaedge). */
export function* batchesByKey<T>(rows: Iterable<T>, keyOf: (row: T) => string, size: number): Generator<{ key: string; rows: T[] }> {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive integer, got ${size}`);
  // Never empty while it exists: created with the row that starts it.
  let batch: { key: string; rows: T[] } | undefined;
  for (const row of rows) {
    const key = keyOf(row);
    if (batch && (key !== batch.key || batch.rows.length >= size)) {
      yield batch;
      batch = undefined;
    }
    batch ??= { key, rows: [] };
    batch.rows.push(row);
  }
  if (batch) yield batch;
}

export interface PushOptions {
  /** Neo4j database name (default: the server's default database). */
  database?: string;
  /** Rows per UNWIND transaction (default 5000). */
  batchSize?: number;
  onProgress?: (e: ProgressEvent) => void;
}

export interface PushResult {
  nodes: number;
  edges: number;
  terms: number;
  xrefs: number;
  interactions: number;
  seconds: number;
}

/**
 * Pushes the knowledge base open in `db` (read-only is enough) into Neo4j: schema first, then
 * nodes, terms, xrefs, edges, interactions and the summary nodes, each as batched MERGEs. The
 * push is marked in-progress at the start and complete only at the end, so a store opened on a
 * half-loaded database fails instead of answering from partial data.
 */
export async function pushKnowledgeBaseToNeo4j(db: Database.Database, driver: Driver, opts: PushOptions = {}): Promise<PushResult> {
  const t0 = performance.now();
  const size = opts.batchSize ?? DEFAULT_PUSH_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive integer, got ${size}`);
  const emit = opts.onProgress ?? (() => {});
  const sessionConfig = { defaultAccessMode: neo4j.session.WRITE, ...(opts.database ? { database: opts.database } : {}) };
  const builtAt = (db.prepare("SELECT value FROM meta WHERE key = 'built_at'").pluck().get() as string | undefined) ?? null;

  async function write(cypher: string, params: Record<string, unknown>): Promise<void> {
    const session = driver.session(sessionConfig);
    try {
      await session.executeWrite((tx) => tx.run(cypher, params), { timeout: WRITE_TIMEOUT_MS });
    } finally {
      await session.close();
    }
  }

  /** Streams `rows` in batches; `keyOf` splits batches where the Cypher differs (label, type). */
  async function load<T>(
    step: string,
    title: string,
    total: number,
    rows: Iterable<T>,
    keyOf: (r: T) => string,
    cypherOf: (key: string) => string,
    toParam: (r: T) => Record<string, unknown>,
  ): Promise<number> {
    let done = 0;
    emit({ step, title, done, total });
    for (const batch of batchesByKey(rows, keyOf, size)) {
      await write(cypherOf(batch.key), { rows: batch.rows.map(toParam) });
      done += batch.rows.length;
      emit({ step, title, done, total });
    }
    emit({ step, title, done, total, finished: true });
    return done;
  }

  const count = (sql: string) => db.prepare(sql).pluck().get() as number;

  // Schema statements cannot share a transaction with writes; each runs on its own.
  const kinds = db.prepare('SELECT DISTINCT kind FROM nodes ORDER BY kind').pluck().all() as string[];
  const labels = new Map(kinds.map((k) => [k, kindLabel(k)]));
  emit({ step: 'neo4j-schema', title: 'Neo4j constraints and indexes', done: 0, total: 1 });
  {
    const session = driver.session(sessionConfig);
    try {
      for (const stmt of schemaStatements([...labels.values()])) await session.run(stmt);
      // Loading before the indexes are online would make every MERGE a label scan.
      await session.run('CALL db.awaitIndexes(300)');
    } finally {
      await session.close();
    }
  }
  emit({ step: 'neo4j-schema', title: 'Neo4j constraints and indexes', done: 1, total: 1, finished: true });
  await write(PUSH_STATE_CYPHER, { state: 'in-progress', at: new Date().toISOString(), builtAt });

  type NodeRow = { id: string; kind: string; name: string; description: string | null; props: string; source: string; in_hetionet: number };
  const nodes = await load(
    'neo4j-nodes', 'Neo4j nodes', count('SELECT COUNT(*) FROM nodes'),
    db.prepare('SELECT id, kind, name, description, props, source, in_hetionet FROM nodes ORDER BY kind, nid').iterate() as Iterable<NodeRow>,
    (r) => r.kind,
    (kind) => nodeBatchCypher(labels.get(kind) ?? kindLabel(kind)),
    (r) => ({ id: r.id, kind: r.kind, name: r.name, description: r.description, props: r.props, source: r.source, inGraph: r.in_hetionet === 1 }),
  );

  type TermRow = { norm: string; id: string; term: string; type: string; source: string };
  const terms = await load(
    'neo4j-terms', 'Neo4j terms', count('SELECT COUNT(*) FROM terms'),
    db.prepare('SELECT t.term_norm AS norm, n.id, t.term, t.term_type AS type, t.source FROM terms t JOIN nodes n ON n.nid = t.nid ORDER BY t.rowid').iterate() as Iterable<TermRow>,
    () => 'terms', () => TERM_BATCH_CYPHER, (r) => ({ ...r }),
  );

  type XrefRow = { id: string; system: string; code: string; source: string };
  const xrefs = await load(
    'neo4j-xrefs', 'Neo4j xrefs', count('SELECT COUNT(*) FROM xrefs'),
    db.prepare('SELECT n.id, x.system, x.code, x.source FROM xrefs x JOIN nodes n ON n.nid = x.nid ORDER BY x.rowid').iterate() as Iterable<XrefRow>,
    () => 'xrefs', () => XREF_BATCH_CYPHER, (r) => ({ ...r }),
  );

  type EdgeRow = { src: string; metaedge: string; dst: string; source: string; license: string; props: string; dup: number };
  const edges = await load(
    'neo4j-edges', 'Neo4j edges', count('SELECT COUNT(*) FROM edges'),
    db.prepare(
      `SELECT a.id AS src, e.metaedge, b.id AS dst, e.source, e.license, e.props,
              ROW_NUMBER() OVER (PARTITION BY e.src, e.metaedge, e.dst, e.source ORDER BY e.rowid) - 1 AS dup
       FROM edges e JOIN nodes a ON a.nid = e.src JOIN nodes b ON b.nid = e.dst
       ORDER BY e.metaedge, e.rowid`,
    ).iterate() as Iterable<EdgeRow>,
    (r) => r.metaedge,
    (metaedge) => edgeBatchCypher(metaedge),
    (r) => ({ src: r.src, dst: r.dst, metaedge: r.metaedge, source: r.source, license: r.license, props: toNeo4jProps(r.props), dup: neo4j.int(r.dup) }),
  );

  const licenses = new Map(
    (db.prepare('SELECT id, license FROM sources').all() as { id: string; license: string }[]).map((s) => [s.id, s.license]),
  );
  type DdiTypeRow = { type: number; template: string };
  await load(
    'neo4j-ddi-types', 'Neo4j interaction types', count('SELECT COUNT(*) FROM ddi_types'),
    db.prepare('SELECT type, template FROM ddi_types ORDER BY type').iterate() as Iterable<DdiTypeRow>,
    () => 'ddi_types', () => DDI_TYPE_BATCH_CYPHER, (r) => ({ type: neo4j.int(r.type), template: r.template }),
  );
  type DdiRow = { drug1: string; drug2: string; type: number; source: string; dup: number };
  const interactions = await load(
    'neo4j-ddi', 'Neo4j interactions', count('SELECT COUNT(*) FROM ddi'),
    db.prepare(
      `SELECT a.id AS drug1, b.id AS drug2, d.type, d.source,
              ROW_NUMBER() OVER (PARTITION BY d.drug1, d.drug2, d.type, d.source ORDER BY d.rowid) - 1 AS dup
       FROM ddi d JOIN nodes a ON a.nid = d.drug1 JOIN nodes b ON b.nid = d.drug2 ORDER BY d.rowid`,
    ).iterate() as Iterable<DdiRow>,
    () => 'ddi', () => DDI_BATCH_CYPHER,
    (r) => ({ drug1: r.drug1, drug2: r.drug2, type: neo4j.int(r.type), source: r.source, license: licenses.get(r.source) ?? 'unknown', dup: neo4j.int(r.dup) }),
  );

  emit({ step: 'neo4j-summary', title: 'Neo4j sources, meta and counts', done: 0, total: 1 });
  const sources = (db.prepare('SELECT id, name, license, url, noncommercial, files FROM sources ORDER BY id').all() as {
    id: string; name: string; license: string; url: string; noncommercial: number; files: string;
  }[]).map((s) => ({ ...s, noncommercial: s.noncommercial === 1, files: JSON.parse(s.files) as string[] }));
  if (sources.length) await write(SOURCE_BATCH_CYPHER, { rows: sources });
  const meta = db.prepare('SELECT key, value FROM meta ORDER BY key').all() as { key: string; value: string }[];
  if (meta.length) await write(META_BATCH_CYPHER, { rows: meta });
  const edgeCounts = (db.prepare('SELECT metaedge, source, license, COUNT(*) AS count FROM edges GROUP BY metaedge, source, license').all() as {
    metaedge: string; source: string; license: string; count: number;
  }[]).map((r) => ({ ...r, count: neo4j.int(r.count) }));
  await write(EDGE_COUNT_CYPHER, { rows: edgeCounts });
  await write(PUSH_STATE_CYPHER, { state: 'complete', at: new Date().toISOString(), builtAt });
  emit({ step: 'neo4j-summary', title: 'Neo4j sources, meta and counts', done: 1, total: 1, finished: true });

  return { nodes, edges, terms, xrefs, interactions, seconds: (performance.now() - t0) / 1000 };
}
