import { randomUUID } from 'node:crypto';
import { AIMessage } from '@langchain/core/messages';
import { describeChanges, turnSummary } from '../../changes.js';
import { toPatientCase } from '../../state.js';
import type { FinalAnswer } from '../../types.js';
import type { GraphNode } from '../context.js';

const DISCLAIMER =
  'This supports, and does not replace, clinical judgement: check every recommendation against the full clinical picture and current prescribing information.';

/**
 * Node `finalize`: the structured answer of the turn, with what changed since the last answer,
 * and the answer as delivered in the history. It needs nothing from the graph's context.
 */
export function createFinalizeNode(): GraphNode {
  return function finalize(state, config) {
    const threadId = String(config.configurable?.thread_id ?? '');
    const summary = turnSummary(state.case, state.recommendations, state.excluded);
    const changes = describeChanges(state.lastTurn, summary);
    const draft = state.draft ?? '';
    const text = changes.length ? `${draft}\n\nWhat changed since the last answer:\n${changes.map((c) => `- ${c}`).join('\n')}` : draft;
    const answer: FinalAnswer = {
      threadId,
      mode: state.turnMode,
      case: toPatientCase(state.case),
      recommendations: state.recommendations,
      excluded: state.excluded,
      changes,
      text,
      warnings: state.warnings,
      removedCitations: state.removedCitations,
      notices: state.notices,
      disclaimer: DISCLAIMER,
    };
    // The history keeps the answer as delivered: the checked text replaces the model's draft.
    const message = new AIMessage({ id: state.draftMessageId || `ai-${randomUUID()}`, content: text });
    return { answer, messages: [message], lastTurn: summary };
  };
}
