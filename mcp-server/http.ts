import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { hostnameOf } from '../lib/net.js';

export interface McpHttpOptions {
  /** Makes a fresh server per request (stateless mode: no session affinity, any worker can answer). */
  makeServer: () => McpServer;
  /** Host names (no port) accepted in the Host header; DNS-rebinding protection. */
  allowedHosts: string[];
  /** Browser origins accepted in the Origin header; requests without Origin (non-browser clients) pass. */
  allowedOrigins: string[];
  maxBodyBytes?: number;
}

function jsonRpcError(status: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** Host name of a Host header value, port removed; undefined when it does not parse. */
/**
 * Checks Host and Origin before anything reaches the MCP transport. A web page on an attacker's
 * domain that rebinds its DNS to 127.0.0.1 still sends its own Host/Origin, so both are checked.
 * An Origin passes when it is this server itself (scheme, host and port exactly) or is listed:
 * another port on localhost is another site.
 */
function checkMcpRequestOrigin(req: Request, opts: Pick<McpHttpOptions, 'allowedHosts' | 'allowedOrigins'>): Response | undefined {
  const host = req.headers.get('host');
  const hostname = host ? hostnameOf(host) : undefined;
  if (!hostname || !opts.allowedHosts.includes(hostname)) {
    return jsonRpcError(403, `Host ${JSON.stringify(host ?? '')} is not allowed; add its name to KEDREC_ALLOWED_HOSTS`);
  }
  const origin = req.headers.get('origin');
  if (origin) {
    const self = `${new URL(req.url).protocol}//${host}`;
    const ok =
      opts.allowedOrigins.includes('*') ||
      opts.allowedOrigins.includes(origin) ||
      origin === self ||
      origin === self.replace(/^https:/, 'http:') ||
      origin === self.replace(/^http:/, 'https:');
    if (!ok) return jsonRpcError(403, `Origin ${JSON.stringify(origin)} is not allowed; add it to KEDREC_CORS_ORIGINS`);
  }
  return undefined;
}

/**
 * Handles one Streamable HTTP request (POST, GET or DELETE on /mcp) in stateless mode: a new
 * server and transport per request, closed when the response is done. JSON responses rather than
 * SSE, since the tools return one result each and send no progress notifications.
 */
export async function handleMcpHttp(req: Request, opts: McpHttpOptions): Promise<Response> {
  const rejected = checkMcpRequestOrigin(req, opts);
  if (rejected) return rejected;
  if (req.method !== 'POST') {
    // Stateless mode has no standalone SSE stream or session to delete.
    return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; use POST' }, id: null }), {
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
    });
  }
  const server = opts.makeServer();
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    ...(opts.maxBodyBytes ? { maxRequestBodySize: opts.maxBodyBytes } : {}),
  });
  try {
    await server.connect(transport);
    return await transport.handleRequest(req);
  } finally {
    // With JSON responses the body is complete when handleRequest resolves.
    void transport.close().catch(() => {});
    void server.close().catch(() => {});
  }
}
