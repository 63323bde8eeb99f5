/**
 * Fuzzy string matching for entity resolution: trigram candidate generation and a similarity
 * score that tolerates typos and transpositions ("metfromin").
 *
 * The SQLite store finds candidates with an in-memory trigram index ({@link createFuzzyIndex}),
 * not an SQL query: an FTS5 trigram OR query ranks every term sharing any trigram (about 20 ms a
 * lookup), where counting shared trigrams over posting lists in memory takes a fraction of one.
 * The Neo4j store finds candidates with its full-text index; both score them with
 * {@link similarity}, so a candidate scores the same whichever backend found it.
 */
import { FUZZY_MATCH_THRESHOLD } from './shared.js';

/**
 * Optimal-string-alignment distance: Levenshtein plus adjacent transpositions. With `max`, any
 * distance above it comes back as `max + 1`, and the computation stops at the first row whose
 * minimum exceeds `max` (row minima never decrease, transpositions included), so a long
 * unrelated term costs a few rows, not the whole table.
 */
export function osaDistance(a: string, b: string, max = Infinity): number {
  const m = a.length;
  const n = b.length;
  if (Math.abs(m - n) > max) return max + 1;
  if (!m || !n) return m + n;
  // Three rolling rows (two back for transpositions) as typed arrays, comparing char codes.
  let prev2 = new Int32Array(n + 1);
  let prev = new Int32Array(n + 1);
  let cur = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  let aPrev = -1;
  for (let i = 1; i <= m; i++) {
    const ai = a.charCodeAt(i - 1);
    cur[0] = i;
    let rowMin = i;
    let bPrev = -1;
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1] + (ai === bj ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      if (ai === bPrev && aPrev === bj && prev2[j - 2] + 1 < v) v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
      bPrev = bj;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
    aPrev = ai;
  }
  return prev[n] > max ? max + 1 : prev[n];
}

/**
 * Similarity of a query to a stored term, in [0, 1]: the better of edit similarity
 * (1 − distance / longer length, for typos) and word containment (every query word begins a word
 * of the term, as "type 2 diabetes" in "type 2 diabetes mellitus": 0.75 plus up to 0.2 for how
 * much of the term the query covers).
 */
export function similarity(query: string, term: string): number {
  const len = Math.max(query.length, term.length);
  if (!len) return 1;
  const qWords = query.split(' ').filter(Boolean);
  const tWords = term.split(' ').filter(Boolean);
  const contained = qWords.length > 0 && qWords.every((w) => tWords.some((t) => t === w || (w.length >= 4 && t.startsWith(w))));
  const containment = contained ? 0.75 + 0.2 * (query.length / term.length) : 0;
  // Edit similarity only matters where it beats containment: 1 − d/len > containment needs
  // d ≤ floor((1 − containment)·len), so the distance is computed no further than that.
  const maxDist = Math.floor((1 - containment) * len);
  const d = osaDistance(query, term, maxDist);
  const edit = d > maxDist ? 0 : 1 - d / len;
  return Math.round(Math.max(edit, containment) * 1e4) / 1e4;
}

/** A term the index found for a query, with its {@link similarity} to the query. */
interface FuzzyCandidate {
  term: string;
  score: number;
}

/** Trigram index over distinct normalised terms, for typo-tolerant lookup. */
export interface FuzzyIndex {
  /** Distinct terms indexed. */
  readonly size: number;
  /**
   * Terms resembling `norm` (a normalised query) with a similarity of at least
   * {@link MIN_FUZZY_SCORE}, best first (score, then term). `kinds` keeps terms that name at least
   * one node of those kinds. Gibberish finds nothing rather than whatever is least unlike it.
   */
  search(norm: string, opts?: FuzzySearchOptions): FuzzyCandidate[];
}

interface FuzzySearchOptions {
  /** Keep terms naming a node of one of these kinds. */
  kinds?: string[];
  /** Terms scored exactly per ranking ({@link FUZZY_CANDIDATES}). */
  candidates?: number;
}

/**
 * Trigrams a term must share with the query to be a candidate: this share of the query's
 * trigrams, and at least two. The padding keeps both ends of every word, so one edit still leaves
 * "metfromin" 5 of its 9 trigrams of "metformin", but two edits in a short word can leave two
 * ("ehpedrne": "edr" and "ne " of "ephedrine"), hence a low share; the rarity weighting below,
 * not this minimum, is what ranks such a term above the thousands sharing two common trigrams.
 */
const MIN_SHARED_TRIGRAMS = 0.2;

/**
 * Candidates scored exactly per ranking (two rankings, so up to twice as many). Scoring costs
 * about a microsecond a term; generating candidates costs the same whatever this is.
 */
const FUZZY_CANDIDATES = 40;

/**
 * The lowest similarity a candidate may have: below it a term is more unlike the query than like
 * it, and offering it as "did you mean" would dress noise up as a lead ("xyzzy" → "fuzzy head").
 */
export const MIN_FUZZY_SCORE = 0.5;

/**
 * The shortest term (and query) the index covers: shorter ones are abbreviations and codes, found
 * exactly or not at all, since one edit in two letters changes half the word.
 */
const MIN_TERM_LENGTH = 3;

/**
 * Characters beyond this many distinct ones share one bucket, which keeps every trigram key below
 * 128³ (a dense array) at the cost of rare-character collisions; collisions only add candidates,
 * which {@link similarity} then scores exactly.
 */
const MAX_ALPHABET = 127;

/**
 * Builds a trigram index from (normalised term, node kind) pairs; a term named by nodes of several
 * kinds may come once per kind.
 *
 * Terms are padded with a space at each end before splitting, so every word contributes its first
 * and last letters (" me", "in "): an edit in the middle of a short word leaves the ends to match
 * on. Each trigram is weighted by its rarity (inverse document frequency), as BM25 weighted the
 * FTS5 query: sharing "edr" says more than sharing "ne " (in 29k terms). Posting lists live in one
 * Int32Array (compressed sparse rows), 4 bytes per trigram occurrence: about 11 MB for 147k terms.
 */
export function createFuzzyIndex(entries: Iterable<readonly [term: string, kind: string]>): FuzzyIndex {
  const kindBits = new Map<string, number>();
  const termIds = new Map<string, number>();
  const terms: string[] = [];
  const maskList: number[] = [];
  for (const [term, kind] of entries) {
    if (term.length < MIN_TERM_LENGTH) continue;
    let bit = kindBits.get(kind);
    if (bit === undefined) {
      if (kindBits.size >= 31) throw new Error(`fuzzy index: more than 31 node kinds (at ${JSON.stringify(kind)})`);
      bit = 1 << kindBits.size;
      kindBits.set(kind, bit);
    }
    const id = termIds.get(term);
    if (id === undefined) {
      termIds.set(term, terms.length);
      terms.push(term);
      maskList.push(bit);
    } else maskList[id] |= bit;
  }
  termIds.clear();
  const nTerms = terms.length;
  const masks = Int32Array.from(maskList);

  const charCode = alphabetCodes(terms);
  const A = charCode.reduce((m, c) => (c > m ? c : m), 0) + 1;
  const code = (c: number) => charCode[c];
  const SPACE = code(32);

  /**
   * Distinct trigram keys of " s " (s.length of them before de-duplication), written into `out`;
   * returns how many. `seen` stamps each key with the call number, so it never needs clearing.
   */
  const seen = new Int32Array(A * A * A);
  let stamp = 0;
  function gramsOf(s: string, out: Int32Array): number {
    stamp++;
    let n = 0;
    let a = SPACE;
    let b = code(s.charCodeAt(0));
    for (let i = 1; i <= s.length; i++) {
      const c = i < s.length ? code(s.charCodeAt(i)) : SPACE;
      const k = (a * A + b) * A + c;
      if (seen[k] !== stamp) {
        seen[k] = stamp;
        out[n++] = k;
      }
      a = b;
      b = c;
    }
    return n;
  }

  let maxLen = 0;
  for (const t of terms) if (t.length > maxLen) maxLen = t.length;
  const buf = new Int32Array(maxLen + 2);
  const offsets = new Int32Array(A * A * A + 1);
  for (let t = 0; t < nTerms; t++) {
    const n = gramsOf(terms[t], buf);
    for (let i = 0; i < n; i++) offsets[buf[i] + 1]++;
  }
  const idf = new Float32Array(A * A * A);
  for (let k = 0; k < idf.length; k++) if (offsets[k + 1]) idf[k] = Math.log(1 + nTerms / offsets[k + 1]);
  const maxIdf = Math.log(1 + nTerms);
  for (let k = 1; k < offsets.length; k++) offsets[k] += offsets[k - 1];
  const postings = new Int32Array(offsets[offsets.length - 1]);
  const termWeight = new Float32Array(nTerms);
  const fill = offsets.slice(0, -1);
  for (let t = 0; t < nTerms; t++) {
    const n = gramsOf(terms[t], buf);
    let w = 0;
    for (let i = 0; i < n; i++) {
      postings[fill[buf[i]]++] = t;
      w += idf[buf[i]];
    }
    termWeight[t] = w;
  }

  // Per-search scratch, reused: searches are synchronous, so one set per index suffices.
  const counts = new Int32Array(nTerms);
  const weights = new Float32Array(nTerms);
  const touched = new Int32Array(nTerms);

  /**
   * Ids of the terms worth scoring: those sharing at least `minShared` of the query's trigrams
   * (`grams`, `nq` of them) and naming a node of `kindMask`, the `want` best by each ranking.
   */
  function candidates(grams: number[], nq: number, minShared: number, kindMask: number, want: number): Set<number> {
    // Shared trigrams per term, counted and weighted. A term sharing minShared of the query's nq
    // trigrams has one among the nq − minShared + 1 rarest (grams is sorted rarest first), so
    // only those posting lists admit terms; the commonest ones only add to terms admitted.
    const admitting = nq - minShared + 1;
    let qWeight = 0;
    let nTouched = 0;
    for (let g = 0; g < nq; g++) {
      const key = grams[g];
      const w = idf[key];
      qWeight += w || maxIdf; // a trigram no term has tells as much as the rarest
      const end = offsets[key + 1];
      if (g < admitting) {
        for (let p = offsets[key]; p < end; p++) {
          const t = postings[p];
          if (counts[t]++ === 0) touched[nTouched++] = t;
          weights[t] += w;
        }
      } else {
        for (let p = offsets[key]; p < end; p++) {
          const t = postings[p];
          if (counts[t] !== 0) {
            counts[t]++;
            weights[t] += w;
          }
        }
      }
    }
    // Two rankings: weighted Jaccard (similar spelling and length, what edit similarity rewards)
    // and weighted coverage of the query, shorter terms first (terms containing the query's
    // words, what word containment rewards).
    const byJaccard = new TopK(want);
    const byCoverage = new TopK(want);
    for (let i = 0; i < nTouched; i++) {
      const t = touched[i];
      const c = counts[t];
      const w = weights[t];
      counts[t] = 0;
      weights[t] = 0;
      if (c < minShared || !(masks[t] & kindMask)) continue;
      byJaccard.offer(t, w / (qWeight + termWeight[t] - w));
      byCoverage.offer(t, w / qWeight - terms[t].length * 1e-6);
    }
    return new Set<number>([...byJaccard.ids(), ...byCoverage.ids()]);
  }

  function search(norm: string, opts: FuzzySearchOptions = {}): FuzzyCandidate[] {
    if (norm.length < MIN_TERM_LENGTH) return [];
    let kindMask = -1;
    if (opts.kinds?.length) {
      kindMask = 0;
      for (const k of opts.kinds) kindMask |= kindBits.get(k) ?? 0;
      if (!kindMask) return [];
    }
    const qBuf = new Int32Array(norm.length + 2);
    const nq = gramsOf(norm, qBuf);
    const grams = Array.from(qBuf.subarray(0, nq)).sort((x, y) => offsets[x + 1] - offsets[x] - (offsets[y + 1] - offsets[y]));
    const want = Math.max(1, opts.candidates ?? FUZZY_CANDIDATES);
    const scored = new Map<number, number>();
    let best = 0;
    const score = (ids: Set<number>) => {
      for (const t of ids) {
        if (scored.has(t)) continue;
        const s = similarity(norm, terms[t]);
        if (s >= MIN_FUZZY_SCORE) scored.set(t, s);
        if (s > best) best = s;
      }
    };
    const minShared = Math.max(2, Math.ceil(nq * MIN_SHARED_TRIGRAMS));
    if (nq >= minShared) score(candidates(grams, nq, minShared, kindMask, want));
    // No match yet: two edits in a short word can leave one trigram in common ("zlieutn" and
    // "zileuton" share only "eut"). Only then, and with more candidates because one shared
    // trigram ranks many terms alike, retry with one enough.
    if (best < FUZZY_MATCH_THRESHOLD) score(candidates(grams, nq, 1, kindMask, 4 * want));
    const out: FuzzyCandidate[] = [];
    for (const [t, score] of scored) out.push({ term: terms[t], score });
    out.sort((x, y) => y.score - x.score || (x.term < y.term ? -1 : x.term > y.term ? 1 : 0));
    return out;
  }

  return { size: nTerms, search };
}

/**
 * A code per UTF-16 unit for trigram keys: the MAX_ALPHABET most frequent characters of the terms
 * (the space included) get 1…MAX_ALPHABET, the rest share 0. A table rather than a Map because a
 * lookup per character is most of the cost of building the index.
 */
function alphabetCodes(terms: string[]): Uint8Array {
  const counts = new Float64Array(0x10000);
  counts[32] = 1;
  for (const t of terms) for (let i = 0; i < t.length; i++) counts[t.charCodeAt(i)]++;
  const byFrequency: number[] = [];
  for (let c = 0; c < counts.length; c++) if (counts[c]) byFrequency.push(c);
  byFrequency.sort((x, y) => counts[y] - counts[x] || x - y);
  const codes = new Uint8Array(0x10000);
  byFrequency.slice(0, MAX_ALPHABET).forEach((c, i) => (codes[c] = i + 1));
  return codes;
}

/**
 * The k ids with the highest keys seen, as a min-heap on typed arrays: a common trigram can bring
 * tens of thousands of terms past the overlap minimum, and most are rejected by one comparison
 * with the heap's minimum instead of being sorted. Ties keep the id offered first.
 */
class TopK {
  private readonly keys: Float64Array;
  private readonly idsArr: Int32Array;
  private n = 0;
  constructor(private readonly k: number) {
    this.keys = new Float64Array(k);
    this.idsArr = new Int32Array(k);
  }

  offer(id: number, key: number): void {
    const { keys, idsArr } = this;
    if (this.n < this.k) {
      // Sift up.
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (keys[parent] <= key) break;
        keys[i] = keys[parent];
        idsArr[i] = idsArr[parent];
        i = parent;
      }
      keys[i] = key;
      idsArr[i] = id;
      return;
    }
    if (key <= keys[0]) return;
    // Replace the minimum and sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && keys[r] < keys[l] ? r : l;
      if (keys[c] >= key) break;
      keys[i] = keys[c];
      idsArr[i] = idsArr[c];
      i = c;
    }
    keys[i] = key;
    idsArr[i] = id;
  }

  ids(): Int32Array {
    return this.idsArr.subarray(0, this.n);
  }
}
