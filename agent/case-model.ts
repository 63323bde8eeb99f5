import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { z } from 'zod';
import { parseCaseDelta, type CaseDelta } from '../clinical/case-reader.js';
import type { TrackedCase } from '../clinical/case-types.js';
import { contextOf, readContext, type ContextSpan } from '../clinical/context.js';
import { loadPrompt } from '../prompts/load.js';

const mentions = z.array(z.string().min(1).max(120)).max(30);

/** The model's reading of one message: the same fields the rule reader fills. */
const llmCaseSchema = z.object({
  conditions_add: mentions.optional(),
  conditions_remove: mentions.optional(),
  medications_add: mentions.optional(),
  medications_remove: mentions.optional(),
  allergies_add: mentions.optional(),
  age: z.number().int().min(0).max(120).optional(),
  sex: z.enum(['female', 'male', 'other']).optional(),
  pregnant: z.boolean().optional(),
  renal: z.string().max(200).optional(),
  hepatic: z.string().max(200).optional(),
});
export type LlmCase = z.infer<typeof llmCaseSchema>;

/** Where a mention stands in the text, as the rule reader sees it: absent from the text, stated, negated, or a relative's. */
function standing(text: string, spans: ContextSpan[], mention: string): 'absent' | 'present' | 'negated' | 'family' {
  const lower = text.toLowerCase();
  const m = mention.toLowerCase().trim();
  let at = m ? lower.indexOf(m) : -1;
  if (at < 0) return 'absent';
  // The mention may stand more than once ("no asthma … asthma since childhood"): stated once is
  // stated; otherwise the first occurrence's context stands.
  const first = contextOf(spans, at, at + m.length);
  if (first === 'present') return 'present';
  for (at = lower.indexOf(m, at + m.length); at >= 0; at = lower.indexOf(m, at + m.length)) {
    if (contextOf(spans, at, at + m.length) === 'present') return 'present';
  }
  return first;
}

const WHY = { negated: 'negates it', family: 'gives it to a relative' } as const;
const FIELD = { conditions: 'a condition', currentMedications: 'a current medication', allergies: 'an allergy' } as const;

/**
 * Merges a model's reading into the rule reader's, the reader cross-checking it:
 * - an addition the text negates or gives to a relative is refused, and said;
 * - a removal needs the text's own negation (the reader's): a model cannot take a stated finding
 *   off the case, which would silence the rules that key on it;
 * - pregnancy: when the two disagree the stricter reading (pregnant) stands, and the clinician is asked;
 * - everything else the model adds goes through the same KB resolution as the reader's mentions
 *   (what does not resolve is reported, never kept), and is named as the model's reading.
 * Pure: the model's output is data here.
 */
export function crossCheckModelCase(message: string, base: CaseDelta, x: LlmCase): CaseDelta {
  const text = message.replace(/\s+/g, ' ');
  const spans = readContext(text);
  const notices: string[] = [...(base.notices ?? [])];
  const modelOnly: string[] = [];
  const add = { conditions: [...base.add.conditions], currentMedications: [...base.add.currentMedications], allergies: [...base.add.allergies] };
  const remove = { ...base.remove, conditions: [...base.remove.conditions], currentMedications: [...base.remove.currentMedications] };
  const readerHas = (list: string[], m: string) => list.some((r) => r.toLowerCase() === m.toLowerCase());
  const negatedByReader = (m: string) =>
    (base.negated ?? []).some((n) => n.mention.toLowerCase().includes(m.toLowerCase()) || m.toLowerCase().includes(n.mention.toLowerCase()));

  const adds: [keyof typeof add, string[] | undefined][] = [
    ['conditions', x.conditions_add],
    ['currentMedications', x.medications_add],
    ['allergies', x.allergies_add],
  ];
  for (const [field, list] of adds) {
    for (const m of list ?? []) {
      if (readerHas(add[field], m)) continue;
      const where = standing(text, spans, m);
      if (where === 'negated' || where === 'family') {
        notices.push(`The model read "${m}" as ${FIELD[field]}, but the text ${WHY[where]}: it was not added.`);
        continue;
      }
      add[field].push(m);
      modelOnly.push(m);
    }
  }
  const removes: [keyof typeof remove, string[] | undefined][] = [
    ['conditions', x.conditions_remove],
    ['currentMedications', x.medications_remove],
  ];
  for (const [field, list] of removes) {
    for (const m of list ?? []) {
      if (readerHas(remove[field], m) || negatedByReader(m)) continue;
      if (field === 'currentMedications' && standing(text, spans, m) === 'negated') {
        remove[field].push(m);
        continue;
      }
      notices.push(`The model read "${m}" as no longer the patient's, but the text does not say so: it stays in the case (say "no ${m}" or "stopped ${m}" to take it off).`);
    }
  }
  let pregnant = base.pregnant ?? x.pregnant;
  if (base.pregnant !== undefined && x.pregnant !== undefined && base.pregnant !== x.pregnant) {
    pregnant = true;
    notices.push(`The model and the rule reader disagree on whether she is pregnant; the stricter reading (pregnant) is used until it is restated ("she is not pregnant" or "N weeks pregnant").`);
  }
  if (modelOnly.length) notices.push(`Read with the model's help (not found by the rule reader): ${modelOnly.map((m) => `"${m}"`).join(', ')}.`);
  return {
    ...base,
    add,
    remove,
    age: base.age ?? x.age,
    sex: base.sex ?? x.sex,
    pregnant,
    renal: base.renal ?? x.renal,
    hepatic: base.hepatic ?? x.hepatic,
    notices,
  };
}

/**
 * Model-assisted extraction (model mode): the model reads the message into the case schema with
 * structured output, and the rule reader cross-checks it (`crossCheckModelCase`). Resolution to
 * KB entities stays in code, so a model cannot add an entity the KB does not have. A reply that
 * is not the schema leaves the rule reading alone, and says so.
 */
export async function modelCaseDelta(model: BaseChatModel, current: TrackedCase, message: string, signal?: AbortSignal): Promise<CaseDelta> {
  const base = parseCaseDelta(message);
  const prompt = loadPrompt('case-extraction', { current_case: JSON.stringify({ ...current, notes: undefined }), message });
  // OpenAI-compatible servers differ on response_format (llama-cpp-python refuses "json_schema");
  // a named tool choice is what they share.
  const method = model.getName() === 'ChatOpenAI' ? 'functionCalling' : undefined;
  const raw = await model.withStructuredOutput(llmCaseSchema, method ? { method } : undefined).invoke(prompt, { signal });
  const parsed = llmCaseSchema.safeParse(raw);
  if (!parsed.success) return { ...base, notices: [...(base.notices ?? []), 'The model\'s reading of the case was not in the expected form; the rule reader\'s reading is used alone.'] };
  return crossCheckModelCase(message, base, parsed.data);
}
