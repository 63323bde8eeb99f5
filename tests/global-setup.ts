import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildDefaultKnowledgeBase } from '../kb/steps.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the knowledge base built once for this test run from KEDREC_DATA_DIR. */
    kbPath: string;
    /** The source data directory the KB was built from. */
    dataDir: string;
  }
}

/**
 * Builds the knowledge base once per test run, into a temporary directory, and shares its path
 * with every test file (they open it read-only). Set KEDREC_TEST_KB to reuse an existing file
 * while iterating locally.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dataDir = path.resolve(process.env.KEDREC_DATA_DIR ?? '../shared/data');
  const reuse = process.env.KEDREC_TEST_KB;
  if (reuse && fs.existsSync(reuse)) {
    project.provide('kbPath', path.resolve(reuse));
    project.provide('dataDir', dataDir);
    return () => {};
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-test-kb-'));
  const kbPath = path.join(dir, 'kb.sqlite');
  const t0 = performance.now();
  const result = buildDefaultKnowledgeBase({ dataDir, outPath: kbPath });
  process.stderr.write(`[global-setup] built test KB from ${dataDir} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(result.bytes / 1e6).toFixed(1)} MB)\n`);
  project.provide('kbPath', kbPath);
  project.provide('dataDir', dataDir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
