import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../lib/log.js';
import { invalidToolCallParams, type JsonRpcErrorReply } from './params.js';

/**
 * Writes a JSON-RPC error reply. JSON-RPC 2.0 answers a message whose id cannot be read with
 * `id: null`, which the SDK's message type does not allow; the stdio transport writes what it is
 * given (JSON.stringify), so the reply goes out unchanged under the SDK's type.
 */
function sendErrorReply(transport: StdioServerTransport, reply: JsonRpcErrorReply): Promise<void> {
  return transport.send(reply as JSONRPCMessage);
}

/**
 * Serves an MCP server over stdin/stdout until stdin closes. stdout carries only JSON-RPC, so
 * every log line of the process goes to stderr: `log` is the entry point's logger (JSON lines on stderr).
 */
export async function runStdioServer(server: McpServer, log: Logger): Promise<void> {
  const transport = new StdioServerTransport();
  // Set before connect (the protocol chains onto it): a malformed line gets a JSON-RPC parse error
  // instead of silence, and a line over the transport's 10 MiB buffer ends the process saying why.
  transport.onerror = (err: Error) => {
    if (/maximum size/i.test(err.message)) {
      log.error('kedrec mcp: a stdin message exceeded the 10 MiB limit; closing', { error: err.message });
      process.exitCode = 1;
      return;
    }
    // The parse error's message quotes the line (which may hold patient text): the client gets it, the log only its kind.
    log.warn('kedrec mcp: malformed JSON-RPC line', { error: err.name });
    void sendErrorReply(transport, { jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${err.message.slice(0, 200)}` } }).catch(() => {});
  };
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  // Malformed tool-call params get -32602 here, before the SDK's generic -32603.
  const deliver = transport.onmessage;
  if (!deliver) throw new Error('kedrec mcp: the MCP SDK did not install its message handler on connect; tool calls could not be routed');
  transport.onmessage = (message: Parameters<typeof deliver>[0]) => {
    const reply = invalidToolCallParams(message);
    if (reply) void sendErrorReply(transport, reply).catch(() => {});
    else deliver(message);
  };
  log.info('kedrec MCP server ready on stdio');
  await closed;
  await server.close().catch(() => {});
}
