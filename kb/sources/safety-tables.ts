import fs from 'node:fs';
import path from 'node:path';
import { readSourceText, SourceFormatError } from './table.js';

/**
 * The safety rule tables (`clinical/rules/*.tsv`): parsed and validated, row by row, before
 * anything is resolved or written. Every error names file, line and column and lists what is
 * valid, so a reviewer who mistypes a severity sees exactly where and how to fix it. The format
 * is documented in `clinical/rules/README.md`.
 */

export const SEVERITIES = ['contraindicated', 'avoid_unless', 'caution', 'monitor'] as const;
type RuleSeverity = (typeof SEVERITIES)[number];

const FACTORS = ['pregnancy', 'breastfeeding', 'childbearing_potential', 'egfr_below', 'egfr_at_least', 'dialysis', 'hepatic', 'age_at_least', 'age_below', 'condition', 'comedication', 'long_qt'] as const;
export type RuleFactor = (typeof FACTORS)[number];

const ALLERGY_REACTIONS = ['any', 'severe', 'nonsevere', 'unknown'] as const;
type AllergyReaction = (typeof ALLERGY_REACTIONS)[number];

const EFFECTS = [
  'hepatotoxicity', 'teratogenicity', 'sjs_ten', 'qt_prolongation', 'agranulocytosis', 'lactic_acidosis', 'bleeding', 'heart_failure',
  'suicidality', 'tendon_rupture', 'cardiovascular_thrombosis', 'gi_bleeding', 'hypoglycaemia', 'hyperkalaemia', 'pancreatitis',
  'myopathy', 'respiratory_depression', 'dependence', 'other',
] as const;

/** A reference to drugs in a rule: one group of `drug-groups.tsv`, or one drug by name. */
export type DrugSpec = { group: string } | { drug: string };

interface GroupRow {
  key: string;
  name: string;
  members: string[];
  /** Names written `!name`: never members, whatever the ATC prefixes bring in (DrugBank gives combination-product ATC codes to each component). */
  exclude: string[];
  atc: string[];
  basis: string;
  line: number;
  file: string;
}
export interface ConditionRow { key: string; name: string; doids: string[]; terms: string[]; basis: string; line: number; file: string }
interface GroupTermRow { term: string; groups: string[]; line: number; file: string }

/** What every rule row shares: where it came from and what it cites. */
interface Cited {
  id: string;
  severity: RuleSeverity;
  message: string;
  source: string;
  url: string;
  reviewed: string;
  file: string;
  line: number;
}

export interface FactorRuleRow extends Cited {
  table: string;
  drugs: DrugSpec[];
  factor: RuleFactor;
  /** Raw value as written; `parseFactorValue` gives its typed form. */
  value: string;
  /** Optional: condition keys of which the patient must also have one (a contraindication limited to one indication or comorbidity). */
  andConditions?: string[];
  /**
   * Optional: the rule applies only when the patient's eGFR (or CrCl) is known and below this (a
   * combination a label forbids only in renal impairment: dabigatran with a P-gp inhibitor below CrCl 30).
   */
  andEgfrBelow?: number;
}

export interface AllergyRuleRow extends Cited {
  allergen: DrugSpec[];
  reaction: AllergyReaction;
  drugs: DrugSpec[];
}

export interface SeriousEffectRow extends Omit<Cited, 'severity'> {
  drugs: DrugSpec[];
  effect: string;
  boxed: boolean;
}

interface DdiTypeRow { type: number; severity: 'caution' | 'monitor'; neutral: string; line: number; file: string }

export interface RuleTables {
  groups: GroupRow[];
  conditions: ConditionRow[];
  groupTerms: GroupTermRow[];
  rules: FactorRuleRow[];
  allergy: AllergyRuleRow[];
  serious: SeriousEffectRow[];
  ddiTypes: DdiTypeRow[];
  /** Files read, relative to the rules directory, for provenance and the rules hash. */
  files: string[];
}

/** The rule files (one per domain) that share the factor-rule columns. */
const FACTOR_RULE_FILES = ['pregnancy.tsv', 'lactation.tsv', 'renal.tsv', 'hepatic.tsv', 'age.tsv', 'disease.tsv', 'qt.tsv', 'interactions.tsv'];

const RULE_COLUMNS = ['id', 'drugs', 'factor', 'value', 'severity', 'message', 'source', 'url', 'reviewed'];

/** The table as header-indexed records, skipping blank lines and `#` comments. */
function readTable(file: string, columns: string[], optional: string[] = []): { line: number; get(c: string): string }[] {
  const lines = readSourceText(file).split('\n');
  const headerAt = lines.findIndex((l) => l.trim() && !l.startsWith('#'));
  if (headerAt < 0) throw new SourceFormatError(file, 1, `a header line with the columns ${columns.join(', ')}`);
  const header = lines[headerAt].replace(/\r$/, '').split('\t').map((h) => h.trim());
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length) throw new SourceFormatError(file, headerAt + 1, `header columns ${columns.join(', ')} (missing ${missing.join(', ')})`, lines[headerAt]);
  const unknown = header.filter((h) => !columns.includes(h) && !optional.includes(h));
  if (unknown.length) throw new SourceFormatError(file, headerAt + 1, `only the columns ${[...columns, ...optional].join(', ')}`, unknown.join(', '));
  const index = new Map(header.map((h, i) => [h, i]));
  const declared = new Set([...columns, ...optional]);
  const out: { line: number; get(c: string): string }[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (!raw.trim() || raw.startsWith('#')) continue;
    const values = raw.split('\t');
    if (values.length !== header.length) {
      throw new SourceFormatError(file, i + 1, `${header.length} tab-separated fields (${header.join(', ')}), got ${values.length}`, raw);
    }
    out.push({
      line: i + 1,
      // An optional column this file leaves out reads as empty; a column the reader never
      // declared is a typo in the reader, which must not read as an empty (absent) value.
      get: (c: string) => {
        if (!declared.has(c)) throw new Error(`${file}: the reader asked for column "${c}", which it does not declare (${[...declared].join(', ')})`);
        const at = index.get(c);
        return at === undefined ? '' : (values[at] ?? '').trim();
      },
    });
  }
  return out;
}

const list = (cell: string) => cell.split(';').map((x) => x.trim()).filter(Boolean);

function need(file: string, line: number, column: string, value: string, what: string): string {
  if (!value) throw new SourceFormatError(file, line, `column ${column}: ${what}`, value);
  return value;
}

function oneOf<T extends string>(file: string, line: number, column: string, value: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(value)) throw new SourceFormatError(file, line, `column ${column}: one of ${valid.join(', ')}`, value);
  return value as T;
}

const KEY = /^[a-z][a-z0-9_]*$/;
const RULE_ID = /^[a-z0-9][a-z0-9-]*$/;

/** Parses "group:ace_inhibitors;drug:aliskiren" into drug specs. */
function parseDrugSpecs(file: string, line: number, column: string, cell: string): DrugSpec[] {
  const items = list(cell);
  if (!items.length) throw new SourceFormatError(file, line, `column ${column}: at least one group:<key> or drug:<name>`, cell);
  return items.map((item) => {
    const m = /^(group|drug):\s*(.+)$/.exec(item);
    if (!m) throw new SourceFormatError(file, line, `column ${column}: items written group:<key> or drug:<name>`, item);
    if (m[1] === 'group') {
      if (!KEY.test(m[2])) throw new SourceFormatError(file, line, `column ${column}: a group key in snake_case`, m[2]);
      return { group: m[2] };
    }
    return { drug: m[2].toLowerCase() };
  });
}

/** The typed form of a factor rule's value; throws naming what is valid for the factor. */
export type FactorValue =
  | { factor: 'pregnancy'; minWeeks: number }
  | { factor: 'breastfeeding' | 'dialysis' | 'long_qt' | 'childbearing_potential' }
  | { factor: 'egfr_below'; below: number }
  | { factor: 'egfr_at_least'; atLeast: number }
  | { factor: 'hepatic'; level: 'mild' | 'moderate' | 'severe' }
  | { factor: 'age_at_least' | 'age_below'; years: number }
  | { factor: 'condition'; conditions: string[] }
  | { factor: 'comedication'; drugs: DrugSpec[] };

/** Week each trimester starts (ACOG: 1st to 13 6/7, 2nd 14–27 6/7, 3rd from 28). */
const TRIMESTER_START = { 1: 0, 2: 14, 3: 28 } as const;

export function parseFactorValue(file: string, line: number, factor: RuleFactor, value: string): FactorValue {
  const bad = (what: string): never => {
    throw new SourceFormatError(file, line, `column value for factor ${factor}: ${what}`, value);
  };
  switch (factor) {
    case 'pregnancy': {
      if (value === 'any') return { factor, minWeeks: 0 };
      const t = /^trimester>=([123])$/.exec(value);
      if (t) return { factor, minWeeks: TRIMESTER_START[Number(t[1]) as 1 | 2 | 3] };
      const w = /^weeks>=(\d{1,2})$/.exec(value);
      if (w && Number(w[1]) <= 42) return { factor, minWeeks: Number(w[1]) };
      return bad('any, trimester>=2, trimester>=3 or weeks>=N (N ≤ 42)');
    }
    case 'breastfeeding':
    case 'dialysis':
    case 'long_qt':
    case 'childbearing_potential':
      return value === 'any' ? { factor } : bad('any');
    case 'egfr_below': {
      const n = Number(value);
      return /^\d{1,3}(?:\.\d+)?$/.test(value) && n > 0 && n <= 200 ? { factor, below: n } : bad('a number of mL/min between 1 and 200');
    }
    case 'egfr_at_least': {
      const n = Number(value);
      return /^\d{1,3}(?:\.\d+)?$/.test(value) && n > 0 && n <= 250 ? { factor, atLeast: n } : bad('a number of mL/min between 1 and 250');
    }
    case 'hepatic':
      return value === 'mild' || value === 'moderate' || value === 'severe' ? { factor, level: value } : bad('mild, moderate or severe');
    case 'age_at_least':
    case 'age_below': {
      const n = Number(value);
      return /^\d{1,3}$/.test(value) && n <= 120 ? { factor, years: n } : bad('a whole number of years');
    }
    case 'condition': {
      const keys = list(value);
      if (!keys.length || keys.some((k) => !KEY.test(k))) bad('condition keys of conditions.tsv, ;-separated');
      return { factor, conditions: keys };
    }
    case 'comedication':
      return { factor, drugs: parseDrugSpecs(file, line, 'value', value) };
  }
}

function cited(file: string, r: { line: number; get(c: string): string }, severities: readonly RuleSeverity[] = SEVERITIES): Cited {
  const id = need(file, r.line, 'id', r.get('id'), 'a rule id');
  if (!RULE_ID.test(id)) throw new SourceFormatError(file, r.line, 'column id: a kebab-case id (a-z, 0-9, -)', id);
  const url = need(file, r.line, 'url', r.get('url'), 'the URL of the label or guideline');
  if (!/^https?:\/\/\S+$/.test(url)) throw new SourceFormatError(file, r.line, 'column url: an http(s) URL', url);
  const reviewed = need(file, r.line, 'reviewed', r.get('reviewed'), 'YYYY-MM-DD and the reviewer');
  if (!/^\d{4}-\d{2}-\d{2}\s+\S/.test(reviewed)) throw new SourceFormatError(file, r.line, 'column reviewed: YYYY-MM-DD followed by the reviewer', reviewed);
  return {
    id,
    severity: oneOf(file, r.line, 'severity', r.get('severity'), severities),
    message: need(file, r.line, 'message', r.get('message'), 'the sentence a clinician reads'),
    source: need(file, r.line, 'source', r.get('source'), 'the label or guideline and section'),
    url,
    reviewed,
    file: path.basename(file),
    line: r.line,
  };
}

/**
 * Reads and validates every table in `dir`. Cross-references are checked too: each group and
 * condition key a rule names must be defined, and rule ids must be unique across files.
 */
export function readRuleTables(dir: string): RuleTables {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new SourceFormatError(dir, 0, 'the safety rules directory (clinical/rules) to exist');
  const f = (name: string) => path.join(dir, name);
  const files: string[] = [];
  const use = (name: string) => {
    files.push(name);
    return f(name);
  };
  const groups: GroupRow[] = readTable(use('drug-groups.tsv'), ['group', 'name', 'members', 'atc', 'basis']).map((r) => {
    const key = need(f('drug-groups.tsv'), r.line, 'group', r.get('group'), 'a group key');
    if (!KEY.test(key)) throw new SourceFormatError(f('drug-groups.tsv'), r.line, 'column group: a snake_case key', key);
    const all = list(r.get('members')).map((m) => m.toLowerCase());
    const members = all.filter((m) => !m.startsWith('!'));
    const exclude = all.filter((m) => m.startsWith('!')).map((m) => m.slice(1).trim());
    const atc = list(r.get('atc')).map((a) => a.toUpperCase());
    if (!members.length && !atc.length) throw new SourceFormatError(f('drug-groups.tsv'), r.line, 'members or atc: at least one drug name or ATC prefix', '');
    for (const a of atc) if (!/^[A-Z]\d{2}[A-Z]{0,2}\d{0,2}$/.test(a)) throw new SourceFormatError(f('drug-groups.tsv'), r.line, 'column atc: ATC code prefixes such as C09A or C09AA01', a);
    return { key, name: need(f('drug-groups.tsv'), r.line, 'name', r.get('name'), 'a name'), members, exclude, atc, basis: r.get('basis'), line: r.line, file: 'drug-groups.tsv' };
  });
  const conditions: ConditionRow[] = readTable(use('conditions.tsv'), ['condition', 'name', 'doids', 'terms', 'basis']).map((r) => {
    const key = need(f('conditions.tsv'), r.line, 'condition', r.get('condition'), 'a condition key');
    if (!KEY.test(key)) throw new SourceFormatError(f('conditions.tsv'), r.line, 'column condition: a snake_case key', key);
    const doids = list(r.get('doids'));
    for (const d of doids) if (!/^DOID:\d+$/.test(d)) throw new SourceFormatError(f('conditions.tsv'), r.line, 'column doids: ids written DOID:1234', d);
    const terms = list(r.get('terms')).map((t) => t.toLowerCase());
    if (!terms.length) throw new SourceFormatError(f('conditions.tsv'), r.line, 'column terms: at least one phrase', '');
    return { key, name: need(f('conditions.tsv'), r.line, 'name', r.get('name'), 'a name'), doids, terms, basis: r.get('basis'), line: r.line, file: 'conditions.tsv' };
  });
  // Optional files reviewers add as they grow the tables.
  const optionalTable = (name: string) => fs.existsSync(f(name));
  const groupTerms: GroupTermRow[] = optionalTable('group-terms.tsv')
    ? readTable(use('group-terms.tsv'), ['term', 'groups']).map((r) => ({
        term: need(f('group-terms.tsv'), r.line, 'term', r.get('term'), 'a phrase').toLowerCase(),
        groups: list(r.get('groups')),
        line: r.line,
        file: 'group-terms.tsv',
      }))
    : [];

  const rules: FactorRuleRow[] = [];
  for (const name of FACTOR_RULE_FILES) {
    if (!optionalTable(name)) continue;
    const file = use(name);
    for (const r of readTable(file, RULE_COLUMNS, ['and_condition', 'and_egfr_below'])) {
      const factor = oneOf(file, r.line, 'factor', r.get('factor'), FACTORS);
      const value = r.get('value');
      parseFactorValue(file, r.line, factor, value);
      const andConditions = list(r.get('and_condition') ?? '');
      if (andConditions.some((k) => !KEY.test(k))) throw new SourceFormatError(file, r.line, 'column and_condition: condition keys of conditions.tsv, ;-separated', r.get('and_condition'));
      const andEgfrCell = r.get('and_egfr_below');
      const andEgfrBelow = andEgfrCell ? Number(andEgfrCell) : undefined;
      if (andEgfrBelow !== undefined && !(Number.isFinite(andEgfrBelow) && andEgfrBelow > 0 && andEgfrBelow <= 200)) {
        throw new SourceFormatError(file, r.line, 'column and_egfr_below: empty, or an eGFR in mL/min/1.73 m2 between 1 and 200', andEgfrCell);
      }
      rules.push({
        ...cited(file, r),
        table: name.replace(/\.tsv$/, ''),
        drugs: parseDrugSpecs(file, r.line, 'drugs', r.get('drugs')),
        factor,
        value,
        ...(andConditions.length ? { andConditions } : {}),
        ...(andEgfrBelow !== undefined ? { andEgfrBelow } : {}),
      });
    }
  }
  const allergy: AllergyRuleRow[] = optionalTable('allergy.tsv')
    ? readTable(use('allergy.tsv'), ['id', 'allergen', 'reaction', 'drugs', 'severity', 'message', 'source', 'url', 'reviewed']).map((r) => ({
        ...cited(f('allergy.tsv'), r),
        allergen: parseDrugSpecs(f('allergy.tsv'), r.line, 'allergen', r.get('allergen')),
        reaction: oneOf(f('allergy.tsv'), r.line, 'reaction', r.get('reaction'), ALLERGY_REACTIONS),
        drugs: parseDrugSpecs(f('allergy.tsv'), r.line, 'drugs', r.get('drugs')),
      }))
    : [];
  const serious: SeriousEffectRow[] = optionalTable('serious-effects.tsv')
    ? readTable(use('serious-effects.tsv'), ['id', 'drugs', 'effect', 'boxed', 'message', 'source', 'url', 'reviewed']).map((r) => {
        const file = f('serious-effects.tsv');
        const c = cited(file, { line: r.line, get: (k) => (k === 'severity' ? 'monitor' : r.get(k)) });
        return {
          id: c.id, message: c.message, source: c.source, url: c.url, reviewed: c.reviewed, file: c.file, line: c.line,
          drugs: parseDrugSpecs(file, r.line, 'drugs', r.get('drugs')),
          effect: oneOf(file, r.line, 'effect', r.get('effect'), EFFECTS),
          boxed: oneOf(file, r.line, 'boxed', r.get('boxed'), ['yes', 'no'] as const) === 'yes',
        };
      })
    : [];
  const ddiTypes: DdiTypeRow[] = optionalTable('ddi-types.tsv')
    ? readTable(use('ddi-types.tsv'), ['type', 'severity', 'neutral']).map((r) => {
        const file = f('ddi-types.tsv');
        const type = Number(r.get('type'));
        if (!Number.isInteger(type) || type < 1) throw new SourceFormatError(file, r.line, 'column type: a DeepDDI type number', r.get('type'));
        const neutral = need(file, r.line, 'neutral', r.get('neutral'), 'the direction-free sentence with {a} and {b}');
        if (!neutral.includes('{a}') || !neutral.includes('{b}')) throw new SourceFormatError(file, r.line, 'column neutral: a sentence naming both {a} and {b}', neutral);
        return { type, severity: oneOf(file, r.line, 'severity', r.get('severity'), ['caution', 'monitor'] as const), neutral, line: r.line, file: 'ddi-types.tsv' };
      })
    : [];

  const tables: RuleTables = { groups, conditions, groupTerms, rules, allergy, serious, ddiTypes, files };
  checkReferences(dir, tables);
  return tables;
}

/** Every key a rule names exists, and ids are unique: a typo must not silently disable a rule. */
function checkReferences(dir: string, t: RuleTables): void {
  const dup = <T>(rows: T[], key: (r: T) => string, where: (r: T) => [string, number], what: string) => {
    const seen = new Map<string, T>();
    for (const r of rows) {
      const k = key(r);
      const prev = seen.get(k);
      if (prev) {
        const [file, line] = where(r);
        const [pf, pl] = where(prev);
        throw new SourceFormatError(path.join(dir, file), line, `a unique ${what} (already defined at ${pf}:${pl})`, k);
      }
      seen.set(k, r);
    }
  };
  dup(t.groups, (g) => g.key, (g) => [g.file, g.line], 'group key');
  dup(t.conditions, (c) => c.key, (c) => [c.file, c.line], 'condition key');
  const allRules: { id: string; file: string; line: number }[] = [...t.rules, ...t.allergy, ...t.serious];
  dup(allRules, (r) => r.id, (r) => [r.file, r.line], 'rule id');
  dup(t.ddiTypes, (d) => String(d.type), (d) => [d.file, d.line], 'DeepDDI type');
  const groupKeys = new Set(t.groups.map((g) => g.key));
  const conditionKeys = new Set(t.conditions.map((c) => c.key));
  const checkSpecs = (specs: DrugSpec[], file: string, line: number, column: string) => {
    for (const s of specs) {
      if ('group' in s && !groupKeys.has(s.group)) {
        throw new SourceFormatError(path.join(dir, file), line, `column ${column}: a group defined in drug-groups.tsv`, s.group);
      }
    }
  };
  for (const r of t.rules) {
    checkSpecs(r.drugs, r.file, r.line, 'drugs');
    const v = parseFactorValue(path.join(dir, r.file), r.line, r.factor, r.value);
    if (v.factor === 'comedication') checkSpecs(v.drugs, r.file, r.line, 'value');
    if (v.factor === 'condition') {
      for (const k of v.conditions) if (!conditionKeys.has(k)) throw new SourceFormatError(path.join(dir, r.file), r.line, 'column value: a condition key defined in conditions.tsv', k);
    }
    for (const k of r.andConditions ?? []) if (!conditionKeys.has(k)) throw new SourceFormatError(path.join(dir, r.file), r.line, 'column and_condition: a condition key defined in conditions.tsv', k);
  }
  for (const r of t.allergy) {
    checkSpecs(r.allergen, r.file, r.line, 'allergen');
    checkSpecs(r.drugs, r.file, r.line, 'drugs');
  }
  for (const r of t.serious) checkSpecs(r.drugs, r.file, r.line, 'drugs');
  for (const g of t.groupTerms) {
    for (const k of g.groups) if (!groupKeys.has(k)) throw new SourceFormatError(path.join(dir, g.file), g.line, 'column groups: group keys defined in drug-groups.tsv', k);
  }
}
