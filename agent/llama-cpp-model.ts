import fs from 'node:fs';
import path from 'node:path';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import { ChatLlamaCpp } from '@langchain/community/chat_models/llama_cpp';
import type { GbnfJsonSchema, Llama, LlamaChatSession, LlamaContextSequence } from 'node-llama-cpp';

/**
 * KEDRec-LM (or any GGUF model) run in this process: @langchain/community's ChatLlamaCpp over
 * node-llama-cpp 3, with what a served agent needs and the wrapper lacks:
 * - loading on first use (creating the model does not block start-up), with the prebuilt CPU
 *   binaries only: node-llama-cpp never downloads or builds anything at run time (`build: 'never'`);
 * - one context sequence reused turn after turn (the wrapper takes a new sequence per call, and a
 *   context has one), and turns run one at a time;
 * - a JSON schema per call (`jsonSchema` call option), enforced as a grammar on the generation,
 *   so even a small model returns a valid selection: the schema can list the candidate drug names,
 *   and the model cannot name another.
 * Tokens stream through the callbacks (handleLLMNewToken), as with the served models.
 */
export interface EmbeddedLlamaOptions {
  modelPath: string;
  contextSize?: number;
  maxTokens?: number;
  threads?: number;
}

export interface EmbeddedCallOptions {
  /** A JSON schema the output must follow (as a grammar). */
  jsonSchema?: GbnfJsonSchema;
  /**
   * How the output reads (e.g. a JSON selection as "Selected drugs: …"): `soFar` is shown while
   * the model writes (tokens stream as the rendered text grows), `final` is the answer's text.
   * `final(raw)` must start with every `soFar` of a prefix of raw, so the stream and the answer agree.
   */
  render?: { soFar: (raw: string) => string; final: (raw: string) => string };
}

/** Where a generation's tokens go: the run's callbacks, or the collector of a stream. */
type TokenSink = Pick<CallbackManagerForLLMRun, 'handleLLMNewToken'>;

export class EmbeddedLlamaCpp extends ChatLlamaCpp {
  readonly modelPath: string;
  private readonly contextSize: number;
  private readonly threads?: number;
  private loading?: Promise<void>;
  private ready = false;
  private runtime?: Llama;
  private queue: Promise<unknown> = Promise.resolve();
  private sequence?: LlamaContextSequence;
  /** Milliseconds the last load took (for /readyz and the model bench). */
  loadMs?: number;

  constructor(opts: EmbeddedLlamaOptions) {
    super({ modelPath: opts.modelPath, maxTokens: opts.maxTokens ?? 512, temperature: 0, contextSize: opts.contextSize ?? 4096 });
    this.modelPath = opts.modelPath;
    this.contextSize = opts.contextSize ?? 4096;
    this.threads = opts.threads;
  }

  override _llmType(): string {
    return 'llama_cpp_embedded';
  }

  get loaded(): boolean {
    return this.ready;
  }

  /** Loads the model once; a failed load is retried on the next call. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const t0 = Date.now();
      if (!fs.existsSync(this.modelPath)) throw new Error(`no model file at ${this.modelPath} (set KEDREC_MODEL_PATH to a .gguf file; python3 scripts/models/install_gguf.py installs one)`);
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      this.runtime = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error });
      this._model = await this.runtime.loadModel({ modelPath: this.modelPath });
      this._context = await this._model.createContext({ contextSize: this.contextSize, ...(this.threads ? { threads: this.threads } : {}) });
      this.loadMs = Date.now() - t0;
      this.ready = true;
    })().catch((err: Error) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  override async _call(messages: BaseMessage[], options: this['ParsedCallOptions'] & EmbeddedCallOptions, runManager?: CallbackManagerForLLMRun): Promise<string> {
    return this.queued(messages, options, runManager);
  }

  private async queued(messages: BaseMessage[], options: this['ParsedCallOptions'] & EmbeddedCallOptions, runManager?: TokenSink): Promise<string> {
    await this.load();
    // One sequence, one turn at a time: queued behind the turn in progress.
    const run = this.queue.then(() => this.complete(messages, options, runManager));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async complete(messages: BaseMessage[], options: this['ParsedCallOptions'] & EmbeddedCallOptions, runManager?: TokenSink): Promise<string> {
    const { session, prompt } = await this.freshSession(messages);
    const grammar = options.jsonSchema ? await this.loadedRuntime().createGrammarForJsonSchema<GbnfJsonSchema>(options.jsonSchema) : undefined;
    const render = options.render;
    let raw = '';
    let shown = '';
    const show = (text: string) => {
      if (text.length <= shown.length || !text.startsWith(shown)) return;
      void runManager?.handleLLMNewToken(text.slice(shown.length));
      shown = text;
    };
    const text = await session.prompt(prompt, {
      ...(options.signal ? { signal: options.signal, stopOnAbortSignal: false } : {}),
      maxTokens: options.maxTokens ?? this.maxTokens,
      temperature: 0,
      ...(grammar ? { grammar } : {}),
      onTextChunk: (chunk: string) => {
        raw += chunk;
        if (render) show(render.soFar(raw));
        else void runManager?.handleLLMNewToken(chunk);
      },
    });
    if (!render) return text;
    const final = render.final(text);
    show(final);
    return final;
  }

  /**
   * A session for this call on the one sequence the model keeps (the wrapper takes a new sequence
   * per call, and a context has one): the previous session is let go without its sequence, the
   * sequence's history cleared, and the call's system prompt and earlier turns set.
   */
  private async freshSession(messages: BaseMessage[]): Promise<{ session: LlamaChatSession; prompt: string }> {
    const { LlamaChatSession } = await import('node-llama-cpp');
    this._session?.dispose({ disposeSequence: false });
    this.sequence ??= this._context.getSequence();
    await this.sequence.clearHistory();
    const text = (m: BaseMessage) => {
      if (typeof m.content !== 'string') throw new Error('the embedded model reads text messages only');
      return m.content;
    };
    const system = messages.filter((m) => m.getType() === 'system').map(text).join('\n\n');
    const dialogue = messages.filter((m) => m.getType() !== 'system');
    const last = dialogue.at(-1);
    if (!last) throw new Error('no message to answer');
    const session = new LlamaChatSession({ contextSequence: this.sequence, autoDisposeSequence: false, ...(system ? { systemPrompt: system } : {}) });
    this._session = session;
    const earlier = this._convertMessagesToInteractions(dialogue.slice(0, -1));
    if (earlier.length) session.setChatHistory([...(system ? [{ type: 'system' as const, text: system }] : []), ...earlier]);
    return { session, prompt: text(last) };
  }

  /** The runtime `load()` set; a call reaches here only after load() resolved. */
  private loadedRuntime(): Llama {
    if (!this.runtime) throw new Error('the embedded model runtime is not loaded (load() must finish before a call)');
    return this.runtime;
  }

  /**
   * Streaming goes through the same generation (the wrapper's own stream ignores the token limit
   * and the grammar and takes a new sequence): chunks are yielded as the model writes them.
   */
  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'] & EmbeddedCallOptions,
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const collector: TokenSink = { handleLLMNewToken: async (t: string) => { pending.push(t); wake?.(); } };
    const run = this.queued(messages, options, collector).then(
      () => { finished = true; wake?.(); },
      (err: unknown) => { failure = err; finished = true; wake?.(); },
    );
    for (;;) {
      for (let text = pending.shift(); text !== undefined; text = pending.shift()) {
        yield new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
        await runManager?.handleLLMNewToken(text);
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    await run;
    if (failure) throw failure;
  }

  /** Frees the context, the weights and the runtime (a CLI run that is done with the model; tests). */
  async dispose(): Promise<void> {
    await this.loading?.catch(() => undefined);
    if (!this.ready) return;
    await this.queue;
    this._session?.dispose({ disposeSequence: false });
    await this._context?.dispose();
    await this._model?.dispose();
    await this.runtime?.dispose();
    this.loading = undefined;
    this.sequence = undefined;
    this._session = null;
    this.ready = false;
  }

  /** The model's file name, as /readyz and `kedrec start` report it. */
  get modelName(): string {
    return path.basename(this.modelPath);
  }
}
