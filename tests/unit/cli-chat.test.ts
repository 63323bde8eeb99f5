import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../bin/cli.js';
import { runAsk } from '../../bin/commands/ask.js';
import { runChat } from '../../bin/commands/chat.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
};

describe('CLI chat and ask', () => {
  it('ask --json prints only the structured answer on stdout', async () => {
    const c = capture();
    await runAsk(scriptedAgent(), 'type 2 diabetes, takes warfarin', { json: true }, c.io);
    const answer = JSON.parse(c.out.join(''));
    expect(answer.recommendations[0].drug.id).toBe('DB00331');
    expect(answer.warnings[0].kind).toBe('interaction');
  });

  it('ask streams tokens to stdout and tool steps to stderr', async () => {
    const c = capture();
    await runAsk(scriptedAgent(), 'type 2 diabetes', {}, c.io);
    expect(c.out.join('')).toContain('metformin is the first choice');
    expect(c.out.join('')).toMatch(/1\. Metformin — /);
    expect(c.err.join('')).toContain('find_drugs_for_condition');
  });

  it('chat keeps one thread across turns, reports a failed turn and goes on', async () => {
    const c = capture();
    const input = Readable.from(['type 2 diabetes\n', 'FAIL now\n', 'she takes warfarin\n', '/exit\n']);
    await runChat(scriptedAgent({ failOn: 'FAIL' }), input, c.io);
    expect(c.err.join('')).toContain('error: scripted_failure');
    expect(c.out.join('')).toContain('Warfarin + Metformin');
    expect(c.out.join('')).toContain('type 2 diabetes mellitus with current medications warfarin');
  });

  it('every command has --help', () => {
    const program = buildProgram();
    for (const name of ['start', 'mcp', 'chat', 'ask']) {
      const cmd = program.commands.find((x) => x.name() === name);
      expect(cmd, name).toBeDefined();
      expect(cmd!.helpInformation()).toContain('--help');
    }
  });
});
