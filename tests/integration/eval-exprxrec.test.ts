import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildExamples, type ExpRxRecExample } from '../../dataset/build.js';
import { evidenceOnlyRecommender, randomRecommender, runExpRxRecEval, type Recommender } from '../../evals/exprxrec.js';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { writeReport } from '../../evals/report.js';
import { silentLogger } from '../../lib/log.js';

describe('expRxRec evaluation', () => {
  let kb: EvalKb;
  let examples: ExpRxRecExample[];
  beforeAll(async () => {
    kb = openEvalKb(inject('kbPath'), silentLogger);
    examples = await buildExamples({ graph: kb.graph, db: kb.db, evidence: kb.evidence, outDir: '', seed: 5, maxConditions: 25 });
  });
  afterAll(() => kb.close());

  it('scores evidence-only well above random choice among candidates', async () => {
    const res = await runExpRxRecEval({ graph: kb.graph, examples, recommenders: [evidenceOnlyRecommender(), randomRecommender()], variants: ['vanilla', 'both'] });
    expect(res).toHaveLength(4);
    const f1 = (r: string, v: string) => res.find((x) => x.recommender === r && x.variant === v)!.prf.micro.f1;
    expect(f1('evidence-only', 'both')).toBeGreaterThan(f1('random', 'both') + 0.15);
    for (const r of res) expect(r.hits.at10).toBe(1);
  }, 180_000);

  it('hands each recommender a graph without the answer', async () => {
    const seen: boolean[] = [];
    const spy: Recommender = {
      name: 'spy',
      async recommend({ example, graph }) {
        const ind = await graph.indicatedDrugs(example.condition.id, { limit: 1000 });
        seen.push(example.targets.some((t) => ind.drugs.some((d) => d.drug.id === t)));
        return { ranked: [], selected: [], rationale: '' };
      },
    };
    await runExpRxRecEval({ graph: kb.graph, examples: examples.slice(0, 5), recommenders: [spy], variants: ['vanilla'] });
    expect(seen).toEqual(seen.map(() => false));
  });

  it('scores rationales with ROUGE where references exist and writes a report', async () => {
    const ex = examples.slice(0, 3);
    const references = new Map([[ex[0].id, 'dummy reference rationale text']]);
    const echo: Recommender = { name: 'echo', recommend: async () => ({ ranked: [], selected: [], rationale: 'dummy reference rationale text' }) };
    const res = await runExpRxRecEval({ graph: kb.graph, examples: ex, recommenders: [echo], variants: ['vanilla'], references });
    expect(res[0].rouge).toEqual({ rouge1: 1, rouge2: 1, rougeL: 1, n: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-report-'));
    const files = writeReport(dir, { exprxrec: res });
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['exprxrec-f1.svg', 'report.json', 'report.md']);
    expect(fs.readFileSync(path.join(dir, 'exprxrec-f1.svg'), 'utf8')).toMatch(/^<svg/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
