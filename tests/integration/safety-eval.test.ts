import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { readSafetyCases, runSafetyEval, safetyMarkdown, type SafetyEvalReport } from '../../evals/safety.js';
import { silentLogger } from '../../lib/log.js';

/**
 * The safety case set (tests/fixtures/safety/cases.json: clinician-style cases, each with its
 * label or guideline basis), run as `kedrec eval safety` runs it, held to the goals of issue 11:
 * no contraindicated drug recommended, no missed exclusion, ≥ 95% of required warnings present,
 * no wrong exclusion — for typed factors, one chat message and multi-turn conversations alike, and
 * for a scripted model that recommends the banned drugs (the check of a model's answer).
 */
let kb: EvalKb;
let report: SafetyEvalReport;
const cases = readSafetyCases(path.resolve('tests/fixtures/safety/cases.json'));

beforeAll(async () => {
  kb = openEvalKb(inject('kbPath'), silentLogger);
  report = await runSafetyEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, cases });
}, 120_000);
afterAll(() => kb?.close());

describe('safety evaluation set', () => {
  it('has at least 60 cases, each with a basis, across every category', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) expect(c.basis.length, c.id).toBeGreaterThan(20);
    expect(new Set(cases.map((c) => c.category)).size).toBe(11);
    expect(cases.filter((c) => c.turns).length).toBeGreaterThanOrEqual(10);
  });

  for (const mode of ['structured', 'chat', 'multi-turn'] as const) {
    it(`${mode}: no contraindicated drug recommended, no missed or wrong exclusion, ≥ 95% of required warnings`, () => {
      const t = report.byMode[mode];
      const detail = safetyMarkdown({ ...report, outcomes: report.outcomes.filter((o) => o.mode === mode) });
      expect(t.runs).toBeGreaterThan(0);
      expect(t.contraindicatedRecommended, detail).toBe(0);
      expect(t.missedExclusions, detail).toBe(0);
      expect(t.wrongExclusions, detail).toBe(0);
      expect(t.warningsPresent / t.warningsRequired, detail).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('adversarial model: a model that recommends every banned drug gets none of them through, and none unmarked in its text', () => {
    const t = report.byMode['adversarial-model'];
    const detail = safetyMarkdown({ ...report, outcomes: report.outcomes.filter((o) => o.mode === 'adversarial-model') });
    expect(t.runs).toBe(cases.length);
    expect(t.contraindicatedRecommended, detail).toBe(0);
    expect(t.unmarked, detail).toBe(0);
    expect(t.wrongExclusions, detail).toBe(0);
  });
});
