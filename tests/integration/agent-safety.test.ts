import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAgent } from '../../agent/index.js';
import type { ChatAgent } from '../../agent/types.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';

/**
 * The chat agent (evidence-only) reads patient factors from the conversation, single-turn and
 * across turns, and each new fact changes the list: the answer says what changed and why.
 */
let graph: GraphStore;
let agent: ChatAgent;

beforeAll(() => {
  const db = openKnowledgeBase(inject('kbPath'));
  graph = createSqliteGraphStore(db);
  agent = makeAgent({ deps: { graph, safety: openSafetyEngine(db, graph).engine, evidence: createEvidenceStore({ db }) } });
});
afterAll(async () => {
  await graph.close();
});

const names = (xs: { drug: { name: string } }[]) => xs.map((x) => x.drug.name);

describe('patient factors in a conversation change the recommendations', () => {
  it('"Her eGFR is 22" in a later turn takes metformin out, and the answer says so', async () => {
    const a1 = await agent.invoke({ threadId: 'renal-mt', message: 'Type 2 diabetes. What should we start?' });
    expect(names(a1.recommendations)[0]).toBe('Metformin');
    expect(a1.changes).toEqual([]);
    const a2 = await agent.invoke({ threadId: 'renal-mt', message: 'Her eGFR is 22.' });
    expect(names(a2.recommendations)).not.toContain('Metformin');
    expect(a2.excluded.find((e) => e.drug.name === 'Metformin')).toMatchObject({ severity: 'contraindicated', reason: expect.stringMatching(/eGFR 22/) });
    expect(a2.changes.join(' ')).toMatch(/New in the case: .*eGFR 22/);
    expect(a2.changes.join(' ')).toMatch(/Metformin was recommended before and is now left out/);
    expect(a2.text).toMatch(/What changed since the last answer/);
  });

  it('a pregnancy stated in one message or added later excludes teratogens, and "not pregnant" brings them back', async () => {
    const one = await agent.invoke({ threadId: 'preg-1', message: '28-year-old woman with epilepsy, 8 weeks pregnant.' });
    expect(one.case).toMatchObject({ pregnant: true, pregnancyWeeks: 8 });
    expect(names(one.excluded)).toEqual(expect.arrayContaining(['Valproic Acid', 'Topiramate']));
    expect(names(one.recommendations)).not.toContain('Valproic Acid');

    const before = await agent.invoke({ threadId: 'preg-2', message: '28-year-old woman with epilepsy.' });
    const after = await agent.invoke({ threadId: 'preg-2', message: 'She is 12 weeks pregnant.' });
    const dropped = names(before.recommendations).filter((n) => names(after.excluded).includes(n));
    expect(dropped.length).toBeGreaterThan(0);
    for (const n of dropped) expect(after.changes.join(' ')).toContain(`${n} was recommended before and is now left out`);
    const back = await agent.invoke({ threadId: 'preg-2', message: 'Correction: she is not pregnant.' });
    expect(back.case.pregnant).toBe(false);
    expect(names(back.excluded)).not.toContain('Valproic Acid');
  });

  it('"on warfarin" in free text is a current medication, and NSAIDs are left out with the interaction rule', async () => {
    const a = await agent.invoke({ threadId: 'oa-warfarin', message: '78-year-old with knee osteoarthritis, on warfarin.' });
    expect(a.case.currentMedications).toEqual(['Warfarin (DB00682)']);
    for (const n of ['Diclofenac', 'Naproxen']) {
      expect(names(a.recommendations)).not.toContain(n);
      expect(a.excluded.find((e) => e.drug.name === n)?.reason).toMatch(/current medication Warfarin/);
    }
  });

  it('"Why not X?" is answered by the same engine that left X out, with the citation', async () => {
    await agent.invoke({ threadId: 'why', message: 'Hypertension in a 32-year-old woman, 20 weeks pregnant.' });
    const a = await agent.invoke({ threadId: 'why', message: 'Why not losartan?' });
    expect(a.text).toMatch(/Why not Losartan\? .*Left out for this patient — Losartan \(DB00678\) — (?:Contraindicated|Avoid unless no alternative)/);
    expect(a.text).toMatch(/pregnant, 20 weeks/);
    expect(a.text).toMatch(/https:\/\/dailymed\.nlm\.nih\.gov/);
  });

  it('an allergy with its reaction: anaphylaxis to amoxicillin leaves out penicillins', async () => {
    const a = await agent.invoke({ threadId: 'allergy', message: 'Otitis media in a 30-year-old. She had anaphylaxis to amoxicillin.' });
    expect(a.case.allergies[0]).toMatch(/Amoxicillin .*anaphyla/i);
    expect(names(a.recommendations)).not.toContain('Amoxicillin');
  });
});

describe('the question asked: an acute attack is not a prevention question', () => {
  it('an acute migraine attack gets acute treatments; preventives are listed as not for this question, with the guideline', async () => {
    const a = await agent.invoke({ threadId: 'mig-acute', message: 'Acute migraine attack in a 30-year-old man, what can he take now?' });
    expect(a.case.intent).toBe('acute');
    expect(names(a.recommendations)).not.toContain('Topiramate');
    expect(names(a.recommendations).some((n) => /triptan/.test(n))).toBe(true);
    const topi = a.excluded.find((e) => e.drug.name === 'Topiramate');
    expect(topi).toMatchObject({ severity: 'not_indicated', reason: expect.stringMatching(/prevention or maintenance.*acute treatment/) });
    expect(topi?.citation?.url).toMatch(/^https:/);
  });

  it('a prevention question gets preventives; a woman who could become pregnant is warned about valproate', async () => {
    const a = await agent.invoke({ threadId: 'mig-prev', message: 'Migraine prevention for a 30-year-old woman with 6 attacks a month.' });
    expect(a.case.intent).toBe('prevention');
    expect(names(a.recommendations)).not.toContain('Sumatriptan');
    expect(names(a.recommendations)).toContain('Topiramate');
    const valproate = a.recommendations.find((r) => r.drug.name === 'Valproic Acid');
    if (valproate) expect(valproate.warnings.some((w) => /could become pregnant/.test(w.message))).toBe(true);
    const topiramate = a.recommendations.find((r) => r.drug.name === 'Topiramate')!;
    expect(topiramate.warnings.some((w) => /contraception/.test(w.message))).toBe(true);
  });

  it('a follow-up that changes the question changes the answer', async () => {
    await agent.invoke({ threadId: 'gout-2', message: 'Gout flare in a 60-year-old man.' });
    const a = await agent.invoke({ threadId: 'gout-2', message: 'And for urate-lowering therapy afterwards?' });
    expect(a.case.intent).toBe('prevention');
    expect(names(a.recommendations)).toContain('Allopurinol');
    expect(names(a.recommendations)).toContain('Febuxostat');
  });
});

describe('"what about X instead?" answers about X for this patient', () => {
  it('names the drug, its indication and its safety verdict; a question naming no drug adds nothing', async () => {
    await agent.invoke({ threadId: 'what-about', message: 'Hypertension in a 32-year-old woman, 20 weeks pregnant.' });
    const a = await agent.invoke({ threadId: 'what-about', message: 'What about methyldopa instead?' });
    expect(a.text).toMatch(/About Methyldopa for this patient: .*Methyldopa for hypertension/);
    const b = await agent.invoke({ threadId: 'what-about', message: 'What about the weekend?' });
    expect(b.text).not.toMatch(/About|not a drug this knowledge base knows/);
    const c = await agent.invoke({ threadId: 'what-about', message: 'How about losartan for her?' });
    expect(c.text).toMatch(/About Losartan for this patient: .*Left out for this patient — Losartan/);
  });

  it('idiopathic pulmonary fibrosis: the antifibrotics come first; failed regimens are listed as recommended against, with the guideline', async () => {
    const a = await agent.invoke({ threadId: 'ipf', message: 'idiopathic pulmonary fibrosis in a 68-year-old man' });
    expect(names(a.recommendations).slice(0, 2).sort()).toEqual(['Nintedanib', 'Pirfenidone']);
    for (const d of ['Prednisone', 'Azathioprine', 'Bosentan']) {
      const e = a.excluded.find((x) => x.drug.name === d);
      expect(e?.reason, d).toMatch(/recommended against for idiopathic pulmonary fibrosis/);
      expect(e?.citation?.source).toMatch(/ATS\/ERS\/JRS\/ALAT/);
    }
  });

  it('the rationale is for this patient: the same drug reads differently when she is pregnant', async () => {
    const pregnant = await agent.invoke({ threadId: 'rationale-preg', message: '32-year-old woman with hypertension, 20 weeks pregnant' });
    const not = await agent.invoke({ threadId: 'rationale-not', message: '32-year-old woman with hypertension' });
    const same = pregnant.recommendations.find((r) => not.recommendations.some((n) => n.drug.id === r.drug.id))!;
    expect(same).toBeTruthy();
    const other = not.recommendations.find((n) => n.drug.id === same.drug.id)!;
    expect(same.rationale).toMatch(new RegExp(`For this patient: ${same.drug.name} was checked against pregnancy \\(20 weeks\\)`));
    expect(other.rationale).not.toMatch(/For this patient/);
    expect(same.rationale).not.toBe(other.rationale);
  });

  it('"Should I stop his ramipril?" is answered about ramipril for this patient (potassium 6.1)', async () => {
    const a = await agent.invoke({ threadId: 'stop-ramipril', message: '70-year-old man with heart failure on ramipril, his potassium is 6.1. Should I stop his ramipril?' });
    expect(a.text).toMatch(/About Ramipril for this patient: .*Hyperkalaemia \("potassium 6\.1"\)/);
  });

  it('"Which anticoagulant?" lists anticoagulants only, says so, and still lists what safety left out', async () => {
    const a = await agent.invoke({ threadId: 'af-which-anticoag', message: '58-year-old woman with atrial fibrillation, eGFR 28, on amiodarone. Which anticoagulant?' });
    expect(a.case.askedClass).toBe('Anticoagulants (all)');
    expect(a.recommendations.length).toBeGreaterThan(0);
    for (const r of a.recommendations) expect(['Warfarin', 'Heparin', 'Apixaban', 'Rivaroxaban', 'Edoxaban', 'Dabigatran etexilate', 'Enoxaparin', 'Dalteparin']).toContain(r.drug.name);
    expect(a.notices.join(' ')).toMatch(/Listing anticoagulants \(all\) only, as the question asks/);
    expect(a.excluded.map((e) => e.drug.name)).toContain('Dronedarone');
  });

  it('"she wants the combined pill" is a drug asked about, answered with its contraindication; a relative\'s DVT is not hers', async () => {
    const a = await agent.invoke({ threadId: 'coc-aura', message: '27-year-old woman with migraine with aura; she wants the combined pill; her mother had a DVT.' });
    expect(a.text).toMatch(/About Ethinyl Estradiol for this patient: .*Contraindicated: .*[Mm]igraine with aura/);
    expect(a.case.conditions.join(' ')).not.toMatch(/thrombo/i);
    expect(a.case.familyHistory?.join(' ')).toMatch(/thrombosis/i);
    expect(a.case.currentMedications).toEqual([]);
  });
});
