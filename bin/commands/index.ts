import type { Command } from 'commander';
import { registerAskCommand } from './ask.js';
import { registerBenchCommand } from './bench.js';
import { registerChatCommand } from './chat.js';
import { registerDatasetCommand } from './dataset.js';
import { registerDistillCommand } from './distill.js';
import { registerEvalCommand } from './eval.js';
import { registerExportCommand } from './export.js';
import { registerMcpCommand } from './mcp.js';
import { registerModelCommand } from './model.js';
import { registerSafetyCommands } from './safety.js';
import { registerThreadsCommands } from './threads.js';
import { registerStartCommand } from './start.js';

/**
 * Registers the commands of the other areas (start, mcp, chat, ask, dataset, distill, eval,
 * bench, model). Each area adds one line here pointing at its own module.
 */
export function registerExtraCommands(program: Command): void {
  registerStartCommand(program);
  registerMcpCommand(program);
  registerChatCommand(program);
  registerAskCommand(program);
  registerBenchCommand(program);
  registerDatasetCommand(program);
  registerDistillCommand(program);
  registerEvalCommand(program);
  registerExportCommand(program);
  registerModelCommand(program);
  registerSafetyCommands(program);
  registerThreadsCommands(program);
}
