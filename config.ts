import path from 'node:path';
import { z } from 'zod';

/** Where the project keeps generated state (knowledge base, caches, checkpoints) by default. */
export const DEFAULT_STATE_DIR = '.kedrec';

const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/**
 * One schema over the environment. Every variable the project reads is declared here, with
 * its default and what values are valid, so a bad value fails at start-up with its name.
 */
export const configSchema = z.object({
  KEDREC_DATA_DIR: z.string().min(1).default('../shared/data').describe('source data directory'),
  KEDREC_KB_PATH: z.string().min(1).default(path.join(DEFAULT_STATE_DIR, 'kb.sqlite')).describe('knowledge-base file'),
  KEDREC_CACHE_DIR: z.string().min(1).default(path.join(DEFAULT_STATE_DIR, 'cache')).describe('HTTP cache for live APIs'),
  KEDREC_NONCOMMERCIAL: bool.default(true).describe('include DrugBank-derived and SIDER (non-commercial) data'),
  KEDREC_GRAPH_BACKEND: z.enum(['sqlite', 'neo4j']).default('sqlite').describe('graph store backend'),
  NEO4J_URI: z.string().url().optional().describe('bolt/neo4j URI for the Neo4j backend'),
  NEO4J_USER: z.string().default('neo4j'),
  NEO4J_PASSWORD: z.string().optional(),
  NEO4J_DATABASE: z.string().default('neo4j'),
  KEDREC_QUERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(120_000).default(5_000).describe('per graph query timeout'),
  PORT: port.default(8787),
  HOST: z.string().default('127.0.0.1'),
  KEDREC_LLM_PROVIDER: z.enum(['ollama', 'openai-compatible', 'none']).default('ollama'),
  OLLAMA_BASE_URL: z.string().url().default('http://127.0.0.1:11434'),
  KEDREC_MODEL: z.string().min(1).default('kedrec-lm'),
  KEDREC_OPENAI_BASE_URL: z.string().url().optional(),
  KEDREC_OPENAI_API_KEY: z.string().optional(),
  KEDREC_LIVE: bool.default(false).describe('query live ClinicalTrials.gov / E-utilities'),
  NCBI_API_KEY: z.string().optional(),
  NCBI_EMAIL: z.string().optional(),
  CHROMA_URL: z.string().url().optional().describe('Chroma server for dense retrieval'),
  KEDREC_EMBED_MODEL: z.string().default('nomic-embed-text'),
  KEDREC_API_TOKEN: z.string().min(16).optional().describe('bearer token for the HTTP API'),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;

/** Thrown when the environment holds an invalid value; the message names each bad variable. */
export class ConfigError extends Error {}

/**
 * Reads and validates the environment once, at an entry point. Empty strings count as unset so
 * `FOO=` in a shell does not silently become an invalid value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      return `  ${name}=${JSON.stringify(cleaned[name] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
