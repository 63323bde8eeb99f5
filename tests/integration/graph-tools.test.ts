import { afterAll, describe, expect, inject, it } from 'vitest';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { checkInteractionsTool } from '../../tools/check-interactions.js';
import { explainDrugConditionLinkTool } from '../../tools/explain-drug-condition-link.js';
import { findDrugsForConditionTool } from '../../tools/find-drugs-for-condition.js';
import { getDrugProfileTool } from '../../tools/get-drug-profile.js';
import { graphTools } from '../../tools/graph-tools.js';
import { resolveEntityTool } from '../../tools/resolve-entity.js';
import { renderResult, runTool, ToolError } from '../../tools/spec.js';

const graph = createSqliteGraphStore(openKnowledgeBase(inject('kbPath')));
const deps = { graph };
afterAll(() => graph.close());

describe('graph tools on the real knowledge base', () => {
  it('every tool has a snake_case verb-first name, a strict input with described fields, and an output schema', () => {
    for (const t of graphTools) {
      expect(t.name).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(t.description.length).toBeGreaterThan(80);
      for (const [field, schema] of Object.entries(t.input.shape)) {
        expect({ field, d: (schema as { description?: string }).description }).toMatchObject({ d: expect.any(String) });
      }
      expect(t.input.safeParse({ bogus: 1 }).success).toBe(false);
    }
  });

  it('resolve_entity finds metformin from a brand name and a typo', async () => {
    const brand = await runTool(resolveEntityTool, { query: 'Glucophage' }, deps);
    expect(brand.matches[0]).toMatchObject({ id: 'DB00331', name: 'Metformin', matchType: 'synonym' });
    const typo = await runTool(resolveEntityTool, { query: 'metfromin', kinds: ['Compound'] }, deps);
    expect(typo.matches[0]).toMatchObject({ id: 'DB00331', matchType: 'fuzzy' });
  });

  it('find_drugs_for_condition accepts an ICD-10 code and lists metformin as a curated indication with provenance', async () => {
    const r = await runTool(findDrugsForConditionTool, { condition: 'ICD10:E11', limit: 50 }, deps);
    expect(r.condition.id).toBe('DOID:9352');
    const metformin = r.drugs.find((d) => d.drug.id === 'DB00331');
    expect(metformin?.relation).toBe('treats');
    expect(metformin?.tier).toBe('curated');
    expect(metformin?.provenance.map((p) => p.source)).toEqual(expect.arrayContaining(['hetionet', 'pharmacotherapydb']));
    expect(renderResult(findDrugsForConditionTool, r)).toContain('Metformin (DB00331) — physician-curated indication (PharmacotherapyDB); also indication listed on the FDA label (LabeledIn)');
  });

  it('get_drug_profile cites licenses for targets and SIDER side effects, most frequent first', async () => {
    const p = await runTool(getDrugProfileTool, { drug: 'Glucophage', max_side_effects: 5 }, deps);
    expect(p.drug.id).toBe('DB00331');
    expect(p.counts.sideEffects).toBeGreaterThan(5);
    expect(p.targets.length).toBeGreaterThan(0);
    expect(p.sideEffects.length).toBeLessThanOrEqual(5);
    expect(p.sideEffects[0].provenance[0]).toMatchObject({ source: 'sider4', license: 'CC BY-NC-SA 4.0' });
    const freqs = p.sideEffects.map((s) => s.frequencyValue ?? -1);
    expect([...freqs].sort((a, b) => b - a)).toEqual(freqs);
  });

  it('explain_drug_condition_link returns ranked mechanism sentences for a recorded indication', async () => {
    const r = await runTool(explainDrugConditionLinkTool, { drug: 'metformin', condition: 'type 2 diabetes mellitus', limit: 5 }, deps);
    expect(r.recordedIndication).toBe('treats');
    expect(r.paths.length).toBeGreaterThan(0);
    expect(r.paths[0].text).toMatch(/^Metformin (?:binds|inhibits|activates) .+ type 2 diabetes mellitus\.$/);
    const scores = r.paths.map((p) => p.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('check_interactions words the DeepDDI interaction of warfarin and rifaximin without a direction', async () => {
    const r = await runTool(checkInteractionsTool, { drugs: ['Coumadin', 'rifaximin', 'metformin'] }, deps);
    expect(r.checkedPairs).toBe(3);
    // Without the safety tables (a graph-only deployment) the fallback is neutral too.
    expect(r.interactions).toContainEqual(expect.objectContaining({ type: 4, sentence: expect.stringMatching(/^Rifaximin and Warfarin interact .*not stated reliably/) }));
    expect(r.interactions[0].provenance[0]).toMatchObject({ source: 'deepddi', license: 'CC BY-NC 4.0' });
  });

  it('rejects a misnamed argument with the valid names, and an unknown drug with suggestions', async () => {
    await expect(runTool(getDrugProfileTool, { name: 'metformin' }, deps)).rejects.toThrowError(/unknown argument\(s\) "name"; valid arguments are: drug, max_targets, max_side_effects/);
    const err = await runTool(getDrugProfileTool, { drug: 'metforminn xr' }, deps).catch((e) => e);
    if (err instanceof ToolError) expect(err.message).toMatch(/Did you mean: .*Metformin/);
    else expect(err.drug?.id).toBe('DB00331');
    await expect(runTool(checkInteractionsTool, { drugs: ['warfarin'] }, deps)).rejects.toThrowError(/drugs: .*2/);
  });

  it('treats SQL metacharacters in names as plain text', async () => {
    const r = await runTool(resolveEntityTool, { query: "'; DROP TABLE nodes; --" }, deps);
    expect(r.matches).toEqual([]);
    const again = await runTool(resolveEntityTool, { query: 'warfarin' }, deps);
    expect(again.matches[0].id).toBe('DB00682');
  });
});
