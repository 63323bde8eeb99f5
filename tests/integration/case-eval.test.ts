import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CASE_CATEGORIES, CASE_FIELDS, caseMarkdown, readCaseItems, runCaseEval, type CaseEvalReport } from '../../evals/case-reading.js';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { silentLogger } from '../../lib/log.js';

/**
 * Floors for the case-reading set (tests/fixtures/cases/phrasings.json), run as `kedrec eval case`
 * runs it: issue 13's goals — ≥ 0.95 precision and ≥ 0.9 recall for conditions, medications and
 * allergies, no negated finding taken as present, no number taken as an ICD code.
 *
 * Measured on 2026-12-01 (403 items, 32 multi-turn scripts; the 14 "held-*" items were written
 * after the reader was tuned, as a check that it generalises):
 *   conditions P 0.986 R 0.990 · medications P 1.000 R 1.000 · allergies P 1.000 R 1.000
 *   negated findings taken as present 0 · numbers taken as ICD codes 0
 *   factors exact 0.983 · multi-turn scripts whose answer moved as expected 32 / 32
 * (before the context reader, the same set read conditions at P 0.744 and took 59 negated findings as present.)
 */
const CASE_GOALS = {
  conditions: { precision: 0.95, recall: 0.9 },
  medications: { precision: 0.95, recall: 0.9 },
  allergies: { precision: 0.95, recall: 0.9 },
  factors: 0.95,
  maxNegatedAsPresent: 0,
  maxNumbersAsIcd: 0,
  multiTurnPassRate: 0.9,
} as const;

/** The examples of issue 13's "What was measured" (and the follow-ups it names), each an item of the set, verbatim. */
const ISSUE_EXAMPLES: Record<string, string[]> = {
  'issue-no-hepatitis-b': ['no hepatitis B'],
  'issue-hiv-no-hepatitis-b': ['no hepatitis B'],
  'issue-no-penicillin-allergy': ['no penicillin allergy'],
  'issue-no-asthma': ['no asthma'],
  'issue-migraine-prevention-no-asthma': ['no asthma'],
  'issue-non-pregnant-woman': ['28-year-old non-pregnant woman'],
  'issue-bp-150-100': ['BP 150/100'],
  'issue-hba1c-glucose': ['HbA1c 9/10, glucose 250'],
  'issue-t2d-on-warfarin': ['type 2 diabetes, on warfarin'],
  'issue-meds-warfarin-lisinopril': ['Meds: warfarin, lisinopril'],
  'issue-diabetic-on-warfarin-metformin': ['diabetic patient on warfarin and metformin'],
  'issue-seizure-free-valproate': ['seizure-free on sodium valproate'],
  'issue-t2dm-on-warfarin': ['T2DM on warfarin'],
  'issue-htn-on-lisinopril': ['HTN on lisinopril'],
  'issue-afib-76yo-coumadin': ['afib, 76yo, on Coumadin'],
  'issue-htn-ckd-3b': ['HTN + CKD 3b'],
  'issue-gord': ['GORD'],
  'issue-cap': ['CAP'],
  'issue-t2dm-glucophage-1g-bd': ['T2DM, on Glucophage 1 g bd'],
  'issue-ckd4-egfr22': ['chronic kidney disease stage 4 with eGFR 22'],
  'issue-nvaf-crcl-70': ['non-valvular atrial fibrillation, CHA2DS2-VASc 4,', 'creatinine clearance 70 mL/min'],
  'issue-mechanical-mitral-valve': ['mechanical mitral valve replacement'],
  'issue-sulfonamides-allergy': ['sulfonamides'],
  'issue-acute-migraine-attack': ['an acute migraine attack'],
  'issue-gout-flare': ['a gout flare'],
  'issue-urate-lowering-therapy': ['urate-lowering therapy'],
  'mt-htn-12-weeks-pregnant': ['she is 12 weeks pregnant'],
  'mt-egfr-now-25': ['eGFR is now 25'],
  'mt-mechanical-valve': ['mechanical mitral valve'],
  'mt-sulfonamide-allergy': ['sulfonamide allergy'],
  'mt-methyldopa-instead': ['what about methyldopa instead?'],
  'mt-not-pregnant-any-more': ['she is not pregnant any more'],
  'mt-stopped-warfarin': ['stopped warfarin'],
  'mt-actually-egfr-45': ['actually eGFR is 45'],
  'fh-mother-breast-cancer': ['mother had breast cancer'],
  'hist-history-of-dvt': ['history of DVT'],
  'num-k-5-9': ['K+ 5.9'],
  'dose-metformin-1g-bd': ['metformin 1 g bd'],
  'all-penicillin-anaphylaxis': ['penicillin (anaphylaxis)'],
};

const CASES = path.resolve('tests/fixtures/cases/phrasings.json');
const items = readCaseItems(CASES);
let kb: EvalKb;
let report: CaseEvalReport;

beforeAll(async () => {
  kb = openEvalKb(inject('kbPath'), silentLogger);
  report = await runCaseEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, items });
}, 180_000);
afterAll(() => kb?.close());

describe('case-reading set (fixture)', () => {
  it('has at least 260 phrasings and 25 multi-turn scripts, at least 5 in every category', () => {
    expect(items.length).toBeGreaterThanOrEqual(260);
    expect(items.filter((i) => i.turns).length).toBeGreaterThanOrEqual(25);
    for (const cat of CASE_CATEGORIES) expect(items.filter((i) => i.category === cat).length, cat).toBeGreaterThanOrEqual(5);
  });

  it('every example of issue 13 is an item, verbatim', () => {
    for (const [id, quotes] of Object.entries(ISSUE_EXAMPLES)) {
      const item = items.find((i) => i.id === id);
      expect(item, id).toBeDefined();
      const text = [item!.text ?? '', ...(item!.turns ?? [])].join('\n');
      for (const q of quotes) expect(text, id).toContain(q);
    }
  });

  it('negation and family-history items name what must not be read (an item expecting nothing says nothing may be read)', () => {
    const absentOrUnstated = (i: (typeof items)[number]) =>
      Object.values(i.expect.absent ?? {}).flat().length + Object.values(i.expect.factors ?? {}).filter((v) => v === null || v === false).length;
    for (const i of items.filter((x) => x.category === 'family-history' || x.category === 'negation')) {
      // "NKDA", "Allergies: none": nothing may be read, which an empty expectation already says.
      if (!/\b(?:nkda|no known|none|denies drug)\b/i.test(i.text ?? '')) expect(absentOrUnstated(i), i.id).toBeGreaterThan(0);
    }
  });
});

describe('kedrec eval case', () => {
  it('reports precision and recall per field, factors, the two safety counts and the multi-turn pass rate', () => {
    expect(report.items).toBe(items.length);
    expect(report.outcomes).toHaveLength(items.length);
    expect(report.multiTurn.scripts).toBe(items.filter((i) => i.turns).length);
    for (const f of CASE_FIELDS) {
      const s = report.fields[f];
      expect(s.expected, f).toBeGreaterThan(0);
      expect(s.found).toBeLessThanOrEqual(s.expected);
      expect(s.correct).toBeLessThanOrEqual(s.read);
      expect(s.recall).toBeCloseTo(s.found / s.expected, 10);
    }
    expect(Object.keys(report.byCategory).sort()).toEqual([...CASE_CATEGORIES].sort());
    expect(report.factorsOverall.checked).toBeGreaterThan(100);
    expect(report.allergyReaction.checked).toBeGreaterThan(10);
    // Every failure names the item, the field, what a clinician means and what was read.
    for (const f of report.failures) {
      expect(items.some((i) => i.id === f.item), f.item).toBe(true);
      expect(f.field && f.expected && f.read, JSON.stringify(f)).toBeTruthy();
    }
    expect(report.failures.length).toBe(report.outcomes.reduce((n, o) => n + o.failures.length, 0));
    // Each script carries its checks and the top 3 per turn.
    for (const o of report.outcomes.filter((x) => x.answer)) {
      const item = items.find((i) => i.id === o.id)!;
      expect(o.answer!.top3, o.id).toHaveLength(item.turns!.length);
      expect(o.answer!.checks.length, o.id).toBeGreaterThan(0);
    }
    const md = caseMarkdown(report);
    for (const part of ['| conditions |', '| medications |', '| allergies |', 'negated findings taken as present', 'numbers taken as ICD codes', 'multi-turn scripts whose answer changes as expected', '| category |', '## Multi-turn scripts']) expect(md).toContain(part);
    if (report.failures.length) expect(md).toContain(`## Failures (${report.failures.length})`);
    // An identifier the KB does not know is a miss; one given with a name beside it still resolves by the name.
    const idOnly = items
      .flatMap((i) => [
        ...i.expect.conditions,
        ...i.expect.medications,
        ...i.expect.allergies.map((a) => (typeof a === 'object' && !Array.isArray(a) ? a.substance : a)),
      ])
      .map((r) => (Array.isArray(r) ? r : [r]))
      .filter((alts) => alts.every((a) => /^[A-Z]+[:\d]/.test(a)));
    const unresolvable = idOnly.filter((alts) => alts.every((a) => report.unknownReferences.includes(a)));
    expect(unresolvable, 'expected entities given only by identifiers the KB does not know').toEqual([]);
  });

  it('reads every example of issue 13 (and its follow-ups) exactly as expected', () => {
    const failed = report.failures.filter((f) => f.item in ISSUE_EXAMPLES);
    expect(failed.map((f) => `${f.item}: ${f.kind} ${f.field}: expected ${f.expected}, read ${f.read}`)).toEqual([]);
  });

  it('holds the floors in CASE_GOALS (raise them as the reader improves)', () => {
    const detail = caseMarkdown({ ...report, outcomes: report.outcomes.filter((o) => o.failures.length), failures: report.failures.slice(0, 200) });
    for (const f of CASE_FIELDS) {
      expect(report.fields[f].precision!, `${f} precision\n${detail}`).toBeGreaterThanOrEqual(CASE_GOALS[f].precision);
      expect(report.fields[f].recall!, `${f} recall\n${detail}`).toBeGreaterThanOrEqual(CASE_GOALS[f].recall);
    }
    expect(report.factorsOverall.accuracy!, 'factors').toBeGreaterThanOrEqual(CASE_GOALS.factors);
    expect(report.negatedAsPresent, `negated findings taken as present\n${detail}`).toBeLessThanOrEqual(CASE_GOALS.maxNegatedAsPresent);
    expect(report.numbersAsIcd, `numbers taken as ICD codes\n${detail}`).toBeLessThanOrEqual(CASE_GOALS.maxNumbersAsIcd);
    expect(report.multiTurn.rate!, `multi-turn pass rate\n${detail}`).toBeGreaterThanOrEqual(CASE_GOALS.multiTurnPassRate);
  });
});
