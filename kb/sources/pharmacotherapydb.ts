import type { BuildContext, BuildStep } from '../base/build-context.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

/** PharmacotherapyDB categories: DM disease-modifying (treats), SYM symptomatic (palliates), NOT recorded as non-indication. */
const INDICATION_METAEDGE: Record<string, string> = { DM: 'CtD', SYM: 'CpD', NOT: 'CnD' };

export const pharmacotherapydbStep: BuildStep = {
  id: 'pharmacotherapydb',
  title: 'PharmacotherapyDB indications',
  sources: ['pharmacotherapydb'],
  run(ctx: BuildContext) {
    const file = dataFile(ctx.dataDir, 'pharmacotherapydb', 'catalog_indications.tsv');
    ctx.useSource('pharmacotherapydb', file);
    for (const row of readTsv(file, { required: ['doid_id', 'drugbank_id', 'disease', 'drug', 'category', 'n_curators', 'n_resources'] })) {
      const category = row.get('category');
      const metaedge = INDICATION_METAEDGE[category];
      if (!metaedge) throw new SourceFormatError(file, row.line, 'category DM, SYM or NOT', category);
      const drug = ctx.nid(row.get('drugbank_id')) ?? ctx.addNode({ id: row.get('drugbank_id'), kind: 'Compound', name: row.get('drug'), source: 'pharmacotherapydb' });
      const disease = ctx.nid(row.get('doid_id')) ?? ctx.addNode({ id: row.get('doid_id'), kind: 'Disease', name: row.get('disease'), source: 'pharmacotherapydb' });
      ctx.addEdge(drug, metaedge, disease, 'pharmacotherapydb', 'CC0 1.0', {
        category,
        n_curators: Number(row.get('n_curators')),
        n_resources: Number(row.get('n_resources')),
      });
    }
  },
};
