import { makeSnippet, parseUserQuery, queryWords } from '../base/fts-query.js';
import type { ArticleRecord } from '../base/corpus-types.js';
import { type HttpClient, RateLimiter } from './http.js';
import { child, children, parseXml, textOf, XmlError } from './xml.js';

const EUTILS_BASE = 'https://eutils.ncbi.nlm.nih.gov/entrez/eutils';
const EUTILS_SERVICE = 'NCBI E-utilities';
const PUBMED_LICENSE = 'PubMed record (NLM); abstract text may be copyrighted by its publisher';

/** Identification NCBI asks every E-utilities caller to send; api_key raises the rate limit. */
export interface EutilsIdentity {
  tool: string;
  email?: string;
  apiKey?: string;
}

function withIdentity(u: URL, id: EutilsIdentity): string {
  u.searchParams.set('tool', id.tool);
  if (id.email) u.searchParams.set('email', id.email);
  if (id.apiKey) u.searchParams.set('api_key', id.apiKey);
  return u.toString();
}

export interface EsearchParams {
  term: string;
  retmax?: number;
  retstart?: number;
  /** Publication years, inclusive, sent as mindate/maxdate on the publication date. */
  yearFrom?: number;
  yearTo?: number;
  sort?: 'relevance' | 'pub_date';
}

/** Builds esearch.fcgi (db=pubmed, JSON). */
export function buildEsearchUrl(p: EsearchParams, id: EutilsIdentity, base = EUTILS_BASE): string {
  if (!p.term.trim()) throw new Error('esearch needs a non-empty term');
  const u = new URL(`${base}/esearch.fcgi`);
  u.searchParams.set('db', 'pubmed');
  u.searchParams.set('term', p.term.trim());
  u.searchParams.set('retmode', 'json');
  u.searchParams.set('retmax', String(Math.min(Math.max(p.retmax ?? 20, 0), 10_000)));
  if (p.retstart) u.searchParams.set('retstart', String(p.retstart));
  u.searchParams.set('sort', p.sort ?? 'relevance');
  if (p.yearFrom !== undefined || p.yearTo !== undefined) {
    u.searchParams.set('datetype', 'pdat');
    u.searchParams.set('mindate', String(p.yearFrom ?? 1800));
    u.searchParams.set('maxdate', String(p.yearTo ?? 3000));
  }
  return withIdentity(u, id);
}

/** Builds efetch.fcgi for PubMed XML abstracts of the given PMIDs. */
export function buildEfetchUrl(pmids: string[], id: EutilsIdentity, base = EUTILS_BASE): string {
  const bad = pmids.filter((p) => !/^\d{1,9}$/.test(p));
  if (!pmids.length || bad.length) throw new Error(`efetch needs numeric PMIDs${bad.length ? `, got ${bad.join(', ')}` : ''}`);
  const u = new URL(`${base}/efetch.fcgi`);
  u.searchParams.set('db', 'pubmed');
  u.searchParams.set('id', pmids.join(','));
  u.searchParams.set('retmode', 'xml');
  u.searchParams.set('rettype', 'abstract');
  return withIdentity(u, id);
}

export interface EsearchResult {
  count: number;
  ids: string[];
  queryTranslation: string;
  phrasesNotFound: string[];
  warnings: string[];
}

export class EutilsFormatError extends Error {}

/** Parses esearch JSON; an `{"error": …}` body (e.g. the rate-limit answer) throws. */
export function parseEsearch(json: unknown): EsearchResult {
  const o = (json ?? {}) as Record<string, unknown>;
  if (typeof o.error === 'string') throw new EutilsFormatError(`NCBI E-utilities error: ${o.error}`);
  const r = o.esearchresult as Record<string, unknown> | undefined;
  if (!r || !Array.isArray(r.idlist)) throw new EutilsFormatError('esearch response without esearchresult.idlist');
  if (typeof r.ERROR === 'string') throw new EutilsFormatError(`NCBI E-utilities error: ${r.ERROR}`);
  const errs = (r.errorlist ?? {}) as Record<string, unknown>;
  const warns = (r.warninglist ?? {}) as Record<string, unknown>;
  const arr = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    count: Number(r.count ?? 0),
    ids: arr(r.idlist),
    queryTranslation: typeof r.querytranslation === 'string' ? r.querytranslation : '',
    phrasesNotFound: arr(errs.phrasesnotfound),
    warnings: [...arr(warns.outputmessages), ...arr(warns.quotedphrasesnotfound), ...arr(warns.phrasesignored)],
  };
}

/**
 * Parses an efetch PubmedArticleSet. Labelled sections keep their label (Label, else
 * NlmCategory); articles without an abstract (comments, letters) get an empty abstract.
 */
export function parseEfetchXml(xml: string, words: string[] = []): ArticleRecord[] {
  let root;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlError) throw new EutilsFormatError(`efetch returned malformed XML: ${err.message}`);
    throw err;
  }
  if (root.name !== 'PubmedArticleSet') throw new EutilsFormatError(`efetch returned <${root.name}>, expected <PubmedArticleSet>`);
  return children(root, 'PubmedArticle').map((pa) => {
    const mc = child(pa, 'MedlineCitation');
    const art = child(mc, 'Article');
    const pmid = textOf(child(mc, 'PMID'));
    const sections = children(child(art, 'Abstract'), 'AbstractText').map((a) => ({
      label: a.attrs.Label ?? a.attrs.NlmCategory ?? '',
      text: textOf(a),
    }));
    const abstract = sections.map((s) => (s.label ? `${s.label}: ${s.text}` : s.text)).join(' ');
    const pubDate = child(art, 'Journal', 'JournalIssue', 'PubDate');
    const yearText = textOf(child(pubDate, 'Year')) || textOf(child(pubDate, 'MedlineDate')).slice(0, 4) || textOf(child(art, 'ArticleDate', 'Year'));
    const mesh = children(child(mc, 'MeshHeadingList'), 'MeshHeading').map((h) => textOf(child(h, 'DescriptorName'))).filter(Boolean);
    const title = textOf(child(art, 'ArticleTitle'));
    return {
      pmid,
      title,
      titleKind: 'title' as const,
      year: /^\d{4}$/.test(yearText) ? Number(yearText) : null,
      mesh,
      snippet: makeSnippet(abstract || title, words),
      url: `https://pubmed.ncbi.nlm.nih.gov/${pmid}/`,
      origin: 'live' as const,
      sources: ['pubmed'],
      license: PUBMED_LICENSE,
      score: null,
      abstract,
      sections,
      journal: textOf(child(art, 'Journal', 'Title')) || null,
      concepts: children(child(mc, 'MeshHeadingList'), 'MeshHeading').flatMap((h) => {
        const d = child(h, 'DescriptorName');
        return d?.attrs.UI ? [{ meshId: d.attrs.UI, type: 'MeSH heading', name: textOf(d), mentions: 0 }] : [];
      }),
      relations: [],
      links: [],
    };
  });
}

export interface EutilsClientOptions {
  http: HttpClient;
  identity: EutilsIdentity;
  baseUrl?: string;
}

/** PubMed through E-utilities: esearch (JSON) then efetch (XML), at NCBI's rate limits. */
export class EutilsClient {
  private readonly limiter: RateLimiter;
  private readonly base: string;

  constructor(private readonly o: EutilsClientOptions) {
    // NCBI: at most 3 requests/s without an API key, 10/s with one.
    this.limiter = new RateLimiter(o.identity.apiKey ? 10 : 3);
    this.base = o.baseUrl ?? EUTILS_BASE;
  }

  async esearch(p: EsearchParams): Promise<EsearchResult> {
    const res = await this.o.http.get(buildEsearchUrl(p, this.o.identity, this.base), { service: EUTILS_SERVICE, limiter: this.limiter, accept: 'application/json' });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw new EutilsFormatError(`esearch answered non-JSON: ${res.body.slice(0, 200)}`);
    }
    return parseEsearch(json);
  }

  async efetch(pmids: string[], words: string[] = []): Promise<ArticleRecord[]> {
    if (!pmids.length) return [];
    const res = await this.o.http.get(buildEfetchUrl(pmids, this.o.identity, this.base), { service: EUTILS_SERVICE, limiter: this.limiter, accept: 'application/xml' });
    const byId = new Map(parseEfetchXml(res.body, words).map((a) => [a.pmid, a]));
    return pmids.flatMap((p) => {
      const article = byId.get(p);
      return article ? [article] : [];
    });
  }

  /** esearch then efetch, in esearch's relevance order. */
  async search(p: EsearchParams): Promise<{ articles: ArticleRecord[]; search: EsearchResult }> {
    const search = await this.esearch(p);
    const articles = await this.efetch(search.ids, queryWords(parseUserQuery(p.term.replace(/\[[^\]]*\]/g, ' '))));
    return { articles, search };
  }
}
