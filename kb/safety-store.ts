import type Database from 'better-sqlite3';
import type { AllergyRuleRow, ConditionRow, FactorRuleRow, SeriousEffectRow } from './sources/safety-tables.js';

/**
 * The safety rule tables as the build resolved them, read whole from the knowledge base. The
 * clinical layer's engine holds them in memory; this module only reads (no query shapes of its own).
 */

export interface StoredFactorRule extends FactorRuleRow {
  /** Public drug ids the rule applies to. */
  drugIds: string[];
  /** For comedication rules: the public ids of the co-medications that trigger it. */
  comedicationIds?: string[];
}
export interface StoredAllergyRule extends AllergyRuleRow {
  drugIds: string[];
  allergenIds: string[];
}
export interface StoredSeriousEffect extends SeriousEffectRow {
  drugIds: string[];
}

export interface SafetyTables {
  /** `atc`: the group's ATC prefixes; empty for a safety grouping that is no therapeutic class (QT-prolonging, CYP3A4 inhibitors, G6PD oxidants). */
  groups: { key: string; name: string; basis: string; members: string[]; atc: string[] }[];
  conditions: ConditionRow[];
  /** Normalised phrase → group keys ("sulfa" → sulfonamide_antibiotics). */
  groupTerms: Map<string, string[]>;
  rules: StoredFactorRule[];
  allergy: StoredAllergyRule[];
  serious: StoredSeriousEffect[];
  ddiTypes: Map<number, { severity: 'caution' | 'monitor'; neutral: string }>;
  unresolved: { file: string; line: number; name: string }[];
  /** Hash of the rule files the KB was built from. */
  rulesHash?: string;
}

/** Thrown when the KB holds no safety tables: built by an older version; the message names the fix. */
class SafetyTablesMissingError extends Error {}

/** Reads the safety tables of an open knowledge base. */
export function readSafetyTables(db: Database.Database): SafetyTables {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'safety_rules'").get();
  if (!has) throw new SafetyTablesMissingError('this knowledge base has no safety rule tables (built by an older version); rebuild it with `kedrec kb build`');
  const groups = (
    db.prepare('SELECT key, name, basis, members, atc FROM safety_groups').all() as { key: string; name: string; basis: string; members: string; atc: string }[]
  ).map((g) => ({ ...g, members: JSON.parse(g.members) as string[], atc: g.atc ? g.atc.split(';') : [] }));
  const conditions = (db.prepare('SELECT json FROM safety_conditions').pluck().all() as string[]).map((j) => JSON.parse(j) as ConditionRow);
  const groupTerms = new Map((db.prepare('SELECT term, groups FROM safety_group_terms').all() as { term: string; groups: string }[]).map((r) => [r.term, JSON.parse(r.groups) as string[]]));
  const rows = db.prepare('SELECT kind, json, drugs FROM safety_rules ORDER BY id').all() as { kind: string; json: string; drugs: string }[];
  const rules: StoredFactorRule[] = [];
  const allergy: StoredAllergyRule[] = [];
  const serious: StoredSeriousEffect[] = [];
  for (const r of rows) {
    const drugIds = JSON.parse(r.drugs) as string[];
    const body = JSON.parse(r.json);
    if (r.kind === 'factor') rules.push({ ...body, drugIds });
    else if (r.kind === 'allergy') allergy.push({ ...body, drugIds });
    else if (r.kind === 'serious') serious.push({ ...body, drugIds });
  }
  const ddiTypes = new Map(
    (db.prepare('SELECT type, severity, neutral FROM safety_ddi_types').all() as { type: number; severity: 'caution' | 'monitor'; neutral: string }[]).map(
      (d) => [d.type, { severity: d.severity, neutral: d.neutral }],
    ),
  );
  const unresolved = db.prepare('SELECT file, line, name FROM safety_unresolved ORDER BY file, line').all() as { file: string; line: number; name: string }[];
  const rulesHash = db.prepare("SELECT value FROM meta WHERE key = 'safety_rules_hash'").pluck().get() as string | undefined;
  return { groups, conditions, groupTerms, rules, allergy, serious, ddiTypes, unresolved, rulesHash };
}
