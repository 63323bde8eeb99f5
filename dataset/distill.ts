import fs from 'node:fs';
import path from 'node:path';
import { renderInstruction } from '../prompts/load.js';
import type { ChatTurn, TextModel } from '../agent/model-spec.js';
import { backgroundFor, type ExpRxRecExample, type Variant } from './build.js';

/**
 * Teacher distillation: a teacher model (served by Ollama or an OpenAI-compatible server, or run
 * in process from a GGUF file, through the same chat client the agent uses) answers each
 * expRxRec instruction with a selection and a rationale; only answers whose selection matches
 * the targets are kept, as chat-format JSONL for supervised fine-tuning. Resumable (finished
 * example × variant pairs are skipped on a rerun) and concurrency-limited.
 */

/** The system prompt KEDRec-LM is tuned with; the Modelfile serves the same one. */
export const KEDREC_LM_SYSTEM =
  'You are KEDRec-LM, a drug recommendation model. Select the most appropriate drugs from the candidate list for the patient and explain why, citing only the evidence IDs given in the background in square brackets.';

/** A chat message of the distilled records (the chat format fine-tuning stacks read). */
export type ChatMessage = ChatTurn;

/** The instruction for one example and variant, exactly as the agent renders it at inference. */
export function instructionFor(ex: ExpRxRecExample, variant: Variant): string {
  return renderInstruction({ patient: ex.patient, candidates: ex.candidates.map((c) => `${c.name} (${c.id})`), background: backgroundFor(ex, variant) });
}

/**
 * Reads the selection from a teacher answer: the candidates named (by id or by name) in the part
 * before "Rationale:" (the template's response starts with "Selected drugs:"). The rationale is
 * the rest; without a "Rationale:" marker the whole answer is the rationale.
 */
export function parseAnswer(text: string, ex: ExpRxRecExample): { selected: string[]; rationale: string } {
  const m = /rationale\s*:/i.exec(text);
  const head = m ? text.slice(0, m.index) : (text.split(/\n\s*\n/)[0] ?? text);
  const rationale = (m ? text.slice(m.index + m[0].length) : text).trim();
  const lower = head.toLowerCase();
  const selected = ex.candidates.filter((c) => head.includes(c.id) || new RegExp(`\\b${c.name.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(lower)).map((c) => c.id);
  return { selected, rationale };
}

export interface DistillOptions {
  teacher: TextModel;
  examples: ExpRxRecExample[];
  variants: Variant[];
  out: string;
  concurrency?: number;
  /** Keep answers whose selection equals the targets exactly (default) or that at least contain one target. */
  match?: 'exact' | 'any';
  onProgress?: (s: { done: number; total: number; kept: number; failed: number }) => void;
}

export interface DistillSummary {
  total: number;
  skipped: number;
  kept: number;
  rejected: number;
  failed: number;
  errors: string[];
}

/** Runs distillation; appends each kept record to `out` as one complete JSON line. */
export async function distill(opts: DistillOptions): Promise<DistillSummary> {
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  const doneKeys = new Set<string>();
  // Rejected answers are logged beside the output so a rerun does not ask the teacher again.
  const rejectedFile = `${opts.out}.rejected.jsonl`;
  for (const f of [opts.out, rejectedFile]) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as { id?: string; variant?: string };
        if (r.id && r.variant) doneKeys.add(`${r.id}|${r.variant}`);
      } catch {
        // A torn last line from an interrupted run: that pair is simply redone.
      }
    }
  }
  const jobs = opts.examples.flatMap((ex) => opts.variants.map((variant) => ({ ex, variant }))).filter((j) => !doneKeys.has(`${j.ex.id}|${j.variant}`));
  const summary: DistillSummary = { total: jobs.length + doneKeys.size, skipped: doneKeys.size, kept: 0, rejected: 0, failed: 0, errors: [] };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { ex, variant } = jobs[next++];
      const messages: ChatMessage[] = [{ role: 'system', content: KEDREC_LM_SYSTEM }, { role: 'user', content: instructionFor(ex, variant) }];
      try {
        const answer = await opts.teacher.complete(messages, { candidates: ex.candidates.map((c) => c.name) });
        const { selected, rationale } = parseAnswer(answer, ex);
        const gold = new Set(ex.targets);
        const ok = opts.match === 'any' ? selected.some((s) => gold.has(s)) : selected.length === gold.size && selected.every((s) => gold.has(s));
        if (ok && rationale) {
          const names = ex.candidates.filter((c) => selected.includes(c.id)).map((c) => `${c.name} (${c.id})`);
          const target = `${names.join(', ')}\nRationale: ${rationale}`;
          fs.appendFileSync(
            opts.out,
            JSON.stringify({ id: ex.id, variant, split: ex.split, teacher: opts.teacher.name, messages: [...messages, { role: 'assistant', content: target }] }) + '\n',
          );
          summary.kept++;
        } else {
          fs.appendFileSync(rejectedFile, JSON.stringify({ id: ex.id, variant, selected, targets: ex.targets }) + '\n');
          summary.rejected++;
        }
      } catch (err) {
        summary.failed++;
        if (summary.errors.length < 5) summary.errors.push(`${ex.id}/${variant}: ${(err as Error).message}`);
      }
      opts.onProgress?.({ done: ++done, total: jobs.length, kept: summary.kept, failed: summary.failed });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 2, 32)) }, worker));
  return summary;
}

/** Reference rationales (by example id, first variant found) from a distilled file, for ROUGE. */
export function readReferences(file: string, variant?: Variant): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { id: string; variant: string; messages: ChatMessage[] };
    if (variant && r.variant !== variant) continue;
    const a = r.messages.find((m) => m.role === 'assistant')?.content ?? '';
    const i = a.indexOf('Rationale:');
    if (!out.has(r.id)) out.set(r.id, i >= 0 ? a.slice(i + 'Rationale:'.length).trim() : a);
  }
  return out;
}
