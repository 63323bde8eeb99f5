import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildKnowledgeBase } from '../../kb/build.js';
import { readIndicationSummary } from '../../kb/indication-summary.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { graphBuildSteps } from '../../kb/sources/index.js';
import { DISEASE_CROSSWALK, DISEASE_PARENT_FALLBACKS, INDICATION_TIERS } from '../../kb/sources/indication-rules.js';
import type { IndicationImportReport } from '../../kb/sources/indications.js';
import { SOURCES } from '../../kb/base/source-registry.js';

const kbPath = inject('kbPath');
const dataDir = inject('dataDir');

describe('indications by evidence tier (CiD) in the built knowledge base', () => {
  const db = openKnowledgeBase(kbPath);
  afterAll(() => db.close());
  const report = JSON.parse(db.prepare("SELECT value FROM meta WHERE key = 'indication_import'").pluck().get() as string) as IndicationImportReport;

  it('gives at least 1,773 diseases an indication (CtD, CpD or CiD): DO terms and the diseases ChEMBL adds', () => {
    const n = db
      .prepare("SELECT COUNT(DISTINCT e.dst) FROM edges e JOIN nodes d ON d.nid = e.dst WHERE e.metaedge IN ('CtD', 'CpD', 'CiD') AND d.kind = 'Disease'")
      .pluck()
      .get() as number;
    // 1,773 is what Disease Ontology terms alone reached before ChEMBL's diseases became nodes.
    expect(n).toBeGreaterThanOrEqual(1773);
    expect(report.diseases_with_indication).toBe(n);
  });

  it('has edges in every tier, each CiD edge Compound → Disease with a known tier, resource, registry source and its license', () => {
    const tiers = Object.fromEntries(
      (db.prepare("SELECT json_extract(props, '$.tier') AS tier, COUNT(*) AS n FROM edges WHERE metaedge = 'CiD' GROUP BY tier").all() as { tier: string; n: number }[]).map((r) => [r.tier, r.n]),
    );
    for (const t of INDICATION_TIERS.filter((x) => x !== 'curated')) expect(tiers[t], t).toBeGreaterThan(0);
    expect(Object.keys(tiers).sort()).toEqual(INDICATION_TIERS.filter((x) => x !== 'curated').sort());
    // Curated stays PharmacotherapyDB's CtD/CpD, never a CiD copy.
    expect(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge IN ('CtD', 'CpD') AND source = 'pharmacotherapydb'").pluck().get()).toBe(1145);
    expect(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'CiD' AND source = 'pharmacotherapydb'").pluck().get()).toBe(0);
    const combos = db
      .prepare("SELECT e.source, e.license, json_extract(e.props, '$.resource') AS resource, s.kind AS sk, d.kind AS dk, COUNT(*) AS n FROM edges e JOIN nodes s ON s.nid = e.src JOIN nodes d ON d.nid = e.dst WHERE e.metaedge = 'CiD' GROUP BY 1, 2, 3, 4, 5")
      .all() as { source: string; license: string; resource: string; sk: string; dk: string }[];
    const allowed: Record<string, string> = { labeledin: 'labeledin', medi_hps: 'medi', medi_lps: 'medi', ehrlink: 'ehrlink', predict: 'predict', sider_nlp: 'sider4', chembl: 'chembl' };
    for (const c of combos) {
      expect(allowed[c.resource], c.resource).toBe(c.source);
      expect(c.license).toBe(SOURCES[c.source].license);
      expect([c.sk, c.dk]).toEqual(['Compound', 'Disease']);
    }
    // Trial rows are evidence that a drug is studied, never an indication.
    expect(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'CiD' AND source LIKE '%clintrials%'").pluck().get()).toBe(0);
  });

  it('keeps one edge per (drug, disease, resource)', () => {
    const dup = db
      .prepare("SELECT COUNT(*) FROM (SELECT src, dst, json_extract(props, '$.resource') r, COUNT(*) n FROM edges WHERE metaedge = 'CiD' GROUP BY src, dst, r HAVING n > 1)")
      .pluck()
      .get();
    expect(dup).toBe(0);
  });

  it('knows a drug newer than DrugBank 4.2 from ChEMBL: tirzepatide, approved for type 2 diabetes', () => {
    const node = db.prepare("SELECT nid, kind, name, props FROM nodes WHERE id = 'CHEMBL4297839'").get() as { nid: number; kind: string; name: string; props: string };
    expect(node).toMatchObject({ kind: 'Compound', name: 'Tirzepatide' });
    expect(JSON.parse(node.props)).toMatchObject({ added_by: 'chembl' });
    const edge = db
      .prepare("SELECT e.source, e.license, e.props FROM edges e JOIN nodes d ON d.nid = e.dst WHERE e.metaedge = 'CiD' AND e.src = ? AND d.id = 'DOID:9352'")
      .get(node.nid) as { source: string; license: string; props: string };
    expect(edge.source).toBe('chembl');
    expect(edge.license).toMatch(/CC BY-SA 3\.0/);
    expect(JSON.parse(edge.props)).toMatchObject({ tier: 'approved', resource: 'chembl', max_phase: 4 });
    // The name resolves like any other drug.
    expect(db.prepare("SELECT n.id FROM terms t JOIN nodes n USING (nid) WHERE t.term_norm = 'tirzepatide' AND n.kind = 'Compound'").pluck().get()).toBe('CHEMBL4297839');
  });

  it('maps a ChEMBL drug DrugBank knows onto the DrugBank node (DrugCentral identifiers), adding no duplicate', () => {
    // Empagliflozin is DB09038 and CHEMBL2107830.
    expect(db.prepare("SELECT COUNT(*) FROM nodes WHERE id = 'CHEMBL2107830'").pluck().get()).toBe(0);
    const tiers = db
      .prepare("SELECT json_extract(e.props, '$.tier') FROM edges e JOIN nodes c ON c.nid = e.src JOIN nodes d ON d.nid = e.dst WHERE e.metaedge = 'CiD' AND c.id = 'DB09038' AND d.id = 'DOID:9352'")
      .pluck()
      .all();
    expect(tiers).toContain('approved');
  });

  it('marks LabeledIn edges as tier label with the public-domain license', () => {
    const rows = db.prepare("SELECT DISTINCT json_extract(props, '$.tier') AS tier, license FROM edges WHERE metaedge = 'CiD' AND source = 'labeledin'").all();
    expect(rows).toEqual([{ tier: 'label', license: SOURCES.labeledin.license }]);
    expect(report.inputs.labeledin.edges + report.inputs.labeledin_raw.edges).toBe(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'CiD' AND source = 'labeledin'").pluck().get());
  });

  it('keeps STITCH artefacts out: a sugar SIDER maps labels onto has no indication, and the report names it', () => {
    for (const id of ['DB02379', 'DB03989']) {
      // Beta-D-Glucose, D-Allopyranose: SIDER is their only source
      expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'CiD' AND c.id = ?").pluck().get(id), id).toBe(0);
    }
    // D-Sorbitol keeps MEDI's indications (a laxative) but gets none through STITCH from mannitol's labels.
    expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'CiD' AND c.id = 'DB01638' AND e.source = 'sider4'").pluck().get()).toBe(0);
    const sider = report.inputs.sider_nlp;
    expect(sider.junk_drugs.stitch_artefact.map(([name]) => name)).toEqual(expect.arrayContaining(['Beta-D-Glucose', 'D-Sorbitol']));
    expect(sider.dropped.stitch_variant).toBeGreaterThan(0);
    // Only NLP_indication rows are imported; text mentions are counted as skipped, not lost.
    expect(sider.skipped.text_mention).toBeGreaterThan(1000);
    expect(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'CiD' AND source = 'sider4' AND json_extract(props, '$.stitch_flat') IS NULL").pluck().get()).toBe(0);
  });

  it('drops withdrawn-only drugs and diagnostic agents, and maps radiolabelled tracers to their drug', () => {
    // Rofecoxib (withdrawn), florbetapir and gadobutrol (PET tracer, contrast agent).
    expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'CiD' AND c.id = 'DB00533'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'CiD' AND (lower(c.name) LIKE 'florbetapir%' OR lower(c.name) = 'gadobutrol')").pluck().get()).toBe(0);
    expect(report.inputs.chembl.junk_drugs.diagnostic_agent.length).toBeGreaterThan(0);
    expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'CiD' AND c.id = 'DB05488'").pluck().get()).toBe(0);
    // dhimmel's mapping gives ciprofloxacin's EHR rows to 99mTc-ciprofloxacin; they count for ciprofloxacin.
    expect(report.inputs.ehrlink.radiolabel_to_parent).toBeGreaterThan(0);
    expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'CiD' AND c.id = 'DB00537' AND e.source = 'ehrlink'").pluck().get()).toBeGreaterThan(0);
  });

  it('never writes a CiD edge for a pair physicians curated as not an indication', () => {
    const n = db
      .prepare("SELECT COUNT(*) FROM edges c JOIN edges n ON n.src = c.src AND n.dst = c.dst AND n.metaedge = 'CnD' WHERE c.metaedge = 'CiD'")
      .pluck()
      .get();
    expect(n).toBe(0);
  });

  it('links disease subtypes to their parents by name (DkD, basis name)', () => {
    const parentOf = db.prepare(
      "SELECT p.id, e.props FROM edges e JOIN nodes c ON c.nid = e.src JOIN nodes p ON p.nid = e.dst WHERE e.metaedge = 'DkD' AND c.name = ?",
    );
    const parents = (child: string) =>
      (parentOf.all(child) as { id: string; props: string }[]).map((r) => ({ id: r.id, props: JSON.parse(r.props) as Record<string, unknown> }));
    expect(parents('bacterial pneumonia')).toEqual([expect.objectContaining({ id: 'DOID:552', props: expect.objectContaining({ basis: 'name' }) })]);
    expect(parents('acute cystitis').map((p) => p.id)).toContain('DOID:1679');
    expect(parents('type 2 diabetes mellitus').map((p) => p.id)).toContain('DOID:9351');
    // Negations and over-general parents are not parents.
    expect(parents('non-small cell lung carcinoma').map((p) => p.id)).not.toContain('DOID:5409');
    expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes p ON p.nid = e.dst WHERE e.metaedge = 'DkD' AND p.id IN ('DOID:4', 'DOID:162', 'DOID:305')").pluck().get()).toBe(0);
    const count = db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'DkD'").pluck().get() as number;
    expect(count).toBeGreaterThan(1000);
    expect(report.dkd_edges).toBe(count);
  });

  describe('diseases Disease Ontology (2016) lacks, added from ChEMBL', () => {
    const node = (id: string) => db.prepare('SELECT nid, kind, name, source, props FROM nodes WHERE id = ?').get(id) as { nid: number; kind: string; name: string; source: string; props: string } | undefined;
    const drugsOf = (id: string) =>
      db
        .prepare("SELECT DISTINCT lower(c.name) FROM edges e JOIN nodes c ON c.nid = e.src JOIN nodes d ON d.nid = e.dst WHERE e.metaedge = 'CiD' AND d.id = ?")
        .pluck()
        .all(id) as string[];
    const parentsOf = (id: string) =>
      db
        .prepare("SELECT p.id FROM edges e JOIN nodes c ON c.nid = e.src JOIN nodes p ON p.nid = e.dst WHERE e.metaedge = 'DkD' AND c.id = ?")
        .pluck()
        .all(id) as string[];

    it('adds insomnia, deep vein thrombosis and others as Disease nodes keyed by their EFO/MONDO/HP id, with the first-line drugs', () => {
      for (const [id, name, drugs] of [
        ['EFO:0004698', 'insomnia', ['zolpidem', 'eszopiclone']],
        ['EFO:0003907', 'deep vein thrombosis', ['apixaban', 'rivaroxaban']],
        ['EFO:0004286', 'venous thromboembolism', ['apixaban', 'rivaroxaban']],
        ['EFO:0006834', 'septic shock', ['norepinephrine']],
        ['EFO:1000781', 'overactive bladder', ['oxybutynin', 'mirabegron']],
        ['EFO:0005252', 'orthostatic hypotension', ['midodrine', 'droxidopa']],
        ['MONDO:0100096', 'COVID-19', ['remdesivir']],
      ] as const) {
        const n = node(id);
        expect(n, id).toMatchObject({ kind: 'Disease', name, source: 'chembl' });
        expect(JSON.parse(n!.props)).toEqual({ added_by: 'chembl' });
        // The ChEMBL id is an xref in its own system, and the name resolves like a DO term's.
        const [system, code] = id.split(':');
        expect(db.prepare('SELECT COUNT(*) FROM xrefs WHERE nid = ? AND system = ? AND code = ?').pluck().get(n!.nid, system, code), id).toBe(1);
        expect(db.prepare("SELECT n.id FROM terms t JOIN nodes n USING (nid) WHERE t.term_norm = lower(?) AND n.kind = 'Disease'").pluck().all(name.replace('-', ' ')), id).toContain(id);
        const got = drugsOf(id);
        expect(drugs.some((d) => got.includes(d)), `${id}: ${got.join(', ')}`).toBe(true);
      }
      const prefixes = db.prepare("SELECT DISTINCT substr(id, 1, instr(id, ':') - 1) FROM nodes WHERE kind = 'Disease' AND json_extract(props, '$.added_by') = 'chembl'").pluck().all();
      expect(prefixes.sort()).toEqual(['EFO', 'HP', 'MONDO', 'ORPHANET']);
      expect(Object.values(report.diseases_added.by_prefix).reduce((a, b) => a + b, 0)).toBe(report.diseases_added.nodes);
    });

    it('maps insomnia to its own node, no longer to the broader sleep disorder, and links the two by a curated DkD', () => {
      // Label rows (SIDER "Sleeplessness", LabeledIn's MeSH heading) join ChEMBL's on the node.
      const sources = db.prepare("SELECT DISTINCT e.source FROM edges e JOIN nodes d ON d.nid = e.dst WHERE e.metaedge = 'CiD' AND d.id = 'EFO:0004698'").pluck().all();
      expect(sources).toEqual(expect.arrayContaining(['chembl', 'sider4', 'labeledin']));
      expect(db.prepare("SELECT COUNT(*) FROM edges e JOIN nodes d ON d.nid = e.dst WHERE e.metaedge = 'CiD' AND d.id = 'DOID:535' AND json_extract(e.props, '$.disease_match') IN ('alias', 'parent_fallback')").pluck().get()).toBe(0);
      expect(db.prepare("SELECT n.id FROM terms t JOIN nodes n USING (nid) WHERE t.term_norm = 'sleeplessness'").pluck().all()).toContain('EFO:0004698');
      expect(parentsOf('EFO:0004698')).toEqual(['DOID:535']);
    });

    it('crosswalks only to Disease Ontology terms of this build', () => {
      for (const [name, { id }] of Object.entries(DISEASE_CROSSWALK)) expect(node(id)?.kind, `${name} → ${id}`).toBe('Disease');
      for (const [name, doid] of Object.entries(DISEASE_PARENT_FALLBACKS)) expect(node(doid)?.kind, `${name} → ${doid}`).toBe('Disease');
    });

    it('maps benign prostatic hyperplasia to DO prostatic hypertrophy through the crosswalk, with tamsulosin', () => {
      expect(node('EFO:0000284')).toBeUndefined();
      expect(drugsOf('DOID:11132')).toEqual(expect.arrayContaining(['tamsulosin', 'finasteride']));
      expect(report.diseases_added.crosswalk_rows.chembl).toBeGreaterThan(0);
    });

    it('uses ChEMBL\'s own hypercholesterolaemia node, under lipid metabolism disorder; hyperlipidaemia keeps its alias', () => {
      expect(node('HP:0003124')).toMatchObject({ kind: 'Disease', name: 'Hypercholesterolemia' });
      expect(drugsOf('HP:0003124')).toEqual(expect.arrayContaining(['atorvastatin', 'ezetimibe']));
      expect(parentsOf('HP:0003124')).toEqual(['DOID:3146']);
      expect(node('MONDO:0021187')).toBeUndefined();
    });

    it('gives added nodes DkD parents by the name rule or a curated link, never an over-general one', () => {
      expect(parentsOf('EFO:0003907')).toEqual(['HP:0004936']); // deep vein thrombosis → venous thrombosis (curated)
      expect(parentsOf('EFO:0004888')).toEqual(['HP:0002017']); // post operative nausea and vomiting → nausea and vomiting (name)
      expect(parentsOf('HP:0003419')).toEqual(['HP:0003418']); // low back pain → back pain
      expect(parentsOf('EFO:0001361')).toEqual(['DOID:6432']); // PAH → pulmonary hypertension, not systemic hypertension
      expect(parentsOf('EFO:0006834')).toEqual(['HP:0100806']); // septic shock → sepsis
      // No DO term for chlamydia infection exists in DO 2016, and "infectious disease" is too general.
      expect(parentsOf('EFO:0007205')).toEqual([]);
      const props = db.prepare("SELECT e.props FROM edges e JOIN nodes c ON c.nid = e.src WHERE e.metaedge = 'DkD' AND c.id = 'EFO:0004888'").pluck().get() as string;
      expect(JSON.parse(props)).toMatchObject({ basis: 'name', rule: 'modifier', added_by: 'chembl' });
      const general = db
        .prepare(
          "SELECT COUNT(*) FROM edges e JOIN nodes c ON c.nid = e.src JOIN nodes p ON p.nid = e.dst WHERE e.metaedge = 'DkD' AND json_extract(c.props, '$.added_by') = 'chembl' AND p.id IN ('DOID:4', 'DOID:7', 'DOID:0014667', 'DOID:14566', 'DOID:150', 'DOID:225', 'DOID:0050117', 'DOID:934', 'DOID:104', 'DOID:1564', 'DOID:1398', 'DOID:162', 'DOID:305')",
        )
        .pluck()
        .get();
      expect(general).toBe(0);
      expect(report.diseases_added.dkd_edges).toBe(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'DkD' AND json_extract(props, '$.added_by') = 'chembl'").pluck().get());
    });

    it('adds no node for a too-general ChEMBL "disease" (neoplasm, infection) and reports the rows it keeps out', () => {
      expect(db.prepare("SELECT COUNT(*) FROM nodes WHERE kind = 'Disease' AND lower(name) IN ('neoplasm', 'infection', 'cardiovascular disease', 'pregnancy')").pluck().get()).toBe(0);
      expect(report.diseases_added.not_added.too_general).toBeGreaterThan(0);
      expect(report.diseases_added.not_added_top.too_general.map(([n]) => n)).toEqual(expect.arrayContaining(['neoplasm', 'infection']));
      expect(report.inputs.chembl.dropped.disease_too_general).toBeGreaterThan(500);
    });

    it('has no anaphylaxis node: ChEMBL has no anaphylaxis row, so its label rows (epinephrine) stay reported as unmapped', () => {
      // A node needs a ChEMBL disease id; label sources only join nodes ChEMBL adds.
      expect(db.prepare("SELECT COUNT(*) FROM nodes WHERE kind = 'Disease' AND lower(name) = 'anaphylaxis'").pluck().get()).toBe(0);
      expect(report.inputs.sider_nlp.top_unmapped_diseases.map(([n]) => n.toLowerCase())).toContain('anaphylaxis');
    });

    it('recovers label rows onto the added nodes and counts them', () => {
      expect(report.diseases_added.rows_recovered.chembl).toBeGreaterThan(3000);
      expect(report.diseases_added.rows_recovered.sider_nlp).toBeGreaterThan(0);
      expect(report.diseases_added.rows_recovered.labeledin_raw).toBeGreaterThan(0);
    });
  });

  it('stores the mapping report: every row read is mapped, dropped with a reason or skipped by design', () => {
    expect(Object.keys(report.inputs).sort()).toEqual(['chembl', 'ehrlink', 'labeledin', 'labeledin_raw', 'medi_hps', 'medi_lps', 'predict', 'sider_nlp']);
    const verbose = fs.readFileSync(path.join(dataDir, 'indications-dhimmel', 'data', 'indications-verbose.tsv'), 'utf8').trim().split('\n').length - 1;
    expect(['labeledin', 'medi_hps', 'medi_lps', 'ehrlink', 'predict'].reduce((a, k) => a + report.inputs[k].rows_read, 0)).toBe(verbose);
    expect(report.inputs.chembl.rows_read).toBe(23103);
    for (const [key, r] of Object.entries(report.inputs)) {
      const dropped = Object.values(r.dropped).reduce((a, b) => a + b, 0);
      const skipped = Object.values(r.skipped).reduce((a, b) => a + b, 0);
      expect(r.rows_mapped + dropped + skipped, key).toBe(r.rows_read);
    }
    expect(report.inputs.chembl.dropped.drug_unnamed).toBeGreaterThan(0);
    expect(report.inputs.chembl.dropped.disease_unmapped).toBeGreaterThan(0);
    expect(report.compounds_added).toBe(db.prepare("SELECT COUNT(*) FROM nodes WHERE kind = 'Compound' AND json_extract(props, '$.added_by') = 'chembl'").pluck().get());
    expect(report.diseases_added.nodes).toBe(db.prepare("SELECT COUNT(*) FROM nodes WHERE kind = 'Disease' AND json_extract(props, '$.added_by') = 'chembl'").pluck().get());
    expect(report.edges).toBe(db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'CiD'").pluck().get());
    const summary = readIndicationSummary(db);
    expect(summary.report?.edges).toBe(report.edges);
    expect(summary.pairs.find((p) => p.metaedge === 'CiD' && p.tier === 'label')?.pairs).toBeGreaterThan(0);
  });
});

describe('indications without non-commercial sources', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-ind-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps LabeledIn and ChEMBL (share-alike) and drops MEDI, PREDICT, ehrlink and SIDER', { timeout: 240_000 }, () => {
    const out = path.join(tmp, 'kb.sqlite');
    buildKnowledgeBase({ dataDir, outPath: out, noncommercial: false, steps: graphBuildSteps });
    const db = new Database(out, { readonly: true });
    try {
      const sources = db.prepare("SELECT DISTINCT source FROM edges WHERE metaedge = 'CiD' ORDER BY 1").pluck().all();
      expect(sources).toEqual(['chembl', 'labeledin']);
      const r = JSON.parse(db.prepare("SELECT value FROM meta WHERE key = 'indication_import'").pluck().get() as string) as IndicationImportReport;
      expect(r.inputs.medi_lps.dropped.noncommercial_skipped).toBe(r.inputs.medi_lps.rows_read);
      expect(r.inputs.sider_nlp.not_read).toMatch(/non-commercial/);
      expect(r.noncommercial_included).toBe(false);
      expect(db.prepare("SELECT COUNT(*) FROM nodes WHERE id = 'CHEMBL4297839'").pluck().get()).toBe(1);
      const registered = db.prepare('SELECT id FROM sources').pluck().all() as string[];
      for (const id of ['medi', 'ehrlink', 'predict', 'sider4']) expect(registered).not.toContain(id);
      expect(registered).toEqual(expect.arrayContaining(['labeledin', 'chembl']));
    } finally {
      db.close();
    }
  });
});
