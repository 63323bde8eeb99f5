import type { Command } from 'commander';
import { loadConfig } from '../../config.js';

/** `kedrec start` (npm start): builds the KB when missing, then serves HTTP, /mcp, Slack and the web page. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('serve the HTTP API (/v1/chat, /v1/chat/completions), MCP at /mcp, Slack at /slack/events and the web chat page on HOST:PORT; builds the knowledge base first when it is missing')
    .option('--port <n>', 'port (default: PORT or 8787)')
    .option('--host <h>', 'interface to bind (default: HOST or 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig({ ...process.env, ...(opts.port ? { PORT: opts.port } : {}), ...(opts.host ? { HOST: opts.host } : {}) });
      // Loaded on use so other commands do not pay for the server and KB modules.
      const [{ serve }, { createApp, serverOptionsFromConfig }, { createLogger }, { openServeContext }] = await Promise.all([
        import('@hono/node-server'),
        import('../../server/app.js'),
        import('../../server/log.js'),
        import('./serve-helpers.js'),
      ]);
      const log = createLogger(config.LOG_LEVEL);
      const ctx = await openServeContext(config, { buildIfMissing: true, withAgent: true });
      const slack =
        config.SLACK_SIGNING_SECRET && config.SLACK_BOT_TOKEN
          ? { signingSecret: config.SLACK_SIGNING_SECRET, botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }
          : undefined;
      if (config.SLACK_SIGNING_SECRET && !config.SLACK_BOT_TOKEN) log.warn('SLACK_SIGNING_SECRET is set without SLACK_BOT_TOKEN: the Slack endpoint stays off');
      const { app, idle } = createApp({
        agent: ctx.agent,
        agentUnavailableReason: ctx.agentUnavailableReason,
        makeMcpServer: ctx.makeMcpServer,
        checkKb: ctx.checkKb,
        options: serverOptionsFromConfig(config),
        slack,
        log,
      });
      const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
        log.info('listening', { url: `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${info.port}`, tools: ctx.tools.length, agent: ctx.agent ? 'ready' : 'unavailable', auth: config.KEDREC_API_TOKEN ? 'bearer' : 'none', slack: !!slack });
      });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info('shutting down', { signal });
          server.close(() => resolve());
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await idle();
      await ctx.close();
    });
}
