import type { BuildContext, BuildStep } from '../base/build-context.js';
import { normalizeTerm } from '../base/graph-schema.js';
import { getOrCreate } from '../../lib/map.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

/** One Disease Ontology name or synonym as term-names.tsv lists it. */
export interface DoTerm {
  doid: string;
  name: string;
  type: 'name' | 'exact-synonym' | 'related-synonym' | 'narrow-synonym';
}

const DO_TERM_TYPES = new Set(['name', 'exact-synonym', 'related-synonym', 'narrow-synonym']);

/**
 * Reads disease-ontology/term-names.tsv. One upstream name contains a tab inside double quotes,
 * so the type is taken from the last field and the name from everything between.
 */
export function readDoTerms(file: string): DoTerm[] {
  const out: DoTerm[] = [];
  for (const row of readTsv(file, { required: ['doid', 'name', 'type'] })) {
    const doid = row.values[0];
    const type = row.values[row.values.length - 1];
    const name = row.values.slice(1, -1).join(' ').replace(/^"|"$/g, '').replace(/\s+/g, ' ').trim();
    if (!/^DOID:\d+$/.test(doid)) throw new SourceFormatError(file, row.line, 'a DOID like DOID:9352', doid);
    if (!DO_TERM_TYPES.has(type)) throw new SourceFormatError(file, row.line, `a term type (${[...DO_TERM_TYPES].join(', ')})`, type);
    out.push({ doid, name, type: type as DoTerm['type'] });
  }
  return out;
}

/**
 * Parent names too general to say anything: "X disease" is a disease, "lung carcinoma" is a
 * carcinoma, but an edge to those roots would make every term a sibling of every other.
 * normalizeTerm() forms; a term with any of these names (cancer's synonym "malignant tumor",
 * carcinoma's "epithelioma" aside) is never a parent, whichever of its names matched.
 */
const GENERIC_PARENT_TERMS: ReadonlySet<string> = new Set([
  'disease', 'syndrome', 'infection', 'cancer', 'carcinoma', 'disorder', 'neoplasm', 'tumor', 'tumour',
  'infectious disease', 'benign neoplasm', 'malignant neoplasm', 'malignant tumor', 'lesion',
]);

/**
 * Words that, right before a parent name, turn the term into something else: "non small cell
 * lung carcinoma" is not a "small cell lung carcinoma", "pseudohypoparathyroidism" written
 * "pseudo hypoparathyroidism" is not hypoparathyroidism.
 */
const NEGATING_PREFIXES: ReadonlySet<string> = new Set(['non', 'not', 'no', 'without', 'pre', 'post', 'anti', 'pseudo', 'para', 'peri']);

/**
 * Words that make the leading part more than a modifier: in "carcinoma of the supraglottis" or
 * "diabetes mellitus with polyneuropathy" the head of the phrase comes first, so the trailing
 * words do not name a parent.
 */
const PHRASE_WORDS: ReadonlySet<string> = new Set(['of', 'the', 'with', 'and', 'or', 'in', 'to', 'by', 'for', 'from', 'on', 'at', 'due', 'caused', 'associated', 'after', 'without', 'secondary']);

/** A name-based is-a link between two Disease Ontology terms, with the names that justify it. */
export interface NameParent {
  child: string;
  parent: string;
  rule: 'modifier' | 'due_to';
  childTerm: string;
  parentTerm: string;
}

/**
 * Infers "is a kind of" links from Disease Ontology names alone (the data has no full is_a
 * file): a term whose name or exact synonym is another term's name or exact synonym with
 * leading modifiers ("streptococcal pneumonia" → "pneumonia", "acute cystitis" → "cystitis"),
 * or "X due to / caused by Y" → X. Words are whole words of normalizeTerm() forms. Only the
 * nearest (longest) parent of each term is kept, so chains stay chains; parents whose term is
 * shared by several DOIDs, too general, or negated are skipped, and pairs that would point both
 * ways are dropped.
 */
export function inferNameParents(terms: readonly DoTerm[]): NameParent[] {
  const owners = new Map<string, Set<string>>();
  const byDoid = new Map<string, Set<string>>();
  for (const t of terms) {
    if (t.type !== 'name' && t.type !== 'exact-synonym') continue;
    const n = normalizeTerm(t.name);
    if (!n) continue;
    getOrCreate(owners, n, () => new Set()).add(t.doid);
    getOrCreate(byDoid, t.doid, () => new Set()).add(n);
  }
  const generic = new Set<string>();
  for (const g of GENERIC_PARENT_TERMS) for (const id of owners.get(g) ?? []) generic.add(id);
  /** The one DOID a term names, unless that term is generic, shared or the child's own. */
  const parentOf = (term: string, child: string, own: Set<string>): string | undefined => {
    if (GENERIC_PARENT_TERMS.has(term) || own.has(term)) return undefined;
    const ids = owners.get(term);
    if (!ids || ids.size !== 1) return undefined;
    const id = [...ids][0];
    return id === child || generic.has(id) ? undefined : id;
  };
  const found = new Map<string, NameParent>();
  const byDoidSorted = [...byDoid].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [child, own] of byDoidSorted) {
    for (const term of [...own].sort()) {
      const due = /^(.+?) (?:due to|caused by) (.+)$/.exec(term);
      if (due) {
        const p = parentOf(due[1], child, own);
        if (p && !found.has(`${child}|${p}`)) found.set(`${child}|${p}`, { child, parent: p, rule: 'due_to', childTerm: term, parentTerm: due[1] });
        continue;
      }
      const words = term.split(' ');
      for (let i = 1; i < words.length; i++) {
        const prefix = words.slice(0, i);
        if (prefix.some((w) => PHRASE_WORDS.has(w)) || NEGATING_PREFIXES.has(words[i - 1])) continue;
        const candidate = words.slice(i).join(' ');
        const p = parentOf(candidate, child, own);
        if (!p) continue;
        if (!found.has(`${child}|${p}`)) found.set(`${child}|${p}`, { child, parent: p, rule: 'modifier', childTerm: term, parentTerm: candidate });
        break;
      }
    }
  }
  return [...found.values()].filter((e) => !found.has(`${e.parent}|${e.child}`));
}

/**
 * Name-rule parents for disease nodes added after the Disease Ontology step (ChEMBL's diseases
 * DO lacks): the rule of `inferNameParents` over DO's names and exact synonyms together with the
 * added nodes' terms (normalizeTerm() forms, name first), so an added node's parent may be a DO
 * term ("soft tissue sarcoma" → sarcoma) or another added node ("low back pain" → back pain).
 * Only links whose child is an added node are returned, less those of `skipChildren` (nodes
 * with a curated parent) and those to `notParents`.
 */
export function inferAddedParents(
  doTerms: readonly DoTerm[],
  added: readonly { id: string; terms: readonly string[] }[],
  opts: { skipChildren?: ReadonlySet<string>; notParents?: ReadonlySet<string> } = {},
): NameParent[] {
  const ids = new Set(added.map((a) => a.id));
  const all: DoTerm[] = [...doTerms];
  for (const a of added) for (const t of a.terms) all.push({ doid: a.id, name: t, type: 'name' });
  // A child whose nearest parent is too general gets none: no parent is better than an over-general one.
  return inferNameParents(all).filter((l) => ids.has(l.child) && !opts.skipChildren?.has(l.child) && !opts.notParents?.has(l.parent));
}

/**
 * Disease hierarchy from names (DkD, child → parent, "is a kind of"): lets an indication
 * recorded for a subtype ("streptococcal pneumonia") serve the parent a clinician names
 * ("pneumonia"). Only name-based links: the data directory holds DO's slim propagation (DsD)
 * but not its full is_a graph. Writes meta `disease_hierarchy` with the counts.
 */
export const diseaseHierarchyStep: BuildStep = {
  id: 'disease-hierarchy',
  title: 'Disease hierarchy from Disease Ontology names',
  sources: ['disease-ontology'],
  run(ctx: BuildContext) {
    const file = dataFile(ctx.dataDir, 'disease-ontology', 'term-names.tsv');
    const license = ctx.useSource('disease-ontology', file).license;
    const links = inferNameParents(readDoTerms(file));
    const byRule: Record<string, number> = {};
    let written = 0;
    for (const l of links) {
      const child = ctx.nid(l.child);
      const parent = ctx.nid(l.parent);
      // Both are Disease nodes from the disease-ontology step; a missing one means that step failed.
      if (child === undefined || parent === undefined) throw new Error(`disease-hierarchy: ${l.child} or ${l.parent} is not a Disease node; run the disease-ontology step first`);
      ctx.addEdge(child, 'DkD', parent, 'disease-ontology', license, { basis: 'name', rule: l.rule, child_term: l.childTerm, parent_term: l.parentTerm });
      byRule[l.rule] = (byRule[l.rule] ?? 0) + 1;
      written++;
    }
    ctx.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('disease_hierarchy', JSON.stringify({ dkd_edges: written, by_rule: byRule }));
  },
};
