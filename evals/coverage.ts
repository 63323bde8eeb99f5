import { z } from 'zod';
import type { SafetyEngine } from '../clinical/safety/engine.js';
import type { EvidenceStore } from '../kb/corpus/store.js';
import type { GraphStore } from '../kb/graph/store.js';
import { normalizeTerm } from '../kb/base/graph-schema.js';
import { parseItemSet, readItemSet } from './item-set.js';
import { findDrugsForConditionTool } from '../tools/find-drugs-for-condition.js';
import { caseFromArgs } from '../tools/patient-input.js';
import { recommendDrugsTool } from '../tools/recommend-drugs.js';
import { runTool, ToolError, type ToolDeps } from '../tools/spec.js';

/**
 * The indication-coverage evaluation (issue 12, "Done when"): conditions as clinicians phrase
 * them — exact names, lay and short forms, abbreviations — each with the guideline first-line
 * drugs (tests/fixtures/coverage/conditions.json), put to the real `find_drugs_for_condition` and
 * `recommend_drugs` exactly as an MCP client would (arguments through each tool's input schema,
 * results through its output schema), and scored per tool:
 *   - enough drugs: the tool returned at least `min_drugs` indicated drugs (for recommend_drugs,
 *     a recommendation counts when its score has an indication term, not trials or articles alone;
 *     a drug recorded only as investigational — phase 3 — is listed but never counted);
 *   - first-line: at least one expected drug is among the first `top` (10) drugs the tool returned,
 *     and, for recommend_drugs, recommended as an indication;
 *   - covered: both of the above (the issue's hit);
 *   - the disease the phrase resolved to, and whether both tools resolved it to the same one;
 *   - where the item lists the diseases a clinician means by the phrase, a resolution to any other
 *     disease ("OCD" → osteochondritis dissecans) is a wrong disease: a miss, whatever drugs came back.
 * A tool error (unknown condition) is a miss with its message recorded; any other exception is a
 * miss too, counted apart as an internal error so a crashing tool cannot pass for a coverage gap.
 */

export const COVERAGE_CATEGORIES = ['primary-care', 'hospital', 'infectious', 'cardiovascular', 'psychiatric', 'dermatological', 'rare'] as const;
type CoverageCategory = (typeof COVERAGE_CATEGORIES)[number];
export const COVERAGE_TOOLS = ['find_drugs_for_condition', 'recommend_drugs'] as const;
export type CoverageTool = (typeof COVERAGE_TOOLS)[number];

const coverageItemSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and hyphens'),
    /** What a clinician types: "CAP", "high cholesterol", "Parkinson's". */
    phrase: z.string().trim().min(1).max(200),
    category: z.enum(COVERAGE_CATEGORIES),
    /**
     * What a clinician means by the phrase: disease IDs ("DOID:1470") or names, any of them accepted.
     * Names cover terms the KB's vocabulary may add later under another ID. Absent: not checked.
     */
    diseases: z.array(z.string().trim().min(1)).min(1).optional(),
    /** Guideline first-line options, generic names as DrugBank spells them; any one of them present is a hit. */
    expected: z.array(z.string().trim().min(1)).min(1),
    min_drugs: z.number().int().min(1).max(20).default(3),
    /** The guideline or label, with its year. */
    basis: z.string().trim().min(10),
    url: z.string().url().optional(),
  })
  .strict();
export type CoverageItem = z.infer<typeof coverageItemSchema>;

/**
 * Validates a coverage set. Every problem is reported, each naming the item (index and id) and the
 * field, so a bad edit to the fixture is found at once.
 */
export function parseCoverageItems(raw: unknown, source = 'coverage items'): CoverageItem[] {
  return parseItemSet(raw, coverageItemSchema, source, 'condition items');
}

/** Reads and validates a coverage set file. */
export function readCoverageItems(file: string): CoverageItem[] {
  return readItemSet(file, coverageItemSchema, 'coverage items', 'condition items');
}

interface Ref {
  id: string;
  name: string;
}

/** What one tool did with one phrase. */
interface ToolOutcome {
  tool: CoverageTool;
  /** The disease the phrase resolved to (the vocabulary term it named). */
  resolved?: Ref;
  /** The graph disease whose indications answered, when it differs from `resolved`. */
  answeredBy?: Ref;
  /** The phrase resolved to a disease the item does not accept: the drugs below answer another question. */
  wrongDisease?: boolean;
  /** The tool's error message (unknown condition, …). */
  error?: string;
  /** True when the error was not a ToolError: a bug, not a gap in the knowledge base. */
  internalError?: boolean;
  /** Drugs returned, in the tool's order (find: up to 50; recommend: up to 20). */
  drugs: string[];
  /** Drugs returned as indications. */
  indicated: number;
  /** Drugs returned only as investigational (phase 3): listed, not counted as indicated. */
  investigational: number;
  enough: boolean;
  /** The first expected drug within the top `top`, with its 1-based rank. */
  firstLine?: { drug: string; rank: number };
  /** The first expected drug anywhere in what was returned, when it is not in the top (or not as an indication). */
  expectedElsewhere?: { drug: string; rank: number; indicated: boolean };
  covered: boolean;
  /** Notes and notices the tool returned (approximate matches, broader diseases, ignored conditions). */
  notes: string[];
}

interface CoverageOutcome {
  id: string;
  phrase: string;
  category: CoverageCategory;
  expected: string[];
  diseases?: string[];
  /** Expected drugs the KB has no compound for (they cannot be found; listed, not scored). */
  unknownExpected: string[];
  tools: Record<CoverageTool, ToolOutcome>;
  /** Both tools resolved the phrase, to the same disease, answered through the same graph disease. */
  agree: boolean;
}

interface CoverageTotals {
  items: number;
  resolved: number;
  /** Resolved to a disease the item does not accept (counted as a miss on every measure). */
  wrongDisease: number;
  enough: number;
  firstLine: number;
  covered: number;
  errors: number;
  internalErrors: number;
}

export interface CoverageReport {
  items: number;
  /** Rank cut-off for the first-line check. */
  top: number;
  byTool: Record<CoverageTool, CoverageTotals>;
  byCategory: Record<string, Record<CoverageTool, CoverageTotals>>;
  agreement: { agreed: number; items: number; neitherResolved: number };
  outcomes: CoverageOutcome[];
}

const emptyTotals = (): CoverageTotals => ({ items: 0, resolved: 0, wrongDisease: 0, enough: 0, firstLine: 0, covered: 0, errors: 0, internalErrors: 0 });

/**
 * A drug in phase 3 trials for the condition (ChEMBL max phase 3) is evidence that it is studied,
 * not an indication: listed by the tools, but neither counted as an indicated drug nor as the
 * first-line hit.
 */
const INVESTIGATIONAL_TIER = 'investigational';

/** recommend_drugs names no tier field: its indication facts (kg_fact evidence) say the tier in words. */
export function recommendedAsIndication(x: {
  score_components: Record<string, number>;
  evidence: { type: string; snippet: string }[];
}): { indicated: boolean; investigational: boolean } {
  if (!((x.score_components.indication ?? 0) > 0)) return { indicated: false, investigational: false };
  const facts = x.evidence.filter((e) => e.type === 'kg_fact' && /\b(indicat\w*|treats|palliates)\b/i.test(e.snippet));
  const investigational = facts.length > 0 && facts.every((e) => /\binvestigational\b/i.test(e.snippet));
  return { indicated: !investigational, investigational };
}

/** Drugs find_drugs_for_condition is asked for (its maximum): enough to see where an expected drug sits beyond the top. */
const FIND_LIMIT = 50;
/** Recommendations asked for (recommend_drugs' maximum). */
const RECOMMEND_LIMIT = 20;

/** Runs the set through both tools. */
export async function runCoverageEval(opts: {
  graph: GraphStore;
  evidence?: EvidenceStore;
  safety: SafetyEngine;
  items: CoverageItem[];
  top?: number;
}): Promise<CoverageReport> {
  const deps: ToolDeps = { graph: opts.graph, evidence: opts.evidence, safety: opts.safety };
  const top = opts.top ?? 10;
  // Every exact match of an expected name counts (a name can be a synonym of more than one compound,
  // e.g. a salt and its parent); a returned drug also counts when its own name is the expected name.
  const idsOf = new Map<string, Set<string>>();
  const expectedIds = async (name: string) => {
    let s = idsOf.get(name);
    if (!s) {
      const r = await opts.graph.resolve(name, { kinds: ['Compound'], limit: 10, exactOnly: true });
      idsOf.set(name, (s = new Set(r.matches.map((m) => m.id))));
    }
    return s;
  };
  const outcomes: CoverageOutcome[] = [];
  for (const item of opts.items) {
    const unknownExpected: string[] = [];
    for (const e of item.expected) if (!(await expectedIds(e)).size) unknownExpected.push(e);
    const firstExpected = async (drugs: { drug: Ref; indicated: boolean }[]) => {
      for (let i = 0; i < drugs.length; i++) {
        const { drug, indicated } = drugs[i];
        for (const e of item.expected) {
          if ((await expectedIds(e)).has(drug.id) || normalizeTerm(e) === normalizeTerm(drug.name)) return { drug: drug.name, rank: i + 1, indicated };
        }
      }
      return undefined;
    };
    const accepted = item.diseases?.map((d) => (/^[A-Za-z]+:\S+$/.test(d) ? d : normalizeTerm(d)));
    const score = async (o: ToolOutcome, drugs: { drug: Ref; indicated: boolean; investigational?: boolean }[]) => {
      o.drugs = drugs.map((d) => d.drug.name);
      o.indicated = drugs.filter((d) => d.indicated).length;
      o.investigational = drugs.filter((d) => d.investigational).length;
      if (accepted && o.resolved && !accepted.includes(o.resolved.id) && !accepted.includes(normalizeTerm(o.resolved.name))) o.wrongDisease = true;
      o.enough = !o.wrongDisease && o.indicated >= item.min_drugs;
      // Only an indicated drug counts as the first-line hit; its rank is the tool's own.
      const inTop = o.wrongDisease ? undefined : await firstExpected(drugs.slice(0, top).filter((d) => d.indicated));
      if (inTop) o.firstLine = { drug: inTop.drug, rank: drugs.findIndex((d) => d.drug.name === inTop.drug) + 1 };
      else {
        const anywhere = await firstExpected(drugs);
        if (anywhere) o.expectedElsewhere = anywhere;
      }
      o.covered = o.enough && !!o.firstLine;
    };
    const miss = (o: ToolOutcome, err: unknown) => {
      o.error = (err as Error).message;
      if (!(err instanceof ToolError)) o.internalError = true;
    };

    const find: ToolOutcome = { tool: 'find_drugs_for_condition', drugs: [], indicated: 0, investigational: 0, enough: false, covered: false, notes: [] };
    try {
      const r = await runTool(findDrugsForConditionTool, { condition: item.phrase, limit: FIND_LIMIT }, deps);
      find.resolved = r.requested ? { id: r.requested.id, name: r.requested.name } : { id: r.condition.id, name: r.condition.name };
      if (r.requested) find.answeredBy = { id: r.condition.id, name: r.condition.name };
      if (r.note) find.notes.push(r.note);
      await score(
        find,
        r.drugs.map((d) => {
          const investigational = (d as { tier?: string }).tier === INVESTIGATIONAL_TIER;
          return { drug: d.drug, indicated: !investigational, investigational };
        }),
      );
    } catch (err) {
      miss(find, err);
    }

    const rec: ToolOutcome = { tool: 'recommend_drugs', drugs: [], indicated: 0, investigational: 0, enough: false, covered: false, notes: [] };
    try {
      // The disease the phrase resolves to, read the way the tool's handler reads it (its output names drugs, not conditions).
      const { conditions, limit: _limit, detail: _detail, ...patient } = recommendDrugsTool.input.parse({ conditions: [item.phrase] });
      const built = await caseFromArgs(deps, conditions, patient, false);
      const c = built.case.conditions[0];
      if (c?.id) {
        rec.resolved = c.matchedId && c.matchedId !== c.id ? { id: c.matchedId, name: await nameOf(opts.graph, c.matchedId) } : { id: c.id, name: c.name };
        if (c.matchedId && c.matchedId !== c.id) rec.answeredBy = { id: c.id, name: c.name };
      }
      const r = await runTool(recommendDrugsTool, { conditions: [item.phrase], limit: RECOMMEND_LIMIT }, deps);
      rec.notes.push(...r.notices);
      await score(rec, r.recommendations.map((x) => ({ drug: x.drug, ...recommendedAsIndication(x) })));
    } catch (err) {
      miss(rec, err);
    }

    const agree =
      !!find.resolved &&
      !!rec.resolved &&
      find.resolved.id === rec.resolved.id &&
      (find.answeredBy?.id ?? find.resolved.id) === (rec.answeredBy?.id ?? rec.resolved.id);
    outcomes.push({
      id: item.id,
      phrase: item.phrase,
      category: item.category,
      expected: item.expected,
      ...(item.diseases ? { diseases: item.diseases } : {}),
      unknownExpected,
      tools: { find_drugs_for_condition: find, recommend_drugs: rec },
      agree,
    });
  }

  const byTool = { find_drugs_for_condition: emptyTotals(), recommend_drugs: emptyTotals() } as Record<CoverageTool, CoverageTotals>;
  const byCategory: Record<string, Record<CoverageTool, CoverageTotals>> = {};
  for (const o of outcomes) {
    const cat = (byCategory[o.category] ??= { find_drugs_for_condition: emptyTotals(), recommend_drugs: emptyTotals() });
    for (const tool of COVERAGE_TOOLS) {
      const t = o.tools[tool];
      for (const tot of [byTool[tool], cat[tool]]) {
        tot.items++;
        if (t.resolved) tot.resolved++;
        if (t.wrongDisease) tot.wrongDisease++;
        if (t.enough) tot.enough++;
        if (t.firstLine) tot.firstLine++;
        if (t.covered) tot.covered++;
        if (t.error) tot.errors++;
        if (t.internalError) tot.internalErrors++;
      }
    }
  }
  const agreement = {
    agreed: outcomes.filter((o) => o.agree).length,
    items: outcomes.length,
    neitherResolved: outcomes.filter((o) => !o.tools.find_drugs_for_condition.resolved && !o.tools.recommend_drugs.resolved).length,
  };
  return { items: outcomes.length, top, byTool, byCategory, agreement, outcomes };
}

async function nameOf(graph: GraphStore, id: string): Promise<string> {
  return (await graph.getEntity(id))?.name ?? id;
}

/** A hit rate in [0, 1] (0 for an empty set). */
export const rate = (n: number, of: number) => (of ? n / of : 0);
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '–');
const SHORT: Record<CoverageTool, string> = { find_drugs_for_condition: 'find', recommend_drugs: 'recommend' };

const refText = (r?: Ref) => (r ? `${r.name} (${r.id})` : 'unresolved');
function toolLine(t: ToolOutcome, top: number): string {
  if (t.error) return `${t.internalError ? 'INTERNAL ERROR' : 'error'}: ${t.error}`;
  const parts = [
    `→ ${refText(t.resolved)}${t.answeredBy ? ` via ${refText(t.answeredBy)}` : ''}${t.wrongDisease ? ' — WRONG DISEASE' : ''}`,
    `${t.indicated} indicated${t.investigational ? ` (+${t.investigational} investigational, not counted)` : ''}`,
  ];
  const e = t.expectedElsewhere;
  if (t.firstLine) parts.push(`first-line ${t.firstLine.drug} at #${t.firstLine.rank}`);
  else if (e && t.wrongDisease) parts.push(`${e.drug} at #${e.rank}, but for the wrong disease`);
  else if (e) parts.push(`no first-line in top ${top} (${e.drug} at #${e.rank}${e.indicated ? '' : ', not as an indication'})`);
  else parts.push('no first-line drug returned');
  if (t.drugs.length) parts.push(`returned: ${t.drugs.slice(0, top).join(', ')}${t.drugs.length > top ? ', …' : ''}`);
  return parts.join('; ');
}

/** The report as Markdown: totals per tool, agreement, per category, then every item that is not covered by both tools or where the tools disagree. */
export function coverageMarkdown(r: CoverageReport): string {
  const lines = [
    `# Indication coverage (${r.items} conditions as clinicians phrase them)`,
    '',
    `A hit ("covered") needs the phrase resolved to a disease the item accepts, ≥ min_drugs indicated drugs and a guideline first-line drug in the top ${r.top}.`,
    '',
    `| tool | resolved | wrong disease | ≥ min indicated drugs | first-line in top ${r.top} | covered | errors |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const tool of COVERAGE_TOOLS) {
    const t = r.byTool[tool];
    const ofItems = (n: number) => `${n} (${pct(n, t.items)})`;
    const internal = t.internalErrors ? ` (${t.internalErrors} internal)` : '';
    lines.push(`| ${tool} | ${t.resolved} / ${t.items} | ${t.wrongDisease} | ${ofItems(t.enough)} | ${ofItems(t.firstLine)} | ${ofItems(t.covered)} | ${t.errors}${internal} |`);
  }
  lines.push('', `Both tools resolve the phrase to the same disease: ${r.agreement.agreed} / ${r.agreement.items} (${pct(r.agreement.agreed, r.agreement.items)}); neither resolves it: ${r.agreement.neitherResolved}.`);
  lines.push('', '| category | items | find: enough | find: first-line | find: covered | recommend: enough | recommend: first-line | recommend: covered |', '|---|---|---|---|---|---|---|---|');
  for (const cat of COVERAGE_CATEGORIES) {
    const c = r.byCategory[cat];
    if (!c) continue;
    const f = c.find_drugs_for_condition;
    const m = c.recommend_drugs;
    lines.push(`| ${cat} | ${f.items} | ${f.enough} | ${f.firstLine} | ${f.covered} (${pct(f.covered, f.items)}) | ${m.enough} | ${m.firstLine} | ${m.covered} (${pct(m.covered, m.items)}) |`);
  }
  const fails = r.outcomes.filter((o) => !o.agree || COVERAGE_TOOLS.some((t) => !o.tools[t].covered));
  if (fails.length) {
    lines.push('', `## Not covered by both tools, or resolved differently (${fails.length})`);
    for (const o of fails) {
      const missed = COVERAGE_TOOLS.filter((t) => !o.tools[t].covered).map((t) => SHORT[t]);
      const eitherResolved = COVERAGE_TOOLS.some((t) => o.tools[t].resolved);
      const missedBy = missed.length ? ` — missed by ${missed.join(' and ')}` : '';
      const disagree = o.agree || !eitherResolved ? '' : ' — tools disagree on the disease';
      const means = o.diseases ? `; means: ${o.diseases.join(', ')}` : '';
      const notInKb = o.unknownExpected.length ? ` (not in the KB: ${o.unknownExpected.join(', ')})` : '';
      lines.push(`- **${o.id}** "${o.phrase}" (${o.category})${missedBy}${disagree}${means}; expected any of: ${o.expected.join(', ')}${notInKb}`);
      for (const t of COVERAGE_TOOLS) lines.push(`  - ${SHORT[t]}: ${toolLine(o.tools[t], r.top)}`);
    }
  }
  return lines.join('\n');
}
