import { trialStudiesDrug } from '../clinical/evidence-relevance.js';
import type { SafetyEngine } from '../clinical/safety/engine.js';
import { NEGATIVE_TRIAL } from '../kb/corpus/offline.js';
import { otherOrgan, readOrganMismatch } from '../kb/corpus/steps.js';
import type { EvidenceStore } from '../kb/corpus/store.js';
import type { GraphStore } from '../kb/graph/store.js';
import { caseFromArgs } from '../tools/patient-input.js';
import { recommendDrugsTool } from '../tools/recommend-drugs.js';
import { runTool, type ToolDeps } from '../tools/spec.js';
import type { CoverageItem } from './coverage.js';

/**
 * Citation relevance (issue 14): for each condition of the coverage set, the evidence-only answer's
 * recommendations and the trials and articles they cite, each checked in code:
 * - a trial: not known negative (HINT failure label, or stopped for harm, futility or lack of
 *   efficacy); the condition in the same organ (not glaucoma for hypertension); the drug one of the
 *   trial's interventions by name — in its title, or among at most two interventions (a drug listed
 *   among many, and absent from the title, is background therapy more often than the arm);
 * - an article: a treatment study in people (`articles.stance`), not an adverse-effect report.
 * "Before" applies the same checks to what the previous selection would have cited for the same
 * drugs (trials with no negative filter, articles with only adverse reports left out).
 */
interface CitationCheck {
  item: string;
  drug: string;
  id: string;
  type: 'trial' | 'article';
  passed: boolean;
  why: string;
}

interface Tally {
  checked: number;
  passed: number;
  share: number | null;
}

export interface CitationsReport {
  conditions: number;
  answers: number;
  after: { trials: Tally; articles: Tally; all: Tally; negativeTrialsCited: number; answersCitingNegative: number };
  before: { trials: Tally; articles: Tally; all: Tally; negativeTrialsCited: number; answersCitingNegative: number };
  failures: CitationCheck[];
}

const CITED = 3;
const tally = (xs: CitationCheck[]): Tally => ({
  checked: xs.length,
  passed: xs.filter((x) => x.passed).length,
  share: xs.length ? xs.filter((x) => x.passed).length / xs.length : null,
});

export async function runCitationsEval(opts: {
  graph: GraphStore;
  evidence: EvidenceStore;
  safety: SafetyEngine;
  items: CoverageItem[];
}): Promise<CitationsReport> {
  const deps: ToolDeps = { graph: opts.graph, evidence: opts.evidence, safety: opts.safety };
  const db = opts.evidence.offline.db;
  const mismatch = readOrganMismatch();
  const negative = db.prepare(`SELECT ${NEGATIVE_TRIAL('t')} FROM trials t WHERE t.nct_id = ?`).pluck();
  const stance = db.prepare('SELECT stance FROM articles WHERE pmid = ?').pluck();
  const names = new Map<string, string[]>();
  const drugNames = async (id: string, name: string) => {
    let n = names.get(id);
    if (!n) {
      const e = await opts.graph.getEntity(id);
      n = [name, ...(e?.synonyms ?? [])].map((s) => s.toLowerCase()).filter((s) => s.length >= 4);
      names.set(id, n);
    }
    return n;
  };

  const checkTrial = async (item: string, drug: { id: string; name: string }, nct: string, conditionId: string): Promise<CitationCheck> => {
    const base = { item, drug: drug.name, id: nct, type: 'trial' as const };
    const { trial } = await opts.evidence.getTrial(nct, 'offline');
    if (negative.get(nct)) return { ...base, passed: false, why: `negative trial (${trial.outcomeLabel === 0 ? 'HINT: did not meet its outcome' : `stopped: ${trial.whyStopped}`})` };
    if (otherOrgan(mismatch, conditionId, `${trial.title}\n${trial.conditions.join('\n')}`)) return { ...base, passed: false, why: `another organ: ${trial.title}` };
    if (!trialStudiesDrug(trial, await drugNames(drug.id, drug.name))) return { ...base, passed: false, why: `not named as the studied drug (${trial.interventions.length} interventions, not in the title): ${trial.title}` };
    return { ...base, passed: true, why: '' };
  };
  const checkArticle = (item: string, drug: string, pmid: string): CitationCheck => {
    const s = String(stance.get(pmid.replace(/^PMID:/i, '')) ?? 'unknown');
    return { item, drug, id: pmid, type: 'article', passed: s === 'treatment', why: s === 'treatment' ? '' : `article stance: ${s}` };
  };

  const after: CitationCheck[] = [];
  const before: CitationCheck[] = [];
  let answers = 0;
  const citingNegative = { after: new Set<string>(), before: new Set<string>() };
  for (const item of opts.items) {
    let out: { recommendations: { drug: { id: string; name: string }; evidence: { id: string; type: string }[] }[]; case?: unknown };
    try {
      out = (await runTool(recommendDrugsTool, { conditions: [item.phrase] }, deps)) as typeof out;
    } catch {
      continue;
    }
    if (!out.recommendations.length) continue;
    answers++;
    const { conditions: phrases, limit: _limit, detail: _detail, ...patient } = recommendDrugsTool.input.parse({ conditions: [item.phrase] });
    const condition = (await caseFromArgs(deps, phrases, patient, false)).case.conditions.find((x) => x.id)?.id;
    if (!condition) continue;
    const conditionIds = opts.evidence.offline.resolve('condition', condition).map((e) => e.id);
    for (const r of out.recommendations) {
      for (const e of r.evidence) {
        if (e.type === 'trial') {
          const ck = await checkTrial(item.id, r.drug, e.id, condition);
          after.push(ck);
          if (ck.why.startsWith('negative')) citingNegative.after.add(item.id);
        } else if (e.type === 'article') after.push(checkArticle(item.id, r.drug.name, e.id));
      }
      // What the previous selection cited for the same drug: trials and articles without the new filters.
      const f = { drugIds: [r.drug.id], conditionIds };
      const trials = opts.evidence.offline.searchTrials('', { ...f, phase: ['PHASE3', 'PHASE4'] }, CITED).items;
      if (trials.length < CITED) {
        for (const t of opts.evidence.offline.searchTrials('', f, CITED * 2).items) {
          if (trials.length < CITED && !trials.some((o) => o.nctId === t.nctId)) trials.push(t);
        }
      }
      for (const t of trials) {
        const ck = await checkTrial(item.id, r.drug, t.nctId, condition);
        before.push(ck);
        if (ck.why.startsWith('negative')) citingNegative.before.add(item.id);
      }
      for (const a of opts.evidence.offline.searchArticles('', { ...f, excludeAdverseReports: true }, CITED).items) {
        before.push(checkArticle(item.id, r.drug.name, a.pmid));
      }
    }
  }
  const summary = (xs: CitationCheck[], negativeAnswers: Set<string>) => ({
    trials: tally(xs.filter((x) => x.type === 'trial')),
    articles: tally(xs.filter((x) => x.type === 'article')),
    all: tally(xs),
    negativeTrialsCited: xs.filter((x) => x.why.startsWith('negative')).length,
    answersCitingNegative: negativeAnswers.size,
  });
  return {
    conditions: opts.items.length,
    answers,
    after: summary(after, citingNegative.after),
    before: summary(before, citingNegative.before),
    failures: after.filter((x) => !x.passed),
  };
}

const pct = (t: Tally) => (t.share === null ? '–' : `${(100 * t.share).toFixed(1)}%`);

export function citationsMarkdown(r: CitationsReport): string {
  const passed = (t: Tally) => `${t.passed} / ${t.checked} (${pct(t)})`;
  const row = (label: string, s: CitationsReport['after']) =>
    `| ${label} | ${passed(s.trials)} | ${passed(s.articles)} | ${passed(s.all)} | ${s.negativeTrialsCited} | ${s.answersCitingNegative} |`;
  const lines = [
    `# Citation relevance (${r.answers} answers over ${r.conditions} conditions)`,
    '',
    'A trial passes when it is not known negative, studies the condition in the same organ, and names the drug as what it studies; an article when it is a treatment study in people.',
    '',
    '| citations | trials relevant | articles relevant | all relevant | negative trials cited | answers citing a negative trial |',
    '|---|---|---|---|---|---|',
    row('after (cited now)', r.after),
    row('before (previous selection, same drugs)', r.before),
    '',
  ];
  if (r.failures.length) {
    lines.push('| condition | drug | citation | why it fails |', '|---|---|---|---|');
    for (const f of r.failures.slice(0, 60)) lines.push(`| ${f.item} | ${f.drug} | ${f.id} | ${f.why.replace(/\|/g, '\\|').slice(0, 160)} |`);
  }
  return lines.join('\n');
}
