import { HumanMessage, SystemMessage, type AIMessage } from '@langchain/core/messages';
import { describeCase } from '../../../clinical/case-reader.js';
import { explainWhyNot, recommendDrugs } from '../../../clinical/recommender.js';
import { renderInstruction } from '../../../prompts/load.js';
import { EmbeddedLlamaCpp } from '../../llama-cpp-model.js';
import { SELECTION_CUT_OFF, selectionCallOptions } from '../../selection.js';
import { toPatientCase, type LedgerItem } from '../../state.js';
import type { GraphContext, GraphNode } from '../context.js';
import { callModel, modelFailed } from '../model-call.js';
import { emit, harvestUpdate, lastHumanText, ledgerHarvest, textOf } from '../support.js';
import { WHY_NOT } from '../why-not.js';

const CUT_OFF_NOTICE =
  "The model's answer was cut off at its token limit (KEDREC_MODEL_MAX_TOKENS): " +
  'the drugs it named were checked like any answer, but its rationale is incomplete.';

/** Whether a text names any of the drugs (whole words, any case). */
function namesAnyOf(text: string, names: string[]): boolean {
  const lower = text.toLowerCase();
  return names.some((n) => new RegExp(`(?<![\\p{L}\\p{N}])${n.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u').test(lower));
}

/** Whether the model stopped at its token limit: the embedded runtime's mark, or the server's finish reason. */
function stoppedAtLimit(ai: AIMessage, text: string): boolean {
  const meta = (ai.response_metadata ?? {}) as { finish_reason?: string; done_reason?: string };
  return text.endsWith(SELECTION_CUT_OFF) || meta.finish_reason === 'length' || meta.done_reason === 'length';
}

/**
 * Node `retrieve` (retrieve-then-generate): code gathers the safe candidates and their evidence
 * with the recommender and fills the instruction template KEDRec-LM was trained on. A drug the
 * question asks about joins the candidates unless the safety engine left it out.
 */
export function createRetrieveNode(ctx: GraphContext): GraphNode {
  return async function retrieve(state, config) {
    emit(config, { type: 'tool_call', id: 'retrieve', name: 'recommend_drugs', args: { case: toPatientCase(state.case), limit: 8 } });
    const r = await recommendDrugs(ctx.clinical, state.case, { limit: 8 });
    const summary = `${r.recommendations.length} candidate(s), ${r.evidence.length} evidence item(s)`;
    emit(config, { type: 'tool_result', id: 'retrieve', name: 'recommend_drugs', ok: true, summary });
    const extra: LedgerItem[] = [];
    const question = lastHumanText(state.messages);
    const why = WHY_NOT.exec(question);
    let whyDrug: { id: string; name: string } | undefined;
    let whyExcluded = false;
    if (why) {
      const w = await explainWhyNot(ctx.clinical, state.case, why[1].trim(), r);
      extra.push(...w.evidence);
      whyDrug = w.drug;
      whyExcluded = !!w.excluded;
    }
    const candidates = r.recommendations.map((x) => ({ id: x.drug.id, name: x.drug.name }));
    // A drug the engine left out is explained, never offered to the model as a candidate.
    if (whyDrug && !whyExcluded) {
      const asked = whyDrug;
      if (!candidates.some((c) => c.id === asked.id)) candidates.push(asked);
    }
    const evidence = [...r.evidence, ...extra];
    const background = evidence.slice(0, 40).map((e) => `[${e.id}] ${e.snippet}`);
    const listed = candidates.map((c) => `${c.name} (${c.id})`);
    const instruction = renderInstruction({ patient: describeCase(state.case), candidates: listed, background, question });
    return {
      notices: [...state.notices, ...r.notices],
      // The model only ever sees safe candidates; what the engine left out is shown beside its answer.
      excluded: r.excluded,
      ...harvestUpdate([ledgerHarvest(evidence), { items: [], citable: [], drugs: Object.fromEntries(candidates.map((c) => [c.id, c.name])) }]),
      candidates: candidates.map((c) => c.name),
      draft: instruction,
    };
  };
}

/**
 * Node `generate` (retrieve-then-generate): the model writes selection and rationale from the
 * filled instruction. An answer that names no candidate is no recommendation: like a failure,
 * it falls back to the recommender.
 */
export function createGenerateNode(ctx: GraphContext): GraphNode {
  return async function generate(state, config) {
    // Earlier turns as plain dialogue; the current question is replaced by the filled instruction.
    const history = state.messages
      .slice(0, -1)
      .filter((m) => (m.getType() === 'human' || m.getType() === 'ai') && textOf(m).trim() && !(m as AIMessage).tool_calls?.length);
    try {
      const messages = [new SystemMessage(ctx.systemPrompt), ...history, new HumanMessage(state.draft ?? '')];
      // An embedded model writes under a grammar: a selection from the candidates and a rationale,
      // as JSON, streamed and returned in the answer's text form. Served models write the text form.
      const grammar = ctx.model instanceof EmbeddedLlamaCpp && state.candidates.length ? selectionCallOptions(state.candidates) : undefined;
      const ai = await callModel(ctx, messages, false, config, grammar);
      const text = textOf(ai);
      const cut = stoppedAtLimit(ai, text);
      // Cut off before the selection was closed: there is nothing to check, so nothing to show as the model's.
      if (grammar && !text.startsWith('Selected drugs:')) {
        throw new Error('the model stopped before it finished selecting (its token limit, KEDREC_MODEL_MAX_TOKENS, is too small)');
      }
      // A model that ignores the task (echoes its prompt, writes about something else) names no
      // candidate: its text is no recommendation, so the evidence-only answer is shown instead.
      if (state.candidates.length && !namesAnyOf(text, [...state.candidates, ...Object.keys(state.drugsSeen ?? {})])) {
        throw new Error(
          cut ? 'the model reached its token limit (KEDREC_MODEL_MAX_TOKENS) before naming a candidate drug' : 'the model named none of the candidate drugs',
        );
      }
      // The template ends with "Selected drugs:", which the model continues.
      const draft = /selected drugs?\s*:/i.test(text) ? text : `Selected drugs: ${text}`;
      const notices = cut ? [...state.notices, CUT_OFF_NOTICE] : state.notices;
      if (notices !== state.notices) emit(config, { type: 'notice', message: CUT_OFF_NOTICE });
      return { messages: [ai], draft, draftMessageId: ai.id ?? null, notices };
    } catch (err) {
      return modelFailed(ctx, state, err, config);
    }
  };
}
