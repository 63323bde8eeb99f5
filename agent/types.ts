/**
 * The contract between the agent (agent/) and the interfaces (MCP, HTTP, Slack, CLI). Interfaces
 * depend only on this file, so they can be tested with any ChatAgent implementation.
 */

import type { ExcludedDrug, PatientCase, RecommendedDrug, Warning } from '../clinical/types.js';

export type { ExcludedDrug, PatientCase, RecommendedDrug, Warning } from '../clinical/types.js';

/**
 * The longest user turn any interface accepts (characters). A case description fits in far less;
 * the bound keeps every parser's work small whatever arrives (the chat API, Slack, the CLI, an
 * OpenAI-compatible client's last message). Interfaces reject longer input naming this limit.
 */
export const MAX_MESSAGE_CHARS = 8000;
/** The most text one OpenAI-compatible request may carry across all its messages (clients resend the history). */
export const MAX_REQUEST_TEXT_CHARS = 64_000;
/** Thread ids: what clients may send, and what the CLI accepts for --thread. */
export const THREAD_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

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

/**
 * One user turn. `principal` is who asks (an API token's name, a Slack team, "cli"); a thread
 * belongs to the principal that created it and is answered, shown or deleted only for it.
 */
export interface TurnInput {
  threadId: string;
  message: string;
  signal?: AbortSignal;
  principal?: string;
}

export interface ChatAgent {
  /** Runs one user turn on a thread (created when new), streaming events. */
  stream(input: TurnInput): AsyncIterable<ChatEvent>;
  /** Runs one turn and returns the final answer (throws on error events). */
  invoke(input: TurnInput): Promise<FinalAnswer>;
  /** The thread, or null when it does not exist or belongs to another principal (the two look alike). */
  getThread(threadId: string, principal?: string): Promise<ThreadSnapshot | null>;
  deleteThread(threadId: string, principal?: string): Promise<boolean>;
  /** Deletes threads idle for longer than `olderThanMs`; returns how many. */
  pruneThreads?(olderThanMs: number): Promise<number>;
  /** Whether a language model is reachable (false → evidence-only mode). */
  modelStatus(): Promise<{ mode: 'model' | 'evidence-only'; provider: string; model?: string; reason?: string }>;
}
