import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildKnowledgeBase } from '../../kb/build.js';
import { openKnowledgeBase, KnowledgeBaseError } from '../../kb/open.js';
import { readMetaedges } from '../../kb/sources/hetionet.js';
import { graphBuildSteps } from '../../kb/sources/index.js';
import { buildDefaultKnowledgeBase } from '../../kb/steps.js';

const dataDir = inject('dataDir');
const kbPath = inject('kbPath');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-build-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('knowledge base built from the shared data', () => {
  const db = openKnowledgeBase(kbPath);
  afterAll(() => db.close());

  it('has, for every Hetionet edge file, exactly the edge count metaedges.tsv publishes', () => {
    const metaedges = readMetaedges(path.join(dataDir, 'hetionet', 'metaedges.tsv'));
    const files = fs.readdirSync(path.join(dataDir, 'hetionet', 'edges')).filter((f) => f.endsWith('.tsv') && !f.includes('rebuilt'));
    expect(files.length).toBeGreaterThan(10);
    const count = db.prepare("SELECT COUNT(*) FROM edges WHERE source = 'hetionet' AND metaedge = ?").pluck();
    for (const f of files) {
      const meta = metaedges.get(f.replace(/\.tsv$/, ''))!;
      expect({ file: f, n: count.get(meta.abbreviation) }).toEqual({ file: f, n: meta.edges });
    }
  });

  it('has the 47,031 Hetionet nodes and 192,284 DeepDDI interactions', () => {
    expect(db.prepare('SELECT COUNT(*) FROM nodes WHERE in_hetionet = 1').pluck().get()).toBe(47031);
    expect(db.prepare('SELECT COUNT(*) FROM ddi').pluck().get()).toBe(192284);
  });

  it('keeps PharmacotherapyDB DM/SYM/NOT as treats/palliates/not-indicated with the source and license', () => {
    const rows = db.prepare("SELECT metaedge, COUNT(*) AS n FROM edges WHERE source = 'pharmacotherapydb' GROUP BY metaedge ORDER BY metaedge").all();
    expect(rows).toEqual([{ metaedge: 'CnD', n: 243 }, { metaedge: 'CpD', n: 390 }, { metaedge: 'CtD', n: 755 }]);
  });

  it('records each source with its license and non-commercial flag', () => {
    const sources = db.prepare('SELECT id, license, noncommercial FROM sources').all() as { id: string; license: string; noncommercial: number }[];
    const byId = Object.fromEntries(sources.map((s) => [s.id, s]));
    expect(byId.hetionet.license).toBe('CC0 1.0');
    expect(byId.sider4).toMatchObject({ license: 'CC BY-NC-SA 4.0', noncommercial: 1 });
    expect(byId.drugbank.noncommercial).toBe(1);
  });
});

describe('build failures', () => {
  /** A data directory that mirrors the shared one but with one file replaced. */
  function dataDirWith(relative: string, content: string): string {
    const d = fs.mkdtempSync(path.join(tmp, 'data-'));
    for (const entry of fs.readdirSync(dataDir)) fs.symlinkSync(path.join(dataDir, entry), path.join(d, entry));
    const top = relative.split('/')[0];
    fs.rmSync(path.join(d, top));
    fs.cpSync(path.join(dataDir, top), path.join(d, top), { recursive: true });
    fs.chmodSync(path.join(d, top), 0o755);
    const target = path.join(d, relative);
    fs.rmSync(target, { force: true });
    fs.writeFileSync(target, content);
    return d;
  }

  it('fails on a malformed source with file, line and expectation, and leaves the previous KB intact', () => {
    const out = path.join(tmp, 'kb.sqlite');
    fs.writeFileSync(out, 'previous knowledge base');
    const bad = dataDirWith('hetionet/hetionet-v1.0-nodes.tsv', 'id\tname\tkind\nCompound::DB00001\tLepirudin\tCompound\nDB00002 Cetuximab Compound\n');
    expect(() => buildKnowledgeBase({ dataDir: bad, outPath: out, steps: graphBuildSteps })).toThrowError(
      /hetionet-v1\.0-nodes\.tsv:3: expected 3 tab-separated fields/,
    );
    expect(fs.readFileSync(out, 'utf8')).toBe('previous knowledge base');
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('names a missing source file', () => {
    const d = fs.mkdtempSync(path.join(tmp, 'empty-'));
    expect(() => buildKnowledgeBase({ dataDir: d, outPath: path.join(tmp, 'x.sqlite'), steps: graphBuildSteps })).toThrowError(/hetionet-v1\.0-nodes\.tsv: expected the file to exist/);
    expect(fs.existsSync(path.join(tmp, 'x.sqlite'))).toBe(false);
  });

  it('refuses a data directory that does not exist, saying how to set it', () => {
    expect(() => buildKnowledgeBase({ dataDir: path.join(tmp, 'nope'), outPath: path.join(tmp, 'y.sqlite'), steps: graphBuildSteps })).toThrowError(/KEDREC_DATA_DIR/);
  });

  it('open fails on a missing or corrupt KB with the command that fixes it', () => {
    expect(() => openKnowledgeBase(path.join(tmp, 'missing.sqlite'))).toThrowError(/kedrec kb build/);
    const corrupt = path.join(tmp, 'corrupt.sqlite');
    fs.writeFileSync(corrupt, 'not a database at all, just text'.repeat(100));
    expect(() => openKnowledgeBase(corrupt)).toThrowError(KnowledgeBaseError);
    expect(() => openKnowledgeBase(corrupt)).toThrowError(/kedrec kb build/);
  });
});

describe('build without non-commercial sources', () => {
  it('leaves out DrugBank, SIDER, DeepDDI and non-commercial edge licenses, and still resolves drugs', () => {
    const out = path.join(tmp, 'commercial.sqlite');
    buildDefaultKnowledgeBase({ dataDir, outPath: out, noncommercial: false });
    const db = new Database(out, { readonly: true });
    try {
      const sources = db.prepare('SELECT id FROM sources').pluck().all() as string[];
      expect(sources).not.toEqual(expect.arrayContaining(['drugbank']));
      for (const id of ['drugbank', 'sider4', 'deepddi']) expect(sources).not.toContain(id);
      expect(db.prepare('SELECT COUNT(*) FROM sources WHERE noncommercial = 1').pluck().get()).toBe(0);
      expect(db.prepare("SELECT COUNT(*) FROM edges WHERE license LIKE '%NC%'").pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM ddi').pluck().get()).toBe(0);
      expect(db.prepare("SELECT COUNT(*) FROM nodes WHERE description IS NOT NULL AND kind = 'Compound'").pluck().get()).toBe(0);
      expect(db.prepare("SELECT value FROM meta WHERE key = 'noncommercial'").pluck().get()).toBe('0');
      // Names still come from Hetionet (CC0) and DrugCentral (CC BY 4.0).
      expect(db.prepare("SELECT n.id FROM terms t JOIN nodes n USING (nid) WHERE t.term_norm = 'metformin'").pluck().get()).toBe('DB00331');
      // The safety rules load too, and their key drugs resolve without the DrugBank vocabulary.
      expect(db.prepare("SELECT COUNT(*) FROM safety_rules").pluck().get()).toBeGreaterThan(400);
      const unresolved = new Set(db.prepare('SELECT name FROM safety_unresolved').pluck().all() as string[]);
      for (const n of ['acetylsalicylic acid', 'losartan', 'metformin', 'warfarin', 'valproic acid', 'sulfasalazine', 'edoxaban', 'lithium', 'methotrexate', 'isotretinoin', 'nitrofurantoin']) expect(unresolved.has(n), n).toBe(false);
      const arbs = JSON.parse(db.prepare("SELECT members FROM safety_groups WHERE key = 'arbs'").pluck().get() as string) as string[];
      expect(arbs).toEqual(expect.arrayContaining(['DB00678', 'DB00966', 'DB00796']));
    } finally {
      db.close();
    }
    // A whole KB build: about 15 s alone, several times that on a loaded 2-core machine.
  }, 240_000);
});
