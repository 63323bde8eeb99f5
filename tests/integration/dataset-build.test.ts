import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backgroundFor, buildExamples, readExamples, splitConditions, writeDataset, type ExpRxRecExample } from '../../dataset/build.js';
import { maskIndications } from '../../dataset/mask.js';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { silentLogger } from '../../lib/log.js';

describe('expRxRec dataset build', () => {
  let kb: EvalKb;
  let examples: ExpRxRecExample[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-ds-'));
  beforeAll(async () => {
    kb = openEvalKb(inject('kbPath'), silentLogger);
    examples = await buildExamples({ graph: kb.graph, db: kb.db, evidence: kb.evidence, outDir: dir, seed: 3, maxConditions: 12 });
  });
  afterAll(() => {
    kb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('builds candidate lists of targets plus non-indicated hard negatives', async () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) {
      expect(ex.candidates).toHaveLength(10);
      expect(new Set(ex.candidates.map((c) => c.id)).size).toBe(10);
      for (const t of ex.targets) expect(ex.candidates.map((c) => c.id)).toContain(t);
      const indicated = new Set((await kb.graph.indicatedDrugs(ex.condition.id, { limit: 1000 })).drugs.map((d) => d.drug.id));
      for (const n of ex.negatives) expect(indicated.has(n.id)).toBe(false);
    }
  });

  it('is reproducible and never puts one condition in two splits', async () => {
    const again = await buildExamples({ graph: kb.graph, db: kb.db, evidence: kb.evidence, outDir: dir, seed: 3, maxConditions: 12 });
    expect(again).toEqual(examples);
    const splitOf = new Map<string, string>();
    for (const ex of examples) {
      expect(splitOf.get(ex.condition.id) ?? ex.split).toBe(ex.split);
      splitOf.set(ex.condition.id, ex.split);
    }
    const s = splitConditions(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 1);
    expect([...s.values()].filter((x) => x === 'test')).toHaveLength(2);
  });

  it('writes JSONL splits and a dataset card atomically', async () => {
    const card = await writeDataset(examples, { outDir: dir, graph: kb.graph, seed: 3 });
    expect(card.counts.total).toBe(examples.length);
    const back = ['train', 'validation', 'test'].flatMap((s) => readExamples(path.join(dir, `${s}.jsonl`)));
    expect(back).toHaveLength(examples.length);
    const md = fs.readFileSync(path.join(dir, 'card.md'), 'utf8');
    expect(md).toMatch(/Background variants/);
    expect(md).toMatch(/license/i);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('gives each variant its own background', () => {
    const ex = examples.find((e) => e.background.trials.length && e.background.pubmed.length) ?? examples[0];
    expect(backgroundFor(ex, 'vanilla')).toEqual([]);
    expect(backgroundFor(ex, 'both').length).toBe(ex.background.trials.length + ex.background.pubmed.length);
    for (const b of backgroundFor(ex, 'trials')) expect(b).toMatch(/^\[NCT\d+\]/);
    for (const b of backgroundFor(ex, 'pubmed')) expect(b).toMatch(/^\[PMID:\d+\]/);
  });

  it('masks the example\'s indications from the graph (leak guard)', async () => {
    const ex = examples[0];
    const masked = maskIndications(kb.graph, ex.hidden);
    const before = (await kb.graph.indicatedDrugs(ex.condition.id, { limit: 1000 })).drugs.map((d) => d.drug.id);
    const after = (await masked.indicatedDrugs(ex.condition.id, { limit: 1000 })).drugs.map((d) => d.drug.id);
    for (const t of ex.targets) {
      expect(before).toContain(t);
      expect(after).not.toContain(t);
      const profile = await masked.drugProfile(t);
      expect(profile.indications.map((i) => i.disease.id)).not.toContain(ex.condition.id);
    }
    // Other diseases' indications stay visible.
    const other = (await kb.graph.drugProfile(ex.targets[0])).indications.filter((i) => i.disease.id !== ex.condition.id);
    expect((await masked.drugProfile(ex.targets[0])).indications).toHaveLength(other.length);
  });
});
