import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalizeTerm } from '../base/graph-schema.js';

/**
 * The clinical vocabulary the ontologies lack: abbreviations and everyday names ("CAP", "AF",
 * "diabetes", "aspirin") mapped to the entity a clinician means, each with why
 * (kb/vocabulary/lay-terms.tsv). Both graph stores consult it first, so every tool and the case
 * reader resolve the same words to the same entity.
 */
export interface LayTerm {
  term: string;
  kind: 'Disease' | 'Compound';
  target: string;
  basis: string;
}

const DEFAULT_LAY_TERMS_FILE = fileURLToPath(new URL('../vocabulary/lay-terms.tsv', import.meta.url));

/** Reads the table, keyed by normalised term; a malformed row stops with its line and what is valid. */
export function readLayTerms(file = DEFAULT_LAY_TERMS_FILE): Map<string, LayTerm[]> {
  const out = new Map<string, LayTerm[]>();
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const header = lines[0]?.split('\t');
  if (header?.join('\t') !== 'term\tkind\ttarget\tbasis') throw new Error(`${file}: line 1 must be the header "term<TAB>kind<TAB>target<TAB>basis"`);
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const [term, kind, target, basis] = line.split('\t');
    const where = `${file}: line ${i + 2}`;
    if (kind !== 'Disease' && kind !== 'Compound') throw new Error(`${where}: kind must be Disease or Compound, got ${JSON.stringify(kind)}`);
    if (!target || !/^(?:DOID:\d+|DB\d{5}|CHEMBL\d+|EFO:\d+|[A-Z]+:[A-Za-z0-9_]+)$/.test(target)) throw new Error(`${where}: target must be an identifier such as DOID:9352 or DB00945, got ${JSON.stringify(target)}`);
    if (!basis?.trim()) throw new Error(`${where}: every lay term needs its basis (why the term means that entity)`);
    const norm = normalizeTerm(term ?? '');
    if (!norm) throw new Error(`${where}: empty term`);
    const list = out.get(norm) ?? [];
    list.push({ term, kind, target, basis });
    out.set(norm, list);
  });
  return out;
}

const cache = new Map<string, Map<string, LayTerm[]>>();
/** The table at `file`, read once per process (it is part of the code, not of the data). */
export function layTerms(file = DEFAULT_LAY_TERMS_FILE): Map<string, LayTerm[]> {
  let t = cache.get(file);
  if (!t) cache.set(file, (t = readLayTerms(file)));
  return t;
}
