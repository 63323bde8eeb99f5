import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { runMimicEval } from '../../evals/mimic-run.js';

const FIXTURE = path.resolve('tests/fixtures/mimic-mini');

describe('MIMIC evaluation on the mini fixture', () => {
  let kb: EvalKb;
  beforeAll(() => {
    kb = openEvalKb(inject('kbPath'), () => {});
  });
  afterAll(() => kb.close());

  it('maps NDC → RxNorm → DrugBank → ATC3 and scores every method', async () => {
    const r = await runMimicEval({ graph: kb.graph, testDir: FIXTURE, dataDir: FIXTURE, folds: 3, seed: 1 });
    expect(r.load.test.admissions).toBe(7);
    // "Mystery Tonic" has an RXCUI but no drug the KB knows: it is reported, not silently dropped.
    expect(r.load.test.unmappedNames.map((u) => u.name)).toContain('Mystery Tonic');
    expect(r.load.test.visitsKept).toBe(7);
    expect(r.methods.map((m) => m.name)).toEqual(['most_frequent', 'cooccurrence', 'kedrec']);
    for (const m of r.methods) {
      for (const k of ['jaccard', 'f1', 'prauc'] as const) expect(m[k]).toBeGreaterThanOrEqual(0);
      expect(m.ddi_rate).not.toBeNull();
      expect(m.patients).toBe(6);
    }
  });

  it('fits on --train and scores --data, and prints one JSON object with --json', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'mimic', '--data', FIXTURE, '--train', FIXTURE, '--json', '--source-data', FIXTURE], {
      env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') },
      timeout: 60_000,
    });
    const r = JSON.parse(stdout) as { methods: { name: string; jaccard: number; f1: number; prauc: number; ddi_rate: number }[]; train: string };
    expect(r.train).toBe(FIXTURE);
    expect(r.methods.map((m) => m.name).sort()).toEqual(['cooccurrence', 'kedrec', 'most_frequent']);
    for (const m of r.methods) expect(Object.keys(m)).toEqual(expect.arrayContaining(['jaccard', 'f1', 'prauc', 'ddi_rate']));
  }, 60_000);

  it('fails loudly on a directory that is not MIMIC-format', async () => {
    await expect(
      promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'mimic', '--data', 'tests/fixtures', '--json'], { env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') } }),
    ).rejects.toThrow(/not a MIMIC-format directory/);
  }, 30_000);
});
