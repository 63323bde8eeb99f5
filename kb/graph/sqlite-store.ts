import type Database from 'better-sqlite3';
import { normalizeTerm } from '../schema.js';
import { canonicalIcd } from '../sources/icd.js';
import {
  codeFallbacks,
  edgeProvenance,
  fillDdiTemplate,
  FUZZY_MATCH_THRESHOLD,
  jaccard,
  looksLikeBareCode,
  MAX_SUGGESTIONS,
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
  type Provenance,
  type ResolveOptions,
  type ResolveResult,
  type SimilarDisease,
  type SimilarDrug,
} from './store.js';
import { similarity, trigramQuery } from './fuzzy.js';

interface NodeRow {
  nid: number;
  id: string;
  kind: string;
  name: string;
  in_hetionet: number;
}
interface EdgeRow {
  metaedge: string;
  source: string;
  license: string;
  props: string;
}

const FUZZY_CANDIDATES = 40;

const ref = (r: { id: string; kind: string; name: string }): EntityRef => ({ id: r.id, kind: r.kind, name: r.name });

const provenanceOf = (e: EdgeRow): Provenance => edgeProvenance(e.source, e.license, JSON.parse(e.props) as Record<string, unknown>);

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
    trigram: db.prepare('SELECT term_norm FROM term_trigrams WHERE term_trigrams MATCH ? ORDER BY rank LIMIT ?'),
    termsOf: db.prepare('SELECT term FROM terms WHERE nid = ? AND term_type IN (\'synonym\', \'brand\') ORDER BY term LIMIT ?'),
    xrefsOf: db.prepare('SELECT DISTINCT system, code FROM xrefs WHERE nid = ? ORDER BY system, code LIMIT 200'),
    out: db.prepare(
      'SELECT e.metaedge, e.source, e.license, e.props, n.nid, n.id, n.kind, n.name, n.in_hetionet FROM edges e JOIN nodes n ON n.nid = e.dst WHERE e.src = ? AND e.metaedge = ?',
    ),
    in: db.prepare(
      'SELECT e.metaedge, e.source, e.license, e.props, n.nid, n.id, n.kind, n.name, n.in_hetionet FROM edges e JOIN nodes n ON n.nid = e.src WHERE e.dst = ? AND e.metaedge = ?',
    ),
    outNids: db.prepare('SELECT dst FROM edges WHERE src = ? AND metaedge = ?').pluck(),
    inNids: db.prepare('SELECT src FROM edges WHERE dst = ? AND metaedge = ?').pluck(),
    degree: db.prepare('SELECT n FROM degrees WHERE nid = ? AND metaedge = ? AND dir = ?').pluck(),
    ddi: db.prepare(
      `SELECT d.drug1, d.drug2, d.type, d.source, t.template FROM ddi d JOIN ddi_types t ON t.type = d.type
       WHERE d.drug1 IN (SELECT value FROM json_each(?)) AND d.drug2 IN (SELECT value FROM json_each(?))`,
    ),
    license: db.prepare('SELECT license FROM sources WHERE id = ?').pluck(),
  };

  const licenseCache = new Map<string, string>();
  const licenseOf = (source: string) => {
    if (!licenseCache.has(source)) licenseCache.set(source, (q.license.get(source) as string | undefined) ?? 'unknown');
    return licenseCache.get(source)!;
  };
  const degree = (nid: number, metaedge: string, dir: 'in' | 'out') => (q.degree.get(nid, metaedge, dir) as number | undefined) ?? 0;
  const nodeByNid = (nid: number) => q.nodeByNid.get(nid) as NodeRow;

  function mapsTo(n: NodeRow): EntityRef[] | undefined {
    if (n.kind !== 'Disease' || n.in_hetionet) return undefined;
    const rows = q.out.all(n.nid, 'DsD') as (EdgeRow & NodeRow)[];
    return rows.length ? rows.map(ref) : undefined;
  }

  function toMatch(n: NodeRow, matchedOn: string, matchType: MatchType, score: number): EntityMatch {
    const m: EntityMatch = { ...ref(n), matchedOn, matchType, score, inGraph: n.in_hetionet === 1 };
    const mapped = mapsTo(n);
    if (mapped) m.mapsTo = mapped;
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

  function fuzzy(norm: string, kinds: string[] | undefined): EntityMatch[] {
    const match = trigramQuery(norm);
    if (!match) return [];
    const candidates = q.trigram.all(match, FUZZY_CANDIDATES) as { term_norm: string }[];
    const out: EntityMatch[] = [];
    for (const c of candidates) {
      const score = similarity(norm, c.term_norm);
      for (const r of q.byTerm.all(c.term_norm) as (NodeRow & { term: string; term_type: string })[]) {
        if (kinds && !kinds.includes(r.kind)) continue;
        out.push(toMatch(r, r.term, 'fuzzy', score));
      }
    }
    return out;
  }

  async function resolve(query: string, opts: ResolveOptions = {}): Promise<ResolveResult> {
    const limit = opts.limit ?? 10;
    const kinds = opts.kinds?.length ? opts.kinds : undefined;
    const exact = exactCodeMatches(query, kinds);
    const norm = normalizeTerm(query);
    if (norm) {
      for (const r of q.byTerm.all(norm) as (NodeRow & { term: string; term_type: string })[]) {
        exact.push(toMatch(r, r.term, r.term_type as MatchType, 1));
      }
    }
    const ranked = rankMatches(exact, kinds, limit);
    if (ranked.length) return { query, matches: ranked, suggestions: [] };
    const fuzzyRanked = rankMatches(fuzzy(norm, kinds), kinds, Math.max(limit, MAX_SUGGESTIONS));
    const matches = fuzzyRanked.filter((m) => m.score >= FUZZY_MATCH_THRESHOLD).slice(0, limit);
    const suggestions = matches.length ? [] : fuzzyRanked.slice(0, MAX_SUGGESTIONS).map(ref);
    return { query, matches, suggestions };
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

  function grouped<T extends NodeRow>(rows: (EdgeRow & T)[]): Map<number, { node: T; metaedge: string; prov: Provenance[]; props: Record<string, unknown> }> {
    const out = new Map<number, { node: T; metaedge: string; prov: Provenance[]; props: Record<string, unknown> }>();
    for (const r of rows) {
      const cur = out.get(r.nid);
      const props = JSON.parse(r.props) as Record<string, unknown>;
      if (cur) {
        cur.prov.push(provenanceOf(r));
        Object.assign(cur.props, props);
      } else out.set(r.nid, { node: r, metaedge: r.metaedge, prov: [provenanceOf(r)], props });
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
      const relations = opts.relations ?? ['treats', 'palliates'];
      const limit = opts.limit ?? 50;
      const { node, requested } = await graphDisease(diseaseId);
      const drugs: IndicatedDrug[] = [];
      for (const [metaedge, relation] of [['CtD', 'treats'], ['CpD', 'palliates']] as const) {
        if (!relations.includes(relation)) continue;
        for (const g of grouped(q.in.all(node.nid, metaedge) as (EdgeRow & NodeRow)[]).values()) {
          drugs.push({ drug: ref(g.node), relation, provenance: g.prov });
        }
      }
      drugs.sort((a, b) => (a.relation === b.relation ? 0 : a.relation === 'treats' ? -1 : 1) || b.provenance.length - a.provenance.length || a.drug.name.localeCompare(b.drug.name));
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
      const sideEffects = [...grouped(q.out.all(n.nid, 'CcSE') as (EdgeRow & NodeRow)[]).values()].map((g) => {
        const se: DrugProfile['sideEffects'][number] = { sideEffect: ref(g.node), provenance: g.prov };
        if (typeof g.props.frequency === 'string') se.frequency = g.props.frequency;
        if (typeof g.props.frequencyValue === 'number') se.frequencyValue = g.props.frequencyValue;
        return se;
      });
      // Side effects with a known frequency first, most frequent first; the rest alphabetically.
      sideEffects.sort((a, b) => (b.frequencyValue ?? -1) - (a.frequencyValue ?? -1) || a.sideEffect.name.localeCompare(b.sideEffect.name));
      const indications: DrugProfile['indications'] = [];
      for (const [metaedge, relation] of [['CtD', 'treats'], ['CpD', 'palliates']] as const) {
        for (const g of grouped(q.out.all(n.nid, metaedge) as (EdgeRow & NodeRow)[]).values()) {
          indications.push({ disease: ref(g.node), relation, provenance: g.prov });
        }
      }
      const maxTargets = opts.maxTargets ?? 25;
      const maxSideEffects = opts.maxSideEffects ?? 25;
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
        counts: { targets: targets.length, sideEffects: sideEffects.length, classes: classes.length, indications: indications.length },
      };
    },

    async mechanismPaths(drugId, diseaseId, opts = {}) {
      const limit = opts.limit ?? 10;
      const viaGeneGene = opts.viaGeneGene ?? true;
      const drug = await requireNode(drugId, 'Compound', 'drug');
      const { node: disease } = await graphDisease(diseaseId);
      const targets = grouped(q.out.all(drug.nid, 'CbG') as (EdgeRow & NodeRow)[]);
      const diseaseGenes = grouped(q.out.all(disease.nid, 'DaG') as (EdgeRow & NodeRow)[]);
      if (!targets.size || !diseaseGenes.size) return [];
      const dDrug = degree(drug.nid, 'CbG', 'out');
      const dDisease = degree(disease.nid, 'DaG', 'out');
      const paths: MechanismPath[] = [];
      const binds = (g: { prov: Provenance[] }) => ({ metaedge: 'CbG', label: METAEDGE_LABELS.CbG, provenance: g.prov });
      const assoc = (g: { prov: Provenance[] }) => ({ metaedge: 'DaG', label: METAEDGE_LABELS.DaG, provenance: g.prov });
      for (const [gnid, t] of targets) {
        const dg = diseaseGenes.get(gnid);
        if (dg) {
          const nodes = [ref(drug), ref(t.node), ref(disease)];
          const edges = [binds(t), assoc(dg)];
          const score = pathScore([dDrug, degree(gnid, 'CbG', 'in'), degree(gnid, 'DaG', 'in'), dDisease]);
          paths.push({ nodes, edges, score, text: pathText(nodes, edges) });
        }
      }
      if (viaGeneGene) {
        const seen = new Set<string>();
        for (const [gnid, t] of targets) {
          const neighbours = [
            ...(q.out.all(gnid, 'GiG') as (EdgeRow & NodeRow)[]),
            ...(q.in.all(gnid, 'GiG') as (EdgeRow & NodeRow)[]),
          ];
          const dT = degree(gnid, 'GiG', 'out') + degree(gnid, 'GiG', 'in');
          for (const nb of neighbours) {
            const dg = diseaseGenes.get(nb.nid);
            if (!dg || nb.nid === gnid || seen.has(`${gnid}|${nb.nid}`)) continue;
            seen.add(`${gnid}|${nb.nid}`);
            const nodes = [ref(drug), ref(t.node), ref(nb), ref(disease)];
            const edges = [binds(t), { metaedge: 'GiG', label: METAEDGE_LABELS.GiG, provenance: [provenanceOf(nb)] }, assoc(dg)];
            const dN = degree(nb.nid, 'GiG', 'out') + degree(nb.nid, 'GiG', 'in');
            const score = pathScore([dDrug, degree(gnid, 'CbG', 'in'), dT, dN, degree(nb.nid, 'DaG', 'in'), dDisease]);
            paths.push({ nodes, edges, score, text: pathText(nodes, edges) });
          }
        }
      }
      paths.sort((a, b) => b.score - a.score || a.text.localeCompare(b.text));
      return paths.slice(0, limit);
    },

    async interactions(drugIds) {
      const nodes: NodeRow[] = [];
      for (const id of [...new Set(drugIds)]) nodes.push(await requireNode(id, 'Compound', 'drug'));
      if (nodes.length < 2) return [];
      const byNid = new Map(nodes.map((n) => [n.nid, n]));
      const list = JSON.stringify(nodes.map((n) => n.nid));
      const rows = q.ddi.all(list, list) as { drug1: number; drug2: number; type: number; source: string; template: string }[];
      const out: Interaction[] = rows
        .filter((r) => r.drug1 !== r.drug2)
        .map((r) => {
          const a = byNid.get(r.drug1)!;
          const b = byNid.get(r.drug2)!;
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
    },

    async similarDrugs(drugId, opts = {}) {
      const limit = opts.limit ?? 10;
      const n = await requireNode(drugId, 'Compound', 'drug');
      const resembles = new Set<number>([...(q.outNids.all(n.nid, 'CrC') as number[]), ...(q.inNids.all(n.nid, 'CrC') as number[])]);
      const targets = q.outNids.all(n.nid, 'CbG') as number[];
      const classes = q.inNids.all(n.nid, 'PCiC') as number[];
      const sharedT = new Map<number, number[]>();
      for (const g of new Set(targets)) for (const other of new Set(q.inNids.all(g, 'CbG') as number[])) if (other !== n.nid) sharedT.set(other, [...(sharedT.get(other) ?? []), g]);
      const sharedC = new Map<number, number[]>();
      for (const c of new Set(classes)) for (const other of new Set(q.outNids.all(c, 'PCiC') as number[])) if (other !== n.nid) sharedC.set(other, [...(sharedC.get(other) ?? []), c]);
      const nT = new Set(targets).size;
      const nC = new Set(classes).size;
      const candidates = new Set<number>([...resembles, ...sharedT.keys(), ...sharedC.keys()]);
      const scored: SimilarDrug[] = [];
      for (const other of candidates) {
        const st = sharedT.get(other) ?? [];
        const sc = sharedC.get(other) ?? [];
        const jT = jaccard(st.length, nT, degree(other, 'CbG', 'out'));
        const jC = jaccard(sc.length, nC, degree(other, 'PCiC', 'in'));
        // Structural resemblance, shared targets and shared classes, each in [0, 1], weighted equally.
        const score = (resembles.has(other) ? 1 : 0) / 3 + jT / 3 + jC / 3;
        scored.push({
          drug: ref(nodeByNid(other)),
          score: round4(score),
          resembles: resembles.has(other),
          sharedTargets: st.slice(0, 10).map((g) => ref(nodeByNid(g))),
          sharedClasses: sc.slice(0, 10).map((c) => ref(nodeByNid(c))),
        });
      }
      scored.sort((a, b) => b.score - a.score || a.drug.name.localeCompare(b.drug.name));
      return scored.slice(0, limit);
    },

    async similarDiseases(diseaseId, opts = {}) {
      const limit = opts.limit ?? 10;
      const { node } = await graphDisease(diseaseId);
      const resembles = new Set<number>([...(q.outNids.all(node.nid, 'DrD') as number[]), ...(q.inNids.all(node.nid, 'DrD') as number[])]);
      const genes = new Set(q.outNids.all(node.nid, 'DaG') as number[]);
      const shared = new Map<number, number>();
      for (const g of genes) for (const other of new Set(q.inNids.all(g, 'DaG') as number[])) if (other !== node.nid) shared.set(other, (shared.get(other) ?? 0) + 1);
      const out: SimilarDisease[] = [];
      for (const other of new Set([...resembles, ...shared.keys()])) {
        const s = shared.get(other) ?? 0;
        const j = jaccard(s, genes.size, degree(other, 'DaG', 'out'));
        const score = (resembles.has(other) ? 0.5 : 0) + j / 2;
        out.push({ disease: ref(nodeByNid(other)), score: round4(score), resembles: resembles.has(other), sharedGenes: s });
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

