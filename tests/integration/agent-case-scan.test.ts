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
