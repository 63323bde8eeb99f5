import type { BuildContext, BuildStep } from '../base/build-context.js';
import { dataFile, readTsv } from './table.js';

/** DrugCentral identifier types → KB xref systems (others are not needed for resolution). */
export const ID_SYSTEM: Record<string, string> = {
  RXNORM: 'RXNORM',
  UNII: 'UNII',
  MESH_DESCRIPTOR_UI: 'MESH',
  MESH_SUPPLEMENTAL_RECORD_UI: 'MESH',
  ChEMBL_ID: 'CHEMBL',
  UMLSCUI: 'UMLS',
  SNOMEDCT_US: 'SNOMED',
  PUBCHEM_CID: 'PUBCHEM',
  KEGG_DRUG: 'KEGG',
  CHEBI: 'CHEBI',
};

/** Class sources kept: FDA established classes / mechanisms / effects and MeSH pharmacological actions. */
export const CLASS_ID_PREFIX: Record<string, string> = { FDA: 'NDFRT:', MeSH: 'MESH:' };

const titleCase = (s: string) => s.replace(/^\p{Ll}/u, (c) => c.toUpperCase());

/**
 * DrugCentral 2016 (CC BY 4.0): identifier bridge (DrugBank ↔ RxNorm, UNII, MeSH, ChEMBL, UMLS…)
 * and pharmacologic classes (PCiC edges). It also names drugs when the non-commercial DrugBank
 * vocabulary is left out of the build.
 */
export const drugcentralStep: BuildStep = {
  id: 'drugcentral',
  title: 'DrugCentral identifiers and pharmacologic classes',
  sources: ['drugcentral'],
  run(ctx: BuildContext) {
    const idFile = dataFile(ctx.dataDir, 'drugcentral-2016', 'identifiers.tsv');
    ctx.useSource('drugcentral', idFile);
    const rows = [...readTsv(idFile, { required: ['DRUG_ID', 'DRUG_NAME', 'ID_TYPE', 'IDENTIFIER'], unquote: true })];
    const dcToDb = new Map<string, number[]>();
    const dcName = new Map<string, string>();
    for (const row of rows) {
      dcName.set(row.get('DRUG_ID'), row.get('DRUG_NAME'));
      if (row.get('ID_TYPE') !== 'DRUGBANK_ID') continue;
      const dbId = row.get('IDENTIFIER');
      const nid = ctx.nid(dbId) ?? ctx.addNode({ id: dbId, kind: 'Compound', name: titleCase(row.get('DRUG_NAME')), source: 'drugcentral' });
      const list = dcToDb.get(row.get('DRUG_ID')) ?? [];
      list.push(nid);
      dcToDb.set(row.get('DRUG_ID'), list);
    }
    for (const [dc, nids] of dcToDb) {
      // Every id in dcToDb came from a row that also named it.
      const name = dcName.get(dc);
      if (name === undefined) throw new Error(`DrugCentral drug ${dc} has identifier rows but no name`);
      for (const nid of nids) {
        ctx.addTerm(nid, name, 'synonym', 'drugcentral');
        ctx.addXref(nid, 'DRUGCENTRAL', dc, 'drugcentral');
      }
    }
    for (const row of rows) {
      const system = ID_SYSTEM[row.get('ID_TYPE')];
      const nids = dcToDb.get(row.get('DRUG_ID'));
      if (!system || !nids) continue;
      for (const nid of nids) ctx.addXref(nid, system, row.get('IDENTIFIER'), 'drugcentral');
    }

    const classFile = dataFile(ctx.dataDir, 'drugcentral-2016', 'pharm_class.tsv');
    ctx.useSource('drugcentral', classFile);
    const kindOf = ctx.db.prepare('SELECT kind FROM nodes WHERE nid = ?').pluck();
    for (const row of readTsv(classFile, { required: ['DRUG_ID', 'TYPE', 'CLASS_SOURCE_ID', 'CLASS', 'SOURCE'] })) {
      const prefix = CLASS_ID_PREFIX[row.get('SOURCE')];
      const nids = dcToDb.get(row.get('DRUG_ID'));
      if (!prefix || !nids) continue;
      const classNid = ctx.addNode({
        id: prefix + row.get('CLASS_SOURCE_ID'), kind: 'Pharmacologic Class', name: row.get('CLASS'), source: 'drugcentral',
        props: { classType: row.get('TYPE'), classSource: row.get('SOURCE') },
      });
      // A MeSH descriptor id already used by a Symptom node is not a class; skip rather than mislabel it.
      if (kindOf.get(classNid) !== 'Pharmacologic Class') continue;
      for (const nid of nids) ctx.addEdge(classNid, 'PCiC', nid, 'drugcentral', 'CC BY 4.0', { classType: row.get('TYPE') });
    }
  },
};
