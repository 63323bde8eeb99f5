import type { EvidenceItem, ExcludedDrug, FinalAnswer } from '../agent/types.js';

const SEVERITY_TEXT: Record<ExcludedDrug['severity'], string> = {
  contraindicated: 'Contraindicated',
  avoid_unless: 'Avoid unless no alternative',
  not_indicated: 'Not indicated',
  already_taking: 'Already taking',
};

/** One exclusion as a Markdown line: drug, severity, reason, linked citation. */
export function excludedLine(e: ExcludedDrug): string {
  const cite = e.citation ? (e.citation.url ? ` — [${e.citation.source}](${e.citation.url})` : ` — ${e.citation.source}`) : '';
  return `**${e.drug.name}** — ${SEVERITY_TEXT[e.severity]}${e.overridable ? ' (can be overridden)' : ''}: ${e.reason}${cite}`;
}

/** Link for an evidence item: its own URL, else the public page its identifier names. */
export function evidenceUrl(e: Pick<EvidenceItem, 'type' | 'id' | 'url'>): string | undefined {
  if (e.url) return e.url;
  if (/^NCT\d{8}$/.test(e.id)) return `https://clinicaltrials.gov/study/${e.id}`;
  if (e.type === 'article' && /^\d+$/.test(e.id.replace(/^PMID:/i, ''))) return `https://pubmed.ncbi.nlm.nih.gov/${e.id.replace(/^PMID:/i, '')}/`;
  return undefined;
}

export interface RenderOptions {
  /** Put the answer text first (default true); false when the caller already streamed it. */
  includeText?: boolean;
  /**
   * Leave a recommendation's rationale out of its card when the answer text already holds it
   * word for word (the evidence-only text lists every rationale; a model's rationale is a line
   * of its text), so a reader who sees the text does not read each rationale twice. The card
   * keeps its rank, drug, evidence links and warnings. On by default: Slack, OpenAI-compatible
   * clients and the CLI all show the text beside the cards.
   */
  skipRationaleInText?: boolean;
}

/**
 * Markdown rendering of a final answer for text-only surfaces (OpenAI-compatible clients, Slack,
 * the CLI): the answer text, then ranked recommendations with their evidence, then warnings, so
 * nothing the structured answer holds is silently dropped.
 */
export function renderAnswerMarkdown(a: FinalAnswer, opts: RenderOptions = {}): string {
  const out: string[] = [];
  if (opts.includeText !== false && a.text.trim()) out.push(a.text.trim(), '');
  if (a.mode === 'evidence-only') out.push('_Evidence-only mode: no language model wrote this answer; it was assembled from the retrieved evidence._', '');
  if (a.recommendations.length) {
    out.push('**Recommendations**');
    for (const r of a.recommendations) {
      const inText = opts.skipRationaleInText !== false && !!r.rationale.trim() && a.text.includes(r.rationale.trim());
      out.push(`${r.rank}. **${r.drug.name}** (${r.drug.id})${inText ? '' : ` — ${r.rationale}`}`);
      const ev = r.evidence.map((e) => {
        const url = evidenceUrl(e);
        return url ? `[${e.id}](${url})` : e.id;
      });
      if (ev.length) out.push(`   Evidence: ${ev.join(', ')}`);
      for (const w of r.warnings) out.push(`   ⚠️ ${w.message}`);
    }
    out.push('');
  }
  // Exclusions are never hidden: listed unless the answer text already lists each of them.
  const excluded = (a.excluded ?? []).filter((e) => !(opts.includeText !== false && a.text.includes(`${e.drug.name} (${e.drug.id}) —`)));
  if (excluded.length) {
    out.push('**Left out for this patient**');
    for (const e of excluded) out.push(`- ${excludedLine(e)}`);
    out.push('');
  }
  const changes = (a.changes ?? []).filter((c) => !(opts.includeText !== false && a.text.includes(c)));
  if (changes.length) {
    out.push('**What changed since the last answer**');
    for (const c of changes) out.push(`- ${c}`);
    out.push('');
  }
  if (a.warnings.length) {
    out.push('**Warnings**');
    for (const w of a.warnings) out.push(`- ⚠️ ${w.kind}: ${w.message}`);
    out.push('');
  }
  for (const n of a.notices) out.push(`_Note: ${n}_`);
  if (a.removedCitations.length) out.push(`_Citations removed because no tool returned them: ${a.removedCitations.join(', ')}_`);
  if (a.disclaimer) out.push('', `_${a.disclaimer}_`);
  return out.join('\n').trim();
}
