import fs from 'node:fs';
import type { z } from 'zod';

/**
 * Reading an eval item set (a JSON array of items with ids): every problem is reported, each naming
 * the item (index and id) and the field, so a bad edit to a fixture is found at once.
 */

type Issue = z.core.$ZodIssue;

/** A union branch that failed only because the value is of another shape (a string where an object is, …). */
const wrongShape = (branch: Issue[]): boolean =>
  branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || (i.code === 'invalid_union' && i.errors.every(wrongShape))));

/**
 * The issues with unions opened: where exactly one branch matches the value's shape, its own issues
 * (with their field paths) stand in for the union's "Invalid input".
 */
function openIssues(issues: Issue[], prefix: PropertyKey[] = []): { path: PropertyKey[]; message: string; keys?: string[] }[] {
  const out: { path: PropertyKey[]; message: string; keys?: string[] }[] = [];
  for (const i of issues) {
    const at = [...prefix, ...i.path];
    if (i.code === 'invalid_union') {
      const fitting = i.errors.filter((b) => b.length && !wrongShape(b));
      if (fitting.length === 1) {
        out.push(...openIssues(fitting[0], at));
        continue;
      }
    }
    out.push({ path: at, message: i.message, ...(i.code === 'unrecognized_keys' ? { keys: i.keys } : {}) });
  }
  return out;
}

const itemLabel = (raw: unknown, index: number) => {
  const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
  return `item ${index}${id ? ` (${id})` : ''}`;
};

/** Validates an item set against the item schema; ids must be unique. */
export function parseItemSet<S extends z.ZodType<{ id: string }>>(raw: unknown, schema: S, source: string, noun: string): z.infer<S>[] {
  if (!Array.isArray(raw)) throw new Error(`${source}: expected a JSON array of ${noun}`);
  const problems: string[] = [];
  const items: z.infer<S>[] = [];
  const seen = new Map<string, number>();
  raw.forEach((x, i) => {
    const parsed = schema.safeParse(x);
    if (!parsed.success) {
      for (const issue of openIssues(parsed.error.issues)) {
        const at = issue.path.map(String).join('.');
        const field = issue.keys ? issue.keys.map((k) => (at ? `${at}.${k}` : k)).join(', ') : at || '(item)';
        problems.push(`${itemLabel(x, i)}, field ${field}: ${issue.message}`);
      }
      return;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) problems.push(`${itemLabel(x, i)}, field id: duplicate id "${parsed.data.id}" (first used by item ${first})`);
    else seen.set(parsed.data.id, i);
    items.push(parsed.data);
  });
  if (problems.length) throw new Error(`${source}: ${problems.length} problem(s): ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? '; …' : ''}`);
  return items;
}

/** Reads a JSON item-set file and validates it. */
export function readItemSet<S extends z.ZodType<{ id: string }>>(file: string, schema: S, what: string, noun: string): z.infer<S>[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${what} ${file}: ${(err as Error).message}`);
  }
  return parseItemSet(raw, schema, `${what} ${file}`, noun);
}

/** The items named by a comma-separated id list (all when none is given); an unknown id is an error. */
export function selectItems<T extends { id: string }>(items: T[], only: string | undefined, noun = 'item'): T[] {
  if (!only) return items;
  const ids = new Set(only.split(',').map((x) => x.trim()));
  const unknown = [...ids].filter((id) => !items.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown ${noun} id(s) ${unknown.join(', ')}`);
  return items.filter((c) => ids.has(c.id));
}
