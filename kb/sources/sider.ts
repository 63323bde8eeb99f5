import type { BuildContext, BuildStep } from '../base/build-context.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

const FREQ_COLUMNS = ['stitch_flat', 'stitch_stereo', 'umls_label', 'placebo', 'frequency', 'lower', 'upper', 'meddra_type', 'umls_meddra', 'name'];

interface Frequency {
  label: string;
  upper: number;
}

/**
 * SIDER 4.1 frequencies keyed "pubchemCid|umlsCui": the highest non-placebo upper bound and its
 * label. STITCH flat ids are "CID1" + the PubChem CID zero-padded to 8 digits.
 */
function readSiderFrequencies(file: string): Map<string, Frequency> {
  const out = new Map<string, Frequency>();
  for (const row of readTsv(file, { columns: FREQ_COLUMNS })) {
    const stitch = row.get('stitch_flat');
    const m = /^CID1(\d{8})$/.exec(stitch);
    if (!m) throw new SourceFormatError(file, row.line, 'a STITCH flat id like CID100000085', stitch);
    if (row.get('placebo') === 'placebo') continue;
    const key = `${Number(m[1])}|${row.get('umls_meddra')}`;
    const upper = Number(row.get('upper'));
    const cur = out.get(key);
    if (!cur || upper > cur.upper) out.set(key, { label: row.get('frequency'), upper: Number.isFinite(upper) ? upper : 0 });
  }
  return out;
}

/**
 * Drug → side-effect edges (CcSE) rebuilt from SIDER 4.1, with frequencies where SIDER has them.
 * Non-commercial (CC BY-NC-SA 4.0): skipped by --no-noncommercial.
 */
export const siderStep: BuildStep = {
  id: 'sider4',
  title: 'SIDER side effects and frequencies',
  sources: ['sider4'],
  run(ctx: BuildContext) {
    const edgeFile = dataFile(ctx.dataDir, 'hetionet', 'edges', 'Compound_Causes_SideEffect.rebuilt_from_SIDER4.tsv');
    const freqFile = dataFile(ctx.dataDir, 'sider4', 'meddra_freq.tsv.gz');
    const pubchemFile = dataFile(ctx.dataDir, 'drugbank-dhimmel', 'pubchem-mapping.tsv');
    ctx.useSource('sider4', edgeFile);
    ctx.useSource('sider4', freqFile);
    const freq = readSiderFrequencies(freqFile);
    const cids = new Map<string, string[]>();
    for (const row of readTsv(pubchemFile, { required: ['drugbank_id', 'pubchem_cid'] })) {
      const list = cids.get(row.get('drugbank_id')) ?? [];
      list.push(row.get('pubchem_cid'));
      cids.set(row.get('drugbank_id'), list);
    }
    let n = 0;
    for (const row of readTsv(edgeFile, { required: ['compound', 'side_effect', 'compound_name', 'side_effect_name'] })) {
      const drugId = row.get('compound');
      const cui = row.get('side_effect');
      if (!/^C\d{7}$/.test(cui)) throw new SourceFormatError(edgeFile, row.line, 'a UMLS CUI like C0000737', cui);
      const drug = ctx.nid(drugId) ?? ctx.addNode({ id: drugId, kind: 'Compound', name: row.get('compound_name'), source: 'sider4' });
      const se = ctx.nid(`UMLS:${cui}`) ?? ctx.addNode({ id: `UMLS:${cui}`, kind: 'Side Effect', name: row.get('side_effect_name'), source: 'sider4' });
      let f: Frequency | undefined;
      for (const cid of cids.get(drugId) ?? []) {
        const x = freq.get(`${cid}|${cui}`);
        if (x && (!f || x.upper > f.upper)) f = x;
      }
      ctx.addEdge(drug, 'CcSE', se, 'sider4', 'CC BY-NC-SA 4.0', f ? { frequency: f.label, frequencyValue: f.upper } : undefined);
      if (++n % 20000 === 0) ctx.progress('sider4', 'SIDER side effects', n, 108521);
    }
  },
};
