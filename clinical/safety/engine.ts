import type { EntityRef, GraphStore, Interaction } from '../../kb/graph/store.js';
import type { StoredAllergyRule, StoredFactorRule } from '../../kb/safety-store.js';
import { normalizeTerm } from '../../kb/base/graph-schema.js';
import { parseFactorValue, type FactorValue } from '../../kb/sources/safety-tables.js';
import type { LedgerItem } from '../case-types.js';
import { drugUrl, sideEffectItem } from '../evidence-items.js';
import { HEPATIC_LEVELS } from '../patient-factors.js';
import type { EvidenceItem, Severity, Warning } from '../types.js';
import { groupsNamedBy, type SafetyKnowledge } from './knowledge.js';
import type { SafetyPatient } from './patient.js';

/**
 * The safety engine: applies the reviewed rule tables to every candidate drug for one patient,
 * whatever proposed the drug. It is the only place a drug is excluded for safety, and every
 * exclusion carries its rule id, the patient fact that triggered it and the citation, so the
 * answer can always show what was left out and why.
 *
 * Severity decides the effect (DESIGN, clinical safety conventions): contraindicated → excluded;
 * avoid_unless → excluded unless the prescriber overrides (then kept with the warning);
 * caution → kept, warned, ranked down; monitor → noted.
 */

type FindingKind = 'contraindication' | 'interaction' | 'allergy' | 'duplicate' | 'serious_effect' | 'side_effect' | 'already_taking';

export interface SafetyFinding {
  kind: FindingKind;
  severity: Severity;
  /** Rule id ("renal-metformin-egfr30"), or a built-in reason ("allergy-same-drug", "ddi-type-6"). */
  rule: string;
  /** The sentence a clinician reads: the patient fact, the risk, what to do. */
  message: string;
  /** The patient fact that triggered it ("eGFR 22", "current medication warfarin", "pregnant, 20 weeks"). */
  trigger?: string;
  citation: { source: string; url?: string };
  /** Set when an avoid-unless finding was overridden by the prescriber. */
  overridden?: boolean;
  /** The other drug, for interactions. */
  otherDrug?: { id?: string; name: string };
  evidence?: EvidenceItem[];
}

export interface DrugVerdict {
  drug: { id: string; name: string };
  /** excluded: contraindicated or (not overridden) avoid_unless; warned: caution/monitor findings; ok: none of those. */
  verdict: 'excluded' | 'warned' | 'ok';
  /** The worst severity among findings that act (serious-effect notes do not). */
  worst?: Severity;
  findings: SafetyFinding[];
  /** Number of caution findings: each ranks the drug down. */
  cautions: number;
}

export interface SafetyReport {
  verdicts: Map<string, DrugVerdict>;
  /** Warnings about the whole answer: unmatched allergies, unrecognised medications, uncovered factors. */
  general: Warning[];
  /** Evidence items the findings cite (labels, interactions, side effects), for the citation ledger. */
  evidence: LedgerItem[];
}

export interface SafetyEngine {
  readonly knowledge: SafetyKnowledge;
  /**
   * Checks drugs for the patient. `effects: false` skips the serious-effect notes (they never
   * exclude): the recommender screens every candidate that way, then checks the few it shows in full.
   */
  check(drugs: { id: string; name: string }[], patient: SafetyPatient, opts?: { effects?: boolean }): Promise<SafetyReport>;
}

const SEVERITY_ORDER: Severity[] = ['contraindicated', 'avoid_unless', 'caution', 'monitor'];
const worseOf = (a: Severity | undefined, b: Severity): Severity => (a === undefined || SEVERITY_ORDER.indexOf(b) < SEVERITY_ORDER.indexOf(a) ? b : a);

export const SEVERITY_LABEL: Record<Severity, string> = {
  contraindicated: 'Contraindicated',
  avoid_unless: 'Avoid unless no alternative',
  caution: 'Caution',
  monitor: 'Monitor',
};

/**
 * SIDER side effects worth showing even when infrequent: serious events (after the EMA Important
 * Medical Events idea), matched on the MedDRA term. Frequent minor effects are not shown: a
 * clinician reads the serious ones first, and the boxed warnings come from serious-effects.tsv.
 */
const SERIOUS_SIDER = /stevens-johnson|toxic epidermal|agranulocytosis|aplastic an|pancytopenia|hepatic failure|hepatitis fulminant|liver failure|hepatotoxic|lactic acidosis|torsade|qt prolonged|electrocardiogram qt|ventricular (?:fibrillation|tachycardia)|cardiac failure|heart failure|haemorrhage|hemorrhage|anaphyla|angioedema|pancreatitis|rhabdomyolysis|neuroleptic malignant|serotonin syndrome|suicid|respiratory depression|seizure|convulsion|interstitial lung|pulmonary fibrosis|tendon rupture|hyperkalaemia|hyperkalemia|hypoglycaemia|hypoglycemia|myocardial infarction|stroke|cerebrovascular accident|thrombo|embolism|renal failure acute|acute kidney|drug reaction with eosinophilia|dress/i;

/** Maximum SIDER serious effects listed per drug (the label's boxed warnings come first anyway). */
const MAX_SIDER = 3;

/** Interaction sentence with no direction: the DeepDDI rows do not say reliably which drug acts on which. */
export function neutralInteraction(k: SafetyKnowledge, i: Interaction): string {
  const [a, b] = [i.drug1.name, i.drug2.name].sort((x, y) => x.localeCompare(y));
  const t = k.ddiTypes.get(i.type);
  if (t) return t.neutral.replace(/\{a\}/g, a).replace(/\{b\}/g, b);
  return `${a} and ${b} interact (DrugBank interaction type ${i.type}; which drug is affected is not stated reliably in this data).`;
}

/** Whether a factor rule fires for the patient, and the fact that made it fire. */
function factorTrigger(
  v: FactorValue,
  p: SafetyPatient,
  rule: StoredFactorRule,
  k: SafetyKnowledge,
  drugId: string,
  medGroups: Map<number, string[]>,
): { trigger: string; other?: { id?: string; name: string } } | null {
  switch (v.factor) {
    case 'pregnancy': {
      if (!p.pregnant) return null;
      if (p.pregnancyWeeks !== undefined) {
        if (p.pregnancyWeeks < v.minWeeks) return null;
        return { trigger: `pregnant, ${p.pregnancyWeeks} weeks` };
      }
      if (p.trimester) {
        // A trimester is a range of weeks: a stage rule fires when any week of it reaches the stage.
        const [from, to] = TRIMESTER_WEEKS[p.trimester];
        if (to < v.minWeeks) return null;
        return { trigger: `pregnant, trimester ${p.trimester} (weeks ${from}–${to}${v.minWeeks > from ? `; may be ${v.minWeeks} weeks or more` : ''})` };
      }
      // An unknown gestational age counts as any stage: a stage rule must not be skipped for want of a number.
      return { trigger: v.minWeeks > 0 ? 'pregnant (gestational age not stated)' : 'pregnant' };
    }
    case 'breastfeeding':
      return p.breastfeeding ? { trigger: 'breastfeeding' } : null;
    case 'childbearing_potential':
      // A woman who could become pregnant (12–50, or age not stated) and is not known to be pregnant:
      // a pregnant patient meets the pregnancy rules instead.
      return p.sex === 'female' && !p.pregnant && (p.age === undefined || (p.age >= 12 && p.age <= 50))
        ? { trigger: `a woman who could become pregnant${p.age !== undefined ? ` (age ${p.age})` : ''}` }
        : null;
    case 'egfr_below':
      return p.kidney && p.kidney.value < v.below ? { trigger: p.kidney.basis } : null;
    case 'egfr_at_least':
      // Only a stated number counts: a CKD stage band or "on dialysis" never says function is high.
      return p.kidney && !p.dialysis && /^(?:eGFR|CrCl)/.test(p.kidney.basis) && p.kidney.value >= v.atLeast ? { trigger: p.kidney.basis } : null;
    case 'dialysis':
      return p.dialysis ? { trigger: 'on dialysis' } : null;
    case 'hepatic':
      return p.hepatic && HEPATIC_LEVELS.indexOf(p.hepatic) >= HEPATIC_LEVELS.indexOf(v.level) ? { trigger: p.hepaticBasis ?? `${p.hepatic} hepatic impairment` } : null;
    case 'age_at_least':
      return p.age !== undefined && p.age >= v.years ? { trigger: `age ${p.age}` } : null;
    case 'age_below':
      return p.age !== undefined && p.age < v.years ? { trigger: `age ${p.age}` } : null;
    case 'long_qt':
      return p.longQt ? { trigger: p.qtBasis ?? 'long QT' } : null;
    case 'condition': {
      const key = v.conditions.find((c) => p.states.has(c));
      return key ? { trigger: `${k.conditionsByKey.get(key)?.name ?? key} ("${p.states.get(key)}")` } : null;
    }
    case 'comedication': {
      const ids = new Set(rule.comedicationIds ?? []);
      const groupKeys = v.drugs.flatMap((s) => ('group' in s ? [s.group] : []));
      for (const [i, m] of p.medications.entries()) {
        if (m.id === drugId) continue;
        const byId = m.id !== undefined && ids.has(m.id);
        const byClass = (medGroups.get(i) ?? []).some((g) => groupKeys.includes(g));
        if (byId || byClass) return { trigger: `current medication ${m.name}`, other: { id: m.id, name: m.name } };
      }
      return null;
    }
  }
}

/** Weeks each trimester spans (ACOG: up to 13 6/7, 14–27 6/7, 28 to delivery). */
const TRIMESTER_WEEKS = { 1: [0, 13], 2: [14, 27], 3: [28, 42] } as const;

const KIND_OF_TABLE: Record<string, FindingKind> = { interactions: 'interaction' };

/** The finding's kind: duplicate therapy is an interaction-table rule naming the same class on both sides. */
function kindOf(rule: StoredFactorRule): FindingKind {
  if (rule.factor === 'comedication' && /duplicat/i.test(`${rule.id} ${rule.message}`)) return 'duplicate';
  return KIND_OF_TABLE[rule.table] ?? 'contraindication';
}

function ruleEvidence(rule: { id: string; message: string; source: string; url: string }, drugId: string): LedgerItem {
  const isLabel = /dailymed|accessdata\.fda\.gov|fda\.gov/i.test(rule.url);
  return {
    type: isLabel ? 'label' : 'guideline',
    id: `RULE:${rule.id}`,
    url: rule.url,
    snippet: `${rule.message} (${rule.source})`,
    source: rule.source,
    license: isLabel ? 'FDA labeling (public domain)' : 'see source',
    drugs: [drugId],
  };
}

const overriddenBy = (p: SafetyPatient, drug: { id: string; name: string }, rule: string) =>
  p.overrides.has(normalizeTerm(drug.name)) || p.overrides.has(normalizeTerm(drug.id)) || p.overrides.has(normalizeTerm(rule));

/** Creates the engine over the indexed rule tables and the graph (interactions, side effects). */
export function createSafetyEngine(opts: { knowledge: SafetyKnowledge; graph: GraphStore }): SafetyEngine {
  const k = opts.knowledge;
  const graph = opts.graph;
  const parsed = new Map<string, FactorValue>();
  // Serious SIDER effects per drug: fixed for the life of the (read-only) knowledge base.
  const siderMemo = new Map<string, { profile: Awaited<ReturnType<GraphStore['drugProfile']>>['drug']; serious: Awaited<ReturnType<GraphStore['drugProfile']>>['sideEffects'] } | null>();
  async function seriousSider(id: string) {
    // Memoised values are an object or null (no profile); undefined only when not yet looked up.
    const memo = siderMemo.get(id);
    if (memo !== undefined) return memo;
    let out: { profile: Awaited<ReturnType<GraphStore['drugProfile']>>['drug']; serious: Awaited<ReturnType<GraphStore['drugProfile']>>['sideEffects'] } | null = null;
    try {
      const p = await graph.drugProfile(id, { maxTargets: 0, maxSideEffects: 200, maxClasses: 0 });
      // A side effect that is one of the drug's own indications is a SIDER artefact (label text listing the treated disease).
      const indicated = new Set(p.indications.map((i) => i.disease.name.toLowerCase()));
      const serious = p.sideEffects.filter((s) => SERIOUS_SIDER.test(s.sideEffect.name) && !indicated.has(s.sideEffect.name.toLowerCase()));
      out = { profile: p.drug, serious: serious.slice(0, MAX_SIDER) };
    } catch {
      out = null;
    }
    if (siderMemo.size > 5000) siderMemo.clear();
    siderMemo.set(id, out);
    return out;
  }
  const valueOf = (r: StoredFactorRule) => {
    let v = parsed.get(r.id);
    if (!v) parsed.set(r.id, (v = parseFactorValue(r.file, r.line, r.factor, r.value)));
    return v;
  };

  async function check(drugs: { id: string; name: string }[], p: SafetyPatient, opts: { effects?: boolean } = {}): Promise<SafetyReport> {
    const unique = [...new Map(drugs.map((d) => [d.id, d])).values()];
    const verdicts = new Map<string, DrugVerdict>(unique.map((d) => [d.id, { drug: d, verdict: 'ok', findings: [], cautions: 0 }]));
    const evidence: LedgerItem[] = [];
    const general: Warning[] = [];
    const medGroups = new Map(p.medications.map((m, i) => [i, [...(m.id ? k.groupsOfDrug.get(m.id) ?? [] : []), ...groupsNamedBy(k, m.text)]]));
    // Every drug checked has its verdict from the start (above): a missing one is a bug, never a pass.
    const verdictOf = (d: { id: string }) => {
      const v = verdicts.get(d.id);
      if (!v) throw new Error(`safety engine: no verdict for ${d.id}, a drug it is checking`);
      return v;
    };
    const add = (d: { id: string; name: string }, f: SafetyFinding) => verdictOf(d).findings.push(f);

    // Allergies: what each one names (drug, class), and what it could not be matched to.
    const allergens = p.allergies.map((a) => {
      const named = groupsNamedBy(k, a.text);
      const ids = new Set<string>(a.id ? [a.id] : []);
      for (const g of named) for (const id of k.groups.get(g)?.members ?? []) ids.add(id);
      return { a, named, ids };
    });
    for (const x of allergens) {
      if (!x.ids.size) general.push({ kind: 'allergy', severity: 'caution', message: `The allergy "${x.a.text}" matched no drug or drug class this knowledge base knows, so it could not be checked against any drug: check each recommendation against it yourself.` });
    }

    for (const d of unique) {
      // Already taken: a recommendation of what the patient takes would be no recommendation.
      const taking = p.medications.find((m) => m.id === d.id);
      if (taking) add(d, { kind: 'already_taking', severity: 'contraindicated', rule: 'already-taking', message: `${d.name} is already among the current medications.`, citation: { source: 'Patient case' } });

      // Allergy: the drug itself, a class the allergy names, then cross-reactivity rules.
      for (const x of allergens) {
        const reaction = x.a.reaction ? ` (${x.a.reaction})` : '';
        if (x.a.id === d.id) {
          add(d, { kind: 'allergy', severity: 'contraindicated', rule: 'allergy-same-drug', message: `The patient is allergic to ${d.name}${reaction}.`, trigger: `allergy to ${x.a.text}`, citation: { source: 'Patient case: reported allergy' } });
          continue;
        }
        const cls = x.named.find((g) => k.groups.get(g)?.members.has(d.id));
        const group = cls ? k.groups.get(cls) : undefined;
        if (group) {
          add(d, {
            kind: 'allergy',
            severity: 'contraindicated',
            rule: 'allergy-named-class',
            message: `The patient reports an allergy to ${group.name.toLowerCase()}${reaction}, and ${d.name} is one of them.`,
            trigger: `allergy to ${x.a.text}`,
            citation: { source: `Patient case: reported class allergy; class membership: ${group.basis}` },
          });
          continue;
        }
        for (const r of k.allergy) {
          if (!r.drugIds.includes(d.id) || !r.allergenIds.some((id) => x.ids.has(id))) continue;
          if (r.reaction !== 'any' && r.reaction !== x.a.severity) continue;
          const overridden = r.severity === 'avoid_unless' && overriddenBy(p, d, r.id);
          add(d, allergyFinding(r, d, x.a.text, reaction, overridden));
          evidence.push(ruleEvidence(r, d.id));
        }
      }

      // Factor rules: pregnancy, lactation, kidney, liver, age, comorbidities, co-medications, QT.
      for (const r of k.rulesByDrug.get(d.id) ?? []) {
        let hit = factorTrigger(valueOf(r), p, r, k, d.id, medGroups);
        if (!hit) continue;
        if (r.andConditions?.length) {
          const also = r.andConditions.find((c) => p.states.has(c));
          if (!also) continue;
          hit = { ...hit, trigger: `${hit.trigger}, with ${k.conditionsByKey.get(also)?.name ?? also}` };
        }
        if (r.andEgfrBelow !== undefined) {
          // Only a known kidney function below the limit: an unstated one leaves the plain interaction warning.
          if (!p.kidney || p.kidney.value >= r.andEgfrBelow) continue;
          hit = { ...hit, trigger: `${hit.trigger}, with ${p.kidney.basis}` };
        }
        const overridden = r.severity === 'avoid_unless' && overriddenBy(p, d, r.id);
        const kind = kindOf(r);
        add(d, {
          kind,
          severity: overridden ? 'caution' : r.severity,
          rule: r.id,
          message: `${d.name} — ${hit.trigger}: ${r.message}${overridden ? ' (Overridden by the prescriber: kept with this warning.)' : ''}`,
          trigger: hit.trigger,
          citation: { source: r.source, url: r.url },
          ...(overridden ? { overridden } : {}),
          ...(hit.other ? { otherDrug: hit.other } : {}),
          evidence: [publicRule(r, d.id)],
        });
        evidence.push(ruleEvidence(r, d.id));
      }
    }

    // Interactions recorded in DrugBank (DeepDDI) with current medications, graded by type, worded
    // without direction; a pair a reviewed rule already covers is not repeated.
    const medIds = p.medications.map((m) => m.id).filter((x): x is string => !!x);
    if (medIds.length && unique.length) {
      // Candidates × current medications only; a store without the pairwise query answers over both lists.
      const all = graph.interactionsBetween
        ? await graph.interactionsBetween(unique.map((d) => d.id), medIds)
        : await graph.interactions([...new Set([...unique.map((d) => d.id), ...medIds])]);
      for (const i of all) {
        for (const [cand, other] of [[i.drug1, i.drug2], [i.drug2, i.drug1]] as [EntityRef, EntityRef][]) {
          const v = verdicts.get(cand.id);
          if (!v || !medIds.includes(other.id) || cand.id === other.id) continue;
          if (v.findings.some((f) => f.otherDrug?.id === other.id && (f.kind === 'interaction' || f.kind === 'duplicate'))) continue;
          const grade = k.ddiTypes.get(i.type)?.severity ?? 'monitor';
          const sentence = neutralInteraction(k, i);
          const [a, b] = [i.drug1.id, i.drug2.id].sort();
          const item: LedgerItem = {
            type: 'interaction',
            id: `DDI:${a}-${b}`,
            url: drugUrl(cand.id),
            snippet: sentence,
            source: i.provenance.map((x) => x.source).join(', ') || 'DrugBank (DeepDDI)',
            license: [...new Set(i.provenance.map((x) => x.license))].join('; ') || 'CC BY-NC 4.0',
            drugs: [cand.id, other.id],
          };
          evidence.push(item);
          v.findings.push({
            kind: 'interaction',
            severity: grade,
            rule: `ddi-type-${i.type}`,
            message: `Interaction with current medication ${other.name}: ${sentence}`,
            trigger: `current medication ${other.name}`,
            citation: { source: 'DrugBank 5 interaction (DeepDDI), graded by KEDRec (clinical/rules/ddi-types.tsv)', url: drugUrl(cand.id) },
            otherDrug: { id: other.id, name: other.name },
            evidence: [{ type: item.type, id: item.id, url: item.url, snippet: item.snippet, source: item.source, license: item.license }],
          });
        }
      }
    }

    // Serious and boxed effects of every drug still in play, boxed first; then serious SIDER terms.
    await Promise.all(
      (opts.effects === false ? [] : unique).map(async (d) => {
        const v = verdictOf(d);
        for (const s of [...(k.seriousByDrug.get(d.id) ?? [])].sort((a, b) => Number(b.boxed) - Number(a.boxed))) {
          v.findings.push({
            kind: 'serious_effect',
            severity: 'monitor',
            rule: s.id,
            message: `${s.boxed ? 'Boxed warning' : 'Serious risk'} — ${d.name}: ${s.message.replace(/^(?:Boxed warning|Serious risk)(?:\s*\([^)]*\))?:\s*/i, '')}`,
            citation: { source: s.source, url: s.url },
            evidence: [publicRule(s, d.id)],
          });
          evidence.push(ruleEvidence(s, d.id));
        }
        const sider = await seriousSider(d.id);
        if (!sider) return;
        const serious = sider.serious;
        if (serious.length) {
          const items = serious.map((s) => sideEffectItem(sider.profile, s));
          evidence.push(...items);
          v.findings.push({
            kind: 'side_effect',
            severity: 'monitor',
            rule: 'sider-serious',
            message: `Serious adverse effects reported for ${d.name} (SIDER, from labels): ${serious.map((s) => `${s.sideEffect.name}${s.frequency ? ` (${s.frequency})` : ''}`).join(', ')}.`,
            citation: { source: 'SIDER 4.1 (label-mined side effects)', url: drugUrl(d.id) },
            evidence: items.map(({ drugs: _d, conditions: _c, ...e }) => e),
          });
        }
      }),
    );

    for (const v of verdicts.values()) settle(v);

    // What the rules could not cover, said once for the whole answer.
    const unresolvedMeds = p.medications.filter((m) => !m.id && !(medGroups.get(p.medications.indexOf(m)) ?? []).length);
    if (unresolvedMeds.length) general.push({ kind: 'notice', message: `Interactions could not be checked for unrecognised medication(s): ${unresolvedMeds.map((m) => `"${m.text}"`).join(', ')}.` });
    if (p.pregnant) {
      const uncovered = unique.filter((d) => !(k.rulesByDrug.get(d.id) ?? []).some((r) => r.factor === 'pregnancy'));
      if (uncovered.length) general.push({ kind: 'notice', message: `Pregnancy: no pregnancy rule in this knowledge base covers ${uncovered.map((d) => d.name).join(', ')}; that is not evidence of safety — check each label's section 8.1 and a pregnancy registry.` });
    }
    if (p.breastfeeding) {
      const uncovered = unique.filter((d) => !(k.rulesByDrug.get(d.id) ?? []).some((r) => r.factor === 'breastfeeding'));
      if (uncovered.length) general.push({ kind: 'notice', message: `Breastfeeding: no lactation rule here covers ${uncovered.map((d) => d.name).join(', ')}; check each label's section 8.2 (LactMed).` });
    }
    return { verdicts, general, evidence };
  }

  return { knowledge: k, check };
}

function allergyFinding(r: StoredAllergyRule, d: { id: string; name: string }, allergen: string, reaction: string, overridden: boolean): SafetyFinding {
  return {
    kind: 'allergy',
    severity: overridden ? 'caution' : r.severity,
    rule: r.id,
    message: `${d.name} — allergy to ${allergen}${reaction}: ${r.message}${overridden ? ' (Overridden by the prescriber: kept with this warning.)' : ''}`,
    trigger: `allergy to ${allergen}${reaction}`,
    citation: { source: r.source, url: r.url },
    ...(overridden ? { overridden } : {}),
    evidence: [publicRule(r, d.id)],
  };
}

function publicRule(r: { id: string; message: string; source: string; url: string }, drugId: string): EvidenceItem {
  const { drugs: _d, conditions: _c, ...e } = ruleEvidence(r, drugId);
  return e;
}

/** The first acting finding of a verdict as one line: what a "left out" list shows. */
/** Sets a verdict from its findings: the worst acting finding decides, worst first. */
function settle(v: DrugVerdict): DrugVerdict {
  let worst: Severity | undefined;
  for (const f of v.findings) if (f.kind !== 'serious_effect' && f.kind !== 'side_effect') worst = worseOf(worst, f.severity);
  v.worst = worst;
  v.verdict = worst === 'contraindicated' || worst === 'avoid_unless' ? 'excluded' : worst ? 'warned' : 'ok';
  v.cautions = v.findings.filter((f) => f.severity === 'caution' && f.kind !== 'serious_effect' && f.kind !== 'side_effect').length;
  // Worst first, so the first finding is the reason shown.
  v.findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  return v;
}

/**
 * The verdict on a drug the patient already takes, judged on its own safety: "already taking"
 * keeps it off the list of new picks, but must not hide that it is contraindicated (metformin at eGFR 22).
 */
export function verdictAsCurrentMedication(v: DrugVerdict): DrugVerdict {
  const findings = v.findings.filter((f) => f.kind !== 'already_taking');
  return findings.length === v.findings.length ? v : settle({ ...v, findings });
}

export function exclusionReason(v: DrugVerdict): SafetyFinding | undefined {
  const acting = v.findings.filter((f) => f.severity === 'contraindicated' || f.severity === 'avoid_unless');
  // A clinical reason before "already taking": a current medication that is contraindicated must say why.
  return acting.find((f) => f.kind !== 'already_taking') ?? acting[0];
}

/** Findings as the contract's warnings (kept drugs only: caution and monitor, serious effects last). */
export function findingsAsWarnings(v: DrugVerdict): Warning[] {
  return v.findings
    .filter((f) => f.severity === 'caution' || f.severity === 'monitor')
    .map((f) => ({
      kind: f.kind === 'already_taking' ? 'notice' : f.kind === 'allergy' ? 'allergy' : f.kind,
      message: f.message,
      drugs: [v.drug.id, ...(f.otherDrug?.id ? [f.otherDrug.id] : [])],
      rule: f.rule,
      severity: f.severity,
      ...(f.evidence?.length ? { evidence: f.evidence } : {}),
    }));
}
