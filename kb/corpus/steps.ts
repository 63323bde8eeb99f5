import type { BuildStep } from '../build.js';

/** Build steps for the trial and article corpus (issue 3). */
export const corpusBuildSteps: BuildStep[] = [];
/** Corpus tables, created before the steps run. */
export const corpusDdl: string[] = [];
/** Corpus indexes (and FTS optimisation), run after the steps. */
export const corpusIndexes: string[] = [];
