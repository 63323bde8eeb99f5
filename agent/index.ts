import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, type AIMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph';
import type { Config } from '../config.js';
import { evidenceTools } from '../tools/evidence-tools.js';
import { graphTools } from '../tools/graph-tools.js';
import { checkSafetyTool } from '../tools/check-safety.js';
import { recommendDrugsTool } from '../tools/recommend-drugs.js';
import type { ToolDeps, ToolSpec } from '../tools/spec.js';
import { createCheckpointer } from './checkpointer.js';
import { buildAgentGraph, textOf, type AgentMode } from './graph.js';
import { createChatModel, type ModelProbe } from './model.js';
import { toPatientCase, type AgentStateType } from './state.js';
import type { ChatAgent, ChatEvent, FinalAnswer, ThreadMessage, ThreadSnapshot } from './types.js';

export { buildAgentGraph, DISCLAIMER } from './graph.js';
export { createChatModel, ollamaProbe, openAiProbe, cachedProbe } from './model.js';
export { createCheckpointer } from './checkpointer.js';
export { recommendDrugs } from '../clinical/recommender.js';
export type * from './types.js';

export interface MakeAgentOptions {
  /** The chat model; null or absent: evidence-only mode on every turn. */
  model?: BaseChatModel | null;
  /** Tool-layer dependencies (graph store, evidence store). */
  deps: ToolDeps;
  /** Tools the model may call; default: recommend_drugs, the graph tools, and the evidence tools when deps.evidence exists. */
  tools?: ToolSpec[];
  /** Thread persistence; default: in memory (lost on restart). */
  checkpointer?: BaseCheckpointSaver;
  mode?: AgentMode;
  maxToolRounds?: number;
  modelTimeoutMs?: number;
  toolTimeoutMs?: number;
  /** Says whether the model is reachable before each turn; default: always reachable when a model is given. */
  probe?: ModelProbe;
  provider?: string;
  modelName?: string;
  llmCaseExtraction?: boolean;
  log?: (line: string) => void;
}

/** The default tool set: the recommender first (the system prompt tells the model to start there). */
export function defaultTools(deps: ToolDeps): ToolSpec[] {
  return [recommendDrugsTool as unknown as ToolSpec, checkSafetyTool as unknown as ToolSpec, ...graphTools, ...(deps.evidence ? evidenceTools : [])];
}

/**
 * Creates the chat agent: a LangGraph graph over the tools, with code-enforced citation and
 * safety checks, persisted per thread by the checkpointer. Turns on the same thread run one at
 * a time; different threads run concurrently.
 */
export function makeAgent(opts: MakeAgentOptions): ChatAgent {
  const model = opts.model ?? null;
  const checkpointer = opts.checkpointer ?? new MemorySaver();
  const maxToolRounds = opts.maxToolRounds ?? 6;
  const graph = buildAgentGraph({
    model,
    tools: opts.tools ?? defaultTools(opts.deps),
    deps: opts.deps,
    mode: opts.mode ?? 'tool-calling',
    maxToolRounds,
    modelTimeoutMs: opts.modelTimeoutMs ?? 120_000,
    toolTimeoutMs: opts.toolTimeoutMs ?? 15_000,
    llmCaseExtraction: opts.llmCaseExtraction,
    checkpointer,
    log: opts.log,
  });
  const probe: ModelProbe = opts.probe ?? (async () => (model ? { ok: true } : { ok: false, reason: 'no language model configured' }));
  const provider = opts.provider ?? (model ? 'custom' : 'none');
  const locks = new Map<string, Promise<unknown>>();

  async function modelStatus() {
    const p = model ? await probe() : { ok: false, reason: opts.provider === 'none' ? 'KEDREC_LLM_PROVIDER=none' : 'no language model configured' };
    return { mode: (p.ok ? 'model' : 'evidence-only') as 'model' | 'evidence-only', provider, ...(opts.modelName ? { model: opts.modelName } : {}), ...(p.reason ? { reason: p.reason } : {}) };
  }

  async function* runTurn(input: { threadId: string; message: string; signal?: AbortSignal }): AsyncGenerator<ChatEvent> {
    if (!input.threadId?.trim()) {
      yield { type: 'error', code: 'bad_request', message: 'threadId is required' };
      return;
    }
    if (!input.message?.trim()) {
      yield { type: 'error', code: 'bad_request', message: 'message is empty' };
      return;
    }
    const status = await modelStatus();
    const notices: string[] = [];
    if (status.mode === 'evidence-only' && model) {
      const n = `The language model is not reachable (${status.reason}); answering in evidence-only mode.`;
      notices.push(n);
      yield { type: 'notice', message: n };
    }
    const config = { configurable: { thread_id: input.threadId }, signal: input.signal, recursionLimit: maxToolRounds * 2 + 16 };
    const turn = {
      messages: [new HumanMessage(input.message)],
      turnMode: status.mode,
      toolRounds: 0,
      notices,
      draft: null,
      draftMessageId: null,
      recommendations: [],
      excluded: [],
      warnings: [],
      removedCitations: [],
      answer: null,
    };
    try {
      const stream = await graph.stream(turn, { ...config, streamMode: ['custom', 'messages'] });
      for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
        if (mode === 'custom') yield chunk as ChatEvent;
        else if (mode === 'messages') {
          const [msg, meta] = chunk as [BaseMessage, { langgraph_node?: string }];
          const node = meta?.langgraph_node;
          // Text that comes with tool calls is the model thinking aloud, not the answer.
          if ((node === 'model' || node === 'generate') && msg.getType() === 'ai' && !(msg as AIMessage).tool_calls?.length && !(msg as AIMessageChunk).tool_call_chunks?.length) {
            const text = textOf(msg);
            if (text) yield { type: 'token', text };
          }
        }
      }
      const snap = await graph.getState(config);
      const answer = (snap.values as AgentStateType).answer;
      if (!answer) {
        yield { type: 'error', code: 'no_answer', message: 'the turn ended without an answer' };
        return;
      }
      yield { type: 'final', answer };
    } catch (err) {
      const e = err as Error;
      if (input.signal?.aborted) {
        yield { type: 'error', code: 'aborted', message: 'the turn was cancelled' };
        return;
      }
      (opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`[agent] turn failed on thread ${input.threadId}: ${e.stack ?? e.message}`);
      yield { type: 'error', code: e.name === 'GraphRecursionError' ? 'recursion_limit' : 'internal', message: e.message };
    }
  }

  return {
    async *stream(input) {
      // One turn at a time per thread: two concurrent turns would fork the checkpoint history.
      const previous = locks.get(input.threadId) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const chained = previous.then(() => mine);
      locks.set(input.threadId, chained);
      await previous;
      try {
        yield* runTurn(input);
      } finally {
        release();
        if (locks.get(input.threadId) === chained) locks.delete(input.threadId);
      }
    },
    async invoke(input): Promise<FinalAnswer> {
      for await (const ev of this.stream(input)) {
        if (ev.type === 'final') return ev.answer;
        if (ev.type === 'error') throw Object.assign(new Error(ev.message), { code: ev.code });
      }
      throw new Error('the turn ended without an answer');
    },
    async getThread(threadId): Promise<ThreadSnapshot | null> {
      const snap = await graph.getState({ configurable: { thread_id: threadId } });
      const v = snap.values as Partial<AgentStateType> | undefined;
      if (!snap.createdAt || !v?.messages?.length) return null;
      const messages: ThreadMessage[] = v.messages.flatMap((m): ThreadMessage[] => {
        const t = m.getType();
        if (t === 'human') return [{ role: 'user', content: textOf(m) }];
        // Text that came with tool calls is an intermediate step, not an answer the user saw.
        if (t === 'ai') return textOf(m).trim() && !(m as AIMessage).tool_calls?.length ? [{ role: 'assistant', content: textOf(m) }] : [];
        if (t === 'tool') return [{ role: 'tool', content: textOf(m), ...(m.name ? { name: m.name } : {}) }];
        return [];
      });
      return { threadId, case: toPatientCase(v.case ?? { conditions: [], currentMedications: [], allergies: [] }), messages, ...(v.answer ? { lastAnswer: v.answer } : {}) };
    },
    async deleteThread(threadId) {
      const existing = await checkpointer.getTuple({ configurable: { thread_id: threadId } });
      if (!existing) return false;
      await checkpointer.deleteThread(threadId);
      return true;
    },
    modelStatus,
  };
}

/**
 * Wires an agent from the configuration at an entry point: the model the provider names, its
 * reachability probe, the mode, limits and the SQLite checkpointer. `close()` releases the
 * checkpoint file.
 */
export function createAgentFromConfig(config: Config, deps: ToolDeps, extra: Partial<MakeAgentOptions> = {}): ChatAgent & { close(): void } {
  const handle = createChatModel(config);
  const checkpointer = createCheckpointer(config.KEDREC_CHECKPOINT_PATH);
  const agent = makeAgent({
    model: handle.model,
    probe: handle.probe,
    provider: handle.provider,
    modelName: handle.modelName,
    deps,
    checkpointer,
    mode: config.KEDREC_AGENT_MODE,
    maxToolRounds: config.KEDREC_MAX_TOOL_ROUNDS,
    modelTimeoutMs: config.KEDREC_MODEL_TIMEOUT_MS,
    toolTimeoutMs: config.KEDREC_TOOL_TIMEOUT_MS,
    ...extra,
  });
  return Object.assign(agent, { close: () => checkpointer.close() });
}
