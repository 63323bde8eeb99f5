import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { runMimicEval } from '../../evals/mimic-run.js';
import { writeReport } from '../../evals/report.js';
import { silentLogger } from '../../lib/log.js';

/**
 * The hand-written fixture is stored as *.fixture.csv (never mistaken for the shared MIMIC
 * files) and laid out under the upstream names in a temporary directory.
 */
function layOutMimicFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-mimic-mini-'));
  fs.cpSync(path.resolve('tests/fixtures/mimic-mini'), dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.fixture.csv')) fs.renameSync(path.join(dir, f), path.join(dir, f.replace(/\.fixture\.csv$/, '.csv')));
  return dir;
}

describe('MIMIC evaluation on the mini fixture', () => {
  let kb: EvalKb;
  let FIXTURE: string;
  beforeAll(() => {
    kb = openEvalKb(inject('kbPath'), silentLogger);
    FIXTURE = layOutMimicFixture();
  });
  afterAll(() => {
    kb.close();
    fs.rmSync(FIXTURE, { recursive: true, force: true });
  });

  it('maps NDC → RxNorm → DrugBank → ATC3 and scores every method', async () => {
    const r = await runMimicEval({ graph: kb.graph, testDir: FIXTURE, dataDir: FIXTURE, folds: 3, seed: 1, repeats: 2 });
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
    // Two repeats with seeds 1 and 2, each scoring every patient once, and the KB ablation beside kedrec.
    expect(r.repeats.map((x) => x.seed)).toEqual([1, 2]);
    expect(r.repeats[0].methods.map((m) => m.name)).toEqual(['most_frequent', 'cooccurrence', 'kedrec', 'kedrec_without_kb']);
    expect(r.ablations.map((m) => m.name)).toEqual(['kedrec_without_kb']);
    const kedrec = r.methods.find((m) => m.name === 'kedrec')!;
    expect(kedrec.jaccard).toBeCloseTo((r.repeats[0].methods[2].jaccard + r.repeats[1].methods[2].jaccard) / 2, 10);
    expect(Object.keys(kedrec.params)).toEqual(expect.arrayContaining(['kbIndicated', 'previousAdmission', 'diagnosisLift']));
    expect(r.kedrecWins.map((w) => [w.baseline, w.of])).toEqual([['most_frequent', 2], ['cooccurrence', 2]]);

    // The written report carries the spread, the ablation, kedrec's learned weights and the chart.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-mimic-report-'));
    try {
      const files = writeReport(out, { mimic: r, seconds: r.seconds });
      expect(files.map((f) => path.basename(f)).sort()).toEqual(['mimic.svg', 'report.json', 'report.md']);
      const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
      expect(md).toMatch(/Means ± standard deviation over 2 cross-validation repeats/);
      expect(md).toMatch(/\| kedrec_without_kb \| \d\.\d{4} ± \d\.\d{4} \|/);
      expect(md).toMatch(/`kbIndicated`: 1 when the knowledge graph records/);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).mimic.repeats).toHaveLength(2);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
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

  it('rejects a repeat count that is not a positive integer, naming what is valid', async () => {
    await expect(
      promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'mimic', '--data', FIXTURE, '--repeats', '0', '--json'], { env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') } }),
    ).rejects.toThrow(/--repeats must be an integer ≥ 1, got 0/);
  }, 30_000);

  it('fails loudly on a directory that is not MIMIC-format', async () => {
    await expect(
      promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'mimic', '--data', 'tests/fixtures', '--json'], { env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') } }),
    ).rejects.toThrow(/not a MIMIC-format directory/);
  }, 30_000);
});
