import fs from 'node:fs';
import path from 'node:path';
import type { BuildContext, BuildStep } from '../base/build-context.js';
import { publicId } from '../base/graph-schema.js';
import { isNoncommercialLicense, SOURCES } from '../base/source-registry.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

/** xref system under which each Hetionet kind's own identifier is also indexed. */
const KIND_XREF: Record<string, string> = {
  Compound: 'DRUGBANK',
  Disease: 'DOID',
  Gene: 'NCBIGENE',
  'Side Effect': 'UMLS',
  Symptom: 'MESH',
};

/** Reads `metaedges.tsv`: "Compound - binds - Gene" → { abbreviation CbG, expected edge count }. */
export function readMetaedges(file: string): Map<string, { abbreviation: string; edges: number; source: string; target: string; verb: string }> {
  const out = new Map<string, { abbreviation: string; edges: number; source: string; target: string; verb: string }>();
  for (const row of readTsv(file, { required: ['metaedge', 'abbreviation', 'edges'] })) {
    const m = /^(.+?) [->] (.+?) [->] (.+)$/.exec(row.get('metaedge'));
    if (!m) throw new SourceFormatError(file, row.line, 'a metaedge like "Compound - binds - Gene"', row.get('metaedge'));
    const [, source, verb, target] = m;
    const edges = Number(row.get('edges'));
    if (!Number.isInteger(edges)) throw new SourceFormatError(file, row.line, 'an integer edge count', row.get('edges'));
    // Edge files are named Source_Verb_Target.tsv with kinds' spaces removed.
    const fileKey = `${source.replace(/ /g, '')}_${verb[0].toUpperCase()}${verb.slice(1)}_${target.replace(/ /g, '')}`;
    out.set(fileKey, { abbreviation: row.get('abbreviation'), edges, source, target, verb });
  }
  return out;
}

/** Per-edge provenance of CbG and DaG from dhimmel/integrate, keyed "start|end". */
interface IntegrateSource {
  sources: string;
  license: string;
  pmids: string[];
  actions: string[];
  affinity?: string;
}

function readIntegrateSources(file: string, startCol: string, endCol: string): Map<string, IntegrateSource> {
  const out = new Map<string, IntegrateSource>();
  for (const row of readTsv(file, { required: [startCol, endCol, 'sources', 'license'] })) {
    const pm = row.values.length > 3 && file.includes('CbG') ? row.get('pubmed_ids') : '';
    const actions = file.includes('CbG') ? row.get('actions') : '';
    out.set(`${row.get(startCol)}|${row.get(endCol)}`, {
      sources: row.get('sources'),
      license: row.get('license'),
      pmids: pm ? pm.split('|').filter(Boolean) : [],
      actions: actions ? actions.split('|').filter(Boolean) : [],
      affinity: file.includes('CbG') ? row.get('affinity_nM') || undefined : undefined,
    });
  }
  return out;
}

export const hetionetNodesStep: BuildStep = {
  id: 'hetionet-nodes',
  title: 'Hetionet nodes',
  sources: ['hetionet'],
  run(ctx: BuildContext) {
    const file = dataFile(ctx.dataDir, 'hetionet', 'hetionet-v1.0-nodes.tsv');
    ctx.useSource('hetionet', file);
    let n = 0;
    for (const row of readTsv(file, { required: ['id', 'name', 'kind'] })) {
      const raw = row.get('id');
      const kind = row.get('kind');
      const sep = raw.indexOf('::');
      if (sep < 0 || raw.slice(0, sep) !== kind) throw new SourceFormatError(file, row.line, `an id of the form "${kind}::<identifier>"`, raw);
      const local = raw.slice(sep + 2);
      const nid = ctx.addNode({ id: publicId(kind, local), kind, name: row.get('name'), source: 'hetionet', inHetionet: true });
      const system = KIND_XREF[kind];
      if (system) ctx.addXref(nid, system, local, 'hetionet');
      if (++n % 5000 === 0) ctx.progress('hetionet-nodes', 'Hetionet nodes', n, 47031);
    }
  },
};

/** Edge files read by other steps (SIDER's rebuilt side-effect edges carry their own license). */
const EDGE_FILES_ELSEWHERE = /rebuilt_from_SIDER4/;

export const hetionetEdgesStep: BuildStep = {
  id: 'hetionet-edges',
  title: 'Hetionet edges',
  sources: ['hetionet'],
  run(ctx: BuildContext) {
    const dir = dataFile(ctx.dataDir, 'hetionet');
    const metaedgesFile = path.join(dir, 'metaedges.tsv');
    ctx.useSource('hetionet', metaedgesFile);
    const metaedges = readMetaedges(metaedgesFile);
    const cbgFile = path.join(dir, 'sources', 'integrate_CbG-binding.tsv');
    const dagFile = path.join(dir, 'sources', 'integrate_DaG-association.tsv');
    ctx.useSource('hetionet', cbgFile);
    ctx.useSource('hetionet', dagFile);
    const cbg = readIntegrateSources(cbgFile, 'drugbank_id', 'entrez_gene_id');
    const dag = readIntegrateSources(dagFile, 'doid_id', 'entrez_gene_id');
    const edgeDir = path.join(dir, 'edges');
    let files: string[];
    try {
      files = fs.readdirSync(edgeDir).filter((f) => f.endsWith('.tsv') && !EDGE_FILES_ELSEWHERE.test(f)).sort();
    } catch {
      throw new SourceFormatError(edgeDir, 0, 'a directory of per-metaedge edge files (Source_Verb_Target.tsv)');
    }
    const baseLicense = SOURCES.hetionet.license;
    files.forEach((name, i) => {
      const file = path.join(edgeDir, name);
      const key = name.replace(/\.tsv$/, '');
      const meta = metaedges.get(key);
      if (!meta) throw new SourceFormatError(file, 0, `a file name matching a metaedge in metaedges.tsv (${[...metaedges.keys()].slice(0, 4).join(', ')}, …)`, name);
      ctx.useSource('hetionet', file);
      const startHeader = `:START_ID(${meta.source})`;
      const endHeader = `:END_ID(${meta.target})`;
      const startPrefix = publicId(meta.source, '');
      const endPrefix = publicId(meta.target, '');
      for (const row of readTsv(file, { required: [startHeader, endHeader] })) {
        const a = row.get(startHeader);
        const b = row.get(endHeader);
        const src = ctx.nid(startPrefix + a);
        const dst = ctx.nid(endPrefix + b);
        if (src === undefined || dst === undefined) {
          throw new SourceFormatError(file, row.line, `endpoints that are Hetionet ${meta.source} and ${meta.target} nodes`, `${a}\t${b}`);
        }
        let license = baseLicense;
        let props: Record<string, unknown> | undefined;
        if (meta.abbreviation === 'CbG') {
          const p = cbg.get(`${a}|${b}`);
          if (p) {
            license = p.license || baseLicense;
            props = { sources: p.sources, actions: p.actions, pmids: p.pmids, ...(p.affinity ? { affinity_nM: p.affinity } : {}) };
          }
          if (!ctx.noncommercial && isNoncommercialLicense(license)) continue;
        } else if (meta.abbreviation === 'DaG') {
          const p = dag.get(`${a.replace(/^DOID:/, 'DOID:')}|${b}`);
          if (p) {
            license = p.license || baseLicense;
            props = { sources: p.sources };
          }
        }
        ctx.addEdge(src, meta.abbreviation, dst, 'hetionet', license, props);
      }
      ctx.progress('hetionet-edges', 'Hetionet edges', i + 1, files.length);
    });
  },
};
