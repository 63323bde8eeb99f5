import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildContext, BuildStep } from '../base/build-context.js';
import { normalizeTerm } from '../base/graph-schema.js';
import { BC5CDR_FILES, readPubTator } from '../sources/bc5cdr.js';
import { hintTrialFiles, readHintDrugbankMini, readHintTrials } from '../sources/hint.js';
import { readPubMedQa } from '../sources/pubmedqa.js';
import { dataFile, readTsv, SourceFormatError } from '../sources/table.js';
import { readTrial2Vec } from '../sources/trial2vec.js';
import { articleStance } from './article-stance.js';
import { EntityLinker, type LinkedEntity } from './link.js';
import type { LinkRole } from '../base/corpus-types.js';
import { CORPUS_DDL, CORPUS_INDEXES, normalizeTrialPhases, normalizeTrialStatus } from '../base/corpus-schema.js';

interface TrialDraft {
  nctId: string;
  title: string;
  titleKind: 'registry' | 'derived';
  phase: string | null;
  status: string | null;
  whyStopped: string | null;
  outcomeLabel: number | null;
  conditions: string[];
  interventions: string[];
  icd10: string[];
  keywords: string[];
  summary: string;
  outcomeMeasures: string;
  criteria: string;
  sources: Set<string>;
  links: Map<string, { role: LinkRole; id: string; name: string; method: string; source: string }>;
}

const uniq = (xs: string[]) => [...new Set(xs.map((x) => x.trim()).filter(Boolean))];

function draft(nctId: string): TrialDraft {
  return {
    nctId, title: '', titleKind: 'derived', phase: null, status: null, whyStopped: null, outcomeLabel: null,
    conditions: [], interventions: [], icd10: [], keywords: [], summary: '', outcomeMeasures: '', criteria: '',
    sources: new Set(), links: new Map(),
  };
}

function addLink(d: { links: TrialDraft['links'] }, role: LinkRole, e: LinkedEntity, method: string, source: string): void {
  const key = `${role}\u0000${e.id}`;
  if (!d.links.has(key)) d.links.set(key, { role, id: e.id, name: e.name, method, source });
}

/**
 * Condition links a trial's own words put in another organ (kb/vocabulary/trial-organ-mismatch.tsv):
 * a registry that files "ocular hypertension" under hypertension does not make a glaucoma eye-drop
 * trial evidence for systemic hypertension. Each row: the linked condition, the cue, why.
 */
const DEFAULT_ORGAN_MISMATCH_FILE = fileURLToPath(new URL('../vocabulary/trial-organ-mismatch.tsv', import.meta.url));

export function readOrganMismatch(file = DEFAULT_ORGAN_MISMATCH_FILE): Map<string, RegExp[]> {
  const out = new Map<string, RegExp[]>();
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== 'condition\tother_organ_cue\tbasis') throw new Error(`${file}: line 1 must be the header "condition<TAB>other_organ_cue<TAB>basis"`);
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const [condition, cue, basis] = line.split('\t');
    if (!condition || !cue || !basis?.trim()) throw new Error(`${file}: line ${i + 2}: needs a condition id, a cue (a regular expression) and its basis`);
    let re: RegExp;
    try {
      re = new RegExp(cue, 'i');
    } catch (err) {
      throw new Error(`${file}: line ${i + 2}: the cue is not a valid regular expression (${(err as Error).message})`);
    }
    out.set(condition, [...(out.get(condition) ?? []), re]);
  });
  return out;
}

/** Whether a condition link is in another organ by the trial's own title and conditions. */
export function otherOrgan(mismatch: Map<string, RegExp[]>, conditionId: string, trialText: string): boolean {
  return (mismatch.get(conditionId) ?? []).some((re) => re.test(trialText));
}

/** "Phase 2 trial of metformin in type 2 diabetes", for records whose source has no title. */
function derivedTitle(t: TrialDraft): string {
  const phase = t.phase ? t.phase.replace(/EARLY_PHASE1/, 'Early phase 1').replace(/PHASE(\d)/g, 'Phase $1').replace('/', '/') + ' trial' : 'Trial';
  const drugs = t.interventions.slice(0, 4).join(', ') + (t.interventions.length > 4 ? ', …' : '');
  const conds = t.conditions.slice(0, 3).join(', ') + (t.conditions.length > 3 ? ', …' : '');
  return `${phase}${drugs ? ` of ${drugs}` : ''}${conds ? ` in ${conds}` : ''}`;
}

/**
 * Trials: HINT (status, phase, outcome, criteria), Trial2Vec (registry titles and summaries) and
 * dhimmel/clintrials (trial ↔ DrugBank × DOID); one row per NCT ID with each source recorded.
 */
const corpusTrialsStep: BuildStep = {
  id: 'corpus-trials',
  title: 'Clinical trials corpus',
  sources: ['hint', 'trial2vec', 'clintrials-dhimmel'],
  run(ctx: BuildContext) {
    const linker = new EntityLinker(ctx.db);
    const trials = new Map<string, TrialDraft>();
    const get = (id: string) => {
      let trial = trials.get(id);
      if (!trial) {
        trial = draft(id);
        trials.set(id, trial);
      }
      return trial;
    };

    if (ctx.allows('hint')) {
      const files = hintTrialFiles(ctx.dataDir);
      if (files.length === 0) throw new SourceFormatError(path.join(ctx.dataDir, 'hint'), 0, 'at least one data_*.csv split file');
      files.forEach((file, i) => {
        ctx.useSource('hint', file);
        for (const r of readHintTrials(file)) {
          if (trials.get(r.nctId)?.sources.has('hint')) continue; // the same trial in several splits
          const t = get(r.nctId);
          t.sources.add('hint');
          t.phase ??= normalizeTrialPhases(r.phase).join('/') || null;
          t.status ??= normalizeTrialStatus(r.status);
          t.whyStopped ??= r.whyStopped || null;
          t.outcomeLabel ??= r.outcomeLabel;
          t.conditions = uniq([...t.conditions, ...r.diseases]);
          t.interventions = uniq([...t.interventions, ...r.drugs]);
          t.icd10 = uniq([...t.icd10, ...r.icd10]);
          if (!t.criteria) t.criteria = r.criteria;
        }
        ctx.progress('corpus-trials', 'Clinical trials corpus (HINT)', i + 1, files.length);
      });
      const mini = dataFile(ctx.dataDir, 'hint', 'data_drugbank_mini.csv');
      if (fs.existsSync(mini)) {
        ctx.useSource('hint', mini);
        for (const r of readHintDrugbankMini(mini)) {
          const t = trials.get(r.nctId);
          if (t) addLink(t, 'drug', { id: r.drugbankId, name: linker.nodeName(r.drugbankId) ?? r.name }, 'drugbank-map', 'hint');
        }
      }
    }

    if (ctx.allows('trial2vec')) {
      const file = dataFile(ctx.dataDir, 'trial2vec', 'clinical_trial_mini.csv');
      ctx.useSource('trial2vec', file);
      for (const r of readTrial2Vec(file)) {
        const t = get(r.nctId);
        t.sources.add('trial2vec');
        t.title = r.title || t.title;
        if (r.title) t.titleKind = 'registry';
        t.status ??= normalizeTrialStatus(r.status);
        t.conditions = uniq([...t.conditions, ...r.diseases]);
        t.interventions = uniq([...t.interventions, ...r.interventions]);
        t.keywords = uniq([...t.keywords, ...r.keywords]);
        t.summary = r.description || t.summary;
        t.outcomeMeasures = r.outcomeMeasure || t.outcomeMeasures;
        if (!t.criteria) t.criteria = r.criteria;
      }
    }

    if (ctx.allows('clintrials-dhimmel')) {
      const file = dataFile(ctx.dataDir, 'clintrials-dhimmel', 'DrugBank-DO-slim.tsv');
      ctx.useSource('clintrials-dhimmel', file);
      for (const row of readTsv(file, { required: ['nct_id', 'compound_id', 'compound_name', 'disease_id', 'disease_name'] })) {
        const nct = row.get('nct_id').trim().toUpperCase();
        if (!/^NCT\d{8}$/.test(nct)) throw new SourceFormatError(file, row.line, 'an NCT ID in column nct_id', nct);
        const t = get(nct);
        t.sources.add('clintrials-dhimmel');
        const drug = row.get('compound_name');
        const disease = row.get('disease_name');
        t.interventions = uniq([...t.interventions, drug]);
        t.conditions = uniq([...t.conditions, disease]);
        addLink(t, 'drug', { id: row.get('compound_id'), name: drug }, 'registry', 'clintrials-dhimmel');
        addLink(t, 'condition', { id: row.get('disease_id'), name: disease }, 'registry', 'clintrials-dhimmel');
      }
    }

    const insert = ctx.db.prepare(
      `INSERT INTO trials (nct_id, title, title_kind, phase, status, why_stopped, outcome_label, conditions, interventions,
        icd10, keywords, summary, outcome_measures, criteria, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const link = ctx.db.prepare(
      'INSERT OR IGNORE INTO trial_links (tid, role, entity_id, name, name_norm, method, source) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    let n = 0;
    const mismatch = readOrganMismatch();
    const sorted = [...trials.values()].sort((a, b) => a.nctId.localeCompare(b.nctId));
    for (const t of sorted) {
      const textSource = t.sources.has('trial2vec') ? 'trial2vec' : t.sources.has('hint') ? 'hint' : 'clintrials-dhimmel';
      // Names written in the record are linked too, so a trial whose registry row lacks an ID
      // still matches a drug or condition filter.
      for (const name of t.interventions) for (const e of linker.drugsInIntervention(name)) addLink(t, 'drug', e, 'name', textSource);
      for (const name of t.conditions) for (const e of linker.conditionsByName(name)) addLink(t, 'condition', e, 'name', textSource);
      for (const code of t.icd10) for (const e of linker.byIcd10(code)) addLink(t, 'condition', e, 'icd10', textSource);
      const title = t.title || derivedTitle(t);
      const r = insert.run(
        t.nctId, title, t.title ? 'registry' : 'derived', t.phase, t.status, t.whyStopped, t.outcomeLabel,
        t.conditions.join('\n'), t.interventions.join('\n'), t.icd10.join('\n'), t.keywords.join('\n'),
        t.summary, t.outcomeMeasures, t.criteria, [...t.sources].sort().join(','),
      );
      const tid = Number(r.lastInsertRowid);
      const ownWords = `${title}\n${t.conditions.join('\n')}`;
      for (const l of t.links.values()) {
        if (l.role === 'condition' && otherOrgan(mismatch, l.id, ownWords)) continue;
        link.run(tid, l.role, l.id, l.name, normalizeTerm(l.name), l.method, l.source);
      }
      if (++n % 5000 === 0) ctx.progress('corpus-trials', 'Clinical trials corpus', n, sorted.length);
    }
    ctx.db.exec("INSERT INTO trials_fts(trials_fts) VALUES ('rebuild')");
  },
};

interface ArticleDraft {
  pmid: string;
  title: string;
  titleKind: 'title' | 'question';
  abstract: string;
  sections: { label: string; text: string }[];
  mesh: string[];
  year: number | null;
  splits: Set<string>;
  sources: Set<string>;
  concepts: Map<string, { type: string; names: Map<string, number> }>;
  relations: { chemical: string; disease: string }[];
  links: TrialDraft['links'];
}

const SPLIT_ORDER = ['train', 'dev', 'test'];

/**
 * Articles: BC5CDR (title, abstract, chemical and disease MeSH annotations, CID relations) and
 * PubMedQA (structured abstract, MeSH headings, year); linked to drugs and conditions by MeSH id
 * and by MeSH heading name.
 */
const corpusArticlesStep: BuildStep = {
  id: 'corpus-articles',
  title: 'PubMed article corpus',
  sources: ['bc5cdr', 'pubmedqa'],
  run(ctx: BuildContext) {
    const linker = new EntityLinker(ctx.db);
    const articles = new Map<string, ArticleDraft>();
    const get = (pmid: string) => {
      let article = articles.get(pmid);
      if (!article) {
        article = {
          pmid, title: '', titleKind: 'title', abstract: '', sections: [], mesh: [], year: null,
          splits: new Set(), sources: new Set(), concepts: new Map(), relations: [], links: new Map(),
        };
        articles.set(pmid, article);
      }
      return article;
    };

    if (ctx.allows('bc5cdr')) {
      for (const { file, split } of BC5CDR_FILES) {
        const full = dataFile(ctx.dataDir, 'bc5cdr', file);
        ctx.useSource('bc5cdr', full);
        for (const doc of readPubTator(full)) {
          const a = get(doc.pmid);
          a.splits.add(split);
          if (a.sources.has('bc5cdr')) continue; // training file repeats the development set
          a.sources.add('bc5cdr');
          a.title = doc.title;
          a.abstract = doc.abstract;
          for (const m of doc.annotations) {
            for (const id of m.meshIds) {
              let c = a.concepts.get(id);
              if (!c) {
                c = { type: m.type, names: new Map() };
                a.concepts.set(id, c);
              }
              // Composite mentions ("hemorrhagic cystitis" for two ids) name neither id alone.
              if (m.meshIds.length === 1) c.names.set(m.text.toLowerCase(), (c.names.get(m.text.toLowerCase()) ?? 0) + 1);
            }
          }
          a.relations.push(...doc.relations);
        }
      }
    }

    if (ctx.allows('pubmedqa')) {
      const file = dataFile(ctx.dataDir, 'pubmedqa', 'ori_pqal.json');
      ctx.useSource('pubmedqa', file);
      for (const r of readPubMedQa(file)) {
        const a = get(r.pmid);
        a.sources.add('pubmedqa');
        if (!a.title) {
          a.title = r.question;
          a.titleKind = 'question';
        }
        const sections = [...r.sections, ...(r.conclusion ? [{ label: 'CONCLUSIONS', text: r.conclusion }] : [])];
        if (!a.abstract) {
          a.sections = sections;
          a.abstract = sections.map((s) => s.text).join(' ');
        }
        a.mesh = uniq([...a.mesh, ...r.mesh]);
        a.year ??= r.year;
      }
    }

    const insert = ctx.db.prepare(
      'INSERT INTO articles (pmid, title, title_kind, abstract, sections, mesh, year, splits, sources, stance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const concept = ctx.db.prepare('INSERT INTO article_concepts (aid, mesh_id, type, name, mentions) VALUES (?, ?, ?, ?, ?)');
    const relation = ctx.db.prepare('INSERT INTO article_relations (aid, chemical, disease) VALUES (?, ?, ?)');
    const link = ctx.db.prepare(
      'INSERT OR IGNORE INTO article_links (aid, role, entity_id, name, name_norm, method, source) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const a of [...articles.values()].sort((x, y) => Number(x.pmid) - Number(y.pmid))) {
      const r = insert.run(
        a.pmid, a.title, a.titleKind, a.abstract, JSON.stringify(a.sections), a.mesh.join('\n'), a.year,
        SPLIT_ORDER.filter((s) => a.splits.has(s)).join(','), [...a.sources].sort().join(','),
        articleStance(a.title, a.abstract, a.relations.length > 0, [...a.concepts.values()].filter((c) => c.type === 'Chemical').flatMap((c) => [...c.names.keys()])),
      );
      const aid = Number(r.lastInsertRowid);
      for (const [meshId, c] of a.concepts) {
        const names = [...c.names.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
        const name = names[0]?.[0] ?? meshId;
        const mentions = names.reduce((s, [, k]) => s + k, 0);
        concept.run(aid, meshId, c.type, name, mentions);
        const role: LinkRole | null = c.type === 'Chemical' ? 'drug' : c.type === 'Disease' ? 'condition' : null;
        if (!role) continue;
        addLink(a, role, { id: `MESH:${meshId}`, name }, 'mesh-id', 'bc5cdr');
        for (const e of linker.byMesh(role, meshId)) addLink(a, role, e, 'mesh-xref', 'bc5cdr');
      }
      for (const rel of a.relations) relation.run(aid, rel.chemical, rel.disease);
      for (const heading of a.mesh) {
        for (const e of linker.byName('drug', heading)) addLink(a, 'drug', e, 'mesh-name', 'pubmedqa');
        for (const e of linker.conditionsByName(heading)) addLink(a, 'condition', e, 'mesh-name', 'pubmedqa');
      }
      for (const l of a.links.values()) link.run(aid, l.role, l.id, l.name, normalizeTerm(l.name), l.method, l.source);
    }
    ctx.db.exec("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')");
  },
};

/** Build steps for the trial and article corpus; they run after the graph steps and link to them. */
export const corpusBuildSteps: BuildStep[] = [corpusTrialsStep, corpusArticlesStep];
/** Corpus tables, created before the steps run. */
export const corpusDdl: string[] = [CORPUS_DDL];
/** Corpus indexes (and FTS optimisation), run after the steps. */
export const corpusIndexes: string[] = [CORPUS_INDEXES];
