import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { openKnowledgeBase } from '../../kb/open.js';

/**
 * Adds `kedrec kb push-chroma`: embeds the offline corpus (trials and articles) with the
 * configured embedding model and loads it into Chroma, in the collections the evidence store
 * reads (one pair per embedding model, so vectors of different models never mix). Re-runnable:
 * documents are upserted by id.
 */
export function registerChromaCommand(kbCommand: Command): void {
  kbCommand
    .command('push-chroma')
    .description('embed the trials and articles (KEDREC_EMBED_URL or Ollama) and load them into Chroma (CHROMA_URL) for hybrid retrieval')
    .option('--kb <path>', 'knowledge-base file (default: KEDREC_KB_PATH)')
    .option('--only <what>', 'articles or trials (default: both)')
    .action(async (o: { kb?: string; only?: string }) => {
      const config = loadConfig();
      const chromaUrl = config.CHROMA_URL;
      if (!chromaUrl) throw new Error('no Chroma server given: set CHROMA_URL (scripts/embeddings/serve_dense.sh starts one)');
      if (o.only && o.only !== 'articles' && o.only !== 'trials') throw new Error(`--only must be articles or trials, got ${JSON.stringify(o.only)}`);
      const [{ ChromaDenseIndex }, { embedderFromConfig, denseCollectionNames }, { indexCorpusDense }] = await Promise.all([
        import('../../kb/corpus/chroma.js'),
        import('../../kb/corpus/from-config.js'),
        import('../../kb/corpus/dense-index.js'),
      ]);
      const embedder = embedderFromConfig(config);
      const names = denseCollectionNames(config.KEDREC_EMBED_MODEL);
      const index = (collection: string) => new ChromaDenseIndex({ url: chromaUrl, collection, embedder });
      const db = openKnowledgeBase(o.kb ?? config.KEDREC_KB_PATH);
      const t0 = performance.now();
      let last = 0;
      try {
        const n = await indexCorpusDense(
          db,
          { ...(o.only !== 'trials' ? { articles: index(names.articles) } : {}), ...(o.only !== 'articles' ? { trials: index(names.trials) } : {}) },
          {
            maxChars: config.KEDREC_EMBED_MAX_CHARS,
            onProgress: (what, done, total) => {
              if (Date.now() - last > 5000 || done === total) {
                last = Date.now();
                process.stderr.write(`[push-chroma] ${what}: ${done}/${total}\n`);
              }
            },
          },
        );
        process.stderr.write(`[push-chroma] ${n.articles} articles and ${n.trials} trials embedded with ${embedder.name} into ${config.CHROMA_URL} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      } finally {
        db.close();
      }
    });
}
