import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, type AIMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph';
import type { Config } from '../config.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { evidenceTools } from '../tools/evidence-tools.js';
import { graphTools } from '../tools/graph-tools.js';
import { checkSafetyTool } from '../tools/check-safety.js';
import { recommendDrugsTool } from '../tools/recommend-drugs.js';
import type { ToolDeps, ToolSpec } from '../tools/spec.js';
import { openConversationStore, type ConversationStore } from './conversation-store.js';
import { buildAgentGraph, textOf, type AgentMode } from './graph.js';
import { finalOf, oneTurnPerThread } from './turns.js';
import { ANONYMOUS, compactThread, memoryThreadRegistry, sqliteDbOf, sqliteThreadRegistry, type ThreadRegistry } from './thread-store.js';
import { createChatModel, type ModelProbe } from './model.js';
import { toPatientCase, type AgentStateType } from './state.js';
import { MAX_MESSAGE_CHARS, type ChatAgent, type ChatEvent, type FinalAnswer, type ThreadMessage, type ThreadSnapshot, type TurnInput } from './types.js';

export { ANONYMOUS } from './thread-store.js';
/** Turns one thread may hold before the agent asks for a new thread (its state grows with every turn). */
const DEFAULT_MAX_TURNS_PER_THREAD = 200;

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
  /** Turn and graph failures (each also reaches the caller as an error event or notice); default: silent. */
  log?: Logger;
  /** Thread ownership and activity; default: beside the checkpoints (SQLite) or in memory. */
  registry?: ThreadRegistry;
  /** Keeps a thread's last checkpoint only; default: compactThread on the SQLite or in-memory saver. */
  compact?: (threadId: string) => Promise<void>;
  maxTurnsPerThread?: number;
}

/** The default tool set: the recommender first (the system prompt tells the model to start there). */
export function defaultTools(deps: ToolDeps): ToolSpec[] {
  return [recommendDrugsTool, checkSafetyTool, ...graphTools, ...(deps.evidence ? evidenceTools : [])];
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
  const log = opts.log ?? silentLogger;
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
    log,
  });
  const probe: ModelProbe = opts.probe ?? (async () => (model ? { ok: true } : { ok: false, reason: 'no language model configured' }));
  const provider = opts.provider ?? (model ? 'custom' : 'none');
  const saverDb = sqliteDbOf(checkpointer);
  const registry = opts.registry ?? (saverDb ? sqliteThreadRegistry(saverDb) : memoryThreadRegistry());
  const maxTurns = opts.maxTurnsPerThread ?? DEFAULT_MAX_TURNS_PER_THREAD;

  /**
   * Who owns a thread. A thread with checkpoints but no registry row (written by a process from
   * before the registry, or by anything else that bypassed it) belongs to ANONYMOUS, so a named
   * principal can neither read, delete nor take it over by sending a turn to its id.
   */
  async function ownerOf(threadId: string): Promise<string | undefined> {
    const owner = (await registry.get(threadId))?.owner;
    if (owner !== undefined) return owner;
    return (await checkpointer.getTuple({ configurable: { thread_id: threadId } })) ? ANONYMOUS : undefined;
  }

  async function modelStatus() {
    const p = model ? await probe() : { ok: false, reason: opts.provider === 'none' ? 'KEDREC_LLM_PROVIDER=none' : 'no language model configured' };
    return { mode: (p.ok ? 'model' : 'evidence-only') as 'model' | 'evidence-only', provider, ...(opts.modelName ? { model: opts.modelName } : {}), ...(p.reason ? { reason: p.reason } : {}) };
  }

  async function* runTurn(input: TurnInput): AsyncGenerator<ChatEvent> {
    if (!input.threadId?.trim()) {
      yield { type: 'error', code: 'bad_request', message: 'threadId is required' };
      return;
    }
    if (typeof input.message !== 'string' || !input.message.trim()) {
      yield { type: 'error', code: 'bad_request', message: 'message is empty' };
      return;
    }
    // Every interface bounds its input; this is the last line, so no caller can hand the parsers megabytes.
    if (input.message.length > MAX_MESSAGE_CHARS) {
      yield { type: 'error', code: 'message_too_long', message: `the message has ${input.message.length} characters; the limit is ${MAX_MESSAGE_CHARS}` };
      return;
    }
    const principal = input.principal ?? ANONYMOUS;
    // A checkpointed thread without a row is registered to its legacy owner before anyone claims it.
    if (!(await registry.get(input.threadId)) && (await ownerOf(input.threadId)) === ANONYMOUS) await registry.claim(input.threadId, ANONYMOUS);
    const claim = await registry.claim(input.threadId, principal);
    // Another principal's thread answers exactly like a missing one: ids are not probed.
    if (claim === 'forbidden') {
      yield { type: 'error', code: 'thread_not_found', message: `no thread ${input.threadId} for this client` };
      return;
    }
    const record = await registry.get(input.threadId);
    if (record && record.turns >= maxTurns) {
      yield { type: 'error', code: 'thread_full', message: `thread ${input.threadId} has reached ${maxTurns} turns; start a new thread (its case can be restated in one message)` };
      return;
    }
    const status = await modelStatus();
    const notices: string[] = [];
    if (status.mode === 'evidence-only' && model) {
      const n = `The language model is not reachable (${status.reason}); answering in evidence-only mode.`;
      notices.push(n);
      yield { type: 'notice', message: n };
    }
    // One checkpoint per turn, written when the turn ends: intermediate steps are not resumable
    // anyway (a turn that dies is re-asked), and each write held the file's lock for all writers.
    const config = { configurable: { thread_id: input.threadId }, signal: input.signal, recursionLimit: maxToolRounds * 2 + 16, durability: 'exit' as const };
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
          if (
            (node === 'model' || node === 'generate') &&
            msg.getType() === 'ai' &&
            !(msg as AIMessage).tool_calls?.length &&
            !(msg as AIMessageChunk).tool_call_chunks?.length
          ) {
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
      // The thread keeps only its state after this turn: storage grows with the conversation, not its square.
      await (opts.compact ?? ((id: string) => compactThread(checkpointer, id)))(input.threadId);
      await registry.touch(input.threadId);
      yield { type: 'final', answer };
    } catch (err) {
      const e = err as Error;
      if (input.signal?.aborted) {
        yield { type: 'error', code: 'aborted', message: 'the turn was cancelled' };
        return;
      }
      log.error('turn failed', { threadId: input.threadId, error: e.message, stack: e.stack });
      yield { type: 'error', code: e.name === 'GraphRecursionError' ? 'recursion_limit' : 'internal', message: e.message };
    }
  }

  const stream = oneTurnPerThread(runTurn);
  return {
    stream,
    invoke: (input): Promise<FinalAnswer> => finalOf(stream(input)),
    async getThread(threadId, principal = ANONYMOUS): Promise<ThreadSnapshot | null> {
      const owner = await ownerOf(threadId);
      if (owner !== undefined && owner !== principal) return null;
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
      const tracked = v.case ?? { conditions: [], currentMedications: [], allergies: [] };
      return { threadId, case: toPatientCase(tracked), messages, ...(v.answer ? { lastAnswer: v.answer } : {}) };
    },
    async deleteThread(threadId, principal = ANONYMOUS) {
      const owner = await ownerOf(threadId);
      if (owner !== undefined && owner !== principal) return false;
      const existing = await checkpointer.getTuple({ configurable: { thread_id: threadId } });
      await registry.delete(threadId);
      if (!existing) return false;
      await checkpointer.deleteThread(threadId);
      return true;
    },
    async pruneThreads(olderThanMs) {
      let n = 0;
      for (;;) {
        const ids = await registry.idleSince(Date.now() - olderThanMs, 500);
        if (!ids.length) return n;
        for (const id of ids) {
          await checkpointer.deleteThread(id);
          await registry.delete(id);
          n++;
        }
      }
    },
    modelStatus,
  };
}

/**
 * Wires an agent from the configuration at an entry point: the model the provider names, its
 * reachability probe, the mode, limits and the conversation store (the SQLite file, or Postgres
 * when KEDREC_CHECKPOINT_URL is set). Resolves once the store is usable, so a bad setting fails
 * at start-up; `close()` releases the store.
 */
export async function createAgentFromConfig(
  config: Config,
  deps: ToolDeps,
  extra: Partial<MakeAgentOptions> = {},
): Promise<ChatAgent & { close(): Promise<void>; store: ConversationStore }> {
  const handle = createChatModel(config);
  const store = await openConversationStore(config);
  try {
    await store.ready();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  const agent = makeAgent({
    model: handle.model,
    probe: handle.probe,
    provider: handle.provider,
    modelName: handle.modelName,
    deps,
    checkpointer: store.saver,
    registry: store.registry,
    compact: store.compact,
    mode: config.KEDREC_AGENT_MODE,
    maxToolRounds: config.KEDREC_MAX_TOOL_ROUNDS,
    maxTurnsPerThread: config.KEDREC_THREAD_MAX_TURNS,
    modelTimeoutMs: config.KEDREC_MODEL_TIMEOUT_MS,
    toolTimeoutMs: config.KEDREC_TOOL_TIMEOUT_MS,
    // An embedded model has no tool calling, so no structured case extraction: the rule reader reads the case.
    llmCaseExtraction: config.KEDREC_MODEL_CASE_EXTRACTION && handle.provider !== 'llama-cpp',
    ...extra,
  });
  return Object.assign(agent, { close: () => store.close(), store });
}
