import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildContext, BuildStep } from '../base/build-context.js';
import { normalizeTerm } from '../base/graph-schema.js';
import { readRuleTables, type DrugSpec, type FactorRuleRow, type RuleTables } from './safety-tables.js';
import { dataFile, readSourceText, readTsv } from './table.js';

/** The repository's reviewed rule tables; a build may point elsewhere (tests with a broken table). */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../clinical/rules/', import.meta.url));

const SAFETY_DDL = `
-- Safety rule tables (clinical/rules/*.tsv), validated and resolved at build time. Rows are JSON:
-- the engine loads them whole into memory (a few thousand rows), so no query shape is needed.
CREATE TABLE safety_groups (key TEXT PRIMARY KEY, name TEXT NOT NULL, basis TEXT NOT NULL, members TEXT NOT NULL, atc TEXT NOT NULL DEFAULT '');
CREATE TABLE safety_conditions (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE safety_group_terms (term TEXT PRIMARY KEY, groups TEXT NOT NULL);
-- kind: factor (pregnancy, renal, …, interactions), allergy, serious. drugs: the resolved public ids.
CREATE TABLE safety_rules (id TEXT PRIMARY KEY, kind TEXT NOT NULL, json TEXT NOT NULL, drugs TEXT NOT NULL);
-- Names in the tables that matched no drug of this build (a gap to review, never silently dropped).
CREATE TABLE safety_unresolved (file TEXT NOT NULL, line INTEGER NOT NULL, name TEXT NOT NULL);
-- DeepDDI types graded for current medications, with a sentence that states no direction.
CREATE TABLE safety_ddi_types (type INTEGER PRIMARY KEY, severity TEXT NOT NULL, neutral TEXT NOT NULL);
`;

const PREG_DIR = 'pregnancy-reprotox';

/**
 * Name → Compound public ids. A drug's own name wins over other drugs' synonyms: "leflunomide"
 * is also a synonym of teriflunomide and "acetylsalicylic acid" of salicylic acid in the
 * vocabulary, and a rule about one must not silently cover the other.
 */
function compoundTerms(ctx: BuildContext): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  const others = new Map<string, Set<string>>();
  const rows = ctx.db
    .prepare("SELECT t.term_norm AS term, n.id AS id, t.term_type AS type FROM terms t JOIN nodes n ON n.nid = t.nid WHERE n.kind = 'Compound'")
    .all() as { term: string; id: string; type: string }[];
  for (const r of rows) {
    if (r.type === 'code') continue;
    const m = r.type === 'name' ? names : others;
    let s = m.get(r.term);
    if (!s) m.set(r.term, (s = new Set()));
    s.add(r.id);
  }
  for (const [term, ids] of others) if (!names.has(term)) names.set(term, ids);
  return names;
}

/** Salt and form words a label name carries that the drug's name does not ("losartan potassium"). */
const SALT = /\b(?:hydrochloride|hcl|sodium|potassium|calcium|magnesium|sulfate|sulphate|mesylate|maleate|besylate|tartrate|citrate|acetate|fumarate|succinate|phosphate|bromide|hydrobromide|monohydrate|hyclate|erbumine|arginine|medoxomil|cilexetil|disodium|usp|injection|tablets?|extended[- ]release|er|xr|pellet|anhydrous|\d+(?:\.\d+)?\s*(?:mg|mcg|g)?)\b/g;

/**
 * Resolves drug names to public ids: the exact normalised name first, then the name without salt
 * and form words. Every name is kept as written when it matches nothing, for the unresolved list.
 */
function makeResolver(terms: Map<string, Set<string>>) {
  return (name: string): string[] => {
    const norm = normalizeTerm(name);
    const exact = terms.get(norm);
    if (exact) return [...exact];
    const bare = normalizeTerm(norm.replace(SALT, ' '));
    const hit = bare ? terms.get(bare) : undefined;
    return hit ? [...hit] : [];
  };
}

/** Drug ids of each ATC prefix (DrugBank vocabulary; absent in builds without non-commercial data). */
function atcMembers(ctx: BuildContext): (prefix: string) => string[] {
  const rows = ctx.db.prepare("SELECT x.code AS code, n.id AS id FROM xrefs x JOIN nodes n ON n.nid = x.nid WHERE x.system = 'ATC' AND n.kind = 'Compound'").all() as { code: string; id: string }[];
  return (prefix) => [...new Set(rows.filter((r) => r.code.startsWith(prefix)).map((r) => r.id))];
}

interface Resolved {
  groups: Map<string, Set<string>>;
  unresolved: { file: string; line: number; name: string }[];
  specIds(specs: DrugSpec[], file: string, line: number): string[];
}

function resolveTables(ctx: BuildContext, t: RuleTables): Resolved {
  const resolveName = makeResolver(compoundTerms(ctx));
  const byAtc = atcMembers(ctx);
  const unresolved: Resolved['unresolved'] = [];
  const groups = new Map<string, Set<string>>();
  for (const g of t.groups) {
    const ids = new Set<string>();
    for (const m of g.members) {
      const found = resolveName(m);
      if (!found.length) unresolved.push({ file: g.file, line: g.line, name: m });
      for (const id of found) ids.add(id);
    }
    for (const prefix of g.atc) for (const id of byAtc(prefix)) ids.add(id);
    for (const x of g.exclude) {
      const found = resolveName(x);
      if (!found.length) unresolved.push({ file: g.file, line: g.line, name: `!${x}` });
      for (const id of found) ids.delete(id);
    }
    groups.set(g.key, ids);
  }
  const specIds = (specs: DrugSpec[], file: string, line: number) => {
    const ids = new Set<string>();
    for (const s of specs) {
      if ('group' in s) for (const id of groups.get(s.group) ?? []) ids.add(id);
      else {
        const found = resolveName(s.drug);
        if (!found.length) unresolved.push({ file, line, name: s.drug });
        for (const id of found) ids.add(id);
      }
    }
    return [...ids];
  };
  return { groups, unresolved, specIds };
}

/** One FDA pregnancy-category rule per drug of the data directory's X and D lists. */
interface PregnancyListRule {
  ids: string[];
  name: string;
  category: 'X' | 'D' | 'X/D';
  value: string;
  note?: string;
  origin: string;
}

/**
 * Reads the pregnancy lists. The ingredient list (DrugCentral ids) is the reliable one; the
 * product columns say which category each ingredient's labels carry. An ingredient found only
 * in combination products takes no category from them (a combination's partner is often the
 * teratogen: amlodipine in amlodipine/benazepril). Ingredients listed under both X and D (a
 * migraine or vasomotor indication is X, epilepsy or depression D) are "X/D".
 */
function readPregnancyLists(
  ctx: BuildContext,
  resolveDc: (dc: string) => string[],
  resolveName: (n: string) => string[],
): { rules: PregnancyListRule[]; unresolved: { file: string; line: number; name: string }[] } {
  const dir = path.join(ctx.dataDir, PREG_DIR);
  const unresolved: { file: string; line: number; name: string }[] = [];
  const rules: PregnancyListRule[] = [];
  const ingredientFile = dataFile(ctx.dataDir, PREG_DIR, 'IDG', 'python', 'input', 'IDG_FDA_X_Dcategory.csv');
  const productFile = dataFile(ctx.dataDir, PREG_DIR, 'IDG', 'teratogens', 'IDG_Pregnancy_categoryX&D.tsv');
  ctx.useSource('pregnancy-reprotox', ingredientFile);
  ctx.useSource('pregnancy-reprotox', productFile);
  const products: { X: string[]; D: string[] } = { X: [], D: [] };
  const productLines = readSourceText(productFile).split('\n').slice(2);
  for (const l of productLines) {
    const [x, d] = l.replace(/\r$/, '').split('\t');
    if (x?.trim()) products.X.push(normalizeTerm(x));
    if (d?.trim()) products.D.push(normalizeTerm(d));
  }
  const single = (p: string) => !/\band\b|\//.test(p);
  const inCat = (ingredient: string, list: string[]) => {
    const re = new RegExp(`\\b${ingredient.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
    return list.some((p) => single(p) && re.test(p));
  };
  const lines = readSourceText(ingredientFile).replace(/^\uFEFF/, '').split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].replace(/\r$/, '').split(',');
    if (cells.length < 3 || !cells[1]) continue;
    const name = normalizeTerm(cells[1]);
    const x = inCat(name, products.X);
    const d = inCat(name, products.D);
    if (!x && !d) continue;
    const ids = [...new Set([...resolveDc(cells[2]), ...resolveName(name)])];
    if (!ids.length) {
      unresolved.push({ file: `${PREG_DIR}/IDG/python/input/IDG_FDA_X_Dcategory.csv`, line: i + 1, name });
      continue;
    }
    rules.push({ ids, name, category: x && d ? 'X/D' : x ? 'X' : 'D', value: 'any', origin: `IDG_FDA_X_Dcategory.csv:${i + 1}` });
  }
  // The ReproToxPaper grouped lists add a few drugs and stage-specific notes ("3rd trimester only").
  for (const [cat, file] of [['X', 'FDApregX_D_categories_Category_X.tsv'], ['D', 'FDApregX_D_categories_Category_D.tsv']] as const) {
    const full = path.join(dir, 'ReproToxPaper', 'input', file);
    if (!fs.existsSync(full)) continue;
    ctx.useSource('pregnancy-reprotox', full);
    const rows = readSourceText(full).split('\n');
    rows.forEach((raw, i) => {
      const [cell, noteCell] = raw.replace(/\r$/, '').split('\t');
      const text = cell?.trim();
      if (!text || /drugs$|meds$|^antimicrobials$|^cardiovascular$|^miscellaneous$/i.test(text)) return;
      const paren = /\(([^)]*)\)/.exec(text);
      const base = text.replace(/\([^)]*\)/g, '').trim();
      const note = [paren?.[1], noteCell?.trim()].filter(Boolean).join('; ') || undefined;
      let value = 'any';
      if (/3rd trimester/i.test(note ?? '')) value = 'trimester>=3';
      const wk = />\s*(\d{2})\s*wks?/i.exec(note ?? '');
      if (wk) value = `weeks>=${wk[1]}`;
      const ids = base.split(/-|\//).length > 1 && !resolveName(base).length ? base.split(/-|\//).flatMap((p) => resolveName(p)) : resolveName(base);
      if (!ids.length) {
        unresolved.push({ file: `${PREG_DIR}/ReproToxPaper/input/${file}`, line: i + 1, name: base });
        return;
      }
      rules.push({ ids, name: base.toLowerCase(), category: cat, value, note, origin: `${file}:${i + 1}` });
    });
  }
  return { rules, unresolved };
}

/** Hash of the rule files' bytes: a KB built from other rules is stale and says so at start-up. */
export function rulesHash(dir: string, files: string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(f);
    h.update(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** The rule tables' files, as a reviewer edits them: every .tsv in the directory. */
export function ruleFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tsv')).sort();
}

const PREGNANCY_CITATION = {
  source: 'FDA pregnancy category in the drug\'s labeling (pre-2015 letter categories), as mined from label text by DrugCentral / ReproToxTables',
  url: 'https://github.com/nih-cfde/ReproToxTables',
};

/**
 * The safety rules step: validates clinical/rules, resolves every drug name and group against
 * this build's vocabulary, adds one rule per drug of the FDA pregnancy X/D lists, and loads it
 * all into the KB. Runs after every vocabulary step (it needs their names and ATC codes).
 */
export const safetyStep: BuildStep = {
  id: 'safety',
  title: 'Safety rule tables',
  sources: ['kedrec-rules'],
  run(ctx: BuildContext) {
    const dir = ctx.rulesDir ?? DEFAULT_RULES_DIR;
    const tables = readRuleTables(dir);
    for (const f of ruleFiles(dir)) ctx.useSource('kedrec-rules', path.join(dir, f));
    // useSource records paths relative to the data dir; the rules live in the repository.
    const resolved = resolveTables(ctx, tables);
    const db = ctx.db;
    db.exec(SAFETY_DDL);
    const insGroup = db.prepare('INSERT INTO safety_groups (key, name, basis, members, atc) VALUES (?, ?, ?, ?, ?)');
    for (const g of tables.groups) insGroup.run(g.key, g.name, g.basis, JSON.stringify([...(resolved.groups.get(g.key) ?? [])].sort()), g.atc.join(';'));
    const insCond = db.prepare('INSERT INTO safety_conditions (key, json) VALUES (?, ?)');
    for (const c of tables.conditions) insCond.run(c.key, JSON.stringify(c));
    const insTerm = db.prepare('INSERT OR REPLACE INTO safety_group_terms (term, groups) VALUES (?, ?)');
    for (const g of tables.groups) {
      // A group's own name and key name it ("ACE inhibitors", "ace inhibitors"): allergy and medication text use them.
      for (const t of new Set([normalizeTerm(g.name), normalizeTerm(g.key.replace(/_/g, ' '))])) if (t) insTerm.run(t, JSON.stringify([g.key]));
    }
    for (const t of tables.groupTerms) insTerm.run(normalizeTerm(t.term), JSON.stringify(t.groups));
    const insRule = db.prepare('INSERT INTO safety_rules (id, kind, json, drugs) VALUES (?, ?, ?, ?)');
    const comedIds = (r: FactorRuleRow) => {
      if (r.factor !== 'comedication') return undefined;
      const specs = r.value
        .split(';')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => (x.startsWith('group:') ? { group: x.slice(6) } : { drug: x.slice(5).toLowerCase() }));
      return resolved.specIds(specs, r.file, r.line);
    };
    for (const r of tables.rules) {
      insRule.run(r.id, 'factor', JSON.stringify({ ...r, comedicationIds: comedIds(r) }), JSON.stringify(resolved.specIds(r.drugs, r.file, r.line)));
    }
    for (const r of tables.allergy) {
      insRule.run(
        r.id,
        'allergy',
        JSON.stringify({ ...r, allergenIds: resolved.specIds(r.allergen, r.file, r.line) }),
        JSON.stringify(resolved.specIds(r.drugs, r.file, r.line)),
      );
    }
    for (const r of tables.serious) insRule.run(r.id, 'serious', JSON.stringify(r), JSON.stringify(resolved.specIds(r.drugs, r.file, r.line)));

    // FDA pregnancy categories from the data directory, when it has them.
    const unresolved = [...resolved.unresolved];
    if (ctx.allows('pregnancy-reprotox') && fs.existsSync(path.join(ctx.dataDir, PREG_DIR))) {
      const dcRows = [...readTsv(dataFile(ctx.dataDir, 'drugcentral-2016', 'identifiers.tsv'), { required: ['DRUG_ID', 'ID_TYPE', 'IDENTIFIER'], unquote: true })];
      const dcToDb = new Map<string, string[]>();
      for (const row of dcRows) {
        if (row.get('ID_TYPE') !== 'DRUGBANK_ID') continue;
        const list = dcToDb.get(row.get('DRUG_ID')) ?? [];
        list.push(row.get('IDENTIFIER'));
        dcToDb.set(row.get('DRUG_ID'), list);
      }
      const resolveName = makeResolver(compoundTerms(ctx));
      const lists = readPregnancyLists(ctx, (dc) => (dcToDb.get(dc) ?? []).filter((id) => ctx.nid(id) !== undefined), resolveName);
      unresolved.push(...lists.unresolved);
      const corrections = new Map(
        tables.rules
          .filter((r) => r.id.startsWith('preg-correction-'))
          .flatMap((r) => resolved.specIds(r.drugs, r.file, r.line).map((id) => [id, r.id] as const)),
      );
      const seen = new Set<string>();
      for (const p of lists.rules) {
        const ids = p.ids.filter((id) => !corrections.has(id));
        if (!ids.length) continue;
        const catKey = p.category === 'X/D' ? 'xd' : p.category.toLowerCase();
        const id = `preg-fda-${catKey}-${normalizeTerm(p.name).replace(/ /g, '-')}${p.value === 'any' ? '' : `-${p.value.replace(/[>=]+/g, '')}`}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const severity = p.category === 'X' ? 'contraindicated' : 'avoid_unless';
        const cat = p.category === 'X/D' ? 'X in some of its labels and D in others' : p.category;
        const stage = p.value === 'any' ? '' : p.value.startsWith('trimester') ? ' in the third trimester' : ` from ${p.value.replace('weeks>=', '')} weeks`;
        const message =
          p.category === 'X'
            ? `FDA pregnancy category X${stage}: the labeling contraindicates use in pregnancy (fetal risk outweighs any benefit).`
            : `FDA pregnancy category ${cat}${stage}: positive evidence of human fetal risk; use only when the benefit justifies it and no safer alternative fits${p.category === 'X/D' ? ' (the X labels are for indications where no benefit can justify the risk)' : ''}.${p.note ? ` Source note: ${p.note}.` : ''}`;
        const row: FactorRuleRow = {
          id, table: 'pregnancy-fda', drugs: [{ drug: p.name }], factor: 'pregnancy', value: p.value, severity, message,
          source: PREGNANCY_CITATION.source, url: PREGNANCY_CITATION.url, reviewed: 'data source (FDA labeling via DrugCentral); see clinical/rules/pregnancy.tsv for reviewed class rules',
          file: `${PREG_DIR}/${p.origin.split(':')[0]}`, line: Number(p.origin.split(':')[1]),
        };
        insRule.run(id, 'factor', JSON.stringify(row), JSON.stringify(ids));
      }
    }
    const insUnres = db.prepare('INSERT INTO safety_unresolved (file, line, name) VALUES (?, ?, ?)');
    for (const u of unresolved) insUnres.run(u.file, u.line, u.name);
    const insDdi = db.prepare('INSERT INTO safety_ddi_types (type, severity, neutral) VALUES (?, ?, ?)');
    for (const d of tables.ddiTypes) insDdi.run(d.type, d.severity, d.neutral);
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('safety_rules_hash', rulesHash(dir, ruleFiles(dir)));
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('safety_rules_dir', path.resolve(dir));
  },
};
