import { checkInteractionsTool } from './check-interactions.js';
import { explainDrugConditionLinkTool } from './explain-drug-condition-link.js';
import { findDrugsForConditionTool } from './find-drugs-for-condition.js';
import { getDrugProfileTool } from './get-drug-profile.js';
import { resolveEntityTool } from './resolve-entity.js';
import type { ToolSpec } from './spec.js';

/** The knowledge-graph tools, in the order an agent usually needs them. */
export const graphTools: ToolSpec[] = [
  resolveEntityTool,
  findDrugsForConditionTool,
  getDrugProfileTool,
  explainDrugConditionLinkTool,
  checkInteractionsTool,
];
