import { describe, expect, it } from 'vitest';
import type { ChatAgent, ChatEvent, FinalAnswer } from '../../agent/types.js';
import { runAsk } from '../../bin/commands/ask.js';
import { renderAnswerMarkdown } from '../../server/render.js';

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

describe('kedrec ask prints each rationale once', () => {
  it('evidence-only: the answer text carries the rationale, the card keeps drug, evidence links and warnings', async () => {
    const a = answer('evidence-only', `Evidence-only answer.\n\n1. Metformin (DB00331): ${RATIONALE}`);
    const c = capture();
    await runAsk(replay([{ type: 'final', answer: a }]), 'type 2 diabetes', {}, c.io);
    const printed = c.out.join('');
    expect(count(printed, RATIONALE)).toBe(1);
    expect(printed).toContain('1. **Metformin** (DB00331)\n');
    expect(printed).toContain('[NCT00000620](https://clinicaltrials.gov/study/NCT00000620)');
    expect(printed).toContain('Common side effects of Metformin');
  });

  it('model mode: a rationale streamed as a line of the answer is not repeated in the card', async () => {
    const text = `Start metformin.\n1. Metformin (DB00331): ${RATIONALE}`;
    const c = capture();
    await runAsk(replay([{ type: 'token', text: text.slice(0, 20) }, { type: 'token', text: text.slice(20) }, { type: 'final', answer: answer('model', text) }]), 'q', {}, c.io);
    expect(count(c.out.join(''), RATIONALE)).toBe(1);
  });

  it('a rationale the text does not hold stays in the card', async () => {
    const c = capture();
    await runAsk(replay([{ type: 'final', answer: answer('model', 'Metformin first.') }]), 'q', {}, c.io);
    expect(c.out.join('')).toContain(`1. **Metformin** (DB00331) — ${RATIONALE}`);
  });

  it('every text surface (Slack, OpenAI-compatible, CLI) shows each rationale once by default; a caller can ask for full cards', () => {
    const md = renderAnswerMarkdown(answer('evidence-only', `1. Metformin (DB00331): ${RATIONALE}`));
    expect(count(md, RATIONALE)).toBe(1);
    expect(count(renderAnswerMarkdown(answer('evidence-only', `1. Metformin (DB00331): ${RATIONALE}`), { skipRationaleInText: false }), RATIONALE)).toBe(2);
    // A rationale the text does not hold stays on its card.
    expect(count(renderAnswerMarkdown(answer('evidence-only', 'See the cards.')), RATIONALE)).toBe(1);
  });
});

describe('kedrec ask shows what the safety engine left out', () => {
  it('prints each exclusion with its severity, reason and citation, once', async () => {
    const a = { ...answer('model', 'Labetalol first.'), excluded: [{ drug: { id: 'DB00678', name: 'Losartan' }, severity: 'contraindicated' as const, reason: 'Losartan — pregnant, 20 weeks: fetal toxicity.', rule: 'preg-raas', citation: { source: 'FDA label: Cozaar (losartan), Boxed Warning', url: 'https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x' }, overridable: false }] };
    const c = capture();
    await runAsk(replay([{ type: 'final', answer: a }]), 'hypertension, 20 weeks pregnant', {}, c.io);
    const printed = c.out.join('');
    expect(count(printed, '**Losartan** — Contraindicated: Losartan — pregnant, 20 weeks: fetal toxicity.')).toBe(1);
    expect(printed).toContain('(https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x)');
  });
});
