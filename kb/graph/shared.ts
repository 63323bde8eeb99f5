/**
 * Backend-independent parts of the graph store: the pieces whose result must not depend on
 * whether SQLite or Neo4j answered (path scores, path sentences, interaction sentences,
 * provenance wording, match ranking). Both backends import them, so the contract suite can
 * hold them to the same output.
 */
import type { EntityMatch, EntityRef, PathEdge, Provenance } from './store.js';

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

/** The label of a metaedge, or the abbreviation itself for one this table does not know. */
export function metaedgeLabel(metaedge: string): string {
  return METAEDGE_LABELS[metaedge] ?? metaedge;
}

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
  ].filter(Boolean).join('; ');
  if (detail) p.detail = detail;
  return p;
}

/** Fuzzy matches at or above this similarity count as matches; lower ones become suggestions. */
export const FUZZY_MATCH_THRESHOLD = 0.75;

/** How many "did you mean" suggestions a failed lookup offers. */
export const MAX_SUGGESTIONS = 5;

/** xref systems a prefixed code may name ("MSH:D003924", "RXCUI:6809"), with the spellings users type. */
export const SYSTEM_ALIASES: Record<string, string> = {
  MESH: 'MESH', MSH: 'MESH', UMLS: 'UMLS', CUI: 'UMLS', ICD9: 'ICD9', ICD9CM: 'ICD9', ICD10: 'ICD10', ICD10CM: 'ICD10',
  SNOMED: 'SNOMED', SNOMEDCT: 'SNOMED', OMIM: 'OMIM', NCI: 'NCI', ATC: 'ATC', RXNORM: 'RXNORM', RXCUI: 'RXNORM', UNII: 'UNII',
  PUBCHEM: 'PUBCHEM', CID: 'PUBCHEM', CHEMBL: 'CHEMBL', DRUGBANK: 'DRUGBANK', DOID: 'DOID', NCBIGENE: 'NCBIGENE',
  ENTREZ: 'NCBIGENE', ORPHANET: 'ORPHANET', DRUGCENTRAL: 'DRUGCENTRAL', KEGG: 'KEGG', EFO: 'EFO',
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
export const TERM_RANK: Record<string, number> = { id: -1, code: 0, name: 1, brand: 2, synonym: 3 };

/**
 * Kinds a clinical query most likely means, first: "hypertension" is the disease before the
 * side effect of the same name, "Alzheimer's disease" the disease before the pathway.
 */
export const KIND_RANK: Record<string, number> = { Compound: 0, Disease: 1, 'Side Effect': 2, Symptom: 3, Gene: 4, 'Pharmacologic Class': 5 };

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
    .sort((a, b) => b.score - a.score || Number(b.inGraph) - Number(a.inGraph) || (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9) || (TERM_RANK[a.matchType] ?? 9) - (TERM_RANK[b.matchType] ?? 9) || a.name.localeCompare(b.name))
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
