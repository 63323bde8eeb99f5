import { applyCaseDelta, parseCaseDelta } from '../../../clinical/case-reader.js';
import { modelCaseDelta } from '../../case-model.js';
import type { GraphContext, GraphNode } from '../context.js';
import { emit, lastHumanText, withTimeout } from '../support.js';

/**
 * Node `extract_case`: reads the turn's message into the thread's patient case. Rules always
 * read it; the model may propose the change first (llmCaseExtraction), and the rules still check
 * what it proposes. Anything the knowledge base does not know is left out of the case, and said.
 */
export function createExtractCaseNode(ctx: GraphContext): GraphNode {
  return async function extractCase(state, config) {
    const text = lastHumanText(state.messages);
    let delta = parseCaseDelta(text);
    if (ctx.llmCaseExtraction && ctx.model && state.turnMode === 'model') {
      try {
        delta = await withTimeout(modelCaseDelta(ctx.model, state.case, text, config.signal), ctx.modelTimeoutMs, 'case extraction');
      } catch (err) {
        ctx.log.warn('model case extraction failed; rules only', { error: (err as Error).message });
      }
    }
    const r = await applyCaseDelta(ctx.deps.graph, state.case, delta, text, ctx.clinical.safety.knowledge);
    const notices = [...state.notices];
    for (const n of r.notices) {
      notices.push(n);
      emit(config, { type: 'notice', message: n });
    }
    if (r.unresolved.length) {
      const n = `Not matched to the knowledge base (left out of the case): ${r.unresolved.map((u) => `"${u}"`).join(', ')}.`;
      notices.push(n);
      emit(config, { type: 'notice', message: n });
    }
    return { case: r.case, notices };
  };
}
