import { explainWhyNot, recommendDrugs } from '../../../clinical/recommender.js';
import { toPatientCase, type LedgerItem } from '../../state.js';
import type { GraphContext, GraphNode } from '../context.js';
import { emit, harvestUpdate, lastHumanText, ledgerHarvest } from '../support.js';
import { askedAbout, WHY_NOT } from '../why-not.js';

/** "5 recommendation(s), 3 left out for safety, 20 not indicated": a non-indication is not a safety exclusion. */
function leftOutSummary(recommended: number, excluded: { severity: string }[]): string {
  const safety = excluded.filter((e) => e.severity === 'contraindicated' || e.severity === 'avoid_unless').length;
  const other = excluded.filter((e) => e.severity === 'not_indicated').length;
  const taking = excluded.length - safety - other;
  return [
    `${recommended} recommendation(s)`,
    safety ? `${safety} left out for safety` : '',
    other ? `${other} not indicated or recommended against` : '',
    taking ? `${taking} already taken` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * Node `recommend`: the deterministic recommender answers the turn. It is the evidence-only
 * answer, and the fallback of every mode when the model fails or runs out of tool rounds; it
 * also answers a "why not X?" in the question.
 */
export function createRecommendNode(ctx: GraphContext): GraphNode {
  return async function recommend(state, config) {
    emit(config, { type: 'tool_call', id: 'recommender', name: 'recommend_drugs', args: { case: toPatientCase(state.case) } });
    const r = await recommendDrugs(ctx.clinical, state.case);
    emit(config, { type: 'tool_result', id: 'recommender', name: 'recommend_drugs', ok: true, summary: leftOutSummary(r.recommendations.length, r.excluded) });
    let text = r.text;
    const extra: LedgerItem[] = [];
    const why = WHY_NOT.exec(lastHumanText(state.messages));
    if (why) {
      const w = await explainWhyNot(ctx.clinical, state.case, why[1].trim(), r);
      // "What about the weekend?" names no drug: only a "why not X?" is answered when X is unknown.
      if (w.drug || /\bwhy\b/i.test(why[0])) text += `\n\n${askedAbout(why[0], w.drug?.name ?? why[1].trim())} ${w.text}`;
      extra.push(...w.evidence);
    }
    const recWarnings = r.recommendations.flatMap((x) => x.warnings.filter((w) => w.kind !== 'side_effect' && w.kind !== 'serious_effect'));
    return {
      turnMode: 'evidence-only',
      draft: text,
      draftMessageId: null,
      recommendations: r.recommendations.map(({ components: _c, ...rest }) => rest),
      excluded: r.excluded,
      warnings: [...r.warnings, ...recWarnings],
      notices: [...state.notices, ...r.notices],
      ...harvestUpdate([ledgerHarvest([...r.evidence, ...extra])]),
    };
  };
}
