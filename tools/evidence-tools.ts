import { getArticleTool } from './get-article.js';
import { getTrialTool } from './get-trial.js';
import { searchLiteratureTool } from './search-literature.js';
import { searchTrialsTool } from './search-trials.js';
import type { ToolSpec } from './spec.js';

/** The evidence tools (issue 3); they need `deps.evidence` (createEvidenceStore from kb/corpus). */
export const evidenceTools: ToolSpec[] = [searchTrialsTool, getTrialTool, searchLiteratureTool, getArticleTool];

export { getArticleTool, getTrialTool, searchLiteratureTool, searchTrialsTool };
