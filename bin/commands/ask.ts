import crypto from 'node:crypto';
import type { Command } from 'commander';
import { MAX_MESSAGE_CHARS, THREAD_ID_PATTERN, type ChatAgent, type FinalAnswer } from '../../agent/types.js';
import { loadConfig, type Config } from '../../config.js';
import { createLogger } from '../../lib/log.js';
import { renderCompact } from '../../clinical/compact-answer.js';
import { renderForTerminal, wantsColor } from '../terminal.js';

export interface TurnOutput {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Colour on stdout (a TTY without NO_COLOR); plain text otherwise. */
  color?: boolean;
  /** Terminal width for reflowing, when stdout is a TTY. */
  width?: number;
}

/** The terminal's own output streams. */
export const processOutput = (config: Pick<Config, 'NO_COLOR' | 'TERM'>): TurnOutput => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color: wantsColor(process.stdout, config),
  ...(process.stdout.isTTY ? { width: Math.min(process.stdout.columns || 100, 120) } : {}),
});

/**
 * Runs one turn: tokens to `out` as they stream, tool steps to `err` (so `> file` keeps only the
 * answer), then the compact answer (agent/compact-answer.ts) rendered for the terminal: each drug
 * once with its reason, flags and sources, what was left out, the notes. The model's text is not
 * printed twice when it streamed. The thread id goes to `err`, to continue with --thread.
 * Throws on an error event.
 */
export async function streamTurn(agent: ChatAgent, threadId: string, message: string, io: TurnOutput): Promise<FinalAnswer> {
  let streamed = false;
  for await (const ev of agent.stream({ threadId, message })) {
    if (ev.type === 'token') {
      streamed = true;
      io.out(ev.text);
    } else if (ev.type === 'tool_call') io.err(`  → ${ev.name} ${JSON.stringify(ev.args).slice(0, 160)}\n`);
    else if (ev.type === 'tool_result') io.err(`  ${ev.ok ? '✓' : '✗'} ${ev.name}: ${ev.summary}\n`);
    else if (ev.type === 'notice') io.err(`  note: ${ev.message}\n`);
    else if (ev.type === 'error') throw new Error(`${ev.code}: ${ev.message}`);
    else if (ev.type === 'final') {
      const compact = renderCompact(ev.answer, undefined, { includeModelText: !streamed });
      const rendered = renderForTerminal(compact, { color: !!io.color, ...(io.width ? { width: io.width } : {}) });
      io.out(`${streamed ? '\n\n' : ''}${rendered}\n`);
      io.err(`  thread ${threadId} (continue with --thread ${threadId})\n`);
      return ev.answer;
    }
  }
  throw new Error('the agent ended the turn without a final answer');
}

/** Checks CLI input before any work: a thread id of the API's form, a question within the message limit. */
export function checkCliInput(question: string | undefined, thread: string | undefined): void {
  if (thread !== undefined && !THREAD_ID_PATTERN.test(thread)) throw new Error(`--thread ${JSON.stringify(thread.slice(0, 80))}: 1–128 letters, digits and _ . : - only`);
  if (question !== undefined && question.length > MAX_MESSAGE_CHARS) throw new Error(`the question has ${question.length} characters; the limit is ${MAX_MESSAGE_CHARS}`);
}

/** `kedrec ask`: one question; `--json` prints the structured answer only. */
export async function runAsk(agent: ChatAgent, question: string, opts: { json?: boolean; thread?: string }, io: TurnOutput): Promise<FinalAnswer> {
  checkCliInput(question, opts.thread);
  const threadId = opts.thread ?? `cli-${crypto.randomUUID()}`;
  if (opts.json) {
    const answer = await agent.invoke({ threadId, message: question });
    io.out(`${JSON.stringify(answer, null, 2)}\n`);
    return answer;
  }
  return streamTurn(agent, threadId, question, io);
}

/** Opens the agent for the CLI commands or fails with the reason there is none. */
export async function withCliAgent<T>(fn: (agent: ChatAgent, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { openServeContext } = await import('./serve-helpers.js');
  const ctx = await openServeContext(config, { withAgent: true, log: createLogger(config.LOG_LEVEL) });
  try {
    if (!ctx.agent) throw new Error(`no chat agent: ${ctx.agentUnavailableReason}`);
    return await fn(ctx.agent, config);
  } finally {
    await ctx.close();
  }
}

export function registerAskCommand(program: Command): void {
  program
    .command('ask')
    .description('ask one question about a case and print the answer (streams; --json prints the structured answer)')
    .argument('<question...>', 'the question, e.g. "type 2 diabetes, takes warfarin: what to start?"')
    .option('--json', 'print the final structured answer as JSON on stdout')
    .option('--thread <id>', 'continue this conversation')
    .action(async (words: string[], opts: { json?: boolean; thread?: string }) => {
      checkCliInput(words.join(' '), opts.thread);
      await withCliAgent((agent, config) => runAsk(agent, words.join(' '), opts, processOutput(config)));
    });
}
