import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../lib/log.js';

/**
 * `kedrec mcp`: the MCP server on stdio, for Claude Desktop and other local MCP clients. stdout
 * carries JSON-RPC only; every message of this process goes to stderr.
 */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('serve the KEDRec tools, resources and prompts over MCP on stdio (Claude Desktop, MCP Inspector); logs go to stderr')
    .option('--build', 'build the knowledge base first when the file is missing (slow; MCP clients may time out)')
    .action(async (opts: { build?: boolean }) => {
      const config = loadConfig();
      // Imported here, not at the top: `kedrec --help` and other commands skip the MCP SDK and the KB code.
      const [{ openServeContext }, { runStdioServer }] = await Promise.all([import('./serve-helpers.js'), import('../../mcp-server/stdio.js')]);
      const t0 = performance.now();
      const log = createLogger(config.LOG_LEVEL);
      const ctx = await openServeContext(config, { log, buildIfMissing: !!opts.build });
      log.info('kedrec mcp: knowledge base open', { tools: ctx.tools.length, kbPath: config.KEDREC_KB_PATH, openMs: Math.round(performance.now() - t0) });
      try {
        await runStdioServer(ctx.makeMcpServer(), log);
      } finally {
        await ctx.close();
      }
    });
}
