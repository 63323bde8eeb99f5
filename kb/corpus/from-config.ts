import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/log.js';
import { createLiveClients } from '../live/index.js';
import { ChromaDenseIndex } from './chroma.js';
import { OllamaEmbedder, OpenAiEmbedder, type Embedder } from './embedder.js';
import { createEvidenceStore, type EvidenceStore } from './store.js';

/** Chroma collection names for one embedding model, so vectors of different models never mix. */
export function denseCollectionNames(model: string): { trials: string; articles: string } {
  const slug = model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'default';
  return { trials: `kedrec-trials-${slug}`, articles: `kedrec-articles-${slug}` };
}

/** The embedder the configuration names: an OpenAI-compatible server (KEDREC_EMBED_URL) or Ollama's /api/embed. */
export function embedderFromConfig(
  config: Pick<Config, 'KEDREC_EMBED_URL' | 'KEDREC_EMBED_MODEL' | 'KEDREC_EMBED_INPUT_TYPE' | 'KEDREC_EMBED_TIMEOUT_MS' | 'OLLAMA_BASE_URL'>,
): Embedder {
  const timeoutMs = config.KEDREC_EMBED_TIMEOUT_MS;
  return config.KEDREC_EMBED_URL
    ? new OpenAiEmbedder({ baseUrl: config.KEDREC_EMBED_URL, model: config.KEDREC_EMBED_MODEL, sendInputType: config.KEDREC_EMBED_INPUT_TYPE, timeoutMs })
    : new OllamaEmbedder({ baseUrl: config.OLLAMA_BASE_URL, model: config.KEDREC_EMBED_MODEL, timeoutMs });
}

/**
 * The evidence store a deployment's configuration asks for: always the offline corpus; live
 * ClinicalTrials.gov / E-utilities when KEDREC_LIVE is set (cached under KEDREC_CACHE_DIR/http);
 * hybrid dense retrieval when CHROMA_URL is set, with embeddings from an OpenAI-compatible server
 * (KEDREC_EMBED_URL) or Ollama's /api/embed (KEDREC_EMBED_MODEL at OLLAMA_BASE_URL). Fill the Chroma collections with indexCorpusDense.
 * `log` (the entry point's logger) takes the store's and the live HTTP client's warnings.
 */
export function evidenceStoreFromConfig(db: Database.Database, config: Config, log?: Logger): EvidenceStore {
  const live = config.KEDREC_LIVE
    ? createLiveClients({ cacheDir: path.join(config.KEDREC_CACHE_DIR, 'http'), ncbiEmail: config.NCBI_EMAIL, ncbiApiKey: config.NCBI_API_KEY, log })
    : undefined;
  let dense: Parameters<typeof createEvidenceStore>[0]['dense'];
  if (config.CHROMA_URL) {
    const embedder = embedderFromConfig(config);
    const names = denseCollectionNames(config.KEDREC_EMBED_MODEL);
    dense = {
      trials: new ChromaDenseIndex({ url: config.CHROMA_URL, collection: names.trials, embedder }),
      articles: new ChromaDenseIndex({ url: config.CHROMA_URL, collection: names.articles, embedder }),
    };
  }
  return createEvidenceStore({ db, live: live && { ctgov: live.ctgov, eutils: live.eutils }, dense, log });
}
