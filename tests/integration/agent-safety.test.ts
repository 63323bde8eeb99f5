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
  agent = makeAgent({ deps: { graph, safety: openSafetyEngine(db, graph).engine, evidence: createEvidenceStore({ db, log: () => {} }) }, log: () => {} });
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
