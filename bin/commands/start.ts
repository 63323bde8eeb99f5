import { Server as HttpServer } from 'node:http';
import os from 'node:os';
import type { Command } from 'commander';
import { loadConfigWithFlags } from '../../config.js';

/** `kedrec start` (npm start): builds the KB when missing, then serves HTTP, /mcp, Slack and the web page. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('serve the HTTP API (/v1/chat, /v1/chat/completions), MCP at /mcp, Slack at /slack/events and the web chat page on HOST:PORT; builds the knowledge base first when it is missing')
    .option('--port <n>', 'port (default: PORT or 8787)')
    .option('--host <h>', 'interface to bind (default: HOST or 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfigWithFlags({ PORT: opts.port, HOST: opts.host });
      // Loaded on use so other commands do not pay for the server and KB modules.
      const [{ serve }, { createApp, serverOptionsFromConfig }, { createLogger }, { openServeContext }] = await Promise.all([
        import('@hono/node-server'),
        import('../../server/app.js'),
        import('../../lib/log.js'),
        import('./serve-helpers.js'),
      ]);
      const log = createLogger(config.LOG_LEVEL);
      // A bug in background work must not take HTTP, /mcp and Slack down with it: log it loudly, keep serving.
      process.on('unhandledRejection', (err) => log.error('unhandled rejection', { error: (err as Error)?.stack ?? String(err) }));
      const workers = config.KEDREC_WORKERS ?? Math.min(os.availableParallelism(), 4);
      const ctx = await openServeContext(config, { log, buildIfMissing: true, withAgent: true, workers });
      if (ctx.agent?.pruneThreads && config.KEDREC_THREAD_TTL_DAYS > 0) {
        const n = await ctx.agent.pruneThreads(config.KEDREC_THREAD_TTL_DAYS * 86_400_000);
        if (n) log.info('pruned idle threads', { threads: n, ttlDays: config.KEDREC_THREAD_TTL_DAYS });
      }
      const slackStore =
        config.SLACK_SIGNING_SECRET && config.SLACK_BOT_TOKEN
          ? (await import('../../server/slack-store.js')).createSlackEventStore(config.KEDREC_SLACK_EVENTS_PATH)
          : undefined;
      const slack =
        config.SLACK_SIGNING_SECRET && config.SLACK_BOT_TOKEN
          ? { signingSecret: config.SLACK_SIGNING_SECRET, botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, store: slackStore }
          : undefined;
      if (config.SLACK_SIGNING_SECRET && !config.SLACK_BOT_TOKEN) log.warn('SLACK_SIGNING_SECRET is set without SLACK_BOT_TOKEN: the Slack endpoint stays off');
      // Several instances share the rate limit and Slack de-duplication through the conversations' Postgres.
      const shared = config.KEDREC_CHECKPOINT_URL ? await (await import('../../server/shared-state.js')).postgresSharedState(config.KEDREC_CHECKPOINT_URL, log) : undefined;
      const { app, close: closeApp } = createApp({
        agent: ctx.agent,
        agentUnavailableReason: ctx.agentUnavailableReason,
        makeMcpServer: ctx.makeMcpServer,
        checkKb: ctx.checkKb,
        options: serverOptionsFromConfig(config),
        slack,
        log,
        shared,
      });
      const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
        log.info('listening', {
          url: `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${info.port}`,
          tools: ctx.tools.length,
          agent: ctx.agent ? 'ready' : 'unavailable',
          workers,
          auth: config.KEDREC_API_TOKEN ? 'bearer' : 'none',
          slack: !!slack,
        });
      });
      // Slow clients: headers within 15 s, a whole request within 60 s, and a bounded number of
      // open connections, so a slowloris cannot hold thousands of sockets (and their memory).
      // serve() creates an HTTP/1 server unless given an HTTP/2 createServer, which this command never passes.
      if (!(server instanceof HttpServer)) throw new Error('@hono/node-server returned a server that is not a node:http Server: the slow-client limits cannot be set');
      const http = server;
      http.headersTimeout = 15_000;
      http.requestTimeout = 60_000;
      http.keepAliveTimeout = 5_000;
      http.maxConnections = 2_000;
      const serving = new Promise<void>((resolve, reject) => {
        // A busy port is a one-line error that says what to do, not a stack trace.
        http.once('error', (err: NodeJS.ErrnoException) => {
          reject(
            err.code === 'EADDRINUSE'
              ? new Error(`port ${config.PORT} on ${config.HOST} is already in use (another kedrec or server is running there); stop it or set PORT to a free port, e.g. PORT=8788 npm start`)
              : err.code === 'EACCES'
                ? new Error(`no permission to listen on port ${config.PORT}; use a port above 1024 (PORT=8787)`)
                : err,
          );
        });
        const stop = (signal: string) => {
          log.info('shutting down', { signal });
          server.close(() => resolve());
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      try {
        await serving;
      } catch (err) {
        // Nothing was served: close what was opened (workers, the KB) so the process exits with the error.
        await closeApp();
        slackStore?.close();
        await shared?.close();
        await ctx.close();
        throw err;
      }
      // Slack retries stop before their store closes; a reply still pending is sent by the next start.
      await closeApp();
      slackStore?.close();
      await shared?.close();
      await ctx.close();
    });
}
