import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GraphStore } from '../kb/graph/store.js';

/**
 * Drugs a guideline recommends against for a condition (clinical/guidelines/recommended-against.tsv,
 * each row cited): recorded indications, trials or labels can put them forward (corticosteroids
 * and bosentan for idiopathic pulmonary fibrosis), but the evidence as a whole says no. The
 * recommender lists them as not indicated for the condition, with the guideline, never hidden.
 */
export interface AgainstRow {
  condition: string;
  drugs: string[];
  strength: 'strong' | 'conditional';
  reason: string;
  source: string;
  url: string;
  reviewed: string;
}

const DEFAULT_AGAINST_FILE = fileURLToPath(new URL('./guidelines/recommended-against.tsv', import.meta.url));
const HEADER = 'condition\tdrugs\tstrength\treason\tsource\turl\treviewed';

/** Reads the table; a malformed row stops with its line and what is valid. */
export function readRecommendedAgainst(file = DEFAULT_AGAINST_FILE): AgainstRow[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== HEADER) throw new Error(`${file}: line 1 must be the header "${HEADER.replace(/\t/g, '<TAB>')}"`);
  const out: AgainstRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const [condition, drugs, strength, reason, source, url, reviewed] = line.split('\t');
    const where = `${file}: line ${i + 2}`;
    if (!/^(?:DOID|EFO|MONDO|HP):\d+$/.test(condition ?? '')) throw new Error(`${where}: condition must be a disease id such as DOID:0050156, got ${JSON.stringify(condition)}`);
    if (strength !== 'strong' && strength !== 'conditional') throw new Error(`${where}: strength must be strong or conditional, got ${JSON.stringify(strength)}`);
    if (!drugs?.trim() || !reason?.trim() || !source?.trim() || !/^https:\/\//.test(url ?? '') || !reviewed?.trim()) throw new Error(`${where}: needs drugs, a reason, a source, an https url and a reviewed note`);
    out.push({ condition, drugs: drugs.split(';').map((d) => d.trim()).filter(Boolean), strength, reason, source, url, reviewed });
  });
  return out;
}

/** condition id → drug id → the row that recommends against it. */
export type ResolvedAgainst = Map<string, Map<string, AgainstRow>>;

const cache = new WeakMap<GraphStore, Promise<ResolvedAgainst>>();

/** The table with its drug names resolved to KB ids (exact names only), once per store. */
export function resolvedRecommendedAgainst(graph: GraphStore, rows: AgainstRow[] = readRecommendedAgainst()): Promise<ResolvedAgainst> {
  let p = cache.get(graph);
  if (!p) {
    p = (async () => {
      const out: ResolvedAgainst = new Map();
      for (const row of rows) {
        const byDrug = out.get(row.condition) ?? new Map<string, AgainstRow>();
        for (const name of row.drugs) {
          const hit = (await graph.resolve(name, { kinds: ['Compound'], limit: 1, exactOnly: true })).matches[0];
          if (hit) byDrug.set(hit.id, row);
        }
        out.set(row.condition, byDrug);
      }
      return out;
    })();
    cache.set(graph, p);
  }
  return p;
}
