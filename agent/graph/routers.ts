import type { AIMessage } from '@langchain/core/messages';
import type { AgentStateType } from '../state.js';
import type { GraphContext } from './context.js';
import { NODE } from './names.js';

// Each router's possible destinations are a const list: the wiring hands the same list to
// LangGraph (so the drawing shows every branch), and the router's return type is its members.

/** After `extract_case`: evidence-only turns go to the recommender, model turns to the mode's first node. */
export const AFTER_EXTRACT_CASE = [NODE.recommend, NODE.model, NODE.retrieve] as const;
export type AfterExtractCase = (typeof AFTER_EXTRACT_CASE)[number];

/** After `model`: the fallback, the checks (an answer), the tools, or the stop at the round limit. */
export const AFTER_MODEL = [NODE.recommend, NODE.citations, NODE.tools, NODE.roundLimit] as const;
export type AfterModel = (typeof AFTER_MODEL)[number];

/** After `generate`: the fallback when the model failed, the checks otherwise. */
export const AFTER_GENERATE = [NODE.recommend, NODE.citations] as const;
export type AfterGenerate = (typeof AFTER_GENERATE)[number];

/** After `citations`: the recommender's own answer is already screened; a model's answer goes through safety. */
export const AFTER_CITATIONS = [NODE.finalize, NODE.safety] as const;
export type AfterCitations = (typeof AFTER_CITATIONS)[number];

/** Routes a turn by whether a model answers it (a model marked unreachable makes it evidence-only), then by mode. */
export function routeAfterExtractCase(ctx: Pick<GraphContext, 'model' | 'mode'>): (state: AgentStateType) => AfterExtractCase {
  return function afterExtractCase(state) {
    if (state.turnMode === 'evidence-only' || !ctx.model) return NODE.recommend;
    return ctx.mode === 'tool-calling' ? NODE.model : NODE.retrieve;
  };
}

/** Routes the model's reply: no tool calls is an answer; tool calls run until the round limit. */
export function routeAfterModel(ctx: Pick<GraphContext, 'maxToolRounds'>): (state: AgentStateType) => AfterModel {
  return function afterModel(state) {
    // The model node failed and fell back.
    if (state.turnMode === 'evidence-only') return NODE.recommend;
    const last = state.messages[state.messages.length - 1] as AIMessage | undefined;
    if (!last?.tool_calls?.length) return NODE.citations;
    return state.toolRounds >= ctx.maxToolRounds ? NODE.roundLimit : NODE.tools;
  };
}

/** Routes the generated answer: a failed or off-task generation falls back to the recommender. */
export function routeAfterGenerate(state: AgentStateType): AfterGenerate {
  return state.turnMode === 'evidence-only' ? NODE.recommend : NODE.citations;
}

/** Routes the checked draft: only a model's answer needs the safety node (the recommender screened its own). */
export function routeAfterCitations(state: AgentStateType): AfterCitations {
  return state.turnMode === 'evidence-only' ? NODE.finalize : NODE.safety;
}
