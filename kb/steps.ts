import { buildKnowledgeBase, type BuildResult } from './build.js';
import { type ProgressEvent } from './base/build-context.js';
import { corpusBuildSteps, corpusDdl, corpusIndexes } from './corpus/steps.js';
import { graphBuildSteps } from './sources/index.js';

export interface DefaultBuildOptions {
  dataDir: string;
  outPath: string;
  noncommercial?: boolean;
  onProgress?: (e: ProgressEvent) => void;
}

/** Builds the full knowledge base: graph and vocabulary first, then the evidence corpus (which links to them). */
export function buildDefaultKnowledgeBase(opts: DefaultBuildOptions): BuildResult {
  return buildKnowledgeBase({
    ...opts,
    steps: [...graphBuildSteps, ...corpusBuildSteps],
    extraDdl: corpusDdl,
    extraIndexes: corpusIndexes,
  });
}
