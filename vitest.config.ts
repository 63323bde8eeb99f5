import { defineConfig } from 'vitest/config';

/**
 * Three tiers, all run by `npm test`:
 * - unit: small fixtures, no knowledge-base build (`npm run test:unit`, seconds);
 * - integration: the knowledge base built once per run from KEDREC_DATA_DIR (tests/global-setup.ts);
 * - real: real servers and runtimes (Neo4j, PostgreSQL, Chroma + an embedding model, the GGUF
 *   model, llama.cpp's server, Chromium); each file skips, saying why, when its part is absent.
 * Timing is never asserted in a test: the benchmarks measure it (`npm run bench`).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only contend for them.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      // Unit files share a worker's module cache (isolate: false): they hold no global state, and
      // importing LangChain and zod once per worker instead of once per file halves the tier's CPU time.
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], globalSetup: ['tests/global-setup.ts'] } },
      { extends: true, test: { name: 'real', include: ['tests/real/**/*.test.ts'], globalSetup: ['tests/global-setup.ts'] } },
    ],
  },
});
