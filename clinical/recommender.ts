import type { EvidenceCounts } from '../kb/corpus/offline.js';
import type { EvidenceStore } from '../kb/corpus/store.js';
import type { TrialSummary } from '../kb/base/corpus-types.js';
import type { EntityRef, GraphStore, IndicatedDrug, IndicationRelation, IndicationTier } from '../kb/graph/store.js';
import { trialStudiesDrug } from './evidence-relevance.js';
import { firstLineItem, guidelineShortName, POPULATION_WORDS, resolvedFirstLine, rowFor, type ResolvedFirstLine } from './first-line.js';
import { resolvedRecommendedAgainst, type AgainstRow } from './guidelines.js';
import { tierWords } from './indication-words.js';
import { intentFit, PHASE_WORDS, resolvedIntentRoles } from './intent.js';
import { describeCase } from './case-reader.js';
import type { CaseEntity, LedgerItem, TrackedCase } from './case-types.js';
import type { ClinicalDeps } from './deps.js';
import { articleItem, indicationItem, pathItem, publicItem, trialItem } from './evidence-items.js';
import { exclusionReason, findingsAsWarnings, SEVERITY_LABEL, type DrugVerdict, type SafetyReport } from './safety/engine.js';
import type { SafetyKnowledge } from './safety/knowledge.js';
import { safetyPatientFromCase } from './safety/patient.js';
import type { ExcludedDrug, RecommendedDrug, Warning } from './types.js';

export { publicItem };

/**
 * The evidence-only recommender: deterministic, over the same KB the tools use. Candidates come
 * from recorded indications and, when those are sparse, from trials of the condition; each gets
 * a transparent score that is the sum of named components, so the rationale can show the
 * arithmetic and cite what each term stands on.
 *
 * The order of the components is the order of trust a clinician gives them: a curated
 * indication, how strongly curators agree on it, how much clinical research studied the drug in
 * the condition (trials, then articles), and last whether the graph shows a mechanism. Volumes
 * are log-scaled and the mechanism counts once, so no single source of counts (a gene family
 * densely annotated in Hetionet, a drug in hundreds of trials) can outweigh a recorded indication.
 */

/** Score weights; the rationale prints each component so a reader can redo the sum. */
export const SCORE_WEIGHTS = {
  treats: 1.0,
  palliates: 0.6,
  /**
   * An indication from another source, by tier: the FDA label (LabeledIn) nearly as strong as a
   * physician-curated disease-modifying record, an approved indication (ChEMBL phase 4) next,
   * label-mined records lower, EHR-derived or predicted ones lower still, and a drug still in
   * phase 3 least: it is not approved for the condition.
   */
  tier: { curated: 1.0, label: 0.9, approved: 0.85, label_mined: 0.7, ehr_or_predicted: 0.4, investigational: 0.2 } as Record<IndicationTier, number>,
  /** An indication recorded only for a subtype of the case's condition counts this fraction. */
  subtype: 0.8,
  /** Per independent resource beyond the first that records the indication (up to 3): agreement, not volume. */
  agreement: 0.05,
  /** Per condition beyond the first that the drug is also indicated for. */
  extraCondition: 0.5,
  /**
   * Strength of curation (PharmacotherapyDB): per curator who agreed (up to 3) and per resource
   * listing the indication (up to 4).
   */
  curator: 0.05,
  resource: 0.025,
  /**
   * Trial evidence: 0.2 × log10(1 + w), w = the trials in the KB's corpus linked to the drug and
   * the condition, weighed by design and result (phase 3–4 count 1, phase 2 ½, phase 1 ¼, ×1½ when
   * the trial met its primary outcome; failed or harmful ones 0), at most VOLUME_CAP. Log-scaled
   * because the 500th trial adds less than the 5th.
   */
  trials: 0.2,
  /** Article volume, as trials: 0.1 × log10(1 + n); articles reporting the drug's adverse effects are not counted. */
  articles: 0.1,
  /**
   * A mechanism path (drug → target gene ← disease gene) exists. It counts once: one path shows
   * a mechanism; the number of paths measures how densely the drug's target family is annotated
   * in Hetionet (sulfonylureas hit several KATP-channel genes, metformin's AMPK route none as
   * densely), not how well the drug works.
   */
  mechanism: 0.1,
  /** The guideline lists the drug for the phase the question asks about (acute attack vs prevention). */
  intent: 0.3,
  /**
   * A guideline names the drug first-line for the condition in this patient's population
   * (clinical/guidelines/first-line.tsv): what a clinician starts with ranks above what a record
   * merely allows (a curated indication is 1.0, so this moves a drug within the indicated set).
   */
  firstLine: 0.5,
  /** Per caution-level safety finding (interaction, dose or risk warning; up to 2): ranks the drug down, never out. */
  caution: -0.25,
  /** Curators recorded the pair as not indicated. */
  notIndicated: -1.0,
} as const;

/** Document counts above this add nothing: bounds the volume terms at 3 × their weight. */
const VOLUME_CAP = 1000;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A volume term: weight × log10(1 + count), the count capped at VOLUME_CAP. */
export function volumeScore(weight: number, count: number): number {
  return round3(weight * Math.log10(1 + Math.min(Math.max(count, 0), VOLUME_CAP)));
}

interface Curation {
  score: number;
  curators: number;
  resources: number;
}

/** An indication's weight: its relation (curated) or tier, a subtype's record discounted. */
export function indicationWeight(d: Pick<IndicatedDrug, 'relation' | 'tier' | 'via'>): number {
  const w = d.relation === 'treats' ? SCORE_WEIGHTS.treats : d.relation === 'palliates' ? SCORE_WEIGHTS.palliates : SCORE_WEIGHTS.tier[d.tier];
  return round3(d.via ? w * SCORE_WEIGHTS.subtype : w);
}

/** Curator and resource counts as recorded in a PharmacotherapyDB provenance detail; the best record counts. */
function curationSupport(provenance: { detail?: string }[]): Curation {
  let best: Curation = { score: 0, curators: 0, resources: 0 };
  for (const p of provenance) {
    const curators = Number(/curators: (\d+)/.exec(p.detail ?? '')?.[1] ?? 0);
    const resources = Number(/resources: (\d+)/.exec(p.detail ?? '')?.[1] ?? 0);
    const score = round3(SCORE_WEIGHTS.curator * Math.min(curators, 3) + SCORE_WEIGHTS.resource * Math.min(resources, 4));
    if (score > best.score) best = { score, curators, resources };
  }
  return best;
}

/** The named terms of a score. */
interface ScoreComponents {
  indication: number;
  /** First-line in a guideline for this population (SCORE_WEIGHTS.firstLine), by clinical/guidelines/first-line.tsv. */
  guideline: number;
  /** Fits the asked phase (SCORE_WEIGHTS.intent), by clinical/intent/roles.tsv. */
  intent: number;
  curation: number;
  trials: number;
  articles: number;
  mechanism: number;
  /** Caution-level safety findings (SCORE_WEIGHTS.caution each, at most two). */
  safety: number;
  notIndicated: number;
}

interface Recommendation extends RecommendedDrug {
  components: ScoreComponents;
}

export interface RecommendOptions {
  /** Recommendations returned (default 5). */
  limit?: number;
  /** Candidates enriched with mechanism paths and cited documents (default 10): bounds the cost. */
  enrich?: number;
  /** Skip trial/article counting and citing even when an evidence store exists. */
  graphOnly?: boolean;
}

export interface RecommendResult {
  recommendations: Recommendation[];
  /** Candidates left out by the safety engine or a curated non-indication, each with its rule and citation. */
  excluded: ExcludedDrug[];
  /** The safety verdict of every candidate considered (kept or not), for "why not X?" and the evals. */
  verdicts: Map<string, DrugVerdict>;
  warnings: Warning[];
  notices: string[];
  /** Every evidence item used, for the citation ledger. */
  evidence: LedgerItem[];
  /** The answer as text, saying plainly that no language model wrote it. */
  text: string;
}

const EVIDENCE_ONLY_BANNER = 'Evidence-only answer: no language model wrote this. It was assembled by a deterministic recommender from the knowledge graph, trials and literature in the knowledge base.';

/** Indications read per condition: all of them in practice (hypertension, the most, has 70), so none is cut before it is scored. */
const MAX_INDICATED = 200;
/** Case conditions whose trials and articles are counted (two grouped queries each). */
const MAX_VOLUME_CONDITIONS = 3;
/** Trials and articles cited per recommendation. */
const CITED_DOCUMENTS = 3;
/** Mechanism paths cited per recommendation. */
const CITED_PATHS = 3;

/** Trials and articles linking a drug to one of the case's conditions. */
interface Volume extends EvidenceCounts {
  /** The case condition counted (the one with the most evidence for this drug). */
  condition: EntityRef;
  /** The corpus ids it was counted over: the condition and the terms it subsumes. */
  conditionIds: string[];
}

interface Candidate {
  drug: EntityRef;
  components: ScoreComponents;
  evidence: LedgerItem[];
  indications: { relation: IndicationRelation; tier: IndicationTier; disease: EntityRef; via?: EntityRef; resources: string[]; factId: string }[];
  /** The best-curated indication: what the curation term stands on. */
  curation: Curation & { factId?: string };
  volume?: Volume;
  pathTexts: string[];
  /** The guideline that lists the drug for the asked phase. */
  intentSource?: string;
  /** The guideline row that names the drug first-line for one of the case's conditions, in this population. */
  firstLine?: { r: ResolvedFirstLine; condition: EntityRef };
  /** Its class, for showing options across classes: the first-line row's group, else its smallest drug group, else itself. */
  cls: string;
  /** The case's conditions it is indicated (or first-line) for. */
  serves?: string[];
}

/** A candidate's score before any evidence is counted. */
export const zeroScore = (): ScoreComponents => ({
  indication: 0,
  guideline: 0,
  intent: 0,
  curation: 0,
  trials: 0,
  articles: 0,
  mechanism: 0,
  safety: 0,
  notIndicated: 0,
});

const total = (c: ScoreComponents) => round3(Object.values(c).reduce((a, b) => a + b, 0));

/**
 * Corpus lookups memoised per store: the knowledge base is read-only while a process runs, and
 * the same conditions and drugs recur across turns and threads, so each count or document list is
 * computed once (bounded: the oldest entries go first).
 */
const corpusMemo = new WeakMap<object, Map<string, unknown>>();
const MEMO_ENTRIES = 4000;
function memo<T>(store: object, key: string, compute: () => T): T {
  let m = corpusMemo.get(store);
  if (!m) corpusMemo.set(store, (m = new Map()));
  if (m.has(key)) return m.get(key) as T;
  const v = compute();
  if (m.size >= MEMO_ENTRIES) m.delete(m.keys().next().value as string);
  m.set(key, v);
  return v;
}

/** The trials to cite for a drug and condition: phase 3/4 first (the strongest designs), then the newest. */
function citedTrials(store: EvidenceStore, drugId: string, conditionIds: string[], drugNames: string[]): TrialSummary[] {
  return memo(store, `trials|${drugId}|${conditionIds.join(',')}`, () => findCitedTrials(store, drugId, conditionIds, drugNames));
}

/** Trials to cite: not known negative, studying the drug (not listing it as background), phase 3–4 first. */
function findCitedTrials(store: EvidenceStore, drugId: string, conditionIds: string[], drugNames: string[]): TrialSummary[] {
  const f = { drugIds: [drugId], conditionIds, excludeNegative: true };
  const out: TrialSummary[] = [];
  for (const t of [
    ...store.offline.searchTrials('', { ...f, phase: ['PHASE3', 'PHASE4'] }, TRIAL_CANDIDATES).items,
    ...store.offline.searchTrials('', f, TRIAL_CANDIDATES).items,
  ]) {
    if (out.length >= CITED_DOCUMENTS) break;
    if (!out.some((o) => o.nctId === t.nctId) && trialStudiesDrug(t, drugNames)) out.push(t);
  }
  return out;
}

/** Trials read per drug to find the ones that study it. */
const TRIAL_CANDIDATES = 30;

/** Recommends drugs for a case from the evidence alone. */
export async function recommendDrugs(deps: ClinicalDeps, c: TrackedCase, opts: RecommendOptions = {}): Promise<RecommendResult> {
  const graph: GraphStore = deps.graph;
  if (!deps.safety) throw new Error('recommendDrugs needs the safety engine (deps.safety): nothing is recommended unchecked');
  const limit = opts.limit ?? 5;
  const notices: string[] = [];
  const conditions = c.conditions.filter((x): x is typeof x & { id: string } => !!x.id);
  if (!conditions.length) {
    return {
      recommendations: [], excluded: [], verdicts: new Map(), warnings: [], evidence: [],
      notices: ['No condition in the case could be matched to the knowledge base, so there is nothing to recommend for yet. Name a diagnosis (e.g. "type 2 diabetes", "DOID:9352").'],
      text: `${EVIDENCE_ONLY_BANNER}\n\nNo recommendation: the case names no condition the knowledge base knows. ${describeCase(c)}`,
    };
  }

  const candidates = new Map<string, Candidate>();
  const notIndicated = new Map<string, string>();
  const get = (drug: EntityRef) => {
    let x = candidates.get(drug.id);
    if (!x) {
      x = { drug, components: zeroScore(), evidence: [], indications: [], curation: { score: 0, curators: 0, resources: 0 }, pathTexts: [], cls: drug.id };
      candidates.set(drug.id, x);
    }
    return x;
  };
  for (const cond of conditions) {
    const ind = await graph.indicatedDrugs(cond.id, { limit: MAX_INDICATED });
    // Which records may put a drug forward: anything from the label up; an EHR-derived or predicted
    // record only when a second independent resource agrees or nothing better exists; a phase 3
    // (investigational) record never — it is not an approved indication (find_drugs_for_condition lists it).
    const strong = ind.drugs.filter((d) => d.tier !== 'investigational' && d.tier !== 'ehr_or_predicted').length;
    const usable = ind.drugs.filter((d) => d.tier !== 'investigational' && (d.tier !== 'ehr_or_predicted' || d.resources.length >= 2 || strong < limit));
    for (const d of usable) {
      const x = get(d.drug);
      const w = indicationWeight(d);
      // The best indication counts fully; each further condition the drug covers adds a bonus.
      x.components.indication = round3(x.indications.length ? x.components.indication + SCORE_WEIGHTS.extraCondition * w : w);
      const fact = indicationItem(d.drug, d.relation, ind.disease, d.provenance, d.tier, d.via);
      const cur = curationSupport(d.provenance);
      const agreement = round3(SCORE_WEIGHTS.agreement * Math.min(Math.max(d.resources.length - 1, 0), 3));
      if (cur.score + agreement > x.curation.score) x.curation = { ...cur, score: round3(cur.score + agreement), factId: fact.id };
      x.components.curation = x.curation.score;
      x.indications.push({
        relation: d.relation,
        tier: d.tier,
        disease: ind.disease,
        ...(d.via ? { via: d.via } : {}),
        resources: d.resources,
        factId: fact.id,
      });
      x.evidence.push(fact);
    }
    for (const n of ind.notIndicated) notIndicated.set(n.drug.id, `${n.drug.name} is recorded as not indicated for ${ind.disease.name}`);
  }

  // Evidence volume, counted in the offline corpus for every candidate at once: it decides which
  // candidates are enriched below, not only their final order.
  const store = opts.graphOnly ? undefined : deps.evidence;
  const counted: { condition: EntityRef; ids: string[]; counts: Map<string, EvidenceCounts> }[] = [];
  if (store) {
    for (const cond of conditions.slice(0, MAX_VOLUME_CONDITIONS)) {
      try {
        const ids = memo(store, `resolve|${cond.id}`, () => store.offline.resolve('condition', cond.id).map((e) => e.id));
        counted.push({
          condition: { id: cond.id, kind: 'Disease', name: cond.name },
          ids,
          counts: memo(store, `counts|${ids.join(',')}`, () => store.offline.evidenceCounts(ids)),
        });
      } catch (err) {
        notices.push(`Trials and articles of ${cond.name} could not be counted (${(err as Error).message}); its candidates are ranked without evidence volume.`);
      }
    }
    // Trial-derived candidates, only when indications are sparse: the drugs the corpus links to
    // the most trials of the condition, kept when the graph knows the drug by that exact id.
    if (candidates.size < limit) {
      for (const v of counted) {
        const studied = [...v.counts]
          .filter(([id, n]) => n.trials > 0 && !candidates.has(id))
          .sort((a, b) => b[1].trials - a[1].trials || a[0].localeCompare(b[0]));
        for (const [id] of studied.slice(0, Math.max(2 * limit, 10))) {
          const m = (await graph.resolve(id, { kinds: ['Compound'], limit: 1, exactOnly: true })).matches[0];
          if (m && m.matchType === 'id' && !candidates.has(m.id)) get({ id: m.id, kind: m.kind, name: m.name });
        }
      }
    }
    for (const x of candidates.values()) {
      for (const v of counted) {
        const n = v.counts.get(x.drug.id);
        if (!n) continue;
        const trials = volumeScore(SCORE_WEIGHTS.trials, n.trialWeight);
        const articles = volumeScore(SCORE_WEIGHTS.articles, n.articles);
        if (!x.volume || trials + articles > x.components.trials + x.components.articles) {
          x.volume = { ...n, condition: v.condition, conditionIds: v.ids };
          x.components.trials = trials;
          x.components.articles = articles;
        }
      }
    }
  } else if (!opts.graphOnly) {
    notices.push('No trial/literature corpus is available in this deployment: evidence comes from the knowledge graph only.');
  }
  for (const [id] of notIndicated) {
    const x = candidates.get(id);
    if (x) x.components.notIndicated = SCORE_WEIGHTS.notIndicated;
  }

  // Safety first, over every candidate: an excluded drug must not take an enrichment slot, and
  // the ones left out are listed whatever their score.
  const patient = safetyPatientFromCase(deps.safety.knowledge, c);
  const safety = await deps.safety.check([...candidates.values()].map((x) => ({ id: x.drug.id, name: x.drug.name })), patient, { effects: false });
  const excluded: ExcludedDrug[] = [];
  const safe: Candidate[] = [];
  const roles = c.intent ? await resolvedIntentRoles(graph, deps.safety.knowledge) : undefined;
  const against = await resolvedRecommendedAgainst(graph);
  const firstLine = await resolvedFirstLine(graph, deps.safety.knowledge);
  for (const x of candidates.values()) {
    const v = verdictFor(safety, x.drug.id);
    const out = exclusionOf(v);
    if (out) {
      excluded.push(out);
      continue;
    }
    if (roles && c.intent) {
      // The asked phase: a drug the guideline lists only for the other phase is not an answer to
      // this question (a migraine preventive for an attack); it is listed, with the guideline.
      const askedPhase = c.intent.phase;
      const fits = conditions.map((cond) => intentFit(roles, cond.id, x.drug.id, askedPhase)).filter((f) => f !== undefined);
      const wrong = fits.find((f) => !f.fits);
      if (wrong && !wrong.fits && !fits.some((f) => f.fits)) {
        excluded.push({
          drug: { id: x.drug.id, name: x.drug.name },
          severity: 'not_indicated',
          reason: `${x.drug.name} is for ${PHASE_WORDS[wrong.other]}, and the question asks for ${PHASE_WORDS[c.intent.phase]} ("${c.intent.cue}")`,
          citation: { source: wrong.role.source, url: wrong.role.url },
          overridable: false,
        });
        continue;
      }
      const fit = fits.find((f) => f.fits);
      if (fit) {
        x.components.intent = SCORE_WEIGHTS.intent;
        x.intentSource = fit.role.source;
      }
    }
    // A guideline that recommends against the drug for every condition it would serve here.
    const served = x.indications.length ? [...new Set(x.indications.map((i) => i.disease.id))] : conditions.map((d) => d.id);
    const rows = served.map((id) => ({ id, row: against.get(id)?.get(x.drug.id) }));
    if (rows.length && rows.every((r) => r.row)) {
      const { id, row } = rows[0] as { id: string; row: AgainstRow };
      const disease = x.indications.find((i) => i.disease.id === id)?.disease.name ?? conditions.find((d) => d.id === id)?.name ?? id;
      excluded.push({
        drug: { id: x.drug.id, name: x.drug.name },
        severity: 'not_indicated',
        reason: `${x.drug.name} is recommended against for ${disease} (${row.strength} recommendation): ${row.reason}.`,
        citation: { source: row.source, url: row.url },
        overridable: false,
      });
      continue;
    }
    if (x.components.notIndicated) {
      const reason = notIndicated.get(x.drug.id);
      // The component is set only for drugs in notIndicated (above), so the reason is there.
      if (reason === undefined) throw new Error(`recommendDrugs: ${x.drug.id} is scored not indicated but has no recorded reason`);
      const citation = { source: 'PharmacotherapyDB (curated non-indication)' };
      excluded.push({ drug: { id: x.drug.id, name: x.drug.name }, severity: 'not_indicated', reason, citation, overridable: false });
      continue;
    }
    x.components.safety = round3(SCORE_WEIGHTS.caution * Math.min(v.cautions, 2));
    for (const cond of conditions) {
      const r = rowFor(firstLine, cond.id, !!c.pregnant);
      if (!r?.classOf.has(x.drug.id)) continue;
      x.firstLine = { r, condition: { id: cond.id, kind: 'Disease', name: cond.name } };
      x.components.guideline = SCORE_WEIGHTS.firstLine;
      x.evidence.push(firstLineItem(r, x.drug, cond));
      break;
    }
    // A row's group names the class it listed (thiazide-type diuretics take in chlorthalidone); a
    // drug the row names alone takes its class from the drug groups, like any other candidate.
    const rowClass = x.firstLine?.r.classOf.get(x.drug.id);
    x.cls = (rowClass?.startsWith('group:') ? rowClass : undefined) ?? smallestGroup(deps.safety.knowledge, x.drug.id) ?? x.drug.id;
    safe.push(x);
  }

  // "Which anticoagulant?": the asked class is the answer, when the case's conditions have one in it.
  // The rest are not hidden for safety reasons — they answer another question — and the notice says so.
  let answering = safe;
  if (c.askedClass) {
    const members = new Set(c.askedClass.groups.flatMap((g) => [...(deps.safety.knowledge.groups.get(g)?.members ?? [])]));
    const inClass = safe.filter((x) => members.has(x.drug.id));
    const name = c.askedClass.name.toLowerCase();
    if (inClass.length) {
      answering = inClass;
      if (inClass.length < safe.length) notices.push(`Listing ${name} only, as the question asks ("${c.askedClass.cue}"); ${safe.length - inClass.length} other candidate(s) for the case's conditions are not shown.`);
    } else notices.push(`No drug of the class asked for (${name}, "${c.askedClass.cue}") is a safe candidate for the case's conditions in this knowledge base; all candidates are shown.`);
  }

  // Enrich the strongest safe candidates: a mechanism path, and the documents behind the counts.
  const ranked = answering.sort((a, b) => total(b.components) - total(a.components) || a.drug.name.localeCompare(b.drug.name));
  for (const x of ranked) x.serves = [...new Set([...x.indications.map((i) => i.disease.id), ...(x.firstLine ? [x.firstLine.condition.id] : [])])];
  // The strongest candidates, plus each condition's best one (acrossClasses gives every condition a slot).
  const enrich = ranked.slice(0, Math.max(opts.enrich ?? 10, limit));
  if (conditions.length > 1) {
    for (const cond of conditions) {
      const best = bestFor(ranked, cond.id);
      if (best && !enrich.includes(best)) enrich.push(best);
    }
  }
  const primary = conditions[0];
  await Promise.all(
    enrich.map(async (x) => {
      const target = x.indications[0]?.disease.id ?? primary.id;
      try {
        const paths = await graph.mechanismPaths(x.drug.id, target, { limit: CITED_PATHS, viaGeneGene: false });
        x.components.mechanism = paths.length ? SCORE_WEIGHTS.mechanism : 0;
        for (const p of paths) {
          x.evidence.push(pathItem(p));
          x.pathTexts.push(p.text);
        }
      } catch {
        // A drug without graph relations has no paths; its score simply lacks the term.
      }
      const v = x.volume;
      if (!store || !v) return;
      try {
        if (v.trials) {
          // A drug's names, read once per store: every answer that shows the drug needs them.
          const names = await memo(graph, `names|${x.drug.id}`, () =>
            graph.getEntity(x.drug.id).then((e) => [x.drug.name, ...(e?.synonyms ?? [])], () => [x.drug.name]),
          );
          for (const t of citedTrials(store, x.drug.id, v.conditionIds, names)) x.evidence.push(trialItem(t, [x.drug.id], [v.condition.id]));
        }
        if (v.articles) {
          const arts = memo(store, `articles|${x.drug.id}|${v.conditionIds.join(',')}`, () =>
            store.offline.searchArticles(
              '',
              { drugIds: [x.drug.id], conditionIds: v.conditionIds, excludeAdverseReports: true, treatmentOnly: true },
              CITED_DOCUMENTS,
            ).items,
          );
          for (const a of arts) x.evidence.push(articleItem(a, [x.drug.id], [v.condition.id]));
        }
      } catch (err) {
        notices.push(`Documents for ${x.drug.name} could not be listed (${(err as Error).message}); its score still counts them.`);
      }
    }),
  );

  enrich.sort((a, b) => total(b.components) - total(a.components) || a.drug.name.localeCompare(b.drug.name));
  const shown = acrossClasses(enrich, limit, conditions.map((cond) => cond.id));
  const shownSet = new Set(shown);
  // Drugs first-line for the general population that this patient cannot take (ARBs in pregnancy):
  // the rationale says what was left out instead, and why is in the "left out" list.
  const firstLineOut = excluded.filter(
    (e) =>
      e.severity !== 'not_indicated' &&
      e.severity !== 'already_taking' &&
      conditions.some((cond) => rowFor(firstLine, cond.id, false)?.classOf.has(e.drug.id)),
  );
  // The drugs shown get the full check: the same verdict plus their serious and boxed effects.
  const full = await deps.safety.check(shown.map((x) => ({ id: x.drug.id, name: x.drug.name })), patient);
  for (const [id, v] of full.verdicts) safety.verdicts.set(id, v);
  safety.evidence.push(...full.evidence);
  // Answer-level notes (unmatched allergies, uncovered pregnancy data…) are about the drugs shown.
  safety.general = full.general;
  const recommendations: Recommendation[] = shown.map((x, i) => {
    const warnings = findingsAsWarnings(verdictFor(safety, x.drug.id));
    return {
      rank: i + 1,
      drug: { id: x.drug.id, name: x.drug.name },
      score: total(x.components),
      components: x.components,
      rationale: rationale(x, warnings, c, {
        alternatives: answering.filter((o) => o.cls === x.cls && o !== x && !shownSet.has(o)).slice(0, 3).map((o) => o.drug.name),
        firstLineOut,
      }),
      summary: summary(x, warnings),
      evidence: publicEvidence(x.evidence).map(publicItem),
      warnings,
    };
  });
  const candidateScore = (id: string) => {
    const x = candidates.get(id);
    return x ? total(x.components) : 0;
  };
  excluded.sort((a, b) => candidateScore(b.drug.id) - candidateScore(a.drug.id));
  const shownIds = new Set(recommendations.map((r) => r.drug.id));
  const aboutListedDrug = (e: LedgerItem) => !e.drugs?.length || e.drugs.some((d) => shownIds.has(d) || excluded.some((x) => x.drug.id === d));
  const evidence = [...enrich.flatMap((x) => x.evidence), ...safety.evidence.filter(aboutListedDrug)];
  const text = renderAnswer(c, recommendations, excluded, safety.general, notices);
  return { recommendations, excluded, verdicts: safety.verdicts, warnings: safety.general, notices, evidence, text };
}

/** The engine's verdict for a drug it was asked to check; a missing one is a bug, never a pass. */
function verdictFor(report: SafetyReport, drugId: string): DrugVerdict {
  const v = report.verdicts.get(drugId);
  if (!v) throw new Error(`the safety engine returned no verdict for ${drugId}, which it was asked to check`);
  return v;
}

/** A verdict as an exclusion (with the rule and citation that decide it), or undefined when the drug is kept. */
export function exclusionOf(v: DrugVerdict): ExcludedDrug | undefined {
  if (v.verdict !== 'excluded') return undefined;
  const f = exclusionReason(v);
  // An excluded verdict comes from a contraindicated or avoid-unless finding; without one it is a bug.
  if (!f) throw new Error(`exclusionOf: the excluded verdict for ${v.drug.id} has no contraindicated or avoid-unless finding`);
  const severity = f.kind === 'already_taking' ? 'already_taking' : f.severity === 'contraindicated' ? 'contraindicated' : 'avoid_unless';
  const more = v.findings.filter((x) => x !== f && x.kind !== 'already_taking' && (x.severity === 'contraindicated' || x.severity === 'avoid_unless')).length;
  const current = f.kind !== 'already_taking' && v.findings.some((x) => x.kind === 'already_taking');
  return {
    drug: v.drug,
    severity,
    reason: `${f.message}${more ? ` (and ${more} more rule${more === 1 ? '' : 's'})` : ''}${current ? ` ${v.drug.name} is a current medication: review it.` : ''}`,
    ...(f.rule && f.kind !== 'already_taking' ? { rule: f.rule } : {}),
    citation: f.citation,
    overridable: severity === 'avoid_unless',
  };
}

const EVIDENCE_ORDER: LedgerItem['type'][] = ['guideline', 'kg_fact', 'trial', 'article', 'kg_path'];

/** A drug's narrowest drug group with at least two members (its class, where the rule tables know one), as `group:<key>`. */
function smallestGroup(knowledge: SafetyKnowledge, drugId: string): string | undefined {
  let best: { key: string; size: number } | undefined;
  for (const key of knowledge.groupsOfDrug.get(drugId) ?? []) {
    const g = knowledge.groups.get(key);
    // Therapeutic classes only (they carry ATC codes): a safety grouping such as "oxidant drugs in
    // G6PD deficiency" put nitrofurantoin, phenazopyridine and sulfadiazine in one "class".
    if (!g?.atc.length) continue;
    const size = g.members.size;
    if (size >= 2 && (!best || size < best.size)) best = { key, size };
  }
  return best && `group:${best.key}`;
}

interface Selectable {
  cls: string;
  components: ScoreComponents;
  serves?: string[];
  firstLine?: { condition: { id: string } };
}

/** A condition's best candidate, in score order: one a guideline names first-line for it, else the best that serves it. */
function bestFor<T extends Selectable>(ranked: T[], cond: string): T | undefined {
  return ranked.find((x) => x.firstLine?.condition.id === cond) ?? ranked.find((x) => x.serves?.includes(cond));
}

/**
 * The drugs shown, across classes, as a clinician weighs options: with several conditions, first the
 * best drug for each condition; then the best drug of each class
 * a guideline names first-line for this patient (metformin, an SGLT2 inhibitor, a GLP-1 agonist for
 * type 2 diabetes; a thiazide, an ARB, a calcium-channel blocker for hypertension — not four ARBs),
 * then the best drug of each other class that scores within a quarter of the best (a weakly
 * supported class does not displace a well-supported drug), then the rest by score. Same-class
 * alternatives are named in each rationale, so nothing is hidden.
 */
export function acrossClasses<T extends Selectable>(ranked: T[], limit: number, conditions: string[] = []): T[] {
  const top = ranked.length ? total(ranked[0].components) : 0;
  const out: T[] = [];
  const classes = new Set<string>();
  const add = (x: T) => {
    out.push(x);
    classes.add(x.cls);
  };
  const take = (accept: (x: T) => boolean) => {
    for (const x of ranked) {
      if (out.length >= limit) return;
      if (!out.includes(x) && accept(x)) add(x);
    }
  };
  // Every condition of the case first gets its best option (a first-line one when there is one):
  // diabetes with atrial fibrillation needs a drug for each, not five for the first.
  if (conditions.length > 1) {
    for (const cond of conditions) {
      if (out.length >= limit || out.some((x) => x.serves?.includes(cond))) continue;
      const best = bestFor(ranked.filter((x) => !out.includes(x)), cond);
      if (best) add(best);
    }
  }
  take((x) => x.components.guideline > 0 && !classes.has(x.cls));
  take((x) => !classes.has(x.cls) && total(x.components) >= 0.75 * top);
  take(() => true);
  return out;
}

/** A recommendation's evidence list: in the order the rationale cites it (indication, trials, articles, mechanism), at most 10. */
function publicEvidence(items: LedgerItem[]): LedgerItem[] {
  const rank = (t: LedgerItem['type']) => {
    const i = EVIDENCE_ORDER.indexOf(t);
    return i < 0 ? EVIDENCE_ORDER.length : i;
  };
  return [...items].sort((a, b) => rank(a.type) - rank(b.type)).slice(0, 10);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the rationale adds about the answer as a whole: same-class options not shown, first-line drugs this patient cannot take. */
interface RationaleContext {
  alternatives: string[];
  firstLineOut: ExcludedDrug[];
}

/**
 * The rationale, for this patient, in a few sentences: the line of therapy (guideline), the
 * indication record and who agrees on it, the trials and articles that studied the drug in the
 * condition (cited), the mechanism, then what the patient's facts mean for it and what was left out
 * instead. The score is data (score_components), not prose.
 */
function rationale(x: Candidate, warnings: Warning[], c: TrackedCase, ctx: RationaleContext): string {
  const parts: string[] = [];
  if (x.firstLine) {
    const { r, condition } = x.firstLine;
    parts.push(`First-line for ${condition.name}${POPULATION_WORDS[r.row.population]} (${guidelineShortName(r.row.source)}) [GUIDELINE:${r.row.id}].`);
  }
  x.indications.forEach((ind, i) => {
    const where = ind.via ? `${ind.via.name}, a form of ${ind.disease.name}` : ind.disease.name;
    const curation =
      i === 0 && x.curation.curators && x.curation.factId === ind.factId
        ? `; ${plural(x.curation.curators, 'curator')}, ${plural(x.curation.resources, 'resource')}`
        : '';
    const agree = ind.resources.length > 1 ? `; ${ind.resources.length} independent sources agree` : '';
    parts.push(`${i === 0 ? 'Indication' : 'Also indicated'} for ${where}: ${tierWords(ind.relation, ind.tier)}${curation}${agree} [${ind.factId}].`);
  });
  if (!x.indications.length) parts.push(`Not a recorded indication: ${x.drug.name} was tested in trials of the condition.`);
  if (x.components.intent && x.intentSource) parts.push(`Fits the question: listed for this phase of treatment by ${x.intentSource.split(':')[0]}.`);
  const v = x.volume;
  const cites = (type: LedgerItem['type']) => x.evidence.filter((e) => e.type === type).map((e) => `[${e.id}]`).join(' ');
  if (v && (v.trials || v.negativeTrials)) {
    const ids = cites('trial');
    const negative = v.negativeTrials ? `; ${plural(v.negativeTrials, 'trial')} that failed or stopped for harm or futility not counted as support` : '';
    const late = v.trials && v.lateTrials ? ` (${v.lateTrials} in phase 3–4)` : '';
    parts.push(v.trials ? `Studied in ${plural(v.trials, 'trial')} of ${v.condition.name}${late}${ids ? `, e.g. ${ids}` : ''}${negative}.` : `No supporting trial in the corpus${negative}.`);
  }
  if (v && v.articles) {
    const ids = cites('article');
    parts.push(`${plural(v.articles, 'article')} in the corpus ${v.articles === 1 ? 'reports' : 'report'} it as a treatment for ${v.condition.name}${ids ? `, e.g. ${ids}` : ''}.`);
  }
  const path = x.evidence.find((e) => e.type === 'kg_path');
  if (path) parts.push(`Mechanism: ${path.snippet.replace(/\.$/, '')} [${path.id}].`);
  const patient = forThisPatient(x.drug.name, warnings, c);
  if (patient) parts.push(patient);
  if (ctx.firstLineOut.length) {
    const names = ctx.firstLineOut.slice(0, 4).map((e) => e.drug.name);
    parts.push(`First-line drugs left out for this patient: ${names.join(', ')}${ctx.firstLineOut.length > names.length ? ` and ${ctx.firstLineOut.length - names.length} more` : ''}.`);
  }
  if (ctx.alternatives.length) parts.push(`Same class, also suitable: ${ctx.alternatives.join(', ')}.`);
  return parts.join(' ');
}

/** The recommendation in one line, for cards and compact answers: line of therapy or record, trials, cautions. */
function summary(x: Candidate, warnings: Warning[]): string {
  const ind = x.indications[0];
  const lead = x.firstLine
    ? `First-line for ${x.firstLine.condition.name}${POPULATION_WORDS[x.firstLine.r.row.population]} (${guidelineShortName(x.firstLine.r.row.source)})`
    : ind
      ? `${tierWords(ind.relation, ind.tier).replace(/ \(.*\)$/, '')} for ${ind.via?.name ?? ind.disease.name}`
      : 'studied in trials of the condition; not a recorded indication';
  const bits = [lead.charAt(0).toUpperCase() + lead.slice(1)];
  if (x.volume?.trials) bits.push(`${plural(x.volume.trials, 'trial')}${x.volume.lateTrials ? ` (${x.volume.lateTrials} phase 3–4)` : ''}`);
  const cautions = warnings.filter((w) => w.severity === 'caution').length;
  if (cautions) bits.push(plural(cautions, 'caution'));
  return bits.join('; ');
}

/**
 * Why this drug suits this patient, in one sentence: the patient facts the safety engine checked
 * it against (pregnancy, breastfeeding, kidney and liver function, age, allergies, current
 * medications, comorbidities), and what it found. Empty when the case states none of them.
 */
function forThisPatient(drug: string, warnings: Warning[], c: TrackedCase): string {
  const facts = [
    c.pregnant ? (c.pregnancyWeeks !== undefined ? `pregnancy (${c.pregnancyWeeks} weeks)` : c.trimester ? `pregnancy (trimester ${c.trimester})` : 'pregnancy') : '',
    c.breastfeeding ? 'breastfeeding' : '',
    c.egfr !== undefined ? `eGFR ${c.egfr}` : c.crcl !== undefined ? `CrCl ${c.crcl} mL/min` : c.ckdStage ? `CKD stage ${c.ckdStage}` : '',
    c.dialysis ? 'dialysis' : '',
    c.hepaticLevel ? `${c.hepaticLevel} hepatic impairment` : '',
    c.age !== undefined && (c.age >= 65 || c.age < 18) ? `age ${c.age}` : '',
    c.allergies.length ? `allergy to ${c.allergies.map((a) => a.name).join(', ')}` : '',
    c.currentMedications.length ? `current ${c.currentMedications.map((m) => m.name).join(', ')}` : '',
    ...(c.states ?? []).filter((st) => !c.conditions.some((d) => d.name.toLowerCase().includes(st.text.toLowerCase()))).map((st) => st.text),
  ].filter(Boolean);
  if (!facts.length) return '';
  const cautions = warnings.filter((w) => w.severity === 'caution');
  const found = cautions.length ? `${plural(cautions.length, 'caution')} (${[...new Set(cautions.map((w) => w.kind))].join(', ')}; see warnings), each ranking it down` : 'no rule against it';
  return `For this patient: ${drug} was checked against ${facts.join('; ')}: ${found}.`;
}

/** How an exclusion reads in a "left out" list: severity, reason, citation. */
export function exclusionLine(e: ExcludedDrug): string {
  const label = e.severity === 'not_indicated' ? 'Not indicated' : e.severity === 'already_taking' ? 'Already taking' : SEVERITY_LABEL[e.severity];
  const cite = e.citation && e.severity !== 'already_taking' ? ` [${e.citation.source}${e.citation.url ? ` ${e.citation.url}` : ''}]` : '';
  return `${e.drug.name} (${e.drug.id}) — ${label}${e.overridable ? ', can be overridden' : ''}: ${e.reason}${cite}`;
}

function renderAnswer(c: TrackedCase, recs: Recommendation[], excluded: ExcludedDrug[], general: Warning[], notices: string[]): string {
  const lines = [EVIDENCE_ONLY_BANNER, '', describeCase(c), ''];
  if (!recs.length) lines.push(excluded.length ? 'No drug met the evidence and safety criteria for this case: every candidate was left out (see below).' : 'No drug met the evidence and safety criteria for this case.');
  for (const r of recs) {
    lines.push(`${r.rank}. ${r.drug.name} (${r.drug.id}): ${r.rationale}`);
    for (const w of r.warnings) if (w.kind !== 'side_effect' && w.kind !== 'serious_effect') lines.push(`   Warning: ${w.message}`);
    for (const w of r.warnings) if (w.kind === 'serious_effect') lines.push(`   ${w.message}`);
  }
  if (excluded.length) lines.push('', 'Left out for this patient:', ...excluded.map((e) => `- ${exclusionLine(e)}`));
  if (general.length) lines.push('', ...general.map((w) => `Note: ${w.message}`));
  if (notices.length) lines.push('', ...notices.map((n) => `Note: ${n}`));
  return lines.join('\n');
}

/**
 * Answers "why not X?" from the evidence and the same safety engine: whether X is indicated for
 * the case's conditions, what the engine says about X for this patient, and where it ranks.
 */
export async function explainWhyNot(
  deps: ClinicalDeps,
  c: TrackedCase,
  drugText: string,
  result: RecommendResult,
): Promise<{ text: string; evidence: LedgerItem[]; drug?: EntityRef; excluded?: boolean }> {
  const m = await resolveAskedDrug(deps, drugText);
  if (!m) return { text: `"${drugText}" is not a drug this knowledge base knows.`, evidence: [] };
  const drug = { id: m.id, kind: m.kind, name: m.name };
  const lines: string[] = [];
  const evidence: LedgerItem[] = [];
  const rec = result.recommendations.find((r) => r.drug.id === drug.id);
  if (rec) lines.push(`${drug.name} is recommended (rank ${rec.rank}, score ${rec.score}).`);
  for (const cond of c.conditions.filter((x): x is CaseEntity & { id: string } => !!x.id)) {
    // The same lookup the recommender and find_drugs_for_condition use: the answers cannot disagree.
    const indicated = await deps.graph.indicatedDrugs(cond.id, { limit: 100_000 }).catch(() => null);
    const ind = indicated?.drugs.find((d) => d.drug.id === drug.id);
    if (ind && indicated) {
      const ev = indicationItem(drug, ind.relation, indicated.disease, ind.provenance, ind.tier, ind.via);
      evidence.push(ev);
      lines.push(`${drug.name} for ${ind.via ? `${ind.via.name}, a form of ${cond.name}` : cond.name}: ${tierWords(ind.relation, ind.tier)} [${ev.id}].`);
    } else lines.push(`${drug.name} is not a recorded indication for ${cond.name} in this knowledge base.`);
    const paths = await deps.graph.mechanismPaths(drug.id, cond.id, { limit: 2, viaGeneGene: false }).catch(() => []);
    if (paths.length) {
      const ev = pathItem(paths[0]);
      evidence.push(ev);
      lines.push(`Mechanism: ${ev.snippet} [${ev.id}].`);
    }
  }
  // The same engine that screened the candidates, so the answer cannot disagree with the list.
  const report: SafetyReport = await deps.safety.check([drug], safetyPatientFromCase(deps.safety.knowledge, c));
  evidence.push(...report.evidence);
  const v = verdictFor(report, drug.id);
  const out = exclusionOf(v) ?? result.excluded.find((e) => e.drug.id === drug.id);
  if (out) lines.push(`Left out for this patient — ${exclusionLine(out)}.`);
  for (const f of v.findings) {
    if (out && f.message === exclusionReason(v)?.message) continue;
    if (f.kind === 'serious_effect' || f.kind === 'side_effect' || f.severity === 'caution' || f.severity === 'monitor' || f.severity === 'contraindicated' || f.severity === 'avoid_unless') {
      lines.push(`${SEVERITY_LABEL[f.severity]}: ${f.message}${f.citation.url ? ` [${f.citation.source} ${f.citation.url}]` : ''}`);
    }
  }
  if (!rec && !out) lines.push(`${drug.name} passed the safety check for this patient but ranked below the ${result.recommendations.length} drug(s) shown, or is not a candidate for the case's conditions.`);
  return { text: lines.join(' '), evidence, drug, excluded: !!out };
}

/**
 * The drug a "why not …?" question names: the longest leading run of words that resolves
 * ("why not losartan for her blood pressure" → losartan), so trailing words never hide the drug.
 */
async function resolveAskedDrug(deps: ClinicalDeps, drugText: string) {
  const words = drugText.trim().split(/\s+/).slice(0, 5);
  for (let n = words.length; n >= 1; n--) {
    const m = (await deps.graph.resolve(words.slice(0, n).join(' '), { kinds: ['Compound'], limit: 1 })).matches[0];
    if (m && (m.matchType !== 'fuzzy' || m.score >= 0.87)) return m;
  }
  return null;
}
