import { callTeacher, instructionFor, KEDREC_LM_SYSTEM, parseAnswer, type ChatMessage, type Teacher } from '../dataset/distill.js';
import type { Recommender } from './exprxrec.js';

/**
 * A language model as an expRxRec recommender: KEDRec-LM (or any model behind Ollama or an
 * OpenAI-compatible server) gets the same system prompt and instruction it is fine-tuned and
 * served with, and its answer is parsed into a selection and a rationale. The model names no
 * ranking, so the ranked list is its selection followed by the other candidates in listed order.
 *
 * A failed call aborts the evaluation with the example named: an empty answer scored as a miss
 * would look like a weak model, not a broken server.
 */
export function modelRecommender(model: Teacher, opts: { call?: (t: Teacher, m: ChatMessage[]) => Promise<string>; retries?: number } = {}): Recommender {
  const call = opts.call ?? ((t, m) => callTeacher(t, m));
  const retries = opts.retries ?? 1;
  return {
    name: `model:${model.model}`,
    async recommend({ example, variant }) {
      const messages: ChatMessage[] = [
        { role: 'system', content: KEDREC_LM_SYSTEM },
        { role: 'user', content: instructionFor(example, variant) },
      ];
      let text: string | undefined;
      let lastError: unknown;
      for (let attempt = 0; attempt <= retries && text === undefined; attempt++) {
        try {
          text = await call(model, messages);
        } catch (e) {
          lastError = e;
        }
      }
      if (text === undefined) throw new Error(`${model.provider}:${model.model} failed on example ${example.id} (${variant}): ${lastError instanceof Error ? lastError.message : String(lastError)}`);
      const { selected, rationale } = parseAnswer(text, example);
      const chosen = new Set(selected);
      return { ranked: [...selected, ...example.candidates.map((c) => c.id).filter((id) => !chosen.has(id))], selected, rationale };
    },
  };
}
