import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crossCheckModelCase } from '../../agent/case-model.js';
import { makeAgent } from '../../agent/index.js';
import { applyCaseDelta, parseCaseDelta } from '../../clinical/case-reader.js';
import { emptyCase, type TrackedCase } from '../../clinical/case-types.js';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { silentLogger } from '../../lib/log.js';

/**
 * Model-assisted case reading (issue 13, item 3): the model reads the message into the case schema
 * with structured output, and the rule reader cross-checks it. The model is faked (its structured
 * reply is the test's data); the reader, the KB and the agent are real.
 */
let kb: EvalKb;
beforeAll(() => {
  kb = openEvalKb(inject('kbPath'), silentLogger);
});
afterAll(() => kb?.close());

const ids = (c: TrackedCase) => c.conditions.map((x) => x.id);

async function read(message: string, model: Parameters<typeof crossCheckModelCase>[2], current = emptyCase()) {
  const delta = crossCheckModelCase(message, parseCaseDelta(message), model);
  return applyCaseDelta(kb.graph, current, delta, message, kb.safety.knowledge);
}

describe('the rule reader cross-checks the model\'s reading', () => {
  it('an addition the text negates or gives to a relative is refused, and said', async () => {
    const r = await read('HIV-positive man, no hepatitis B; his mother had breast cancer.', { conditions_add: ['HIV', 'hepatitis B', 'breast cancer'] });
    expect(ids(r.case)).toEqual(['DOID:526']);
    expect(r.notices.join(' ')).toMatch(/"hepatitis B" as a condition, but the text negates it/);
    expect(r.notices.join(' ')).toMatch(/"breast cancer" as a condition, but the text gives it to a relative/);
  });

  it('a removal needs the text\'s own negation: a stated finding stays', async () => {
    const start = (await read('asthma and hypertension in a 50-year-old man', {})).case;
    const r = await read('What should we start for his blood pressure?', { conditions_remove: ['asthma'] }, start);
    expect(ids(r.case)).toContain('DOID:2841');
    expect(r.notices.join(' ')).toMatch(/"asthma" as no longer the patient's, but the text does not say so/);
  });

  it('what the model adds beyond the reader resolves through the KB and is named as the model\'s', async () => {
    const r = await read('her heart is failing, takes water tablets', { conditions_add: ['heart failure'], medications_add: ['furosemide'] });
    expect(ids(r.case)).toContain('DOID:6000');
    expect(r.case.currentMedications.map((m) => m.id)).toContain('DB00695');
    expect(r.notices.join(' ')).toMatch(/Read with the model's help .*"heart failure", "furosemide"/);
    const bad = await read('insomnia', { medications_add: ['zzzblocker'] });
    expect(bad.case.currentMedications).toEqual([]);
    expect(bad.unresolved).toContain('zzzblocker');
  });

  it('pregnancy: when the two disagree the stricter reading stands and the clinician is asked', async () => {
    const r = await read('28-year-old woman, not pregnant, with hypertension', { pregnant: true });
    expect(r.case.pregnant).toBe(true);
    expect(r.notices.join(' ')).toMatch(/disagree on whether she is pregnant/);
  });
});

describe('in the agent (model mode)', () => {
  it('the model reads the case, the reader refuses its negated finding, and the notice reaches the answer', async () => {
    const model = fakeModel()
      .structuredResponse({ conditions_add: ['HIV infection', 'hepatitis B'] })
      .respond(new AIMessage('Antiretroviral therapy per the recommender.'));
    const agent = makeAgent({ model, deps: { graph: kb.graph, evidence: kb.evidence, safety: kb.safety }, mode: 'retrieve-then-generate', llmCaseExtraction: true });
    const a = await agent.invoke({ threadId: 'case-model', message: 'HIV-positive man, no hepatitis B. Which antiretroviral regimen?' });
    expect(a.case.conditions.join(' ')).toMatch(/DOID:526/);
    expect(a.case.conditions.join(' ')).not.toMatch(/DOID:2043/);
    expect(a.notices.join(' ')).toMatch(/"hepatitis B" as a condition, but the text negates it/);
  });
});
