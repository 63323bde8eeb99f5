/**
 * The contract between the agent (agent/) and the interfaces (MCP, HTTP, Slack, CLI). Interfaces
 * depend only on this file, so they can be tested with any ChatAgent implementation.
 */

/** The patient case, extracted from user turns and updated across them. */
export interface PatientCase {
  conditions: string[];
  currentMedications: string[];
  allergies: string[];
  age?: number;
  sex?: 'female' | 'male' | 'other';
  pregnant?: boolean;
  renal?: string;
  hepatic?: string;
  notes?: string;
}

export type EvidenceType = 'kg_fact' | 'kg_path' | 'trial' | 'article' | 'interaction' | 'side_effect';

export interface EvidenceItem {
  type: EvidenceType;
  /** NCT ID, PMID, or a KG fact id such as "DB00331-CtD-DOID:9352". */
  id: string;
  /** Link to ClinicalTrials.gov / PubMed / the entity page where one exists. */
  url?: string;
  snippet: string;
  source: string;
  license: string;
}

export interface Warning {
  kind: 'interaction' | 'side_effect' | 'allergy' | 'contraindication' | 'not_indicated' | 'notice';
  message: string;
  drugs?: string[];
  evidence?: EvidenceItem[];
}

export interface RecommendedDrug {
  rank: number;
  drug: { id: string; name: string };
  score?: number;
  rationale: string;
  evidence: EvidenceItem[];
  warnings: Warning[];
}

/** The final structured answer of one turn. */
export interface FinalAnswer {
  threadId: string;
  /** "model" when a language model wrote the rationale; "evidence-only" for the deterministic recommender. */
  mode: 'model' | 'evidence-only';
  case: PatientCase;
  recommendations: RecommendedDrug[];
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
