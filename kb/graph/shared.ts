/**
 * Backend-independent parts of the graph store: the pieces whose result must not depend on
 * whether SQLite or Neo4j answered (path scores, path sentences, interaction sentences,
 * provenance wording, match ranking). Both backends import them, so the contract suite can
 * hold them to the same output.
 */
import {
  INDICATION_TIERS,
  type EntityMatch,
  type EntityRef,
  type IndicatedDrug,
  type IndicationRelation,
  type IndicationTier,
  type PathEdge,
  type Provenance,
} from './store.js';

/**
 * Verb phrase per metaedge, read in the direction a mechanism path is told (drug → gene →
 * disease). DaG is stored disease → gene but read gene → disease, hence the symmetric phrase.
 */
export const METAEDGE_LABELS: Record<string, string> = {
  AdG: 'downregulates',
  AeG: 'expresses',
  AuG: 'upregulates',
  CbG: 'binds',
  CcSE: 'causes',
  CdG: 'downregulates',
  CnD: 'is not indicated for',
  CpD: 'palliates',
  CrC: 'resembles',
  CtD: 'treats',
  CiD: 'is indicated for',
  DkD: 'is a kind of',
  CuG: 'upregulates',
  DaG: 'is associated with',
  DdG: 'downregulates',
  DlA: 'localizes to',
  DpS: 'presents',
  DrD: 'resembles',
  DsD: 'is subsumed by',
  DuG: 'upregulates',
  GcG: 'covaries with',
  GiG: 'interacts with',
  'Gr>G': 'regulates',
  GpBP: 'participates in',
  GpCC: 'participates in',
  GpMF: 'participates in',
  GpPW: 'participates in',
  PCiC: 'includes',
};

/**
 * Degree-weighted path score (Hetionet's path-degree product with damping 0.5): the product of
 * deg^-0.5 over the degrees met along the path. For drug -CbG-> gene <-DaG- disease the degrees
 * are [drug's CbG out, gene's CbG in, gene's DaG in, disease's DaG out]; a GiG hop adds the two
 * genes' GiG degrees (both directions) in path order. Paths through hub genes score lower, so
 * specific mechanisms rank first. A zero degree cannot occur on a real path; it scores 0.
 */
export function pathScore(degrees: number[]): number {
  let score = 1;
  for (const d of degrees) {
    if (!(d > 0)) return 0;
    score *= d ** -0.5;
  }
  return score;
}

/**
 * A path as a sentence for rationales: "Metformin binds PRKAB1, which is associated with type 2
 * diabetes mellitus." Each edge joins nodes[i] to nodes[i + 1].
 */
/**
 * What a drug–gene "binds" edge (Hetionet CbG) says about mechanism, from its sources: DrugBank
 * files a protein as the drug's target, or as an enzyme, transporter or carrier that handles it;
 * DrugCentral lists curated targets; ChEMBL adds measured binding. An enzyme, transporter or carrier
 * explains an interaction, never the drug's effect ("Amlodipine binds CYP3A5", "Prednisone binds ALB").
 */
export type BindingRole = 'target' | 'binding' | 'pharmacokinetic';

export function bindingRole(props: Record<string, unknown>): BindingRole {
  const sources = String(props.sources ?? '');
  if (/DrugBank \(target\)|DrugCentral/i.test(sources)) return 'target';
  if (/DrugBank \((?:enzyme|transporter|carrier)\)/i.test(sources)) return 'pharmacokinetic';
  return 'binding';
}

/** Pharmacological actions as a pharmacologist says them: "Losartan blocks AGTR1". */
const ACTION_VERBS: Record<string, string> = {
  antagonist: 'blocks', blocker: 'blocks', 'channel blocker': 'blocks', inhibitor: 'inhibits', 'inhibitory allosteric modulator': 'inhibits',
  'negative allosteric modulator': 'inhibits', agonist: 'activates', 'partial agonist': 'partially activates', 'inverse agonist': 'is an inverse agonist of',
  'positive allosteric modulator': 'enhances', potentiator: 'enhances', opener: 'opens', activator: 'activates', modulator: 'modulates',
  binder: 'binds', ligand: 'binds', stimulator: 'stimulates', 'gating inhibitor': 'inhibits', antibody: 'binds (antibody)', 'antisense oligonucleotide': 'silences',
};

/** The verb for a drug–gene edge: its first pharmacological action, else "binds". */
export function bindingVerb(props: Record<string, unknown>): string {
  const actions = Array.isArray(props.actions) ? props.actions.map((a) => String(a).toLowerCase()) : [];
  for (const a of actions) if (ACTION_VERBS[a]) return ACTION_VERBS[a];
  return METAEDGE_LABELS.CbG;
}

/**
 * The genes a drug's mechanism paths may start from: its curated targets when it has any, else
 * the proteins it is measured to bind; never the enzymes, transporters and carriers that handle it.
 */
export function mechanismTargets<T>(edges: { gene: T; props: Record<string, unknown> }[]): { gene: T; verb: string }[] {
  const byRole = { target: [] as { gene: T; verb: string }[], binding: [] as { gene: T; verb: string }[] };
  for (const e of edges) {
    const role = bindingRole(e.props);
    if (role !== 'pharmacokinetic') byRole[role].push({ gene: e.gene, verb: bindingVerb(e.props) });
  }
  return byRole.target.length ? byRole.target : byRole.binding;
}

export function pathText(nodes: EntityRef[], edges: Pick<PathEdge, 'label'>[]): string {
  if (nodes.length !== edges.length + 1) {
    throw new Error(`a path of ${edges.length} edges needs ${edges.length + 1} nodes, got ${nodes.length}`);
  }
  if (!edges.length) return `${nodes[0]?.name ?? ''}.`;
  let text = `${nodes[0].name} ${edges[0].label} ${nodes[1].name}`;
  for (let i = 1; i < edges.length; i++) text += `, which ${edges[i].label} ${nodes[i + 1].name}`;
  return `${text}.`;
}

/**
 * Fills a DeepDDI template. A replacer function is used because a drug name is data: with a
 * replacement string, a "$&" in a name would be expanded by String.prototype.replace.
 */
export function fillDdiTemplate(template: string, drug1Name: string, drug2Name: string): string {
  return template.replace(/#Drug1/g, () => drug1Name).replace(/#Drug2/g, () => drug2Name);
}

/**
 * Provenance of one edge row from its source, license and (parsed) props. The detail wording is
 * shared so both backends cite a fact identically.
 */
export function edgeProvenance(source: string, license: string, props: Record<string, unknown>): Provenance {
  const p: Provenance = { source, license };
  if (Array.isArray(props.pmids) && props.pmids.length) p.pmids = props.pmids.map(String);
  const detail = [
    props.sources ? `sources: ${String(props.sources)}` : '',
    props.category ? `category: ${String(props.category)}` : '',
    props.n_curators !== undefined && props.n_curators !== null ? `curators: ${String(props.n_curators)}` : '',
    props.n_resources !== undefined && props.n_resources !== null ? `resources: ${String(props.n_resources)}` : '',
    props.classType ? `class type: ${String(props.classType)}` : '',
    props.tier ? `tier: ${String(props.tier)}` : '',
    props.resource ? `resource: ${String(props.resource)}` : '',
    props.max_phase !== undefined && props.max_phase !== null ? `phase: ${String(props.max_phase)}` : '',
  ].filter(Boolean).join('; ');
  if (detail) p.detail = detail;
  return p;
}

/** Fuzzy matches at or above this similarity count as matches; lower ones become suggestions. */
export const FUZZY_MATCH_THRESHOLD = 0.75;

/**
 * The similarity a fuzzy disease match needs before a tool or the case reader answers for it:
 * below it, "insomnia" would be answered as fatal familial insomnia (0.82) and "diabetes" as renal
 * glycosuria. Every caller uses this one bar, so the tools and the case agree.
 */
export const DISEASE_FUZZY_ACCEPT = 0.87;

/** How many "did you mean" suggestions a failed lookup offers. */
export const MAX_SUGGESTIONS = 5;

/** xref systems a prefixed code may name ("MSH:D003924", "RXCUI:6809"), with the spellings users type. */
const SYSTEM_ALIASES: Record<string, string> = {
  MESH: 'MESH', MSH: 'MESH', UMLS: 'UMLS', CUI: 'UMLS', ICD9: 'ICD9', ICD9CM: 'ICD9', ICD10: 'ICD10', ICD10CM: 'ICD10',
  SNOMED: 'SNOMED', SNOMEDCT: 'SNOMED', OMIM: 'OMIM', NCI: 'NCI', ATC: 'ATC', RXNORM: 'RXNORM', RXCUI: 'RXNORM', UNII: 'UNII',
  PUBCHEM: 'PUBCHEM', CID: 'PUBCHEM', CHEMBL: 'CHEMBL', DRUGBANK: 'DRUGBANK', DOID: 'DOID', NCBIGENE: 'NCBIGENE',
  ENTREZ: 'NCBIGENE', ORPHANET: 'ORPHANET', DRUGCENTRAL: 'DRUGCENTRAL', KEGG: 'KEGG', EFO: 'EFO', MONDO: 'MONDO', HP: 'HP',
};

/** Systems searched for a bare code ("E11.9", "D003924", "C0011860") that names no system. */
export const BARE_CODE_SYSTEMS = ['ICD10', 'ICD9', 'MESH', 'UMLS', 'ATC', 'UNII', 'RXNORM', 'CHEMBL'];

/** A query shaped like a bare code rather than a word (upper-cased input). */
export function looksLikeBareCode(upper: string): boolean {
  return upper.length <= 12 && /^[A-Z]?\d[\dA-Z.]*$|^[A-Z]\d{2}(\.\w+)?$/.test(upper);
}

/** Splits "SYSTEM:code" into a known system and the upper-cased code, or null. */
export function parsePrefixedCode(query: string): { system: string; code: string } | null {
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*:\s*(\S.*)$/.exec(query.trim());
  if (!m) return null;
  const system = SYSTEM_ALIASES[m[1].toUpperCase()];
  return system ? { system, code: m[2].toUpperCase() } : null;
}

/**
 * Codes to try, most specific first: an ICD code falls back to its parent category
 * (E11.9 → E11) when the exact code is not mapped; other systems are tried as given.
 */
export function codeFallbacks(system: string, code: string): string[] {
  const out = [code];
  if (system !== 'ICD10' && system !== 'ICD9') return out;
  let c = code;
  while (c.length > 3) {
    c = c.slice(0, -1).replace(/\.$/, '');
    out.push(c);
  }
  return out;
}

/**
 * Rank of a match type when two exact matches tie: the node's own id, then codes, names, brands,
 * synonyms. "DB00331" is both metformin's id and an indexed code term; it must report 'id'.
 */
const TERM_RANK: Record<string, number> = { id: -1, code: 0, preferred: 0.5, name: 1, brand: 2, synonym: 3 };

/**
 * Kinds a clinical query most likely means, first: "hypertension" is the disease before the
 * side effect of the same name, "Alzheimer's disease" the disease before the pathway.
 */
const KIND_RANK: Record<string, number> = { Compound: 0, Disease: 1, 'Side Effect': 2, Symptom: 3, Gene: 4, 'Pharmacologic Class': 5 };

/**
 * One match per entity (the best-scoring, then best term type), filtered by kind, ordered by
 * score, graph membership, clinical kind, term type and name.
 */
export function rankMatches(matches: EntityMatch[], kinds: string[] | undefined, limit: number): EntityMatch[] {
  const byId = new Map<string, EntityMatch>();
  for (const m of matches) {
    if (kinds && !kinds.includes(m.kind)) continue;
    const cur = byId.get(m.id);
    if (!cur || m.score > cur.score || (m.score === cur.score && (TERM_RANK[m.matchType] ?? 9) < (TERM_RANK[cur.matchType] ?? 9))) byId.set(m.id, m);
  }
  return [...byId.values()]
    // A clinical lay term decides among exact matches ("diabetes" is type 2 diabetes, not the DO
    // synonym's diabetes mellitus); then graph membership, then diseases drugs are indicated for.
    .sort(
      (a, b) =>
        b.score - a.score ||
        Number(b.matchType === 'preferred') - Number(a.matchType === 'preferred') ||
        Number(b.inGraph) - Number(a.inGraph) ||
        Number(!!b.indicated) - Number(!!a.indicated) ||
        (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9) ||
        (TERM_RANK[a.matchType] ?? 9) - (TERM_RANK[b.matchType] ?? 9) ||
        a.name.localeCompare(b.name),
    )
    .slice(0, limit);
}

/** Jaccard index from the shared count and the two set sizes (0 when nothing is shared). */
export function jaccard(shared: number, sizeA: number, sizeB: number): number {
  const union = sizeA + sizeB - shared;
  return shared > 0 && union > 0 ? shared / union : 0;
}

/** Rounds a score to 4 decimals so both backends report identical numbers. */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Indication metaedges and the relation each reads as. */
export const INDICATION_METAEDGES: Record<string, IndicationRelation> = { CtD: 'treats', CpD: 'palliates', CiD: 'indicated' };
const RELATION_RANK: Record<IndicationRelation, number> = { treats: 0, palliates: 1, indicated: 2 };

/** One stored indication fact as a backend reads it: a drug, the metaedge, the edge rows, and the subtype it is recorded for (if not the disease asked for). */
export interface IndicationRow {
  drug: EntityRef;
  metaedge: string;
  edges: { source: string; license: string; props: Record<string, unknown> }[];
  via?: EntityRef;
}

/** The tier an edge row stands for: PharmacotherapyDB's curated edges, or the tier the import recorded. */
export function edgeTier(metaedge: string, props: Record<string, unknown>): IndicationTier {
  if (metaedge === 'CtD' || metaedge === 'CpD') return 'curated';
  const t = String(props.tier ?? '');
  // An unknown tier is read as the weakest evidence, never as a strong one.
  return (INDICATION_TIERS as readonly string[]).includes(t) ? (t as IndicationTier) : 'investigational';
}

const tierRank = (t: IndicationTier) => INDICATION_TIERS.indexOf(t);

/**
 * One entry per drug from the indication rows of a disease and its subtypes, the same whichever
 * backend read them: the disease's own indications before a subtype's, then the best relation
 * (curated disease-modifying first), the best tier, the most independent resources, the name.
 */
export function aggregateIndications(rows: IndicationRow[], opts: { relations?: IndicationRelation[]; tiers?: IndicationTier[] } = {}): IndicatedDrug[] {
  const byDrug = new Map<string, {
    drug: EntityRef; relation: IndicationRelation; tier: IndicationTier; resources: Map<string, IndicationTier>;
    provenance: Provenance[]; via?: EntityRef; direct: boolean;
  }>();
  for (const r of rows) {
    const relation = INDICATION_METAEDGES[r.metaedge];
    if (!relation || (opts.relations && !opts.relations.includes(relation))) continue;
    for (const e of r.edges) {
      const tier = edgeTier(r.metaedge, e.props);
      if (opts.tiers && !opts.tiers.includes(tier)) continue;
      // Hetionet's treats/palliates edges are PharmacotherapyDB's records: one resource, not two.
      const resource = r.metaedge === 'CiD' ? String(e.props.resource ?? e.source) : 'pharmacotherapydb';
      const direct = !r.via;
      let cur = byDrug.get(r.drug.id);
      if (!cur) byDrug.set(r.drug.id, (cur = { drug: r.drug, relation, tier, resources: new Map(), provenance: [], direct, ...(r.via ? { via: r.via } : {}) }));
      // A subtype's record never outranks the disease's own: once a direct row is seen, it decides.
      if (direct && !cur.direct) {
        Object.assign(cur, { direct: true, relation, tier, resources: new Map<string, IndicationTier>(), provenance: [] as Provenance[], via: undefined });
      } else if (!direct && cur.direct) continue;
      if (RELATION_RANK[relation] < RELATION_RANK[cur.relation]) cur.relation = relation;
      if (tierRank(tier) < tierRank(cur.tier)) {
        cur.tier = tier;
        if (r.via) cur.via = r.via;
      }
      const had = cur.resources.get(resource);
      if (!had || tierRank(tier) < tierRank(had)) cur.resources.set(resource, tier);
      cur.provenance.push(edgeProvenance(e.source, e.license, e.props));
    }
  }
  return [...byDrug.values()]
    .sort(
      (a, b) =>
        Number(b.direct) - Number(a.direct) ||
        RELATION_RANK[a.relation] - RELATION_RANK[b.relation] ||
        tierRank(a.tier) - tierRank(b.tier) ||
        b.resources.size - a.resources.size ||
        a.drug.name.localeCompare(b.drug.name),
    )
    // Resources best tier first, so the first is the one the tier stands on.
    .map(({ direct: _d, resources, via, ...x }) => ({
      ...x,
      resources: [...resources].sort((a, b) => tierRank(a[1]) - tierRank(b[1]) || a[0].localeCompare(b[0])).map(([r]) => r),
      ...(via ? { via } : {}),
    }));
}

/** A drug's indications in the order both backends report them: best relation, best tier, then the disease name. */
export function sortProfileIndications<T extends { disease: EntityRef; relation: IndicationRelation; tier: IndicationTier }>(xs: T[]): T[] {
  return [...xs].sort(
    (a, b) =>
      RELATION_RANK[a.relation] - RELATION_RANK[b.relation] || tierRank(a.tier) - tierRank(b.tier) || a.disease.name.localeCompare(b.disease.name),
  );
}
