import crypto from 'node:crypto';
import readline from 'node:readline';
import type { Command } from 'commander';
import type { ChatAgent } from '../../agent/types.js';
import { checkCliInput, processOutput, streamTurn, withCliAgent, type TurnOutput } from './ask.js';

/**
 * Interactive multi-turn chat on one thread. Lines from `input`; `/new` starts a new thread,
 * `/exit` (or end of input) quits. A failed turn is reported and the session goes on.
 */
export async function runChat(
  agent: ChatAgent,
  input: NodeJS.ReadableStream,
  io: TurnOutput & { prompt?: string },
  threadId = `cli-${crypto.randomUUID()}`,
): Promise<string> {
  const rl = readline.createInterface({ input, terminal: false });
  const prompt = io.prompt ?? 'you> ';
  io.err(`KEDRec chat (thread ${threadId}). /new starts over, /exit quits.\n`);
  io.out(prompt);
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '/exit' || line === '/quit') break;
    if (line === '/new') {
      threadId = `cli-${crypto.randomUUID()}`;
      io.err(`new thread ${threadId}\n`);
    } else if (line) {
      try {
        checkCliInput(line, undefined);
        await streamTurn(agent, threadId, line, io);
      } catch (err) {
        io.err(`error: ${(err as Error).message}\n`);
      }
    }
    io.out(`\n${prompt}`);
  }
  rl.close();
  return threadId;
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('interactive, streaming, multi-turn chat about a case in the terminal')
    .option('--thread <id>', 'continue this conversation')
    .action(async (opts: { thread?: string }) => {
      checkCliInput(undefined, opts.thread);
      await withCliAgent((agent, config) => runChat(agent, process.stdin, processOutput(config), opts.thread));
    });
}
