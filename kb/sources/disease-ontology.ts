import type { BuildContext, BuildStep } from '../base/build-context.js';
import { canonicalIcd } from './icd.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

/** Disease Ontology xref resources → the xref systems the KB uses. Others are kept under their own name. */
const RESOURCE_SYSTEM: Record<string, string> = {
  MSH: 'MESH',
  ICD9: 'ICD9',
  ICD10: 'ICD10',
  UMLS: 'UMLS',
  SNOMEDCT: 'SNOMED',
  OMIM: 'OMIM',
  NCI: 'NCI',
  ORDO: 'ORPHANET',
  Orphanet: 'ORPHANET',
  EFO: 'EFO',
  MEDDRA: 'MEDDRA',
  KEGG: 'KEGG',
};

const TERM_TYPES = new Set(['name', 'exact-synonym', 'related-synonym', 'narrow-synonym']);

/**
 * Disease Ontology: every DO term becomes a Disease node (Hetionet's 137 already exist and are
 * reused) with synonyms and xrefs (ICD9/ICD10/UMLS/MeSH/… → DOID), and DsD edges carry the slim
 * propagation (a specific term → the Hetionet disease that subsumes it), so "type 2 diabetes
 * with ketoacidosis" or ICD10 E11 still reaches the graph.
 */
export const diseaseOntologyStep: BuildStep = {
  id: 'disease-ontology',
  title: 'Disease Ontology terms, xrefs and slim propagation',
  sources: ['disease-ontology'],
  run(ctx: BuildContext) {
    const namesFile = dataFile(ctx.dataDir, 'disease-ontology', 'term-names.tsv');
    ctx.useSource('disease-ontology', namesFile);
    const synonyms: { doid: string; name: string }[] = [];
    for (const row of readTsv(namesFile, { required: ['doid', 'name', 'type'] })) {
      // One upstream name contains a tab inside double quotes; the type is always the last field.
      const doid = row.values[0];
      const type = row.values[row.values.length - 1];
      const name = row.values.slice(1, -1).join(' ').replace(/^"|"$/g, '').replace(/\s+/g, ' ').trim();
      if (!/^DOID:\d+$/.test(doid)) throw new SourceFormatError(namesFile, row.line, 'a DOID like DOID:9352', doid);
      if (!TERM_TYPES.has(type)) throw new SourceFormatError(namesFile, row.line, `a term type (${[...TERM_TYPES].join(', ')})`, type);
      if (type === 'name') ctx.addNode({ id: doid, kind: 'Disease', name, source: 'disease-ontology' });
      else synonyms.push({ doid, name });
    }
    for (const s of synonyms) {
      const nid = ctx.nid(s.doid);
      if (nid !== undefined) ctx.addTerm(nid, s.name, 'synonym', 'disease-ontology');
    }

    const xrefFile = dataFile(ctx.dataDir, 'disease-ontology', 'xrefs.tsv');
    ctx.useSource('disease-ontology', xrefFile);
    for (const row of readTsv(xrefFile, { required: ['doid_code', 'doid_name', 'resource', 'resource_id'] })) {
      const nid = ctx.nid(row.get('doid_code')) ?? ctx.addNode({ id: row.get('doid_code'), kind: 'Disease', name: row.get('doid_name'), source: 'disease-ontology' });
      const system = RESOURCE_SYSTEM[row.get('resource')] ?? row.get('resource').toUpperCase();
      const code = system === 'ICD9' || system === 'ICD10' ? canonicalIcd(system, row.get('resource_id')) : row.get('resource_id');
      ctx.addXref(nid, system, code, 'disease-ontology');
    }

    const propFile = dataFile(ctx.dataDir, 'disease-ontology', 'slim-terms-prop.tsv');
    ctx.useSource('disease-ontology', propFile);
    for (const row of readTsv(propFile, { required: ['slim_id', 'subsumed_id', 'min_distance'] })) {
      const slim = row.get('slim_id');
      const sub = row.get('subsumed_id');
      if (slim === sub) continue;
      const slimNid = ctx.nid(slim);
      const subNid = ctx.nid(sub) ?? ctx.addNode({ id: sub, kind: 'Disease', name: row.get('subsumed_name'), source: 'disease-ontology' });
      if (slimNid === undefined) throw new SourceFormatError(propFile, row.line, 'a slim disease that is a DO term', slim);
      ctx.addEdge(subNid, 'DsD', slimNid, 'disease-ontology', 'CC BY 3.0', { min_distance: Number(row.get('min_distance')) });
    }
  },
};
