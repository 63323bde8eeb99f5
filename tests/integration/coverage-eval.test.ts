import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { COVERAGE_CATEGORIES, COVERAGE_TOOLS, coverageMarkdown, rate, readCoverageItems, runCoverageEval, type CoverageReport, type CoverageTool } from '../../evals/coverage.js';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { silentLogger } from '../../lib/log.js';

/**
 * Floors for the indication-coverage set (tests/fixtures/coverage/conditions.json), run as
 * `kedrec eval coverage` runs it. Issue 12's goal is every condition covered by both tools
 * (rates near 1.0, agreement 1.0, no wrong disease); these floors are what the knowledge base
 * achieved when the set was written, less a small margin, so that the set guards against
 * regressions while the indication import is being built. Raise them as the KB grows.
 *
 * Rates are fractions of all items: `enough` = ≥ min_drugs indicated drugs, `firstLine` = a
 * guideline first-line drug among the top 10 (as an indication), `covered` = both, on the disease
 * the item accepts. `maxWrongDisease` caps phrases resolved to a disease the clinician did not mean.
 *
 * Measured on 2026-12-01 on a KB built from the working tree with the tiered indication sources
 * (131 items; before them, about 27% were covered):
 *   find_drugs_for_condition: enough 87, first-line 92, covered 87, wrong disease 4
 *   recommend_drugs:          enough 88, first-line 93, covered 88, wrong disease 4
 *   both tools agree on the disease: 99 / 131
 */
const COVERAGE_GOALS: Record<CoverageTool, { enough: number; firstLine: number; covered: number; maxWrongDisease: number }> & { agreement: number } = {
  // Measured 90.1% covered, 95.4% first-line in the top 10, 0 wrong diseases, 98.5% agreement (2026-12-01);
  // the misses are data limits (no anaphylaxis or opioid-overdose record, H. pylori only in phase 3, rare
  // diseases with fewer than three approved drugs). Raise these as the data grows; never lower them silently.
  find_drugs_for_condition: { enough: 0.88, firstLine: 0.92, covered: 0.87, maxWrongDisease: 1 },
  recommend_drugs: { enough: 0.88, firstLine: 0.92, covered: 0.87, maxWrongDisease: 1 },
  agreement: 0.95,
};

const CASES = path.resolve('tests/fixtures/coverage/conditions.json');
const items = readCoverageItems(CASES);
let kb: EvalKb;
let report: CoverageReport;

beforeAll(async () => {
  kb = openEvalKb(inject('kbPath'), silentLogger);
  report = await runCoverageEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, items });
}, 120_000);
afterAll(() => kb?.close());

describe('coverage set (fixture)', () => {
  it('has at least 90 conditions, at least 8 in every category, each with a dated basis, first-line drugs and a bar of 3 drugs', () => {
    expect(items.length).toBeGreaterThanOrEqual(90);
    for (const cat of COVERAGE_CATEGORIES) expect(items.filter((i) => i.category === cat).length, cat).toBeGreaterThanOrEqual(8);
    for (const i of items) {
      expect(i.basis.length, i.id).toBeGreaterThan(20);
      expect(i.basis, `${i.id}: the basis names its year`).toMatch(/\b(19|20)\d\d\b/);
      expect(i.expected.length, i.id).toBeGreaterThan(0);
      expect(i.min_drugs, i.id).toBeGreaterThanOrEqual(2);
    }
    // Three indicated drugs is the bar; only a rare disease with fewer approved drugs may ask for less.
    const lower = items.filter((i) => i.min_drugs < 3);
    expect(lower.every((i) => i.category === 'rare'), lower.map((i) => i.id).join(', ')).toBe(true);
    expect(lower.length).toBeLessThanOrEqual(3);
  });

  it('phrases are as clinicians write them: abbreviations, lay terms and parent terms are all represented', () => {
    const phrases = new Set(items.map((i) => i.phrase));
    for (const p of ['CAP', 'UTI', 'AF', 'HFrEF', 'GERD', 'HIV', 'DVT', 'PBC', 'high cholesterol', 'strep throat', 'diabetes', 'heart failure', 'pneumonia']) expect(phrases.has(p), p).toBe(true);
  });
});

describe('coverage evaluation on the built KB', () => {
  it('reports every item through both tools, per tool and per category', () => {
    expect(report.items).toBe(items.length);
    expect(report.top).toBe(10);
    expect(report.outcomes.map((o) => o.id)).toEqual(items.map((i) => i.id));
    for (const tool of COVERAGE_TOOLS) {
      const t = report.byTool[tool];
      expect(t.items).toBe(items.length);
      expect(t.covered).toBeLessThanOrEqual(Math.min(t.enough, t.firstLine));
      expect(t.resolved + t.errors).toBeGreaterThanOrEqual(items.length);
      expect(COVERAGE_CATEGORIES.reduce((n, c) => n + report.byCategory[c][tool].items, 0)).toBe(items.length);
    }
    for (const o of report.outcomes) {
      for (const tool of COVERAGE_TOOLS) {
        const t = o.tools[tool];
        // Every outcome says either what the phrase resolved to or why the tool refused it.
        expect(!!t.resolved || !!t.error, `${o.id} ${tool}`).toBe(true);
        if (t.covered) expect(t.firstLine && t.enough && !t.wrongDisease, `${o.id} ${tool}`).toBeTruthy();
      }
      if (o.agree) expect(o.tools.find_drugs_for_condition.resolved?.id).toBe(o.tools.recommend_drugs.resolved?.id);
    }
    // The report is plain data: what --json and --out write.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('an unknown condition is a miss with its message, never a crash; no tool fails with an internal error', () => {
    for (const tool of COVERAGE_TOOLS) expect(report.byTool[tool].internalErrors, coverageMarkdown(report)).toBe(0);
    for (const o of report.outcomes) for (const tool of COVERAGE_TOOLS) if (o.tools[tool].error) expect(o.tools[tool].covered).toBe(false);
  });

  it('the Markdown report has totals, categories and each failure with what the tool returned', () => {
    const md = coverageMarkdown(report);
    expect(md).toMatch(/^# Indication coverage \(\d+ conditions/);
    for (const tool of COVERAGE_TOOLS) expect(md).toContain(`| ${tool} |`);
    for (const cat of COVERAGE_CATEGORIES) expect(md).toContain(`| ${cat} |`);
    const failed = report.outcomes.filter((o) => !o.agree || COVERAGE_TOOLS.some((t) => !o.tools[t].covered));
    for (const o of failed) expect(md).toContain(`**${o.id}**`);
  });

  for (const tool of COVERAGE_TOOLS) {
    it(`${tool}: hit rates at or above COVERAGE_GOALS`, () => {
      const t = report.byTool[tool];
      const g = COVERAGE_GOALS[tool];
      const detail = coverageMarkdown(report);
      expect(rate(t.enough, t.items), `≥ min indicated drugs\n${detail}`).toBeGreaterThanOrEqual(g.enough);
      expect(rate(t.firstLine, t.items), `first-line in top 10\n${detail}`).toBeGreaterThanOrEqual(g.firstLine);
      expect(rate(t.covered, t.items), `covered\n${detail}`).toBeGreaterThanOrEqual(g.covered);
      expect(t.wrongDisease, `wrong disease\n${detail}`).toBeLessThanOrEqual(g.maxWrongDisease);
    });
  }

  it('both tools resolve the phrase to the same disease at or above COVERAGE_GOALS.agreement', () => {
    expect(rate(report.agreement.agreed, report.agreement.items), coverageMarkdown(report)).toBeGreaterThanOrEqual(COVERAGE_GOALS.agreement);
  });
});

describe('kedrec eval coverage', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'coverage', ...args], {
      env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') },
      timeout: 60_000,
    });

  it('--only and --json: the selected items, as one JSON object', async () => {
    const { stdout } = await run(['--only', 'type-2-diabetes,cap', '--json']);
    const r = JSON.parse(stdout) as CoverageReport & { seconds: number };
    expect(r.items).toBe(2);
    expect(r.outcomes.map((o) => o.id)).toEqual(['type-2-diabetes', 'cap']);
    expect(Object.keys(r.byTool).sort()).toEqual([...COVERAGE_TOOLS].sort());
    expect(r.seconds).toBeGreaterThan(0);
  }, 60_000);

  it('fails loudly on an unknown item id', async () => {
    await expect(run(['--only', 'no-such-item'])).rejects.toThrow(/unknown item id\(s\) no-such-item/);
  }, 60_000);
});
