import type { Command } from 'commander';

/**
 * Registers the commands of the other areas (start, mcp, chat, ask, dataset, distill, eval,
 * bench). Each area adds one line here pointing at its own module.
 */
export function registerExtraCommands(program: Command): void {
  void program;
}
