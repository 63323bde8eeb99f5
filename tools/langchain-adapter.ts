import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { renderResult, runTool, type ToolDeps, type ToolSpec } from './spec.js';

/**
 * Wraps a tool spec as a LangChain tool. The content the model reads is the text rendering; the
 * structured result travels as the message artifact so code (citation and safety checks) can
 * read IDs without parsing text. Errors are thrown and become error ToolMessages in the graph.
 */
export function toLangChainTool(spec: ToolSpec, deps: ToolDeps): StructuredToolInterface {
  return tool(
    async (args: unknown) => {
      const result = await runTool(spec, args, deps);
      return [renderResult(spec, result), result];
    },
    {
      name: spec.name,
      description: spec.description,
      schema: spec.input,
      responseFormat: 'content_and_artifact',
    },
  );
}
