import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { renderResult, runTool, ToolError, type ToolDeps, type ToolSpec } from './spec.js';

/** Converts any failure into an MCP error result: expected ones verbatim, unexpected ones named as internal. */
function toolErrorResult(err: unknown): CallToolResult {
  const text = err instanceof ToolError ? err.message : `Internal error: ${(err as Error)?.message ?? String(err)}`;
  return { isError: true, content: [{ type: 'text', text }] };
}

/**
 * Registers a tool spec on an MCP server. The raw arguments are validated by runTool (not by the
 * SDK) so a misnamed argument yields an `isError` result that lists the valid names.
 */
export function registerMcpTool(server: McpServer, spec: ToolSpec, deps: ToolDeps): void {
  server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      // Passing the schema lets clients see it; validation happens in runTool with our messages.
      // No output schemas: they were 61% of tools/list, every client pays for them in its context,
      // and the summary results below are not the full schema (the spec still validates the
      // handler's output in the tests).
      inputSchema: spec.input.passthrough(),
      annotations: { title: spec.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: spec.openWorld },
    },
    async (args: unknown) => {
      try {
        const result = await runTool(spec, args, deps);
        const full = (args as { detail?: unknown } | undefined)?.detail === 'full';
        if (spec.summarize && !full) {
          const s = spec.summarize(result);
          return { content: [{ type: 'text', text: s.text }], structuredContent: s.structured } satisfies CallToolResult;
        }
        return {
          content: [{ type: 'text', text: renderResult(spec, result) }],
          structuredContent: result as Record<string, unknown>,
        } satisfies CallToolResult;
      } catch (err) {
        return toolErrorResult(err);
      }
    },
  );
}
