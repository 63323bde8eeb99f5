import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Prompts live next to this loader, one markdown file per prompt. */
const PROMPTS_DIR = path.dirname(fileURLToPath(import.meta.url));

/** A prompt file is missing or a template variable was not supplied. */
export class PromptError extends Error {}

const VAR = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

/** Reads a prompt template by name ("system" → prompts/system.md); a missing file throws. */
function readPromptTemplate(name: string, dir: string = PROMPTS_DIR): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new PromptError(`invalid prompt name ${JSON.stringify(name)}`);
  const file = path.join(dir, `${name}.md`);
  if (!fs.existsSync(file)) throw new PromptError(`prompt file ${file} does not exist`);
  return fs.readFileSync(file, 'utf8');
}

/** The variables a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(VAR)].map((m) => m[1]))];
}

/**
 * Fills `{{name}}` placeholders. Every placeholder must have a value: a silently empty slot in a
 * prompt is a bug that only shows up as worse answers, so it fails here instead.
 */
export function renderTemplate(template: string, vars: Record<string, string | number>, label = 'prompt'): string {
  const missing = templateVariables(template).filter((v) => vars[v] === undefined || vars[v] === null);
  if (missing.length) throw new PromptError(`${label} needs variable(s) ${missing.join(', ')}`);
  return template.replace(VAR, (_, v: string) => String(vars[v]));
}

/** Loads prompts/<name>.md and fills its variables; fails on a missing file or variable. */
export function loadPrompt(name: string, vars: Record<string, string | number> = {}): string {
  return renderTemplate(readPromptTemplate(name), vars, `prompt "${name}"`).trim();
}

/** One input of the KEDRec-LM instruction, as the expRxRec dataset builder (issue 6) writes it. */
export interface InstructionInput {
  /** The condition or the patient case in words. */
  patient: string;
  /** Candidate drugs, one per entry: "Metformin (DB00331)". */
  candidates: string[];
  /** Background passages, each already prefixed with its evidence ID: "[PMID:123] …". */
  background: string[];
  /** What is asked; defaults to the standard selection question. */
  question?: string;
}

const DEFAULT_INSTRUCTION_QUESTION =
  'Which of the candidate drugs are most appropriate for this patient, and why? Cite the evidence IDs you rely on.';

/**
 * Renders the KEDRec-LM instruction template. The agent (retrieve-then-generate mode) and the
 * dataset builder share it so the model sees at inference the exact shape it was tuned on.
 */
export function renderInstruction(input: InstructionInput): string {
  return loadPrompt('kedrec-instruction', {
    patient: input.patient.trim() || '(not stated)',
    candidates: input.candidates.length ? input.candidates.map((c, i) => `${i + 1}. ${c}`).join('\n') : '(none found)',
    background: input.background.length ? input.background.map((b) => `- ${b}`).join('\n') : '(no background retrieved)',
    question: input.question?.trim() || DEFAULT_INSTRUCTION_QUESTION,
  });
}
