import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SafetyEngine } from '../../clinical/safety/engine.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { checkSafetyTool } from '../../tools/check-safety.js';
import { recommendDrugsTool } from '../../tools/recommend-drugs.js';
import { runTool, type ToolDeps } from '../../tools/spec.js';

/**
 * The safety engine over the real knowledge base, on the failures that started this work: ARBs
 * first in pregnancy, metformin at eGFR 22, NSAIDs with warfarin or in CKD 4, a DOAC with a
 * mechanical valve, sulfasalazine after sulfonamide SJS, a thiazide with lithium, valproate and
 * topiramate in pregnancy. Each exclusion must be shown with its rule and citation.
 */
let db: Database.Database;
let graph: GraphStore;
let safety: SafetyEngine;
let deps: ToolDeps;

beforeAll(() => {
  db = openKnowledgeBase(inject('kbPath'));
  graph = createSqliteGraphStore(db);
  safety = openSafetyEngine(db, graph).engine;
  deps = { graph, safety, evidence: createEvidenceStore({ db }) };
});
afterAll(async () => {
  await graph.close();
});

const recommend = (args: Record<string, unknown>) => runTool(recommendDrugsTool, { limit: 10, ...args }, deps);
const ids = (xs: { drug: { id: string } }[]) => xs.map((x) => x.drug.id);
const members = (group: string) => safety.knowledge.groups.get(group)!.members;

const D = {
  losartan: 'DB00678',
  telmisartan: 'DB00966',
  candesartan: 'DB00796',
  lisinopril: 'DB00722',
  metformin: 'DB00331',
  diclofenac: 'DB00586',
  naproxen: 'DB00788',
  aspirin: 'DB00945',
  edoxaban: 'DB09075',
  sulfasalazine: 'DB00795',
  hctz: 'DB00999',
  valproate: 'DB00313',
  topiramate: 'DB00273',
  loratadine: 'DB00455',
  procaine: 'DB00721',
  trimethoprim: 'DB00440',
  furosemide: 'DB00695',
};

describe('safety classes resolved from the rule tables', () => {
  it('hold their members and nothing a combination ATC code drags in', () => {
    for (const id of [D.losartan, D.telmisartan, D.candesartan]) expect(members('arbs').has(id)).toBe(true);
    expect(members('ace_inhibitors').has(D.lisinopril)).toBe(true);
    expect(members('ace_inhibitors').has(D.loratadine)).toBe(false);
    expect(members('nsaids').has(D.naproxen)).toBe(true);
    expect(members('nsaids').has(D.aspirin)).toBe(false);
    expect(members('penicillins').has(D.procaine)).toBe(false);
    expect(members('sulfonamide_antibiotics').has(D.sulfasalazine)).toBe(true);
    expect(members('sulfonamide_antibiotics').has(D.trimethoprim)).toBe(false);
    expect(members('sulfonamide_antibiotics').has(D.furosemide)).toBe(false);
  });

  it('every safety-critical name in the tables resolves to a drug of the KB', () => {
    const unresolved = new Set(safety.knowledge.unresolved.map((u) => u.name));
    for (const n of ['losartan', 'metformin', 'warfarin', 'edoxaban', 'apixaban', 'rivaroxaban', 'dabigatran etexilate', 'sulfasalazine', 'lithium', 'valproic acid', 'isotretinoin', 'methotrexate', 'simvastatin', 'clarithromycin', 'sildenafil', 'nitroglycerin', 'phenelzine', 'tramadol', 'citalopram', 'spironolactone', 'nitrofurantoin']) expect(unresolved.has(n), n).toBe(false);
  });
});

describe('the reported failures, through recommend_drugs and check_safety', () => {
  it('hypertension at 20 weeks of pregnancy: no ACE inhibitor or ARB is recommended; each is listed as left out with its citation', async () => {
    const r = await recommend({ conditions: ['hypertension'], age: 32, sex: 'female', pregnancy: { pregnant: true, weeks: 20 } });
    const raas = new Set([...members('arbs'), ...members('ace_inhibitors')]);
    expect(r.recommendations.length).toBeGreaterThan(0);
    expect(ids(r.recommendations).filter((id) => raas.has(id))).toEqual([]);
    const losartan = r.excluded.find((e) => e.drug.id === D.losartan)!;
    expect(losartan.reason).toMatch(/pregnant, 20 weeks/);
    expect(losartan.citation?.url).toMatch(/^https:\/\//);
    expect(losartan.rule).toBeTruthy();
  });

  it('type 2 diabetes with eGFR 22: metformin is contraindicated and listed, not recommended', async () => {
    const r = await recommend({ conditions: ['type 2 diabetes'], renal: { egfr: 22 } });
    expect(ids(r.recommendations)).not.toContain(D.metformin);
    expect(r.excluded.find((e) => e.drug.id === D.metformin)).toMatchObject({ severity: 'contraindicated', reason: expect.stringMatching(/eGFR 22/) });
    // Without the renal factor metformin is still first: the factor, not the ranking, removed it.
    expect(ids((await recommend({ conditions: ['type 2 diabetes'] })).recommendations)[0]).toBe(D.metformin);
  });

  it('knee osteoarthritis at 78 on warfarin, and in CKD stage 4: no NSAID is recommended', async () => {
    const nsaids = members('nsaids');
    for (const args of [{ current_medications: ['warfarin'], age: 78 }, { renal: { ckd_stage: '4' } }]) {
      const r = await recommend({ conditions: ['osteoarthritis'], ...args });
      expect(ids(r.recommendations).filter((id) => nsaids.has(id)), JSON.stringify(args)).toEqual([]);
      expect(ids(r.excluded)).toEqual(expect.arrayContaining([D.diclofenac, D.naproxen]));
    }
  });

  it('check_safety: a DOAC with a mechanical mitral valve, sulfasalazine after sulfonamide SJS, hydrochlorothiazide with lithium', async () => {
    const valve = await runTool(checkSafetyTool, { drugs: ['edoxaban'], devices: ['mechanical mitral valve'] }, deps);
    expect(valve.results[0]).toMatchObject({ verdict: 'excluded', reason: expect.stringMatching(/valve/i) });
    const sjs = await runTool(checkSafetyTool, { drugs: ['sulfasalazine'], allergies: [{ substance: 'sulfonamide antibiotics', reaction: 'SJS with co-trimoxazole' }] }, deps);
    expect(sjs.results[0].verdict).toBe('excluded');
    const lithium = await runTool(checkSafetyTool, { drugs: ['hydrochlorothiazide'], current_medications: ['lithium'] }, deps);
    expect(lithium.results[0]).toMatchObject({ verdict: 'excluded', severity: 'avoid_unless', overridable: true });
    // The same drug with the prescriber's override is kept, with the warning.
    const overridden = await runTool(checkSafetyTool, { drugs: ['hydrochlorothiazide'], current_medications: ['lithium'], overrides: ['hydrochlorothiazide'] }, deps);
    expect(overridden.results[0]).toMatchObject({ verdict: 'warned' });
  });

  it('epilepsy in pregnancy: valproate and topiramate are left out; what is shown carries a pregnancy note', async () => {
    const r = await recommend({ conditions: ['epilepsy'], pregnancy: { pregnant: true, weeks: 8 } });
    expect(ids(r.recommendations)).not.toContain(D.valproate);
    expect(ids(r.recommendations)).not.toContain(D.topiramate);
    expect(ids(r.excluded)).toEqual(expect.arrayContaining([D.valproate, D.topiramate]));
    expect(r.warnings.map((w) => w.message).join(' ')).toMatch(/Pregnancy: no pregnancy rule .* covers/);
  });

  it('an allergy that matches nothing is said, and a comorbidity no rule knows is said', async () => {
    const r = await recommend({ conditions: ['hypertension'], allergies: ['elastoplast'], comorbidities: ['frobnitz syndrome'] });
    expect(r.warnings.map((w) => w.message).join(' ')).toMatch(/"elastoplast" matched no drug or drug class/);
    expect(r.notices.join(' ')).toMatch(/"frobnitz syndrome"/);
  });
});

describe('interactions between candidates and current medications', () => {
  it('interactionsBetween returns exactly the cross pairs interactions() finds, in both directions', async () => {
    const cands = [D.naproxen, D.diclofenac, D.aspirin, D.metformin, D.hctz];
    const meds = ['DB00682', 'DB01356'];
    const crossesSides = (a: string, b: string) => (cands.includes(a) && meds.includes(b)) || (meds.includes(a) && cands.includes(b));
    const cross = (await graph.interactions([...cands, ...meds])).filter((i) => crossesSides(i.drug1.id, i.drug2.id));
    const between = await graph.interactionsBetween!(cands, meds);
    const key = (i: { drug1: { id: string }; drug2: { id: string }; type: number }) => `${i.drug1.id}|${i.drug2.id}|${i.type}`;
    expect(between.map(key).sort()).toEqual(cross.map(key).sort());
    expect(between.length).toBeGreaterThan(0);
  });
});

describe('DrugBank interaction direction (DeepDDI rows)', () => {
  /**
   * Well-known asymmetric pairs, as the data stores them (drug1, drug2, type). For the first
   * five, the template "#Drug1 … of #Drug2" states the reverse of the label (e.g. type 73 row
   * simvastatin, ketoconazole reads "the serum concentration of ketoconazole is increased by
   * simvastatin"; ketoconazole raises simvastatin). Rifampicin/warfarin is stored the right way
   * round. The order is therefore not reliable either way, so no answer may state a direction
   * from it: the engine words every type neutrally (clinical/rules/ddi-types.tsv).
   */
  const PAIRS: [string, string, string, boolean][] = [
    ['DB00641', 'DB01026', '73', false], // simvastatin, ketoconazole
    ['DB00682', 'DB00196', '73', false], // warfarin, fluconazole
    ['DB00563', 'DB00945', '73', false], // methotrexate, aspirin
    ['DB01076', 'DB01211', '73', false], // atorvastatin, clarithromycin
    ['DB00682', 'DB00945', '6', false], // warfarin, aspirin
    ['DB01045', 'DB00682', '4', true], // rifampicin speeds warfarin's metabolism: stored correctly
  ];

  it('the data stores known pairs in both orientations, so direction is never taken from it', () => {
    const file = path.join(inject('dataDir'), 'ddi-drugbank-deepddi', 'Drugbank.txt');
    const rows = new Set(fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()));
    for (const [a, b, type] of PAIRS) expect(rows.has(`${a}\t${b}\t${type}`), `${a} ${b} ${type}`).toBe(true);
    const correct = PAIRS.filter((p) => p[3]).length;
    expect(correct).toBeGreaterThan(0);
    expect(correct).toBeLessThan(PAIRS.length);
  });

  it('every DeepDDI type is worded without saying which drug acts on which', () => {
    expect(safety.knowledge.ddiTypes.size).toBe(86);
    for (const [type, t] of safety.knowledge.ddiTypes) {
      expect(t.neutral, `type ${type}`).not.toMatch(/\{[ab]\}\s+(?:may|can|will)\b/);
      expect(t.neutral, `type ${type}`).not.toMatch(/\b(?:of|by)\s+\{[ab]\}/);
    }
  });
});
