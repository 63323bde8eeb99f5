/**
 * GraphStore over Neo4j, for deployments that keep the graph in a Neo4j 5 server (loaded by
 * `kedrec kb push-neo4j`; the model is described in push-neo4j.ts). Same answers as the SQLite
 * store: every query is fixed Cypher with parameters, runs in a read session under a
 * per-transaction timeout and carries a LIMIT; ranking and wording come from shared.ts.
 */
import neo4j, { type Driver, type Record as Neo4jRecord } from 'neo4j-driver';
import { normalizeTerm } from '../base/graph-schema.js';
import { canonicalIcd } from '../sources/icd.js';
import { MIN_FUZZY_SCORE, similarity } from './fuzzy.js';
import { layTerms } from './lay-terms.js';
import { relType } from './push-neo4j.js';
import {
  aggregateIndications,
  BARE_CODE_SYSTEMS,
  codeFallbacks,
  INDICATION_METAEDGES,
  sortProfileIndications,
  type IndicationRow,
  edgeProvenance,
  fillDdiTemplate,
  FUZZY_MATCH_THRESHOLD,
  jaccard,
  looksLikeBareCode,
  MAX_SUGGESTIONS,
  mechanismTargets,
  METAEDGE_LABELS,
  parsePrefixedCode,
  pathScore,
  pathText,
  rankMatches,
  round4,
} from './shared.js';
import {
  UnknownEntityError,
  type DrugProfile,
  type EntityDetails,
  type EntityMatch,
  type EntityRef,
  type GraphStore,
  type IndicatedDrug,
  type IndicationsResult,
  type Interaction,
  type KbStats,
  type MatchType,
  type MechanismPath,
  type PathEdge,
  type Provenance,
  type ResolveOptions,
  type ResolveResult,
  type SimilarDisease,
  type SimilarDrug,
} from './store.js';

/** Fuzzy candidates fetched from the full-text index before scoring (SQLite's trigram index scores up to 80). */
const FUZZY_CANDIDATES = 80;
/** Hard cap on neighbours fetched per query: above every degree in the KB, far below memory trouble. */
export const NEIGHBOUR_CAP = 5000;
/** Most drug ids one interactions() call accepts. */
const MAX_INTERACTION_DRUGS = 50;

/** Relationship types, built once from the metaedges (never from caller text). */
const T = {
  CtD: relType('CtD'),
  CpD: relType('CpD'),
  CiD: relType('CiD'),
  DkD: relType('DkD'),
  CnD: relType('CnD'),
  CbG: relType('CbG'),
  CcSE: relType('CcSE'),
  PCiC: relType('PCiC'),
  DaG: relType('DaG'),
  GiG: relType('GiG'),
  CrC: relType('CrC'),
  DrD: relType('DrD'),
  DsD: relType('DsD'),
};

const NODE = 'n{.id, .kind, .name, .inGraph}';

/** Fixed Cypher of every read; exported so unit tests can check that no caller text is spliced in. */
export const CYPHER = {
  pushState: "MATCH (p:Neo4jPush {id: 'kedrec'}) RETURN p.state AS state LIMIT 1",
  nodeById: `MATCH (n:Entity) WHERE n.id IN $ids RETURN ${NODE} AS node LIMIT 2`,
  /** Diseases among $ids an indication query answers for: drugs indicated for them or a subtype (DkD two levels, DsD). */
  indicated: `UNWIND $ids AS id
MATCH (d:Entity {id: id})
WHERE EXISTS { (d)<-[:${T.CtD}|${T.CpD}|${T.CiD}]-() }
   OR EXISTS { (d)<-[:${T.DkD}|${T.DsD}]-()<-[:${T.CtD}|${T.CpD}|${T.CiD}]-() }
   OR EXISTS { (d)<-[:${T.DkD}]-()<-[:${T.DkD}|${T.DsD}]-()<-[:${T.CtD}|${T.CpD}|${T.CiD}]-() }
RETURN d.id AS id LIMIT 1000`,
  /** A disease's subtypes read for its indications: by name (DkD, two levels) and by DO slim (DsD). */
  subtypes: `MATCH (d:Entity {id: $id})<-[:${T.DkD}|${T.DsD}]-(c:Entity)
OPTIONAL MATCH (c)<-[:${T.DkD}]-(g:Entity)
WITH d, collect(DISTINCT c) + collect(DISTINCT g) AS subs
UNWIND subs AS n
WITH DISTINCT n, d WHERE n <> d
RETURN ${NODE} AS node ORDER BY node.name LIMIT $limit`,
  mapsTo: `UNWIND $ids AS id
MATCH (d:Entity {id: id})-[r:${T.DsD}]->(n:Entity)
WITH id, r, ${NODE} AS node ORDER BY id, r.dup, node.name
RETURN id, collect(node)[0..50] AS mapped LIMIT 1000`,
  byXref: `UNWIND $codes AS code
MATCH (x:Xref {key: $system + ':' + code})-[:IDENTIFIES]->(n:Entity)
RETURN DISTINCT code, x.system AS system, x.code AS xcode, ${NODE} AS node LIMIT $limit`,
  byAnyXref: `MATCH (x:Xref {code: $code})-[:IDENTIFIES]->(n:Entity)
WHERE x.system IN $systems
RETURN DISTINCT x.system AS system, x.code AS xcode, ${NODE} AS node LIMIT $limit`,
  byTerm: `MATCH (:Term {norm: $norm})-[r:NAMES]->(n:Entity)
RETURN ${NODE} AS node, r.term AS term, r.type AS type LIMIT $limit`,
  fuzzy: `CALL db.index.fulltext.queryNodes('kedrec_term_fulltext', $lucene, {limit: $candidates}) YIELD node AS t, score
WITH t, score ORDER BY score DESC LIMIT $candidates
MATCH (t)-[r:NAMES]->(n:Entity)
RETURN t.norm AS norm, r.term AS term, ${NODE} AS node LIMIT $limit`,
  details: `MATCH (n:Entity {id: $id})
RETURN n.description AS description, n.props AS props,
  [(x:Xref)-[:IDENTIFIES]->(n) | {system: x.system, code: x.code}][0..1000] AS xrefs,
  [(:Term)-[r:NAMES]->(n) WHERE r.type IN ['synonym', 'brand'] | r.term][0..1000] AS synonyms
LIMIT 1`,
  /** Neighbours over one relationship type, one row per neighbour with every edge row's properties. */
  out: (type: string) => `MATCH (s:Entity {id: $id})-[r:${type}]->(n:Entity)
WITH ${NODE} AS node, collect(properties(r)) AS rels
RETURN node, rels LIMIT $cap`,
  in: (type: string) => `MATCH (s:Entity {id: $id})<-[r:${type}]-(n:Entity)
WITH ${NODE} AS node, collect(properties(r)) AS rels
RETURN node, rels LIMIT $cap`,
  /** `in` for many targets in one round trip (a disease and its subtypes), each target's rows capped. */
  inMany: (type: string) => `UNWIND $ids AS id
CALL {
  WITH id
  MATCH (s:Entity {id: id})<-[r:${type}]-(n:Entity)
  WITH ${NODE} AS node, collect(properties(r)) AS rels
  RETURN node, rels LIMIT $cap
}
RETURN id, node, rels`,
  directPaths: `MATCH (c:Entity {id: $drug})-[r1:${T.CbG}]->(g:Entity)<-[r2:${T.DaG}]-(d:Entity {id: $disease})
WITH c, d, g, collect(DISTINCT properties(r1)) AS p1, collect(DISTINCT properties(r2)) AS p2
WITH g, p1, p2,
  COUNT { (c)-[:${T.CbG}]->() } AS dDrug, COUNT { ()-[:${T.CbG}]->(g) } AS dGeneCbG,
  COUNT { ()-[:${T.DaG}]->(g) } AS dGeneDaG, COUNT { (d)-[:${T.DaG}]->() } AS dDisease
WITH g, p1, p2, [dDrug, dGeneCbG, dGeneDaG, dDisease] AS degrees
ORDER BY 1.0 / sqrt(toFloat(reduce(p = 1.0, x IN degrees | p * x))) DESC, g.name
RETURN g{.id, .kind, .name} AS gene, p1, p2, degrees LIMIT $cap`,
  geneGenePaths: `MATCH (c:Entity {id: $drug})-[r1:${T.CbG}]->(g:Entity)-[r2:${T.GiG}]-(h:Entity)<-[r3:${T.DaG}]-(d:Entity {id: $disease})
WHERE g <> h
WITH c, d, g, h, collect(DISTINCT properties(r1)) AS p1, head(collect(properties(r2))) AS p2, collect(DISTINCT properties(r3)) AS p3
WITH g, h, p1, p2, p3, [
  COUNT { (c)-[:${T.CbG}]->() }, COUNT { ()-[:${T.CbG}]->(g) },
  COUNT { (g)-[:${T.GiG}]->() } + COUNT { (g)<-[:${T.GiG}]-() },
  COUNT { (h)-[:${T.GiG}]->() } + COUNT { (h)<-[:${T.GiG}]-() },
  COUNT { ()-[:${T.DaG}]->(h) }, COUNT { (d)-[:${T.DaG}]->() }] AS degrees
ORDER BY 1.0 / sqrt(toFloat(reduce(p = 1.0, x IN degrees | p * x))) DESC, g.name, h.name
RETURN g{.id, .kind, .name} AS gene1, h{.id, .kind, .name} AS gene2, p1, p2, p3, degrees LIMIT $cap`,
  ddi: `MATCH (a:Entity)-[r:INTERACTS]->(b:Entity)
WHERE a.id IN $ids AND b.id IN $ids AND a <> b
OPTIONAL MATCH (t:DdiType {type: r.type})
RETURN a.id AS drug1, b.id AS drug2, r.type AS type, r.source AS source, r.license AS license, t.template AS template
LIMIT $cap`,
  resembles: (type: string) => `MATCH (s:Entity {id: $id})-[:${type}]-(n:Entity)
WHERE n <> s
RETURN DISTINCT ${NODE} AS node LIMIT $cap`,
  sharedTargets: `MATCH (s:Entity {id: $id})-[:${T.CbG}]->(g:Entity)<-[:${T.CbG}]-(o:Entity)
WHERE o <> s
WITH o, collect(DISTINCT g{.id, .kind, .name}) AS shared
RETURN o{.id, .kind, .name} AS other, shared[0..10] AS sharedRefs, size(shared) AS sharedCount, COUNT { (o)-[:${T.CbG}]->() } AS degree
LIMIT $cap`,
  sharedClasses: `MATCH (s:Entity {id: $id})<-[:${T.PCiC}]-(c:Entity)-[:${T.PCiC}]->(o:Entity)
WHERE o <> s
WITH o, collect(DISTINCT c{.id, .kind, .name}) AS shared
RETURN o{.id, .kind, .name} AS other, shared[0..10] AS sharedRefs, size(shared) AS sharedCount, COUNT { ()-[:${T.PCiC}]->(o) } AS degree
LIMIT $cap`,
  sharedGenes: `MATCH (s:Entity {id: $id})-[:${T.DaG}]->(g:Entity)<-[:${T.DaG}]-(o:Entity)
WHERE o <> s
WITH o, count(DISTINCT g) AS sharedCount
RETURN o{.id, .kind, .name} AS other, sharedCount, COUNT { (o)-[:${T.DaG}]->() } AS degree
LIMIT $cap`,
  featureSizes: `MATCH (s:Entity {id: $id})
OPTIONAL MATCH (s)-[:${T.CbG}]->(g:Entity)
WITH s, count(DISTINCT g) AS targets
OPTIONAL MATCH (s)<-[:${T.PCiC}]-(c:Entity)
WITH s, targets, count(DISTINCT c) AS classes
OPTIONAL MATCH (s)-[:${T.DaG}]->(x:Entity)
RETURN targets, classes, count(DISTINCT x) AS genes
LIMIT 1`,
  statsNodes: `MATCH (n:Entity)
RETURN n.kind AS kind, count(*) AS count, sum(CASE WHEN n.inGraph THEN 1 ELSE 0 END) AS inGraph
ORDER BY kind LIMIT 1000`,
  statsEdges: `MATCH (c:EdgeCount)
RETURN c.metaedge AS metaedge, c.source AS source, c.license AS license, c.count AS count
ORDER BY metaedge, source, license LIMIT 10000`,
  statsInteractions: 'MATCH ()-[r:INTERACTS]->() RETURN count(r) AS count',
  statsSources: `MATCH (s:Source)
RETURN s.id AS id, s.name AS name, s.license AS license, s.url AS url, s.noncommercial AS noncommercial, s.files AS files
ORDER BY id LIMIT 1000`,
  statsMeta: 'MATCH (m:KbMeta) RETURN m.key AS key, m.value AS value LIMIT 1000',
};

/** A graph query ran past its time limit; the message says which and how to raise the limit. */
export class GraphQueryTimeoutError extends Error {
  constructor(readonly query: string, readonly timeoutMs: number) {
    super(`graph query ${query} exceeded its ${timeoutMs} ms limit (KEDREC_QUERY_TIMEOUT_MS)`);
    this.name = 'GraphQueryTimeoutError';
  }
}

/** The Neo4j database has no complete KEDRec push; the message names the command that fixes it. */
export class Neo4jNotLoadedError extends Error {}

/**
 * A Lucene query for fuzzy term lookup. The normalised query holds only letters, digits and
 * spaces, but Lucene syntax characters are escaped anyway: the string is data, not a query the
 * caller writes. Each word allows 1 edit (short words) or 2, and words are OR-ed.
 */
export function luceneFuzzyQuery(norm: string): string | null {
  const words = norm.split(/\s+/).filter(Boolean).slice(0, 8);
  if (!words.length || norm.length < 3) return null;
  return words
    .map((w) => `${w.replace(/[+\-&|!(){}[\]^"~*?:\\/]/g, (c) => `\\${c}`)}~${w.length <= 4 ? 1 : 2}`)
    .join(' OR ');
}

/** A Neo4j Integer, JS number or bigint as a JS number (KB counts are far below 2^53). */
export function toNum(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (neo4j.isInt(v)) return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'bigint') return Number(v);
  return Number(v);
}

/** Property maps from the driver with Neo4j Integers turned into numbers, lists kept. */
export function plainProps(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m ?? {})) {
    if (neo4j.isInt(v)) out[k] = toNum(v);
    else if (Array.isArray(v)) out[k] = v.map((x) => (neo4j.isInt(x) ? toNum(x) : x));
    else out[k] = v;
  }
  return out;
}

interface NodeVal {
  id: string;
  kind: string;
  name: string;
  inGraph: boolean;
}

const ref = (r: { id: string; kind: string; name: string }): EntityRef => ({ id: r.id, kind: r.kind, name: r.name });

function provenanceOfRel(p: Record<string, unknown>): Provenance {
  const props = plainProps(p);
  return edgeProvenance(String(props.source ?? 'unknown'), String(props.license ?? 'unknown'), props);
}

/** Several edge rows between the same two nodes: all provenances, props merged as SQLite does. */
function mergeRels(rels: Record<string, unknown>[]): { prov: Provenance[]; props: Record<string, unknown> } {
  const sorted = [...rels].map(plainProps).sort((a, b) => String(a.source).localeCompare(String(b.source)) || toNum(a.dup) - toNum(b.dup));
  const props: Record<string, unknown> = {};
  for (const r of sorted) Object.assign(props, r);
  return { prov: sorted.map((r) => edgeProvenance(String(r.source ?? 'unknown'), String(r.license ?? 'unknown'), r)), props };
}

export interface Neo4jGraphStoreOptions {
  driver: Driver;
  /** Database name; the server's default database when omitted. */
  database?: string;
  /** Per-transaction timeout in milliseconds (KEDREC_QUERY_TIMEOUT_MS). */
  timeoutMs: number;
  /** Close the driver in close(): true when the store created it (openNeo4jGraphStore). */
  closeDriver?: boolean;
}

/**
 * Creates the Neo4j GraphStore over a driver the caller made. Every call opens a READ session
 * (the server rejects writes in it) and runs one managed read transaction with `timeoutMs`.
 */
export function createNeo4jGraphStore(opts: Neo4jGraphStoreOptions): GraphStore {
  const { driver, database, timeoutMs } = opts;
  const sessionConfig = { defaultAccessMode: neo4j.session.READ, ...(database ? { database } : {}) };

  async function read(name: string, cypher: string, params: Record<string, unknown> = {}): Promise<Neo4jRecord[]> {
    const session = driver.session(sessionConfig);
    try {
      return await session.executeRead(async (tx) => (await tx.run(cypher, params)).records, { timeout: timeoutMs });
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (/TransactionTimedOut|TransactionTimedOutClientConfiguration/.test(code)) throw new GraphQueryTimeoutError(name, timeoutMs);
      throw err;
    } finally {
      await session.close();
    }
  }

  const int = (n: number) => neo4j.int(Math.max(0, Math.floor(n)));
  const cap = int(NEIGHBOUR_CAP);
  const nodeOf = (rec: Neo4jRecord, key = 'node') => rec.get(key) as NodeVal;

  async function nodeById(id: string): Promise<NodeVal | undefined> {
    const raw = id.trim();
    const ids = [...new Set([id, raw, raw.toUpperCase()])];
    const recs = await read('nodeById', CYPHER.nodeById, { ids });
    const nodes = recs.map((r) => nodeOf(r));
    // Prefer the id exactly as given, then the upper-cased form (as the SQLite store does).
    return nodes.find((n) => n.id === id) ?? nodes.find((n) => n.id === raw) ?? nodes[0];
  }

  async function mapsToOf(nodes: NodeVal[]): Promise<Map<string, EntityRef[]>> {
    const ids = [...new Set(nodes.filter((n) => n.kind === 'Disease' && !n.inGraph).map((n) => n.id))];
    if (!ids.length) return new Map();
    const recs = await read('mapsTo', CYPHER.mapsTo, { ids });
    return new Map(recs.map((r) => [r.get('id') as string, (r.get('mapped') as NodeVal[]).map(ref)]));
  }

  function toMatch(n: NodeVal, matchedOn: string, matchType: MatchType, score: number): EntityMatch {
    return { ...ref(n), matchedOn, matchType, score, inGraph: n.inGraph === true };
  }

  async function indicatedIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    return new Set((await read('indicated', CYPHER.indicated, { ids })).map((r) => r.get('id') as string));
  }

  async function withMapsTo(matches: EntityMatch[]): Promise<EntityMatch[]> {
    const mapped = await mapsToOf(matches.map((m) => ({ id: m.id, kind: m.kind, name: m.name, inGraph: m.inGraph })));
    const indicated = await indicatedIds([...new Set(matches.filter((m) => m.kind === 'Disease').map((m) => m.id))]);
    return matches.map((m) => {
      const out: EntityMatch = mapped.get(m.id)?.length ? { ...m, mapsTo: mapped.get(m.id) } : { ...m };
      if (m.kind === 'Disease') out.indicated = indicated.has(m.id);
      return out;
    });
  }

  /** ICD codes are canonicalised (E119 → E11.9) and fall back to their parent category (E11.9 → E11). */
  async function lookupCode(system: string, code: string, limit: number): Promise<EntityMatch[]> {
    const canonical = system === 'ICD9' || system === 'ICD10' ? canonicalIcd(system, code) : code;
    const codes = codeFallbacks(system, canonical);
    const recs = await read('byXref', CYPHER.byXref, { system, codes, limit: int(limit * codes.length + 50) });
    // The most specific code that matched wins; a parent category scores 0.9 as in SQLite.
    for (const c of codes) {
      const hits = recs.filter((r) => r.get('code') === c);
      if (hits.length) return hits.map((r) => toMatch(nodeOf(r), `${r.get('system')}:${r.get('xcode')}`, 'code', c === canonical ? 1 : 0.9));
    }
    return [];
  }

  /**
   * Exact lookups by identifier or code: node id, SYSTEM:code, bare ICD/MeSH/UMLS codes. The kind
   * filter applies at each step, so "UMLS:C0011860" asked as a Disease is not stopped by the
   * Side Effect node whose id it also is.
   */
  async function exactCodeMatches(query: string, kinds: string[] | undefined, limit: number): Promise<EntityMatch[]> {
    const ok = (m: EntityMatch) => !kinds || kinds.includes(m.kind);
    const upper = query.trim().toUpperCase();
    const direct = await nodeById(query);
    if (direct && ok(toMatch(direct, direct.id, 'id', 1))) return [toMatch(direct, direct.id, 'id', 1)];
    const prefixed = parsePrefixedCode(query);
    if (prefixed) {
      const rows = (await lookupCode(prefixed.system, prefixed.code, limit)).filter(ok);
      if (rows.length) return rows;
      if (prefixed.system === 'NCBIGENE') {
        const gene = await nodeById(`NCBIGene:${prefixed.code}`);
        if (gene && ok(toMatch(gene, gene.id, 'id', 1))) return [toMatch(gene, gene.id, 'id', 1)];
      }
    }
    if (looksLikeBareCode(upper)) {
      const recs = await read('byAnyXref', CYPHER.byAnyXref, { code: upper, systems: BARE_CODE_SYSTEMS, limit: int(limit + 50) });
      const rows = recs.map((r) => toMatch(nodeOf(r), `${r.get('system')}:${r.get('xcode')}`, 'code', 1)).filter(ok);
      if (rows.length) return rows;
      // ICD codes typed with or without the dot: E11.9 / E119 (ICD-10), 250.00 / 25000 (ICD-9).
      if (/^[A-Z]\d{2}/.test(upper)) {
        const icd10 = (await lookupCode('ICD10', upper, limit)).filter(ok);
        if (icd10.length) return icd10;
      }
      if (/^[\dVE]\d{2}/.test(upper)) return (await lookupCode('ICD9', upper, limit)).filter(ok);
    }
    return [];
  }

  async function fuzzy(norm: string, kinds: string[] | undefined): Promise<EntityMatch[]> {
    const lucene = luceneFuzzyQuery(norm);
    if (!lucene) return [];
    const recs = await read('fuzzy', CYPHER.fuzzy, { lucene, candidates: int(FUZZY_CANDIDATES), limit: int(NEIGHBOUR_CAP) });
    const out: EntityMatch[] = [];
    for (const r of recs) {
      const n = nodeOf(r);
      if (kinds && !kinds.includes(n.kind)) continue;
      const score = similarity(norm, r.get('norm') as string);
      // The same floor as the SQLite store: gibberish gets no matches and no suggestions on either backend.
      if (score < MIN_FUZZY_SCORE) continue;
      out.push(toMatch(n, r.get('term') as string, 'fuzzy', score));
    }
    return out;
  }

  async function resolve(query: string, options: ResolveOptions = {}): Promise<ResolveResult> {
    const limit = Math.max(1, Math.min(options.limit ?? 10, 100));
    const kinds = options.kinds?.length ? options.kinds : undefined;
    const exact = await exactCodeMatches(query, kinds, limit);
    const norm = normalizeTerm(query);
    if (norm) {
      // The clinical vocabulary first, as the SQLite store reads it.
      for (const t of layTerms().get(norm) ?? []) {
        const n = await nodeById(t.target);
        if (n && n.kind === t.kind) exact.push(toMatch(n, t.term, 'preferred', 1));
      }
      const recs = await read('byTerm', CYPHER.byTerm, { norm, limit: int(NEIGHBOUR_CAP) });
      for (const r of recs) exact.push(toMatch(nodeOf(r), r.get('term') as string, r.get('type') as MatchType, 1));
    }
    const ranked = rankMatches(exact, kinds, limit);
    if (ranked.length || options.exactOnly) return { query, matches: await withMapsTo(ranked), suggestions: [] };
    const fuzzyRanked = rankMatches(await fuzzy(norm, kinds), kinds, Math.max(limit, MAX_SUGGESTIONS));
    const matches = fuzzyRanked.filter((m) => m.score >= FUZZY_MATCH_THRESHOLD).slice(0, limit);
    const suggestions = matches.length ? [] : fuzzyRanked.slice(0, MAX_SUGGESTIONS).map(ref);
    return { query, matches: await withMapsTo(matches), suggestions };
  }

  /** Looks a node up by public id; unknown ids throw with did-you-mean suggestions. */
  async function requireNode(id: string, kind: string, label: string): Promise<NodeVal> {
    const n = await nodeById(id);
    if (n && n.kind === kind) return n;
    const r = await resolve(id, { kinds: [kind], limit: MAX_SUGGESTIONS });
    throw new UnknownEntityError(id, label, [...r.matches, ...r.suggestions].slice(0, MAX_SUGGESTIONS).map(ref));
  }

  /** A disease outside the graph is answered through the graph disease that subsumes it. */
  async function graphDisease(id: string): Promise<{ node: NodeVal; requested?: NodeVal }> {
    const n = await requireNode(id, 'Disease', 'disease');
    if (n.inGraph) return { node: n };
    const recs = await read('mapsTo', CYPHER.mapsTo, { ids: [n.id] });
    const first = recs.length ? (recs[0].get('mapped') as NodeVal[])[0] : undefined;
    if (first) return { node: first, requested: n };
    return { node: n };
  }

  interface Group {
    node: NodeVal;
    prov: Provenance[];
    props: Record<string, unknown>;
    rows: IndicationRow['edges'];
  }

  const groupOf = (r: Neo4jRecord): Group => {
    const rels = r.get('rels') as Record<string, unknown>[];
    // Each relationship is one stored edge row: its properties are the row's props plus source and license.
    const rows = rels.map(plainProps).map((p) => ({ source: String(p.source ?? 'unknown'), license: String(p.license ?? 'unknown'), props: p }));
    return { node: nodeOf(r), ...mergeRels(rels), rows };
  };

  async function neighbours(dir: 'out' | 'in', id: string, type: string): Promise<Group[]> {
    return (await read(`${dir}:${type}`, CYPHER[dir](type), { id, cap })).map(groupOf);
  }

  /** Incoming neighbours of many targets over one type, in one query: target id → groups. */
  async function inNeighboursOfMany(ids: string[], type: string): Promise<Map<string, Group[]>> {
    const out = new Map<string, Group[]>();
    if (!ids.length) return out;
    for (const r of await read(`inMany:${type}`, CYPHER.inMany(type), { ids, cap })) {
      const id = r.get('id') as string;
      out.set(id, [...(out.get(id) ?? []), groupOf(r)]);
    }
    return out;
  }

  const INDICATION_TYPES: [string, string][] = Object.keys(INDICATION_METAEDGES).map((m) => [m, relType(m)]);

  /**
   * A disease's indication rows, its own and (marked `via`) its subtypes' (as the SQLite store
   * reads them). One query per indication type for the disease and all its subtypes together: a
   * query per subtype and type was hundreds of round trips for a broad disease (p95 381 ms on a
   * real server, measured with `npm run bench -- graph --backend both`).
   */
  async function indicationRows(node: NodeVal): Promise<IndicationRow[]> {
    const subs = (await read('subtypes', CYPHER.subtypes, { id: node.id, limit: neo4j.int(400) })).map((r) => nodeOf(r));
    const targets = [node, ...subs];
    const targetIds = targets.map((t) => t.id);
    const byType = await Promise.all(
      INDICATION_TYPES.map(async ([metaedge, type]) => ({ metaedge, groups: await inNeighboursOfMany(targetIds, type) })),
    );
    const rows: IndicationRow[] = [];
    // The disease's own rows first, then each subtype's, each in indication-type order (as before).
    for (const target of targets) {
      const via = target === node ? undefined : target;
      for (const { metaedge, groups } of byType) {
        for (const g of groups.get(target.id) ?? []) rows.push({ drug: ref(g.node), metaedge, edges: g.rows, ...(via ? { via: ref(via) } : {}) });
      }
    }
    return rows;
  }

  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

  return {
    backend: 'neo4j',
    resolve,

    async getEntity(id) {
      const n = await nodeById(id);
      if (!n) return null;
      const recs = await read('details', CYPHER.details, { id: n.id });
      const rec = recs[0];
      const xrefs = ((rec?.get('xrefs') ?? []) as { system: string; code: string }[])
        .map((x) => ({ system: x.system, code: x.code }))
        .filter((x, i, all) => all.findIndex((y) => y.system === x.system && y.code === x.code) === i)
        .sort((a, b) => (a.system < b.system ? -1 : a.system > b.system ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
        .slice(0, 200);
      const synonyms = ((rec?.get('synonyms') ?? []) as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, 50);
      const details: EntityDetails = {
        ...ref(n),
        description: (rec?.get('description') as string | null | undefined) ?? null,
        inGraph: n.inGraph === true,
        xrefs,
        synonyms,
      };
      return details;
    },

    async indicatedDrugs(diseaseId, options = {}) {
      const limit = options.limit ?? 50;
      const asked = await requireNode(diseaseId, 'Disease', 'disease');
      // The disease itself when drugs are indicated for it or a subtype; else its DO slim graph disease.
      const { node, requested } = (await indicatedIds([asked.id])).has(asked.id) ? { node: asked, requested: undefined } : await graphDisease(diseaseId);
      const drugs: IndicatedDrug[] = aggregateIndications(await indicationRows(node), { relations: options.relations, tiers: options.tiers });
      const notIndicated = (await neighbours('in', node.id, T.CnD)).map((g) => ({ drug: ref(g.node), provenance: g.prov }));
      const result: IndicationsResult = { disease: ref(node), drugs: drugs.slice(0, limit), notIndicated: notIndicated.slice(0, limit), total: drugs.length };
      if (requested) result.requested = ref(requested);
      return result;
    },

    async drugProfile(drugId, options = {}) {
      const n = await requireNode(drugId, 'Compound', 'drug');
      const rec = (await read('details', CYPHER.details, { id: n.id }))[0];
      const props = JSON.parse((rec?.get('props') as string | null) ?? '{}') as { atc?: string[]; groups?: string[] };
      const targets = (await neighbours('out', n.id, T.CbG)).map((g) => ({
        gene: ref(g.node),
        actions: Array.isArray(g.props.actions) ? (g.props.actions as string[]) : [],
        provenance: g.prov,
      }));
      targets.sort((a, b) => b.actions.length - a.actions.length || byName(a.gene, b.gene));
      const classes = (await neighbours('in', n.id, T.PCiC)).map((g) => ({ cls: ref(g.node), provenance: g.prov }));
      classes.sort((a, b) => byName(a.cls, b.cls));
      const sideEffects = (await neighbours('out', n.id, T.CcSE)).map((g) => {
        const se: DrugProfile['sideEffects'][number] = { sideEffect: ref(g.node), provenance: g.prov };
        if (typeof g.props.frequency === 'string') se.frequency = g.props.frequency;
        if (typeof g.props.frequencyValue === 'number') se.frequencyValue = g.props.frequencyValue;
        return se;
      });
      // Side effects with a known frequency first, most frequent first; the rest alphabetically.
      sideEffects.sort((a, b) => (b.frequencyValue ?? -1) - (a.frequencyValue ?? -1) || byName(a.sideEffect, b.sideEffect));
      const byDisease = new Map<string, { disease: NodeVal; rows: IndicationRow[] }>();
      for (const [metaedge, type] of INDICATION_TYPES) {
        for (const g of await neighbours('out', n.id, type)) {
          const cur = byDisease.get(g.node.id) ?? { disease: g.node, rows: [] };
          cur.rows.push({ drug: ref(n), metaedge, edges: g.rows });
          byDisease.set(g.node.id, cur);
        }
      }
      const indications: DrugProfile['indications'] = sortProfileIndications(
        [...byDisease.values()].map(({ disease, rows }) => {
          const { relation, tier, resources, provenance } = aggregateIndications(rows)[0];
          return { disease: ref(disease), relation, tier, resources, provenance };
        }),
      );
      const maxTargets = options.maxTargets ?? 25;
      const maxSideEffects = options.maxSideEffects ?? 25;
      const maxClasses = options.maxClasses ?? 25;
      const synonyms = ((rec?.get('synonyms') ?? []) as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, 20);
      return {
        drug: {
          ...ref(n),
          description: (rec?.get('description') as string | null | undefined) ?? null,
          atc: props.atc ?? [],
          groups: props.groups ?? [],
          synonyms,
        },
        targets: targets.slice(0, maxTargets),
        classes: classes.slice(0, maxClasses),
        sideEffects: sideEffects.slice(0, maxSideEffects),
        indications,
        counts: { targets: targets.length, sideEffects: sideEffects.length, classes: classes.length, indications: indications.length },
      };
    },

    async mechanismPaths(drugId, diseaseId, options = {}) {
      const limit = Math.max(0, options.limit ?? 10);
      const viaGeneGene = options.viaGeneGene ?? true;
      const drug = await requireNode(drugId, 'Compound', 'drug');
      const { node: disease } = await graphDisease(diseaseId);
      if (!limit) return [];
      const params = { drug: drug.id, disease: disease.id, cap: int(Math.min(NEIGHBOUR_CAP, limit * 20 + 100)) };
      const edge = (metaedge: string, rels: Record<string, unknown>[]): PathEdge => ({
        metaedge, label: METAEDGE_LABELS[metaedge], provenance: mergeRels(rels).prov,
      });
      // Curated targets (else measured binding), never the enzymes and transporters that handle the
      // drug: decided over all the drug's binding edges, as the SQLite store does.
      const verbOf = new Map<string, string>();
      const bound = await neighbours('out', drug.id, T.CbG);
      const boundEdges = bound.flatMap((g) => g.rows.map((row) => ({ gene: g.node.id, props: row.props })));
      for (const t of mechanismTargets(boundEdges)) if (!verbOf.has(t.gene)) verbOf.set(t.gene, t.verb);
      const bindEdge = (geneId: string, rels: Record<string, unknown>[]): PathEdge => ({ ...edge('CbG', rels), label: verbOf.get(geneId) ?? METAEDGE_LABELS.CbG });
      const paths: MechanismPath[] = [];
      for (const r of await read('directPaths', CYPHER.directPaths, params)) {
        const gene = r.get('gene') as NodeVal;
        if (!verbOf.has(String(gene.id))) continue;
        const nodes = [ref(drug), ref(gene), ref(disease)];
        const edges = [bindEdge(String(gene.id), r.get('p1') as Record<string, unknown>[]), edge('DaG', r.get('p2') as Record<string, unknown>[])];
        const score = pathScore((r.get('degrees') as unknown[]).map(toNum));
        paths.push({ nodes, edges, score, text: pathText(nodes, edges) });
      }
      if (viaGeneGene) {
        for (const r of await read('geneGenePaths', CYPHER.geneGenePaths, params)) {
          const gene1 = r.get('gene1') as NodeVal;
          if (!verbOf.has(String(gene1.id))) continue;
          const nodes = [ref(drug), ref(gene1), ref(r.get('gene2') as NodeVal), ref(disease)];
          const edges = [
            bindEdge(String(gene1.id), r.get('p1') as Record<string, unknown>[]),
            { metaedge: 'GiG', label: METAEDGE_LABELS.GiG, provenance: [provenanceOfRel(r.get('p2') as Record<string, unknown>)] },
            edge('DaG', r.get('p3') as Record<string, unknown>[]),
          ];
          const score = pathScore((r.get('degrees') as unknown[]).map(toNum));
          paths.push({ nodes, edges, score, text: pathText(nodes, edges) });
        }
      }
      paths.sort((a, b) => b.score - a.score || a.text.localeCompare(b.text));
      return paths.slice(0, limit);
    },

    async interactions(drugIds) {
      const unique = [...new Set(drugIds)];
      if (unique.length > MAX_INTERACTION_DRUGS) throw new RangeError(`interactions() takes at most ${MAX_INTERACTION_DRUGS} drugs, got ${unique.length}`);
      const nodes: NodeVal[] = [];
      for (const id of unique) nodes.push(await requireNode(id, 'Compound', 'drug'));
      if (nodes.length < 2) return [];
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const recs = await read('ddi', CYPHER.ddi, { ids: [...byId.keys()], cap });
      const askedDrug = (id: string): NodeVal => {
        const node = byId.get(id);
        if (!node) throw new Error(`the DDI query returned drug ${id}, which is not one of the drugs asked about`);
        return node;
      };
      const out: Interaction[] = recs.map((r) => {
        const a = askedDrug(r.get('drug1') as string);
        const b = askedDrug(r.get('drug2') as string);
        const type = toNum(r.get('type'));
        const template = r.get('template') as string | null;
        return {
          drug1: ref(a),
          drug2: ref(b),
          type,
          // A missing template would mean a broken push; say so rather than invent a sentence.
          sentence: template ? fillDdiTemplate(template, a.name, b.name) : `${a.name} and ${b.name} interact (DeepDDI type ${type}; template missing from the graph).`,
          provenance: [{ source: r.get('source') as string, license: (r.get('license') as string | null) ?? 'unknown', detail: `DeepDDI interaction type ${type}` }],
        };
      });
      out.sort((x, y) => x.drug1.name.localeCompare(y.drug1.name) || x.drug2.name.localeCompare(y.drug2.name) || x.type - y.type);
      return out;
    },

    async similarDrugs(drugId, options = {}) {
      const limit = options.limit ?? 10;
      const n = await requireNode(drugId, 'Compound', 'drug');
      const sizes = (await read('featureSizes', CYPHER.featureSizes, { id: n.id }))[0];
      const nT = toNum(sizes?.get('targets'));
      const nC = toNum(sizes?.get('classes'));
      const resembles = new Map((await read('resembles', CYPHER.resembles(T.CrC), { id: n.id, cap })).map((r) => [nodeOf(r).id, nodeOf(r)]));
      type Shared = { other: EntityRef; refs: EntityRef[]; shared: number; degree: number };
      const sharedRows = async (name: string, cypher: string) =>
        new Map((await read(name, cypher, { id: n.id, cap })).map((r) => {
          const other = ref(r.get('other') as NodeVal);
          return [other.id, { other, refs: (r.get('sharedRefs') as NodeVal[]).map(ref), shared: toNum(r.get('sharedCount')), degree: toNum(r.get('degree')) }] as [string, Shared];
        }));
      const sharedT = await sharedRows('sharedTargets', CYPHER.sharedTargets);
      const sharedC = await sharedRows('sharedClasses', CYPHER.sharedClasses);
      const scored: SimilarDrug[] = [];
      for (const id of new Set([...resembles.keys(), ...sharedT.keys(), ...sharedC.keys()])) {
        const st = sharedT.get(id);
        const sc = sharedC.get(id);
        const other = resembles.get(id) ?? st?.other ?? sc?.other;
        if (!other) throw new Error(`similar drug ${id} is in none of the lists it was collected from`);
        const jT = st ? jaccard(st.shared, nT, st.degree) : 0;
        const jC = sc ? jaccard(sc.shared, nC, sc.degree) : 0;
        // Structural resemblance, shared targets and shared classes, each in [0, 1], weighted equally.
        const score = (resembles.has(id) ? 1 : 0) / 3 + jT / 3 + jC / 3;
        scored.push({ drug: ref(other), score: round4(score), resembles: resembles.has(id), sharedTargets: st?.refs ?? [], sharedClasses: sc?.refs ?? [] });
      }
      scored.sort((a, b) => b.score - a.score || a.drug.name.localeCompare(b.drug.name));
      return scored.slice(0, limit);
    },

    async similarDiseases(diseaseId, options = {}) {
      const limit = options.limit ?? 10;
      const { node } = await graphDisease(diseaseId);
      const sizes = (await read('featureSizes', CYPHER.featureSizes, { id: node.id }))[0];
      const nG = toNum(sizes?.get('genes'));
      const resembles = new Map((await read('resembles', CYPHER.resembles(T.DrD), { id: node.id, cap })).map((r) => [nodeOf(r).id, nodeOf(r)]));
      const shared = new Map((await read('sharedGenes', CYPHER.sharedGenes, { id: node.id, cap })).map((r) => {
        const other = ref(r.get('other') as NodeVal);
        return [other.id, { other, shared: toNum(r.get('sharedCount')), degree: toNum(r.get('degree')) }];
      }));
      const out: SimilarDisease[] = [];
      for (const id of new Set([...resembles.keys(), ...shared.keys()])) {
        const s = shared.get(id);
        const other = resembles.get(id) ?? s?.other;
        if (!other) throw new Error(`similar disease ${id} is in none of the lists it was collected from`);
        const j = s ? jaccard(s.shared, nG, s.degree) : 0;
        const score = (resembles.has(id) ? 0.5 : 0) + j / 2;
        out.push({ disease: ref(other), score: round4(score), resembles: resembles.has(id), sharedGenes: s?.shared ?? 0 });
      }
      out.sort((a, b) => b.score - a.score || a.disease.name.localeCompare(b.disease.name));
      return out.slice(0, limit);
    },

    async stats(): Promise<KbStats> {
      const nodes = (await read('statsNodes', CYPHER.statsNodes)).map((r) => ({ kind: r.get('kind') as string, count: toNum(r.get('count')), inGraph: toNum(r.get('inGraph')) }));
      const edges = (await read('statsEdges', CYPHER.statsEdges)).map((r) => ({
        metaedge: r.get('metaedge') as string, source: r.get('source') as string, license: r.get('license') as string, count: toNum(r.get('count')),
      }));
      const interactions = toNum((await read('statsInteractions', CYPHER.statsInteractions))[0]?.get('count'));
      const sources = (await read('statsSources', CYPHER.statsSources)).map((r) => ({
        id: r.get('id') as string,
        name: r.get('name') as string,
        license: r.get('license') as string,
        url: r.get('url') as string,
        noncommercial: r.get('noncommercial') === true,
        files: (r.get('files') as string[] | null) ?? [],
      }));
      const meta = Object.fromEntries((await read('statsMeta', CYPHER.statsMeta)).map((r) => [r.get('key') as string, r.get('value') as string]));
      return { nodes, edges, interactions, sources, meta };
    },

    async close() {
      if (opts.closeDriver) await driver.close();
    },
  };
}

/**
 * Checks that the database holds a complete KEDRec push (a store over an empty or half-loaded
 * database would answer "nothing found" for everything, which looks like success).
 */
export async function assertNeo4jLoaded(driver: Driver, database: string | undefined, timeoutMs: number): Promise<void> {
  const session = driver.session({ defaultAccessMode: neo4j.session.READ, ...(database ? { database } : {}) });
  let state: string | undefined;
  try {
    const recs = await session.executeRead(async (tx) => (await tx.run(CYPHER.pushState)).records, { timeout: timeoutMs });
    state = recs[0]?.get('state') as string | undefined;
  } finally {
    await session.close();
  }
  if (state !== 'complete') {
    const what = state ? `its last push did not finish (state ${JSON.stringify(state)})` : 'holds no KEDRec knowledge base';
    throw new Neo4jNotLoadedError(`Neo4j database ${database ?? '(default)'} ${what}; load it with \`kedrec kb push-neo4j\``);
  }
}

export interface OpenNeo4jOptions {
  uri: string;
  user: string;
  password?: string;
  database?: string;
  timeoutMs: number;
}

/**
 * Opens a driver from configuration, verifies the server is reachable and loaded, and returns a
 * store that closes the driver with it. Fails at start-up, with the reason, rather than on the
 * first query.
 */
export async function openNeo4jGraphStore(o: OpenNeo4jOptions): Promise<GraphStore> {
  const driver = neo4j.driver(o.uri, neo4j.auth.basic(o.user, o.password ?? ''), { connectionTimeout: Math.max(o.timeoutMs, 5000) });
  try {
    await driver.verifyConnectivity(o.database ? { database: o.database } : {}).catch((err: Error) => {
      throw new Error(`cannot reach Neo4j at ${o.uri}: ${err.message}`);
    });
    await assertNeo4jLoaded(driver, o.database, o.timeoutMs);
  } catch (err) {
    await driver.close();
    throw err;
  }
  return createNeo4jGraphStore({ driver, database: o.database, timeoutMs: o.timeoutMs, closeDriver: true });
}
