import type { BuildContext, BuildStep } from '../base/build-context.js';
import { dataFile, readJsonSource, readTsv, SourceFormatError } from './table.js';

/** Reads the 86 DeepDDI sentence templates; each must name both #Drug1 and #Drug2. */
function readDdiTemplates(file: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const row of readTsv(file, { required: ['type', 'template'] })) {
    const type = Number(row.get('type'));
    const template = row.get('template').trim();
    if (!Number.isInteger(type) || type < 1) throw new SourceFormatError(file, row.line, 'a positive integer interaction type', row.get('type'));
    if (!template.includes('#Drug1') || !template.includes('#Drug2')) {
      throw new SourceFormatError(file, row.line, 'a template containing #Drug1 and #Drug2', template);
    }
    out.set(type, template);
  }
  return out;
}

/**
 * DeepDDI / DrugBank 5 typed drug–drug interactions (CC BY-NC 4.0). Rows are stored once, as
 * published (drug1 is the subject of the template); queries look in both directions.
 */
export const deepddiStep: BuildStep = {
  id: 'deepddi',
  title: 'DeepDDI drug–drug interactions',
  sources: ['deepddi'],
  run(ctx: BuildContext) {
    const templateFile = dataFile(ctx.dataDir, 'ddi-drugbank-deepddi', 'ddi_type_templates.tsv');
    const ddiFile = dataFile(ctx.dataDir, 'ddi-drugbank-deepddi', 'Drugbank.txt');
    const node2idFile = dataFile(ctx.dataDir, 'ddi-drugbank-deepddi', 'node2id.json');
    ctx.useSource('deepddi', templateFile);
    ctx.useSource('deepddi', ddiFile);
    const templates = readDdiTemplates(templateFile);
    const insertType = ctx.db.prepare('INSERT INTO ddi_types (type, template) VALUES (?, ?)');
    for (const [type, template] of templates) insertType.run(type, template);
    // node2id lists every drug of the dataset; it confirms the file set is the DeepDDI release.
    const node2id = readJsonSource<Record<string, number>>(node2idFile);
    if (typeof node2id !== 'object' || node2id === null) throw new SourceFormatError(node2idFile, 1, 'an object of DrugBank id → index');
    const insert = ctx.db.prepare('INSERT INTO ddi (drug1, drug2, type, source) VALUES (?, ?, ?, ?)');
    let n = 0;
    for (const row of readTsv(ddiFile, { required: ['drug1', 'drug2', 'Label'] })) {
      const type = Number(row.get('Label'));
      if (!templates.has(type)) throw new SourceFormatError(ddiFile, row.line, `an interaction type 1–${templates.size}`, row.get('Label'));
      const ids = [row.get('drug1'), row.get('drug2')];
      const nids = ids.map((id) => {
        if (!/^DB\d{5}$/.test(id)) throw new SourceFormatError(ddiFile, row.line, 'DrugBank ids like DB00682', id);
        return ctx.nid(id) ?? ctx.addNode({ id, kind: 'Compound', name: id, source: 'deepddi' });
      });
      insert.run(nids[0], nids[1], type, 'deepddi');
      if (++n % 50000 === 0) ctx.progress('deepddi', 'DeepDDI interactions', n, 192284);
    }
  },
};
