import { describe, expect, it } from 'vitest';
import { compactAnswer, renderCompact, sourceLabel } from '../../clinical/compact-answer.js';
import type { FinalAnswer } from '../../agent/types.js';
import { answerBlocks, answerFallbackText } from '../../server/slack-blocks.js';

/** One compact answer for Slack, OpenAI-compatible clients and the CLI: each thing once, nothing hidden. */
const answer = (over: Partial<FinalAnswer> = {}): FinalAnswer => ({
  threadId: 't',
  mode: 'evidence-only',
  case: { conditions: ['hypertension (DOID:10763)'], currentMedications: ['Warfarin (DB00682)'], allergies: [], age: 67, sex: 'female', renal: 'eGFR 40' },
  recommendations: ['Labetalol', 'Nifedipine'].map((name, i) => ({
    rank: i + 1,
    drug: { id: `DB0000${i}`, name },
    summary: `First-line for hypertension (2017 ACC/AHA guideline); ${10 - i} trials`,
    rationale: `First-line for hypertension (2017 ACC/AHA guideline) [GUIDELINE:hypertension]. Indication for hypertension: physician-curated indication (PharmacotherapyDB) [DB0000${i}-CtD-DOID:10763]. For this patient: ${name} was checked against eGFR 40; age 67; current Warfarin: no rule against it. First-line drugs left out for this patient: Losartan (see "Not recommended for this patient"). Same class, also suitable: Other${i}.`,
    evidence: [
      { type: 'guideline' as const, id: 'GUIDELINE:hypertension', url: 'https://doi.org/10.1161/HYP.0000000000000065', snippet: 'First-line for hypertension', source: '2017 ACC/AHA guideline (Hypertension 2018;71:e13): thiazides…', license: 'see source' },
      { type: 'kg_fact' as const, id: `DB0000${i}-CtD-DOID:10763`, url: 'https://go.drugbank.com/drugs/DB00001', snippet: `${name} treats hypertension: physician-curated indication (PharmacotherapyDB) (hetionet).`, source: 'hetionet', license: 'CC0' },
      { type: 'trial' as const, id: 'NCT00000001', snippet: 'A trial', source: 'ClinicalTrials.gov', license: 'public domain' },
      { type: 'trial' as const, id: 'NCT00000002', snippet: 'B trial', source: 'ClinicalTrials.gov', license: 'public domain' },
      { type: 'trial' as const, id: 'NCT00000003', snippet: 'C trial', source: 'ClinicalTrials.gov', license: 'public domain' },
      { type: 'kg_path' as const, id: 'p', url: 'https://www.ncbi.nlm.nih.gov/gene/185', snippet: `${name} blocks AGTR1, which is associated with hypertension.`, source: 'DrugBank', license: 'CC' },
    ],
    warnings:
      i === 0
        ? [
            { kind: 'side_effect', message: 'Common: dizziness.' },
            { kind: 'interaction', severity: 'caution', message: 'Labetalol + Warfarin: watch INR.' },
            { kind: 'serious_effect', severity: 'monitor', message: 'Boxed warning — Labetalol: hepatic injury.' },
          ]
        : [],
  })),
  excluded: [
    { drug: { id: 'DB00678', name: 'Losartan' }, severity: 'contraindicated', reason: 'Losartan — pregnant, 20 weeks: fetal toxicity.', rule: 'preg-raas', citation: { source: 'FDA label: Cozaar (losartan), Boxed Warning', url: 'https://dailymed.nlm.nih.gov/x' }, overridable: false },
    { drug: { id: 'DB00966', name: 'Telmisartan' }, severity: 'contraindicated', reason: 'Telmisartan — pregnant, 20 weeks: fetal toxicity.', rule: 'preg-raas', citation: { source: 'FDA label: Cozaar (losartan), Boxed Warning', url: 'https://dailymed.nlm.nih.gov/x' }, overridable: false },
    ...Array.from({ length: 9 }, (_, i) => ({ drug: { id: `X${i}`, name: `Drug${i}` }, severity: 'not_indicated' as const, reason: 'not indicated', overridable: false })),
  ],
  changes: ['New in the case: eGFR 40.'],
  text: 'Evidence-only answer … (the long assembled text)',
  warnings: [
    { kind: 'interaction', severity: 'caution', message: 'Labetalol + Warfarin: watch INR.' },
    { kind: 'allergy', severity: 'caution', message: 'The allergy "x" matched no drug.' },
  ],
  removedCitations: [],
  notices: ['n1', 'n1'],
  disclaimer: 'Supports, does not replace, clinical judgement.',
  ...over,
});
const count = (s: string, sub: string) => s.split(sub).length - 1;

describe('the compact answer', () => {
  const md = renderCompact(answer());

  it('says what every drug shares once, and each drug once with its reason', () => {
    expect(count(md, 'checked against eGFR 40; age 67; current Warfarin')).toBe(1);
    expect(count(md, 'First-line drugs left out for this patient: Losartan')).toBe(1);
    expect(md).toContain('1. **Labetalol** — First-line for hypertension (2017 ACC/AHA guideline); 10 trials');
    expect(md).toContain('   Same class, also suitable: Other0.');
    expect(md).not.toContain('(the long assembled text)');
    expect(count(md, 'Evidence-only answer')).toBe(1);
  });

  it('shows each flag once, boxed warnings first, minor side effects left to the structured answer', () => {
    const c = compactAnswer(answer());
    expect(c.drugs[0]!.flags).toEqual(['Boxed warning — Labetalol: hepatic injury.', 'Labetalol + Warfarin: watch INR.']);
    expect(count(md, 'Labetalol + Warfarin: watch INR.')).toBe(1);
    expect(md).toContain('⚠️ The allergy "x" matched no drug.');
    expect(count(md, 'Note: n1')).toBe(1);
  });

  it('names sources for people, a few per drug, linked', () => {
    expect(md).toContain(
      'Sources: [2017 ACC/AHA guideline](https://doi.org/10.1161/HYP.0000000000000065) · [indication: PharmacotherapyDB](https://go.drugbank.com/drugs/DB00001) · [NCT00000001](https://clinicaltrials.gov/study/NCT00000001) · [NCT00000002](https://clinicaltrials.gov/study/NCT00000002) · [mechanism: blocks AGTR1](https://www.ncbi.nlm.nih.gov/gene/185)',
    );
    expect(md).not.toContain('NCT00000003');
    expect(md).not.toMatch(/-CtD-|-CbG-/);
    expect(sourceLabel({ type: 'article', id: 'PMID:123', snippet: '', source: 'PubMed' })).toBe('PMID 123');
  });

  it('lists safety exclusions with their rule (one line per rule), and counts the rest', () => {
    expect(md).toContain('**Not for this patient**\n- **Losartan, Telmisartan** — contraindicated: pregnant, 20 weeks: fetal toxicity. ([FDA label](https://dailymed.nlm.nih.gov/x))');
    expect(md).toContain('9 more recorded as not indicated or recommended against for this condition: Drug0, Drug1, Drug2, Drug3, Drug4, Drug5 and 3 more.');
    expect(md).toContain('**What changed**\n- New in the case: eGFR 40.');
  });

  it("keeps a model's text, once", () => {
    const m = renderCompact(answer({ mode: 'model', text: 'Labetalol is a good start.' }));
    expect(count(m, 'Labetalol is a good start.')).toBe(1);
    expect(renderCompact(answer({ mode: 'model', text: 'Labetalol is a good start.' }), undefined, { includeModelText: false })).not.toContain('good start');
  });
});

describe('Slack blocks', () => {
  type B = { type: string; text?: { text: string }; elements?: { text: string }[] };

  it('a section per drug, flags apart, sources as context links; the fallback text in mrkdwn', () => {
    const blocks = answerBlocks(answer()) as B[];
    expect(blocks.filter((b) => b.type === 'section' && /^\*\d\. /.test(b.text!.text))).toHaveLength(2);
    expect(blocks.some((b) => b.type === 'section' && b.text!.text.startsWith(':warning: Boxed warning — Labetalol'))).toBe(true);
    expect(blocks.some((b) => b.type === 'context' && b.elements!.some((e) => e.text === '<https://clinicaltrials.gov/study/NCT00000001|NCT00000001>'))).toBe(true);
    const text = answerFallbackText(answer());
    expect(text).toContain('*Losartan, Telmisartan* — contraindicated');
    expect(text).not.toContain('**');
  });

  it('stays within 50 blocks and 3,000 characters a section, saying when it cut', () => {
    const one = answer().recommendations[0]!;
    const many = answer({ recommendations: Array.from({ length: 30 }, (_, i) => ({ ...one, rank: i + 1, summary: 'x'.repeat(5000) })) });
    const blocks = answerBlocks(many) as B[];
    expect(blocks.length).toBe(50);
    for (const b of blocks) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(blocks.at(-1))).toMatch(/longer than one Slack message/);
  });
});
