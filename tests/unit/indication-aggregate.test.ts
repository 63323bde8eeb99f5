import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { aggregateIndications, edgeTier, rankMatches, type IndicationRow } from '../../kb/graph/shared.js';
import { readLayTerms } from '../../kb/graph/lay-terms.js';
import { indicationWeight } from '../../clinical/recommender.js';
import type { EntityMatch } from '../../kb/graph/store.js';

const drug = (id: string, name: string) => ({ id, kind: 'Compound', name });
const row = (
  d: ReturnType<typeof drug>,
  metaedge: string,
  edges: { source: string; props: Record<string, unknown> }[],
  via?: { id: string; name: string },
): IndicationRow => ({
  drug: d,
  metaedge,
  edges: edges.map((e) => ({ ...e, license: 'L' })),
  ...(via ? { via: { ...via, kind: 'Disease' } } : {}),
});

describe('indications from several sources read as one answer per drug', () => {
  const metformin = drug('DB00331', 'Metformin');
  const empa = drug('CHEMBL2107830', 'Empagliflozin');
  const sita = drug('DB01261', 'Sitagliptin');
  const rows: IndicationRow[] = [
    row(empa, 'CiD', [{ source: 'chembl', props: { tier: 'approved', resource: 'chembl', max_phase: 4 } }]),
    row(sita, 'CiD', [{ source: 'medi', props: { tier: 'ehr_or_predicted', resource: 'medi_lps' } }, { source: 'labeledin', props: { tier: 'label', resource: 'labeledin' } }]),
    row(metformin, 'CtD', [{ source: 'pharmacotherapydb', props: { category: 'DM' } }]),
    row(metformin, 'CiD', [{ source: 'labeledin', props: { tier: 'label', resource: 'labeledin' } }]),
  ];

  it('curated first, then by best tier; agreement and provenance are kept', () => {
    const out = aggregateIndications(rows);
    expect(out.map((d) => [d.drug.name, d.relation, d.tier])).toEqual([
      ['Metformin', 'treats', 'curated'],
      ['Sitagliptin', 'indicated', 'label'],
      ['Empagliflozin', 'indicated', 'approved'],
    ]);
    expect(out[0].resources).toEqual(['pharmacotherapydb', 'labeledin']);
    expect(out[1].resources).toEqual(['labeledin', 'medi_lps']);
    expect(out[2].provenance[0].detail).toMatch(/tier: approved; resource: chembl; phase: 4/);
  });

  it('a subtype\'s record never outranks the disease\'s own, and is marked with the subtype', () => {
    const strep = { id: 'DOID:10469', name: 'streptococcal pneumonia' };
    const out = aggregateIndications([
      row(drug('DB01060', 'Amoxicillin'), 'CiD', [{ source: 'labeledin', props: { tier: 'label', resource: 'labeledin' } }], strep),
      row(drug('DB00207', 'Azithromycin'), 'CiD', [{ source: 'medi', props: { tier: 'ehr_or_predicted', resource: 'medi_lps' } }]),
    ]);
    expect(out.map((d) => d.drug.name)).toEqual(['Azithromycin', 'Amoxicillin']);
    expect(out[1].via?.name).toBe('streptococcal pneumonia');
    expect(out[0].via).toBeUndefined();
  });

  it('filters by relation and tier; an unknown tier reads as the weakest', () => {
    expect(aggregateIndications(rows, { tiers: ['approved'] }).map((d) => d.drug.name)).toEqual(['Empagliflozin']);
    expect(aggregateIndications(rows, { relations: ['treats'] }).map((d) => d.drug.name)).toEqual(['Metformin']);
    expect(edgeTier('CiD', { tier: 'made-up' })).toBe('investigational');
    expect(edgeTier('CpD', {})).toBe('curated');
  });

  it('weights: label nearly as strong as curated, a subtype discounted, phase 3 least', () => {
    expect(indicationWeight({ relation: 'treats', tier: 'curated' })).toBe(1);
    expect(indicationWeight({ relation: 'indicated', tier: 'label' })).toBe(0.9);
    expect(indicationWeight({ relation: 'indicated', tier: 'label', via: { id: 'x', kind: 'Disease', name: 'y' } })).toBe(0.72);
    expect(indicationWeight({ relation: 'indicated', tier: 'investigational' })).toBeLessThan(indicationWeight({ relation: 'indicated', tier: 'ehr_or_predicted' }));
  });
});

describe('the clinical lay-term vocabulary', () => {
  it('every row names a kind, an identifier and its basis; the shipped table reads', () => {
    const t = readLayTerms();
    expect(t.get('diabetes')?.[0]).toMatchObject({ kind: 'Disease', target: 'DOID:9352' });
    expect(t.get('cap')?.[0].target).toBe('DOID:552');
    expect(t.get('aspirin')?.[0]).toMatchObject({ kind: 'Compound', target: 'DB00945' });
  });

  it('a bad row stops with its line and what is valid', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lay-'));
    const file = path.join(dir, 'lay.tsv');
    fs.writeFileSync(file, 'term\tkind\ttarget\tbasis\nafib\tDiseas\tDOID:0060224\tabbreviation\n');
    expect(() => readLayTerms(file)).toThrow(/line 2: kind must be Disease or Compound, got "Diseas"/);
    fs.writeFileSync(file, 'term\tkind\ttarget\tbasis\nafib\tDisease\tDOID:0060224\t\n');
    expect(() => readLayTerms(file)).toThrow(/line 2: every lay term needs its basis/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a lay term decides among exact matches, before graph membership', () => {
    const m = (id: string, matchType: EntityMatch['matchType'], inGraph: boolean): EntityMatch =>
      ({ id, kind: 'Disease', name: id, matchedOn: 'diabetes', matchType, score: 1, inGraph });
    expect(rankMatches([m('DOID:9351', 'synonym', true), m('DOID:9352', 'preferred', false)], ['Disease'], 2).map((x) => x.id)).toEqual(['DOID:9352', 'DOID:9351']);
  });
});
