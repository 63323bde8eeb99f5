import type { IndicationRelation, IndicationTier } from '../kb/graph/store.js';

/**
 * An indication in the words a clinician reads it in: what kind of record it is and whose, so
 * "approved indication (ChEMBL, phase 4)" is never confused with "predicted indication (PREDICT)".
 */
const RESOURCE_WORDS: Record<string, string> = {
  pharmacotherapydb: 'physician-curated indication (PharmacotherapyDB)',
  labeledin: 'indication listed on the FDA label (LabeledIn)',
  chembl: 'approved indication (ChEMBL, phase 4)',
  sider_nlp: 'indication mined from the label text (SIDER)',
  medi_hps: 'indication from MEDI, high-precision set (mined from labels and references)',
  medi_lps: 'possible indication from MEDI, low-precision set',
  ehrlink: 'prescribed for it in electronic health records (ehrlink)',
  predict: 'indication predicted by PREDICT (computational)',
};

const TIER_WORDS: Record<IndicationTier, string> = {
  curated: 'physician-curated indication (PharmacotherapyDB)',
  label: 'indication listed on the FDA label',
  approved: 'approved indication (ChEMBL, phase 4)',
  label_mined: 'indication mined from label text',
  ehr_or_predicted: 'possible indication (EHR-derived or predicted, not curated)',
  investigational: 'investigational: in phase 3 trials, not an approved indication (ChEMBL)',
};

/** The tier in plain words, with the relation for PharmacotherapyDB's curated records. */
export function tierWords(relation: IndicationRelation, tier: IndicationTier): string {
  // PharmacotherapyDB's "disease-modifying" is its category for a curated indication, not a clinical
  // claim about the drug; it reads as one, so it is not shown.
  if (relation === 'treats') return 'physician-curated indication (PharmacotherapyDB)';
  if (relation === 'palliates') return 'physician-curated symptomatic indication (PharmacotherapyDB)';
  return TIER_WORDS[tier];
}

/** Each resource that records it, in plain words (agreement between independent sources shows here). */
export function resourceWords(resources: string[], tier: IndicationTier): string[] {
  return resources.map((r) => (r === 'chembl' && tier === 'investigational' ? TIER_WORDS.investigational : RESOURCE_WORDS[r] ?? r));
}
