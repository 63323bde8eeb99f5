import type { TextModel } from '../agent/model-spec.js';
import { instructionFor, KEDREC_LM_SYSTEM, parseAnswer, type ChatMessage } from '../dataset/distill.js';
import type { Recommender } from './exprxrec.js';

/**
 * A language model as an expRxRec recommender: KEDRec-LM (or any model behind Ollama, an
 * OpenAI-compatible server, or a GGUF file run in process) gets the same system prompt and
 * instruction it is fine-tuned and served with, through the chat client the agent serves it with
 * (an embedded model writes under the same selection grammar), and its answer is parsed into a
 * selection and a rationale. The model names no ranking, so the ranked list is its selection
 * followed by the other candidates in listed order.
 *
 * A failed call aborts the evaluation with the example named: an empty answer scored as a miss
 * would look like a weak model, not a broken server.
 */
export function modelRecommender(model: TextModel, opts: { retries?: number } = {}): Recommender {
  const retries = opts.retries ?? 1;
  return {
    name: `model:${model.name}`,
    async recommend({ example, variant }) {
      const messages: ChatMessage[] = [
        { role: 'system', content: KEDREC_LM_SYSTEM },
        { role: 'user', content: instructionFor(example, variant) },
      ];
      let text: string | undefined;
      let lastError: unknown;
      for (let attempt = 0; attempt <= retries && text === undefined; attempt++) {
        try {
          text = await model.complete(messages, { candidates: example.candidates.map((c) => c.name) });
        } catch (e) {
          lastError = e;
        }
      }
      if (text === undefined) throw new Error(`${model.name} failed on example ${example.id} (${variant}): ${lastError instanceof Error ? lastError.message : String(lastError)}`);
      const { selected, rationale } = parseAnswer(text, example);
      const chosen = new Set(selected);
      return { ranked: [...selected, ...example.candidates.map((c) => c.id).filter((id) => !chosen.has(id))], selected, rationale };
    },
  };
}
