import fs from 'node:fs';
import { findCitations } from '../agent/citations.js';
import { backgroundFor, type ExpRxRecExample, type Variant, VARIANTS } from './build.js';
import { instructionFor, KEDREC_LM_SYSTEM, parseAnswer } from './distill.js';

/**
 * Checks a distilled chat JSONL before anyone trains on it: every record is the exact prompt the
 * model is served with (system prompt, the instruction for that example and background variant),
 * and an answer that selects only among the example's candidates, has a rationale, and cites
 * only evidence ids its background gave. A model fine-tuned on records that break these learns
 * to break them.
 */
interface SftProblem {
  line: number;
  id?: string;
  problem: string;
}

export interface SftReport {
  records: number;
  valid: number;
  problems: SftProblem[];
}

export function validateSft(file: string, examples: Map<string, ExpRxRecExample>): SftReport {
  const problems: SftProblem[] = [];
  const seen = new Set<string>();
  let records = 0;
  let valid = 0;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    records++;
    const line = i + 1;
    const bad = (problem: string, id?: string) => problems.push({ line, ...(id ? { id } : {}), problem });
    let r: { id?: unknown; variant?: unknown; messages?: unknown };
    try {
      r = JSON.parse(text) as typeof r;
    } catch {
      return bad('not JSON');
    }
    const id = typeof r.id === 'string' ? r.id : undefined;
    if (!id) return bad('no "id"');
    if (typeof r.variant !== 'string' || !(VARIANTS as readonly string[]).includes(r.variant)) return bad(`"variant" must be one of ${VARIANTS.join(', ')}`, id);
    const variant = r.variant as Variant;
    if (seen.has(`${id}|${variant}`)) return bad(`duplicate record for ${id} (${variant})`, id);
    seen.add(`${id}|${variant}`);
    const m = r.messages as { role?: unknown; content?: unknown }[] | undefined;
    if (!Array.isArray(m) || m.length !== 3 || m.map((x) => x.role).join(',') !== 'system,user,assistant' || !m.every((x) => typeof x.content === 'string' && x.content.trim())) {
      return bad('"messages" must be system, user, assistant, each with text', id);
    }
    const ex = examples.get(id);
    if (!ex) return bad('no such example in the dataset', id);
    const before = problems.length;
    if (m[0].content !== KEDREC_LM_SYSTEM) bad('the system prompt is not the one KEDRec-LM is served with', id);
    if (m[1].content !== instructionFor(ex, variant)) bad('the instruction is not the one rendered for this example and variant', id);
    const answer = m[2].content as string;
    const { selected, rationale } = parseAnswer(answer, ex);
    if (!selected.length) bad('the answer selects none of the candidates', id);
    if (!/\nRationale:\s*\S/.test(answer)) bad('the answer has no rationale', id);
    const given = new Set(backgroundFor(ex, variant).map((b) => /^\[([^\]]+)\]/.exec(b)?.[1]).filter((x): x is string => !!x));
    const foreign = [...new Set(findCitations(rationale).map((c) => c.id))].filter((c) => !given.has(c));
    if (foreign.length) bad(`the rationale cites ids its background did not give: ${foreign.join(', ')}`, id);
    if (problems.length === before) valid++;
  });
  return { records, valid, problems };
}
