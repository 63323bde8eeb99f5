import { AIMessage } from '@langchain/core/messages';
import { checkCitations } from '../../citations.js';
import type { AgentStateUpdate } from '../../state.js';
import type { GraphNode } from '../context.js';

/**
 * Node `citations`: removes, visibly, every citation in the draft that no tool in this thread
 * returned. It needs nothing from the graph's context: the state holds what may be cited.
 */
export function createCitationsNode(): GraphNode {
  return function checkDraftCitations(state) {
    const checked = checkCitations(state.draft ?? '', state.citable);
    const notices = [...state.notices];
    const removed = checked.removed;
    if (removed.length) notices.push(`Removed ${removed.length} citation(s) that no tool in this conversation returned: ${removed.join(', ')}.`);
    const update: AgentStateUpdate = { draft: checked.text, removedCitations: checked.removed, notices };
    // Replace the model's message in the history with the checked text (same id → replaced, not appended).
    if (state.draftMessageId) update.messages = [new AIMessage({ id: state.draftMessageId, content: checked.text })];
    return update;
  };
}
