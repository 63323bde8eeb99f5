import { guidelineShortName } from './first-line.js';
import type { EvidenceItem, ExcludedDrug, PatientCase, RecommendedDrug, Warning } from './types.js';

/**
 * What the compact answer reads: the agent's final answer, or a recommend_drugs result (which has
 * no case, changes or model text).
 */
export interface AnswerLike {
  mode: 'model' | 'evidence-only';
  case?: PatientCase;
  recommendations: RecommendedDrug[];
  excluded: ExcludedDrug[];
  changes?: string[];
  text?: string;
  warnings: Warning[];
  removedCitations?: string[];
  notices: string[];
  disclaimer?: string;
}

/**
 * One compact answer for every text channel (Slack, OpenAI-compatible clients, the terminal):
 * each drug once, with its one-line reason, what matters for this patient, its safety flags and a
 * few sources with readable names; the drugs left out for safety with their rule; the
 * non-indications as one counted line. Nothing is said twice, and nothing the structured answer
 * holds is hidden: every exclusion is listed or counted, and the full rationale stays in the
 * structured answer (and the web page's expandable cards).
 */
interface CompactSource {
  /** The evidence id, for a model to cite ("NCT01234567", "GUIDELINE:hypertension"). */
  id: string;
  label: string;
  url?: string;
}

interface CompactDrug {
  rank: number;
  name: string;
  id: string;
  /** The one-line reason (line of therapy or indication record, trials, cautions). */
  summary: string;
  /** What the rationale says about this patient (checked against…, left out instead, same class). */
  forPatient: string[];
  /** Safety flags, most serious first, each once. */
  flags: string[];
  sources: CompactSource[];
}

interface CompactLeftOut {
  /** The drugs one rule leaves out, named together ("Apixaban, Rivaroxaban"). */
  name: string;
  label: string;
  reason: string;
  cite?: { label: string; url?: string };
}

export interface CompactAnswer {
  caseLine: string;
  /** The patient facts every drug was checked against, said once ("eGFR 40; age 67; current Warfarin"). */
  checkedAgainst?: string;
  /** First-line drugs this patient cannot take, said once (the reasons are in leftOut). */
  firstLineLeftOut?: string;
  evidenceOnly: boolean;
  /** The model's own text (model mode only: in evidence-only mode the drugs below are the answer). */
  modelText?: string;
  drugs: CompactDrug[];
  /** Safety exclusions (contraindicated, avoid unless), each with its rule. */
  leftOut: CompactLeftOut[];
  /** Recorded as not indicated, recommended against, or already taken: counted, named briefly. */
  otherLeftOut: { count: number; names: string[]; already: string[] };
  changes: string[];
  warnings: string[];
  notes: string[];
  disclaimer: string;
}

const SEVERITY_WORDS: Record<ExcludedDrug['severity'], string> = {
  contraindicated: 'contraindicated',
  avoid_unless: 'avoid unless no alternative',
  not_indicated: 'not indicated',
  already_taking: 'already taking',
};

/** The case in one line: who, what, and the facts the safety check used. */
function caseLine(c: PatientCase): string {
  const who = [c.age !== undefined ? `${c.age}-year-old` : '', c.sex && c.sex !== 'other' ? c.sex : ''].filter(Boolean).join(' ');
  const facts = [
    c.conditions.length ? c.conditions.map((x) => x.replace(/\s*\([A-Z]+:[^)]*\)$/, '')).join(', ') : 'no condition read',
    c.pregnant ? `pregnant${c.pregnancyWeeks !== undefined ? ` (${c.pregnancyWeeks} weeks)` : c.trimester ? ` (trimester ${c.trimester})` : ''}` : '',
    c.breastfeeding ? 'breastfeeding' : '',
    c.renal ? `kidney: ${c.renal}` : '',
    c.hepatic ? `liver: ${c.hepatic}` : '',
    c.currentMedications.length ? `takes ${c.currentMedications.map(plainName).join(', ')}` : '',
    c.allergies.length ? `allergic to ${c.allergies.map(plainName).join(', ')}` : '',
  ].filter(Boolean);
  return `${who ? `${who[0].toUpperCase()}${who.slice(1)}: ` : ''}${facts.join('; ')}`;
}

const plainName = (s: string) => s.replace(/\s*\((?:DB\d{5}|CHEMBL\d+|[A-Z]+:[^)]*)\)$/, '');

/** An evidence item's readable name: the guideline's title, the trial or PMID, "mechanism: blocks AGTR1", "indication: PharmacotherapyDB". */
export function sourceLabel(e: Pick<EvidenceItem, 'type' | 'id' | 'snippet' | 'source'>): string {
  switch (e.type) {
    case 'guideline':
      return guidelineShortName(e.source);
    case 'trial':
      return e.id;
    case 'article':
      return `PMID ${e.id.replace(/^PMID:/i, '')}`;
    case 'kg_path': {
      const m = /^\S+(?: \S+)*? (blocks|inhibits|activates|binds|modulates|antagonises|agonises|targets|acts on|opens|reduces|increases) ([A-Z0-9-]+)/.exec(e.snippet);
      return m ? `mechanism: ${m[1]} ${m[2]}` : 'mechanism';
    }
    case 'kg_fact': {
      // "Metformin treats type 2 diabetes: physician-curated indication (PharmacotherapyDB) (hetionet)": the record's owner.
      const owner = /:[^(]*\(([^)]+)\)/.exec(e.snippet)?.[1];
      return /indicat|treats|palliates/.test(e.snippet) ? `indication: ${owner ?? e.source.split(',')[0]}` : e.source.split(',')[0] ?? e.id;
    }
    case 'label':
      return 'FDA label';
    case 'interaction':
      return `interaction: ${e.source.split(',')[0]}`;
    default:
      return e.source.split(',')[0] ?? e.id;
  }
}

/** Link for an evidence item: its own URL, else the public page its identifier names. */
function evidenceUrl(e: Pick<EvidenceItem, 'type' | 'id' | 'url'>): string | undefined {
  if (e.url) return e.url;
  if (/^NCT\d{8}$/.test(e.id)) return `https://clinicaltrials.gov/study/${e.id}`;
  const pmid = e.id.replace(/^PMID:/i, '');
  if (e.type === 'article' && /^\d+$/.test(pmid)) return `https://pubmed.ncbi.nlm.nih.gov/${pmid}/`;
  return undefined;
}

/** Sources shown per drug: the guideline, the indication record, two trials, an article, a mechanism. */
const SOURCE_QUOTA: Partial<Record<EvidenceItem['type'], number>> = { guideline: 1, kg_fact: 1, trial: 2, article: 1, kg_path: 1 };

function sourcesOf(evidence: EvidenceItem[]): CompactSource[] {
  const used = new Map<string, number>();
  const out: CompactSource[] = [];
  for (const e of evidence) {
    const n = used.get(e.type) ?? 0;
    if (n >= (SOURCE_QUOTA[e.type] ?? 0)) continue;
    used.set(e.type, n + 1);
    const url = evidenceUrl(e);
    out.push({ id: e.id, label: sourceLabel(e), ...(url ? { url } : {}) });
  }
  return out;
}

/** The rationale's sentences about this patient (the recommender writes them with these openings). */
const PATIENT_SENTENCE = /^(?:For this patient:|First-line drugs left out|Same class, also suitable:)/;

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+(?=[A-Z])/).map((s) => s.trim()).filter(Boolean);
}

/** A drug's flags, most serious first, each message once; serious effects in one line. */
function flagsOf(warnings: Warning[]): string[] {
  const order = (w: Warning) => (/^Boxed warning/.test(w.message) ? 0 : w.severity === 'contraindicated' ? 1 : w.severity === 'caution' ? 2 : w.kind === 'serious_effect' ? 3 : 4);
  const seen = new Set<string>();
  return [...warnings]
    .filter((w) => w.kind !== 'side_effect')
    .sort((a, b) => order(a) - order(b))
    .map((w) => w.message)
    .filter((m) => !seen.has(m) && !!seen.add(m));
}

/** "For this patient: X was checked against F: no rule against it." — the F, when nothing was found. */
const CHECKED_CLEAN = /^For this patient: .+? was checked against (.+): no rule against it\.$/;

/** A reason without the drug's name in front ("Apixaban — current medication Warfarin: …" → "current medication Warfarin: …"). */
const withoutDrug = (reason: string, name: string) => (reason.startsWith(`${name} — `) ? reason.slice(name.length + 3) : reason);

export function compactAnswer(a: AnswerLike): CompactAnswer {
  const evidenceOnly = a.mode === 'evidence-only';
  const said = a.recommendations.map((r) => sentences(r.rationale));
  // What every drug's rationale says alike is said once for the answer, not once per drug.
  const clean = said.map((ss) => ss.map((x) => CHECKED_CLEAN.exec(x)?.[1]).find(Boolean));
  const checkedAgainst = clean.length && clean.every((f) => f && f === clean[0]) ? clean[0] : undefined;
  const leftOuts = said.map((ss) => ss.find((x) => x.startsWith('First-line drugs left out')));
  const firstLeftOut = leftOuts[0];
  const firstLineLeftOut = firstLeftOut && leftOuts.every((x) => x === firstLeftOut) ? firstLeftOut.replace(/\s*\(see "[^"]+"\)/, '') : undefined;
  const drugs: CompactDrug[] = a.recommendations.map((r, i) => ({
    rank: r.rank,
    name: r.drug.name,
    id: r.drug.id,
    summary: r.summary ?? said[i][0]?.replace(/\s*\[[^\]]+\]/g, '') ?? '',
    forPatient: said[i].filter((x) => PATIENT_SENTENCE.test(x) && !(checkedAgainst && CHECKED_CLEAN.test(x)) && !(firstLineLeftOut && x.startsWith('First-line drugs left out'))),
    flags: flagsOf(r.warnings),
    sources: sourcesOf(r.evidence),
  }));
  const safety = a.excluded.filter((e) => e.severity === 'contraindicated' || e.severity === 'avoid_unless');
  // One rule that leaves out several drugs (a second anticoagulant with warfarin) is one line.
  const grouped = new Map<string, { names: string[]; e: ExcludedDrug; reason: string }>();
  for (const e of safety) {
    const reason = withoutDrug(e.reason, e.drug.name);
    const key = `${e.severity}|${e.overridable}|${reason}|${e.citation?.url ?? ''}`;
    const g = grouped.get(key);
    if (g) g.names.push(e.drug.name);
    else grouped.set(key, { names: [e.drug.name], e, reason });
  }
  const other = a.excluded.filter((e) => e.severity === 'not_indicated');
  const already = a.excluded.filter((e) => e.severity === 'already_taking');
  const shownFlags = new Set(drugs.flatMap((d) => d.flags));
  return {
    caseLine: a.case ? caseLine(a.case) : '',
    ...(checkedAgainst ? { checkedAgainst } : {}),
    ...(firstLineLeftOut ? { firstLineLeftOut } : {}),
    evidenceOnly,
    ...(evidenceOnly || !a.text?.trim() ? {} : { modelText: a.text.trim() }),
    drugs,
    leftOut: [...grouped.values()].map(({ names, e, reason }) => ({
      name: names.join(', '),
      label: `${SEVERITY_WORDS[e.severity]}${e.overridable ? ' (can be overridden)' : ''}`,
      reason,
      ...(e.citation ? { cite: { label: e.citation.source.split(/\s*[(:;]/)[0], ...(e.citation.url ? { url: e.citation.url } : {}) } } : {}),
    })),
    otherLeftOut: { count: other.length, names: other.map((e) => e.drug.name), already: already.map((e) => e.drug.name) },
    changes: a.changes ?? [],
    // Answer-level warnings once; a message a drug already carries is not repeated.
    warnings: [...new Set(a.warnings.map((w) => w.message))].filter((m) => !shownFlags.has(m)),
    notes: [...new Set(a.notices), ...(a.removedCitations?.length ? [`Citations removed because no tool returned them: ${a.removedCitations.join(', ')}`] : [])],
    disclaimer: a.disclaimer ?? '',
  };
}

/** How a text channel writes emphasis and links. */
export interface TextFormat {
  bold: (s: string) => string;
  italic: (s: string) => string;
  link: (label: string, url: string) => string;
}

const MARKDOWN: TextFormat = {
  bold: (s) => `**${s}**`,
  italic: (s) => `_${s}_`,
  link: (label, url) => `[${label.replace(/[[\]]/g, '')}](${url})`,
};

/** Names listed for the counted left-out groups before "and N more". */
const NAMED = 6;

const EVIDENCE_ONLY_LINE = 'Evidence-only answer: assembled from the knowledge base by a deterministic recommender; no language model wrote it.';

/** The compact answer as text in a channel's dialect (Markdown by default). */
export function renderCompact(a: AnswerLike | CompactAnswer, f: TextFormat = MARKDOWN, opts: { includeModelText?: boolean } = {}): string {
  const c = 'drugs' in a ? a : compactAnswer(a);
  const out: string[] = [];
  if (c.evidenceOnly) out.push(f.italic(EVIDENCE_ONLY_LINE), '');
  if (c.modelText && opts.includeModelText !== false) out.push(c.modelText, '');
  if (c.caseLine) out.push(`${f.bold('Case')}: ${c.caseLine}`);
  if (c.checkedAgainst) out.push(`Each drug below was checked against ${c.checkedAgainst}: no rule against it.`);
  if (c.firstLineLeftOut) out.push(c.firstLineLeftOut);
  out.push('');
  if (!c.drugs.length) out.push(c.leftOut.length ? 'No drug met the evidence and safety criteria for this case: every candidate was left out (below).' : 'No drug met the evidence and safety criteria for this case.', '');
  for (const d of c.drugs) {
    out.push(`${d.rank}. ${f.bold(d.name)} — ${d.summary}`);
    for (const s of d.forPatient) out.push(`   ${s.replace(/\s*\(see "[^"]+"\)/, '')}`);
    for (const flag of d.flags) out.push(`   ⚠️ ${flag}`);
    if (d.sources.length) out.push(`   Sources: ${d.sources.map((s) => (s.url ? f.link(s.label, s.url) : s.label)).join(' · ')}`);
  }
  if (c.drugs.length) out.push('');
  if (c.leftOut.length) {
    out.push(f.bold('Not for this patient'));
    for (const e of c.leftOut) out.push(`- ${f.bold(e.name)} — ${e.label}: ${e.reason}${e.cite ? ` (${e.cite.url ? f.link(e.cite.label, e.cite.url) : e.cite.label})` : ''}`);
    out.push('');
  }
  const o = c.otherLeftOut;
  if (o.count) out.push(`${o.count} more recorded as not indicated or recommended against for this condition: ${o.names.slice(0, NAMED).join(', ')}${o.count > NAMED ? ` and ${o.count - NAMED} more` : ''}.`, '');
  if (o.already.length) out.push(`Already taking: ${o.already.join(', ')}.`, '');
  if (c.changes.length) out.push(f.bold('What changed'), ...c.changes.map((x) => `- ${x}`), '');
  if (c.warnings.length) out.push(...c.warnings.map((w) => `⚠️ ${w}`), '');
  for (const n of c.notes) out.push(f.italic(`Note: ${n}`));
  if (c.disclaimer) out.push('', f.italic(c.disclaimer));
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * A recommend_drugs result as an MCP client's model reads it by default: the compact answer in
 * plain text with citable ids, and the same in trimmed structured content. `detail: "full"` gives
 * every rationale, score component and evidence item.
 */
export function summarizeRecommendations(r: Pick<AnswerLike, 'recommendations' | 'excluded' | 'warnings' | 'notices'>): { text: string; structured: Record<string, unknown> } {
  const c = compactAnswer({ mode: 'evidence-only', ...r });
  const lines: string[] = [];
  if (c.checkedAgainst) lines.push(`Each drug below was checked against ${c.checkedAgainst}: no rule against it.`);
  if (c.firstLineLeftOut) lines.push(c.firstLineLeftOut);
  if (!c.drugs.length) lines.push('No recommendation.');
  for (const d of c.drugs) {
    lines.push(`${d.rank}. ${d.name} (${d.id}) — ${d.summary}`);
    for (const s of d.forPatient) lines.push(`   ${s}`);
    for (const f of d.flags) lines.push(`   ⚠ ${f}`);
    if (d.sources.length) lines.push(`   cite: ${d.sources.map((s) => `[${s.id}]`).join(' ')}`);
  }
  if (c.leftOut.length) {
    lines.push(
      'Not for this patient:',
      ...c.leftOut.map((e) => `- ${e.name} — ${e.label}: ${e.reason}${e.cite ? ` [${e.cite.label}${e.cite.url ? ` ${e.cite.url}` : ''}]` : ''}`),
    );
  }
  const o = c.otherLeftOut;
  if (o.count) lines.push(`${o.count} more recorded as not indicated or recommended against: ${o.names.slice(0, NAMED).join(', ')}${o.count > NAMED ? ` and ${o.count - NAMED} more` : ''}.`);
  if (o.already.length) lines.push(`Already taking: ${o.already.join(', ')}.`);
  lines.push(...c.warnings.map((w) => `Note: ${w}`), ...c.notes.map((n) => `Note: ${n}`));
  lines.push('(detail: "full" returns every rationale and evidence item.)');
  return {
    text: lines.join('\n'),
    structured: {
      ...(c.checkedAgainst ? { checked_against: c.checkedAgainst } : {}),
      recommendations: c.drugs.map((d) => ({
        rank: d.rank,
        drug: { id: d.id, name: d.name },
        summary: d.summary,
        for_patient: d.forPatient,
        flags: d.flags,
        cite: d.sources,
      })),
      not_for_patient: c.leftOut,
      other_left_out: { count: o.count, names: o.names.slice(0, NAMED), already_taking: o.already },
      warnings: c.warnings,
      notices: c.notes,
    },
  };
}
