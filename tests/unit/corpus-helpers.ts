import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildKnowledgeBase } from '../../kb/build.js';
import { type BuildStep } from '../../kb/base/build-context.js';
import { corpusBuildSteps, corpusDdl, corpusIndexes } from '../../kb/corpus/steps.js';
import { API_FIXTURES_DIR } from '../fixtures/api-fixtures.js';

const CORPUS_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/corpus');

/** A few graph nodes so the corpus steps have something to link to by id, name, ICD-10 and MeSH. */
const miniGraph: BuildStep = {
  id: 'mini-graph',
  title: 'test graph',
  sources: ['hetionet'],
  run(ctx) {
    const metformin = ctx.addNode({ id: 'DB00331', kind: 'Compound', name: 'Metformin', source: 'hetionet', inHetionet: true });
    ctx.addXref(metformin, 'MESH', 'D008687', 'hetionet');
    const famotidine = ctx.addNode({ id: 'DB00927', kind: 'Compound', name: 'Famotidine', source: 'hetionet', inHetionet: true });
    ctx.addXref(famotidine, 'MESH', 'D015738', 'hetionet');
    ctx.addNode({ id: 'DB00502', kind: 'Compound', name: 'Haloperidol', source: 'hetionet', inHetionet: true });
    ctx.addNode({ id: 'DB00945', kind: 'Compound', name: 'Aspirin', source: 'hetionet', inHetionet: true });
    ctx.addNode({ id: 'DB01229', kind: 'Compound', name: 'Paclitaxel', source: 'hetionet', inHetionet: true });
    const t2d = ctx.addNode({ id: 'DOID:9352', kind: 'Disease', name: 'type 2 diabetes mellitus', source: 'hetionet', inHetionet: true });
    ctx.addXref(t2d, 'ICD10', 'E11', 'hetionet');
    const bc = ctx.addNode({ id: 'DOID:1612', kind: 'Disease', name: 'breast cancer', source: 'hetionet', inHetionet: true });
    const sub = ctx.addNode({ id: 'DOID:0050671', kind: 'Disease', name: 'female breast cancer', source: 'hetionet' });
    ctx.addEdge(sub, 'DsD', bc, 'disease-ontology', 'CC BY 3.0');
    const del = ctx.addNode({ id: 'DOID:0060165', kind: 'Disease', name: 'delirium', source: 'hetionet' });
    ctx.addXref(del, 'MESH', 'D003693', 'hetionet');
  },
};

/**
 * Hand-written fixtures stored under their own names, so they are never mistaken for the shared
 * upstream files (the pre-submit check flags upstream names in the repository), and the upstream
 * names the readers expect, which the copy in the temp data dir takes: [source dir, fixture
 * name, replacement].
 */
const UPSTREAM_NAMES: [string, RegExp, string][] = [
  ['bc5cdr', /\.fixture\.txt$/, '.PubTator.txt'],
  ['pubmedqa', /^pqal\.fixture\.json$/, 'ori_pqal.json'],
];

/** Builds a small KB (mini graph + corpus from tests/fixtures/corpus) and opens it read-only. */
export function buildFixtureKb(opts: { noncommercial?: boolean } = {}): { db: Database.Database; dir: string; seconds: number; close(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-corpus-unit-'));
  const out = path.join(dir, 'kb.sqlite');
  const dataDir = path.join(dir, 'data');
  fs.cpSync(CORPUS_FIXTURES, dataDir, { recursive: true });
  for (const [source, fixture, upstream] of UPSTREAM_NAMES) {
    for (const f of fs.readdirSync(path.join(dataDir, source))) {
      if (fixture.test(f)) fs.renameSync(path.join(dataDir, source, f), path.join(dataDir, source, f.replace(fixture, upstream)));
    }
  }
  const r = buildKnowledgeBase({
    dataDir, outPath: out, noncommercial: opts.noncommercial,
    steps: [miniGraph, ...corpusBuildSteps], extraDdl: corpusDdl, extraIndexes: corpusIndexes,
  });
  const db = new Database(out, { readonly: true });
  return { db, dir, seconds: r.seconds, close: () => { db.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

/** Directory of the recorded API responses (shared, read in place). */
const API_FIXTURES = API_FIXTURES_DIR;
export const hasApiFixtures = fs.existsSync(API_FIXTURES);
export const apiFixture = (name: string) => fs.readFileSync(path.join(API_FIXTURES, name), 'utf8');
