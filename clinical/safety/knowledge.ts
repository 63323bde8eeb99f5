import type { SafetyTables, StoredAllergyRule, StoredFactorRule, StoredSeriousEffect } from '../../kb/safety-store.js';
import { normalizeTerm } from '../../kb/base/graph-schema.js';
import type { ConditionRow } from '../../kb/sources/safety-tables.js';

/**
 * The rule tables indexed for the engine: by drug, by group, by condition id. Built once per
 * process from the tables the knowledge base holds; pure and synchronous afterwards.
 */
export interface SafetyKnowledge {
  conditions: ConditionRow[];
  conditionsByKey: Map<string, ConditionRow>;
  /** DOID → condition keys. */
  conditionsByDoid: Map<string, string[]>;
  /** `atc`: empty for a safety grouping that is no therapeutic class. */
  groups: Map<string, { key: string; name: string; basis: string; members: Set<string>; atc: string[] }>;
  /** Drug id → the groups it belongs to. */
  groupsOfDrug: Map<string, string[]>;
  /** Normalised phrase → group keys ("sulfa", "penicillins", "ace inhibitors"). */
  groupTerms: Map<string, string[]>;
  /** Drug id → factor rules that apply to it. */
  rulesByDrug: Map<string, StoredFactorRule[]>;
  rulesById: Map<string, StoredFactorRule | StoredAllergyRule | StoredSeriousEffect>;
  allergy: StoredAllergyRule[];
  seriousByDrug: Map<string, StoredSeriousEffect[]>;
  ddiTypes: SafetyTables['ddiTypes'];
  unresolved: SafetyTables['unresolved'];
  /** Counts for `kb info` and /readyz. */
  counts: { rules: number; allergy: number; serious: number; groups: number; conditions: number; ddiTypes: number };
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

export function buildSafetyKnowledge(t: SafetyTables): SafetyKnowledge {
  const groups = new Map(t.groups.map((g) => [g.key, { key: g.key, name: g.name, basis: g.basis, members: new Set(g.members), atc: g.atc }]));
  const groupsOfDrug = new Map<string, string[]>();
  for (const g of groups.values()) for (const id of g.members) push(groupsOfDrug, id, g.key);
  const conditionsByDoid = new Map<string, string[]>();
  for (const c of t.conditions) for (const d of c.doids) push(conditionsByDoid, d, c.key);
  const rulesByDrug = new Map<string, StoredFactorRule[]>();
  for (const r of t.rules) for (const id of r.drugIds) push(rulesByDrug, id, r);
  const seriousByDrug = new Map<string, StoredSeriousEffect[]>();
  for (const s of t.serious) for (const id of s.drugIds) push(seriousByDrug, id, s);
  const rulesById = new Map<string, StoredFactorRule | StoredAllergyRule | StoredSeriousEffect>([...t.rules, ...t.allergy, ...t.serious].map((r) => [r.id, r]));
  return {
    conditions: t.conditions,
    conditionsByKey: new Map(t.conditions.map((c) => [c.key, c])),
    conditionsByDoid,
    groups,
    groupsOfDrug,
    groupTerms: t.groupTerms,
    rulesByDrug,
    rulesById,
    allergy: t.allergy,
    seriousByDrug,
    ddiTypes: t.ddiTypes,
    unresolved: t.unresolved,
    counts: {
      rules: t.rules.length,
      allergy: t.allergy.length,
      serious: t.serious.length,
      groups: t.groups.length,
      conditions: t.conditions.length,
      ddiTypes: t.ddiTypes.size,
    },
  };
}

/** The groups a phrase names: "sulfa", "penicillins", "an SSRI", "NSAIDs" (plural and article forms too). */
export function groupsNamedBy(k: SafetyKnowledge, phrase: string): string[] {
  const norm = normalizeTerm(phrase).replace(/^(?:an?|the|any|all)\s+/, '');
  const forms = new Set([norm, norm.replace(/s$/, ''), `${norm}s`, norm.replace(/\s+(?:drugs?|medications?|medicines?|class|antibiotics?)$/, '')]);
  for (const f of forms) {
    const g = k.groupTerms.get(f);
    if (g) return g;
  }
  return [];
}
