import { afterAll, describe, expect, inject, it } from 'vitest';
import { scanDiseaseTerms, updateCase } from '../../clinical/case-reader.js';
import type { TrackedCase } from '../../agent/state.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../../kb/open.js';

const graph = createSqliteGraphStore(openKnowledgeBase(inject('kbPath')));
afterAll(() => graph.close());
const empty = (): TrackedCase => ({ conditions: [], currentMedications: [], allergies: [] });
const ids = (xs: { id?: string }[]) => xs.map((x) => x.id);

describe('conditions named without a cue phrase', () => {
  it('finds everyday short forms of disease names in free text', async () => {
    const found = await scanDiseaseTerms(graph, "Type 2 diabetes, early Parkinson's; asks about the kidney");
    expect(ids(found)).toEqual(['DOID:9352', 'DOID:14330']);
  });

  it('reads "Type 2 diabetes, takes warfarin" as a condition and a current medication', async () => {
    const { case: c } = await updateCase(graph, empty(), 'Type 2 diabetes, takes warfarin. What should we start?');
    expect(ids(c.conditions)).toEqual(['DOID:9352']);
    expect(ids(c.currentMedications)).toEqual(['DB00682']);
  });

  it('does not add a condition the message negates', async () => {
    const start = (await updateCase(graph, empty(), 'hypertension and asthma')).case;
    expect(ids(start.conditions).sort()).toEqual(['DOID:10763', 'DOID:2841']);
    const { case: c } = await updateCase(graph, start, 'she does not have hypertension after all');
    expect(ids(c.conditions)).toEqual(['DOID:2841']);
  });
});

describe('allergies, medications and kidney updates as clinicians write them', () => {
  const allergyNames = (c: TrackedCase) => c.allergies.map((a) => [a.name, a.reaction ?? '']);

  it('"drug (reaction)" and "drug - reaction" pairs: the reaction is not an allergen', async () => {
    const { case: c } = await updateCase(graph, empty(), 'Allergies: amoxicillin (anaphylaxis), codeine - nausea.');
    expect(allergyNames(c)).toEqual([
      ['Amoxicillin', 'anaphylaxis'],
      ['Codeine', 'nausea'],
    ]);
  });

  it('more ways to say it: hypersensitivity to, allergic reaction to, X-allergic, allergies include', async () => {
    for (const text of ['Hypersensitivity to amoxicillin.', 'Had an allergic reaction to amoxicillin.', 'Amoxicillin-allergic patient.', 'Drug allergies include amoxicillin.']) {
      const { case: c } = await updateCase(graph, empty(), text);
      expect(c.allergies.map((a) => a.name), text).toEqual(['Amoxicillin']);
    }
  });

  it('an allergy negated in one place and stated in another counts', async () => {
    const { case: c } = await updateCase(graph, empty(), 'No sulfa allergy. Allergic to amoxicillin and to sulfa, she says.');
    expect(c.allergies.map((a) => a.name).sort()).toEqual(['Amoxicillin', 'Sulfamethoxazole']);
  });

  it('allergy words that name nothing are said, not dropped', async () => {
    const r = await updateCase(graph, empty(), 'She has a bad allergy history, details unknown.');
    expect(r.case.allergies).toEqual([]);
    expect(r.notices.join(' ')).toMatch(/mentions an allergy, but no drug or drug class could be read/);
  });

  it('"stopped warfarin and started apixaban": one out, one in', async () => {
    const start = (await updateCase(graph, empty(), 'Atrial fibrillation, takes warfarin.')).case;
    const { case: c } = await updateCase(graph, start, 'Stopped warfarin and started apixaban last week.');
    expect(ids(c.currentMedications)).toEqual(['DB06605']);
  });

  it('a drug written with its dose is a current medication; a lab value with its unit is not', async () => {
    const { case: c } = await updateCase(graph, empty(), 'Hypertension. Lisinopril 10 mg daily, amlodipine 5 mg. Creatinine 2.1 mg/dL.');
    expect(ids(c.currentMedications).sort()).toEqual(['DB00381', 'DB00722']);
  });

  it('kidney updates replace only what they restate', async () => {
    const start = (await updateCase(graph, empty(), 'Type 2 diabetes, eGFR 40, CrCl 35 mL/min.')).case;
    const notDialysis = (await updateCase(graph, start, 'She is not on dialysis.')).case;
    expect(notDialysis).toMatchObject({ egfr: 40, crcl: 35, dialysis: false });
    const newEgfr = (await updateCase(graph, start, 'Her eGFR is now 28.')).case;
    expect(newEgfr).toMatchObject({ egfr: 28, crcl: 35 });
    const staged = (await updateCase(graph, start, 'Now CKD stage 4.')).case;
    expect(staged.ckdStage).toBe('4');
    expect(staged.egfr).toBeUndefined();
  });

  it('an eGFR written without a number is said to be unread', async () => {
    const r = await updateCase(graph, empty(), 'Type 2 diabetes, eGFR pending.');
    expect(r.notices.join(' ')).toMatch(/Could not read eGFR/);
  });
});

describe('abbreviations in a problem list', () => {
  it('reads capitalised clinical abbreviations without a cue, and not the ones notes use for something else', async () => {
    const { case: c } = await updateCase(graph, empty(), 'PMH: HTN, AF, CKD. PE: unremarkable. Seen in ED yesterday, cap on the bottle.');
    expect(ids(c.conditions).sort()).toEqual(['DOID:0060224', 'DOID:10763', 'DOID:784']);
  });
});

describe('context around a finding', () => {
  it('the reason a drug was stopped is not a diagnosis; the condition a drug is for still is', async () => {
    const stopped = (await updateCase(graph, empty(), 'HFrEF; stopped bisoprolol last month because of fatigue')).case;
    expect(stopped.conditions.map((c) => c.name)).not.toContain('Fatigue');
    expect(stopped.currentMedications).toEqual([]);
    const switched = (await updateCase(graph, empty(), 'switched to apixaban for atrial fibrillation')).case;
    expect(ids(switched.conditions)).toContain('DOID:0060224');
  });

  it('"6 weeks postpartum" is not pregnant; "history of postpartum haemorrhage" says nothing of now', async () => {
    expect((await updateCase(graph, empty(), '6 weeks postpartum, not breastfeeding')).case.pregnant).toBe(false);
    const now = (await updateCase(graph, empty(), '20 weeks pregnant, history of postpartum haemorrhage')).case;
    expect(now.pregnant).toBe(true);
    expect(now.pregnancyWeeks).toBe(20);
  });

  it('"type 1 diabetic" is type 1 only: the lay default of "diabetic" (type 2) must not add metformin\'s indication', async () => {
    const c = (await updateCase(graph, empty(), 'type 1 diabetic on insulin glargine')).case;
    expect(ids(c.conditions)).toEqual(['DOID:9744']);
  });

  it('a relative\'s diagnosis is family history, shown apart', async () => {
    const c = (await updateCase(graph, empty(), 'his mother had a DVT; he has migraine')).case;
    expect(ids(c.conditions)).toEqual(['DOID:6364']);
    expect(c.familyHistory?.join(' ')).toMatch(/thrombosis|DVT/i);
    expect(c.sex).toBe('male');
  });
});
