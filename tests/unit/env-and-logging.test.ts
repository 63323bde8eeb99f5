import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { productionFiles, repoRoot } from '../fixtures/production-files.js';

const root = repoRoot;

/**
 * Two rules of the production code, checked on its syntax tree (a comment or string that
 * mentions process.env is not a read):
 * - every environment variable is read in config.ts (one schema, validated once at entry points);
 * - below the interfaces, code logs only through the Logger it is given (lib/log.ts), never
 *   straight to the console or stderr: stdout belongs to MCP stdio and --json output, and a
 *   stray line on stderr escapes LOG_LEVEL and the JSON format.
 * bin/ and bench/ may write to the terminal: that is their output, not logging.
 */

/** Files allowed to touch process.env, and why. */
const ENV_ALLOWED: Record<string, string> = {
  'config.ts': 'the one schema over the environment',
  'lib/server-process.ts': 'passes this environment on to a spawned `kedrec` process (childProcessEnv); reads no setting',
};

/** Folders below the interfaces: no console.*, no process.stderr/stdout writes. */
const NO_DIRECT_OUTPUT = ['lib/', 'kb/', 'clinical/', 'tools/', 'agent/', 'dataset/', 'evals/', 'mcp-server/', 'server/'];
/** Files allowed to write to stderr themselves, and why. */
const OUTPUT_ALLOWED: Record<string, string> = {
  'lib/log.ts': 'the logger: JSON lines on stderr',
};

interface Finding {
  line: number;
  kind: 'env' | 'output';
  text: string;
}

/** `process`, or `globalThis.process` / `global.process`. */
function isProcess(e: ts.Expression): boolean {
  if (ts.isIdentifier(e)) return e.text === 'process';
  return ts.isPropertyAccessExpression(e) && e.name.text === 'process' && ts.isIdentifier(e.expression) && ['globalThis', 'global'].includes(e.expression.text);
}

/** The member a property or element access names (`a.b`, `a['b']`), if it is a plain name. */
function memberName(n: ts.Node): { object: ts.Expression; name: string } | undefined {
  if (ts.isPropertyAccessExpression(n)) return { object: n.expression, name: n.name.text };
  if (ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression)) return { object: n.expression, name: n.argumentExpression.text };
  return undefined;
}

/** Reads of process.env and writes to the console, stderr or stdout in one source text. */
function findEnvAndOutput(fileName: string, source: string): Finding[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: Finding[] = [];
  const add = (n: ts.Node, kind: Finding['kind']) =>
    found.push({ line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, kind, text: n.getText(sf).split('\n')[0].slice(0, 120) });
  const visit = (n: ts.Node) => {
    const m = memberName(n);
    if (m && isProcess(m.object) && m.name === 'env') add(n, 'env');
    // const { env } = process
    if (ts.isVariableDeclaration(n) && n.initializer && isProcess(n.initializer) && ts.isObjectBindingPattern(n.name)) {
      if (n.name.elements.some((el) => (el.propertyName ?? el.name).getText(sf) === 'env')) add(n, 'env');
    }
    if (m && ts.isIdentifier(m.object) && m.object.text === 'console') add(n, 'output');
    if (m && m.name === 'write') {
      const stream = memberName(m.object);
      if (stream && isProcess(stream.object) && (stream.name === 'stderr' || stream.name === 'stdout')) add(n, 'output');
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('the scanner', () => {
  it('finds each form of an environment read and of direct output, and skips comments and strings', () => {
    const src = [
      '// process.env.A in a comment',
      'const s = "process.env.B in a string";',
      'const a = process.env.C;',
      "const b = process['env'];",
      'const { env } = process;',
      'const c = globalThis.process.env.D;',
      'console.log(1);',
      "process.stderr.write('x');",
      "process.stdout['write']('y');",
      'const w = console.error;',
    ].join('\n');
    const found = findEnvAndOutput('x.ts', src).map((f) => `${f.line}:${f.kind}`);
    expect(found).toEqual(['3:env', '4:env', '5:env', '6:env', '7:output', '8:output', '9:output', '10:output']);
  });
});

describe('environment reads and direct output in production code', () => {
  const files = productionFiles(/\.(ts|mts|mjs)$/);
  const findings = new Map(files.map((f) => [f, findEnvAndOutput(f, fs.readFileSync(path.join(root, f), 'utf8'))]));

  it('finds the production sources', () => {
    expect(files.length).toBeGreaterThan(150);
    expect(files).toContain('config.ts');
    expect(files).toContain('lib/log.ts');
  });

  it('reads process.env only in config.ts (and passes it to child processes in lib/server-process.ts)', () => {
    const bad = [...findings]
      .filter(([f]) => !(f in ENV_ALLOWED))
      .flatMap(([f, found]) => found.filter((x) => x.kind === 'env').map((x) => `${f}:${x.line}: ${x.text}`));
    expect(bad, 'declare the variable in config.ts (configSchema) and read it from the Config object loaded at the entry point').toEqual([]);
  });

  it('logs below the interfaces only through a Logger passed in: no console.*, no process.stderr/stdout writes', () => {
    const bad = [...findings]
      .filter(([f]) => NO_DIRECT_OUTPUT.some((d) => f.startsWith(d)) && !(f in OUTPUT_ALLOWED))
      .flatMap(([f, found]) => found.filter((x) => x.kind === 'output').map((x) => `${f}:${x.line}: ${x.text}`));
    expect(bad, 'take a Logger (lib/log.ts) as an option and log structured fields; terminal output belongs in bin/ or bench/').toEqual([]);
  });

  it('keeps its allow-lists true: each allowed file still exists', () => {
    for (const f of [...Object.keys(ENV_ALLOWED), ...Object.keys(OUTPUT_ALLOWED)]) {
      expect(fs.existsSync(path.join(root, f)), `${f} is allow-listed but gone`).toBe(true);
    }
  });
});
