import { END, START, StateGraph } from '@langchain/langgraph';
import { createGraphContext, type AgentGraphOptions, type GraphContext, type GraphNode } from './graph/context.js';
import { NODE, type NodeName } from './graph/names.js';
import { createCitationsNode } from './graph/nodes/citations.js';
import { createExtractCaseNode } from './graph/nodes/extract-case.js';
import { createFinalizeNode } from './graph/nodes/finalize.js';
import { createRecommendNode } from './graph/nodes/recommend.js';
import { createGenerateNode, createRetrieveNode } from './graph/nodes/retrieve-then-generate.js';
import { createSafetyNode } from './graph/nodes/safety.js';
import { createModelNode, createRoundLimitNode, createToolsNode } from './graph/nodes/tool-calling.js';
import {
  AFTER_CITATIONS,
  AFTER_EXTRACT_CASE,
  AFTER_GENERATE,
  AFTER_MODEL,
  routeAfterCitations,
  routeAfterExtractCase,
  routeAfterGenerate,
  routeAfterModel,
} from './graph/routers.js';
import { AgentState } from './state.js';

export type { AgentGraphOptions, AgentMode } from './graph/context.js';
export { NODE_NAMES } from './graph/names.js';
export { textOf } from './graph/support.js';

/**
 * One node per name, in the order the graph adds them. Typed by NodeName, so a node added to
 * NODE without a factory here (or the reverse) fails to compile.
 */
function createNodes(ctx: GraphContext): Record<NodeName, GraphNode> {
  return {
    [NODE.extractCase]: createExtractCaseNode(ctx),
    [NODE.recommend]: createRecommendNode(ctx),
    [NODE.model]: createModelNode(ctx),
    [NODE.tools]: createToolsNode(ctx),
    [NODE.roundLimit]: createRoundLimitNode(ctx),
    [NODE.retrieve]: createRetrieveNode(ctx),
    [NODE.generate]: createGenerateNode(ctx),
    [NODE.citations]: createCitationsNode(),
    [NODE.safety]: createSafetyNode(ctx),
    [NODE.finalize]: createFinalizeNode(),
  };
}

/**
 * Builds the agent graph:
 *   extract_case → (tool-calling) model ⇄ tools → citations → safety → finalize
 *                → (retrieve-then-generate) retrieve → generate → citations → safety → finalize
 *                → (evidence-only) recommend → citations → finalize
 * A model failure or timeout in any mode falls back to the recommender with a notice.
 *
 * Every mode gets the same nodes and edges; the routers choose the path per turn from the mode
 * and the turn's state. One shape for all modes keeps a thread's checkpoints valid whichever
 * mode the next process runs in, and lets a model turn fall back to the recommender mid-way.
 */
export function buildAgentGraph(opts: AgentGraphOptions) {
  const ctx = createGraphContext(opts);
  const g = new StateGraph(AgentState)
    .addNode(createNodes(ctx))
    .addEdge(START, NODE.extractCase)
    .addConditionalEdges(NODE.extractCase, routeAfterExtractCase(ctx), [...AFTER_EXTRACT_CASE])
    // tool-calling
    .addConditionalEdges(NODE.model, routeAfterModel(ctx), [...AFTER_MODEL])
    .addEdge(NODE.tools, NODE.model)
    .addEdge(NODE.roundLimit, NODE.recommend)
    // retrieve-then-generate
    .addEdge(NODE.retrieve, NODE.generate)
    .addConditionalEdges(NODE.generate, routeAfterGenerate, [...AFTER_GENERATE])
    // every mode: the checks, then the answer
    .addEdge(NODE.recommend, NODE.citations)
    .addConditionalEdges(NODE.citations, routeAfterCitations, [...AFTER_CITATIONS])
    .addEdge(NODE.safety, NODE.finalize)
    .addEdge(NODE.finalize, END);
  return g.compile({ checkpointer: opts.checkpointer });
}
