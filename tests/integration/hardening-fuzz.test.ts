import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../lib/log.js';
import { recommendDrugsTool } from '../../tools/recommend-drugs.js';
import { runTool, ToolError, type ToolSpec } from '../../tools/spec.js';
import { openTestDeps } from '../fixtures/serve-deps.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';

/**
 * Property-based tests over the public inputs: every tool's arguments and the chat API's body.
 * Bounded (fixed seed, fixed number of runs) so CI is deterministic and fast; the property is
 * that bad input is answered as a user error, never as a crash or an unhandled rejection.
 */
const SEED = 20261124;

let deps: ReturnType<typeof openTestDeps>;
let tools: ToolSpec[];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => {
  deps = openTestDeps(inject('kbPath'));
  tools = [recommendDrugsTool, ...deps.tools];
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await deps?.close();
  expect(unhandled).toEqual([]);
});

/** Strings that stress parsers: SQL/FTS/Cypher metacharacters, unicode, control characters, plausible names. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('aspirin', 'metformin', 'DB00331', 'DOID:9352', 'NCT00000620', '9742976', 'type 2 diabetes', "'; DROP TABLE nodes;--", '"', '*', 'NEAR(', 'MATCH (n) RETURN n', '\u0000', '💊', '', ' ', 'a'.repeat(600)),
);
const value = fc.oneof(
  nasty,
  fc.integer({ min: -1000, max: 100_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(nasty, { maxLength: 6 }),
  fc.dictionary(fc.string({ maxLength: 5 }), nasty, { maxKeys: 3 }),
);

const names = fc.constantFrom('aspirin', 'metformin', 'warfarin', 'type 2 diabetes', 'DB00331', 'DOID:9352', 'hypertension', 'asthma');
const ARRAY_KEYS = new Set(['drugs', 'conditions', 'current_medications', 'allergies', 'kinds', 'relations', 'medications']);

/** A well-typed value for a field, by name: the fuzz must reach the handlers, not only the schema check. */
function plausible(key: string) {
  if (key === 'limit' || key.endsWith('_limit') || key === 'max_hops') return fc.integer({ min: 1, max: 10 });
  if (key === 'age') return fc.integer({ min: 0, max: 110 });
  if (key.startsWith('year')) return fc.integer({ min: 1990, max: 2024 });
  if (ARRAY_KEYS.has(key)) return fc.array(names, { minLength: 1, maxLength: 4 });
  if (key === 'nct_id') return fc.constantFrom('NCT00000620', 'NCT99999999');
  if (key === 'pmid') return fc.constantFrom('9742976', '1');
  return fc.oneof(names, nasty);
}

/** Arguments: mostly well-formed (real keys, plausible or hostile values), some with unknown keys, some arbitrary. */
function argsFor(spec: ToolSpec) {
  const shape = spec.input.shape as Record<string, { isOptional(): boolean }>;
  const keys = Object.keys(shape);
  const required = keys.filter((k) => !shape[k]!.isOptional());
  const wellFormed = fc.record(
    Object.fromEntries(keys.map((k) => [k, fc.oneof({ weight: 4, arbitrary: plausible(k) }, { weight: 1, arbitrary: value })])),
    { requiredKeys: required },
  );
  const minimal = fc.record(Object.fromEntries(required.map((k) => [k, plausible(k)])));
  return fc.oneof(
    { weight: 3, arbitrary: minimal },
    { weight: 4, arbitrary: wellFormed },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), value, { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
  );
}

describe('fuzzing the public tool inputs', () => {
  it('every tool answers a result or a ToolError for arbitrary arguments', async () => {
    const reached = { ok: 0, toolError: 0 };
    for (const spec of tools) {
      await fc.assert(
        fc.asyncProperty(argsFor(spec), async (args) => {
          try {
            await runTool(spec, args, deps.toolDeps);
            reached.ok += 1;
          } catch (err) {
            reached.toolError += 1;
            if (!(err instanceof ToolError)) throw new Error(`${spec.name}(${JSON.stringify(args)?.slice(0, 300)}) threw ${(err as Error).name}: ${(err as Error).message}`);
            expect((err as Error).message.length).toBeGreaterThan(5);
          }
        }),
        { seed: SEED, numRuns: spec.name === 'recommend_drugs' ? 15 : 30, endOnFailure: true },
      );
    }
    // The generators must reach the handlers, not only the schema check.
    expect(reached.ok).toBeGreaterThan(10);
  }, 60_000);
});

describe('fuzzing the chat API body', () => {
  it('answers 200 or a 4xx JSON error for any JSON body, never 5xx', async () => {
    const { app } = createApp({
      agent: scriptedAgent(),
      checkKb: async () => {},
      options: { allowedHosts: ['localhost'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 50_000 },
      log: silentLogger,
    });
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ message: value, thread_id: fc.option(value), stream: fc.option(value) }, { requiredKeys: ['message'] }).map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('/v1/chat', '/v1/chat/completions'), async (b, path) => {
        const r = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
        expect(r.status === 200 || (r.status >= 400 && r.status < 500), `${r.status} for ${b.slice(0, 200)}`).toBe(true);
        const text = await r.text();
        if (r.status !== 200) expect((JSON.parse(text) as { error: { code: string } }).error.code).toBeTruthy();
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 30_000);
});
