import { randomUUID } from 'node:crypto';
import { SystemMessage, ToolMessage, type AIMessage } from '@langchain/core/messages';
import { ToolInputParsingException } from '@langchain/core/tools';
import { describeCase } from '../../../clinical/case-reader.js';
import { describeInputIssues, ToolError } from '../../../tools/spec.js';
import { harvestToolResult, type Harvest } from '../../citations.js';
import type { AgentStateType } from '../../state.js';
import type { GraphContext, GraphNode } from '../context.js';
import { callModel, modelFailed } from '../model-call.js';
import { emit, harvestUpdate, textOf, withTimeout } from '../support.js';

/** The last message, which the tool-calling router only sends on when it carries tool calls. */
const lastAi = (state: AgentStateType) => state.messages[state.messages.length - 1] as AIMessage;

/**
 * Node `model` (tool-calling): the model sees the conversation and the case as code read it,
 * and either answers or asks for tools. A failure falls back to the recommender.
 */
export function createModelNode(ctx: GraphContext): GraphNode {
  return async function callModelWithTools(state, config) {
    // One system message, first: chat templates such as Gemma's or Mistral's (vLLM, llama.cpp --jinja) refuse a second one.
    const system = new SystemMessage(`${ctx.systemPrompt}\n\nPatient case extracted by code from the conversation so far: ${describeCase(state.case)}`);
    try {
      const ai = await callModel(ctx, [system, ...state.messages], true, config);
      return { messages: [ai], draft: textOf(ai), draftMessageId: ai.id ?? null };
    } catch (err) {
      return modelFailed(ctx, state, err, config);
    }
  };
}

/**
 * Node `tools` (tool-calling): runs the tool calls of the model's last message, concurrently and
 * each bounded by the tool timeout, and gathers what they return for the citation check. Every
 * call gets a ToolMessage; a failure is one with status "error", never a result.
 */
export function createToolsNode(ctx: GraphContext): GraphNode {
  return async function runTools(state, config) {
    const calls = lastAi(state).tool_calls ?? [];
    const harvests: Harvest[] = [];
    const results = await Promise.all(
      calls.map(async (call) => {
        const id = call.id ?? `call-${randomUUID()}`;
        emit(config, { type: 'tool_call', id, name: call.name, args: call.args });
        const tool = ctx.toolsByName.get(call.name);
        let msg: ToolMessage;
        if (!tool) {
          const content = `Error: there is no tool named "${call.name}". Valid tools: ${[...ctx.toolsByName.keys()].join(', ')}.`;
          msg = new ToolMessage({ tool_call_id: id, name: call.name, status: 'error', content });
        } else {
          try {
            const run = tool.invoke({ ...call, id, type: 'tool_call' }, { signal: config.signal });
            const out = (await withTimeout(run, ctx.toolTimeoutMs, `tool ${call.name}`)) as ToolMessage;
            msg = out instanceof ToolMessage ? out : new ToolMessage({ tool_call_id: id, name: call.name, content: String(out) });
            if (msg.artifact !== undefined) harvests.push(harvestToolResult(call.name, msg.artifact));
          } catch (err) {
            const e = err as Error;
            // Expected failures carry their own guidance; anything else is reported as an internal error, never as a result.
            const spec = ctx.specsByName.get(call.name);
            const parsed = err instanceof ToolInputParsingException ? spec?.input.safeParse(call.args) : undefined;
            const expected = err instanceof ToolError || err instanceof ToolInputParsingException;
            const detail =
              spec && parsed && !parsed.success
                ? describeInputIssues(spec, parsed.error)
                : expected
                  ? e.message
                  : `internal error in ${call.name}: ${e.message}`;
            if (!expected) ctx.log.error('tool failed', { tool: call.name, error: e.stack ?? e.message });
            msg = new ToolMessage({ tool_call_id: id, name: call.name, status: 'error', content: `Error: ${detail}` });
          }
        }
        const ok = msg.status !== 'error';
        emit(config, { type: 'tool_result', id, name: call.name, ok, summary: textOf(msg).slice(0, 200) });
        return msg;
      }),
    );
    return { messages: results, toolRounds: state.toolRounds + 1, ...harvestUpdate(harvests) };
  };
}

/**
 * Node `round_limit` (tool-calling): the model asked for tools once more than the turn allows.
 * Its calls are answered as not run, and the recommender answers instead, saying why.
 */
export function createRoundLimitNode(ctx: GraphContext): GraphNode {
  return function stopAtRoundLimit(state, config) {
    // Every tool call needs an answer in the history, or the next turn's model call is invalid.
    const skipped = (lastAi(state).tool_calls ?? []).map(
      (c) =>
        new ToolMessage({
          tool_call_id: c.id ?? `call-${randomUUID()}`,
          name: c.name,
          status: 'error',
          content: `Error: not run: the limit of ${ctx.maxToolRounds} tool rounds per turn was reached.`,
        }),
    );
    // Text sent alongside tool calls is not an answer; the recommender answers instead, and says why.
    const notice = `The model was stopped after ${ctx.maxToolRounds} tool rounds without finishing; this answer comes from the evidence-only recommender.`;
    emit(config, { type: 'notice', message: notice });
    return { messages: skipped, notices: [...state.notices, notice], draft: null, draftMessageId: null };
  };
}
