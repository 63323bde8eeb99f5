/**
 * Runs the GraphStore contract against a Neo4j 5 server: the shared test KB is pushed with
 * `pushKnowledgeBaseToNeo4j` (as `kedrec kb push-neo4j` does) and then queried through the
 * read-only store. `.ci/run` starts a real Neo4j 5 server (scripts/neo4j/start_neo4j.sh: the
 * community database from Maven Central) and passes it as KEDREC_TEST_NEO4J_URI; NEO4J_URI works
 * too. Without either the suite is skipped with the reason shown in the report.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { assertNeo4jLoaded, createNeo4jGraphStore } from '../../kb/graph/neo4j-store.js';
import { pushKnowledgeBaseToNeo4j } from '../../kb/graph/push-neo4j.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { graphStoreContract } from '../integration/graph-contract.js';

const config = loadConfig();
const testUri = process.env.KEDREC_TEST_NEO4J_URI ?? config.NEO4J_URI;

if (!testUri) {
  // The default reporter hides the names of skipped suites; say why on stderr as well.
  process.stderr.write('[graph-neo4j] skipped: neither KEDREC_TEST_NEO4J_URI nor NEO4J_URI is set (scripts/neo4j/start_neo4j.sh starts a Neo4j 5 server)\n');
  describe.skip('Neo4j graph store contract (skipped: set KEDREC_TEST_NEO4J_URI to a Neo4j 5 server to run)', () => {
    it('needs a Neo4j server', () => {});
  });
} else {
  const uri = testUri;
  const database = config.NEO4J_DATABASE;
  describe(`Neo4j graph store contract (${uri}, database ${database})`, () => {
    let driver: Driver;
    beforeAll(async () => {
      driver = neo4j.driver(uri, neo4j.auth.basic(config.NEO4J_USER, config.NEO4J_PASSWORD ?? ''));
      await driver.verifyConnectivity({ database });
      const db = openKnowledgeBase(inject('kbPath'));
      try {
        const r = await pushKnowledgeBaseToNeo4j(db, driver, { database });
        process.stderr.write(`[graph-neo4j] pushed test KB in ${r.seconds.toFixed(1)} s (${r.nodes} nodes, ${r.edges} edges)\n`);
      } finally {
        db.close();
      }
    }, 60 * 60_000);
    afterAll(async () => {
      await driver?.close();
    });

    it('the push is recorded as complete', async () => {
      await expect(assertNeo4jLoaded(driver, database, config.KEDREC_QUERY_TIMEOUT_MS)).resolves.toBeUndefined();
    });

    it('read sessions refuse writes', async () => {
      const session = driver.session({ defaultAccessMode: neo4j.session.READ, database });
      try {
        await expect(session.executeRead((tx) => tx.run("CREATE (:ShouldNotExist {at: 'read-session'})"))).rejects.toThrow();
      } finally {
        await session.close();
      }
    });

    graphStoreContract('neo4j', async () => createNeo4jGraphStore({ driver, database, timeoutMs: config.KEDREC_QUERY_TIMEOUT_MS }));
  });
}
