import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { registerKbCommands } from './commands/kb.js';
import { registerExtraCommands } from './commands/index.js';

/** Builds the `kedrec` command tree; each area registers its own subcommands. */
export function buildProgram(): Command {
  const program = new Command('kedrec')
    .description('KEDRec: explainable drug recommendation over a drug knowledge graph, clinical trials and PubMed')
    .showHelpAfterError()
    .exitOverride();
  registerKbCommands(program);
  registerExtraCommands(program);
  return program;
}

/** KEDREC_DEBUG: stacks after error messages. False when the environment itself is invalid (that error is reported as such). */
function debugStacks(): boolean {
  try {
    return loadConfig().KEDREC_DEBUG;
  } catch {
    return false;
  }
}

/** CLI entry: errors are printed as one clear message on stderr with a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`kedrec: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`kedrec: ${(err as Error)?.message ?? String(err)}\n`);
    if (debugStacks()) process.stderr.write(`${(err as Error)?.stack}\n`);
    process.exitCode = 1;
  }
}
