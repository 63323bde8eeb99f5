import { compactAnswer, renderCompact, type CompactAnswer, type TextFormat } from '../clinical/compact-answer.js';
import type { FinalAnswer } from '../agent/types.js';

/**
 * A final answer as a Slack message: Block Kit (a section per drug, its safety flags in their own
 * section, its sources as a context block of links, the drugs left out for safety, then notes), and
 * the same compact answer in mrkdwn as the plain-text fallback for notifications and clients
 * without blocks. Within Slack's limits: at most 50 blocks, 3,000 characters per section text, 10
 * elements per context block (https://api.slack.com/reference/block-kit/blocks).
 */
const SLACK_LIMITS = { blocks: 50, sectionText: 3000, contextElements: 10, fallbackText: 3000 } as const;

/** Slack's mrkdwn: *bold*, _italic_, <url|label>; &, < and > escaped in text. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const SLACK_MRKDWN: TextFormat = {
  bold: (s) => `*${esc(s)}*`,
  italic: (s) => `_${esc(s)}_`,
  link: (label, url) => `<${url}|${esc(label).replace(/\|/g, '/')}>`,
};

type Block = Record<string, unknown>;

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) } });
const context = (texts: string[]): Block => ({
  type: 'context',
  elements: texts.slice(0, SLACK_LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: clip(t, 2000) })),
});

/** The answer's blocks, most important first; when over the block limit the tail is cut with a pointer to the rest. */
export function answerBlocks(a: FinalAnswer | CompactAnswer): Block[] {
  const c = 'drugs' in a ? a : compactAnswer(a);
  const f = SLACK_MRKDWN;
  const blocks: Block[] = [];
  if (c.evidenceOnly) blocks.push(context(['_Evidence-only answer: assembled from the knowledge base by a deterministic recommender; no language model wrote it._']));
  if (c.modelText) blocks.push(section(esc(c.modelText).replace(/\*\*(.+?)\*\*/g, '*$1*')));
  const caseLines = [
    `${f.bold('Case')}: ${esc(c.caseLine)}`,
    c.checkedAgainst ? esc(`Each drug below was checked against ${c.checkedAgainst}: no rule against it.`) : '',
    c.firstLineLeftOut ? esc(c.firstLineLeftOut) : '',
  ];
  blocks.push(section(caseLines.filter(Boolean).join('\n')));
  if (!c.drugs.length) blocks.push(section(c.leftOut.length ? 'No drug met the evidence and safety criteria for this case: every candidate was left out (below).' : 'No drug met the evidence and safety criteria for this case.'));
  for (const d of c.drugs) {
    blocks.push({ type: 'divider' });
    blocks.push(section([`${f.bold(`${d.rank}. ${d.name}`)} — ${esc(d.summary)}`, ...d.forPatient.map((s) => esc(s.replace(/\s*\(see "[^"]+"\)/, '')))].join('\n')));
    if (d.flags.length) blocks.push(section(d.flags.map((x) => `:warning: ${esc(x)}`).join('\n')));
    if (d.sources.length) blocks.push(context(d.sources.map((s) => (s.url ? f.link(s.label, s.url) : esc(s.label)))));
  }
  if (c.leftOut.length) {
    blocks.push({ type: 'divider' });
    const leftOutLine = (e: (typeof c.leftOut)[number]) => {
      const cite = e.cite ? ` (${e.cite.url ? f.link(e.cite.label, e.cite.url) : esc(e.cite.label)})` : '';
      return `• ${f.bold(e.name)} — ${esc(e.label)}: ${esc(e.reason)}${cite}`;
    };
    blocks.push(section([f.bold('Not for this patient'), ...c.leftOut.map(leftOutLine)].join('\n')));
  }
  const tail: string[] = [];
  const o = c.otherLeftOut;
  if (o.count) tail.push(esc(`${o.count} more recorded as not indicated or recommended against: ${o.names.slice(0, 6).join(', ')}${o.count > 6 ? ` and ${o.count - 6} more` : ''}.`));
  if (o.already.length) tail.push(esc(`Already taking: ${o.already.join(', ')}.`));
  if (c.changes.length) tail.push(`${f.bold('What changed')}: ${esc(c.changes.join('; '))}`);
  if (tail.length) blocks.push(section(tail.join('\n')));
  if (c.warnings.length) blocks.push(section(c.warnings.map((w) => `:warning: ${esc(w)}`).join('\n')));
  const foot = [...c.notes.map((n) => `Note: ${n}`), c.disclaimer].filter(Boolean).map((t) => f.italic(t));
  if (foot.length) blocks.push(context(foot));
  if (blocks.length > SLACK_LIMITS.blocks) {
    const kept = blocks.slice(0, SLACK_LIMITS.blocks - 1);
    kept.push(context(['_The answer is longer than one Slack message holds; ask for one drug, or open the web page for the rest._']));
    return kept;
  }
  return blocks;
}

/** The plain-text fallback: the compact answer in mrkdwn, within the fallback limit. */
export function answerFallbackText(a: FinalAnswer): string {
  return clip(renderCompact(a, SLACK_MRKDWN), SLACK_LIMITS.fallbackText);
}
