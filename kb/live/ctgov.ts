import { makeSnippet, parseUserQuery, queryWords } from '../base/fts-query.js';
import { normalizeTrialPhases, normalizeTrialStatus, type TrialPhase, type TrialStatus } from '../base/corpus-schema.js';
import type { TrialRecord } from '../base/corpus-types.js';
import { type HttpClient, RateLimiter } from './http.js';

const CTGOV_BASE = 'https://clinicaltrials.gov/api/v2';
const CTGOV_SERVICE = 'ClinicalTrials.gov';
const CTGOV_LICENSE = 'ClinicalTrials.gov data (U.S. National Library of Medicine; see clinicaltrials.gov/about-site/terms-conditions)';

export interface CtgovSearchParams {
  /** query.cond: condition or disease. */
  condition?: string;
  /** query.intr: intervention or treatment. */
  intervention?: string;
  /** query.term: other terms (Essie syntax). */
  term?: string;
  /** filter.overallStatus, comma-joined. */
  status?: TrialStatus[];
  /** Sent as filter.advanced AREA[Phase](…): v2 has no filter.phase parameter (it answers 400). */
  phase?: TrialPhase[];
  pageSize?: number;
  pageToken?: string;
}

/**
 * Builds GET /api/v2/studies. Phase goes through `filter.advanced` because `filter.phase` is an
 * unknown parameter in v2; `countTotal=true` asks for totalCount on the first page.
 */
export function buildStudiesSearchUrl(p: CtgovSearchParams, base = CTGOV_BASE): string {
  const u = new URL(`${base}/studies`);
  u.searchParams.set('format', 'json');
  if (p.condition?.trim()) u.searchParams.set('query.cond', p.condition.trim());
  if (p.intervention?.trim()) u.searchParams.set('query.intr', p.intervention.trim());
  if (p.term?.trim()) u.searchParams.set('query.term', p.term.trim());
  if (p.status?.length) u.searchParams.set('filter.overallStatus', p.status.join(','));
  if (p.phase?.length) u.searchParams.set('filter.advanced', `AREA[Phase](${p.phase.join(' OR ')})`);
  u.searchParams.set('pageSize', String(Math.min(Math.max(p.pageSize ?? 10, 1), 1000)));
  if (p.pageToken) u.searchParams.set('pageToken', p.pageToken);
  else u.searchParams.set('countTotal', 'true');
  return u.toString();
}

/** Builds GET /api/v2/studies/{nctId}. */
export function buildStudyUrl(nctId: string, base = CTGOV_BASE): string {
  if (!/^NCT\d{8}$/.test(nctId)) throw new Error(`not an NCT ID: ${JSON.stringify(nctId)}`);
  return `${base}/studies/${nctId}?format=json`;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Thrown when a response is not the documented shape (so a changed API is not read as "no trials"). */
export class CtgovFormatError extends Error {}

/** Maps one v2 study object to a trial record (origin live). */
export function parseStudy(study: unknown, words: string[] = []): TrialRecord {
  const ps = obj(obj(study).protocolSection);
  const id = obj(ps.identificationModule);
  const nctId = str(id.nctId);
  if (!/^NCT\d{8}$/.test(nctId)) throw new CtgovFormatError('ClinicalTrials.gov study without protocolSection.identificationModule.nctId');
  const status = obj(ps.statusModule);
  const design = obj(ps.designModule);
  const desc = obj(ps.descriptionModule);
  const interventions = (Array.isArray(obj(ps.armsInterventionsModule).interventions) ? (obj(ps.armsInterventionsModule).interventions as unknown[]) : [])
    .map((i) => str(obj(i).name))
    .filter(Boolean);
  const outcomes = obj(ps.outcomesModule);
  const primary = Array.isArray(outcomes.primaryOutcomes) ? (outcomes.primaryOutcomes as unknown[]).map((o) => str(obj(o).measure)).filter(Boolean) : [];
  const title = str(id.briefTitle) || str(id.officialTitle) || nctId;
  const summary = str(desc.briefSummary);
  const phases = strs(design.phases).flatMap((p) => normalizeTrialPhases(p));
  return {
    nctId,
    title,
    titleKind: 'registry',
    phase: phases.length ? phases.join('/') : null,
    status: normalizeTrialStatus(str(status.overallStatus)),
    conditions: strs(obj(ps.conditionsModule).conditions),
    interventions,
    whyStopped: str(status.whyStopped) || null,
    outcomeLabel: null,
    snippet: makeSnippet(summary || title, words),
    url: `https://clinicaltrials.gov/study/${nctId}`,
    origin: 'live',
    sources: ['clinicaltrials.gov'],
    license: CTGOV_LICENSE,
    score: null,
    summary,
    criteria: str(obj(ps.eligibilityModule).eligibilityCriteria),
    icd10: [],
    keywords: strs(obj(ps.conditionsModule).keywords),
    outcomeMeasures: primary.join('\n'),
    links: [],
  };
}

export interface CtgovPage {
  studies: TrialRecord[];
  nextPageToken: string | null;
  totalCount: number | null;
}

/** Parses a /studies page: studies, nextPageToken (absent on the last page), totalCount (first page). */
export function parseStudiesPage(json: unknown, words: string[] = []): CtgovPage {
  const o = obj(json);
  if (!Array.isArray(o.studies)) throw new CtgovFormatError('ClinicalTrials.gov /studies response without a studies array');
  return {
    studies: o.studies.map((s) => parseStudy(s, words)),
    nextPageToken: typeof o.nextPageToken === 'string' ? o.nextPageToken : null,
    totalCount: typeof o.totalCount === 'number' ? o.totalCount : null,
  };
}

export interface CtgovClientOptions {
  http: HttpClient;
  baseUrl?: string;
  /** Requests per second (default 1: the API's documented fair use is about 50/min). */
  perSecond?: number;
}

/** ClinicalTrials.gov API v2 client over the shared HTTP client. */
export class CtgovClient {
  private readonly limiter: RateLimiter;
  private readonly base: string;

  constructor(private readonly o: CtgovClientOptions) {
    this.limiter = new RateLimiter(o.perSecond ?? 1);
    this.base = o.baseUrl ?? CTGOV_BASE;
  }

  private async getJson(url: string): Promise<unknown> {
    const res = await this.o.http.get(url, { service: CTGOV_SERVICE, limiter: this.limiter, accept: 'application/json' });
    try {
      return JSON.parse(res.body);
    } catch {
      throw new CtgovFormatError(`ClinicalTrials.gov answered non-JSON for ${res.url}: ${res.body.slice(0, 200)}`);
    }
  }

  /** Searches, following pageToken until `limit` studies or `maxPages` pages. */
  async search(p: CtgovSearchParams & { limit: number; maxPages?: number }): Promise<CtgovPage> {
    const words = queryWords(parseUserQuery([p.term, p.condition, p.intervention].filter(Boolean).join(' ')));
    const studies: TrialRecord[] = [];
    let token: string | undefined = p.pageToken;
    let total: number | null = null;
    let next: string | null = null;
    for (let page = 0; page < (p.maxPages ?? 5); page++) {
      const url = buildStudiesSearchUrl({ ...p, pageSize: Math.min(p.limit - studies.length, 100), pageToken: token }, this.base);
      const parsed = parseStudiesPage(await this.getJson(url), words);
      if (page === 0) total = parsed.totalCount;
      studies.push(...parsed.studies);
      next = parsed.nextPageToken;
      if (!next || studies.length >= p.limit) break;
      token = next;
    }
    return { studies: studies.slice(0, p.limit), nextPageToken: next, totalCount: total };
  }

  /** One study by NCT ID; null when the registry has none (404). */
  async getStudy(nctId: string): Promise<TrialRecord | null> {
    try {
      return parseStudy(await this.getJson(buildStudyUrl(nctId, this.base)));
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }
}
