import { describe, expect, it } from 'vitest';
import type { FinalAnswer } from '../../agent/types.js';
import { renderAnswerMarkdown } from '../../server/render.js';

/** Text surfaces (Slack, OpenAI-compatible clients, the CLI) show every exclusion and what changed, once. */
const answer = (text: string): FinalAnswer => ({
  threadId: 't', mode: 'evidence-only',
  case: { conditions: ['hypertension (DOID:10763)'], currentMedications: [], allergies: [], pregnant: true, pregnancyWeeks: 20 },
  recommendations: [{ rank: 1, drug: { id: 'DB00598', name: 'Labetalol' }, rationale: 'Labetalol treats hypertension.', evidence: [], warnings: [] }],
  excluded: [{ drug: { id: 'DB00678', name: 'Losartan' }, severity: 'avoid_unless', reason: 'Losartan — pregnant, 20 weeks: fetal toxicity.', rule: 'preg-arb-fetotoxicity', citation: { source: 'FDA label: Cozaar (losartan), Boxed Warning', url: 'https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x' }, overridable: true }],
  changes: ['New in the case: pregnant, 20 weeks.'],
  text, warnings: [], removedCitations: [], notices: [], disclaimer: 'Supports, does not replace, clinical judgement.',
});

describe('markdown rendering of safety results', () => {
  it('lists each exclusion with severity, reason and linked citation, and the changes', () => {
    const md = renderAnswerMarkdown(answer('Labetalol first.'));
    expect(md).toContain('**Left out for this patient**');
    expect(md).toContain('- **Losartan** — Avoid unless no alternative (can be overridden): Losartan — pregnant, 20 weeks: fetal toxicity. — [FDA label: Cozaar (losartan), Boxed Warning](https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x)');
    expect(md).toContain('**What changed since the last answer**\n- New in the case: pregnant, 20 weeks.');
  });

  it('does not repeat an exclusion or a change the answer text already lists', () => {
    const md = renderAnswerMarkdown(answer('Left out for this patient:\n- Losartan (DB00678) — Avoid unless no alternative: fetal toxicity.\n\nWhat changed since the last answer:\n- New in the case: pregnant, 20 weeks.'));
    expect(md.split('Losartan (DB00678) —').length - 1).toBe(1);
    expect(md).not.toContain('**Left out for this patient**');
    expect(md.split('New in the case').length - 1).toBe(1);
  });
});
