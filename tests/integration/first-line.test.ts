import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TrackedCase } from '../../agent/state.js';
import { resolveMention } from '../../clinical/case-reader.js';
import type { ClinicalDeps } from '../../clinical/deps.js';
import { resolvedFirstLine } from '../../clinical/first-line.js';
import { recommendDrugs, type RecommendResult } from '../../clinical/recommender.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openClinicalDeps } from '../fixtures/clinical-deps.js';

/**
 * Line of therapy on the real KB (clinical/guidelines/first-line.tsv): what a guideline starts
 * with ranks first, options come from different classes, and a pregnant patient gets the
 * pregnancy row — with a rationale that says so and names what was left out instead.
 */
let graph: GraphStore;
let deps: ClinicalDeps;

beforeAll(() => {
  // graph.close() closes the database too.
  ({ graph, deps } = openClinicalDeps(inject('kbPath')));
});
afterAll(async () => {
  await graph.close();
});

async function recommendFor(condition: string, patient: Partial<TrackedCase> = {}, limit = 5): Promise<RecommendResult> {
  const cond = await resolveMention(graph, condition, 'Disease');
  if (!cond) throw new Error(`${condition} does not resolve`);
  return recommendDrugs(deps, { conditions: [cond], currentMedications: [], allergies: [], ...patient }, { limit });
}
const names = (r: RecommendResult) => r.recommendations.map((x) => x.drug.name);
const ARBS = ['Losartan', 'Telmisartan', 'Candesartan', 'Irbesartan', 'Olmesartan', 'Valsartan'];

describe('guideline first-line therapy', () => {
  it('every member of every row is a drug the knowledge base knows', async () => {
    const table = await resolvedFirstLine(graph, deps.safety.knowledge);
    const unresolved = [...new Set([...table.values()].flatMap((m) => [...m.values()]).flatMap((r) => r.unresolved.map((u) => `${r.row.id}: ${u}`)))];
    expect(unresolved).toEqual([]);
  });

  it('"same class" means a therapeutic class (ATC), never a safety grouping such as G6PD oxidants', async () => {
    const r = await recommendFor('acute cystitis', { pregnant: true, pregnancyWeeks: 28 }, 10);
    const k = deps.safety.knowledge;
    for (const x of r.recommendations) {
      const m = /Same class, also suitable: ([^.]+)\./.exec(x.rationale);
      if (!m) continue;
      // Each named alternative shares an ATC-coded group with the drug it is named under.
      const classes = (k.groupsOfDrug.get(x.drug.id) ?? []).filter((g) => k.groups.get(g)?.atc.length);
      expect(classes.length, `${x.drug.name} has alternatives but no therapeutic class`).toBeGreaterThan(0);
    }
    const nitro = r.recommendations.find((x) => x.drug.name === 'Nitrofurantoin');
    expect(nitro?.rationale ?? '').not.toMatch(/Same class, also suitable: .*(Sulfadiazine|Phenazopyridine)/);
  });

  it('hypertension: first-line drugs of at least three classes, not four ARBs; each says which guideline', async () => {
    const r = await recommendFor('hypertension');
    // Four first-line classes (thiazide, ACE inhibitor, ARB, calcium-channel blocker) fill four of five slots.
    expect(names(r).filter((n) => ARBS.includes(n)).length, names(r).join(', ')).toBeLessThanOrEqual(2);
    expect(names(r)).toEqual(expect.arrayContaining(['Hydrochlorothiazide', 'Amlodipine']));
    expect(names(r).slice(0, 4).some((n) => /pril$/.test(n)), names(r).join(', ')).toBe(true);
    for (const x of r.recommendations) {
      expect(x.components.guideline, x.drug.name).toBeGreaterThan(0);
      expect(x.rationale).toMatch(/^First-line for hypertension \(2017 ACC\/AHA/);
      expect(x.evidence.some((e) => e.type === 'guideline' && e.id === 'GUIDELINE:hypertension')).toBe(true);
    }
    // Same-class alternatives are named, not hidden.
    expect(r.recommendations.find((x) => x.drug.name === 'Hydrochlorothiazide')!.rationale).toMatch(/Same class, also suitable: [^.]*Chlorthalidone/);
    // Timolol (its hypertension trials are eye-drop trials) is not among the systemic options shown.
    expect(names(await recommendFor('hypertension', {}, 20))).not.toContain('Timolol');
  });

  it('hypertension in pregnancy: labetalol, nifedipine and methyldopa first; the rationale names the pregnancy guideline and the ARBs left out', async () => {
    const pregnant = await recommendFor('hypertension', { pregnant: true, pregnancyWeeks: 20, sex: 'female', age: 32 });
    expect(names(pregnant).slice(0, 3).sort()).toEqual(['Labetalol', 'Methyldopa', 'Nifedipine']);
    const nif = pregnant.recommendations.find((x) => x.drug.name === 'Nifedipine')!;
    expect(nif.rationale).toMatch(/^First-line for hypertension in pregnancy \(ACOG Practice Bulletin No\. 203/);
    expect(nif.rationale).toMatch(/For this patient: Nifedipine was checked against pregnancy \(20 weeks\)/);
    expect(nif.rationale).toMatch(/First-line drugs left out for this patient: [^.]*(?:sartan|pril)/);
    for (const arb of ARBS) expect(names(pregnant)).not.toContain(arb);
    // The same drug reads differently for a patient who is not pregnant.
    const other = await recommendFor('hypertension', {}, 10);
    const nif2 = other.recommendations.find((x) => x.drug.name === 'Nifedipine' || x.drug.name === 'Amlodipine')!;
    expect(nif2.rationale).toMatch(/^First-line for hypertension \(2017/);
    expect(nif2.rationale).not.toMatch(/pregnan/);
  });

  it('idiopathic pulmonary fibrosis: the antifibrotics come first; failed regimens are listed as recommended against', async () => {
    const r = await recommendFor('idiopathic pulmonary fibrosis');
    expect(names(r).slice(0, 2).sort()).toEqual(['Nintedanib', 'Pirfenidone']);
    const against = r.excluded.filter((e) => /recommended against/.test(e.reason)).map((e) => e.drug.name);
    expect(against).toEqual(expect.arrayContaining(['Prednisone', 'Azathioprine', 'Bosentan']));
  });

  it('type 2 diabetes: metformin, then an SGLT2 inhibitor and a GLP-1 agonist before a sulfonylurea', async () => {
    const r = await recommendFor('type 2 diabetes');
    expect(names(r)[0]).toBe('Metformin');
    const rank = (re: RegExp) => names(r).findIndex((n) => re.test(n));
    const su = rank(/^(?:Glimepiride|Glyburide|Glipizide|Gliclazide)$/);
    expect(rank(/gliflozin$/)).toBeGreaterThan(0);
    if (su >= 0) expect(rank(/gliflozin$/)).toBeLessThan(su);
  });
});
