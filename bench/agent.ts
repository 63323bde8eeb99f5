import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { makeAgent } from '../agent/index.js';
import { loadConfig } from '../config.js';
import { createEvidenceStore } from '../kb/corpus/store.js';
import { createSqliteGraphStore } from '../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../kb/open.js';
import { openSafetyEngine } from '../clinical/safety/open.js';
import type { ToolDeps } from '../tools/spec.js';

export interface AgentBenchOptions {
  kbPath: string;
  /** Turns timed per figure (default 60). */
  iterations?: number;
  /** Where the report lines go (default stdout: the bench is a CLI command). */
  print?: (line: string) => void;
}

const CASES = [
  'A 62-year-old woman with type 2 diabetes.',
  'Man, 55, with hypertension, currently on warfarin.',
  'Patient with type 2 diabetes and hypertension, takes aspirin. Allergic to penicillin.',
  'A 40-year-old man with asthma.',
  'Woman with rheumatoid arthritis, taking methotrexate.',
];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 10) / 10;
}

/**
 * Agent benchmarks. "Overhead" is a whole tool-calling turn with a scripted model (fakeModel:
 * no model time) against the real KB and tools: case extraction, one real tool call, citation
 * and safety checks, checkpointing, streaming. "Evidence-only" is a whole turn answered by the
 * deterministic recommender. Each turn starts a new thread, so no cache of the thread helps.
 */
export async function runAgentBench(opts: AgentBenchOptions): Promise<Record<string, number>> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const n = opts.iterations ?? 60;
  const db = openKnowledgeBase(opts.kbPath);
  const graph = createSqliteGraphStore(db);
  const deps: ToolDeps = { graph, safety: openSafetyEngine(db, graph).engine };
  try {
    // Kept only when a probe query answers: a corpus that opens but cannot be searched would fail every turn.
    const evidence = createEvidenceStore({ db });
    await evidence.searchTrials({ text: 'metformin', limit: 1, source: 'offline' });
    deps.evidence = evidence;
  } catch {
    print('agent bench: no trial/article corpus in this KB; evidence from the graph only');
  }

  const model = fakeModel();
  const scripted = makeAgent({ model, deps });
  const overhead: number[] = [];
  for (let i = 0; i < n + 5; i++) {
    model
      .respondWithTools([{ name: 'find_drugs_for_condition', args: { condition: i % 2 ? 'hypertension' : 'type 2 diabetes mellitus', limit: 20 }, id: `b${i}` }])
      .respond(new AIMessage(i % 2 ? '1. Lisinopril (DB00722): recorded treatment [DB00722-CtD-DOID:10763] [PMID:1].' : '1. Metformin (DB00331): recorded treatment [DB00331-CtD-DOID:9352].'));
    const t = performance.now();
    await scripted.invoke({ threadId: `bench-o-${i}`, message: CASES[i % CASES.length] });
    if (i >= 5) overhead.push(performance.now() - t); // the first turns warm caches and JIT
  }

  const evidenceOnly = makeAgent({ deps });
  const eo: number[] = [];
  for (let i = 0; i < n + 5; i++) {
    const t = performance.now();
    await evidenceOnly.invoke({ threadId: `bench-e-${i}`, message: CASES[i % CASES.length] });
    if (i >= 5) eo.push(performance.now() - t);
  }
  await graph.close();

  const out = {
    agentOverheadP50Ms: pct(overhead, 50),
    agentOverheadP95Ms: pct(overhead, 95),
    evidenceOnlyP50Ms: pct(eo, 50),
    evidenceOnlyP95Ms: pct(eo, 95),
    turns: n,
  };
  print(`agent turn overhead (scripted model, real tools, ${n} turns): p50 ${out.agentOverheadP50Ms} ms, p95 ${out.agentOverheadP95Ms} ms (target p95 < 100 ms)`);
  print(`evidence-only answer (${n} cases): p50 ${out.evidenceOnlyP50Ms} ms, p95 ${out.evidenceOnlyP95Ms} ms (target p95 < 300 ms)`);
  return out;
}

// Run directly: npx tsx bench/agent.ts [kbPath]
if (import.meta.url === `file://${process.argv[1]}`) {
  await runAgentBench({ kbPath: process.argv[2] ?? loadConfig().KEDREC_KB_PATH });
}
