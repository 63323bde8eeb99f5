import { describe, expect, it } from 'vitest';
import {
  bindingRole,
  bindingVerb,
  mechanismTargets,
  codeFallbacks,
  edgeProvenance,
  fillDdiTemplate,
  jaccard,
  looksLikeBareCode,
  METAEDGE_LABELS,
  parsePrefixedCode,
  pathScore,
  pathText,
  rankMatches,
} from '../../kb/graph/shared.js';
import type { EntityMatch } from '../../kb/graph/store.js';

describe('graph store shared helpers', () => {
  it('fills DeepDDI templates literally, even when a name holds replacement syntax', () => {
    expect(fillDdiTemplate('#Drug1 may increase the anticoagulant activities of #Drug2.', 'Warfarin', 'Aspirin')).toBe(
      'Warfarin may increase the anticoagulant activities of Aspirin.',
    );
    expect(fillDdiTemplate('#Drug2 and #Drug1 and #Drug1', "A$&'", '$1B')).toBe("$1B and A$&' and A$&'");
  });

  it('scores paths by the product of degree^-0.5, lower through hubs', () => {
    expect(pathScore([1, 1, 1, 1])).toBe(1);
    expect(pathScore([4, 1, 1, 4])).toBeCloseTo(0.25);
    expect(pathScore([2, 100, 100, 2])).toBeLessThan(pathScore([2, 3, 3, 2]));
    expect(pathScore([3, 0])).toBe(0);
  });

  it('tells a path as a sentence', () => {
    const nodes = [
      { id: 'DB00331', kind: 'Compound', name: 'Metformin' },
      { id: 'NCBIGene:5562', kind: 'Gene', name: 'PRKAA1' },
      { id: 'NCBIGene:5563', kind: 'Gene', name: 'PRKAA2' },
      { id: 'DOID:9352', kind: 'Disease', name: 'type 2 diabetes mellitus' },
    ];
    const edges = ['CbG', 'GiG', 'DaG'].map((m) => ({ label: METAEDGE_LABELS[m] }));
    expect(pathText(nodes, edges)).toBe('Metformin binds PRKAA1, which interacts with PRKAA2, which is associated with type 2 diabetes mellitus.');
    expect(() => pathText(nodes, edges.slice(1))).toThrow(/needs 3 nodes/);
  });

  it('words provenance the same way for every backend', () => {
    expect(edgeProvenance('pharmacotherapydb', 'CC0 1.0', { category: 'DM', n_curators: 3 })).toEqual({
      source: 'pharmacotherapydb', license: 'CC0 1.0', detail: 'category: DM; curators: 3',
    });
    expect(edgeProvenance('hetionet', 'CC BY 4.0', { sources: 'DrugBank (target)', pmids: ['123', 456] })).toEqual({
      source: 'hetionet', license: 'CC BY 4.0', pmids: ['123', '456'], detail: 'sources: DrugBank (target)',
    });
    expect(edgeProvenance('hetionet', 'CC0 1.0', {})).toEqual({ source: 'hetionet', license: 'CC0 1.0' });
  });

  it('parses codes users type', () => {
    expect(parsePrefixedCode('MSH:D003924')).toEqual({ system: 'MESH', code: 'D003924' });
    expect(parsePrefixedCode('icd10 : e11.9')).toEqual({ system: 'ICD10', code: 'E11.9' });
    expect(parsePrefixedCode('metformin')).toBeNull();
    expect(parsePrefixedCode('FOO:1')).toBeNull();
    expect(codeFallbacks('ICD10', 'E11.65')).toEqual(['E11.65', 'E11.6', 'E11']);
    expect(codeFallbacks('MESH', 'D003924')).toEqual(['D003924']);
    expect(looksLikeBareCode('E11.9')).toBe(true);
    expect(looksLikeBareCode('METFORMIN')).toBe(false);
  });

  it('ranks an id match above the same entity found as a code term, and filters kinds', () => {
    const m = (id: string, matchType: EntityMatch['matchType'], score = 1, kind = 'Compound'): EntityMatch =>
      ({ id, kind, name: id, matchedOn: id, matchType, score, inGraph: true });
    expect(rankMatches([m('DB00331', 'code'), m('DB00331', 'id')], undefined, 10).map((x) => x.matchType)).toEqual(['id']);
    expect(rankMatches([m('A', 'fuzzy', 0.8), m('B', 'name'), m('C', 'name', 1, 'Disease')], ['Compound'], 10).map((x) => x.id)).toEqual(['B', 'A']);
    expect(jaccard(0, 3, 4)).toBe(0);
    expect(jaccard(2, 3, 3)).toBe(0.5);
  });
});

describe('what a drug–gene binding edge says about mechanism', () => {
  it('DrugBank targets and DrugCentral are targets; DrugBank enzymes, transporters and carriers are pharmacokinetic; ChEMBL alone is binding', () => {
    expect(bindingRole({ sources: 'ChEMBL|DrugBank (target)|DrugCentral (ChEMBL)' })).toBe('target');
    expect(bindingRole({ sources: 'DrugBank (enzyme)' })).toBe('pharmacokinetic');
    expect(bindingRole({ sources: 'ChEMBL|DrugBank (transporter)' })).toBe('pharmacokinetic');
    expect(bindingRole({ sources: 'DrugBank (carrier)' })).toBe('pharmacokinetic');
    expect(bindingRole({ sources: 'ChEMBL' })).toBe('binding');
  });

  it('the action in words, "binds" when none is known', () => {
    expect(bindingVerb({ actions: ['antagonist'] })).toBe('blocks');
    expect(bindingVerb({ actions: ['substrate', 'inhibitor'] })).toBe('inhibits');
    expect(bindingVerb({ actions: [] })).toBe('binds');
  });

  it('targets when the drug has any, else measured binding; never pharmacokinetic proteins', () => {
    const edges = [
      { gene: 'AGTR1', props: { sources: 'DrugBank (target)', actions: ['antagonist'] } },
      { gene: 'ACE', props: { sources: 'ChEMBL' } },
      { gene: 'CYP2C9', props: { sources: 'DrugBank (enzyme)', actions: ['inhibitor'] } },
    ];
    expect(mechanismTargets(edges)).toEqual([{ gene: 'AGTR1', verb: 'blocks' }]);
    expect(mechanismTargets(edges.slice(1))).toEqual([{ gene: 'ACE', verb: 'binds' }]);
    expect(mechanismTargets(edges.slice(2))).toEqual([]);
  });
});
