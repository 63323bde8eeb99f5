import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GraphStore } from '../kb/graph/store.js';
import type { LedgerItem } from './case-types.js';
import type { SafetyKnowledge } from './safety/knowledge.js';

/**
 * Line of therapy: the drugs a guideline names as first-line for a condition, per population
 * (clinical/guidelines/first-line.tsv, each row cited). Indication records say a drug *can* treat a
 * condition; they do not say which drug a clinician starts with. The recommender ranks first-line
 * drugs up, says so in the rationale with the guideline, and uses a row's classes to show options
 * across classes. A population row ("pregnancy") replaces the general row for that patient:
 * hypertension in pregnancy starts with labetalol, nifedipine or methyldopa, not a thiazide.
 */
export type Population = 'all' | 'pregnancy';

export interface FirstLineRow {
  /** Stable key, cited as GUIDELINE:<id>. */
  id: string;
  conditions: string[];
  population: Population;
  /** Drug names and `group:` keys of the rule tables' drug groups. */
  members: string[];
  source: string;
  url: string;
  reviewed: string;
}

const DEFAULT_FIRST_LINE_FILE = fileURLToPath(new URL('./guidelines/first-line.tsv', import.meta.url));
const HEADER = 'id\tconditions\tpopulation\tmembers\tsource\turl\treviewed';
const POPULATIONS: Population[] = ['all', 'pregnancy'];

/** Reads the table; a malformed row stops with its line and what is valid. */
export function readFirstLine(file = DEFAULT_FIRST_LINE_FILE): FirstLineRow[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== HEADER) throw new Error(`${file}: line 1 must be the header "${HEADER.replace(/\t/g, '<TAB>')}"`);
  const out: FirstLineRow[] = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}: line ${i + 2}`;
    const [id, conditions, population, members, source, url, reviewed] = line.split('\t');
    if (!/^[a-z0-9-]+$/.test(id ?? '') || seen.has(id)) throw new Error(`${where}: id must be a unique lower-case key such as hypertension-pregnancy, got ${JSON.stringify(id)}`);
    seen.add(id);
    const conds = (conditions ?? '').split(';').map((c) => c.trim()).filter(Boolean);
    const bad = conds.find((c) => !/^(?:DOID|EFO|MONDO|HP):\d+$/.test(c));
    if (!conds.length || bad) throw new Error(`${where}: conditions must be disease ids separated by ";" such as DOID:10763, got ${JSON.stringify(bad ?? conditions)}`);
    if (!POPULATIONS.includes(population as Population)) throw new Error(`${where}: population must be one of ${POPULATIONS.join(', ')}, got ${JSON.stringify(population)}`);
    if (!members?.trim()) throw new Error(`${where}: members must list drugs or group:<key>`);
    if (!source?.trim() || !/^https:\/\//.test(url ?? '') || !reviewed?.trim()) throw new Error(`${where}: every row needs its source, an https URL and who reviewed it`);
    out.push({
      id,
      conditions: conds,
      population: population as Population,
      members: members.split(';').map((m) => m.trim()).filter(Boolean),
      source,
      url,
      reviewed,
    });
  });
  return out;
}

export interface ResolvedFirstLine {
  row: FirstLineRow;
  /** Drug id → its class within the row: the `group:` key that brought it in, else its own id. */
  classOf: Map<string, string>;
  /** Members that matched no drug in the KB (reported by the tests; a row cannot match them). */
  unresolved: string[];
}

/** condition id → population → the resolved row. */
export type FirstLineTable = Map<string, Map<Population, ResolvedFirstLine>>;

const cache = new WeakMap<GraphStore, Promise<FirstLineTable>>();

/** The table with its members resolved through the KB (exact names) and the drug groups, once per store. */
export function resolvedFirstLine(graph: GraphStore, knowledge: SafetyKnowledge, rows?: FirstLineRow[]): Promise<FirstLineTable> {
  const compute = async () => {
    const out: FirstLineTable = new Map();
    for (const row of rows ?? readFirstLine()) {
      const classOf = new Map<string, string>();
      const unresolved: string[] = [];
      for (const m of row.members) {
        if (m.startsWith('group:')) {
          const g = knowledge.groups.get(m.slice(6));
          if (!g) unresolved.push(m);
          for (const id of g?.members ?? []) if (!classOf.has(id)) classOf.set(id, m);
          continue;
        }
        const hit = (await graph.resolve(m, { kinds: ['Compound'], limit: 1, exactOnly: true })).matches[0];
        if (!hit) unresolved.push(m);
        else if (!classOf.has(hit.id)) classOf.set(hit.id, hit.id);
      }
      for (const cond of row.conditions) {
        const byPop = out.get(cond) ?? new Map<Population, ResolvedFirstLine>();
        byPop.set(row.population, { row, classOf, unresolved });
        out.set(cond, byPop);
      }
    }
    return out;
  };
  if (rows) return compute();
  let p = cache.get(graph);
  if (!p) cache.set(graph, (p = compute()));
  return p;
}

/** The row that applies to a patient for a condition: the population's own row when there is one, else the general row. */
export function rowFor(table: FirstLineTable, conditionId: string, pregnant: boolean): ResolvedFirstLine | undefined {
  const byPop = table.get(conditionId);
  if (!byPop) return undefined;
  return (pregnant ? byPop.get('pregnancy') : undefined) ?? byPop.get('all');
}

/** A guideline's short name: its title up to the first parenthesis or colon ("2017 ACC/AHA/multisociety High Blood Pressure Guideline"). */
export function guidelineShortName(source: string): string {
  return source.split(/\s*[(:]/)[0].trim();
}

export const POPULATION_WORDS: Record<Population, string> = { all: '', pregnancy: ' in pregnancy' };

/** A first-line listing as evidence: the guideline, cited by its row. */
export function firstLineItem(r: ResolvedFirstLine, drug: { id: string; name: string }, condition: { id: string; name: string }): LedgerItem {
  return {
    type: 'guideline',
    id: `GUIDELINE:${r.row.id}`,
    url: r.row.url,
    snippet: `First-line for ${condition.name}${POPULATION_WORDS[r.row.population]}: ${r.row.source}.`,
    source: r.row.source,
    license: 'guideline text summarised; see source',
    drugs: [drug.id],
    conditions: [condition.id],
  };
}
