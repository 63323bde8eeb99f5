/**
 * Turns user text into an FTS5 MATCH expression that cannot be a syntax error. FTS5 gives
 * meaning to `"`, `*`, `^`, `:`, `(`, `)`, `+`, `-` and the words AND/OR/NOT/NEAR, so user
 * text is never passed through: every term is re-emitted as a double-quoted string. Kept from
 * the user's syntax: "quoted phrases" and a trailing `*` for prefix queries (`cardio*`).
 */

export interface QueryTerm {
  /** Tokens of the term, lower case, letters and digits only. */
  tokens: string[];
  /** Written in double quotes by the user: the tokens must be adjacent. */
  phrase: boolean;
  /** Written with a trailing `*`: the last token is a prefix. */
  prefix: boolean;
}

/** Words too common to require in an all-terms query; they still count in an any-term query. */
const STOPWORDS = new Set(
  'a an and are as at be by for from has have in into is it its of on or not near that the their this to was were with without vs versus'.split(' '),
);

const tokenize = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** Splits user text into terms; at most `maxTerms` are kept so a pasted page stays cheap. */
export function parseUserQuery(text: string, maxTerms = 32): QueryTerm[] {
  const out: QueryTerm[] = [];
  const re = /"([^"]*)"(\*?)|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && out.length < maxTerms) {
    if (m[1] !== undefined) {
      const tokens = tokenize(m[1]);
      if (tokens.length) out.push({ tokens, phrase: true, prefix: m[2] === '*' });
      continue;
    }
    const word = m[3];
    const prefix = /\w\*+$/.test(word);
    // Punctuation inside a word ("H2-receptor", "5-FU") makes it a phrase of its parts,
    // which is how the unicode61 tokenizer indexed it.
    const tokens = tokenize(word.replace(/\*+$/, ''));
    if (tokens.length) out.push({ tokens, phrase: tokens.length > 1, prefix: prefix && tokens[tokens.length - 1].length >= 2 });
  }
  return out;
}

function quoteTerm(t: QueryTerm): string {
  return `"${t.tokens.join(' ').replace(/"/g, '""')}"${t.prefix ? '*' : ''}`;
}

/**
 * MATCH expression over all columns: 'all' requires every non-stopword term, 'any' any term
 * (ranked by BM25, so documents holding more of them come first). Returns null when the text
 * holds no searchable term.
 */
export function toFtsMatch(terms: QueryTerm[], mode: 'all' | 'any'): string | null {
  let use = terms;
  if (mode === 'all') {
    const content = terms.filter((t) => t.phrase || t.prefix || !STOPWORDS.has(t.tokens[0]));
    use = content.length ? content : terms;
  }
  if (!use.length) return null;
  const seen = new Set<string>();
  const parts = use.map(quoteTerm).filter((q) => !seen.has(q) && seen.add(q));
  return parts.join(mode === 'all' ? ' AND ' : ' OR ');
}

/** The plain words of a query, for snippets cut from text FTS did not index (live results). */
export function queryWords(terms: QueryTerm[]): string[] {
  return [...new Set(terms.flatMap((t) => t.tokens).filter((w) => !STOPWORDS.has(w)))];
}

/**
 * A short window of `text` around the first place the query words occur, with matches marked
 * `**like this**`; the start of the text when none occurs. Used for live results and for
 * documents found by dense search, where FTS5's snippet() is not available.
 */
export function makeSnippet(text: string, words: string[], maxChars = 240): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean) return '';
  const stems = words.filter((w) => w.length >= 2).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').slice(0, Math.max(3, w.length - 2)));
  const re = stems.length ? new RegExp(`\\b(${stems.join('|')})[\\p{L}\\p{N}]*`, 'giu') : null;
  let start = 0;
  if (re) {
    const m = re.exec(clean);
    if (m) start = Math.max(0, m.index - Math.floor(maxChars / 3));
    re.lastIndex = 0;
  }
  if (start > 0) {
    const sp = clean.indexOf(' ', start);
    start = sp >= 0 && sp - start < 20 ? sp + 1 : start;
  }
  let end = Math.min(clean.length, start + maxChars);
  if (end < clean.length) {
    const sp = clean.lastIndexOf(' ', end);
    if (sp > start + maxChars / 2) end = sp;
  }
  let s = clean.slice(start, end);
  if (re) s = s.replace(re, '**$&**');
  return `${start > 0 ? '…' : ''}${s}${end < clean.length ? '…' : ''}`;
}
