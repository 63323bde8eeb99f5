/**
 * The knowledge-base schema: one SQLite file holding the graph, the vocabulary and (issue 3)
 * the text corpus. Every edge row keeps the source it came from and that source's license,
 * because several sources are non-commercial and the license must reach what users see.
 */
/**
 * 2: safety rule tables (safety_*). 3: indications by evidence tier (CiD), ChEMBL compounds,
 * name-based disease hierarchy (DkD). 5: ATC codes of safety groups (therapeutic class or not).
 */
export const KB_SCHEMA_VERSION = 5;

export const GRAPH_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Data sources with their license; noncommercial = 1 marks parts left out by --no-noncommercial.
CREATE TABLE sources (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, license TEXT NOT NULL, url TEXT NOT NULL,
  noncommercial INTEGER NOT NULL DEFAULT 0, files TEXT NOT NULL DEFAULT '[]'
);

-- Nodes. id is the public identifier (DB00331, DOID:9352, NCBIGene:5468, UMLS:C0000727,
-- MESH:D000006, NDFRT:N0000000069, GO:…, UBERON:…). in_hetionet marks the 47k Hetionet nodes;
-- vocabulary-only drugs (DrugBank) and DO terms outside Hetionet's 137 diseases are kept for
-- entity resolution and mapping.
CREATE TABLE nodes (
  nid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  props TEXT NOT NULL DEFAULT '{}',
  source TEXT NOT NULL,
  in_hetionet INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX nodes_kind ON nodes(kind);

-- Edges, one row per (source, fact): the same drug–disease pair may appear once from Hetionet
-- and once from PharmacotherapyDB, and both provenances are kept.
-- metaedge uses Hetionet abbreviations (CtD, CpD, CbG, CcSE, DaG, GiG, …) plus KEDRec ones:
-- CnD (PharmacotherapyDB NOT: recorded as not an indication), PCiC (class includes compound),
-- DsD (Disease Ontology slim propagation: subsumed term → slim disease), CiD (indicated for:
-- LabeledIn, ChEMBL, SIDER, MEDI, ehrlink, PREDICT; props.tier and props.resource say which
-- evidence), DkD (is a kind of: child → parent Disease Ontology term, inferred from names).
CREATE TABLE edges (
  src INTEGER NOT NULL REFERENCES nodes(nid),
  metaedge TEXT NOT NULL,
  dst INTEGER NOT NULL REFERENCES nodes(nid),
  source TEXT NOT NULL,
  license TEXT NOT NULL,
  props TEXT NOT NULL DEFAULT '{}'
);

-- Names, synonyms, brand names and codes used by entity resolution. term_norm is
-- normalizeTerm(term); term_type says what kind of string matched (name, synonym, brand, code).
CREATE TABLE terms (
  term_norm TEXT NOT NULL,
  nid INTEGER NOT NULL REFERENCES nodes(nid),
  term TEXT NOT NULL,
  term_type TEXT NOT NULL,
  source TEXT NOT NULL
);

-- External identifiers (system, code) → node: DrugBank, ATC, UNII, PUBCHEM, RXNORM, CHEMBL,
-- MESH, UMLS, ICD9, ICD10, SNOMED, OMIM, NCI, DOID. code is stored upper-case.
CREATE TABLE xrefs (
  nid INTEGER NOT NULL REFERENCES nodes(nid),
  system TEXT NOT NULL,
  code TEXT NOT NULL,
  source TEXT NOT NULL
);

-- DeepDDI / DrugBank 5 interaction types, each a sentence template with #Drug1 and #Drug2.
CREATE TABLE ddi_types (type INTEGER PRIMARY KEY, template TEXT NOT NULL);
-- Typed drug–drug interactions, stored once per direction as published (drug1 acts on drug2).
-- Node degree per metaedge and direction, for degree-weighted path scores and similarity.
CREATE TABLE degrees (nid INTEGER NOT NULL, metaedge TEXT NOT NULL, dir TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (nid, metaedge, dir)) WITHOUT ROWID;
-- Fuzzy ("did you mean") resolution needs no table of its own: the SQLite store builds an
-- in-memory trigram index from terms on its first fuzzy lookup (kb/graph/fuzzy.ts).
CREATE TABLE ddi (
  drug1 INTEGER NOT NULL REFERENCES nodes(nid),
  drug2 INTEGER NOT NULL REFERENCES nodes(nid),
  type INTEGER NOT NULL REFERENCES ddi_types(type),
  source TEXT NOT NULL
);
`;

/** Indexes are created after the bulk load: building them once is much faster than per row. */
export const GRAPH_INDEXES = `
CREATE INDEX edges_src ON edges(src, metaedge);
CREATE INDEX edges_dst ON edges(dst, metaedge);
CREATE INDEX edges_metaedge ON edges(metaedge, src, dst);
CREATE INDEX terms_norm ON terms(term_norm);
CREATE INDEX terms_nid ON terms(nid);
CREATE INDEX xrefs_code ON xrefs(system, code);
CREATE INDEX xrefs_nid ON xrefs(nid);
CREATE INDEX ddi_1 ON ddi(drug1, drug2);
CREATE INDEX ddi_2 ON ddi(drug2, drug1);
`;

/** Hetionet kinds and the prefix each kind's public identifier gets. */
const KIND_PREFIX: Record<string, string> = {
  Compound: '',
  Disease: '',
  Gene: 'NCBIGene:',
  'Side Effect': 'UMLS:',
  Symptom: 'MESH:',
  'Pharmacologic Class': 'NDFRT:',
  Anatomy: '',
  'Biological Process': '',
  'Cellular Component': '',
  'Molecular Function': '',
  Pathway: '',
};

/** Public identifier of a Hetionet node given its kind and Hetionet-local identifier. */
export function publicId(kind: string, localId: string): string {
  const prefix = KIND_PREFIX[kind];
  if (prefix === undefined) throw new Error(`unknown Hetionet node kind ${JSON.stringify(kind)}`);
  return prefix + localId;
}

/**
 * Normalises a term for exact lookup: lower case, Unicode NFKD without diacritics, punctuation
 * folded to spaces, whitespace collapsed. "Alzheimer's Disease" and "alzheimers disease" differ
 * only by the apostrophe, which becomes a space, so both forms are indexed.
 */
export function normalizeTerm(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
