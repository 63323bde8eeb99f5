import type Database from 'better-sqlite3';
import { normalizeTerm } from '../base/graph-schema.js';
import { SOURCES } from '../base/source-registry.js';
import { parseUserQuery, toFtsMatch, type QueryTerm } from '../base/fts-query.js';
import type { TrialPhase, TrialStatus } from '../base/corpus-schema.js';
import {
  articleUrl,
  EvidenceQueryError,
  trialUrl,
  type LinkRole,
  type ArticleRecord,
  type ArticleSummary,
  type DocumentLink,
  type EntityRef,
  type TrialRecord,
  type TrialSummary,
} from '../base/corpus-types.js';

/** BM25 column weights: names of drugs and conditions count most, eligibility text least. */
const TRIAL_WEIGHTS = { title: 3, conditions: 4, interventions: 4, summary: 1, criteria: 0.3 };
const ARTICLE_WEIGHTS = { title: 3, abstract: 1, mesh: 2 };
/** Most entity ids a filter expands to (a DOID with its subsumed terms, a name's several nodes). */
const MAX_FILTER_IDS = 200;

export interface TrialFilters {
  drugIds?: string[];
  conditionIds?: string[];
  phase?: TrialPhase[];
  status?: TrialStatus[];
  /** Leave out trials known to have failed or stopped for harm or futility (see NEGATIVE_TRIAL): for callers citing support. */
  excludeNegative?: boolean;
}

/**
 * SQL condition: trial `t` is known negative — HINT labels it a failure (outcome_label 0), or it
 * stopped for safety, harm, futility or lack of efficacy (why_stopped). Such a trial is evidence
 * against, or of nothing, never support (issue 14: the BUILD trials and the azathioprine–prednisone
 * regimen stopped for harm were counted for IPF).
 */
/** SQL: trial `t` is in phase 3 or 4 (phases are '/'-joined: "PHASE2/PHASE3" counts). */
const LATE_PHASE = (t: string) => `(instr(ifnull(${t}.phase, ''), 'PHASE3') > 0 OR instr(ifnull(${t}.phase, ''), 'PHASE4') > 0)`;

/** SQL: a trial's weight as evidence: its design (phase) times its result (HINT: met the primary outcome). */
const TRIAL_WEIGHT = (t: string) =>
  `((CASE WHEN ${LATE_PHASE(t)} THEN 1.0 WHEN instr(ifnull(${t}.phase, ''), 'PHASE2') > 0 THEN 0.5 WHEN instr(ifnull(${t}.phase, ''), 'PHASE1') > 0 THEN 0.25 ELSE 0.5 END)
    * (CASE WHEN ${t}.outcome_label = 1 THEN 1.5 ELSE 1.0 END))`;

export const NEGATIVE_TRIAL = (t: string) =>
  `(${t}.outcome_label = 0 OR lower(ifnull(${t}.why_stopped, '')) GLOB '*safety*' OR lower(ifnull(${t}.why_stopped, '')) GLOB '*futil*'
    OR lower(ifnull(${t}.why_stopped, '')) GLOB '*efficacy*' OR lower(ifnull(${t}.why_stopped, '')) GLOB '*toxic*' OR lower(ifnull(${t}.why_stopped, '')) GLOB '*adverse*'
    OR lower(ifnull(${t}.why_stopped, '')) GLOB '*harm*' OR lower(ifnull(${t}.why_stopped, '')) GLOB '*death*' OR lower(ifnull(${t}.why_stopped, '')) GLOB '*mortality*')`;

export interface ArticleFilters {
  drugIds?: string[];
  conditionIds?: string[];
  yearFrom?: number;
  yearTo?: number;
  /**
   * Leave out adverse-effect reports of the filter's drugs (see ADVERSE_REPORT): for callers
   * that cite articles as support for giving a drug, which such a report is not.
   */
  excludeAdverseReports?: boolean;
  /** Only treatment studies in people (`articles.stance`, kb/corpus/article-stance.ts): what may support giving a drug. */
  treatmentOnly?: boolean;
}

/** Evidence volume of one drug for one condition, from `OfflineCorpus.evidenceCounts`. */
export interface EvidenceCounts {
  /** Trials linked to the drug and the condition, known-negative ones left out. */
  trials: number;
  /** Trials linked to both that failed or stopped for harm or futility (not counted in `trials`). */
  negativeTrials: number;
  /**
   * `trials` weighed by design and result: phase 3–4 count 1, phase 2 and unknown ½, phase 1 ¼,
   * and a trial HINT labels as having met its primary outcome 1½ times that (TRIAL_WEIGHT).
   */
  trialWeight: number;
  /** Of `trials`, those in phase 3 or 4. */
  lateTrials: number;
  /** Treatment studies in people linked to the drug and the condition (adverse-effect reports, animal studies and background left out). */
  articles: number;
  /** Articles linked to both that report the drug as inducing a disease (not counted in `articles`). */
  adverseArticles: number;
}

/**
 * SQL condition: article `aid` annotates drug `drug` (a public id) as the chemical of a BC5CDR
 * chemical-induced-disease relation, matched through the drug's MeSH xrefs or a MESH: id. Most
 * BC5CDR abstracts are adverse-effect reports ("levodopa-induced dyskinesia"): linked to the
 * drug and to the condition its patients have, but evidence of harm, not of benefit.
 */
const ADVERSE_REPORT = (aid: string, drug: string) =>
  `(EXISTS (SELECT 1 FROM article_relations r JOIN xrefs x ON x.system = 'MESH' AND x.code = r.chemical JOIN nodes n ON n.nid = x.nid WHERE r.aid = ${aid} AND n.id = ${drug})
    OR EXISTS (SELECT 1 FROM article_relations r WHERE r.aid = ${aid} AND 'MESH:' || r.chemical = ${drug}))`;


/** The licenses of the sources a record was merged from, each once. */
function licenseOf(sourceIds: string[]): string {
  return [...new Set(sourceIds.map((s) => SOURCES[s]?.license ?? s))].join('; ');
}

const lines = (s: string | null) => (s ? s.split('\n').filter(Boolean) : []);

/** The MATCH expression of terms the caller has already checked are not empty (toFtsMatch is null only for none). */
function ftsMatchOf(terms: QueryTerm[], mode: 'all' | 'any'): string {
  const match = toFtsMatch(terms, mode);
  if (match === null) throw new Error(`no searchable term for an FTS5 '${mode}' match: callers must pass a non-empty term list`);
  return match;
}

interface TrialRow {
  tid: number; nct_id: string; title: string; title_kind: string; phase: string | null; status: string | null;
  why_stopped: string | null; outcome_label: number | null; conditions: string; interventions: string; sources: string;
  score?: number; snippet?: string;
}
interface ArticleRow {
  aid: number; pmid: string; title: string; title_kind: string; year: number | null; mesh: string; sources: string;
  score?: number; snippet?: string; abstract?: string;
}

const TRIAL_COLS = 't.tid, t.nct_id, t.title, t.title_kind, t.phase, t.status, t.why_stopped, t.outcome_label, t.conditions, t.interventions, t.sources';
const ARTICLE_COLS = 'a.aid, a.pmid, a.title, a.title_kind, a.year, a.mesh, a.sources';

/**
 * Lexical search over the KB's trial and article corpus (SQLite FTS5, BM25). All SQL is fixed
 * text with placeholders; only the number of placeholders varies with the filters, and the
 * prepared statements are cached per shape.
 */
export class OfflineCorpus {
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {
    const has = db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('trials', 'articles', 'trials_fts', 'articles_fts')").pluck().get() as number;
    if (has !== 4) throw new Error('this knowledge base has no trial/article corpus (tables trials, articles and their FTS indexes); rebuild it with `kedrec kb build`');
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Numbers of documents, for status pages and the bench. */
  stats(): { trials: number; articles: number; trialLinks: number; articleLinks: number } {
    const c = (t: string) => this.stmt(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    return { trials: c('trials'), articles: c('articles'), trialLinks: c('trial_links'), articleLinks: c('article_links') };
  }

  /**
   * Resolves a drug or condition filter to entity ids: a public id (DB00316, DOID:10652,
   * MESH:D003693) as given; a name through the graph's terms (with the nodes' MeSH xrefs, and
   * for a Disease Ontology term the terms it subsumes); else through the names documents were
   * linked by. Unknown → EvidenceQueryError listing close names.
   */
  resolve(role: LinkRole, text: string): EntityRef[] {
    const raw = text.trim();
    if (!raw) throw new EvidenceQueryError(`empty ${role} filter`);
    const out = new Map<string, string>();
    const idLike = /^(DB\d{5}|DOID:\d+|MESH:[CD]\d+|UMLS:C\d+)$/i.test(raw);
    if (idLike) {
      const id = raw.toUpperCase();
      const node = this.stmt('SELECT id, name FROM nodes WHERE id = ?').get(id) as EntityRef | undefined;
      const linked = this.stmt(
        'SELECT entity_id AS id, name FROM trial_links WHERE entity_id = ? UNION ALL SELECT entity_id, name FROM article_links WHERE entity_id = ? LIMIT 1',
      ).get(id, id) as EntityRef | undefined;
      const found = node ?? linked;
      if (!found) {
        throw new EvidenceQueryError(`no ${role} with id ${raw} in the knowledge base or the corpus`, { [role]: raw });
      }
      out.set(id, found.name);
    } else {
      const norm = normalizeTerm(raw);
      const kinds = role === 'drug' ? "('Compound')" : "('Disease', 'Symptom')";
      const nodes = this.stmt(
        `SELECT DISTINCT n.nid AS nid, n.id AS id, n.name AS name FROM terms t JOIN nodes n ON n.nid = t.nid
         WHERE t.term_norm = ? AND n.kind IN ${kinds} ORDER BY n.in_hetionet DESC LIMIT 5`,
      ).all(norm) as { nid: number; id: string; name: string }[];
      for (const n of nodes) {
        out.set(n.id, n.name);
        for (const x of this.stmt("SELECT code FROM xrefs WHERE nid = ? AND system = 'MESH' LIMIT 5").pluck().all(n.nid) as string[]) {
          out.set(`MESH:${x}`, n.name);
        }
      }
      for (const r of this.stmt(
        `SELECT DISTINCT entity_id AS id, name FROM trial_links WHERE name_norm = ? AND role = ?
         UNION SELECT DISTINCT entity_id, name FROM article_links WHERE name_norm = ? AND role = ? LIMIT 20`,
      ).all(norm, role, norm, role) as EntityRef[]) {
        if (!out.has(r.id)) out.set(r.id, r.name);
      }
      if (out.size === 0) {
        const suggestions = this.suggest(role, norm);
        throw new EvidenceQueryError(
          `no ${role} named ${JSON.stringify(raw)} in the knowledge base or the corpus` +
            (suggestions.length ? `; did you mean: ${suggestions.join(', ')}?` : '; give a name as written in DrugBank/Disease Ontology or an id (DB00316, DOID:10652, MESH:D003693)'),
          { [role]: raw, suggestions },
        );
      }
    }
    // A Disease Ontology slim term covers its subsumed terms (DsD edges), which trials often name.
    if (role === 'condition') {
      for (const id of [...out.keys()].filter((i) => i.startsWith('DOID:'))) {
        for (const r of this.stmt(
          `SELECT n2.id AS id, n2.name AS name FROM nodes n1 JOIN edges e ON e.dst = n1.nid AND e.metaedge = 'DsD'
           JOIN nodes n2 ON n2.nid = e.src WHERE n1.id = ? LIMIT ${MAX_FILTER_IDS}`,
        ).all(id) as EntityRef[]) {
          if (out.size >= MAX_FILTER_IDS) break;
          if (!out.has(r.id)) out.set(r.id, r.name);
        }
      }
    }
    return [...out.entries()].slice(0, MAX_FILTER_IDS).map(([id, name]) => ({ id, name }));
  }

  /** Names starting like the unknown one, from the graph's terms and the corpus links. */
  private suggest(role: LinkRole, norm: string): string[] {
    const prefix = norm.slice(0, Math.max(3, Math.min(norm.length, 5)));
    const kinds = role === 'drug' ? "('Compound')" : "('Disease', 'Symptom')";
    const rows = this.stmt(
      `SELECT DISTINCT n.name FROM terms t JOIN nodes n ON n.nid = t.nid WHERE t.term_norm >= ? AND t.term_norm < ? AND n.kind IN ${kinds} LIMIT 5`,
    ).pluck().all(prefix, `${prefix}\uffff`) as string[];
    if (rows.length) return rows;
    const table = role === 'drug' ? 'trial_links' : 'article_links';
    return this.stmt(`SELECT DISTINCT name FROM ${table} WHERE name_norm >= ? AND name_norm < ? LIMIT 5`).pluck().all(prefix, `${prefix}\uffff`) as string[];
  }

  private trialFilterSql(f: TrialFilters): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [role, ids] of [['drug', f.drugIds], ['condition', f.conditionIds]] as const) {
      if (!ids) continue;
      parts.push(`t.tid IN (SELECT tid FROM trial_links WHERE role = '${role}' AND entity_id IN (${ids.map(() => '?').join(',') || 'NULL'}))`);
      params.push(...ids);
    }
    if (f.phase?.length) {
      parts.push(`(${f.phase.map(() => "instr('/' || ifnull(t.phase, '') || '/', '/' || ? || '/') > 0").join(' OR ')})`);
      params.push(...f.phase);
    }
    if (f.status?.length) {
      parts.push(`t.status IN (${f.status.map(() => '?').join(',')})`);
      params.push(...f.status);
    }
    if (f.excludeNegative) parts.push(`NOT ${NEGATIVE_TRIAL('t')}`);
    return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
  }

  private articleFilterSql(f: ArticleFilters): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [role, ids] of [['drug', f.drugIds], ['condition', f.conditionIds]] as const) {
      if (!ids) continue;
      parts.push(`a.aid IN (SELECT aid FROM article_links WHERE role = '${role}' AND entity_id IN (${ids.map(() => '?').join(',') || 'NULL'}))`);
      params.push(...ids);
    }
    if (f.excludeAdverseReports && f.drugIds?.length) {
      parts.push(`NOT EXISTS (SELECT 1 FROM article_links ad WHERE ad.aid = a.aid AND ad.role = 'drug' AND ad.entity_id IN (${f.drugIds.map(() => '?').join(',')}) AND ${ADVERSE_REPORT('ad.aid', 'ad.entity_id')})`);
      params.push(...f.drugIds);
    }
    if (f.treatmentOnly) parts.push("a.stance = 'treatment'");
    if (f.yearFrom !== undefined) {
      parts.push('a.year >= ?');
      params.push(f.yearFrom);
    }
    if (f.yearTo !== undefined) {
      parts.push('a.year <= ?');
      params.push(f.yearTo);
    }
    return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
  }

  private toTrial(r: TrialRow): TrialSummary {
    const sources = r.sources.split(',');
    return {
      nctId: r.nct_id, title: r.title, titleKind: r.title_kind as TrialSummary['titleKind'], phase: r.phase, status: r.status,
      conditions: lines(r.conditions), interventions: lines(r.interventions), whyStopped: r.why_stopped, outcomeLabel: r.outcome_label,
      snippet: r.snippet ?? r.title, url: trialUrl(r.nct_id), origin: 'offline', sources, license: licenseOf(sources),
      // bm25() is lower-is-better; flip it so every score in the API is higher-is-better.
      score: r.score === undefined ? null : Math.round(-r.score * 1000) / 1000,
    };
  }

  private toArticle(r: ArticleRow): ArticleSummary {
    const sources = r.sources.split(',');
    return {
      pmid: r.pmid, title: r.title, titleKind: r.title_kind as ArticleSummary['titleKind'], year: r.year, mesh: lines(r.mesh),
      snippet: r.snippet ?? r.title, url: articleUrl(r.pmid), origin: 'offline', sources, license: licenseOf(sources),
      score: r.score === undefined ? null : Math.round(-r.score * 1000) / 1000,
    };
  }

  /**
   * BM25 search over trials. With text, 'all' terms are required first and, when that finds
   * fewer than `limit`, documents matching any term fill the rest (reported as `relaxed`).
   * Without text, trials matching the filters are listed by NCT ID, newest registrations first.
   */
  searchTrials(text: string | undefined, filters: TrialFilters, limit: number): { items: TrialSummary[]; hasMore: boolean; relaxed: boolean } {
    const f = this.trialFilterSql(filters);
    const terms = parseUserQuery(text ?? '');
    if (!terms.length) {
      const rows = this.stmt(`SELECT ${TRIAL_COLS} FROM trials t WHERE 1 = 1${f.sql} ORDER BY t.nct_id DESC LIMIT ?`).all(...f.params, limit + 1) as TrialRow[];
      return { items: rows.slice(0, limit).map((r) => this.toTrial(r)), hasMore: rows.length > limit, relaxed: false };
    }
    const w = TRIAL_WEIGHTS;
    const sql = `SELECT ${TRIAL_COLS}, bm25(trials_fts, ${w.title}, ${w.conditions}, ${w.interventions}, ${w.summary}, ${w.criteria}) AS score
      FROM trials_fts JOIN trials t ON t.tid = trials_fts.rowid WHERE trials_fts MATCH ?${f.sql} ORDER BY score LIMIT ?`;
    const rows = this.ranked<TrialRow>(sql, terms, f.params, limit, (r) => r.tid);
    this.addSnippets(rows.rows.slice(0, limit), terms, 'trials_fts', 24, (r) => r.tid);
    return { items: rows.rows.slice(0, limit).map((r) => this.toTrial(r)), hasMore: rows.rows.length > limit, relaxed: rows.relaxed };
  }

  /** BM25 search over articles; same matching rules as searchTrials. Filter-only lists newest first. */
  searchArticles(text: string | undefined, filters: ArticleFilters, limit: number): { items: ArticleSummary[]; hasMore: boolean; relaxed: boolean } {
    const f = this.articleFilterSql(filters);
    const terms = parseUserQuery(text ?? '');
    if (!terms.length) {
      const rows = this.stmt(`SELECT ${ARTICLE_COLS} FROM articles a WHERE 1 = 1${f.sql} ORDER BY a.year DESC NULLS LAST, a.aid DESC LIMIT ?`).all(...f.params, limit + 1) as ArticleRow[];
      return { items: rows.slice(0, limit).map((r) => this.toArticle(r)), hasMore: rows.length > limit, relaxed: false };
    }
    const w = ARTICLE_WEIGHTS;
    const sql = `SELECT ${ARTICLE_COLS}, bm25(articles_fts, ${w.title}, ${w.abstract}, ${w.mesh}) AS score
      FROM articles_fts JOIN articles a ON a.aid = articles_fts.rowid WHERE articles_fts MATCH ?${f.sql} ORDER BY score LIMIT ?`;
    const rows = this.ranked<ArticleRow>(sql, terms, f.params, limit, (r) => r.aid);
    this.addSnippets(rows.rows.slice(0, limit), terms, 'articles_fts', 28, (r) => r.aid);
    return { items: rows.rows.slice(0, limit).map((r) => this.toArticle(r)), hasMore: rows.rows.length > limit, relaxed: rows.relaxed };
  }

  /**
   * Snippets for the rows shown only: snippet() in the ranking query would be evaluated for
   * every match before the sort, which dominated latency on common terms. The any-term match
   * lets relaxed results highlight whichever terms they contain.
   */
  private addSnippets<R extends { snippet?: string }>(rows: R[], terms: QueryTerm[], table: 'trials_fts' | 'articles_fts', tokens: number, key: (r: R) => number): void {
    if (!rows.length) return;
    const any = ftsMatchOf(terms, 'any');
    const ids = rows.map(key);
    // BigInt binds as INTEGER: FTS5 ignores a rowid constraint bound as a REAL (a JS number),
    // which silently turned this lookup into a scan of every match.
    const got = this.stmt(
      `SELECT rowid AS id, snippet(${table}, -1, '**', '**', '…', ${tokens}) AS snippet FROM ${table} WHERE ${table} MATCH ? AND rowid IN (${ids.map(() => '?').join(',')})`,
    ).all(any, ...ids.map((i) => BigInt(i))) as { id: number; snippet: string }[];
    const by = new Map(got.map((g) => [g.id, g.snippet]));
    for (const r of rows) r.snippet = by.get(key(r)) ?? r.snippet;
  }

  /** All-terms query, then any-term results appended (without repeats) when too few matched. */
  private ranked<R>(sql: string, terms: QueryTerm[], params: unknown[], limit: number, key: (r: R) => number): { rows: R[]; relaxed: boolean } {
    const s = this.stmt(sql);
    const all = ftsMatchOf(terms, 'all');
    const rows = s.all(all, ...params, limit + 1) as R[];
    if (rows.length > limit || terms.length < 2) return { rows, relaxed: false };
    const any = ftsMatchOf(terms, 'any');
    if (any === all) return { rows, relaxed: false };
    const seen = new Set(rows.map(key));
    const more = (s.all(any, ...params, limit + 1 + rows.length) as R[]).filter((r) => !seen.has(key(r)));
    return { rows: [...rows, ...more], relaxed: more.length > 0 };
  }

  /**
   * Evidence volume per drug for one condition: how many trials and articles are linked both to
   * the drug and to one of `conditionIds` (ids as resolve() returns them, so the counts agree
   * with what a search filtered on the same drug and condition lists). Every drug linked to the
   * condition's documents is counted, by one grouped query per table: ranking all candidates
   * costs two queries, not two per candidate. Adverse-effect reports are counted apart.
   */
  evidenceCounts(conditionIds: string[]): Map<string, EvidenceCounts> {
    const out = new Map<string, EvidenceCounts>();
    const ids = conditionIds.slice(0, MAX_FILTER_IDS);
    if (!ids.length) return out;
    const ph = ids.map(() => '?').join(',');
    const get = (id: string) => {
      let c = out.get(id);
      if (!c) out.set(id, (c = { trials: 0, negativeTrials: 0, trialWeight: 0, lateTrials: 0, articles: 0, adverseArticles: 0 }));
      return c;
    };
    const trials = this.stmt(
      `SELECT id, count(*) AS n, sum(negative) AS negative, sum(CASE WHEN negative THEN 0 ELSE weight END) AS weight, sum(late AND NOT negative) AS late FROM (
         SELECT d.entity_id AS id, ${NEGATIVE_TRIAL('t')} AS negative, ${TRIAL_WEIGHT('t')} AS weight, ${LATE_PHASE('t')} AS late
         FROM (SELECT DISTINCT tid FROM trial_links WHERE role = 'condition' AND entity_id IN (${ph})) c
         JOIN trial_links d ON d.tid = c.tid AND d.role = 'drug' JOIN trials t ON t.tid = c.tid
       ) GROUP BY id`,
    ).all(...ids) as { id: string; n: number; negative: number; weight: number; late: number }[];
    for (const r of trials) {
      const c = get(r.id);
      c.trials = r.n - r.negative;
      c.negativeTrials = r.negative;
      c.trialWeight = Math.round(r.weight * 100) / 100;
      c.lateTrials = r.late;
    }
    const articles = this.stmt(
      `SELECT id, sum(treatment AND NOT adverse) AS support, sum(adverse) AS adverse FROM (
         SELECT d.entity_id AS id, d.aid AS aid, ${ADVERSE_REPORT('d.aid', 'd.entity_id')} AS adverse, a.stance = 'treatment' AS treatment
         FROM (SELECT DISTINCT aid FROM article_links WHERE role = 'condition' AND entity_id IN (${ph})) c
         JOIN article_links d ON d.aid = c.aid AND d.role = 'drug'
         JOIN articles a ON a.aid = d.aid
       ) GROUP BY id`,
    ).all(...ids) as { id: string; support: number; adverse: number }[];
    for (const r of articles) {
      const c = get(r.id);
      c.articles = r.support;
      c.adverseArticles = r.adverse;
    }
    return out;
  }

  /** BM25 ranking only, as document ids (NCT / PMID), for fusion and the bench. */
  rankTrialIds(text: string, filters: TrialFilters, n: number): string[] {
    return this.searchTrials(text, filters, n).items.map((t) => t.nctId);
  }

  rankArticleIds(text: string, filters: ArticleFilters, n: number): string[] {
    return this.searchArticles(text, filters, n).items.map((a) => a.pmid);
  }

  /** Of the given NCT IDs, those passing the filters, as summaries in the order given. */
  trialsByIds(ids: string[], filters: TrialFilters): TrialSummary[] {
    if (!ids.length) return [];
    const f = this.trialFilterSql(filters);
    const rows = this.stmt(`SELECT ${TRIAL_COLS}, t.summary AS summary FROM trials t WHERE t.nct_id IN (${ids.map(() => '?').join(',')})${f.sql}`).all(...ids, ...f.params) as TrialRow[];
    const by = new Map(rows.map((r) => [r.nct_id, r]));
    return ids.flatMap((i) => {
      const row = by.get(i);
      return row ? [this.toTrial(row)] : [];
    });
  }

  /** Of the given PMIDs, those passing the filters, in the order given, with their abstracts. */
  articlesByIds(ids: string[], filters: ArticleFilters): (ArticleSummary & { abstract: string })[] {
    if (!ids.length) return [];
    const f = this.articleFilterSql(filters);
    const rows = this.stmt(`SELECT ${ARTICLE_COLS}, a.abstract AS abstract FROM articles a WHERE a.pmid IN (${ids.map(() => '?').join(',')})${f.sql}`).all(...ids, ...f.params) as ArticleRow[];
    const by = new Map(rows.map((r) => [r.pmid, r]));
    return ids.flatMap((i) => {
      const row = by.get(i);
      return row ? [{ ...this.toArticle(row), abstract: row.abstract ?? '' }] : [];
    });
  }

  getTrial(nctId: string): TrialRecord | null {
    const r = this.stmt('SELECT t.*, t.rowid AS tid FROM trials t WHERE t.nct_id = ?').get(nctId.toUpperCase()) as
      | (TrialRow & { summary: string; criteria: string; icd10: string; keywords: string; outcome_measures: string })
      | undefined;
    if (!r) return null;
    const links = this.stmt('SELECT role, entity_id AS id, name, method FROM trial_links WHERE tid = ? ORDER BY role, method, name').all(r.tid) as DocumentLink[];
    return {
      ...this.toTrial(r), snippet: (r.summary || r.title).slice(0, 240), summary: r.summary, criteria: r.criteria,
      icd10: lines(r.icd10), keywords: lines(r.keywords), outcomeMeasures: r.outcome_measures, links,
    };
  }

  getArticle(pmid: string): ArticleRecord | null {
    const r = this.stmt('SELECT a.* FROM articles a WHERE a.pmid = ?').get(pmid) as (ArticleRow & { abstract: string; sections: string }) | undefined;
    if (!r) return null;
    const links = this.stmt('SELECT role, entity_id AS id, name, method FROM article_links WHERE aid = ? ORDER BY role, method, name').all(r.aid) as DocumentLink[];
    const concepts = this.stmt('SELECT mesh_id AS meshId, type, name, mentions FROM article_concepts WHERE aid = ? ORDER BY type, mentions DESC').all(r.aid) as ArticleRecord['concepts'];
    const relations = this.stmt('SELECT chemical, disease FROM article_relations WHERE aid = ?').all(r.aid) as ArticleRecord['relations'];
    return {
      ...this.toArticle(r), snippet: r.abstract.slice(0, 240), abstract: r.abstract,
      sections: JSON.parse(r.sections) as ArticleRecord['sections'], journal: null, concepts, relations, links,
    };
  }
}
