import { readJsonSource, SourceFormatError } from './table.js';

/** One PubMedQA expert-labelled instance (`ori_pqal.json`), keyed by PMID. */
export interface PubMedQaArticle {
  pmid: string;
  /** PubMedQA's question, which its authors derived from the article title. */
  question: string;
  /** Abstract sections without the conclusion, with their labels (BACKGROUND, METHODS, …). */
  sections: { label: string; text: string }[];
  /** The abstract's conclusion, which PubMedQA holds out as the long answer. */
  conclusion: string;
  mesh: string[];
  year: number | null;
  decision: string;
}

interface RawInstance {
  QUESTION?: unknown;
  CONTEXTS?: unknown;
  LABELS?: unknown;
  MESHES?: unknown;
  YEAR?: unknown;
  LONG_ANSWER?: unknown;
  final_decision?: unknown;
}

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);

/** Reads `ori_pqal.json`, checking each instance has the fields the corpus needs. */
export function readPubMedQa(file: string): PubMedQaArticle[] {
  const data = readJsonSource<Record<string, RawInstance>>(file);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new SourceFormatError(file, 1, 'a JSON object keyed by PMID');
  }
  const out: PubMedQaArticle[] = [];
  for (const [pmid, inst] of Object.entries(data)) {
    const contexts = strings(inst.CONTEXTS);
    if (!/^\d+$/.test(pmid) || typeof inst.QUESTION !== 'string' || !contexts) {
      throw new SourceFormatError(file, 0, `PMID keys with QUESTION (string) and CONTEXTS (string[]) (at key ${pmid})`);
    }
    const labels = strings(inst.LABELS) ?? [];
    const year = typeof inst.YEAR === 'string' && /^\d{4}$/.test(inst.YEAR) ? Number(inst.YEAR) : null;
    out.push({
      pmid,
      question: inst.QUESTION.trim(),
      sections: contexts.map((text, i) => ({ label: labels[i] ?? '', text: text.trim() })),
      conclusion: typeof inst.LONG_ANSWER === 'string' ? inst.LONG_ANSWER.trim() : '',
      mesh: strings(inst.MESHES) ?? [],
      year,
      decision: typeof inst.final_decision === 'string' ? inst.final_decision : '',
    });
  }
  return out;
}
