/**
 * The graph store: typed, parameterised queries over the knowledge graph. Callers (tools, the
 * agent, evals) never send free-form SQL or Cypher; each backend (SQLite, Neo4j) implements
 * exactly these queries and one contract suite checks both.
 */

/** Where a fact came from. Every fact the store returns carries at least one. */
export interface Provenance {
  source: string;
  license: string;
  /** PubMed IDs supporting the fact, when the source gives them. */
  pmids?: string[];
  /** Upstream detail: e.g. "DrugBank (target)|BindingDB", curator counts, SIDER method. */
  detail?: string;
}

export interface EntityRef {
  /** Public identifier: DB00331, DOID:9352, NCBIGene:5468, UMLS:C0000727, MESH:D000006, NDFRT:N…, GO:…. */
  id: string;
  kind: string;
  name: string;
}

/** preferred: a clinical lay term or abbreviation from kb/vocabulary/lay-terms.tsv ("CAP", "AF", "aspirin"). */
export type MatchType = 'id' | 'code' | 'preferred' | 'name' | 'synonym' | 'brand' | 'fuzzy';

export interface EntityMatch extends EntityRef {
  /** The stored term or code that matched. */
  matchedOn: string;
  matchType: MatchType;
  /** 1 for exact matches; similarity in (0, 1) for fuzzy ones. */
  score: number;
  /** Whether this entity is part of the Hetionet graph (has relations to query). */
  inGraph: boolean;
  /** For a disease term outside the graph: the graph disease(s) it is subsumed by (DO slim). */
  mapsTo?: EntityRef[];
  /** For a disease: whether drugs are recorded as indicated for it, directly or through a subtype. */
  indicated?: boolean;
}

export interface ResolveOptions {
  /** Restrict to these kinds (e.g. ['Compound']). */
  kinds?: string[];
  limit?: number;
  /** Skip the fuzzy stage (no typo matches, no suggestions): for scanning text for known terms. */
  exactOnly?: boolean;
}

export interface ResolveResult {
  query: string;
  /** Best first; exact matches (score 1) before fuzzy ones. Empty when nothing is close. */
  matches: EntityMatch[];
  /** "Did you mean" candidates when no match is good enough. */
  suggestions: EntityRef[];
}

export interface EntityDetails extends EntityRef {
  description: string | null;
  inGraph: boolean;
  xrefs: { system: string; code: string }[];
  synonyms: string[];
}

/**
 * treats / palliates: PharmacotherapyDB's physician-curated disease-modifying and symptomatic
 * indications; indicated: an indication from another source, whose trust is its tier.
 */
export type IndicationRelation = 'treats' | 'palliates' | 'indicated';

/**
 * How much an indication can be trusted, best first: physician-curated (PharmacotherapyDB),
 * label-curated (LabeledIn), approved (ChEMBL phase 4), label-mined (SIDER NLP, MEDI high
 * precision), ensemble or EHR-derived (MEDI low precision, ehrlink, PREDICT), investigational
 * (ChEMBL phase 3). Trial counts are evidence, never an indication.
 */
export type IndicationTier = 'curated' | 'label' | 'approved' | 'label_mined' | 'ehr_or_predicted' | 'investigational';
export const INDICATION_TIERS: readonly IndicationTier[] = ['curated', 'label', 'approved', 'label_mined', 'ehr_or_predicted', 'investigational'];

export interface IndicatedDrug {
  drug: EntityRef;
  relation: IndicationRelation;
  /** The best tier among the sources that record it. */
  tier: IndicationTier;
  /** Independent resources that record it (agreement). */
  resources: string[];
  provenance: Provenance[];
  /** Recorded for this subtype of the disease asked for ("streptococcal pneumonia" for "pneumonia"), not the disease itself. */
  via?: EntityRef;
}

export interface IndicationsResult {
  disease: EntityRef;
  /** The disease that was asked for when it was mapped to a graph disease by DO slim propagation. */
  requested?: EntityRef;
  drugs: IndicatedDrug[];
  /** Pairs PharmacotherapyDB curators recorded as NOT an indication (useful to avoid). */
  notIndicated: { drug: EntityRef; provenance: Provenance[] }[];
  total: number;
}

interface DrugTarget {
  gene: EntityRef;
  actions: string[];
  provenance: Provenance[];
}

interface DrugSideEffect {
  sideEffect: EntityRef;
  /** SIDER frequency label as published (e.g. "21%", "common", "postmarketing"), when known. */
  frequency?: string;
  /** Upper frequency bound as a fraction, when SIDER gives one. */
  frequencyValue?: number;
  provenance: Provenance[];
}

export interface DrugProfile {
  drug: EntityRef & { description: string | null; atc: string[]; groups: string[]; synonyms: string[] };
  targets: DrugTarget[];
  classes: { cls: EntityRef; provenance: Provenance[] }[];
  sideEffects: DrugSideEffect[];
  indications: { disease: EntityRef; relation: IndicationRelation; tier: IndicationTier; resources: string[]; provenance: Provenance[] }[];
  /** Totals before the limits were applied, so a caller knows what was cut. */
  counts: { targets: number; sideEffects: number; classes: number; indications: number };
}

export interface PathEdge {
  metaedge: string;
  /** Human verb phrase: "binds", "is associated with", "interacts with". */
  label: string;
  provenance: Provenance[];
}

export interface MechanismPath {
  /** drug, gene(s), disease in order. */
  nodes: EntityRef[];
  edges: PathEdge[];
  /** Degree-weighted path score: higher means more specific. */
  score: number;
  /** The path as a sentence, for rationales. */
  text: string;
}

export interface Interaction {
  drug1: EntityRef;
  drug2: EntityRef;
  type: number;
  /** The DeepDDI template filled with the two drug names. */
  sentence: string;
  provenance: Provenance[];
}

export interface SimilarDrug {
  drug: EntityRef;
  score: number;
  resembles: boolean;
  sharedTargets: EntityRef[];
  sharedClasses: EntityRef[];
}

export interface SimilarDisease {
  disease: EntityRef;
  score: number;
  resembles: boolean;
  sharedGenes: number;
}

export interface KbStats {
  nodes: { kind: string; count: number; inGraph: number }[];
  edges: { metaedge: string; source: string; license: string; count: number }[];
  interactions: number;
  sources: { id: string; name: string; license: string; url: string; noncommercial: boolean; files: string[] }[];
  meta: Record<string, string>;
}

/** Thrown when an ID names no entity of the kind a query needs; lists suggestions. */
export class UnknownEntityError extends Error {
  constructor(
    readonly query: string,
    readonly expectedKind: string,
    readonly suggestions: EntityRef[],
  ) {
    const hint = suggestions.length
      ? ` Did you mean: ${suggestions.map((s) => `${s.name} (${s.id})`).join(', ')}?`
      : ' Use resolve_entity to find the identifier.';
    super(`No ${expectedKind} with identifier ${JSON.stringify(query)}.${hint}`);
    this.name = 'UnknownEntityError';
  }
}

export interface GraphStore {
  readonly backend: 'sqlite' | 'neo4j';
  resolve(query: string, opts?: ResolveOptions): Promise<ResolveResult>;
  getEntity(id: string): Promise<EntityDetails | null>;
  /**
   * Drugs indicated for a disease: its own indications first, then its subtypes' (each marked
   * `via`), best tier and widest agreement first; a disease with none is answered through the
   * graph disease that subsumes it (DO slim).
   */
  indicatedDrugs(diseaseId: string, opts?: { relations?: IndicationRelation[]; tiers?: IndicationTier[]; limit?: number }): Promise<IndicationsResult>;
  drugProfile(drugId: string, opts?: { maxTargets?: number; maxSideEffects?: number; maxClasses?: number }): Promise<DrugProfile>;
  mechanismPaths(drugId: string, diseaseId: string, opts?: { limit?: number; viaGeneGene?: boolean }): Promise<MechanismPath[]>;
  interactions(drugIds: string[]): Promise<Interaction[]>;
  /**
   * Interactions between any drug of `a` and any drug of `b` only (not within `a`): the safety
   * engine's question, candidates × current medications. Optional: without it, callers use
   * `interactions` over both lists and filter.
   */
  interactionsBetween?(a: string[], b: string[]): Promise<Interaction[]>;
  similarDrugs(drugId: string, opts?: { limit?: number }): Promise<SimilarDrug[]>;
  similarDiseases(diseaseId: string, opts?: { limit?: number }): Promise<SimilarDisease[]>;
  stats(): Promise<KbStats>;
  close(): Promise<void>;
}
