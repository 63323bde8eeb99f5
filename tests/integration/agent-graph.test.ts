import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AIMessage, type ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCheckpointer } from '../../agent/checkpointer.js';
import { makeAgent } from '../../agent/index.js';
import type { ChatEvent } from '../../agent/types.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import type { SafetyEngine } from '../../clinical/safety/engine.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { silentLogger } from '../../lib/log.js';

let graph: GraphStore;
let safety: SafetyEngine;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-agent-'));
const quiet = silentLogger;

beforeAll(() => {
  const db = openKnowledgeBase(inject('kbPath'));
  graph = createSqliteGraphStore(db);
  safety = openSafetyEngine(db, graph).engine;
});
afterAll(async () => {
  await graph.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}
const finalOf = (evs: ChatEvent[]) => {
  const f = evs.find((e) => e.type === 'final');
  if (!f || f.type !== 'final') throw new Error(`no final event: ${JSON.stringify(evs.filter((e) => e.type === 'error'))}`);
  return f.answer;
};

describe('agent, tool-calling mode with a scripted model over the real KB', () => {
  it('carries a case over three turns: diagnosis, an interacting current drug, "why not X?"', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'find_drugs_for_condition', args: { condition: 'type 2 diabetes mellitus', limit: 50 }, id: 't1' }])
      .respond(new AIMessage('1. Metformin (DB00331): a recorded first-line treatment [DB00331-CtD-DOID:9352].'))
      .respondWithTools([{ name: 'check_interactions', args: { drugs: ['metformin', 'aspirin'] }, id: 't2' }])
      .respond(new AIMessage('1. Metformin (DB00331): still appropriate [DB00331-CtD-DOID:9352]; monitor glucose with aspirin.'))
      .respondWithTools([{ name: 'explain_drug_condition_link', args: { drug: 'glipizide', condition: 'DOID:9352' }, id: 't3' }])
      .respond((messages: BaseMessage[]) => {
        const tool = messages.at(-1) as ToolMessage;
        return new AIMessage(`Glipizide (DB01067) also treats type 2 diabetes [DB01067-CtD-DOID:9352], but it causes hypoglycaemia; metformin stays first. (tool said: ${String(tool.content).slice(0, 40)})`);
      });
    const agent = makeAgent({ model, deps: { graph, safety }, log: quiet });

    const a1 = finalOf(await collect(agent.stream({ threadId: 'mt', message: 'A 58-year-old woman with type 2 diabetes. What should she take?' })));
    expect(a1.mode).toBe('model');
    expect(a1.case).toMatchObject({ age: 58, sex: 'female' });
    expect(a1.case.conditions).toEqual(['type 2 diabetes mellitus (DOID:9352)']);
    expect(a1.recommendations.map((r) => r.drug.id)).toEqual(['DB00331']);
    expect(a1.recommendations[0].evidence.map((e) => e.id)).toContain('DB00331-CtD-DOID:9352');
    expect(a1.removedCitations).toEqual([]);
    expect(a1.disclaimer).toMatch(/does not replace/);

    const ev2 = await collect(agent.stream({ threadId: 'mt', message: 'She also takes aspirin daily.' }));
    const a2 = finalOf(ev2);
    expect(a2.case.currentMedications).toEqual(['Acetylsalicylic acid (DB00945)']);
    expect(a2.case.conditions).toEqual(['type 2 diabetes mellitus (DOID:9352)']);
    expect(ev2.filter((e) => e.type === 'tool_result').map((e) => e.type === 'tool_result' && e.ok)).toEqual([true]);
    // The interaction warning comes from the safety check in code, whatever the model wrote.
    const inter = a2.warnings.find((w) => w.kind === 'interaction');
    // Worded without direction: the DeepDDI row's drug order is not reliable (see ddi-direction.test.ts).
    expect(inter?.message).toMatch(/Acetylsalicylic acid.*Metformin/);
    expect(inter?.message).not.toMatch(/may increase the \w+ activities of/);
    expect(inter?.evidence?.[0].id).toBe('DDI:DB00331-DB00945');
    expect(a2.recommendations[0].warnings.some((w) => w.kind === 'interaction')).toBe(true);
    expect(a2.text).toMatch(/Safety check \(by code\)/);

    const a3 = finalOf(await collect(agent.stream({ threadId: 'mt', message: 'Why not glipizide?' })));
    expect(a3.text).toMatch(/Glipizide/);
    expect(a3.removedCitations).toEqual([]);
    expect(a3.case.currentMedications).toEqual(['Acetylsalicylic acid (DB00945)']);
    // The model saw the whole conversation, not just the last message.
    const lastCall = model.calls.at(-1)!.messages.map((m) => String(m.content)).join('\n');
    expect(lastCall).toContain('A 58-year-old woman');
    expect(lastCall).toContain('She also takes aspirin');
    const thread = await agent.getThread('mt');
    expect(thread?.messages.filter((m) => m.role === 'user')).toHaveLength(3);
  });

  it('removes a fabricated PMID from the answer and says so', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'find_drugs_for_condition', args: { condition: 'hypertension', limit: 50 }, id: 'f1' }])
      .respond(new AIMessage('1. Lisinopril (DB00722): ACE inhibitor [DB00722-CtD-DOID:10763] [PMID:99999999] and trial NCT99999999.'));
    const agent = makeAgent({ model, deps: { graph, safety }, log: quiet });
    const a = await agent.invoke({ threadId: 'fab', message: 'Patient with hypertension.' });
    expect(a.removedCitations.sort()).toEqual(['NCT99999999', 'PMID:99999999']);
    expect(a.text.split('\n\nNote:')[0]).not.toMatch(/99999999/);
    expect(a.text).toMatch(/citation\(s\) were removed because no tool/);
    expect(a.notices.join(' ')).toMatch(/Removed 2 citation/);
    expect(a.recommendations[0].drug.id).toBe('DB00722');
    expect(a.recommendations[0].evidence.map((e) => e.id)).toEqual(expect.arrayContaining(['DB00722-CtD-DOID:10763']));
    // The history keeps the checked text, so a later turn cannot repeat the fabricated ID.
    const thread = await agent.getThread('fab');
    const answers = thread?.messages.filter((m) => m.role === 'assistant') ?? [];
    expect(answers).toHaveLength(1);
    expect(answers[0].content.split('\n\nNote:')[0]).not.toMatch(/99999999/);
  });

  it('returns tool errors to the model as error ToolMessages and recovers', async () => {
    let sawError: ToolMessage | undefined;
    const model = fakeModel()
      .respondWithTools([
        { name: 'get_drug_profile', args: { drug: 'metfromine-xyz-unknown' }, id: 'e1' },
        { name: 'check_interactions', args: { drugz: ['a', 'b'] }, id: 'e2' },
      ])
      .respond((messages: BaseMessage[]) => {
        sawError = messages.find((m) => m.getType() === 'tool' && (m as ToolMessage).tool_call_id === 'e2') as ToolMessage;
        return new AIMessage({ content: '', tool_calls: [{ name: 'get_drug_profile', args: { drug: 'metformin' }, id: 'e3', type: 'tool_call' }] });
      })
      .respond(new AIMessage('1. Metformin (DB00331): profile retrieved after correcting the name.'));
    const agent = makeAgent({ model, deps: { graph, safety }, log: quiet });
    const evs = await collect(agent.stream({ threadId: 'err', message: 'Type 2 diabetes patient.' }));
    const results = evs.filter((e): e is Extract<ChatEvent, { type: 'tool_result' }> => e.type === 'tool_result');
    // The two calls of one round run in parallel, so their events may come in either order.
    expect(results.map((r) => [r.id, r.ok]).sort()).toEqual([['e1', false], ['e2', false], ['e3', true]]);
    expect(results.find((r) => r.id === 'e1')!.summary).toMatch(/No drug matches/);
    expect(sawError?.status).toBe('error');
    expect(String(sawError?.content)).toMatch(/unknown argument.*valid arguments are: drugs/);
    const a = finalOf(evs);
    expect(a.mode).toBe('model');
    expect(a.recommendations.map((r) => r.drug.id)).toEqual(['DB00331']);
  });

  it('stops a model that never stops calling tools at the round limit', async () => {
    const model = fakeModel();
    for (let i = 0; i < 10; i++) model.respondWithTools([{ name: 'resolve_entity', args: { query: 'metformin' }, id: `loop${i}` }]);
    const agent = makeAgent({ model, deps: { graph, safety }, maxToolRounds: 3, log: quiet });
    const a = await agent.invoke({ threadId: 'loop', message: 'type 2 diabetes' });
    expect(model.callCount).toBe(4);
    expect(a.mode).toBe('evidence-only');
    expect(a.notices.join(' ')).toMatch(/stopped after 3 tool rounds/);
    expect(a.recommendations.length).toBeGreaterThan(0);
    // The dangling tool call got an error answer, so the thread stays valid for the next turn.
    const thread = await agent.getThread('loop');
    expect(thread?.messages.filter((m) => m.role === 'tool').at(-1)?.content).toMatch(/not run: the limit of 3 tool rounds/);
  });

  it('falls back to evidence-only, with a notice, when the model call fails', async () => {
    const model = fakeModel().alwaysThrow(new Error('connect ECONNREFUSED 127.0.0.1:11434'));
    const agent = makeAgent({ model, deps: { graph, safety }, log: quiet });
    const evs = await collect(agent.stream({ threadId: 'down', message: 'hypertension' }));
    const a = finalOf(evs);
    expect(a.mode).toBe('evidence-only');
    expect(evs.some((e) => e.type === 'notice' && /ECONNREFUSED/.test(e.message))).toBe(true);
    expect(a.text).toMatch(/no language model wrote this/);
  });

  it('answers in evidence-only mode when the probe says the model is unreachable', async () => {
    const model = fakeModel();
    const agent = makeAgent({ model, deps: { graph, safety }, probe: async () => ({ ok: false, reason: 'Ollama unreachable' }), log: quiet });
    expect(await agent.modelStatus()).toMatchObject({ mode: 'evidence-only', reason: 'Ollama unreachable' });
    const a = await agent.invoke({ threadId: 'probe', message: 'hypertension' });
    expect(a.mode).toBe('evidence-only');
    expect(a.notices[0]).toMatch(/not reachable \(Ollama unreachable\)/);
    expect(model.callCount).toBe(0);
  });
});

describe('agent, retrieve-then-generate mode', () => {
  it('fills the KEDRec-LM instruction with retrieved candidates and evidence, then checks the answer', async () => {
    let instruction = '';
    const model = fakeModel().respond((messages: BaseMessage[]) => {
      instruction = String(messages.at(-1)!.content);
      const cand = /^1\. (.+) \((DB\d{5})\)$/m.exec(instruction)!;
      const fact = new RegExp(`\\[(${cand[2]}-CtD-DOID:9352)\\]`).exec(instruction)!;
      return new AIMessage(`${cand[1]} (${cand[2]})\nRationale: recorded treatment [${fact[1]}]; see also [PMID:12345].`);
    });
    const agent = makeAgent({ model, deps: { graph, safety }, mode: 'retrieve-then-generate', log: quiet });
    const a = await agent.invoke({ threadId: 'rtg', message: 'A man with type 2 diabetes.' });
    expect(instruction).toMatch(/### Candidate drugs\n1\. /);
    expect(instruction).toMatch(/### Background knowledge\n- \[DB\d{5}-CtD-DOID:9352\]/);
    expect(a.mode).toBe('model');
    expect(a.recommendations).toHaveLength(1);
    expect(a.recommendations[0].evidence.length).toBeGreaterThan(0);
    expect(a.removedCitations).toEqual(['PMID:12345']);
  });
});

describe('evidence-only mode on real cases', () => {
  const agent = () => makeAgent({ deps: { graph, safety }, log: quiet });

  it.each([
    ['type 2 diabetes', 'A 60-year-old man with type 2 diabetes mellitus.', 'DOID:9352'],
    ['hypertension', 'Woman, 45, with hypertension, currently on warfarin.', 'DOID:10763'],
  ])('%s: non-empty, cited, safety-checked recommendations', async (_name, message, doid) => {
    const a = await agent().invoke({ threadId: `eo-${doid}`, message });
    expect(a.mode).toBe('evidence-only');
    expect(a.text).toMatch(/no language model wrote this/);
    expect(a.recommendations.length).toBeGreaterThanOrEqual(3);
    for (const r of a.recommendations) {
      expect(r.evidence.some((e) => ['CtD', 'CpD', 'CiD'].some((rel) => e.id === `${r.drug.id}-${rel}-${doid}`)), r.drug.name).toBe(true);
      // The rationale explains; the score is data (score_components), not prose.
      expect(r.rationale).toMatch(/^(?:First-line for|Indication for) /);
      expect(r.rationale).not.toMatch(/Score \d/);
      expect(a.text).toContain(r.drug.id);
    }
    expect(a.removedCitations).toEqual([]);
    // Options across classes come first (clinical/recommender.ts acrossClasses), so ranks are not
    // strictly by score; the best-scoring drug still leads.
    const scores = a.recommendations.map((r) => r.score!);
    expect(scores[0]).toBe(Math.max(...scores));
  });

  it('updates the case across turns: adds a drug, removes a diagnosis, explains "why not"', async () => {
    const ag = agent();
    await ag.invoke({ threadId: 'upd', message: 'She has type 2 diabetes and hypertension.' });
    const a2 = await ag.invoke({ threadId: 'upd', message: 'She also takes warfarin. Why not aspirin?' });
    expect(a2.case.currentMedications).toEqual(['Warfarin (DB00682)']);
    expect(a2.text).toMatch(/Why not Acetylsalicylic acid\?/);
    // The reviewed anticoagulant + antiplatelet rule answers, with its label citation, in no reversed direction.
    expect(a2.text).toMatch(/Acetylsalicylic acid — current medication Warfarin: .*bleeding/i);
    expect(a2.text).toMatch(/dailymed\.nlm\.nih\.gov/);
    expect(a2.text).not.toMatch(/Warfarin may increase the anticoagulant activities of/);
    const a3 = await ag.invoke({ threadId: 'upd', message: 'Actually she is not diabetic, and she stopped warfarin.' });
    expect(a3.case.conditions).toEqual(['hypertension (DOID:10763)']);
    expect(a3.case.currentMedications).toEqual([]);
  });

  it('adds trial and literature evidence when the KB has the corpus', async () => {
    const db = openKnowledgeBase(inject('kbPath'));
    const ag = makeAgent({ deps: { graph, safety, evidence: createEvidenceStore({ db, log: quiet }) }, log: quiet });
    const a = await ag.invoke({ threadId: 'eo-corpus', message: 'A 60-year-old man with type 2 diabetes mellitus.' });
    const text = a.recommendations.flatMap((r) => r.evidence).filter((e) => e.type === 'trial' || e.type === 'article');
    expect(text.length).toBeGreaterThan(0);
    for (const e of text) expect(e.url).toMatch(/^https:\/\/(clinicaltrials\.gov|pubmed\.ncbi\.nlm\.nih\.gov)\//);
    expect(a.notices.join(' ')).not.toMatch(/No trial\/literature corpus/);
    db.close();
  });

  it('leaves out a drug the patient is allergic to', async () => {
    const a = await agent().invoke({ threadId: 'allergy', message: 'Hypertension. Allergic to lisinopril.' });
    expect(a.case.allergies).toEqual(['Lisinopril (DB00722)']);
    expect(a.recommendations.map((r) => r.drug.id)).not.toContain('DB00722');
  });
});

describe('conversation persistence', () => {
  it('continues a thread after the checkpointer is reopened on the same file', async () => {
    const file = path.join(tmp, 'checkpoints.sqlite');
    const cp1 = createCheckpointer(file);
    const agent1 = makeAgent({ deps: { graph, safety }, checkpointer: cp1, log: quiet });
    await agent1.invoke({ threadId: 'persist', message: 'A 70-year-old man with hypertension.' });
    cp1.close();

    const cp2 = createCheckpointer(file);
    const agent2 = makeAgent({ deps: { graph, safety }, checkpointer: cp2, log: quiet });
    const before = await agent2.getThread('persist');
    expect(before?.case).toMatchObject({ age: 70, sex: 'male', conditions: ['hypertension (DOID:10763)'] });
    const a = await agent2.invoke({ threadId: 'persist', message: 'He also takes warfarin.' });
    expect(a.case.conditions).toEqual(['hypertension (DOID:10763)']);
    expect(a.case.currentMedications).toEqual(['Warfarin (DB00682)']);
    expect((await agent2.getThread('persist'))?.messages.filter((m) => m.role === 'user')).toHaveLength(2);
    expect(await agent2.deleteThread('persist')).toBe(true);
    expect(await agent2.getThread('persist')).toBeNull();
    expect(await agent2.deleteThread('persist')).toBe(false);
    cp2.close();
  });
});
