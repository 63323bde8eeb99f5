import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { EvidenceStore } from '../kb/corpus/store.js';
import type { EntityRef, GraphStore } from '../kb/graph/store.js';

import type { HiddenPair } from './mask.js';
import { seededRandom, seededShuffle } from '../lib/random.js';
import { writeAtomic } from '../lib/write-atomic.js';

/**
 * expRxRec-style instruction examples built from the knowledge base (KEDRec-LM, arXiv
 * 2502.20350): a condition, a candidate list holding the indicated drug(s) and hard negatives
 * (the most similar drugs that are *not* indicated), and background text retrieved with the
 * evidence tools. Splits are by condition, seeded, so no condition crosses train/validation/test.
 */

export const VARIANTS = ['vanilla', 'trials', 'pubmed', 'both'] as const;
export type Variant = (typeof VARIANTS)[number];

const VARIANT_DEFINITIONS: Record<Variant, string> = {
  vanilla: 'no background: condition and candidate list only',
  trials: 'background = clinical-trial records (ClinicalTrials.gov-derived corpus) for the condition and each candidate',
  pubmed: 'background = PubMed abstracts (PubMedQA, BC5CDR) for the condition and each candidate',
  both: 'background = trials and PubMed passages together',
};

export type Split = 'train' | 'validation' | 'test';

interface Passage {
  /** Evidence id as cited: "NCT01234567" or "PMID:123". */
  id: string;
  text: string;
  source: string;
  license: string;
}

export interface ExpRxRecExample {
  id: string;
  split: Split;
  condition: EntityRef;
  /** The case in words (the condition, with its description when the KB has one). */
  patient: string;
  /** Shuffled; targets and hard negatives together. */
  candidates: EntityRef[];
  /** Drug ids of the correct selection. */
  targets: string[];
  /** Indication edges to hide from the graph when this example is evaluated (leak guard). */
  hidden: HiddenPair[];
  /** Why each negative was chosen: similarity to a target, curated "not indicated", or random fill. */
  negatives: { id: string; reason: string; score: number }[];
  background: { trials: Passage[]; pubmed: Passage[] };
}

export interface BuildOptions {
  graph: GraphStore;
  /** The open KB, for the one listing the graph store does not offer: graph diseases with indications. */
  db: Database.Database;
  evidence?: EvidenceStore;
  outDir: string;
  seed?: number;
  /** Candidates per example (targets + negatives), default 10. */
  candidates?: number;
  /** Targets per example, default 2. */
  maxTargets?: number;
  /** Examples per condition (targets are chunked across them), default 3. */
  perCondition?: number;
  /** Split fractions (train, validation, test), by condition. */
  fractions?: [number, number, number];
  /** Background passages per source per example, default 4. */
  passages?: number;
  /** Cap on conditions (for quick builds and tests). */
  maxConditions?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DatasetCard {
  name: string;
  createdWith: Record<string, unknown>;
  counts: Record<Split, { examples: number; conditions: number }> & { total: number };
  candidatesPerExample: number;
  variants: Record<Variant, string>;
  sources: { id: string; name: string; license: string; noncommercial: boolean }[];
  notes: string[];
}

/** Graph diseases with at least one treats/palliates edge: the conditions examples are built for. */
function indicatedConditions(db: Database.Database): EntityRef[] {
  return db
    .prepare(
      `SELECT DISTINCT n.id, n.kind, n.name FROM edges e JOIN nodes n ON n.nid = e.dst
       WHERE e.metaedge IN ('CtD', 'CpD') AND n.kind = 'Disease' AND n.in_hetionet = 1 ORDER BY n.id`,
    )
    .all() as EntityRef[];
}

/** Graph compounds, for filling candidate lists when similar drugs run out. */
function graphCompounds(db: Database.Database): EntityRef[] {
  return db.prepare(`SELECT id, kind, name FROM nodes WHERE kind = 'Compound' AND in_hetionet = 1 ORDER BY id`).all() as EntityRef[];
}

/** Seeded condition-level split: each condition goes wholly to one split. */
export function splitConditions(ids: string[], seed: number, fractions: [number, number, number] = [0.7, 0.15, 0.15]): Map<string, Split> {
  const order = seededShuffle([...ids].sort(), seed);
  const nTest = Math.max(1, Math.round(order.length * fractions[2]));
  const nVal = Math.max(1, Math.round(order.length * fractions[1]));
  const out = new Map<string, Split>();
  order.forEach((id, i) => out.set(id, i < nTest ? 'test' : i < nTest + nVal ? 'validation' : 'train'));
  return out;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

async function retrieveBackground(evidence: EvidenceStore | undefined, condition: EntityRef, candidates: EntityRef[], n: number): Promise<ExpRxRecExample['background']> {
  if (!evidence) return { trials: [], pubmed: [] };
  const trials = new Map<string, Passage>();
  const pubmed = new Map<string, Passage>();
  // Per candidate first (drug + condition), so every candidate can be supported or not on the same terms.
  for (const d of candidates) {
    const t = await evidence.searchTrials({ drug: d.id, condition: condition.id, limit: 1, source: 'offline' }).catch(() => null);
    for (const x of t?.items ?? []) {
      trials.set(x.nctId, {
        id: x.nctId,
        text: clip(`${x.title}. Interventions: ${x.interventions.join(', ')}. Conditions: ${x.conditions.join(', ')}.${x.phase ? ` Phase ${x.phase}.` : ''}`, 400),
        source: x.sources.join(','),
        license: x.license,
      });
    }
    const a = await evidence.searchArticles({ drug: d.id, condition: condition.id, limit: 1, source: 'offline' }).catch(() => null);
    for (const x of a?.items ?? []) {
      pubmed.set(x.pmid, { id: `PMID:${x.pmid}`, text: clip(`${x.title}. ${x.snippet}`, 400), source: x.sources.join(','), license: x.license });
    }
  }
  if (trials.size < n) {
    const t = await evidence.searchTrials({ condition: condition.id, limit: n, source: 'offline' }).catch(() => null);
    for (const x of t?.items ?? []) {
      if (trials.size < n) {
        trials.set(x.nctId, {
          id: x.nctId,
          text: clip(`${x.title}. Interventions: ${x.interventions.join(', ')}. Conditions: ${x.conditions.join(', ')}.`, 400),
          source: x.sources.join(','),
          license: x.license,
        });
      }
    }
  }
  if (pubmed.size < n) {
    const a = await evidence.searchArticles({ condition: condition.id, limit: n, source: 'offline' }).catch(() => null);
    for (const x of a?.items ?? []) {
      if (pubmed.size < n) pubmed.set(x.pmid, { id: `PMID:${x.pmid}`, text: clip(`${x.title}. ${x.snippet}`, 400), source: x.sources.join(','), license: x.license });
    }
  }
  return { trials: [...trials.values()].slice(0, n), pubmed: [...pubmed.values()].slice(0, n) };
}

/** Background passages of one variant, each prefixed with its evidence id as the template expects. */
export function backgroundFor(ex: ExpRxRecExample, variant: Variant): string[] {
  const t = variant === 'trials' || variant === 'both' ? ex.background.trials : [];
  const p = variant === 'pubmed' || variant === 'both' ? ex.background.pubmed : [];
  return [...t, ...p].map((x) => `[${x.id}] ${x.text}`);
}

/** Builds the examples (in memory); `writeDataset` puts them on disk with the card. */
export async function buildExamples(opts: BuildOptions): Promise<ExpRxRecExample[]> {
  const seed = opts.seed ?? 42;
  const size = opts.candidates ?? 10;
  const maxTargets = opts.maxTargets ?? 2;
  const perCondition = opts.perCondition ?? 3;
  const nPassages = opts.passages ?? 4;
  let conditions = indicatedConditions(opts.db);
  if (opts.maxConditions) conditions = seededShuffle(conditions, seed).slice(0, opts.maxConditions).sort((a, b) => a.id.localeCompare(b.id));
  const splits = splitConditions(conditions.map((c) => c.id), seed, opts.fractions);
  const pool = graphCompounds(opts.db);
  const rnd = seededRandom(seed + 1);
  const out: ExpRxRecExample[] = [];
  for (const [ci, cond] of conditions.entries()) {
    opts.onProgress?.(ci, conditions.length);
    const split = splits.get(cond.id);
    if (!split) throw new Error(`condition ${cond.id} has no split (splitConditions was given every condition)`);
    const ind = await opts.graph.indicatedDrugs(cond.id, { limit: 1000 });
    const indicated = new Set(ind.drugs.map((d) => d.drug.id));
    // Strongest-supported first (treats before palliates, more provenance first), as the store orders them.
    const chunks: EntityRef[][] = [];
    for (let i = 0; i < ind.drugs.length && chunks.length < perCondition; i += maxTargets) chunks.push(ind.drugs.slice(i, i + maxTargets).map((d) => d.drug));
    for (const [k, targets] of chunks.entries()) {
      const negatives = new Map<string, { ref: EntityRef; reason: string; score: number }>();
      const want = Math.max(0, size - targets.length);
      // Curated "not indicated" drugs are the hardest negatives: someone had to rule them out.
      for (const n of ind.notIndicated) {
        if (!indicated.has(n.drug.id) && negatives.size < Math.ceil(want / 3)) negatives.set(n.drug.id, { ref: n.drug, reason: 'curated as not indicated (PharmacotherapyDB)', score: 1 });
      }
      const similarPerTarget = await Promise.all(targets.map((t) => opts.graph.similarDrugs(t.id, { limit: 40 }).catch(() => [])));
      const similar = similarPerTarget.flat().sort((a, b) => b.score - a.score || a.drug.id.localeCompare(b.drug.id));
      for (const s of similar) {
        if (negatives.size >= want) break;
        if (indicated.has(s.drug.id) || negatives.has(s.drug.id)) continue;
        const why = [
          s.resembles ? 'resembles a target' : '',
          s.sharedTargets.length ? `shares ${s.sharedTargets.length} target(s)` : '',
          s.sharedClasses.length ? `shares ${s.sharedClasses.length} class(es)` : '',
        ]
          .filter(Boolean)
          .join(', ');
        negatives.set(s.drug.id, { ref: s.drug, reason: `similar to a target (${why || 'similarity'})`, score: s.score });
      }
      while (negatives.size < want) {
        const d = pool[Math.floor(rnd() * pool.length)];
        if (!indicated.has(d.id) && !negatives.has(d.id)) negatives.set(d.id, { ref: d, reason: 'random graph drug (similar drugs exhausted)', score: 0 });
      }
      const candidates = seededShuffle([...targets, ...[...negatives.values()].map((n) => n.ref)], seed + ci * 31 + k);
      const entity = await opts.graph.getEntity(cond.id);
      const patient = `A patient with ${cond.name} (${cond.id}).${entity?.description ? ` ${clip(entity.description, 300)}` : ''}`;
      out.push({
        id: `exprxrec-${cond.id.replace(':', '')}-${k + 1}`,
        split,
        condition: { id: cond.id, kind: cond.kind, name: cond.name },
        patient,
        candidates: candidates.map((c) => ({ id: c.id, kind: c.kind, name: c.name })),
        targets: targets.map((t) => t.id),
        // Every indication of the condition among the candidates is hidden, not only the targets,
        // so the recommender cannot separate targets by elimination either.
        hidden: candidates.filter((c) => indicated.has(c.id)).map((c) => ({ drugId: c.id, diseaseId: cond.id })),
        negatives: [...negatives.values()].map((n) => ({ id: n.ref.id, reason: n.reason, score: n.score })),
        background: await retrieveBackground(opts.evidence, cond, candidates, nPassages),
      });
    }
  }
  opts.onProgress?.(conditions.length, conditions.length);
  return out;
}

/** Writes `{train,validation,test}.jsonl` and the dataset card (`card.md`, `card.json`). */
export async function writeDataset(
  examples: ExpRxRecExample[],
  opts: Pick<BuildOptions, 'outDir' | 'graph' | 'seed' | 'candidates' | 'maxTargets' | 'perCondition' | 'passages'> & { kbPath?: string },
): Promise<DatasetCard> {
  const splits: Split[] = ['train', 'validation', 'test'];
  for (const s of splits) writeAtomic(path.join(opts.outDir, `${s}.jsonl`), examples.filter((e) => e.split === s).map((e) => JSON.stringify(e)).join('\n') + '\n');
  const stats = await opts.graph.stats();
  const used = new Set(['hetionet', 'pharmacotherapydb', 'disease-ontology', 'hint', 'clintrials-dhimmel', 'trial2vec', 'pubmedqa', 'bc5cdr', 'drugbank', 'drugcentral']);
  const count = (s: Split) => ({
    examples: examples.filter((e) => e.split === s).length,
    conditions: new Set(examples.filter((e) => e.split === s).map((e) => e.condition.id)).size,
  });
  const card: DatasetCard = {
    name: 'expRxRec (KEDRec build)',
    createdWith: {
      seed: opts.seed ?? 42,
      candidates: opts.candidates ?? 10,
      maxTargets: opts.maxTargets ?? 2,
      perCondition: opts.perCondition ?? 3,
      passages: opts.passages ?? 4,
      kb: opts.kbPath ?? null,
      kbMeta: stats.meta,
    },
    counts: { train: count('train'), validation: count('validation'), test: count('test'), total: examples.length },
    candidatesPerExample: opts.candidates ?? 10,
    variants: VARIANT_DEFINITIONS,
    sources: stats.sources
      .filter((s) => [...used].some((u) => s.id.toLowerCase().includes(u)))
      .map((s) => ({ id: s.id, name: s.name, license: s.license, noncommercial: s.noncommercial })),
    notes: [
      'Targets are drugs the graph records as treating or palliating the condition (Hetionet CtD/CpD, PharmacotherapyDB DM/SYM); negatives are the most similar graph drugs (resembles, shared targets, shared pharmacologic classes) that are not indicated for it, plus curated "not indicated" pairs.',
      'Splits are by condition (seeded): no condition appears in two splits.',
      'Leak guard: each example lists `hidden` indication pairs; evaluations mask them from the graph the recommender sees.',
      'Background passages carry their own source and license; DrugBank-derived and SIDER parts of the KB are non-commercial.',
    ],
  };
  writeAtomic(path.join(opts.outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  writeAtomic(path.join(opts.outDir, 'card.md'), renderCard(card));
  return card;
}

function renderCard(card: DatasetCard): string {
  const lines = [
    `# ${card.name}`,
    '',
    '## Counts',
    '| split | examples | conditions |',
    '|---|---:|---:|',
    ...(['train', 'validation', 'test'] as const).map((s) => `| ${s} | ${card.counts[s].examples} | ${card.counts[s].conditions} |`),
    `| total | ${card.counts.total} | |`,
    '',
    `Candidates per example: ${card.candidatesPerExample}.`,
    '',
    '## Background variants',
    ...Object.entries(card.variants).map(([k, v]) => `- **${k}**: ${v}`),
    '',
    '## Sources and licenses',
    '| source | license | non-commercial |',
    '|---|---|---|',
    ...card.sources.map((s) => `| ${s.name} (${s.id}) | ${s.license} | ${s.noncommercial ? 'yes' : 'no'} |`),
    '',
    '## Notes',
    ...card.notes.map((n) => `- ${n}`),
    '',
    '## Build parameters',
    '```json',
    JSON.stringify(card.createdWith, null, 2),
    '```',
    '',
  ];
  return lines.join('\n');
}

/** Reads a JSONL split written by `writeDataset`; a malformed line fails with its number. */
export function readExamples(file: string): ExpRxRecExample[] {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist; build the dataset with \`kedrec dataset build\``);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => ({ l: l.trim(), i }))
    .filter((x) => x.l)
    .map(({ l, i }) => {
      try {
        return JSON.parse(l) as ExpRxRecExample;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
      }
    });
}
