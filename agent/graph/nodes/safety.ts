import { exclusionLine, exclusionOf, publicItem, recommendDrugs } from '../../../clinical/recommender.js';
import { findingsAsWarnings, verdictAsCurrentMedication } from '../../../clinical/safety/engine.js';
import { safetyPatientFromCase } from '../../../clinical/safety/patient.js';
import { drugsNamedInText, markLeftOut } from '../../answer-drugs.js';
import { checkCitations, recommendedDrugsInText } from '../../citations.js';
import type { ExcludedDrug, RecommendedDrug, Warning } from '../../types.js';
import type { GraphContext, GraphNode } from '../context.js';
import { harvestUpdate } from '../support.js';

/** How an exclusion's severity reads inline in an answer. */
const SEVERITY_WORDS: Record<ExcludedDrug['severity'], string> = {
  contraindicated: 'contraindicated for this patient',
  avoid_unless: 'avoid unless no alternative',
  not_indicated: 'not indicated',
  already_taking: 'already taking',
};

/** Ledger item types that are about harm, not benefit: never the evidence for recommending a drug. */
const NOT_SUPPORTING = new Set(['side_effect', 'interaction', 'label', 'guideline']);

/**
 * Node `safety` (model answers): the safety engine checks every drug the model's answer names,
 * whether a tool returned it or not. A drug it excludes is struck through where the answer puts
 * it forward and listed with its reason; the answer's picks become the structured
 * recommendations with their cited evidence. The model decides nothing here.
 */
export function createSafetyNode(ctx: GraphContext): GraphNode {
  const clinical = ctx.clinical;
  return async function checkAnswerSafety(state) {
    let text = state.draft ?? '';
    const held = new Set([...state.case.currentMedications, ...state.case.allergies].map((e) => e.id).filter((x): x is string => !!x));
    const currentIds = new Set(state.case.currentMedications.map((e) => e.id).filter((x): x is string => !!x));
    // The answer's picks (what the case already has is not a new pick)...
    const picked = recommendedDrugsInText(text, state.drugsSeen, held);
    // ...and every drug the answer names at all, whether a tool returned it or not, allergens and
    // current medications included: the engine checks them all, the model decides nothing.
    const named = await drugsNamedInText(ctx.deps.graph, text);
    for (const p of picked) if (!named.has(p.id)) named.set(p.id, { id: p.id, name: p.name, surfaces: [p.name], putForward: true });
    const checked = [...named.values()];
    const report = await clinical.safety.check(checked, safetyPatientFromCase(clinical.safety.knowledge, state.case));
    const recommendations: RecommendedDrug[] = [];
    const warnings: Warning[] = [...report.general];
    const excluded: ExcludedDrug[] = [...state.excluded];
    // Tool-calling answers come without the recommender's screen: run it so the clinician sees what was left out and why.
    if (ctx.mode === 'tool-calling' && !excluded.length && state.case.conditions.length) {
      excluded.push(...(await recommendDrugs(clinical, state.case)).excluded);
    }
    const ledger = [...state.evidence, ...report.evidence];
    const safetyLines: string[] = [];
    const warned = new Set<string>();
    const warn = (x: Warning, line: boolean) => {
      if (warned.has(x.message)) return;
      warned.add(x.message);
      warnings.push(x);
      if (line) safetyLines.push(`- ${x.message}`);
    };
    for (const d of checked) {
      const current = currentIds.has(d.id);
      const verdict = report.verdicts.get(d.id);
      // The engine returns a verdict for every drug it is given; a gap is a bug, never "safe".
      if (!verdict) throw new Error(`the safety check returned no verdict for ${d.name} (${d.id})`);
      const v = current ? verdictAsCurrentMedication(verdict) : verdict;
      const out = exclusionOf(v);
      if (out) {
        if (!excluded.some((e) => e.drug.id === d.id)) excluded.push(out);
        if (!d.putForward) continue;
        // Struck through where the answer puts it forward, so the text itself never reads as recommending it.
        const severity = SEVERITY_WORDS[out.severity];
        const mark = current ? `safety check: ${severity}; review this current medication` : `removed by the safety check: ${severity}`;
        text = markLeftOut(text, d.surfaces, mark);
        const kind = out.severity === 'contraindicated' && v.findings[0]?.kind === 'allergy' ? 'allergy' : 'contraindication';
        const message = current ? `${d.name} (a current medication) — ${out.reason}` : `${d.name} was removed from the model's recommendations: ${out.reason}`;
        const level = out.severity === 'avoid_unless' ? 'avoid_unless' : 'contraindicated';
        warn({ kind, message, drugs: [d.id], ...(out.rule ? { rule: out.rule } : {}), severity: level }, false);
        safetyLines.push(`- ${d.name} ${current ? 'flagged' : 'removed'} — ${exclusionLine(out)}`);
        continue;
      }
      const w = findingsAsWarnings(v);
      const pick = picked.find((p) => p.id === d.id);
      if (pick) {
        const cited = new Set(checkCitations(pick.line, state.citable).kept.map((x) => x.toUpperCase()));
        const evidence = [
          ...ledger.filter((e) => cited.has(e.id.toUpperCase())),
          ...ledger.filter((e) => !cited.has(e.id.toUpperCase()) && e.drugs?.includes(d.id) && !NOT_SUPPORTING.has(e.type)),
        ].slice(0, 8);
        const rank = recommendations.length + 1;
        recommendations.push({ rank, drug: { id: d.id, name: d.name }, rationale: pick.line, evidence: evidence.map(publicItem), warnings: w });
      }
      // A drug the answer only mentions still carries its warnings when the answer puts it forward.
      if (pick || d.putForward) for (const x of w) if (x.kind !== 'side_effect' && x.kind !== 'serious_effect') warn(x, true);
    }
    const left = excluded.filter((e) => !checked.some((d) => d.id === e.drug.id && d.putForward));
    if (left.length) safetyLines.push(...left.map((e) => `- Left out for this patient: ${exclusionLine(e)}`));
    const draft = safetyLines.length ? `${text}\n\nSafety check (by code):\n${safetyLines.join('\n')}` : text;
    const found = { items: report.evidence, citable: report.evidence.map((e) => e.id), drugs: {} };
    return { recommendations, warnings, excluded, draft, ...harvestUpdate([found]) };
  };
}
