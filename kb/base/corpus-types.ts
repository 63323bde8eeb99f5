/** Which side of a drug–condition pair an entity is linked as. */
export type LinkRole = 'drug' | 'condition';
import type { TrialPhase, TrialStatus } from './corpus-schema.js';

/** Where a result came from: the KB's offline corpus or a live API call. */
export type EvidenceOrigin = 'offline' | 'live';
/** Which source a caller asks for; 'auto' means live when configured, else offline. */
export type SourcePreference = 'auto' | 'offline' | 'live';
/** How results were ranked. */
type RetrievalMode = 'bm25' | 'hybrid' | 'filter' | 'live';

export interface EntityRef {
  id: string;
  name: string;
}

export interface DocumentLink {
  role: LinkRole;
  id: string;
  name: string;
  method: string;
}

export interface TrialSummary {
  nctId: string;
  title: string;
  /** 'registry' when the title is the registry's; 'derived' when composed from drugs and conditions. */
  titleKind: 'registry' | 'derived';
  phase: string | null;
  status: string | null;
  conditions: string[];
  interventions: string[];
  whyStopped: string | null;
  /** HINT outcome label: 1 met its primary outcome, 0 did not, null unknown. */
  outcomeLabel: number | null;
  snippet: string;
  url: string;
  origin: EvidenceOrigin;
  /** Source ids (hint, trial2vec, clintrials-dhimmel, clinicaltrials.gov). */
  sources: string[];
  license: string;
  /** Higher is better within one result list; null for filter-only listings. */
  score: number | null;
}

export interface TrialRecord extends TrialSummary {
  summary: string;
  criteria: string;
  icd10: string[];
  keywords: string[];
  outcomeMeasures: string;
  links: DocumentLink[];
}

export interface ArticleSummary {
  pmid: string;
  title: string;
  /** 'question' for PubMedQA records, which carry the question derived from the title. */
  titleKind: 'title' | 'question';
  year: number | null;
  mesh: string[];
  snippet: string;
  url: string;
  origin: EvidenceOrigin;
  sources: string[];
  license: string;
  score: number | null;
}

export interface ArticleRecord extends ArticleSummary {
  abstract: string;
  sections: { label: string; text: string }[];
  journal: string | null;
  /** BC5CDR chemical and disease annotations (MeSH ids with their most frequent mention). */
  concepts: { meshId: string; type: string; name: string; mentions: number }[];
  /** BC5CDR chemical-induced-disease relations. */
  relations: { chemical: string; disease: string }[];
  links: DocumentLink[];
}

export interface TrialQuery {
  text?: string;
  /** DrugBank id, MeSH id (MESH:D…), or a drug name. */
  drug?: string;
  /** DOID, MeSH id, or a condition name. */
  condition?: string;
  phase?: TrialPhase[];
  status?: TrialStatus[];
  limit: number;
  source?: SourcePreference;
  /** Ask for hybrid (BM25 + dense) ranking; used only when a dense index is configured. */
  hybrid?: boolean;
}

export interface ArticleQuery {
  text?: string;
  drug?: string;
  condition?: string;
  yearFrom?: number;
  yearTo?: number;
  limit: number;
  source?: SourcePreference;
  hybrid?: boolean;
}

export interface SearchResponse<T> {
  items: T[];
  /** More results exist beyond `limit`. */
  hasMore: boolean;
  origin: EvidenceOrigin;
  retrieval: RetrievalMode;
  /** Entities the drug/condition filters resolved to. */
  resolved: { drug?: EntityRef[]; condition?: EntityRef[] };
  /** Things the caller should know: fallbacks, relaxed matching, ignored filters. */
  notices: string[];
}

/**
 * An expected failure of an evidence query (unknown drug name, unknown NCT ID, live source
 * asked for but not configured). Tools turn it into a ToolError carrying the suggestions.
 */
export class EvidenceQueryError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EvidenceQueryError';
  }
}

/** A trial's public page on ClinicalTrials.gov. */
export const trialUrl = (nct: string) => `https://clinicaltrials.gov/study/${nct}`;
/** An article's public page on PubMed. */
export const articleUrl = (pmid: string) => `https://pubmed.ncbi.nlm.nih.gov/${pmid}/`;
