import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { z } from 'zod';
import { parseCaseDelta, type CaseDelta } from '../clinical/case-reader.js';
import type { TrackedCase } from '../clinical/case-types.js';
import { loadPrompt } from '../prompts/load.js';

const llmCaseSchema = z.object({
  conditions_add: z.array(z.string()).optional(),
  conditions_remove: z.array(z.string()).optional(),
  medications_add: z.array(z.string()).optional(),
  medications_remove: z.array(z.string()).optional(),
  allergies_add: z.array(z.string()).optional(),
  age: z.number().int().min(0).max(120).optional(),
  sex: z.enum(['female', 'male', 'other']).optional(),
  pregnant: z.boolean().optional(),
  renal: z.string().optional(),
  hepatic: z.string().optional(),
});

/**
 * Model-assisted extraction (optional, model mode): the model reads the message with the
 * case-extraction prompt, and its lists are merged into the rule-based delta. Resolution to KB
 * entities stays in code, so a model cannot add an entity the KB does not have.
 */
export async function modelCaseDelta(model: BaseChatModel, current: TrackedCase, message: string, signal?: AbortSignal): Promise<CaseDelta> {
  const base = parseCaseDelta(message);
  const prompt = loadPrompt('case-extraction', { current_case: JSON.stringify({ ...current, notes: undefined }), message });
  const raw = await model.withStructuredOutput(llmCaseSchema).invoke(prompt, { signal });
  const parsed = llmCaseSchema.safeParse(raw);
  if (!parsed.success) return base;
  const x = parsed.data;
  const add = (a: string[], b?: string[]) => [...new Set([...a, ...(b ?? [])])];
  // Everything the rules read (patient factors, allergy reactions, ambiguous mentions) is kept: the
  // model only adds to the lists, it never drops what code found.
  return {
    ...base,
    add: { conditions: add(base.add.conditions, x.conditions_add), currentMedications: add(base.add.currentMedications, x.medications_add), allergies: add(base.add.allergies, x.allergies_add) },
    remove: { conditions: add(base.remove.conditions, x.conditions_remove), currentMedications: add(base.remove.currentMedications, x.medications_remove), allergies: base.remove.allergies },
    age: base.age ?? x.age,
    sex: base.sex ?? x.sex,
    pregnant: base.pregnant ?? x.pregnant,
    renal: base.renal ?? x.renal,
    hepatic: base.hepatic ?? x.hepatic,
  };
}

