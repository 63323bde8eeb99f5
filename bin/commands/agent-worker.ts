import { parentPort, workerData } from 'node:worker_threads';
import { reportWorkerFatal, serveAgentInWorker } from '../../agent/worker-pool.js';
import type { Config } from '../../config.js';
import { createLogger } from '../../lib/log.js';
import { openServeContext } from './serve-helpers.js';

/**
 * One worker of the agent pool (`kedrec start`): opens its own serve context (KB, graph, safety
 * engine, evidence store, checkpoint connection) from the validated configuration the main thread
 * passed, and answers turns over its message port.
 */
const port = parentPort;
if (!port) throw new Error('agent-worker runs only as a worker thread of the agent pool (kedrec start), which gives it a message port');
try {
  const config = workerData as Config;
  // A worker thread is an entry point of its own: its logger, from the configuration the main thread validated.
  const ctx = await openServeContext(config, { log: createLogger(config.LOG_LEVEL), withAgent: true });
  if (!ctx.agent) throw new Error(`no chat agent: ${ctx.agentUnavailableReason}`);
  serveAgentInWorker(port, ctx.agent);
} catch (err) {
  reportWorkerFatal(port, err);
}
