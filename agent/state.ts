import { Annotation, MessagesAnnotation } from '@langchain/langgraph';
import type { LedgerItem, TrackedCase } from '../clinical/case-types.js';
import { emptyCase } from '../clinical/case-types.js';
import type { TurnSummary } from './changes.js';
import type { ExcludedDrug, FinalAnswer, RecommendedDrug, Warning } from './types.js';

export type { LedgerItem, TrackedCase } from '../clinical/case-types.js';
export { toPatientCase } from '../clinical/case-types.js';

export type TurnMode = 'model' | 'evidence-only';


/**
 * The thread's evidence ledger keeps the most recent items only: it serves citation checks and
 * evidence cards of the turns in progress, and an unbounded ledger made every checkpoint (and so
 * storage per turn) grow with the whole conversation.
 */
const MAX_LEDGER_ITEMS = 150;
/** Citable ids kept per thread, newest last. */
const MAX_CITABLE_IDS = 1500;

const mergeById = <T extends { id: string; type?: string }>(a: T[], b: T[]): T[] => {
  if (!b?.length) return a;
  const m = new Map(a.map((x) => [`${x.type ?? ''}|${x.id}`, x]));
  for (const x of b) {
    const k = `${x.type ?? ''}|${x.id}`;
    m.delete(k);
    m.set(k, x);
  }
  const all = [...m.values()];
  return all.length > MAX_LEDGER_ITEMS ? all.slice(-MAX_LEDGER_ITEMS) : all;
};

/**
 * The graph state. Thread-long fields (messages, case, evidence ledger, citable IDs, drugs seen)
 * accumulate across turns and are persisted by the checkpointer; per-turn fields are reset by
 * the input of each turn.
 */
export const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  case: Annotation<TrackedCase>({ reducer: (_a, b) => b, default: emptyCase }),
  /** Every evidence item a tool returned in this thread. */
  evidence: Annotation<LedgerItem[]>({ reducer: mergeById, default: () => [] }),
  /** Every ID a tool result in this thread contains (PMIDs, NCT IDs, fact IDs): what may be cited. */
  citable: Annotation<string[]>({
    reducer: (a, b) => {
      if (!b?.length) return a;
      const all = [...new Set([...a, ...b])];
      return all.length > MAX_CITABLE_IDS ? all.slice(-MAX_CITABLE_IDS) : all;
    },
    default: () => [],
  }),
  /** Drugs (DrugBank id → name) that appeared in tool results, to map an answer's text to drugs. */
  drugsSeen: Annotation<Record<string, string>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  // Per-turn fields: the turn input sets them, nodes replace them.
  turnMode: Annotation<TurnMode>({ reducer: (_a, b) => b, default: () => 'model' }),
  toolRounds: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
  /** Notices of this turn; nodes append by returning the whole list. */
  notices: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
  /** This turn's candidate drug names (retrieve-then-generate): what a grammar lets a small model select. */
  candidates: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
  /** The model's answer text before the checks; null when the model produced none. */
  draft: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
  /** Id of the AI message holding the draft, so the checked text can replace it in the history. */
  draftMessageId: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
  recommendations: Annotation<RecommendedDrug[]>({ reducer: (_a, b) => b, default: () => [] }),
  /** Drugs the safety engine left out this turn (shown, never hidden). */
  excluded: Annotation<ExcludedDrug[]>({ reducer: (_a, b) => b, default: () => [] }),
  /** Compact summary of the previous answer (thread-long), so the next one can say what changed. */
  lastTurn: Annotation<TurnSummary | null>({ reducer: (_a, b) => b, default: () => null }),
  warnings: Annotation<Warning[]>({ reducer: (_a, b) => b, default: () => [] }),
  removedCitations: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
  answer: Annotation<FinalAnswer | null>({ reducer: (_a, b) => b, default: () => null }),
});

export type AgentStateType = typeof AgentState.State;
export type AgentStateUpdate = typeof AgentState.Update;
