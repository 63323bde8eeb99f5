import type { EvidenceStore } from '../kb/corpus/store.js';
import type { GraphStore } from '../kb/graph/store.js';
import type { SafetyEngine } from './safety/engine.js';

/**
 * What the clinical layer works with: the graph, the evidence corpus when the build has one, and
 * the safety engine. The safety engine is required: nothing recommends a drug without it.
 */
export interface ClinicalDeps {
  graph: GraphStore;
  /** Trial and article retrieval; absent when the KB was built without the corpus (ranking then uses the graph only). */
  evidence?: EvidenceStore;
  safety: SafetyEngine;
}
