import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

/**
 * Serves an MCP server over stdin/stdout until stdin closes. stdout carries only JSON-RPC, so
 * every log line of the process must go to stderr.
 */
export async function runStdioServer(server: McpServer, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  log('kedrec MCP server ready on stdio');
  await closed;
  await server.close().catch(() => {});
}
