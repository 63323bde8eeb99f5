import fs from 'node:fs';
import type { BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { Config } from '../config.js';
import { EmbeddedLlamaCpp } from './llama-cpp-model.js';
import { createChatModel, type ChatModelHandle } from './model.js';
import { selectionCallOptions } from './selection.js';

/**
 * A model named on the command line ("ollama:kedrec-lm", "openai-compatible:qwen2.5-7b",
 * "llama-cpp:.kedrec/models/x.gguf") turned into the same LangChain chat model the agent serves
 * with, so the evals and distillation score a model through the client that answers users: one
 * client, one prompt path, one grammar for the embedded runtime.
 */
type ModelProvider = 'ollama' | 'openai-compatible' | 'llama-cpp';

export interface ModelSpec {
  provider: ModelProvider;
  /** The model name (served providers) or the GGUF path (llama-cpp). */
  model: string;
}

const PROVIDERS: Record<string, ModelProvider> = { ollama: 'ollama', 'openai-compatible': 'openai-compatible', openai: 'openai-compatible', 'llama-cpp': 'llama-cpp' };
const VALID = '"ollama:<model>" (OLLAMA_BASE_URL), "openai-compatible:<model>" (KEDREC_OPENAI_BASE_URL; "openai:" also works) or "llama-cpp:<file.gguf>"';

/** Parses "provider:model"; the model part may itself contain colons ("ollama:llama3.1:70b"). */
export function parseModelSpec(spec: string, flag = '--model'): ModelSpec {
  const i = spec.indexOf(':');
  const provider = i > 0 ? PROVIDERS[spec.slice(0, i)] : undefined;
  const model = spec.slice(i + 1).trim();
  if (!provider || !model) throw new Error(`${flag} must be ${VALID}, got ${JSON.stringify(spec)}`);
  return { provider, model };
}

function specLabel(s: ModelSpec): string {
  return `${s.provider}:${s.model}`;
}

type ModelConfig = Pick<Config, 'OLLAMA_BASE_URL' | 'KEDREC_OPENAI_BASE_URL' | 'KEDREC_OPENAI_API_KEY'> & Partial<Pick<Config, 'KEDREC_LLAMA_CONTEXT_SIZE' | 'KEDREC_LLAMA_THREADS' | 'KEDREC_MODEL_MAX_TOKENS'>>;

/** The chat model for a spec, with the rest of the settings (URLs, key, context size) from the configuration. */
export function chatModelForSpec(spec: ModelSpec, config: ModelConfig, flag = '--model'): ChatModelHandle {
  if (spec.provider === 'llama-cpp' && !fs.existsSync(spec.model)) throw new Error(`${flag} ${specLabel(spec)}: no such file (python3 scripts/models/install_gguf.py installs Gemma 3 270M into .kedrec/models/)`);
  if (spec.provider === 'openai-compatible' && !config.KEDREC_OPENAI_BASE_URL) throw new Error(`${flag} ${specLabel(spec)} needs KEDREC_OPENAI_BASE_URL (e.g. http://gpu-host:8000/v1)`);
  return createChatModel({
    ...config,
    KEDREC_LLM_PROVIDER: spec.provider,
    KEDREC_MODEL: spec.provider === 'llama-cpp' ? 'embedded' : spec.model,
    KEDREC_MODEL_PATH: spec.provider === 'llama-cpp' ? spec.model : undefined,
  });
}

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One text completion: what the evals and distillation need from a model. */
export interface TextModel {
  /** "provider:model", as the reports name it. */
  name: string;
  /**
   * The model's answer. With `candidates`, an embedded model writes under the selection grammar
   * (it can only pick among them) and its JSON is read back into the "Selected drugs: … Rationale: …"
   * text a served model writes, exactly as the agent does.
   */
  complete(messages: ChatTurn[], opts?: { candidates?: string[]; signal?: AbortSignal }): Promise<string>;
  close(): Promise<void>;
}

const toMessage = (m: ChatTurn): BaseMessage =>
  m.role === 'system' ? new SystemMessage(m.content) : m.role === 'user' ? new HumanMessage(m.content) : new AIMessage(m.content);

/** A TextModel over a chat model handle; a call with no text in its answer throws (an empty answer is a failure, not a miss). */
export function textModel(handle: ChatModelHandle, name: string, timeoutMs = 300_000): TextModel {
  const model = handle.model;
  if (!model) throw new Error(`${name}: no model configured`);
  return {
    name,
    async complete(messages, opts = {}) {
      const grammar = model instanceof EmbeddedLlamaCpp && opts.candidates?.length ? selectionCallOptions(opts.candidates) : {};
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      // The embedded runtime reads its grammar from the call options; served models get none.
      const options: BaseChatModelCallOptions = { signal, ...grammar };
      const ai = await model.invoke(messages.map(toMessage), options);
      const raw = typeof ai.content === 'string' ? ai.content : ai.content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('');
      if (!raw.trim()) throw new Error(`${name} returned an empty answer`);
      return raw;
    },
    async close() {
      if (model instanceof EmbeddedLlamaCpp) await model.dispose();
    },
  };
}

/** "provider:model" from the command line as a TextModel, settings from the configuration; a malformed spec throws before any work. */
export function textModelFromSpec(spec: string, config: ModelConfig & Pick<Config, 'KEDREC_MODEL_TIMEOUT_MS'>, flag = '--model'): TextModel {
  const parsed = parseModelSpec(spec, flag);
  return textModel(chatModelForSpec(parsed, config, flag), specLabel(parsed), config.KEDREC_MODEL_TIMEOUT_MS);
}
