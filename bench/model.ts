import fs from 'node:fs';
import path from 'node:path';
import { makeAgent } from '../agent/index.js';
import type { EmbeddedLlamaCpp } from '../agent/llama-cpp-model.js';
import { createChatModel } from '../agent/model.js';
import { openSafetyEngine } from '../clinical/safety/open.js';
import { createEvidenceStore } from '../kb/corpus/store.js';
import { createSqliteGraphStore } from '../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../kb/open.js';

export interface ModelBenchOptions {
  kbPath: string;
  /** The GGUF file (the CLI passes KEDREC_MODEL_PATH; default: the one scripts/models/install_gguf.py installs). */
  modelPath?: string;
  threads?: number;
  /** Whole turns timed (default 3). */
  turns?: number;
  /** The figures line, for the person running the bench (the CLI prints it on stderr): output, not a log record. */
  progress: (line: string) => void;
}

const CASES = ['A 60-year-old man with type 2 diabetes mellitus.', '32-year-old woman, 20 weeks pregnant, with chronic hypertension.', 'Woman, 45, with hypertension, currently on warfarin.'];

/**
 * The embedded model on this machine: load time, time to first token and tokens per second on a
 * short prompt, and whole retrieve-then-generate turns (case reading, recommender, the model's
 * selection under its grammar, citation and safety checks).
 */
export async function runModelBench(opts: ModelBenchOptions): Promise<Record<string, number | string>> {
  const file = path.resolve(opts.modelPath ?? '.kedrec/models/gemma-3-270m-q4_k_m.gguf');
  if (!fs.existsSync(file)) throw new Error(`no model at ${file}: install one with python3 scripts/models/install_gguf.py, or set KEDREC_MODEL_PATH`);
  const handle = createChatModel({
    KEDREC_LLM_PROVIDER: 'llama-cpp',
    KEDREC_MODEL_PATH: file,
    KEDREC_LLAMA_CONTEXT_SIZE: 4096,
    ...(opts.threads ? { KEDREC_LLAMA_THREADS: opts.threads } : {}),
    OLLAMA_BASE_URL: 'http://127.0.0.1:1',
    KEDREC_MODEL: 'unused',
  });
  const model = handle.model as EmbeddedLlamaCpp;
  await model.load();
  const out: Record<string, number | string> = { model: path.basename(file), loadMs: model.loadMs ?? 0 };
  let first = 0;
  let tokens = 0;
  const t0 = performance.now();
  const stream = await model.stream('List three drug classes used for hypertension.', { maxTokens: 64 });
  for await (const chunk of stream) {
    if (!first) first = performance.now() - t0;
    if (String(chunk.content)) tokens++;
  }
  const total = performance.now() - t0;
  out.timeToFirstTokenMs = Math.round(first);
  out.tokensPerSecond = Math.round((tokens / Math.max(1e-3, (total - first) / 1000)) * 10) / 10;
  const db = openKnowledgeBase(opts.kbPath);
  const graph = createSqliteGraphStore(db);
  const deps = { graph, evidence: createEvidenceStore({ db }), safety: openSafetyEngine(db, graph).engine };
  const agent = makeAgent({ model, probe: handle.probe, provider: handle.provider, modelName: handle.modelName, deps, mode: 'retrieve-then-generate', modelTimeoutMs: 600_000 });
  const turns: number[] = [];
  let modelTurns = 0;
  for (let i = 0; i < (opts.turns ?? 3); i++) {
    const t = performance.now();
    const a = await agent.invoke({ threadId: `bench-model-${i}`, message: CASES[i % CASES.length] });
    turns.push(performance.now() - t);
    if (a.mode === 'model') modelTurns++;
  }
  await graph.close();
  out.turnMeanMs = Math.round(turns.reduce((a, b) => a + b, 0) / turns.length);
  out.turnMaxMs = Math.round(Math.max(...turns));
  out.modelTurns = `${modelTurns}/${turns.length}`;
  opts.progress(
    `embedded model ${out.model}: load ${out.loadMs} ms; first token ${out.timeToFirstTokenMs} ms; ${out.tokensPerSecond} tokens/s; ` +
      `whole turn mean ${out.turnMeanMs} ms, max ${out.turnMaxMs} ms (${out.modelTurns} answered by the model)`,
  );
  return out;
}
