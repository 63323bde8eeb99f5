import { afterAll, describe, expect, inject, it } from 'vitest';
import { updateCase } from '../../clinical/case-reader.js';
import { emptyCase } from '../../clinical/case-types.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { explainDrugConditionLinkTool } from '../../tools/explain-drug-condition-link.js';
import { findDrugsForConditionTool } from '../../tools/find-drugs-for-condition.js';
import { recommendDrugsTool } from '../../tools/recommend-drugs.js';
import { z } from 'zod';
import { caseFromArgs, patientShape } from '../../tools/patient-input.js';
import { resolveEntityTool } from '../../tools/resolve-entity.js';
import { runTool } from '../../tools/spec.js';

/**
 * Issue 12: every tool, and the case reader, read the same words as the same disease and agree on
 * its indications. Parent terms and clinical shorthand are where they used to disagree
 * (find_drugs_for_condition("diabetes") returned nothing while recommend_drugs ranked metformin first).
 */
const db = openKnowledgeBase(inject('kbPath'));
const graph = createSqliteGraphStore(db);
const safety = openSafetyEngine(db, graph).engine;
const deps = { graph, safety };
afterAll(() => graph.close());

const WORDS: [string, string][] = [
  ['diabetes', 'DOID:9352'],
  ['heart failure', 'DOID:6000'],
  ['pneumonia', 'DOID:552'],
  ['CAP', 'DOID:552'],
  ['UTI', 'DOID:13148'],
  ['AF', 'DOID:0060224'],
  ['high cholesterol', 'HP:0003124'],
  ['OCD', 'DOID:10933'],
];

describe('the same words, the same disease, in every tool and in the case', () => {
  for (const [words, id] of WORDS) {
    it(`"${words}" → ${id} everywhere, and the indications agree`, async () => {
      const resolved = await runTool(resolveEntityTool, { query: words, kinds: ['Disease'], limit: 3 }, deps);
      expect(resolved.matches[0]?.id).toBe(id);
      const found = await runTool(findDrugsForConditionTool, { condition: words, limit: 50 }, deps);
      expect(found.condition.id).toBe(id);
      expect(found.drugs.length).toBeGreaterThanOrEqual(3);
      const rec = await runTool(recommendDrugsTool, recommendDrugsTool.input.parse({ conditions: [words], limit: 5 }), deps);
      // recommend_drugs reads its conditions as caseFromArgs does; its rationales cite the same disease.
      expect((await caseFromArgs(deps, [words], z.object(patientShape).strict().parse({}), true)).case.conditions.map((x) => x.id)).toEqual([id]);
      expect(rec.recommendations.length).toBeGreaterThan(0);
      const { case: c } = await updateCase(graph, emptyCase(), `58-year-old with ${words}. What should we start?`, safety.knowledge);
      expect(c.conditions.map((x) => x.id)).toContain(id);
      // Written in a problem list without a cue, as notes do.
      const listed = await updateCase(graph, emptyCase(), `PMH: ${words}, back pain.`, safety.knowledge);
      expect(listed.case.conditions.map((x) => x.id), `problem list: ${words}`).toContain(id);
      expect(c.conditions.map((x) => x.id)).toContain(id);
      // Every recommendation is an indication find_drugs_for_condition lists, and explain says so with the same tier.
      const all = await runTool(findDrugsForConditionTool, { condition: words, limit: 50, tiers: ['curated', 'label', 'approved', 'label_mined', 'ehr_or_predicted'] }, deps);
      for (const r of rec.recommendations.slice(0, 3)) {
        const listed = (await graph.indicatedDrugs(id, { limit: 100_000 })).drugs.find((d) => d.drug.id === r.drug.id);
        expect(listed, `${r.drug.name} recommended for ${words} but not an indication`).toBeDefined();
        const why = await runTool(explainDrugConditionLinkTool, { drug: r.drug.id, condition: words, limit: 1 }, deps);
        expect(why.condition.id).toBe(id);
        expect(why.recordedIndication).toBe(listed!.relation);
        expect(why.tier).toBe(listed!.tier);
      }
      expect(all.condition.id).toBe(id);
    });
  }

  it('a loose fuzzy match is a suggestion in every tool, never an answer ("insomnia" is not fatal familial insomnia)', async () => {
    const e = await runTool(findDrugsForConditionTool, { condition: 'fatal insomnia familial xyz', limit: 5 }, deps).catch((err: Error) => err);
    expect(e).toBeInstanceOf(Error);
  });
});

describe('the lay-term vocabulary against the built knowledge base', () => {
  it('every term names an entity the KB has, of the kind the row says', async () => {
    const { readLayTerms } = await import('../../kb/graph/lay-terms.js');
    const missing: string[] = [];
    for (const rows of readLayTerms().values()) {
      for (const t of rows) {
        const e = await graph.getEntity(t.target);
        if (!e || e.kind !== t.kind) missing.push(`${t.term} → ${t.target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
