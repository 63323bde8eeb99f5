/** Evidence retrieval: offline FTS5 corpus, live ClinicalTrials.gov / PubMed, optional dense (Chroma) fusion. */
export { createEvidenceStore, type EvidenceStore, type EvidenceStoreOptions } from './store.js';
export { OfflineCorpus, trialUrl, articleUrl, licenseOf, type EvidenceCounts } from './offline.js';
export { ChromaDenseIndex, DenseIndexError, type DenseIndex } from './chroma.js';
export { HashEmbedder, OllamaEmbedder, EmbedderError, type Embedder } from './embedder.js';
export { reciprocalRankFusion } from './fusion.js';
export { parseUserQuery, toFtsMatch, makeSnippet } from '../base/fts-query.js';
export { TRIAL_PHASES, TRIAL_STATUSES, type TrialPhase, type TrialStatus } from '../base/corpus-schema.js';
export { indexCorpusDense } from './dense-index.js';
export * from '../base/corpus-types.js';
export { InMemoryDenseIndex } from './memory-index.js';
export { evidenceStoreFromConfig, denseCollectionNames } from './from-config.js';
