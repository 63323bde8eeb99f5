import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCheckpointer } from '../../agent/checkpointer.js';
import { ANONYMOUS, makeAgent } from '../../agent/index.js';
import type { ChatAgent } from '../../agent/types.js';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import type { GraphStore } from '../../kb/graph/store.js';
import { openKnowledgeBase } from '../../kb/open.js';

/**
 * Threads without a registry row: those a deployment wrote before thread ownership existed, and
 * any checkpoint that appears without one. They belong to `anonymous` (every such thread was
 * made without tokens): it keeps reading and continuing them, and a named principal gets
 * "no such thread" on read, continue and delete — never the thread itself.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-legacy-'));
const file = path.join(tmp, 'cp.sqlite');
let graph: GraphStore;
let openAgent: () => { agent: ChatAgent; cp: ReturnType<typeof createCheckpointer> };

beforeAll(() => {
  const db = openKnowledgeBase(inject('kbPath'));
  graph = createSqliteGraphStore(db);
  const safety = openSafetyEngine(db, graph).engine;
  openAgent = () => {
    const cp = createCheckpointer(file);
    return { agent: makeAgent({ deps: { graph, safety }, checkpointer: cp }), cp };
  };
});
afterAll(async () => {
  await graph.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ALICE = 'token:alice';

describe('threads without a registry row', () => {
  it('are registered to anonymous when the store is opened: anonymous keeps them, a named principal cannot take them', async () => {
    // A deployment from before the registry: threads in the checkpoints, no ownership rows.
    const before = openAgent();
    await before.agent.invoke({ threadId: 'legacy', message: 'Type 2 diabetes.' });
    before.cp.db.exec('DROP TABLE kedrec_threads');
    before.cp.close();

    const { agent, cp } = openAgent();
    expect(cp.db.prepare('SELECT owner, turns FROM kedrec_threads WHERE thread_id = ?').get('legacy')).toEqual({ owner: ANONYMOUS, turns: 0 });
    expect(await agent.getThread('legacy', ALICE)).toBeNull();
    await expect(agent.invoke({ threadId: 'legacy', message: 'She has no diabetes and is allergic to metformin.', principal: ALICE })).rejects.toMatchObject({ code: 'thread_not_found' });
    expect(await agent.deleteThread('legacy', ALICE)).toBe(false);
    // Anonymous goes on with the same conversation.
    expect((await agent.getThread('legacy'))?.case.conditions).toEqual(['type 2 diabetes mellitus (DOID:9352)']);
    const next = await agent.invoke({ threadId: 'legacy', message: 'She also takes warfarin.' });
    expect(next.case.conditions).toEqual(['type 2 diabetes mellitus (DOID:9352)']);
    cp.close();
  });

  it('a checkpoint that appears without a row after open is forbidden to named principals, never free to claim', async () => {
    const { agent, cp } = openAgent();
    await agent.invoke({ threadId: 'source', message: 'Hypertension.' });
    // Another writer (an older process on the same file) leaves a thread behind the registry's back.
    cp.db.exec(`INSERT INTO checkpoints SELECT 'orphan', checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata FROM checkpoints WHERE thread_id = 'source';
      INSERT INTO writes SELECT 'orphan', checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value FROM writes WHERE thread_id = 'source';`);
    expect(cp.db.prepare('SELECT COUNT(*) FROM kedrec_threads WHERE thread_id = ?').pluck().get('orphan')).toBe(0);

    expect(await agent.getThread('orphan', ALICE)).toBeNull();
    expect(await agent.deleteThread('orphan', ALICE)).toBe(false);
    await expect(agent.invoke({ threadId: 'orphan', message: 'Type 2 diabetes.', principal: ALICE })).rejects.toMatchObject({ code: 'thread_not_found' });
    // Alice's attempt registered the thread to its legacy owner, not to her.
    expect(cp.db.prepare('SELECT owner FROM kedrec_threads WHERE thread_id = ?').pluck().get('orphan')).toBe(ANONYMOUS);
    expect(cp.db.prepare('SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?').pluck().get('orphan')).toBe(1);
    expect((await agent.getThread('orphan'))?.case.conditions).toEqual(['hypertension (DOID:10763)']);
    expect(await agent.deleteThread('orphan')).toBe(true);
    cp.close();
  });
});
