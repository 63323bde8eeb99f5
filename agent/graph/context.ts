import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { BaseCheckpointSaver, LangGraphRunnableConfig } from '@langchain/langgraph';
import type { ClinicalDeps } from '../../clinical/deps.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { loadPrompt } from '../../prompts/load.js';
import { toLangChainTool } from '../../tools/langchain-adapter.js';
import type { ToolDeps, ToolSpec } from '../../tools/spec.js';
import type { AgentStateType, AgentStateUpdate } from '../state.js';

export type AgentMode = 'tool-calling' | 'retrieve-then-generate';

export interface AgentGraphOptions {
  /** Null: every turn runs in evidence-only mode. */
  model: BaseChatModel | null;
  tools: ToolSpec[];
  deps: ToolDeps;
  mode: AgentMode;
  maxToolRounds: number;
  modelTimeoutMs: number;
  toolTimeoutMs: number;
  /** Let the model help extract the case (model mode only); rules always run. */
  llmCaseExtraction?: boolean;
  checkpointer?: BaseCheckpointSaver;
  /** Default: JSON lines on stderr at level info. */
  log?: Logger;
}

/**
 * What the nodes and routers share, built once per graph: the options resolved (tools bound to
 * their deps, the system prompt loaded, the safety engine required) so no node re-derives them.
 */
export interface GraphContext {
  /** Null: no model is configured and every turn is evidence-only. */
  readonly model: BaseChatModel | null;
  readonly mode: AgentMode;
  /** The tools as LangChain tools over `deps`: what the model may call in tool-calling mode. */
  readonly tools: StructuredToolInterface[];
  readonly toolsByName: ReadonlyMap<string, StructuredToolInterface>;
  /** The specs behind the tools, to describe a rejected input in the tool's own terms. */
  readonly specsByName: ReadonlyMap<string, ToolSpec>;
  readonly deps: ToolDeps;
  /** The domain layer's view of `deps`, with the safety engine known to be there. */
  readonly clinical: ClinicalDeps;
  readonly systemPrompt: string;
  readonly maxToolRounds: number;
  readonly modelTimeoutMs: number;
  readonly toolTimeoutMs: number;
  readonly llmCaseExtraction: boolean;
  readonly log: Logger;
}

/** A graph node: reads the state, returns the fields it changes. */
export type GraphNode = (state: AgentStateType, config: LangGraphRunnableConfig) => AgentStateUpdate | Promise<AgentStateUpdate>;

/**
 * Resolves the options into the nodes' shared context. Throws when the safety engine is missing:
 * no answer, in any mode, may skip the safety check.
 */
export function createGraphContext(opts: AgentGraphOptions): GraphContext {
  const tools = opts.tools.map((t) => toLangChainTool(t, opts.deps));
  const toolsByName = new Map(tools.map((t) => [t.name, t]));
  const specsByName = new Map(opts.tools.map((t) => [t.name, t]));
  const systemPrompt = loadPrompt('system');
  const safety = opts.deps.safety;
  if (!safety) throw new Error('buildAgentGraph needs the safety engine (deps.safety): no answer may skip the safety check');
  return {
    model: opts.model,
    mode: opts.mode,
    tools,
    toolsByName,
    specsByName,
    deps: opts.deps,
    clinical: { graph: opts.deps.graph, evidence: opts.deps.evidence, safety },
    systemPrompt,
    maxToolRounds: opts.maxToolRounds,
    modelTimeoutMs: opts.modelTimeoutMs,
    toolTimeoutMs: opts.toolTimeoutMs,
    llmCaseExtraction: opts.llmCaseExtraction ?? false,
    log: opts.log ?? silentLogger,
  };
}

