import type Database from 'better-sqlite3';
import { normalizeTerm } from '../base/graph-schema.js';
import { getOrCreate } from '../../lib/map.js';
import { canonicalIcd } from '../sources/icd.js';
import {
  aggregateIndications,
  codeFallbacks,
  INDICATION_METAEDGES,
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
  sortProfileIndications,
  type IndicationRow,
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
  type Provenance,
  type ResolveOptions,
  type ResolveResult,
  type SimilarDisease,
} from './store.js';
import { createFuzzyIndex, type FuzzyIndex } from './fuzzy.js';
import { layTerms } from './lay-terms.js';

interface DdiRow {
  drug1: number;
  drug2: number;
  type: number;
  source: string;
  template: string;
}

interface NodeRow {
  nid: number;
  id: string;
  kind: string;
  name: string;
  in_hetionet: number;
}
interface Adjacency {
  out: Map<number, number[]>;
  in: Map<number, number[]>;
}
interface EdgeRow {
  metaedge: string;
  source: string;
  license: string;
  props: string;
}

const ref = (r: { id: string; kind: string; name: string }): EntityRef => ({ id: r.id, kind: r.kind, name: r.name });

const provenanceOf = (e: EdgeRow): Provenance => edgeProvenance(e.source, e.license, JSON.parse(e.props) as Record<string, unknown>);

/**
 * The `limit` best items by score, ties broken by name. Names cost a lookup each, so only items
 * that can still make the cut (score at least the limit-th best) are named.
 */
function topByScore<T extends { score: number }>(items: T[], limit: number, nameOf: (x: T) => string): T[] {
  if (!items.length || limit <= 0) return [];
  const byScore = [...items].sort((a, b) => b.score - a.score);
  const cutoff = byScore[Math.min(limit, byScore.length) - 1].score;
  return byScore
    .filter((x) => x.score >= cutoff)
    .map((x) => ({ x, name: nameOf(x) }))
    .sort((a, b) => b.x.score - a.x.score || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map(({ x }) => x);
}

/**
 * GraphStore over the SQLite knowledge base. Every query is a prepared, parameterised
 * statement over indexed columns; results are capped by the caller's limits.
 */
export function createSqliteGraphStore(db: Database.Database): GraphStore {
  const q = {
    nodeById: db.prepare('SELECT nid, id, kind, name, in_hetionet FROM nodes WHERE id = ?'),
    nodeByNid: db.prepare('SELECT nid, id, kind, name, in_hetionet FROM nodes WHERE nid = ?'),
    nodeDetails: db.prepare('SELECT description, props FROM nodes WHERE nid = ?'),
    byXref: db.prepare(
      'SELECT DISTINCT n.nid, n.id, n.kind, n.name, n.in_hetionet, x.system, x.code FROM xrefs x JOIN nodes n ON n.nid = x.nid WHERE x.system = ? AND x.code = ?',
    ),
    byAnyXref: db.prepare(
      'SELECT DISTINCT n.nid, n.id, n.kind, n.name, n.in_hetionet, x.system, x.code FROM xrefs x JOIN nodes n ON n.nid = x.nid WHERE x.code = ? AND x.system IN (\'ICD10\', \'ICD9\', \'MESH\', \'UMLS\', \'ATC\', \'UNII\', \'RXNORM\', \'CHEMBL\')',
    ),
    byTerm: db.prepare(
      'SELECT n.nid, n.id, n.kind, n.name, n.in_hetionet, t.term, t.term_type FROM terms t JOIN nodes n ON n.nid = t.nid WHERE t.term_norm = ?',
    ),
    byTerms: db.prepare(
      'SELECT n.nid, n.id, n.kind, n.name, n.in_hetionet, t.term, t.term_norm FROM terms t JOIN nodes n ON n.nid = t.nid WHERE t.term_norm IN (SELECT value FROM json_each(?))',
    ),
    // Every indexed term with the kinds of node it names, one row per kind: 11 rows to read
    // instead of 148k, which is most of the cost of building the fuzzy index.
    termsByKind: db.prepare(
      "SELECT n.kind, group_concat(t.term_norm, char(10)) FROM terms t JOIN nodes n ON n.nid = t.nid WHERE length(t.term_norm) >= 3 GROUP BY n.kind",
    ),
    termsOf: db.prepare('SELECT term FROM terms WHERE nid = ? AND term_type IN (\'synonym\', \'brand\') ORDER BY term LIMIT ?'),
    xrefsOf: db.prepare('SELECT DISTINCT system, code FROM xrefs WHERE nid = ? ORDER BY system, code LIMIT 200'),
    out: db.prepare(
      'SELECT e.metaedge, e.source, e.license, e.props, n.nid, n.id, n.kind, n.name, n.in_hetionet FROM edges e JOIN nodes n ON n.nid = e.dst WHERE e.src = ? AND e.metaedge = ?',
    ),
    in: db.prepare(
      'SELECT e.metaedge, e.source, e.license, e.props, n.nid, n.id, n.kind, n.name, n.in_hetionet FROM edges e JOIN nodes n ON n.nid = e.src WHERE e.dst = ? AND e.metaedge = ?',
    ),
    ddi: db.prepare(
      `SELECT d.drug1, d.drug2, d.type, d.source, t.template FROM ddi d JOIN ddi_types t ON t.type = d.type
       WHERE d.drug1 IN (SELECT value FROM json_each(?)) AND d.drug2 IN (SELECT value FROM json_each(?))`,
    ),
    ddiBetween: db.prepare(
      `SELECT d.drug1, d.drug2, d.type, d.source, t.template FROM ddi d JOIN ddi_types t ON t.type = d.type
       WHERE d.drug1 IN (SELECT value FROM json_each(@a)) AND d.drug2 IN (SELECT value FROM json_each(@b))
       UNION ALL
       SELECT d.drug1, d.drug2, d.type, d.source, t.template FROM ddi d JOIN ddi_types t ON t.type = d.type
       WHERE d.drug2 IN (SELECT value FROM json_each(@a)) AND d.drug1 IN (SELECT value FROM json_each(@b))`,
    ),
    license: db.prepare('SELECT license FROM sources WHERE id = ?').pluck(),
    pairs: db.prepare('SELECT src, dst FROM edges WHERE metaedge = ?'),
    edgeRows: db.prepare('SELECT metaedge, source, license, props FROM edges WHERE src = ? AND metaedge = ? AND dst = ?'),
    sideEffects: db.prepare(
      `SELECT e.metaedge, e.source, e.license, e.props, n.nid, n.id, n.kind, n.name, n.in_hetionet FROM edges e JOIN nodes n ON n.nid = e.dst
       WHERE e.src = ? AND e.metaedge = 'CcSE' ORDER BY coalesce(json_extract(e.props, '$.frequencyValue'), -1) DESC, n.name COLLATE NOCASE LIMIT ?`,
    ),
    countOut: db.prepare('SELECT COUNT(DISTINCT dst) FROM edges WHERE src = ? AND metaedge = ?').pluck(),
    // Diseases drugs are indicated for, with the diseases that subsume them by name (DkD, two
    // levels) or by DO slim (DsD): the diseases an indication query can answer for.
    indicatedDiseases: db
      .prepare(
        `WITH direct AS (SELECT DISTINCT dst AS nid FROM edges WHERE metaedge IN ('CtD', 'CpD', 'CiD')),
         up1 AS (SELECT DISTINCT e.dst AS nid FROM edges e JOIN direct d ON e.src = d.nid WHERE e.metaedge IN ('DkD', 'DsD'))
         SELECT nid FROM direct UNION SELECT nid FROM up1
         UNION SELECT e.dst FROM edges e JOIN up1 u ON e.src = u.nid WHERE e.metaedge = 'DkD'`,
      )
      .pluck(),
  };

  const licenseCache = new Map<string, string>();
  const licenseOf = (source: string) => {
    return getOrCreate(licenseCache, source, () => (q.license.get(source) as string | undefined) ?? 'unknown');
  };
  const nodeByNid = (nid: number) => q.nodeByNid.get(nid) as NodeRow;
  const nodeIdToNid = (id: string) => (q.nodeById.get(id) as NodeRow).nid;

  /**
   * In-memory adjacency of one metaedge (distinct neighbours both ways), loaded on first use.
   * Mechanism paths and similarity walk thousands of neighbours per query; from memory that
   * takes microseconds where per-neighbour SQL took tens of milliseconds. The largest one used
   * (GiG, 147k edges) costs a few MB.
   */
  const adjacencies = new Map<string, Adjacency>();
  function adjacency(metaedge: string): Adjacency {
    let a = adjacencies.get(metaedge);
    if (!a) {
      const out = new Map<number, Set<number>>();
      const inn = new Map<number, Set<number>>();
      for (const [src, dst] of q.pairs.raw().iterate(metaedge) as Iterable<[number, number]>) {
        getOrCreate(out, src, () => new Set()).add(dst);
        getOrCreate(inn, dst, () => new Set()).add(src);
      }
      const freeze = (m: Map<number, Set<number>>) => new Map([...m].map(([k, v]) => [k, [...v]]));
      a = { out: freeze(out), in: freeze(inn) };
      adjacencies.set(metaedge, a);
    }
    return a;
  }

  /** Provenance of every stored row of one fact (a fact may come from several sources). */
  const edgeProvenanceBetween = (src: number, metaedge: string, dst: number): Provenance[] =>
    (q.edgeRows.all(src, metaedge, dst) as EdgeRow[]).map(provenanceOf);

  function mapsTo(n: NodeRow): EntityRef[] | undefined {
    if (n.kind !== 'Disease' || n.in_hetionet) return undefined;
    const rows = q.out.all(n.nid, 'DsD') as (EdgeRow & NodeRow)[];
    return rows.length ? rows.map(ref) : undefined;
  }

  let indicatedSet: Set<number> | undefined;
  /** Whether an indication query can answer for the disease itself (read once: the KB is read-only while open). */
  const isIndicated = (nid: number) => (indicatedSet ??= new Set(q.indicatedDiseases.all() as number[])).has(nid);

  function toMatch(n: NodeRow, matchedOn: string, matchType: MatchType, score: number): EntityMatch {
    const m: EntityMatch = { ...ref(n), matchedOn, matchType, score, inGraph: n.in_hetionet === 1 };
    const mapped = mapsTo(n);
    if (mapped) m.mapsTo = mapped;
    if (n.kind === 'Disease') m.indicated = isIndicated(n.nid);
    return m;
  }

  /**
   * Exact lookups by identifier or code: node id, SYSTEM:code, bare ICD/MeSH/UMLS codes. Each
   * step is filtered by kind before it may end the search, so "UMLS:C0011860" asked as a Disease
   * skips the side effect with that id and reaches the disease cross-referenced to it.
   */
  function exactCodeMatches(query: string, kinds: string[] | undefined): EntityMatch[] {
    const keep = (ms: EntityMatch[]) => (kinds ? ms.filter((m) => kinds.includes(m.kind)) : ms);
    const raw = query.trim();
    const upper = raw.toUpperCase();
    const direct = (q.nodeById.get(raw) as NodeRow | undefined) ?? (q.nodeById.get(upper) as NodeRow | undefined);
    let found = direct ? keep([toMatch(direct, direct.id, 'id', 1)]) : [];
    if (found.length) return found;
    const prefixed = parsePrefixedCode(raw);
    if (prefixed) {
      found = keep(lookupCode(prefixed.system, prefixed.code));
      if (found.length) return found;
      if (prefixed.system === 'NCBIGENE') {
        const gene = q.nodeById.get(`NCBIGene:${prefixed.code}`) as NodeRow | undefined;
        found = gene ? keep([toMatch(gene, gene.id, 'id', 1)]) : [];
        if (found.length) return found;
      }
    }
    if (looksLikeBareCode(upper)) {
      const rows = q.byAnyXref.all(upper) as (NodeRow & { system: string; code: string })[];
      found = keep(rows.map((r) => toMatch(r, `${r.system}:${r.code}`, 'code', 1)));
      if (found.length) return found;
      // ICD codes typed with or without the dot: E11.9 / E119 (ICD-10), 250.00 / 25000 (ICD-9).
      if (/^[A-Z]\d{2}/.test(upper)) {
        found = keep(lookupCode('ICD10', upper));
        if (found.length) return found;
      }
      if (/^[\dVE]\d{2}/.test(upper)) return keep(lookupCode('ICD9', upper));
    }
    return [];
  }

  /** ICD codes fall back to their parent category (E11.9 → E11) when the exact code is not mapped. */
  function lookupCode(system: string, code: string): EntityMatch[] {
    const canonical = system === 'ICD9' || system === 'ICD10' ? canonicalIcd(system, code) : code;
    for (const c of codeFallbacks(system, canonical)) {
      const rows = q.byXref.all(system, c) as (NodeRow & { system: string; code: string })[];
      if (rows.length) return rows.map((r) => toMatch(r, `${r.system}:${r.code}`, 'code', c === canonical ? 1 : 0.9));
    }
    return [];
  }

  /**
   * The trigram index of terms, built on the first fuzzy lookup (about 0.25 s and 25 MB for the
   * full KB) and kept for the store's lifetime: exact lookups, the common case, never pay for it.
   */
  let fuzzyIndex: FuzzyIndex | undefined;
  function termIndex(): FuzzyIndex {
    if (!fuzzyIndex) {
      const rows = q.termsByKind.raw().all() as [string, string][];
      fuzzyIndex = createFuzzyIndex(
        (function* () {
          // normalizeTerm folds every non-alphanumeric character to a space, so no term holds a newline.
          for (const [kind, list] of rows) for (const term of list.split('\n')) yield [term, kind] as const;
        })(),
      );
    }
    return fuzzyIndex;
  }

  /**
   * Fuzzy matches for at least `want` entities (when that many resemble the query). Terms come
   * scored, best first, and are looked up in batches (one statement each: a lookup costs more
   * than a row) of as many terms as entities are still missing, each batch extended over ties
   * with its last term. So every entity left out scores below every entity found, and
   * rankMatches sees all ties at the cut.
   */
  function fuzzy(norm: string, kinds: string[] | undefined, want: number): EntityMatch[] {
    const scored = termIndex().search(norm, { kinds });
    const out: EntityMatch[] = [];
    const ids = new Set<string>();
    for (let i = 0; i < scored.length && ids.size < want; ) {
      let j = Math.min(scored.length, i + want - ids.size);
      while (j < scored.length && scored[j].score === scored[j - 1].score) j++;
      const scoreOf = new Map(scored.slice(i, j).map((c) => [c.term, c.score]));
      for (const r of q.byTerms.all(JSON.stringify([...scoreOf.keys()])) as (NodeRow & { term: string; term_norm: string })[]) {
        if (kinds && !kinds.includes(r.kind)) continue;
        const score = scoreOf.get(r.term_norm);
        if (score === undefined) throw new Error(`fuzzy lookup returned term ${JSON.stringify(r.term_norm)}, which was not asked for`);
        out.push(toMatch(r, r.term, 'fuzzy', score));
        ids.add(r.id);
      }
      i = j;
    }
    return out;
  }

  async function resolve(query: string, opts: ResolveOptions = {}): Promise<ResolveResult> {
    const limit = opts.limit ?? 10;
    const kinds = opts.kinds?.length ? opts.kinds : undefined;
    const exact = exactCodeMatches(query, kinds);
    const norm = normalizeTerm(query);
    if (norm) {
      // The clinical vocabulary first: what a clinician means by "diabetes", "CAP", "aspirin".
      for (const t of layTerms().get(norm) ?? []) {
        const n = q.nodeById.get(t.target) as NodeRow | undefined;
        if (n && n.kind === t.kind) exact.push(toMatch(n, t.term, 'preferred', 1));
      }
      for (const r of q.byTerm.all(norm) as (NodeRow & { term: string; term_type: string })[]) {
        exact.push(toMatch(r, r.term, r.term_type as MatchType, 1));
      }
    }
    const ranked = rankMatches(exact, kinds, limit);
    if (ranked.length || opts.exactOnly) return { query, matches: ranked, suggestions: [] };
    const want = Math.max(limit, MAX_SUGGESTIONS);
    const fuzzyRanked = rankMatches(fuzzy(norm, kinds, want), kinds, want);
    const matches = fuzzyRanked.filter((m) => m.score >= FUZZY_MATCH_THRESHOLD).slice(0, limit);
    const suggestions = matches.length ? [] : fuzzyRanked.slice(0, MAX_SUGGESTIONS).map(ref);
    return { query, matches, suggestions };
  }

  /** Interaction rows as Interactions (self-pairs dropped), in a stable order. */
  function interactionRows(rows: DdiRow[], nodes: NodeRow[]): Interaction[] {
    const byNid = new Map(nodes.map((n) => [n.nid, n]));
    const askedDrug = (nid: number): NodeRow => {
      const node = byNid.get(nid);
      if (!node) throw new Error(`an interaction row names drug nid ${nid}, which is not one of the drugs asked about`);
      return node;
    };
    const out: Interaction[] = rows
      .filter((r) => r.drug1 !== r.drug2)
      .map((r) => {
        const a = askedDrug(r.drug1);
        const b = askedDrug(r.drug2);
        return {
          drug1: ref(a),
          drug2: ref(b),
          type: r.type,
          sentence: fillDdiTemplate(r.template, a.name, b.name),
          provenance: [{ source: r.source, license: licenseOf(r.source), detail: `DeepDDI interaction type ${r.type}` }],
        };
      });
    out.sort((x, y) => x.drug1.name.localeCompare(y.drug1.name) || x.drug2.name.localeCompare(y.drug2.name) || x.type - y.type);
    return out;
  }

  /** Looks a node up by public id; unknown ids throw with did-you-mean suggestions. */
  async function requireNode(id: string, kind: string, label: string): Promise<NodeRow> {
    const n = (q.nodeById.get(id) as NodeRow | undefined) ?? (q.nodeById.get(id.trim().toUpperCase()) as NodeRow | undefined);
    if (n && n.kind === kind) return n;
    const r = await resolve(id, { kinds: [kind], limit: 5 });
    throw new UnknownEntityError(id, label, [...r.matches, ...r.suggestions].slice(0, 5).map(ref));
  }

  /** A disease outside the graph is answered through the graph disease that subsumes it. */
  async function graphDisease(id: string): Promise<{ node: NodeRow; requested?: NodeRow }> {
    const n = await requireNode(id, 'Disease', 'disease');
    if (n.in_hetionet) return { node: n };
    const mapped = q.out.all(n.nid, 'DsD') as (EdgeRow & NodeRow)[];
    if (mapped.length) return { node: nodeByNid(mapped[0].nid), requested: n };
    return { node: n };
  }

  /** Subtypes read for a disease's indications: by name (DkD, two levels) and by DO slim (DsD). */
  const MAX_SUBTYPES = 400;
  function subtypesOf(nid: number): NodeRow[] {
    const out = new Map<number, NodeRow>();
    const level1 = [...(q.in.all(nid, 'DkD') as (EdgeRow & NodeRow)[]), ...(q.in.all(nid, 'DsD') as (EdgeRow & NodeRow)[])];
    for (const c of level1) if (c.nid !== nid) out.set(c.nid, c);
    for (const c of level1) {
      if (out.size >= MAX_SUBTYPES) break;
      for (const g of q.in.all(c.nid, 'DkD') as (EdgeRow & NodeRow)[]) if (g.nid !== nid && !out.has(g.nid)) out.set(g.nid, g);
    }
    return [...out.values()].slice(0, MAX_SUBTYPES);
  }

  /** A disease's indication rows, its own and (marked `via`) its subtypes'. */
  function indicationRows(node: NodeRow, withSubtypes: boolean): IndicationRow[] {
    const rows: IndicationRow[] = [];
    const read = (target: NodeRow, via?: NodeRow) => {
      for (const metaedge of Object.keys(INDICATION_METAEDGES)) {
        for (const g of grouped(q.in.all(target.nid, metaedge) as (EdgeRow & NodeRow)[]).values()) {
          rows.push({ drug: ref(g.node), metaedge, edges: g.rows, ...(via ? { via: ref(via) } : {}) });
        }
      }
    };
    read(node);
    if (withSubtypes) for (const sub of subtypesOf(node.nid)) read(sub, sub);
    return rows;
  }

  /**
   * The disease an indication query answers for: the disease itself when drugs are indicated for
   * it or its subtypes, else the graph disease that subsumes it (DO slim).
   */
  async function indicationDisease(id: string): Promise<{ node: NodeRow; requested?: NodeRow }> {
    const n = await requireNode(id, 'Disease', 'disease');
    if (isIndicated(n.nid)) return { node: n };
    return graphDisease(id);
  }

  function grouped<T extends NodeRow>(
    rows: (EdgeRow & T)[],
  ): Map<number, { node: T; metaedge: string; prov: Provenance[]; props: Record<string, unknown>; rows: IndicationRow['edges'] }> {
    const out = new Map<number, { node: T; metaedge: string; prov: Provenance[]; props: Record<string, unknown>; rows: IndicationRow['edges'] }>();
    for (const r of rows) {
      const cur = out.get(r.nid);
      const props = JSON.parse(r.props) as Record<string, unknown>;
      const row = { source: r.source, license: r.license, props };
      if (cur) {
        cur.prov.push(provenanceOf(r));
        cur.rows.push(row);
        Object.assign(cur.props, props);
      } else out.set(r.nid, { node: r, metaedge: r.metaedge, prov: [provenanceOf(r)], props: { ...props }, rows: [row] });
    }
    return out;
  }

  return {
    backend: 'sqlite',
    resolve,

    async getEntity(id) {
      const n = (q.nodeById.get(id) as NodeRow | undefined) ?? (q.nodeById.get(id.trim().toUpperCase()) as NodeRow | undefined);
      if (!n) return null;
      const d = q.nodeDetails.get(n.nid) as { description: string | null; props: string };
      const details: EntityDetails = {
        ...ref(n),
        description: d.description,
        inGraph: n.in_hetionet === 1,
        xrefs: q.xrefsOf.all(n.nid) as { system: string; code: string }[],
        synonyms: q.termsOf.all(n.nid, 50).map((r) => (r as { term: string }).term),
      };
      return details;
    },

    async indicatedDrugs(diseaseId, opts = {}) {
      const limit = opts.limit ?? 50;
      const { node, requested } = await indicationDisease(diseaseId);
      const drugs: IndicatedDrug[] = aggregateIndications(indicationRows(node, true), { relations: opts.relations, tiers: opts.tiers });
      const notIndicated = [...grouped(q.in.all(node.nid, 'CnD') as (EdgeRow & NodeRow)[]).values()].map((g) => ({ drug: ref(g.node), provenance: g.prov }));
      const result: IndicationsResult = { disease: ref(node), drugs: drugs.slice(0, limit), notIndicated: notIndicated.slice(0, limit), total: drugs.length };
      if (requested) result.requested = ref(requested);
      return result;
    },

    async drugProfile(drugId, opts = {}) {
      const n = await requireNode(drugId, 'Compound', 'drug');
      const d = q.nodeDetails.get(n.nid) as { description: string | null; props: string };
      const props = JSON.parse(d.props) as { atc?: string[]; groups?: string[] };
      const targets = [...grouped(q.out.all(n.nid, 'CbG') as (EdgeRow & NodeRow)[]).values()].map((g) => ({
        gene: ref(g.node),
        actions: Array.isArray(g.props.actions) ? (g.props.actions as string[]) : [],
        provenance: g.prov,
      }));
      targets.sort((a, b) => b.actions.length - a.actions.length || a.gene.name.localeCompare(b.gene.name));
      const classes = [...grouped(q.in.all(n.nid, 'PCiC') as (EdgeRow & NodeRow)[]).values()].map((g) => ({ cls: ref(g.node), provenance: g.prov }));
      classes.sort((a, b) => a.cls.name.localeCompare(b.cls.name));
      const maxSideEffects = opts.maxSideEffects ?? 25;
      // Most frequent first (SIDER's upper bound), the rest alphabetically; sorted and cut in SQL
      // because a drug can have hundreds of side effects.
      const sideEffects = [...grouped(q.sideEffects.all(n.nid, maxSideEffects) as (EdgeRow & NodeRow)[]).values()].map((g) => {
        const se: DrugProfile['sideEffects'][number] = { sideEffect: ref(g.node), provenance: g.prov };
        if (typeof g.props.frequency === 'string') se.frequency = g.props.frequency;
        if (typeof g.props.frequencyValue === 'number') se.frequencyValue = g.props.frequencyValue;
        return se;
      });
      const sideEffectCount = q.countOut.get(n.nid, 'CcSE') as number;
      const byDisease = new Map<number, { disease: NodeRow; rows: IndicationRow[] }>();
      for (const metaedge of Object.keys(INDICATION_METAEDGES)) {
        for (const g of grouped(q.out.all(n.nid, metaedge) as (EdgeRow & NodeRow)[]).values()) {
          const cur = byDisease.get(g.node.nid) ?? { disease: g.node, rows: [] };
          cur.rows.push({ drug: ref(n), metaedge, edges: g.rows });
          byDisease.set(g.node.nid, cur);
        }
      }
      // Per disease, the same reading of tiers and agreement as indicatedDrugs gives.
      const indications: DrugProfile['indications'] = sortProfileIndications(
        [...byDisease.values()].map(({ disease, rows }) => {
          const { relation, tier, resources, provenance } = aggregateIndications(rows)[0];
          return { disease: ref(disease), relation, tier, resources, provenance };
        }),
      );
      const maxTargets = opts.maxTargets ?? 25;
      const maxClasses = opts.maxClasses ?? 25;
      return {
        drug: {
          ...ref(n),
          description: d.description,
          atc: props.atc ?? [],
          groups: props.groups ?? [],
          synonyms: q.termsOf.all(n.nid, 20).map((r) => (r as { term: string }).term),
        },
        targets: targets.slice(0, maxTargets),
        classes: classes.slice(0, maxClasses),
        sideEffects: sideEffects.slice(0, maxSideEffects),
        indications,
        counts: { targets: targets.length, sideEffects: sideEffectCount, classes: classes.length, indications: indications.length },
      };
    },

    async mechanismPaths(drugId, diseaseId, opts = {}) {
      const limit = opts.limit ?? 10;
      const viaGeneGene = opts.viaGeneGene ?? true;
      const drug = await requireNode(drugId, 'Compound', 'drug');
      const { node: disease } = await graphDisease(diseaseId);
      const cbg = adjacency('CbG');
      const dag = adjacency('DaG');
      // Curated targets (else measured binding), never the enzymes and transporters that handle the drug.
      const verbOf = new Map<number, string>();
      const bindRows = q.out.all(drug.nid, 'CbG') as (EdgeRow & NodeRow)[];
      const bindEdges = bindRows.map((r) => ({ gene: r.nid, props: JSON.parse(r.props) as Record<string, unknown> }));
      for (const t of mechanismTargets(bindEdges)) if (!verbOf.has(t.gene)) verbOf.set(t.gene, t.verb);
      const targets = [...verbOf.keys()];
      const diseaseGenes = new Set(dag.out.get(disease.nid) ?? []);
      if (!targets.length || !diseaseGenes.size) return [];
      const dDrug = targets.length;
      const dDisease = diseaseGenes.size;
      const deg = (a: Adjacency, nid: number, dir: 'in' | 'out') => a[dir].get(nid)?.length ?? 0;
      // Scores first, over node ids only; only the paths that survive the limit are hydrated.
      const scored: { genes: number[]; score: number }[] = [];
      for (const t of targets) {
        if (diseaseGenes.has(t)) scored.push({ genes: [t], score: pathScore([dDrug, deg(cbg, t, 'in'), deg(dag, t, 'in'), dDisease]) });
      }
      if (viaGeneGene) {
        const gig = adjacency('GiG');
        const gDeg = (nid: number) => deg(gig, nid, 'out') + deg(gig, nid, 'in');
        for (const t of targets) {
          const seen = new Set<number>();
          for (const nb of [...(gig.out.get(t) ?? []), ...(gig.in.get(t) ?? [])]) {
            if (nb === t || seen.has(nb) || !diseaseGenes.has(nb)) continue;
            seen.add(nb);
            scored.push({ genes: [t, nb], score: pathScore([dDrug, deg(cbg, t, 'in'), gDeg(t), gDeg(nb), deg(dag, nb, 'in'), dDisease]) });
          }
        }
      }
      const named = (nid: number) => ref(nodeByNid(nid));
      const top: MechanismPath[] = topByScore(scored, limit, (x) => x.genes.map((g) => nodeByNid(g).name).join(' ')).map(({ genes, score }) => ({
        nodes: [ref(drug), ...genes.map(named), ref(disease)],
        edges: [],
        score,
        text: '',
      }));
      for (const p of top) {
        const genes = p.nodes.slice(1, -1).map((n) => nodeIdToNid(n.id));
        p.edges = [{ metaedge: 'CbG', label: verbOf.get(genes[0]) ?? METAEDGE_LABELS.CbG, provenance: edgeProvenanceBetween(drug.nid, 'CbG', genes[0]) }];
        if (genes.length === 2) {
          const prov = edgeProvenanceBetween(genes[0], 'GiG', genes[1]);
          p.edges.push({ metaedge: 'GiG', label: METAEDGE_LABELS.GiG, provenance: prov.length ? prov : edgeProvenanceBetween(genes[1], 'GiG', genes[0]) });
        }
        p.edges.push({ metaedge: 'DaG', label: METAEDGE_LABELS.DaG, provenance: edgeProvenanceBetween(disease.nid, 'DaG', genes[genes.length - 1]) });
        p.text = pathText(p.nodes, p.edges);
      }
      return top;
    },

    async interactions(drugIds) {
      const nodes: NodeRow[] = [];
      for (const id of [...new Set(drugIds)]) nodes.push(await requireNode(id, 'Compound', 'drug'));
      if (nodes.length < 2) return [];
      const list = JSON.stringify(nodes.map((n) => n.nid));
      return interactionRows(q.ddi.all(list, list) as DdiRow[], nodes);
    },

    async interactionsBetween(a, b) {
      const na: NodeRow[] = [];
      const nb: NodeRow[] = [];
      for (const id of [...new Set(a)]) na.push(await requireNode(id, 'Compound', 'drug'));
      for (const id of [...new Set(b)]) nb.push(await requireNode(id, 'Compound', 'drug'));
      if (!na.length || !nb.length) return [];
      // Point lookups on the (drug1, drug2) and (drug2, drug1) indexes, in both directions.
      const rows = q.ddiBetween.all({ a: JSON.stringify(na.map((n) => n.nid)), b: JSON.stringify(nb.map((n) => n.nid)) }) as DdiRow[];
      return interactionRows(rows, [...na, ...nb]);
    },

    async similarDrugs(drugId, opts = {}) {
      const limit = opts.limit ?? 10;
      const n = await requireNode(drugId, 'Compound', 'drug');
      const crc = adjacency('CrC');
      const cbg = adjacency('CbG');
      const pcic = adjacency('PCiC');
      const resembles = new Set<number>([...(crc.out.get(n.nid) ?? []), ...(crc.in.get(n.nid) ?? [])]);
      const targets = cbg.out.get(n.nid) ?? [];
      const classes = pcic.in.get(n.nid) ?? [];
      const sharedT = new Map<number, number[]>();
      for (const g of targets) for (const other of cbg.in.get(g) ?? []) if (other !== n.nid) getOrCreate(sharedT, other, () => []).push(g);
      const sharedC = new Map<number, number[]>();
      for (const c of classes) for (const other of pcic.out.get(c) ?? []) if (other !== n.nid) getOrCreate(sharedC, other, () => []).push(c);
      const scored: { other: number; score: number }[] = [];
      for (const other of new Set<number>([...resembles, ...sharedT.keys(), ...sharedC.keys()])) {
        const jT = jaccard(sharedT.get(other)?.length ?? 0, targets.length, cbg.out.get(other)?.length ?? 0);
        const jC = jaccard(sharedC.get(other)?.length ?? 0, classes.length, pcic.in.get(other)?.length ?? 0);
        // Structural resemblance, shared targets and shared classes, each in [0, 1], weighted equally.
        scored.push({ other, score: round4((resembles.has(other) ? 1 : 0) / 3 + jT / 3 + jC / 3) });
      }
      const named = (nid: number) => ref(nodeByNid(nid));
      return topByScore(scored, limit, (x) => nodeByNid(x.other).name).map(({ other, score }) => ({
          drug: named(other),
          score,
          resembles: resembles.has(other),
          sharedTargets: (sharedT.get(other) ?? []).slice(0, 10).map(named),
          sharedClasses: (sharedC.get(other) ?? []).slice(0, 10).map(named),
        }));
    },

    async similarDiseases(diseaseId, opts = {}) {
      const limit = opts.limit ?? 10;
      const { node } = await graphDisease(diseaseId);
      const drd = adjacency('DrD');
      const dag = adjacency('DaG');
      const resembles = new Set<number>([...(drd.out.get(node.nid) ?? []), ...(drd.in.get(node.nid) ?? [])]);
      const genes = dag.out.get(node.nid) ?? [];
      const shared = new Map<number, number>();
      for (const g of genes) for (const other of dag.in.get(g) ?? []) if (other !== node.nid) shared.set(other, (shared.get(other) ?? 0) + 1);
      const out: SimilarDisease[] = [];
      for (const other of new Set([...resembles, ...shared.keys()])) {
        const sg = shared.get(other) ?? 0;
        const score = (resembles.has(other) ? 0.5 : 0) + jaccard(sg, genes.length, dag.out.get(other)?.length ?? 0) / 2;
        out.push({ disease: ref(nodeByNid(other)), score: round4(score), resembles: resembles.has(other), sharedGenes: sg });
      }
      out.sort((a, b) => b.score - a.score || a.disease.name.localeCompare(b.disease.name));
      return out.slice(0, limit);
    },

    async stats(): Promise<KbStats> {
      const nodes = db.prepare('SELECT kind, COUNT(*) AS count, SUM(in_hetionet) AS inGraph FROM nodes GROUP BY kind ORDER BY kind').all() as KbStats['nodes'];
      const edges = db.prepare('SELECT metaedge, source, license, COUNT(*) AS count FROM edges GROUP BY metaedge, source, license ORDER BY metaedge, source, license').all() as KbStats['edges'];
      const interactions = db.prepare('SELECT COUNT(*) FROM ddi').pluck().get() as number;
      const sources = (db.prepare('SELECT id, name, license, url, noncommercial, files FROM sources ORDER BY id').all() as { id: string; name: string; license: string; url: string; noncommercial: number; files: string }[]).map(
        (s) => ({ ...s, noncommercial: s.noncommercial === 1, files: JSON.parse(s.files) as string[] }),
      );
      const meta = Object.fromEntries((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      return { nodes, edges, interactions, sources, meta };
    },

    async close() {
      db.close();
    },
  };
}

