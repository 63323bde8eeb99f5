import { describe, expect, it } from 'vitest';
import type { TrackedCase } from '../../clinical/case-types.js';
import { createSafetyEngine, neutralInteraction } from '../../clinical/safety/engine.js';
import { buildSafetyKnowledge } from '../../clinical/safety/knowledge.js';
import { safetyPatientFromCase } from '../../clinical/safety/patient.js';
import type { GraphStore, Interaction } from '../../kb/graph/store.js';
import type { SafetyTables, StoredFactorRule } from '../../kb/safety-store.js';

/**
 * The engine over a handful of hand-written rules and a stand-in graph (interactions and side
 * effects only): each severity's effect, the patient facts that trigger a rule, overrides, class
 * allergies and cross-reactivity, and the notes that say what could not be checked.
 */
const cite = { source: 'FDA label: Test, 4', url: 'https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=test', reviewed: '2026-12-01 test', file: 'test.tsv', line: 2 };
const rule = (
  id: string,
  drugIds: string[],
  factor: StoredFactorRule['factor'],
  value: string,
  severity: StoredFactorRule['severity'],
  extra: Partial<StoredFactorRule> = {},
): StoredFactorRule =>
  ({ id, table: id.split('-')[0] === 'int' ? 'interactions' : 'test', drugs: [], factor, value, severity, message: `${id} message.`, ...cite, drugIds, ...extra }) as StoredFactorRule;

const D = {
  losartan: 'DB00678',
  labetalol: 'DB00598',
  metformin: 'DB00331',
  naproxen: 'DB00788',
  warfarin: 'DB00682',
  amoxicillin: 'DB01060',
  cefalexin: 'DB00567',
  sulfasalazine: 'DB00795',
  furosemide: 'DB00695',
  edoxaban: 'DB09075',
  valproate: 'DB00313',
  sertraline: 'DB01104',
};
const names = Object.fromEntries(Object.entries(D).map(([n, id]) => [id, n[0].toUpperCase() + n.slice(1)]));
const drug = (n: keyof typeof D) => ({ id: D[n], name: names[D[n]] });

const tables: SafetyTables = {
  groups: [
    { key: 'arbs', name: 'ARBs', basis: 'ATC C09CA', members: [D.losartan], atc: ['C09CA'] },
    { key: 'penicillins', name: 'Penicillins', basis: 'ATC J01C', members: [D.amoxicillin], atc: ['J01C'] },
    { key: 'cephalosporins', name: 'Cephalosporins', basis: 'ATC J01D', members: [D.cefalexin], atc: ['J01D'] },
    { key: 'sulfonamide_antibiotics', name: 'Sulfonamide antibiotics', basis: 'ATC J01E', members: [D.sulfasalazine], atc: ['J01E'] },
    { key: 'nsaids', name: 'NSAIDs', basis: 'ATC M01A', members: [D.naproxen], atc: ['M01A'] },
    { key: 'ssris', name: 'SSRIs', basis: 'ATC N06AB', members: [D.sertraline], atc: ['N06AB'] },
  ],
  conditions: [{ key: 'mechanical_heart_valve', name: 'Mechanical heart valve', doids: [], terms: ['mechanical valve', 'mechanical mitral valve'], basis: '', line: 2, file: 'conditions.tsv' }],
  groupTerms: new Map([['sulfa', ['sulfonamide_antibiotics']], ['penicillin', ['penicillins']], ['ssri', ['ssris']]]),
  rules: [
    rule('preg-arb', [D.losartan], 'pregnancy', 'any', 'contraindicated'),
    rule('preg-valproate', [D.valproate], 'pregnancy', 'any', 'avoid_unless'),
    rule('preg-nsaid-30w', [D.naproxen], 'pregnancy', 'weeks>=30', 'avoid_unless'),
    rule('renal-metformin', [D.metformin], 'egfr_below', '30', 'contraindicated'),
    rule('renal-edoxaban-high', [D.edoxaban], 'egfr_at_least', '96', 'avoid_unless'),
    rule('disease-doac-valve', [D.edoxaban], 'condition', 'mechanical_heart_valve', 'avoid_unless'),
    rule('int-nsaid-anticoag', [D.naproxen], 'comedication', 'drug:warfarin', 'avoid_unless', { comedicationIds: [D.warfarin] }),
    rule('int-ssri-dup', [D.sertraline], 'comedication', 'group:ssris', 'avoid_unless', { message: 'Duplicate therapy.', comedicationIds: [D.sertraline] }),
    // A combination forbidden only in renal impairment (the shape of dabigatran with a P-gp inhibitor below CrCl 30).
    rule('int-furosemide-warfarin-renal', [D.furosemide], 'comedication', 'drug:warfarin', 'avoid_unless', {
      comedicationIds: [D.warfarin],
      andEgfrBelow: 30,
    }),
  ],
  allergy: [
    { id: 'allergy-pen-ceph-severe', allergen: [], reaction: 'severe', drugs: [], severity: 'avoid_unless', message: 'Cephalosporins after a severe penicillin reaction.', ...cite, drugIds: [D.cefalexin], allergenIds: [D.amoxicillin] },
    { id: 'allergy-pen-ceph-mild', allergen: [], reaction: 'nonsevere', drugs: [], severity: 'caution', message: 'Low cross-reactivity after a mild penicillin rash.', ...cite, drugIds: [D.cefalexin], allergenIds: [D.amoxicillin] },
  ],
  serious: [{ id: 'se-valproate', drugs: [], effect: 'teratogenicity', boxed: true, message: 'Major congenital malformations.', ...cite, drugIds: [D.valproate] }],
  ddiTypes: new Map([[73, { severity: 'caution', neutral: '{a} and {b}: one may raise the serum concentration of the other.' }]]),
  unresolved: [],
};

/** A graph that knows one interaction and no side effects: all the engine asks of it. */
const interaction: Interaction = {
  drug1: { id: D.warfarin, kind: 'Compound', name: 'Warfarin' },
  drug2: { id: D.sertraline, kind: 'Compound', name: 'Sertraline' },
  type: 73,
  sentence: 'The serum concentration of Sertraline can be increased when it is combined with Warfarin.',
  provenance: [{ source: 'deepddi', license: 'CC BY-NC 4.0' }],
};
const graph = {
  async interactions(ids: string[]) {
    return ids.includes(D.warfarin) && ids.includes(D.sertraline) ? [interaction] : [];
  },
  async drugProfile() {
    throw new Error('no profile in this stand-in');
  },
} as unknown as GraphStore;

const knowledge = buildSafetyKnowledge(tables);
const engine = createSafetyEngine({ knowledge, graph });
const base = (over: Partial<TrackedCase> = {}): TrackedCase => ({ conditions: [], currentMedications: [], allergies: [], ...over });
const check = async (drugs: (keyof typeof D)[], c: TrackedCase) => engine.check(drugs.map(drug), safetyPatientFromCase(knowledge, c));

describe('safety engine', () => {
  it('contraindicated and avoid-unless exclude; the reason names the patient fact and cites the rule', async () => {
    const r = await check(['losartan', 'labetalol', 'valproate'], base({ pregnant: true, pregnancyWeeks: 20 }));
    expect(r.verdicts.get(D.losartan)).toMatchObject({ verdict: 'excluded', worst: 'contraindicated' });
    expect(r.verdicts.get(D.losartan)!.findings[0]).toMatchObject({ rule: 'preg-arb', trigger: 'pregnant, 20 weeks', citation: { url: cite.url } });
    expect(r.verdicts.get(D.valproate)).toMatchObject({ verdict: 'excluded', worst: 'avoid_unless' });
    expect(r.verdicts.get(D.labetalol)!.verdict).toBe('ok');
    // Serious effects are noted, never decisive.
    expect(r.verdicts.get(D.valproate)!.findings.some((f) => f.kind === 'serious_effect')).toBe(true);
  });

  it('an avoid-unless rule can be overridden by the prescriber (kept, with the warning); a contraindication cannot', async () => {
    const r = await check(['losartan', 'valproate'], base({ pregnant: true, overrides: ['valproate', 'losartan'] }));
    expect(r.verdicts.get(D.valproate)).toMatchObject({ verdict: 'warned' });
    expect(r.verdicts.get(D.valproate)!.findings[0]).toMatchObject({ severity: 'caution', overridden: true });
    expect(r.verdicts.get(D.losartan)!.verdict).toBe('excluded');
  });

  it('a stage rule fires from its stage, or when the stage is unknown', async () => {
    expect((await check(['naproxen'], base({ pregnant: true, pregnancyWeeks: 22 }))).verdicts.get(D.naproxen)!.verdict).toBe('ok');
    expect((await check(['naproxen'], base({ pregnant: true, pregnancyWeeks: 31 }))).verdicts.get(D.naproxen)!.verdict).toBe('excluded');
    expect((await check(['naproxen'], base({ pregnant: true }))).verdicts.get(D.naproxen)!.findings[0].trigger).toMatch(/not stated/);
  });

  it('kidney thresholds: below from eGFR, CrCl or a stage band; "at least" only from a stated number', async () => {
    expect((await check(['metformin'], base({ egfr: 22 }))).verdicts.get(D.metformin)!.verdict).toBe('excluded');
    expect((await check(['metformin'], base({ ckdStage: '4' }))).verdicts.get(D.metformin)!.verdict).toBe('excluded');
    expect((await check(['metformin'], base({ ckdStage: '3a' }))).verdicts.get(D.metformin)!.verdict).toBe('ok');
    expect((await check(['edoxaban'], base({ crcl: 120 }))).verdicts.get(D.edoxaban)!.verdict).toBe('excluded');
    expect((await check(['edoxaban'], base({ ckdStage: '1' }))).verdicts.get(D.edoxaban)!.verdict).toBe('ok');
  });

  it('comorbidities and devices by their words; co-medications by drug or by class name', async () => {
    expect((await check(['edoxaban'], base({ otherComorbidities: ['mechanical mitral valve (2019)'] }))).verdicts.get(D.edoxaban)!.findings[0].rule).toBe('disease-doac-valve');
    const onWarfarin = base({ currentMedications: [{ text: 'warfarin', id: D.warfarin, name: 'Warfarin' }] });
    expect((await check(['naproxen'], onWarfarin)).verdicts.get(D.naproxen)!.findings[0]).toMatchObject({ rule: 'int-nsaid-anticoag', kind: 'interaction', trigger: 'current medication Warfarin' });
    const onAnSsri = base({ currentMedications: [{ text: 'an SSRI', name: 'an SSRI' }] });
    expect((await check(['sertraline'], onAnSsri)).verdicts.get(D.sertraline)!.findings[0]).toMatchObject({ rule: 'int-ssri-dup', kind: 'duplicate' });
  });

  it('a co-medication rule limited to renal impairment fires only with a known kidney function below its limit', async () => {
    const warfarin = [{ text: 'warfarin', id: D.warfarin, name: 'Warfarin' }];
    const severe = (await check(['furosemide'], base({ currentMedications: warfarin, egfr: 25 }))).verdicts.get(D.furosemide);
    expect(severe).toMatchObject({ verdict: 'excluded', worst: 'avoid_unless' });
    expect(severe?.findings[0]).toMatchObject({ rule: 'int-furosemide-warfarin-renal', trigger: 'current medication Warfarin, with eGFR 25' });
    expect((await check(['furosemide'], base({ currentMedications: warfarin, egfr: 45 }))).verdicts.get(D.furosemide)?.verdict).toBe('ok');
    // Kidney function not stated: the rule cannot apply (the plain interaction rules still do).
    expect((await check(['furosemide'], base({ currentMedications: warfarin }))).verdicts.get(D.furosemide)?.verdict).toBe('ok');
    expect((await check(['furosemide'], base({ egfr: 25 }))).verdicts.get(D.furosemide)?.verdict).toBe('ok');
  });

  it('DrugBank interactions are graded by type and worded without direction', async () => {
    const r = await check(['sertraline'], base({ currentMedications: [{ text: 'warfarin', id: D.warfarin, name: 'Warfarin' }] }));
    const f = r.verdicts.get(D.sertraline)!.findings.find((x) => x.rule === 'ddi-type-73')!;
    expect(f.severity).toBe('caution');
    expect(f.message).toContain('Sertraline and Warfarin: one may raise the serum concentration of the other.');
    expect(f.message).not.toContain('can be increased when it is combined with');
    const swapped = { ...interaction, drug1: interaction.drug2, drug2: interaction.drug1 };
    expect(neutralInteraction(knowledge, swapped)).toBe(neutralInteraction(knowledge, interaction));
  });

  it('allergies: the drug itself, a class named in the text, cross-reactivity by reaction severity, and unmatched allergies said', async () => {
    const severe = await check(['amoxicillin', 'cefalexin'], base({ allergies: [{ text: 'amoxicillin', id: D.amoxicillin, name: 'Amoxicillin', reaction: 'anaphylaxis', severity: 'severe' }] }));
    expect(severe.verdicts.get(D.amoxicillin)!.findings[0].rule).toBe('allergy-same-drug');
    expect(severe.verdicts.get(D.cefalexin)).toMatchObject({ verdict: 'excluded', worst: 'avoid_unless' });
    const mild = await check(['cefalexin'], base({ allergies: [{ text: 'amoxicillin', id: D.amoxicillin, name: 'Amoxicillin', reaction: 'rash', severity: 'nonsevere' }] }));
    expect(mild.verdicts.get(D.cefalexin)).toMatchObject({ verdict: 'warned', worst: 'caution' });
    const sulfa = await check(['sulfasalazine', 'furosemide'], base({ allergies: [{ text: 'sulfa', name: 'sulfa' }] }));
    expect(sulfa.verdicts.get(D.sulfasalazine)!.findings[0].rule).toBe('allergy-named-class');
    expect(sulfa.verdicts.get(D.furosemide)!.verdict).toBe('ok');
    const unknown = await check(['labetalol'], base({ allergies: [{ text: 'elastoplast', name: 'elastoplast' }] }));
    expect(unknown.general.map((w) => w.message).join(' ')).toMatch(/"elastoplast" matched no drug or drug class/);
  });

  it('a current medication is not recommended again; unrecognised medications and uncovered pregnancy are said', async () => {
    const r = await check(['warfarin', 'labetalol'], base({ pregnant: true, currentMedications: [{ text: 'warfarin', id: D.warfarin, name: 'Warfarin' }, { text: 'grandma pills', name: 'grandma pills' }] }));
    expect(r.verdicts.get(D.warfarin)!.findings[0].kind).toBe('already_taking');
    const notes = r.general.map((w) => w.message).join(' ');
    expect(notes).toMatch(/unrecognised medication\(s\): "grandma pills"/);
    expect(notes).toMatch(/no pregnancy rule in this knowledge base covers .*Labetalol/);
  });
});
