/**
 * The selection an embedded model writes under a grammar (agent/llama-cpp-model.ts): the drugs it
 * picks, only from this turn's candidates (the schema lists their names, so it cannot name
 * another), and its rationale with the evidence ids it cites. Read back into the answer's text
 * form ("Selected drugs: …"), which the citation and safety checks read like any model's answer.
 */
export const MAX_SELECTED = 3;

export function selectionSchema(candidates: string[]) {
  return {
    type: 'object',
    properties: {
      selected: { type: 'array', items: { enum: [...new Set(candidates)] }, minItems: 1, maxItems: Math.min(MAX_SELECTED, candidates.length) },
      rationale: { type: 'string' },
    },
    required: ['selected', 'rationale'],
  } as const;
}

/** The JSON selection as answer text; text that is not the JSON (a grammar-less model) is kept as written. */
export function selectionText(raw: string): string {
  let parsed: { selected?: unknown; rationale?: unknown };
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    return raw;
  }
  const selected = Array.isArray(parsed.selected) ? parsed.selected.filter((x): x is string => typeof x === 'string') : [];
  const rationale = typeof parsed.rationale === 'string' ? parsed.rationale.trim() : '';
  return `Selected drugs: ${selected.join(', ') || 'none'}\n\nRationale: ${rationale || '(none given)'}`;
}
