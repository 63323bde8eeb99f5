/**
 * Corpus tables: trials and articles with their FTS5 indexes and links to graph entities.
 * The FTS tables are external-content tables over `trials` / `articles`, so text is stored once
 * and snippets are cut from the stored rows. Porter stemming lets "seizures" match "seizure";
 * the 2- and 3-character prefix indexes keep prefix queries (`cardio*`) fast.
 */
export const CORPUS_DDL = `
-- One row per NCT ID, merged across sources. conditions/interventions/keywords are
-- newline-separated lists (FTS columns must be plain text). phase uses ClinicalTrials.gov v2
-- enum values joined by '/', status the v2 overallStatus enum. title_kind is 'registry' when the
-- title came from the registry record and 'derived' when composed from drugs and conditions.
CREATE TABLE trials (
  tid INTEGER PRIMARY KEY,
  nct_id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  title_kind TEXT NOT NULL,
  phase TEXT,
  status TEXT,
  why_stopped TEXT,
  outcome_label INTEGER,
  conditions TEXT NOT NULL DEFAULT '',
  interventions TEXT NOT NULL DEFAULT '',
  icd10 TEXT NOT NULL DEFAULT '',
  keywords TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  outcome_measures TEXT NOT NULL DEFAULT '',
  criteria TEXT NOT NULL DEFAULT '',
  sources TEXT NOT NULL
);
CREATE VIRTUAL TABLE trials_fts USING fts5(
  title, conditions, interventions, summary, criteria,
  content='trials', content_rowid='tid', tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'
);

-- One row per PMID. title_kind is 'title', or 'question' for PubMedQA, whose records carry the
-- question its authors derived from the title instead of the title. sections is JSON
-- [{label, text}] when the abstract is structured. splits lists BC5CDR splits (train/dev/test).
CREATE TABLE articles (
  aid INTEGER PRIMARY KEY,
  pmid TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  title_kind TEXT NOT NULL,
  abstract TEXT NOT NULL,
  sections TEXT NOT NULL DEFAULT '[]',
  mesh TEXT NOT NULL DEFAULT '',
  year INTEGER,
  splits TEXT NOT NULL DEFAULT '',
  sources TEXT NOT NULL,
  -- treatment | adverse | preclinical | other (kb/corpus/article-stance.ts): only treatment supports
  stance TEXT NOT NULL DEFAULT 'other'
);
CREATE VIRTUAL TABLE articles_fts USING fts5(
  title, abstract, mesh,
  content='articles', content_rowid='aid', tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'
);

-- Links from documents to entities. entity_id is a public id (DB00316, DOID:10652, MESH:D003693)
-- and is kept even when the graph has no such node, so filters work on a corpus-only KB.
-- method says how the link was made (registry, drugbank-map, name, icd10, mesh-id, mesh-xref).
CREATE TABLE trial_links (
  tid INTEGER NOT NULL REFERENCES trials(tid),
  role TEXT NOT NULL CHECK (role IN ('drug', 'condition')),
  entity_id TEXT NOT NULL,
  name TEXT NOT NULL,
  name_norm TEXT NOT NULL,
  method TEXT NOT NULL,
  source TEXT NOT NULL,
  UNIQUE (tid, role, entity_id)
);
CREATE TABLE article_links (
  aid INTEGER NOT NULL REFERENCES articles(aid),
  role TEXT NOT NULL CHECK (role IN ('drug', 'condition')),
  entity_id TEXT NOT NULL,
  name TEXT NOT NULL,
  name_norm TEXT NOT NULL,
  method TEXT NOT NULL,
  source TEXT NOT NULL,
  UNIQUE (aid, role, entity_id)
);

-- BC5CDR annotations aggregated per article and concept: name is the most frequent surface form.
CREATE TABLE article_concepts (
  aid INTEGER NOT NULL REFERENCES articles(aid),
  mesh_id TEXT NOT NULL,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  mentions INTEGER NOT NULL
);
-- BC5CDR chemical-induced-disease relations (MeSH ids).
CREATE TABLE article_relations (
  aid INTEGER NOT NULL REFERENCES articles(aid),
  chemical TEXT NOT NULL,
  disease TEXT NOT NULL
);
`;

export const CORPUS_INDEXES = `
CREATE INDEX trial_links_entity ON trial_links(entity_id, role);
CREATE INDEX trial_links_name ON trial_links(name_norm, role);
CREATE INDEX article_links_entity ON article_links(entity_id, role);
CREATE INDEX article_links_name ON article_links(name_norm, role);
CREATE INDEX article_concepts_aid ON article_concepts(aid);
CREATE INDEX article_concepts_mesh ON article_concepts(mesh_id);
CREATE INDEX article_relations_pair ON article_relations(chemical, disease);
CREATE INDEX article_relations_aid ON article_relations(aid);
CREATE INDEX trials_status ON trials(status);
CREATE INDEX articles_year ON articles(year);
INSERT INTO trials_fts(trials_fts) VALUES ('optimize');
INSERT INTO articles_fts(articles_fts) VALUES ('optimize');
`;

/** ClinicalTrials.gov v2 overallStatus values, the vocabulary of the status filter. */
export const TRIAL_STATUSES = [
  'ACTIVE_NOT_RECRUITING', 'COMPLETED', 'ENROLLING_BY_INVITATION', 'NOT_YET_RECRUITING', 'RECRUITING',
  'SUSPENDED', 'TERMINATED', 'WITHDRAWN', 'AVAILABLE', 'NO_LONGER_AVAILABLE', 'TEMPORARILY_NOT_AVAILABLE',
  'APPROVED_FOR_MARKETING', 'WITHHELD', 'UNKNOWN',
] as const;
export type TrialStatus = (typeof TRIAL_STATUSES)[number];

/** ClinicalTrials.gov v2 phase values, the vocabulary of the phase filter. */
export const TRIAL_PHASES = ['EARLY_PHASE1', 'PHASE1', 'PHASE2', 'PHASE3', 'PHASE4', 'NA'] as const;
export type TrialPhase = (typeof TRIAL_PHASES)[number];

/** Maps free-text status (HINT "active, not recruiting", Trial2Vec "Unknown status") to the v2 enum. */
export function normalizeTrialStatus(s: string): TrialStatus | null {
  const v = s.trim().toUpperCase().replace(/[^A-Z]+/g, '_').replace(/^_|_$/g, '');
  if (!v) return null;
  if (v === 'UNKNOWN_STATUS') return 'UNKNOWN';
  return (TRIAL_STATUSES as readonly string[]).includes(v) ? (v as TrialStatus) : null;
}

/** Maps "phase 1/phase 2", "Phase II", "early phase 1", "N/A" or v2 enums to v2 phase values. */
export function normalizeTrialPhases(s: string): TrialPhase[] {
  const out = new Set<TrialPhase>();
  const roman: Record<string, string> = { I: '1', II: '2', III: '3', IV: '4' };
  if (/^\s*(n\/a|na|not applicable)\s*$/i.test(s)) return ['NA'];
  for (const part of s.split(/[/,|]+/)) {
    const p = part.trim().toUpperCase().replace(/[\s_-]+/g, ' ');
    if (!p) continue;
    if (p === 'N A' || p === 'NA' || p === 'NOT APPLICABLE') {
      out.add('NA');
      continue;
    }
    const m = /^(EARLY )?PHASE ?(IV|III|II|I|[1-4])$/.exec(p);
    if (!m) continue;
    const n = roman[m[2]] ?? m[2];
    out.add((m[1] ? 'EARLY_PHASE1' : `PHASE${n}`) as TrialPhase);
  }
  return [...out];
}
