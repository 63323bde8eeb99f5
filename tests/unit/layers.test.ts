import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { productionFiles, repoRoot } from '../fixtures/production-files.js';

const root = repoRoot;

/**
 * The layers, lowest first (README "Layers"). A production file may import files of its own
 * layer and of the layers below, never one above: data flows up from the sources to the
 * interfaces, and a change to an interface cannot break the domain. Each layer is a list of
 * path prefixes; the longest matching prefix wins, so `kb/base/` sits below `kb/`.
 */
const LAYERS: { name: string; paths: string[] }[] = [
  { name: 'shared utilities', paths: ['lib/', 'config.ts', 'prompts/'] },
  { name: 'KB base (schemas, build context, record types)', paths: ['kb/base/'] },
  { name: 'data sources', paths: ['kb/sources/', 'kb/live/', 'kb/vocabulary/'] },
  { name: 'KB', paths: ['kb/'] },
  { name: 'domain', paths: ['clinical/'] },
  { name: 'tools', paths: ['tools/'] },
  { name: 'agent', paths: ['agent/'] },
  { name: 'dataset', paths: ['dataset/'] },
  { name: 'evals', paths: ['evals/'] },
  { name: 'MCP server', paths: ['mcp-server/'] },
  { name: 'HTTP server', paths: ['server/'] },
  { name: 'benchmarks', paths: ['bench/'] },
  { name: 'CLI', paths: ['bin/'] },
];

function layerOf(file: string): number {
  let best = -1;
  let bestLen = -1;
  LAYERS.forEach((l, i) => {
    for (const p of l.paths) if ((file === p || file.startsWith(p)) && p.length > bestLen) [best, bestLen] = [i, p.length];
  });
  return best;
}

/** Relative imports (static, dynamic and re-exports) of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => path.relative(root, path.resolve(root, path.dirname(file), s)).replace(/\.js$/, '.ts'));
}

describe('layers point one way', () => {
  const files = productionFiles();

  it('finds the production sources', () => {
    expect(files.length).toBeGreaterThan(150);
    expect(files).toContain('agent/graph.ts');
  });

  it('places every production file in a layer', () => {
    expect(files.filter((f) => layerOf(f) < 0), 'add the new folder to LAYERS (and the README map)').toEqual([]);
  });

  it('has no production file importing a higher layer or tests/', () => {
    const violations: string[] = [];
    for (const f of files) {
      for (const target of importsOf(f)) {
        if (target.startsWith('tests/')) violations.push(`${f} imports ${target} (tests/ is not production code)`);
        else if (layerOf(target) > layerOf(f)) violations.push(`${f} (${LAYERS[layerOf(f)]?.name}) imports ${target} (${LAYERS[layerOf(target)]?.name})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('catches an upward import (the check itself works)', () => {
    expect(layerOf('kb/base/graph-schema.ts')).toBeLessThan(layerOf('kb/sources/hetionet.ts'));
    expect(layerOf('kb/sources/hetionet.ts')).toBeLessThan(layerOf('kb/graph/store.ts'));
    expect(layerOf('tools/spec.ts')).toBeLessThan(layerOf('agent/graph.ts'));
    expect(layerOf('unknown/file.ts')).toBe(-1);
  });

  it('is the order the README shows', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = /## Layers\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const positions = LAYERS.map((l) => section.indexOf(`**${l.name}**`));
    expect(positions.every((p) => p >= 0), 'README "## Layers" names every layer in bold').toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
