import { z } from 'zod';
import type { SafetyEngine } from '../clinical/safety/engine.js';
import type { EvidenceStore } from '../kb/corpus/store.js';
import type { GraphStore } from '../kb/graph/store.js';

/**
 * Everything a tool handler may use, and nothing else: a part a new tool needs is added here as a
 * named field. Fields are optional where a deployment may lack the part (no corpus in a graph-only
 * KB); a handler that needs a missing part fails with a ToolError. The same parts as ClinicalDeps,
 * except that safety is optional here: the graph and evidence tools run without it, and
 * `clinicalDeps()` (tools/patient-input.ts) narrows to ClinicalDeps for the tools that need it.
 */
export interface ToolDeps {
  /** The knowledge graph (SQLite or Neo4j backend): every graph tool and the case reader use it. */
  graph: GraphStore;
  /** Trial and article retrieval (offline corpus, live APIs, dense search): the evidence tools fail without it. */
  evidence?: EvidenceStore;
  /** The safety engine over the KB's rule tables: recommend_drugs and check_safety refuse to run without it. */
  safety?: SafetyEngine;
}

/**
 * An expected failure: unknown entity, no results, invalid combination. The message says what
 * was wrong and what is valid; adapters turn it into an MCP `isError` result or an error
 * ToolMessage, never into something that looks like success.
 */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/**
 * One tool, feeding both the LangChain and the MCP adapter. `handler`, `render` and `summarize`
 * are declared as methods, not function-typed properties, on purpose: TypeScript checks method
 * parameters bivariantly, so every specific `ToolSpec<I, O>` from defineTool is assignable to the
 * plain `ToolSpec` that tool lists and adapters take, with no cast.
 */
export interface ToolSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  /** snake_case, verb first. */
  name: string;
  title: string;
  /** When to use the tool and when not to. */
  description: string;
  /** Strict object schema: every field described and bounded. */
  input: I;
  output: O;
  /** True when the tool may reach live internet APIs (ClinicalTrials.gov, NCBI). */
  openWorld: boolean;
  handler(args: z.infer<I>, deps: ToolDeps): Promise<z.infer<O>>;
  /** A short human-readable rendering of a result, for text-only clients and chat logs. */
  render?(result: z.infer<O>): string;
  /**
   * The result as an MCP client's model should read it by default (arguments without
   * `detail: "full"`): text written for a model and trimmed structured content. Absent: the full
   * rendering and result.
   */
  summarize?(result: z.infer<O>): { text: string; structured: Record<string, unknown> };
}

/** Declares a tool; the identity function exists so TypeScript infers the schemas' types. */
export function defineTool<I extends z.ZodObject, O extends z.ZodType>(spec: ToolSpec<I, O>): ToolSpec<I, O> {
  return spec;
}

/** Formats zod issues as one line each, naming the field and, for unknown keys, the valid ones. */
export function describeInputIssues(spec: ToolSpec, error: z.ZodError): string {
  const valid = Object.keys(spec.input.shape);
  const lines = error.issues.map((i) => {
    const at = i.path.length ? i.path.join('.') : '(arguments)';
    if (i.code === 'unrecognized_keys') {
      return `unknown argument(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}; valid arguments are: ${valid.join(', ')}`;
    }
    return `${at}: ${i.message}`;
  });
  return `Invalid arguments for ${spec.name}: ${lines.join('; ')}`;
}

/**
 * Validates raw arguments, runs the handler, and checks the result against the output schema.
 * Unexpected exceptions propagate; callers decide how to surface them.
 */
export async function runTool<I extends z.ZodObject, O extends z.ZodType>(
  spec: ToolSpec<I, O>,
  rawArgs: unknown,
  deps: ToolDeps,
): Promise<z.infer<O>> {
  const parsed = spec.input.safeParse(rawArgs ?? {});
  if (!parsed.success) throw new ToolError(describeInputIssues(spec, parsed.error));
  const result = await spec.handler(parsed.data as z.infer<I>, deps);
  const checked = spec.output.safeParse(result);
  if (!checked.success) {
    // A result that breaks its own schema is a bug in the tool, not a user error.
    throw new Error(`${spec.name} produced output that does not match its schema: ${checked.error.message}`);
  }
  return checked.data as z.infer<O>;
}

/** Text form of a result: the tool's own rendering, else indented JSON. */
export function renderResult(spec: ToolSpec, result: unknown): string {
  return spec.render ? spec.render(result) : JSON.stringify(result, null, 2);
}

/** Schema pieces shared by tool outputs, so every tool cites sources the same way. */
export const provenanceSchema = z.object({
  source: z.string(),
  license: z.string(),
  pmids: z.array(z.string()).optional(),
  detail: z.string().optional(),
});

export const entityRefSchema = z.object({ id: z.string(), kind: z.string(), name: z.string() });
export const indicationRelationSchema = z.enum(['treats', 'palliates', 'indicated']);
export const indicationTierSchema = z.enum(['curated', 'label', 'approved', 'label_mined', 'ehr_or_predicted', 'investigational']);
