import { fakeModel } from '@langchain/core/testing';
import { describe, expect, it } from 'vitest';
import { buildAgentGraph, NODE_NAMES, type AgentMode } from '../../agent/graph.js';
import { defaultTools } from '../../agent/index.js';
import { silentLogger } from '../../lib/log.js';
import type { SafetyEngine } from '../../clinical/safety/engine.js';
import type { GraphStore } from '../../kb/graph/store.js';
import type { ToolDeps } from '../../tools/spec.js';

// Drawing the graph runs no node, so the stores are never touched: empty stand-ins keep this test off the KB.
const deps: ToolDeps = { graph: {} as GraphStore, safety: {} as SafetyEngine };

/** The three ways a turn can run: no model at all, and the two ways of driving one. */
const MODES: { name: string; model: boolean; mode: AgentMode }[] = [
  { name: 'evidence-only (no model)', model: false, mode: 'tool-calling' },
  { name: 'tool-calling', model: true, mode: 'tool-calling' },
  { name: 'retrieve-then-generate', model: true, mode: 'retrieve-then-generate' },
];

function compile(c: (typeof MODES)[number]) {
  return buildAgentGraph({
    model: c.model ? fakeModel() : null,
    tools: defaultTools(deps),
    deps,
    mode: c.mode,
    maxToolRounds: 6,
    modelTimeoutMs: 1_000,
    toolTimeoutMs: 1_000,
    log: silentLogger,
  });
}

// A change to the graph's nodes or edges fails here first: update the snapshot only on purpose.
describe('agent graph shape', () => {
  it.each(MODES)('$name: the Mermaid drawing is pinned', async (c) => {
    const drawing = (await compile(c).getGraphAsync({})).drawMermaid();
    expect(drawing).toMatchSnapshot();
  });

  it.each(MODES)('$name: the typed node names are exactly the nodes drawn', async (c) => {
    const drawn = await compile(c).getGraphAsync({});
    const nodes = Object.keys(drawn.nodes).filter((n) => n !== '__start__' && n !== '__end__');
    expect(nodes).toEqual([...NODE_NAMES]);
    // The Mermaid text declares each node on its own line: the names reach the drawing itself.
    const declared = drawn.drawMermaid().match(/^\t(\w+)\(\1\)$/gm)?.map((l) => l.trim().replace(/\(.*$/, ''));
    expect(declared).toEqual([...NODE_NAMES]);
  });

  it('every mode has the same shape: the routers choose the path per turn, the wiring does not change', async () => {
    const [first, ...rest] = await Promise.all(MODES.map(async (c) => (await compile(c).getGraphAsync({})).drawMermaid()));
    for (const d of rest) expect(d).toBe(first);
  });
});
