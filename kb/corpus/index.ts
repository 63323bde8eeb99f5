/** Evidence retrieval: offline FTS5 corpus, live ClinicalTrials.gov / PubMed, optional dense (Chroma) fusion. */
export { createEvidenceStore, type EvidenceStore } from './store.js';
export * from '../base/corpus-types.js';
