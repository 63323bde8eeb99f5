/**
 * The contract between the agent (agent/) and the interfaces (MCP, HTTP, Slack, CLI). Interfaces
 * depend only on this file, so they can be tested with any ChatAgent implementation.
 */

import type { ExcludedDrug, PatientCase, RecommendedDrug, Warning } from '../clinical/types.js';

export type { EvidenceItem, EvidenceType, ExcludedDrug, PatientCase, RecommendedDrug, Severity, Warning } from '../clinical/types.js';

/** The final structured answer of one turn. */
export interface FinalAnswer {
  threadId: string;
  /** "model" when a language model wrote the rationale; "evidence-only" for the deterministic recommender. */
  mode: 'model' | 'evidence-only';
  case: PatientCase;
  recommendations: RecommendedDrug[];
  /** Drugs the safety engine left out for this patient, each with its rule and citation. Never hidden. */
  excluded: ExcludedDrug[];
  /** What changed since the previous answer on this thread (new facts and how the list moved); empty on a first turn. */
  changes: string[];
  /** Free-text answer (the model's reply after the checks, or the assembled evidence-only text). */
  text: string;
  warnings: Warning[];
  /** Citations the checks removed because no tool in this thread returned them. */
  removedCitations: string[];
  notices: string[];
  disclaimer: string;
}

/** Events streamed during a turn, in order; the last one is `final` (or `error`). */
export type ChatEvent =
  | { type: 'token'; text: string }
  | { type: 'tool_call'; id: string; name: string; args: unknown }
  | { type: 'tool_result'; id: string; name: string; ok: boolean; summary: string }
  | { type: 'notice'; message: string }
  | { type: 'final'; answer: FinalAnswer }
  | { type: 'error'; code: string; message: string };

export interface ThreadMessage {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  name?: string;
}

export interface ThreadSnapshot {
  threadId: string;
  case: PatientCase;
  messages: ThreadMessage[];
  lastAnswer?: FinalAnswer;
}

export interface ChatAgent {
  /** Runs one user turn on a thread (created when new), streaming events. */
  stream(input: { threadId: string; message: string; signal?: AbortSignal }): AsyncIterable<ChatEvent>;
  /** Runs one turn and returns the final answer (throws on error events). */
  invoke(input: { threadId: string; message: string; signal?: AbortSignal }): Promise<FinalAnswer>;
  getThread(threadId: string): Promise<ThreadSnapshot | null>;
  deleteThread(threadId: string): Promise<boolean>;
  /** Whether a language model is reachable (false → evidence-only mode). */
  modelStatus(): Promise<{ mode: 'model' | 'evidence-only'; provider: string; model?: string; reason?: string }>;
}
