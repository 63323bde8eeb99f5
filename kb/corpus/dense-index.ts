import type Database from 'better-sqlite3';
import type { DenseIndex } from './chroma.js';

/**
 * Loads the offline corpus into dense indexes (`kedrec kb push-chroma`): articles as
 * title + abstract, trials as title + conditions + interventions + summary (eligibility text is
 * left out: it is long and says little about what a trial tests). Returns documents written.
 */
export async function indexCorpusDense(
  db: Database.Database,
  target: { trials?: DenseIndex; articles?: DenseIndex },
  opts: { batchSize?: number; maxChars?: number; onProgress?: (what: string, done: number, total: number) => void } = {},
): Promise<{ trials: number; articles: number }> {
  const size = opts.batchSize ?? 64;
  // What the embedding model reads of each document: a 512-token model (E5) gains nothing from more, and pays for it.
  const maxChars = opts.maxChars ?? 8000;
  const out = { trials: 0, articles: 0 };
  const run = async (what: 'trials' | 'articles', index: DenseIndex, rows: { id: string; text: string }[]) => {
    for (let i = 0; i < rows.length; i += size) {
      await index.upsert(rows.slice(i, i + size).map((r) => ({ id: r.id, text: r.text.slice(0, maxChars) })));
      out[what] = Math.min(rows.length, i + size);
      opts.onProgress?.(what, out[what], rows.length);
    }
  };
  if (target.articles) {
    const rows = db.prepare("SELECT pmid AS id, title || '. ' || abstract AS text FROM articles ORDER BY aid").all() as { id: string; text: string }[];
    await run('articles', target.articles, rows);
  }
  if (target.trials) {
    const rows = db
      .prepare("SELECT nct_id AS id, title || '. ' || replace(conditions, char(10), '; ') || '. ' || replace(interventions, char(10), '; ') || '. ' || summary AS text FROM trials ORDER BY tid")
      .all() as { id: string; text: string }[];
    await run('trials', target.trials, rows);
  }
  return out;
}
