/**
 * The selection an embedded model writes under a grammar (agent/llama-cpp-model.ts): the drugs it
 * picks, only from this turn's candidates (the schema lists their names, so it cannot name
 * another), and its rationale with the evidence ids it cites. Read back into the answer's text
 * form ("Selected drugs: …"), which the citation and safety checks read like any model's answer,
 * and which is what streams: a reader never sees the JSON.
 */
const MAX_SELECTED = 3;

/** Ends the text of an answer the model stopped writing at its token limit. */
export const SELECTION_CUT_OFF = '… [cut off: the model reached its token limit]';

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

interface ReadSelection {
  selected: string[];
  rationale: string;
  /** Whether the JSON was whole; false when the generation stopped inside it. */
  complete: boolean;
}

/** A JSON string's body that may stop mid-escape, decoded as far as it goes. */
function decodePartialString(body: string): string {
  const safe = body.replace(/\\(u[0-9a-fA-F]{0,3})?$/, '');
  try {
    return JSON.parse(`"${safe}"`) as string;
  } catch {
    return safe;
  }
}

/**
 * The selection in what the model wrote so far, whole or cut off. Null until the list of
 * selected drugs is closed (before that nothing is known), and for text that is not the JSON.
 * The grammar writes the properties in schema order: the selection, then the rationale.
 */
function readSelection(raw: string): ReadSelection | null {
  try {
    const parsed = JSON.parse(raw) as { selected?: unknown; rationale?: unknown };
    if (parsed && typeof parsed === 'object' && Array.isArray(parsed.selected)) {
      return {
        selected: parsed.selected.filter((x): x is string => typeof x === 'string'),
        rationale: typeof parsed.rationale === 'string' ? parsed.rationale : '',
        complete: true,
      };
    }
    return null;
  } catch {
    // Cut off: read what is there.
  }
  const list = /^\s*\{\s*"selected"\s*:\s*(\[[^\]]*\])/.exec(raw);
  if (!list) return null;
  let selected: unknown;
  try {
    selected = JSON.parse(list[1]);
  } catch {
    return null;
  }
  if (!Array.isArray(selected)) return null;
  const rest = raw.slice(list.index + list[0].length);
  const body = /^\s*,\s*"rationale"\s*:\s*"((?:[^"\\]|\\.)*\\?)/.exec(rest);
  return { selected: selected.filter((x): x is string => typeof x === 'string'), rationale: body ? decodePartialString(body[1]) : '', complete: false };
}

const render = (s: ReadSelection, rationale: string) => `Selected drugs: ${s.selected.join(', ') || 'none'}\n\nRationale: ${rationale}`;

/** What to show while the model writes: nothing until the selection is closed, then the text form as far as it goes. */
export function selectionSoFar(raw: string): string {
  const s = readSelection(raw);
  return s ? render(s, s.rationale.trimStart()).replace(/\s+$/, '') : '';
}

/**
 * The answer's text form of the model's JSON: whole, or marked as cut off when the generation
 * stopped inside it. Text that is not the JSON (a model without the grammar) is kept as written.
 * Always extends what `selectionSoFar` showed, so the streamed tokens and the answer agree.
 */
export function selectionText(raw: string): string {
  const s = readSelection(raw);
  if (!s) return raw;
  const rationale = s.rationale.trim();
  if (!s.complete) return `${render(s, rationale)} ${SELECTION_CUT_OFF}`.replace(/: {2}/, ': ');
  return render(s, rationale || '(none given)');
}

/** The call options that make an embedded model write a selection among `candidates` and stream it as text. */
export function selectionCallOptions(candidates: string[]) {
  return { jsonSchema: selectionSchema(candidates), render: { soFar: selectionSoFar, final: selectionText } };
}
