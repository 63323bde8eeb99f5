import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAgent } from '../../agent/index.js';
import { drugsNamedInText, markLeftOut, mentionNegated } from '../../agent/answer-drugs.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import type { SafetyEngine } from '../../clinical/safety/engine.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import type { EvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';

/**
 * A model's answer goes through the safety engine drug by drug, whatever the model wrote and
 * whether or not a tool returned the drug: an excluded drug is struck through where the answer
 * puts it forward, listed with its rule and citation, and never becomes a recommendation.
 */
let graph: GraphStore;
let safety: SafetyEngine;
let evidence: EvidenceStore;

beforeAll(() => {
  const db = openKnowledgeBase(inject('kbPath'));
  graph = createSqliteGraphStore(db);
  safety = openSafetyEngine(db, graph).engine;
  evidence = createEvidenceStore({ db });
});
afterAll(async () => {
  await graph.close();
});

const agentSaying = (...answers: string[]) => {
  let model = fakeModel();
  for (const a of answers) model = model.respond(new AIMessage(a));
  return makeAgent({ model, deps: { graph, safety, evidence }, mode: 'tool-calling' });
};
const names = (xs: { drug: { name: string } }[]) => xs.map((x) => x.drug.name);

describe('the answer is read for every drug it names', () => {
  it('finds drugs no tool returned, by their everyday names, and knows which ones a clause refuses', async () => {
    const found = await drugsNamedInText(graph, '1. Losartan 50 mg daily.\nAvoid ibuprofen with warfarin; labetalol is first-line.');
    expect([...found.values()].map((d) => [d.name, d.putForward]).sort()).toEqual([
      ['Ibuprofen', false],
      ['Labetalol', true],
      ['Losartan', true],
      ['Warfarin', false],
    ]);
  });

  it('negation reaches a few words, within the clause only', () => {
    const line = 'Avoid NSAIDs such as ibuprofen; naproxen is fine.';
    expect(mentionNegated(line, line.indexOf('ibuprofen'), 9)).toBe(true);
    expect(mentionNegated(line, line.indexOf('naproxen'), 8)).toBe(false);
    const after = 'Losartan is contraindicated in pregnancy.';
    expect(mentionNegated(after, 0, 8)).toBe(true);
    const far = 'Stop the heparin drip tonight and in the morning begin enoxaparin.';
    expect(mentionNegated(far, far.indexOf('enoxaparin'), 10)).toBe(false);
  });

  it('strikes a left-out drug where it is put forward, once per line, not where it is refused', () => {
    const marked = markLeftOut('1. Losartan 50 mg, or losartan 100 mg.\nDo not use losartan in pregnancy.', ['Losartan'], 'removed by the safety check: contraindicated for this patient');
    expect(marked.split('\n')[0]).toBe('1. ~~Losartan~~ **[removed by the safety check: contraindicated for this patient]** 50 mg, or losartan 100 mg.');
    expect(marked.split('\n')[1]).toBe('Do not use losartan in pregnancy.');
  });
});

describe('a model answer that puts forward an excluded drug', () => {
  it('an ARB named without any tool call, in pregnancy: struck through, listed with the label, not recommended', async () => {
    const agent = agentSaying('1. Losartan 50 mg daily for her blood pressure.\n2. Labetalol 100 mg twice daily.');
    const a = await agent.invoke({ threadId: 'arb-preg', message: 'Hypertension in a 32-year-old woman, 20 weeks pregnant.' });
    expect(a.mode).toBe('model');
    expect(names(a.recommendations)).not.toContain('Losartan');
    expect(a.text).toMatch(/~~Losartan~~ \*\*\[removed by the safety check: contraindicated for this patient\]\*\*/);
    const out = a.excluded.find((e) => e.drug.name === 'Losartan');
    expect(out?.citation?.url).toMatch(/dailymed/);
    expect(a.warnings.some((w) => /Losartan was removed from the model's recommendations/.test(w.message))).toBe(true);
  });

  it('every drug of an "A or B" line is checked, not just the first', async () => {
    const agent = agentSaying('1. Lisinopril or losartan, whichever is on formulary.');
    const a = await agent.invoke({ threadId: 'or-line', message: 'Hypertension, 12 weeks pregnant.' });
    expect(a.text).toMatch(/~~Lisinopril~~/);
    expect(a.text).toMatch(/~~losartan~~/);
    expect(names(a.excluded)).toEqual(expect.arrayContaining(['Lisinopril', 'Losartan']));
    expect(a.recommendations).toEqual([]);
  });

  it('the allergen itself, recommended by the model, is struck through (it used to be skipped before the check)', async () => {
    const agent = agentSaying('1. Amoxicillin 500 mg three times daily for 5 days.');
    const a = await agent.invoke({ threadId: 'allergen', message: 'Community-acquired pneumonia in a 40-year-old. Allergic to amoxicillin (anaphylaxis).' });
    expect(a.text).toMatch(/~~Amoxicillin~~ \*\*\[removed by the safety check/);
    expect(a.warnings.find((w) => w.kind === 'allergy')?.message).toMatch(/Amoxicillin was removed/);
  });

  it('a contraindicated current medication the model says to continue is flagged for review, not passed', async () => {
    const agent = agentSaying('1. Continue metformin 1 g twice daily.');
    const a = await agent.invoke({ threadId: 'cur-met', message: 'Type 2 diabetes, takes metformin. eGFR 22.' });
    expect(a.text).toMatch(/~~metformin~~ \*\*\[safety check: contraindicated for this patient; review this current medication\]\*\*/);
    expect(a.excluded.find((e) => e.drug.name === 'Metformin')?.reason).toMatch(/eGFR 22/);
  });

  it('a drug the answer only refuses is listed as left out, not struck through', async () => {
    const agent = agentSaying('Avoid ibuprofen with warfarin. Paracetamol is reasonable for the pain.');
    const a = await agent.invoke({ threadId: 'refused', message: 'Knee osteoarthritis, on warfarin.' });
    expect(a.text).not.toMatch(/~~ibuprofen~~/i);
    expect(a.text).toMatch(/Avoid ibuprofen with warfarin/);
    expect(a.text).toMatch(/Left out for this patient: Ibuprofen/);
  });

  it('the recommender\'s exclusions are shown beside a tool-calling answer', async () => {
    const agent = agentSaying('1. Labetalol 100 mg twice daily.');
    const a = await agent.invoke({ threadId: 'shown', message: 'Hypertension, 20 weeks pregnant.' });
    expect(a.excluded.length).toBeGreaterThan(0);
    expect(a.excluded.some((e) => /pregnan/i.test(e.reason))).toBe(true);
  });
});

describe('"why not …?" names the drug however the question goes on', () => {
  it('resolves the drug from the leading words and answers from the same engine', async () => {
    const agent = makeAgent({ deps: { graph, safety, evidence } });
    await agent.invoke({ threadId: 'why-long', message: 'Hypertension in a 32-year-old woman, 20 weeks pregnant.' });
    const a = await agent.invoke({ threadId: 'why-long', message: 'Why not losartan for her blood pressure? She prefers once daily.' });
    expect(a.text).toMatch(/Why not Losartan\? .*Left out for this patient — Losartan/);
  });
});
