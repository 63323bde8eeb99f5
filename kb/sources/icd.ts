import type { BuildContext, BuildStep } from '../base/build-context.js';
import { normalizeTerm } from '../base/graph-schema.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

/**
 * Canonical ICD code form used in the KB and at lookup: upper case, dot after the category
 * (ICD-10 "E119" → "E11.9", ICD-9 "25000" → "250.00", ICD-9 E-codes "E8120" → "E812.0").
 */
export function canonicalIcd(system: 'ICD9' | 'ICD10', code: string): string {
  const c = code.trim().toUpperCase().replace(/\./g, '');
  const at = system === 'ICD9' && c.startsWith('E') ? 4 : 3;
  return c.length > at ? `${c.slice(0, at)}.${c.slice(at)}` : c;
}

/**
 * ICD-10-CM and ICD-9-CM code descriptions (CMS, shipped with HINT). A code whose description is
 * exactly a Disease Ontology name or synonym becomes an xref of that disease, so "E11" (Type 2
 * diabetes mellitus) resolves to DOID:9352 although DO itself maps few ICD-10 codes. Codes whose
 * description is more specific are found at lookup time through their parent category.
 */
export const icdStep: BuildStep = {
  id: 'icd-descriptions',
  title: 'ICD-9/ICD-10 code descriptions → diseases',
  sources: ['icd-cms'],
  run(ctx: BuildContext) {
    // Terms are not indexed until the build ends, so load the disease terms once into memory.
    const diseaseByTerm = new Map<string, number[]>();
    const rows = ctx.db.prepare("SELECT DISTINCT t.term_norm, t.nid FROM terms t JOIN nodes n ON n.nid = t.nid WHERE n.kind = 'Disease'").all() as { term_norm: string; nid: number }[];
    for (const r of rows) diseaseByTerm.set(r.term_norm, [...(diseaseByTerm.get(r.term_norm) ?? []), r.nid]);
    const link = (system: 'ICD9' | 'ICD10', code: string, description: string) => {
      for (const nid of diseaseByTerm.get(normalizeTerm(description)) ?? []) ctx.addXref(nid, system, canonicalIcd(system, code), 'icd-cms');
    };
    const icd10File = dataFile(ctx.dataDir, 'hint', 'icdcode_icd_10_direct_mapping.csv');
    ctx.useSource('icd-cms', icd10File);
    for (const row of readTsv(icd10File, { columns: ['code', 'description'], quoted: true, delimiter: ',' })) {
      const code = row.get('code');
      if (!/^[A-Z]\d[\dA-Z]{1,5}$/.test(code)) throw new SourceFormatError(icd10File, row.line, 'an ICD-10 code like E119', code);
      link('ICD10', code, row.get('description'));
    }
    const icd9File = dataFile(ctx.dataDir, 'hint', 'icdcode_CMS32_DESC_LONG_DX.txt');
    ctx.useSource('icd-cms', icd9File);
    for (const row of readTsv(icd9File, { columns: ['line'], minFields: 1, encoding: 'latin1' })) {
      const m = /^([\dVE]\d{2,4})\s+(.+)$/.exec(row.values.join(' ').trim());
      if (!m) throw new SourceFormatError(icd9File, row.line, 'an ICD-9 code and its description separated by spaces', row.values.join(' '));
      link('ICD9', m[1], m[2]);
    }
  },
};
