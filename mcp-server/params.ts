/**
 * A `tools/call` whose `arguments` is not an object (an array, a string, null) is malformed
 * params: JSON-RPC says -32602 Invalid params, with a message a client can act on. The SDK would
 * answer -32603 Internal error with a raw validation dump, so such calls are answered here first.
 */
export interface JsonRpcErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

export function invalidToolCallParams(message: unknown): JsonRpcErrorReply | undefined {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const m = message as { method?: unknown; id?: unknown; params?: unknown };
  if (m.method !== 'tools/call') return undefined;
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  const params = m.params as { name?: unknown; arguments?: unknown } | undefined;
  const bad = (why: string): JsonRpcErrorReply => ({ jsonrpc: '2.0', id, error: { code: -32602, message: `Invalid params: ${why}` } });
  if (!params || typeof params !== 'object' || Array.isArray(params)) return bad('params must be an object {name, arguments}');
  if (typeof params.name !== 'string' || !params.name) return bad('params.name must be the tool name (a string)');
  const a = params.arguments;
  if (a !== undefined && (a === null || typeof a !== 'object' || Array.isArray(a))) {
    return bad(`params.arguments must be an object of named arguments (e.g. {"query": "metformin"}), not ${a === null ? 'null' : Array.isArray(a) ? 'an array' : `a ${typeof a}`}`);
  }
  return undefined;
}
