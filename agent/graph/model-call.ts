import { randomUUID } from 'node:crypto';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { CallbackManager } from '@langchain/core/callbacks/manager';
import type { BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { EmbeddedCallOptions } from '../llama-cpp-model.js';
import type { AgentStateType, AgentStateUpdate } from '../state.js';
import type { GraphContext } from './context.js';
import { emit, textOf, withTimeout } from './support.js';

/**
 * Calls the model once, bounded by the model timeout and the turn's own cancellation. Throws on
 * a reply that is no answer (empty, or only malformed tool calls), so it cannot pass as one.
 * `embedded`: grammar and rendering for the embedded runtime (ignored by served models).
 */
export async function callModel(
  ctx: GraphContext,
  messages: BaseMessage[],
  withTools: boolean,
  config: LangGraphRunnableConfig,
  embedded?: EmbeddedCallOptions,
): Promise<AIMessage> {
  const model = ctx.model;
  if (!model) throw new Error('no model configured');
  const runnable = withTools && ctx.tools.length && typeof model.bindTools === 'function' ? model.bindTools(ctx.tools) : model;
  const timeout = AbortSignal.timeout(ctx.modelTimeoutMs);
  const signal = config.signal ? AbortSignal.any([config.signal, timeout]) : timeout;
  // Why the model stopped reaches the run's end callback, not always the message (a streamed
  // run's merged message can lack it): kept, so an answer cut at the token limit says so.
  let finish: string | undefined;
  const capture = BaseCallbackHandler.fromMethods({
    handleLLMEnd(out) {
      const info = out.generations?.[0]?.[0]?.generationInfo as { finish_reason?: string; done_reason?: string } | undefined;
      finish = info?.finish_reason ?? info?.done_reason ?? finish;
    },
  });
  const callbacks =
    config.callbacks instanceof CallbackManager
      ? config.callbacks.copy([capture], false)
      : [...((config.callbacks as BaseCallbackHandler[] | undefined) ?? []), capture];
  // The embedded runtime reads its options from the call options; served models ignore them.
  const options: BaseChatModelCallOptions = { signal, callbacks, ...embedded };
  const ai = (await withTimeout(runnable.invoke(messages, options), ctx.modelTimeoutMs, 'model call')) as AIMessage;
  if (finish && !ai.response_metadata?.finish_reason) ai.response_metadata = { ...ai.response_metadata, finish_reason: finish };
  if (!ai.id) ai.id = `ai-${randomUUID()}`;
  // A reply that is neither text nor a usable tool call would pass as an empty "model" answer.
  if (!ai.tool_calls?.length) {
    const bad = ai.invalid_tool_calls ?? [];
    if (bad.length) {
      const why = bad.map((c) => `${c.name ?? '?'}: ${c.error ?? 'unparseable arguments'}`).join('; ').slice(0, 300);
      throw new Error(`the model sent malformed tool calls (${why})`);
    }
    if (!textOf(ai).trim()) throw new Error('the model returned an empty answer');
  }
  return ai;
}

/**
 * A model failure or timeout, as a state update: the turn goes on evidence-only and says why.
 * A cancelled turn is not a model failure: it rethrows, so the turn stops.
 */
export function modelFailed(ctx: GraphContext, state: AgentStateType, err: unknown, config: LangGraphRunnableConfig): AgentStateUpdate {
  if (config.signal?.aborted) throw err;
  const message = `The language model failed (${(err as Error).message}); this answer comes from the evidence-only recommender.`;
  ctx.log.warn('model failed; the turn goes on evidence-only', { error: (err as Error).message });
  emit(config, { type: 'notice', message });
  return { turnMode: 'evidence-only', notices: [...state.notices, message] };
}
