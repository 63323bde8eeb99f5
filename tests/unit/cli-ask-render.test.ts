import { describe, expect, it } from 'vitest';
import type { ChatAgent, ChatEvent, FinalAnswer } from '../../agent/types.js';
import { runAsk } from '../../bin/commands/ask.js';
import { renderForTerminal, wantsColor } from '../../bin/terminal.js';

const RATIONALE = 'Metformin is a recorded treatment for type 2 diabetes mellitus [DB00331-CtD-DOID:9352]. Trials: 547 trials, e.g. [NCT00000620].';

function answer(mode: FinalAnswer['mode'], text: string): FinalAnswer {
  return {
    threadId: 't', mode,
    case: { conditions: ['type 2 diabetes mellitus (DOID:9352)'], currentMedications: [], allergies: [] },
    recommendations: [{
      rank: 1, drug: { id: 'DB00331', name: 'Metformin' }, score: 1.93, rationale: RATIONALE,
      evidence: [{ type: 'trial', id: 'NCT00000620', snippet: 'ACCORD', source: 'ClinicalTrials.gov', license: 'public domain' }],
      warnings: [{ kind: 'side_effect', message: 'Common side effects of Metformin (SIDER): Nausea.' }],
    }],
    excluded: [], changes: [], text, warnings: [], removedCitations: [], notices: [], disclaimer: 'Supports, does not replace, clinical judgement.',
  };
}

/** A ChatAgent that replays fixed events: our own boundary (agent/types.ts), no framework faked. */
function replay(events: ChatEvent[]): ChatAgent {
  const final = events.find((e) => e.type === 'final') as Extract<ChatEvent, { type: 'final' }>;
  return {
    async *stream() { yield* events; },
    invoke: async () => final.answer,
    getThread: async () => null,
    deleteThread: async () => false,
    modelStatus: async () => ({ mode: final.answer.mode, provider: 'test' }),
  };
}

const capture = () => {
  const out: string[] = [];
  return { out, io: { out: (s: string) => void out.push(s), err: () => {} } };
};
const count = (s: string, sub: string) => s.split(sub).length - 1;

describe('kedrec ask prints the compact answer, rendered for a terminal', () => {
  it('evidence-only: each drug once with its reason and readable sources; no Markdown syntax, no colour when piped', async () => {
    const a = answer('evidence-only', `Evidence-only answer.\n\n1. Metformin (DB00331): ${RATIONALE}`);
    const c = capture();
    await runAsk(replay([{ type: 'final', answer: a }]), 'type 2 diabetes', {}, c.io);
    const printed = c.out.join('');
    expect(count(printed, 'Metformin is a recorded treatment for type 2 diabetes mellitus')).toBe(1);
    expect(printed).toMatch(/1\. Metformin — Metformin is a recorded treatment/);
    expect(printed).toContain('NCT00000620 (https://clinicaltrials.gov/study/NCT00000620)');
    expect(count(printed, 'Evidence-only answer')).toBe(1);
    // eslint-disable-next-line no-control-regex -- ESC [ starts an ANSI colour code: piped output must have none
    expect(printed).not.toMatch(/\*\*|\]\(|\x1b\[/);
    // Frequent minor effects are not flags; the structured answer (--json) keeps them.
    expect(printed).not.toContain('Common side effects');
  });

  it('model mode: the streamed text is not printed again', async () => {
    const text = `Start metformin.\n1. Metformin (DB00331): ${RATIONALE}`;
    const c = capture();
    await runAsk(replay([{ type: 'token', text: text.slice(0, 20) }, { type: 'token', text: text.slice(20) }, { type: 'final', answer: answer('model', text) }]), 'q', {}, c.io);
    expect(count(c.out.join(''), RATIONALE)).toBe(1);
  });

  it('colour on a TTY; the thread id on stderr, to continue with --thread', async () => {
    const out: string[] = [];
    const err: string[] = [];
    await runAsk(
      replay([{ type: 'final', answer: answer('model', 'Metformin first.') }]),
      'q',
      { thread: 'cli-abc' },
      { out: (s) => void out.push(s), err: (s) => void err.push(s), color: true },
    );
    // eslint-disable-next-line no-control-regex -- ESC [ starts an ANSI colour code: a TTY gets colour
    expect(out.join('')).toMatch(/\x1b\[/);
    expect(err.join('')).toContain('thread cli-abc (continue with --thread cli-abc)');
  });

  it('NO_COLOR and non-TTY streams get no colour', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(renderForTerminal('**bold** [x](https://e.org)', { color: false })).toBe('bold x (https://e.org)');
  });
});

describe('kedrec ask shows what the safety engine left out', () => {
  it('prints each exclusion with its severity, reason and citation, once', async () => {
    const a = {
      ...answer('model', 'Labetalol first.'),
      excluded: [
        {
          drug: { id: 'DB00678', name: 'Losartan' },
          severity: 'contraindicated' as const,
          reason: 'Losartan — pregnant, 20 weeks: fetal toxicity.',
          rule: 'preg-raas',
          citation: { source: 'FDA label: Cozaar (losartan), Boxed Warning', url: 'https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x' },
          overridable: false,
        },
      ],
    };
    const c = capture();
    await runAsk(replay([{ type: 'final', answer: a }]), 'hypertension, 20 weeks pregnant', {}, c.io);
    const printed = c.out.join('');
    expect(count(printed, 'Losartan — contraindicated: pregnant, 20 weeks: fetal toxicity.')).toBe(1);
    expect(printed).toContain('FDA label (https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x)');
  });
});
