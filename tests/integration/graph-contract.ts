/**
 * The GraphStore contract: one set of checks every backend must pass, against the knowledge
 * base built from the real shared data (not a fixture), so SQLite and Neo4j are held to the
 * same answers. Backend test files call graphStoreContract() with a store factory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UnknownEntityError, type GraphStore, type Provenance } from '../../kb/graph/store.js';

const METFORMIN = 'DB00331';
const WARFARIN = 'DB00682';
const T2D = 'DOID:9352';

/** A warfarin interaction as published in DeepDDI's Drugbank.txt, with its template. */
function warfarinInteractionFromSource(): { drug1: string; drug2: string; type: number; template: string } {
  const dir = path.join(inject('dataDir'), 'ddi-drugbank-deepddi');
  const lines = fs.readFileSync(path.join(dir, 'Drugbank.txt'), 'utf8').split('\n');
  // Prefer a well-known partner (aspirin) so a failure message is readable; fall back to the first row.
  const rows = lines.slice(1).map((l) => l.split('\t')).filter((c) => c.length >= 3 && c[0] === WARFARIN);
  const row = rows.find((c) => c[1] === 'DB00945') ?? rows[0];
  if (!row) throw new Error('Drugbank.txt has no interaction with warfarin as drug1; the shared data changed');
  const templates = fs.readFileSync(path.join(dir, 'ddi_type_templates.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
  const template = templates.find((t) => Number(t[0]) === Number(row[2]))?.[1]?.trim();
  if (!template) throw new Error(`no template for DeepDDI type ${row[2]}`);
  return { drug1: row[0], drug2: row[1], type: Number(row[2]), template };
}

function expectCited(provenance: Provenance[]): void {
  expect(provenance.length).toBeGreaterThan(0);
  for (const p of provenance) {
    expect(p.source).toMatch(/\S/);
    expect(p.license).toMatch(/\S/);
    expect(p.license).not.toBe('unknown');
  }
}

async function expectUnknown(p: Promise<unknown>, kind: string): Promise<UnknownEntityError> {
  const err = await p.then(
    () => {
      throw new Error('expected UnknownEntityError, the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnknownEntityError);
  const u = err as UnknownEntityError;
  expect(u.expectedKind).toBe(kind);
  return u;
}

/**
 * Defines the contract suite for one backend. `makeStore` is called once (in beforeAll) and the
 * store is closed afterwards.
 */
export function graphStoreContract(name: string, makeStore: () => Promise<GraphStore>): void {
  describe(`GraphStore contract: ${name}`, () => {
    let store: GraphStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('resolve', () => {
      it('finds metformin by brand name, by DrugBank id and by name', async () => {
        for (const q of ['Glucophage', METFORMIN, 'metformin', 'db00331']) {
          const r = await store.resolve(q);
          expect(r.matches[0]?.id, `resolve(${q})`).toBe(METFORMIN);
          expect(r.matches[0].kind).toBe('Compound');
          expect(r.matches[0].score).toBe(1);
          expect(r.matches[0].inGraph).toBe(true);
        }
        const brand = await store.resolve('Glucophage');
        expect(['synonym', 'brand']).toContain(brand.matches[0].matchType);
        expect((await store.resolve(METFORMIN)).matches[0].matchType).toBe('id');
      });

      it('resolves prefixed codes: DOID, MeSH, UMLS with a kind filter', async () => {
        expect((await store.resolve(T2D)).matches[0]?.id).toBe(T2D);
        const mesh = await store.resolve('MESH:D003924');
        expect(mesh.matches.map((m) => m.id)).toContain(T2D);
        expect(mesh.matches.find((m) => m.id === T2D)?.matchType).toBe('code');
        const umls = await store.resolve('UMLS:C0011860', { kinds: ['Disease'] });
        expect(umls.matches.map((m) => m.id)).toEqual([T2D]);
      });

      it('a typo gives a fuzzy match or a suggestion of metformin', async () => {
        const r = await store.resolve('metfromin', { kinds: ['Compound'] });
        const ids = [...r.matches.map((m) => m.id), ...r.suggestions.map((s) => s.id)];
        expect(ids).toContain(METFORMIN);
        for (const m of r.matches) {
          expect(m.matchType).toBe('fuzzy');
          expect(m.score).toBeGreaterThanOrEqual(0.75);
          expect(m.score).toBeLessThan(1);
        }
      });

      it('a disease outside the graph maps to the graph disease that subsumes it', async () => {
        const r = await store.resolve('diabetic ketoacidosis', { kinds: ['Disease'] });
        const m = r.matches[0];
        expect(m?.id).toBe('DOID:1837');
        expect(m.inGraph).toBe(false);
        expect(m.mapsTo?.map((d) => d.id)).toContain(T2D);
      });

      it('respects the kind filter and the limit', async () => {
        const r = await store.resolve('diabetes', { limit: 2 });
        expect(r.matches.length).toBeLessThanOrEqual(2);
        const c = await store.resolve('metformin', { kinds: ['Disease'] });
        expect(c.matches.every((m) => m.kind === 'Disease')).toBe(true);
      });

      it('gibberish matches nothing and says so', async () => {
        const r = await store.resolve('qqxzzv wwkjh');
        expect(r.matches).toEqual([]);
      });
    });

    describe('getEntity', () => {
      it('returns details with xrefs and synonyms; null for an unknown id', async () => {
        const e = await store.getEntity(METFORMIN);
        expect(e?.name.toLowerCase()).toBe('metformin');
        expect(e?.inGraph).toBe(true);
        expect(e?.xrefs).toContainEqual({ system: 'DRUGBANK', code: METFORMIN });
        expect(e?.synonyms.map((s) => s.toLowerCase())).toContain('glucophage');
        expect(await store.getEntity('DB99999')).toBeNull();
      });
    });

    describe('indicatedDrugs', () => {
      it('lists metformin as treating type 2 diabetes: curated (Hetionet, PharmacotherapyDB), with the sources that agree', async () => {
        const r = await store.indicatedDrugs(T2D);
        expect(r.disease.id).toBe(T2D);
        expect(r.requested).toBeUndefined();
        const met = r.drugs.find((d) => d.drug.id === METFORMIN);
        expect(met?.relation).toBe('treats');
        expect(met?.tier).toBe('curated');
        expect(met?.via).toBeUndefined();
        const sources = met!.provenance.map((p) => p.source);
        expect(sources).toEqual(expect.arrayContaining(['hetionet', 'pharmacotherapydb', 'labeledin']));
        // Agreement: the independent resources that record it, the FDA label among them.
        expect(met!.resources).toEqual(expect.arrayContaining(['pharmacotherapydb', 'labeledin']));
        expectCited(met!.provenance);
        expect(r.total).toBeGreaterThanOrEqual(r.drugs.length);
        // The disease's own records before its subtypes'; among them curated treats, palliates, then other sources by tier.
        const rank = { treats: 0, palliates: 1, indicated: 2 } as const;
        const direct = r.drugs.filter((d) => !d.via);
        expect(r.drugs.slice(0, direct.length).every((d) => !d.via)).toBe(true);
        for (let i = 1; i < direct.length; i++) expect(rank[direct[i].relation]).toBeGreaterThanOrEqual(rank[direct[i - 1].relation]);
      });

      it('answers a subsumed disease with no indications of its own through its graph disease, and says which was asked', async () => {
        const r = await store.indicatedDrugs('DOID:11712');
        expect(r.disease.id).toBe(T2D);
        expect(r.requested?.id).toBe('DOID:11712');
        expect(r.drugs.map((d) => d.drug.id)).toContain(METFORMIN);
      });

      it('a disease with indications of its own answers for itself (diabetic ketoacidosis: insulin, not the type 2 list)', async () => {
        const r = await store.indicatedDrugs('DOID:1837');
        expect(r.disease.id).toBe('DOID:1837');
        expect(r.requested).toBeUndefined();
        expect(r.drugs.length).toBeGreaterThan(0);
      });

      it('a parent term includes its subtypes\' indications, each marked with the subtype (pneumonia ← bacterial pneumonia)', async () => {
        const r = await store.indicatedDrugs('DOID:552', { limit: 500 });
        const via = r.drugs.filter((d) => d.via);
        expect(via.length).toBeGreaterThan(0);
        expect(via.some((d) => d.via!.id === 'DOID:874')).toBe(true);
        expect(r.drugs.findIndex((d) => d.via)).toBeGreaterThan(r.drugs.filter((d) => !d.via).length - 1);
      });

      it('respects limit and relation filters', async () => {
        const r = await store.indicatedDrugs(T2D, { limit: 3, relations: ['treats'] });
        expect(r.drugs.length).toBeLessThanOrEqual(3);
        expect(r.drugs.every((d) => d.relation === 'treats')).toBe(true);
        expect(r.total).toBeGreaterThan(3);
      });

      it('an unknown disease throws with suggestions', async () => {
        const e = await expectUnknown(store.indicatedDrugs('type 2 diabetes'), 'disease');
        expect(e.suggestions.map((s) => s.id)).toContain(T2D);
        await expectUnknown(store.indicatedDrugs(METFORMIN), 'disease');
      });
    });

    describe('drugProfile', () => {
      it('metformin has targets, classes and side effects, each with a license', async () => {
        const p = await store.drugProfile(METFORMIN, { maxTargets: 5, maxSideEffects: 5 });
        expect(p.drug.id).toBe(METFORMIN);
        expect(p.drug.atc).toContain('A10BA02');
        expect(p.drug.groups).toContain('approved');
        expect(p.targets.length).toBeGreaterThan(0);
        expect(p.targets.length).toBeLessThanOrEqual(5);
        expect(p.counts.targets).toBeGreaterThanOrEqual(p.targets.length);
        for (const t of p.targets) {
          expect(t.gene.kind).toBe('Gene');
          expectCited(t.provenance);
        }
        expect(p.sideEffects.length).toBe(5);
        expect(p.counts.sideEffects).toBeGreaterThan(5);
        for (const s of p.sideEffects) {
          expect(s.sideEffect.kind).toBe('Side Effect');
          expectCited(s.provenance);
          expect(s.provenance[0].license).toMatch(/NC/);
        }
        // Known frequencies first, descending.
        const f = p.sideEffects.map((s) => s.frequencyValue ?? -1);
        expect([...f].sort((a, b) => b - a)).toEqual(f);
        expect(p.indications.some((i) => i.disease.id === T2D && i.relation === 'treats')).toBe(true);
        expect(p.counts.indications).toBe(p.indications.length);
        for (const c of p.classes) expectCited(c.provenance);
      });

      it('an unknown drug throws with suggestions', async () => {
        const e = await expectUnknown(store.drugProfile('metfromin'), 'drug');
        expect(e.suggestions.map((s) => s.id)).toContain(METFORMIN);
      });
    });

    describe('mechanismPaths', () => {
      it('finds cited, score-sorted paths for a real treats pair, within the limit', async () => {
        const paths = await store.mechanismPaths(METFORMIN, T2D, { limit: 5 });
        expect(paths.length).toBeGreaterThan(0);
        expect(paths.length).toBeLessThanOrEqual(5);
        for (let i = 1; i < paths.length; i++) expect(paths[i - 1].score).toBeGreaterThanOrEqual(paths[i].score);
        for (const p of paths) {
          expect(p.nodes[0].id).toBe(METFORMIN);
          expect(p.nodes.at(-1)!.id).toBe(T2D);
          expect(p.edges.length).toBe(p.nodes.length - 1);
          expect(p.edges[0].metaedge).toBe('CbG');
          expect(p.edges.at(-1)!.metaedge).toBe('DaG');
          expect(p.score).toBeGreaterThan(0);
          expect(p.score).toBeLessThanOrEqual(1);
          expect(p.text).toContain(p.nodes[1].name);
          for (const e of p.edges) expectCited(e.provenance);
        }
      });

      it('direct paths only when gene–gene hops are off', async () => {
        const paths = await store.mechanismPaths(METFORMIN, T2D, { viaGeneGene: false });
        for (const p of paths) expect(p.nodes.length).toBe(3);
      });
    });

    describe('interactions', () => {
      it('warfarin and a drug it interacts with in DeepDDI give the filled template', async () => {
        const src = warfarinInteractionFromSource();
        const r = await store.interactions([src.drug1, src.drug2]);
        const hit = r.find((i) => i.drug1.id === src.drug1 && i.drug2.id === src.drug2 && i.type === src.type);
        expect(hit, `interaction ${src.drug1} → ${src.drug2} type ${src.type}`).toBeDefined();
        const expected = src.template.replace('#Drug1', hit!.drug1.name).replace('#Drug2', hit!.drug2.name);
        expect(hit!.sentence).toBe(expected);
        expect(hit!.sentence).not.toContain('#Drug');
        expectCited(hit!.provenance);
        // Order of the ids does not matter.
        const reversed = await store.interactions([src.drug2, src.drug1]);
        expect(reversed).toEqual(r);
      });

      it('one drug alone has no interactions; an unknown id throws', async () => {
        expect(await store.interactions([WARFARIN])).toEqual([]);
        await expectUnknown(store.interactions([WARFARIN, 'DB99999']), 'drug');
      });
    });

    describe('similarity', () => {
      it('similar drugs are other compounds, scored in [0, 1], sorted, within the limit', async () => {
        const r = await store.similarDrugs(METFORMIN, { limit: 5 });
        expect(r.length).toBeGreaterThan(0);
        expect(r.length).toBeLessThanOrEqual(5);
        for (const s of r) {
          expect(s.drug.id).not.toBe(METFORMIN);
          expect(s.score).toBeGreaterThan(0);
          expect(s.score).toBeLessThanOrEqual(1);
          expect(s.resembles || s.sharedTargets.length > 0 || s.sharedClasses.length > 0).toBe(true);
        }
        for (let i = 1; i < r.length; i++) expect(r[i - 1].score).toBeGreaterThanOrEqual(r[i].score);
      });

      it('similar diseases share genes or resemble', async () => {
        const r = await store.similarDiseases(T2D, { limit: 5 });
        expect(r.length).toBe(5);
        for (const s of r) {
          expect(s.disease.id).not.toBe(T2D);
          expect(s.resembles || s.sharedGenes > 0).toBe(true);
        }
      });
    });

    describe('stats', () => {
      it('counts nodes, edges by source and license, interactions and sources', async () => {
        const s = await store.stats();
        const compounds = s.nodes.find((n) => n.kind === 'Compound');
        expect(compounds?.inGraph).toBe(1552);
        expect(s.edges.find((e) => e.metaedge === 'CtD' && e.source === 'pharmacotherapydb')?.count).toBeGreaterThan(0);
        expect(s.interactions).toBeGreaterThan(100_000);
        expect(s.sources.map((x) => x.id)).toContain('hetionet');
        expect(s.meta.schema_version).toBeDefined();
      });
    });
  });
}
