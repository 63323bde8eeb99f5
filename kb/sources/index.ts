import type { BuildStep } from "../build.js";
export const graphBuildSteps: BuildStep[] = [];
