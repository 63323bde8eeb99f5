import { articleItem, drugUrl, factId, indicationItem, interactionItem, licenses, pathItem, sideEffectItem, sources, trialItem } from '../clinical/evidence-items.js';
import type { LedgerItem } from '../clinical/case-types.js';

/**
 * Citations: what tool results in this thread make citable (built from the structured tool
 * artifacts, never from the text the model read), and the check that removes anything else
 * from an answer.
 */

/** What one tool result contributes to the thread: evidence items, citable IDs and drugs seen. */
export interface Harvest {
  items: LedgerItem[];
  citable: string[];
  drugs: Record<string, string>;
}

/**
 * Reads a tool's structured result (the ToolMessage artifact). Known tools give typed evidence
 * items; for every tool, a generic walk collects PMIDs, NCT IDs and DrugBank drugs anywhere in
 * the result, so a tool added later still makes its IDs citable.
 */
export function harvestToolResult(tool: string, result: unknown): Harvest {
  const items: LedgerItem[] = [];
  // Read loosely on purpose: a result of a shape this code does not know throws inside the try
  // below, and the generic walk after it still harvests its IDs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped walk over any tool's result, guarded by the try
  const r = result as Record<string, any>;
  try {
    switch (tool) {
      case 'find_drugs_for_condition':
        for (const d of r.drugs ?? []) items.push(indicationItem(d.drug, d.relation, r.condition, d.provenance, d.tier, d.via));
        break;
      case 'explain_drug_condition_link':
        for (const p of r.paths ?? []) items.push(pathItem(p));
        if (r.recordedIndication && r.recordedIndication !== 'none') {
          items.push(indicationItem(r.drug, r.recordedIndication, r.condition, r.indicationProvenance ?? [], r.tier, r.via));
        }
        break;
      case 'get_drug_profile':
        for (const i of r.indications ?? []) items.push(indicationItem(r.drug, i.relation, i.disease, i.provenance, i.tier));
        for (const s of r.sideEffects ?? []) items.push(sideEffectItem(r.drug, s));
        for (const t of r.targets ?? []) {
          items.push({
            type: 'kg_fact',
            id: factId(r.drug.id, 'CbG', t.gene.id),
            url: drugUrl(r.drug.id),
            snippet: `${r.drug.name} binds ${t.gene.name}${t.actions?.length ? ` (${t.actions.join(', ')})` : ''}.`,
            source: sources(t.provenance),
            license: licenses(t.provenance),
            drugs: [r.drug.id],
          });
        }
        break;
      case 'check_interactions':
        for (const i of r.interactions ?? []) items.push(interactionItem(i));
        break;
      case 'search_trials':
        for (const t of r.results ?? []) items.push(trialItem(t));
        break;
      case 'get_trial':
        if (r.trial ?? r.nct_id) items.push(trialItem(r.trial ?? r));
        break;
      case 'search_literature':
        for (const a of r.results ?? []) items.push(articleItem(a));
        break;
      case 'get_article':
        if (r.article ?? r.pmid) items.push(articleItem(r.article ?? r));
        break;
      case 'recommend_drugs':
        for (const rec of r.recommendations ?? []) for (const e of rec.evidence ?? []) items.push({ ...e, drugs: [rec.drug.id] });
        break;
    }
  } catch {
    // A shape this code does not know yet: the generic walk below still harvests the IDs.
  }
  const citable = new Set<string>(items.map((i) => i.id));
  const drugs: Record<string, string> = {};
  walk(result, (key, value, parent) => {
    if (typeof value === 'string') {
      if ((key === 'pmid' || key === 'pmids') && /^\d{1,9}$/.test(value)) citable.add(`PMID:${value}`);
      for (const m of value.matchAll(/\bNCT\d{8}\b/g)) citable.add(m[0]);
      if (key === 'id' && /^DB\d{5}$/.test(value) && typeof parent?.name === 'string') drugs[value] = parent.name;
    }
  });
  return { items, citable: [...citable], drugs };
}

function walk(
  v: unknown,
  visit: (key: string, value: unknown, parent: Record<string, unknown> | undefined) => void,
  key = '',
  parent?: Record<string, unknown>,
  depth = 0,
): void {
  if (depth > 8 || v === null || v === undefined) return;
  if (Array.isArray(v)) {
    for (const x of v) walk(x, visit, key, parent, depth + 1);
    return;
  }
  if (typeof v === 'object') {
    const record = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(record)) walk(x, visit, k, record, depth + 1);
    return;
  }
  visit(key, v, parent);
}

/** A citation found in text, normalised to the ledger's id form. */
export interface FoundCitation {
  /** Normalised id: "PMID:123", "NCT01234567", "DB00331-CtD-DOID:9352". */
  id: string;
  /** The exact text that cited it. */
  raw: string;
}

const PMID_RE = /\bPMID\s*[:#]?\s*(\d{1,9})\b|pubmed\.ncbi\.nlm\.nih\.gov\/(\d{1,9})\/?/gi;
const NCT_RE = /\bNCT\d{8}\b/gi;
const NODE = '(?:DB\\d{5}|CHEMBL\\d+|DOID:\\d+|NCBIGene:\\d+|UMLS:C\\d+|MESH:[A-Z]\\d+|NDFRT:N\\d+|GO:\\d+|[A-Za-z]+:[A-Za-z0-9.]+)';
const FACT_RE = new RegExp(`\\b${NODE}(?:-[A-Za-z]{2,6}-${NODE})+`, 'g');
/** The three citation forms in one pattern (PMID groups first), for a single replacing pass. */
const ANY_CITATION_RE = new RegExp(`${PMID_RE.source}|\\bNCT\\d{8}\\b|\\b${NODE}(?:-[A-Za-z]{2,6}-${NODE})+`, 'gi');

/** Finds every PMID, NCT ID and KG fact id cited in a text. */
export function findCitations(text: string): FoundCitation[] {
  const out: FoundCitation[] = [];
  for (const m of text.matchAll(PMID_RE)) out.push({ id: `PMID:${m[1] ?? m[2]}`, raw: m[0] });
  for (const m of text.matchAll(NCT_RE)) out.push({ id: m[0].toUpperCase(), raw: m[0] });
  for (const m of text.matchAll(FACT_RE)) out.push({ id: m[0], raw: m[0] });
  return out;
}

/** The answer with unsupported citations removed, and what was removed. */
export interface CitationCheck {
  text: string;
  removed: string[];
  kept: string[];
}

/**
 * Keeps citations a tool returned in this thread and removes the rest from the text, replacing
 * each with a visible marker and adding a sentence that says so: a removed citation must not
 * look like a supported one, nor silently vanish.
 */
export function checkCitations(text: string, citable: Iterable<string>): CitationCheck {
  const allowed = new Set([...citable].map((c) => c.toUpperCase()));
  const removed = new Set<string>();
  const kept = new Set<string>();
  // One pass over the text: each citation is kept or replaced where it stands (a replace per
  // citation would rescan the whole text once per citation).
  let out = text.replace(ANY_CITATION_RE, (raw, pmidA?: string, pmidB?: string) => {
    const id = pmidA || pmidB ? `PMID:${pmidA ?? pmidB}` : /^NCT\d{8}$/i.test(raw) ? raw.toUpperCase() : raw;
    if (allowed.has(id.toUpperCase())) {
      kept.add(id);
      return raw;
    }
    removed.add(id);
    return '[citation removed]';
  });
  // "[[citation removed]]" from bracketed citations reads badly; collapse it.
  out = out.replace(/\[\s*\[citation removed\]\s*\]/g, '[citation removed]').replace(/\(\s*\[citation removed\]\s*\)/g, '[citation removed]');
  if (removed.size) {
    out += `\n\nNote: ${removed.size} citation(s) were removed because no tool in this conversation returned them: ${[...removed].join(', ')}.`;
  }
  return { text: out, removed: [...removed], kept: [...kept] };
}

/**
 * Which drugs an answer recommends, in order. Numbered or bulleted lines (the format the system
 * prompt asks for) and a "Selected drugs:" line (the KEDRec-LM instruction format) count first;
 * without them, every known drug mentioned counts. Only drugs that tool results in this thread
 * named are recognised, and drugs to exclude (current medications, allergies) are skipped.
 */
export function recommendedDrugsInText(text: string, drugsSeen: Record<string, string>, exclude: Set<string>): { id: string; name: string; line: string }[] {
  const entries = Object.entries(drugsSeen)
    .filter(([id]) => !exclude.has(id))
    .map(([id, name]) => ({ id, name, re: new RegExp(`\\b(?:${id}|${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})\\b`, 'i') }));
  const lines = text.split('\n');
  const listLines = lines.filter((l) => /^\s*(?:\d+[.)]|[-*•])\s+/.test(l));
  const selected = lines.find((l) => /^\s*selected drugs?\s*:/i.test(l));
  const out: { id: string; name: string; line: string }[] = [];
  const take = (line: string, firstOnly: boolean) => {
    const hits = entries
      .map((e) => ({ e, at: line.search(e.re) }))
      .filter((h) => h.at >= 0 && !out.some((o) => o.id === h.e.id))
      .sort((a, b) => a.at - b.at);
    for (const h of firstOnly ? hits.slice(0, 1) : hits) out.push({ id: h.e.id, name: h.e.name, line: line.trim() });
  };
  if (selected) take(selected, false);
  for (const l of listLines) {
    if (/\b(?:avoid|not recommended|do not|don't|contraindicated)\b/i.test(l)) continue;
    take(l, true);
  }
  if (!out.length) for (const l of lines) if (!/\b(?:avoid|not recommended|do not|don't|contraindicated)\b/i.test(l)) take(l, false);
  // The rationale of a "Selected drugs:" pick is the text after the selection line.
  if (selected) {
    const rest = text.slice(text.indexOf(selected) + selected.length).trim();
    for (const o of out) if (o.line === selected.trim()) o.line = rest || o.line;
  }
  return out;
}
