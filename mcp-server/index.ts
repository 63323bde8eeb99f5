/** The MCP server: createServer(deps) plus its stdio and Streamable HTTP transports. */
export { createServer, caseDiscussionPrompt, renderSources, DISCLAIMER, SOURCES_RESOURCE_URI, DISCLAIMER_RESOURCE_URI, type McpServerDeps } from './server.js';
export { handleMcpHttp, checkMcpRequestOrigin, hostnameOf, type McpHttpOptions } from './http.js';
export { runStdioServer } from './stdio.js';
