import type Database from 'better-sqlite3';
import { silentLogger, type Logger } from '../../lib/log.js';
import type { CtgovClient } from '../live/ctgov.js';
import type { EutilsClient } from '../live/eutils.js';
import { HttpStatusError, OfflineError } from '../live/http.js';
import type { DenseIndex } from './chroma.js';
import { makeSnippet, parseUserQuery, queryWords } from '../base/fts-query.js';
import { reciprocalRankFusion } from './fusion.js';
import { OfflineCorpus, type ArticleFilters, type TrialFilters } from './offline.js';
import {
  EvidenceQueryError,
  type ArticleQuery,
  type ArticleRecord,
  type ArticleSummary,
  type SearchResponse,
  type SourcePreference,
  type TrialQuery,
  type TrialRecord,
  type TrialSummary,
} from '../base/corpus-types.js';

/** Retrieval over trials and articles: the offline corpus always, live APIs and dense search when configured. */
export interface EvidenceStore {
  readonly capabilities: { offline: true; liveTrials: boolean; liveArticles: boolean; denseTrials: boolean; denseArticles: boolean };
  searchTrials(q: TrialQuery): Promise<SearchResponse<TrialSummary>>;
  /** Throws EvidenceQueryError when no source has the trial. */
  getTrial(nctId: string, source?: SourcePreference): Promise<{ trial: TrialRecord; notices: string[] }>;
  searchArticles(q: ArticleQuery): Promise<SearchResponse<ArticleSummary>>;
  /** Throws EvidenceQueryError when no source has the article. */
  getArticle(pmid: string, source?: SourcePreference): Promise<{ article: ArticleRecord; notices: string[] }>;
  /** The offline corpus: for the bench, diagnostics and counting evidence (the recommender ranks by evidence volume, never fetched live). */
  readonly offline: OfflineCorpus;
}

export interface EvidenceStoreOptions {
  /** An open knowledge base (read-only is enough) holding the corpus tables. */
  db: Database.Database;
  live?: { ctgov?: CtgovClient; eutils?: EutilsClient };
  dense?: { trials?: DenseIndex; articles?: DenseIndex; /** Candidates taken from each list before fusion (default 50). */ candidates?: number };
  /** Warnings (dense index down, live fallback; each also reaches the caller as a notice); default: silent. */
  log?: Logger;
}

/** Log fields of a live failure: the service and what went wrong, never the URL (its query can hold patient text). */
function liveFailureFields(err: unknown): Record<string, unknown> {
  if (err instanceof OfflineError) return { service: err.service, reason: err.reason };
  if (err instanceof HttpStatusError) return { service: err.service, status: err.status };
  return { error: (err as Error).message };
}

/** Live failures that mean "use the offline corpus instead" rather than "the query is wrong". */
function isFallback(err: unknown): boolean {
  return err instanceof OfflineError || (err instanceof HttpStatusError && (err.status >= 500 || err.status === 429));
}

/**
 * The live client to ask, or undefined to stay offline: the client unless the caller asked for
 * offline. Asking for live when no client is configured is the caller's error, not a fallback.
 */
function liveClient<C>(pref: SourcePreference | undefined, client: C | undefined, what: string): C | undefined {
  if (pref === 'live' && !client) {
    throw new EvidenceQueryError(`live ${what} search is not configured (set KEDREC_LIVE=1 with network access); use source "offline" or "auto"`);
  }
  return pref === 'offline' ? undefined : client;
}

/**
 * Creates the evidence store. Searches run offline (BM25 over FTS5) unless live clients are
 * given and the caller does not ask for offline; a live failure caused by the network or the
 * service falls back to the offline corpus and says so in `notices`. With a dense index, a
 * text query is ranked by reciprocal rank fusion of BM25 and dense results.
 */
export function createEvidenceStore(opts: EvidenceStoreOptions): EvidenceStore {
  const offline = new OfflineCorpus(opts.db);
  const log = opts.log ?? silentLogger;
  const ctgov = opts.live?.ctgov;
  const eutils = opts.live?.eutils;
  const nCand = opts.dense?.candidates ?? 50;

  function trialFilters(q: TrialQuery, resolved: SearchResponse<unknown>['resolved']): TrialFilters {
    const f: TrialFilters = { phase: q.phase, status: q.status };
    if (q.drug) f.drugIds = (resolved.drug = offline.resolve('drug', q.drug)).map((e) => e.id);
    if (q.condition) f.conditionIds = (resolved.condition = offline.resolve('condition', q.condition)).map((e) => e.id);
    return f;
  }

  function articleFilters(q: ArticleQuery, resolved: SearchResponse<unknown>['resolved']): ArticleFilters {
    if (q.yearFrom !== undefined && q.yearTo !== undefined && q.yearFrom > q.yearTo) {
      throw new EvidenceQueryError(`yearFrom ${q.yearFrom} is after yearTo ${q.yearTo}`);
    }
    const f: ArticleFilters = { yearFrom: q.yearFrom, yearTo: q.yearTo };
    if (q.drug) f.drugIds = (resolved.drug = offline.resolve('drug', q.drug)).map((e) => e.id);
    if (q.condition) f.conditionIds = (resolved.condition = offline.resolve('condition', q.condition)).map((e) => e.id);
    return f;
  }

  async function fuse<T extends { score: number | null; snippet: string }>(
    index: DenseIndex,
    text: string,
    bm25: string[],
    limit: number,
    fetch: (ids: string[]) => { id: string; body: string; item: T }[],
    notices: string[],
  ): Promise<{ items: T[]; hasMore: boolean } | null> {
    let dense: { id: string; score: number }[];
    try {
      dense = await index.query(text, nCand);
    } catch (err) {
      log.warn('dense search failed; ranked by BM25 only', { error: (err as Error).message });
      notices.push(`dense search unavailable (${(err as Error).message}); ranked by BM25 only`);
      return null;
    }
    // Dense neighbours ignore the filters; keep those that pass, in dense order.
    const passing = new Set(fetch(dense.map((d) => d.id)).map((r) => r.id));
    const denseIds = dense.map((d) => d.id).filter((id) => passing.has(id));
    const fused = reciprocalRankFusion([bm25, denseIds], { limit: limit + 1 });
    const rows = new Map(fetch(fused.map((f) => f.id)).map((r) => [r.id, r]));
    const words = queryWords(parseUserQuery(text));
    const items = fused.slice(0, limit).flatMap((f) => {
      const r = rows.get(f.id);
      if (!r) return [];
      const snippet = words.length ? makeSnippet(r.body || r.item.snippet, words) : r.item.snippet;
      return [{ ...r.item, snippet, score: Math.round(f.score * 1e5) / 1e5 }];
    });
    return { items, hasMore: fused.length > limit };
  }

  return {
    offline,
    capabilities: { offline: true, liveTrials: !!ctgov, liveArticles: !!eutils, denseTrials: !!opts.dense?.trials, denseArticles: !!opts.dense?.articles },

    async searchTrials(q) {
      const notices: string[] = [];
      const live = liveClient(q.source, ctgov, 'trial');
      if (live) {
        try {
          const r = await live.search({
            term: q.text, condition: q.condition, intervention: q.drug, phase: q.phase, status: q.status, limit: q.limit, maxPages: 1,
          });
          if (r.totalCount !== null) notices.push(`ClinicalTrials.gov reports ${r.totalCount} matching studies`);
          return {
            items: r.studies.map(({ summary: _s, criteria: _c, icd10: _i, keywords: _k, outcomeMeasures: _o, links: _l, ...t }) => t),
            hasMore: !!r.nextPageToken,
            origin: 'live',
            retrieval: 'live',
            resolved: {},
            notices,
          };
        } catch (err) {
          if (!isFallback(err)) {
            if (err instanceof HttpStatusError) throw new EvidenceQueryError(`ClinicalTrials.gov rejected the query: ${err.body || `HTTP ${err.status}`}`);
            throw err;
          }
          log.warn('live search failed; using the offline corpus', liveFailureFields(err));
          notices.push(err instanceof OfflineError ? err.message : `${(err as Error).message}; using the offline corpus instead`);
        }
      }
      const resolved: SearchResponse<unknown>['resolved'] = {};
      const f = trialFilters(q, resolved);
      const text = q.text?.trim() ?? '';
      const hasText = parseUserQuery(text).length > 0;
      if (hasText && opts.dense?.trials && q.hybrid !== false) {
        const bm25 = offline.rankTrialIds(text, f, nCand);
        const fused = await fuse<TrialSummary>(
          opts.dense.trials, text, bm25, q.limit,
          (ids) => offline.trialsByIds(ids, f).map((t) => ({
            id: t.nctId, body: [t.title, t.conditions.join('; '), t.interventions.join('; ')].join('. '), item: t,
          })),
          notices,
        );
        if (fused) return { ...fused, origin: 'offline', retrieval: 'hybrid', resolved, notices };
      }
      const r = offline.searchTrials(text, f, q.limit);
      if (r.relaxed) notices.push('no trial matched every term; results matching some of the terms follow those that matched all');
      return { items: r.items, hasMore: r.hasMore, origin: 'offline', retrieval: hasText ? 'bm25' : 'filter', resolved, notices };
    },

    async getTrial(nctId, source) {
      const id = nctId.trim().toUpperCase();
      if (!/^NCT\d{8}$/.test(id)) throw new EvidenceQueryError(`${JSON.stringify(nctId)} is not an NCT ID (NCT followed by 8 digits, e.g. NCT00000378)`);
      const notices: string[] = [];
      const local = source === 'live' ? null : offline.getTrial(id);
      if (local) return { trial: local, notices };
      const live = liveClient(source, ctgov, 'trial');
      if (live) {
        try {
          const t = await live.getStudy(id);
          if (t) return { trial: t, notices };
          throw new EvidenceQueryError(`ClinicalTrials.gov has no study ${id}`);
        } catch (err) {
          if (!isFallback(err)) throw err;
          notices.push((err as Error).message);
          const t = offline.getTrial(id);
          if (t) return { trial: t, notices };
        }
      }
      throw new EvidenceQueryError(`trial ${id} is not in the offline corpus${ctgov ? ' or on ClinicalTrials.gov' : ' (live ClinicalTrials.gov lookups are off: set KEDREC_LIVE=1 with network access)'}; find trials with search_trials`, { nctId: id, notices });
    },

    async searchArticles(q) {
      const notices: string[] = [];
      const live = liveClient(q.source, eutils, 'literature');
      if (live) {
        const term = [q.text, q.drug, q.condition].filter((s): s is string => !!s?.trim()).map((s) => `(${s.trim()})`).join(' AND ');
        if (!term) throw new EvidenceQueryError('live PubMed search needs query text, a drug or a condition');
        try {
          const r = await live.search({ term, retmax: q.limit, yearFrom: q.yearFrom, yearTo: q.yearTo });
          notices.push(`PubMed reports ${r.search.count} matching articles`);
          if (r.search.phrasesNotFound.length) notices.push(`PubMed did not find: ${r.search.phrasesNotFound.join(', ')}`);
          return {
            items: r.articles.map(({ abstract: _a, sections: _s, journal: _j, concepts: _c, relations: _r, links: _l, ...a }) => a),
            hasMore: r.search.count > r.articles.length, origin: 'live', retrieval: 'live', resolved: {}, notices,
          };
        } catch (err) {
          if (!isFallback(err)) {
            if (err instanceof HttpStatusError) throw new EvidenceQueryError(`PubMed rejected the query: ${err.body || `HTTP ${err.status}`}`);
            throw err;
          }
          log.warn('live search failed; using the offline corpus', liveFailureFields(err));
          notices.push(err instanceof OfflineError ? err.message : `${(err as Error).message}; using the offline corpus instead`);
        }
      }
      const resolved: SearchResponse<unknown>['resolved'] = {};
      const f = articleFilters(q, resolved);
      if (q.yearFrom !== undefined || q.yearTo !== undefined) notices.push('the year filter leaves out offline articles without a known year (the BC5CDR abstracts)');
      const text = q.text?.trim() ?? '';
      const hasText = parseUserQuery(text).length > 0;
      if (hasText && opts.dense?.articles && q.hybrid !== false) {
        const bm25 = offline.rankArticleIds(text, f, nCand);
        const fused = await fuse<ArticleSummary>(
          opts.dense.articles, text, bm25, q.limit,
          (ids) => offline.articlesByIds(ids, f).map(({ abstract, ...a }) => ({ id: a.pmid, body: `${a.title} ${abstract}`, item: a })),
          notices,
        );
        if (fused) return { ...fused, origin: 'offline', retrieval: 'hybrid', resolved, notices };
      }
      const r = offline.searchArticles(text, f, q.limit);
      if (r.relaxed) notices.push('no article matched every term; results matching some of the terms follow those that matched all');
      return { items: r.items, hasMore: r.hasMore, origin: 'offline', retrieval: hasText ? 'bm25' : 'filter', resolved, notices };
    },

    async getArticle(pmid, source) {
      const id = pmid.trim().replace(/^PMID:?\s*/i, '');
      if (!/^\d{1,9}$/.test(id)) throw new EvidenceQueryError(`${JSON.stringify(pmid)} is not a PMID (digits only, e.g. 8701013)`);
      const notices: string[] = [];
      const local = source === 'live' ? null : offline.getArticle(id);
      if (local) return { article: local, notices };
      const live = liveClient(source, eutils, 'literature');
      if (live) {
        try {
          const [a] = await live.efetch([id]);
          if (a) return { article: a, notices };
          throw new EvidenceQueryError(`PubMed has no article ${id}`);
        } catch (err) {
          if (!isFallback(err)) throw err;
          notices.push((err as Error).message);
          const a = offline.getArticle(id);
          if (a) return { article: a, notices };
        }
      }
      throw new EvidenceQueryError(`article PMID ${id} is not in the offline corpus${eutils ? ' or in PubMed' : ' (live PubMed lookups are off: set KEDREC_LIVE=1 with network access)'}; find articles with search_literature`, { pmid: id, notices });
    },
  };
}
