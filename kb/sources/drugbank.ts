import type { BuildContext, BuildStep } from '../base/build-context.js';
import { dataFile, readJsonSource, readTsv, SourceFormatError } from './table.js';

const split = (s: string) => (s ? s.split('|').map((x) => x.trim()).filter(Boolean) : []);

/**
 * DrugBank vocabulary (dhimmel/drugbank, CC BY-NC 4.0): names, aliases (brand and synonyms),
 * ATC codes, groups, categories, descriptions, PubChem and UNII identifiers for 7,758 drugs.
 * Drugs outside Hetionet become vocabulary nodes so interactions and resolution cover them.
 */
export const drugbankStep: BuildStep = {
  id: 'drugbank',
  title: 'DrugBank vocabulary',
  sources: ['drugbank'],
  run(ctx: BuildContext) {
    const file = dataFile(ctx.dataDir, 'drugbank-dhimmel', 'drugbank.tsv');
    ctx.useSource('drugbank', file);
    for (const row of readTsv(file, { required: ['drugbank_id', 'name', 'type', 'groups', 'atc_codes', 'categories', 'description'], quoted: true })) {
      const id = row.get('drugbank_id');
      if (!/^DB\d{5}$/.test(id)) throw new SourceFormatError(file, row.line, 'a DrugBank id like DB00331', id);
      const atc = split(row.get('atc_codes'));
      const nid = ctx.addNode({ id, kind: 'Compound', name: row.get('name'), description: row.get('description') || null, source: 'drugbank' });
      ctx.mergeProps(nid, { type: row.get('type'), groups: split(row.get('groups')), atc, categories: split(row.get('categories')) });
      ctx.addTerm(nid, row.get('name'), 'name', 'drugbank');
      ctx.addXref(nid, 'DRUGBANK', id, 'drugbank');
      for (const code of atc) ctx.addXref(nid, 'ATC', code, 'drugbank');
    }

    const aliasFile = dataFile(ctx.dataDir, 'drugbank-dhimmel', 'aliases.json');
    ctx.useSource('drugbank', aliasFile);
    const aliases = readJsonSource<Record<string, string[]>>(aliasFile);
    if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) {
      throw new SourceFormatError(aliasFile, 1, 'an object mapping DrugBank ids to alias lists');
    }
    for (const [id, names] of Object.entries(aliases)) {
      const nid = ctx.nid(id);
      if (nid === undefined || !Array.isArray(names)) continue;
      for (const name of names) ctx.addTerm(nid, String(name), 'synonym', 'drugbank');
    }

    const pubchemFile = dataFile(ctx.dataDir, 'drugbank-dhimmel', 'pubchem-mapping.tsv');
    ctx.useSource('drugbank', pubchemFile);
    for (const row of readTsv(pubchemFile, { required: ['drugbank_id', 'pubchem_cid'] })) {
      const nid = ctx.nid(row.get('drugbank_id'));
      if (nid !== undefined) ctx.addXref(nid, 'PUBCHEM', row.get('pubchem_cid'), 'drugbank');
    }
    const uniiFile = dataFile(ctx.dataDir, 'drugbank-dhimmel', 'mapping_fdasrs_unii.tsv');
    ctx.useSource('drugbank', uniiFile);
    for (const row of readTsv(uniiFile, { required: ['drugbank_id', 'fdasrs_id'] })) {
      const nid = ctx.nid(row.get('drugbank_id'));
      if (nid !== undefined) ctx.addXref(nid, 'UNII', row.get('fdasrs_id'), 'drugbank');
    }
  },
};
