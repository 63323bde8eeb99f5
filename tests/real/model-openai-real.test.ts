/**
 * Real-model tier: the project's `openai-compatible` provider against a real OpenAI-compatible
 * server (llama.cpp via llama-cpp-python, serving Gemma 3 270M Q4_K_M on CPU; see
 * scripts/models/serve_llama_cpp.sh). Nothing here is mocked: HTTP, streaming, cancellation and the
 * whole agent run against the server named by KEDREC_TEST_OPENAI_BASE_URL. A 270M model writes
 * what it writes, so the assertions are about what must hold whatever it writes: an answer
 * arrives, the code-enforced safety and citation checks ran, nothing throws. Skipped, saying why,
 * when the variable is unset or the server does not answer.
 */
import { HumanMessage } from '@langchain/core/messages';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAgent } from '../../agent/index.js';
import { createChatModel, ollamaProbe, type ChatModelHandle } from '../../agent/model.js';
import { textOf } from '../../agent/graph.js';
import type { ChatEvent, FinalAnswer } from '../../agent/types.js';
import { applyCaseDelta, parseCaseDelta } from '../../clinical/case-reader.js';
import { emptyCase } from '../../clinical/case-types.js';
import { exclusionOf } from '../../clinical/recommender.js';
import type { SafetyEngine } from '../../clinical/safety/engine.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { safetyPatientFromCase } from '../../clinical/safety/patient.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import type { EvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { capMaxTokens, openAiServerUnderTest } from '../fixtures/llama-server.js';
import { freePort } from '../../lib/net.js';
import { createLogger } from '../../lib/log.js';

const TAG = '[model-openai-real]';
const note = (line: string) => process.stderr.write(`${TAG} ${line}\n`);

const server = await openAiServerUnderTest();
const skipReason = typeof server === 'string' ? server : '';
if (skipReason) note(`SKIPPED: ${skipReason}`);
const baseUrl = typeof server === 'string' ? '' : server.baseUrl;
const modelId = typeof server === 'string' ? '' : server.modelId;

/** The project's factory, configured as an entry point would be from the environment. */
function openAiHandle(url = baseUrl): ChatModelHandle {
  return createChatModel({
    KEDREC_LLM_PROVIDER: 'openai-compatible',
    OLLAMA_BASE_URL: 'http://127.0.0.1:11434',
    KEDREC_MODEL: modelId,
    KEDREC_OPENAI_BASE_URL: url,
    KEDREC_OPENAI_API_KEY: undefined,
  });
}

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);
const LONG_PROMPT = 'Write a very long, detailed essay about the history of medicine, from antiquity to today, with many sections.';
const CASE = 'A 60-year-old man with type 2 diabetes mellitus.';

describe.skipIf(!!skipReason)(`openai-compatible provider against a real llama.cpp server${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let graph: GraphStore;
  let safety: SafetyEngine;
  let evidence: EvidenceStore;
  const tier0 = performance.now();

  beforeAll(() => {
    note(`server ${baseUrl}, model "${modelId}"`);
    const db = openKnowledgeBase(inject('kbPath'));
    graph = createSqliteGraphStore(db);
    safety = openSafetyEngine(db, graph).engine;
    evidence = createEvidenceStore({ db });
  });
  afterAll(async () => {
    await graph?.close();
    note(`tier finished in ${seconds(tier0)} s`);
  });

  it('answers a one-line prompt; the probe says ok, and says why not for a wrong URL', async () => {
    const t0 = performance.now();
    const handle = openAiHandle();
    expect(handle.provider).toBe('openai-compatible');
    expect(handle.modelName).toBe(modelId);
    capMaxTokens(handle.model, 24);
    expect(await handle.probe()).toEqual({ ok: true });
    const ai = await handle.model!.invoke([new HumanMessage('Reply with one word: hello.')]);
    expect(textOf(ai).trim().length).toBeGreaterThan(0);
    note(`one-line answer ${JSON.stringify(textOf(ai).slice(0, 80))} (usage ${JSON.stringify(ai.usage_metadata ?? {})})`);

    // Nothing listens there: the probe names the server and the failure.
    const down = `http://127.0.0.1:${await freePort()}/v1`;
    const p1 = await openAiHandle(down).probe();
    expect(p1.ok).toBe(false);
    expect(p1.reason).toContain(down);
    expect(p1.reason).toMatch(/unreachable/);
    // The server is up but this is not its API root: the HTTP status is in the reason.
    const wrongPath = `${new URL(baseUrl).origin}/not-v1`;
    const p2 = await openAiHandle(wrongPath).probe();
    expect(p2).toMatchObject({ ok: false });
    expect(p2.reason).toMatch(/HTTP 404/);
    note(`probe reasons: ${p1.reason} | ${p2.reason}`);
    note(`test 1 took ${seconds(t0)} s`);
  }, 120_000);

  it('streams: tokens arrive in more than one chunk', async () => {
    const t0 = performance.now();
    const handle = openAiHandle();
    capMaxTokens(handle.model, 40);
    const chunks: string[] = [];
    let firstAt = 0;
    for await (const c of await handle.model!.stream([new HumanMessage('Count from 1 to 10, separated by commas.')])) {
      if (!chunks.length) firstAt = performance.now();
      chunks.push(textOf(c));
    }
    const text = chunks.join('');
    expect(chunks.length).toBeGreaterThan(1);
    expect(text.trim().length).toBeGreaterThan(0);
    note(`streamed ${chunks.length} chunks, first after ${((firstAt - t0) / 1000).toFixed(1)} s: ${JSON.stringify(text.slice(0, 60))}`);
    note(`test 2 took ${seconds(t0)} s`);
  }, 120_000);

  it('an AbortSignal stops a long streamed generation, and the server answers the next request', async () => {
    const t0 = performance.now();
    const handle = openAiHandle();
    capMaxTokens(handle.model, 600);
    const ac = new AbortController();
    let chunks = 0;
    const run = (async () => {
      for await (const _ of await handle.model!.stream([new HumanMessage(LONG_PROMPT)], { signal: ac.signal })) {
        if (++chunks === 3) ac.abort();
      }
    })();
    await expect(run).rejects.toThrow(/abort/i);
    // Stopped near where it was aborted, not after the 600 tokens it was allowed.
    expect(chunks).toBeLessThan(100);
    const aborted = performance.now();
    const again = openAiHandle();
    capMaxTokens(again.model, 16);
    const ai = await again.model!.invoke([new HumanMessage('Say OK.')]);
    expect(textOf(ai).trim().length).toBeGreaterThan(0);
    note(`stream aborted after ${chunks} chunks at ${((aborted - t0) / 1000).toFixed(1)} s; next request answered ${seconds(aborted)} s later`);
    note(`test 3 took ${seconds(t0)} s`);
  }, 180_000);

  it('an AbortSignal (timeout) rejects a long non-streamed call promptly, and the server answers the next request', async () => {
    const t0 = performance.now();
    const handle = openAiHandle();
    // The server does not notice a dropped non-streamed request: it finishes the generation
    // (at most this many tokens) before it serves the next one. 300 tokens cannot be written in the
    // 500 ms before the abort (that would be 600 tokens/s on one CPU thread).
    capMaxTokens(handle.model, 300);
    await expect(handle.model!.invoke([new HumanMessage(LONG_PROMPT)], { signal: AbortSignal.timeout(500) })).rejects.toThrow(/abort|timed? ?out/i);
    const rejected = performance.now();
    expect(rejected - t0).toBeLessThan(30_000);
    const again = openAiHandle();
    capMaxTokens(again.model, 16);
    const ai = await again.model!.invoke([new HumanMessage('Say OK.')]);
    expect(textOf(ai).trim().length).toBeGreaterThan(0);
    note(`non-streamed call rejected after ${((rejected - t0) / 1000).toFixed(1)} s; next request answered ${seconds(rejected)} s later`);
    note(`test 4 took ${seconds(t0)} s`);
  }, 180_000);

  it('pointing the Ollama provider at this (non-Ollama) server: its probe says why not', async () => {
    const origin = new URL(baseUrl).origin;
    const p = await ollamaProbe(origin, modelId)();
    expect(p.ok).toBe(false);
    expect(p.reason).toContain(origin);
    expect(p.reason).toMatch(/HTTP 404/);
    note(`ollama probe against the OpenAI-compatible server: ${p.reason}`);
  }, 30_000);

  for (const mode of ['retrieve-then-generate', 'tool-calling'] as const) {
    it(`the whole agent (${mode}) over the real KB answers a case; safety and citation checks hold`, async () => {
      const t0 = performance.now();
      const handle = openAiHandle();
      capMaxTokens(handle.model, 160);
      const logs: string[] = [];
      const agent = makeAgent({
        model: handle.model,
        probe: handle.probe,
        provider: handle.provider,
        modelName: handle.modelName,
        deps: { graph, safety, evidence },
        mode,
        maxToolRounds: 2,
        modelTimeoutMs: 120_000,
        toolTimeoutMs: 15_000,
        // As configured by default (KEDREC_MODEL_CASE_EXTRACTION=true): the model also reads the case.
        llmCaseExtraction: true,
        log: createLogger('debug', (l) => void logs.push(l.trimEnd())),
      });
      const events: ChatEvent[] = [];
      let firstToken = 0;
      for await (const e of agent.stream({ threadId: `real-${mode}`, message: CASE })) {
        if (e.type === 'token' && !firstToken) firstToken = performance.now();
        events.push(e);
      }
      const errors = events.filter((e) => e.type === 'error');
      expect(errors).toEqual([]);
      const final = events.find((e) => e.type === 'final');
      expect(final?.type).toBe('final');
      const answer = (final as { answer: FinalAnswer }).answer;

      // Either the model wrote it, or the fallback says plainly that it did not.
      if (answer.mode === 'evidence-only') expect(answer.notices.join(' ')).toMatch(/language model (failed|is not reachable|was stopped)|The model was stopped/i);
      else expect(answer.mode).toBe('model');
      expect(answer.text.trim().length).toBeGreaterThan(0);
      expect(answer.disclaimer).toMatch(/does not replace/);

      // The case is read by code, whatever the model does.
      expect(answer.case).toMatchObject({ age: 60, sex: 'male' });
      expect(answer.case.conditions.join(' ')).toMatch(/DOID:9352/);

      // Every recommended drug passed the safety engine: none is among the exclusions, and an
      // independent check of the same case excludes none of them.
      const excludedIds = new Set(answer.excluded.map((e) => e.drug.id));
      for (const r of answer.recommendations) expect(excludedIds.has(r.drug.id), `${r.drug.name} is recommended and excluded`).toBe(false);
      const tracked = (await applyCaseDelta(graph, emptyCase(), parseCaseDelta(CASE), CASE, safety.knowledge)).case;
      if (answer.recommendations.length) {
        const report = await safety.check(answer.recommendations.map((r) => r.drug), safetyPatientFromCase(safety.knowledge, tracked));
        for (const r of answer.recommendations) expect(exclusionOf(report.verdicts.get(r.drug.id)!), `${r.drug.name} fails the safety check`).toBeUndefined();
      }

      // Citations no tool returned are removed and listed; none survives in the answer's body.
      expect(Array.isArray(answer.removedCitations)).toBe(true);
      const body = answer.text.split('\n\nNote:')[0];
      for (const id of answer.removedCitations) expect(body).not.toContain(id);

      const tokens = events.filter((e) => e.type === 'token').length;
      note(
        `${mode}: mode=${answer.mode}, ${answer.recommendations.length} recommended (${answer.recommendations.map((r) => r.drug.name).join(', ') || 'none'}), ` +
          `${answer.excluded.length} excluded, ${answer.removedCitations.length} citation(s) removed, ${tokens} token event(s)${firstToken ? ` (first after ${((firstToken - t0) / 1000).toFixed(1)} s)` : ''}, took ${seconds(t0)} s`,
      );
      if (answer.mode === 'evidence-only') note(`${mode}: fallback notices: ${answer.notices.join(' | ').slice(0, 600)}`);
      for (const l of logs) note(`${mode}: agent log: ${l.slice(0, 400)}`);
      note(`${mode}: answer text: ${JSON.stringify(answer.text.slice(0, 400))}`);
    }, 300_000);
  }

  it('an answer the server cut at its token limit (finish_reason "length") before it named a drug: the evidence-only answer, and a notice saying why', async () => {
    // The limit as a deployment sets it (KEDREC_MODEL_MAX_TOKENS).
    const handle = createChatModel({
      KEDREC_LLM_PROVIDER: 'openai-compatible',
      OLLAMA_BASE_URL: 'http://127.0.0.1:11434',
      KEDREC_MODEL: modelId,
      KEDREC_OPENAI_BASE_URL: baseUrl,
      KEDREC_MODEL_MAX_TOKENS: 8,
    });
    const agent = makeAgent({
      model: handle.model,
      probe: handle.probe,
      provider: handle.provider,
      modelName: handle.modelName,
      deps: { graph, safety, evidence },
      mode: 'retrieve-then-generate',
      modelTimeoutMs: 120_000,
      llmCaseExtraction: false,
    });
    const answer = await agent.invoke({ threadId: 'real-cut', message: CASE });
    // Eight tokens name no candidate ("Selected drugs: You are KEDRec, …" is what this model writes).
    expect(answer.mode, answer.notices.join(' | ')).toBe('evidence-only');
    expect(answer.notices.join(' '), answer.text).toMatch(/token limit \(KEDREC_MODEL_MAX_TOKENS\) before naming a candidate drug/);
    expect(answer.recommendations.length).toBeGreaterThan(0);
  }, 180_000);
});
