/**
 * The Neo4j backend without a server: label and type sanitising, parameterised Cypher, read-only
 * sessions with timeouts, and the batching of `push-neo4j`. The only fake is the network
 * boundary (a driver that records what would be sent and answers with canned records); the
 * store, the pusher and a real SQLite KB in memory are the production code.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import neo4j, { type Driver } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import { CYPHER, createNeo4jGraphStore, luceneFuzzyQuery, plainProps, toNum } from '../../kb/graph/neo4j-store.js';
import {
  batchesByKey,
  edgeBatchCypher,
  kindLabel,
  nodeBatchCypher,
  pushKnowledgeBaseToNeo4j,
  relType,
  schemaStatements,
  toNeo4jProps,
} from '../../kb/graph/push-neo4j.js';
import { UnknownEntityError } from '../../kb/graph/store.js';
import { GRAPH_DDL, KB_SCHEMA_VERSION } from '../../kb/base/graph-schema.js';

interface Sent {
  kind: 'read' | 'write' | 'auto';
  query: string;
  params: Record<string, unknown>;
  session: { defaultAccessMode?: string; database?: string };
  txConfig?: { timeout?: unknown };
}

type Answer = (query: string, params: Record<string, unknown>) => Record<string, unknown>[];

/** A driver that records every query with its session and transaction config. */
function recordingDriver(answer: Answer = () => []): { driver: Driver; sent: Sent[]; closed: { sessions: number; driver: boolean } } {
  const sent: Sent[] = [];
  const closed = { sessions: 0, driver: false };
  const toRecords = (rows: Record<string, unknown>[]) =>
    rows.map((row) => ({
      get(key: string) {
        if (!(key in row)) throw new Error(`record has no field ${key}`);
        return row[key];
      },
    }));
  const driver = {
    session(session: Sent['session'] = {}) {
      const runner = (kind: Sent['kind'], txConfig?: Sent['txConfig']) => ({
        async run(query: string, params: Record<string, unknown> = {}) {
          sent.push({ kind, query, params, session, txConfig });
          return { records: toRecords(answer(query, params)) };
        },
      });
      return {
        executeRead: async <T>(work: (tx: ReturnType<typeof runner>) => Promise<T>, txConfig?: Sent['txConfig']) => work(runner('read', txConfig)),
        executeWrite: async <T>(work: (tx: ReturnType<typeof runner>) => Promise<T>, txConfig?: Sent['txConfig']) => work(runner('write', txConfig)),
        run: (query: string, params?: Record<string, unknown>) => runner('auto').run(query, params),
        async close() {
          closed.sessions++;
        },
      };
    },
    async close() {
      closed.driver = true;
    },
  };
  return { driver: driver as unknown as Driver, sent, closed };
}

const HOSTILE = "x'}) DETACH DELETE n //`; MATCH (m) SET m.pwned = true";

describe('label and relationship-type sanitising', () => {
  it('turns KB kinds into PascalCase labels', () => {
    expect(kindLabel('Side Effect')).toBe('SideEffect');
    expect(kindLabel('Pharmacologic Class')).toBe('PharmacologicClass');
    expect(kindLabel('Compound')).toBe('Compound');
    expect(() => kindLabel('')).toThrow();
    expect(() => kindLabel('Entity')).toThrow(/label/);
    expect(() => kindLabel('123')).toThrow();
  });

  it('never yields anything but an identifier, whatever the kind text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        let label: string | undefined;
        try {
          label = kindLabel(s);
        } catch {
          return;
        }
        expect(label).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      }),
    );
  });

  it('names relationship types after the verb and metaedge, as Hetionet does', () => {
    expect(relType('CtD')).toBe('TREATS_CtD');
    expect(relType('CbG')).toBe('BINDS_CbG');
    expect(relType('Gr>G')).toBe('REGULATES_GrG');
    expect(relType('DsD')).toBe('SUBSUMED_BY_DsD');
    expect(relType('XyZ')).toBe('REL_XyZ');
    expect(relType(HOSTILE)).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    expect(() => relType('>>')).toThrow();
  });

  it('puts only checked identifiers into write Cypher', () => {
    expect(nodeBatchCypher('SideEffect')).toContain('SET n:`SideEffect`');
    expect(() => nodeBatchCypher('Bad Label')).toThrow();
    expect(edgeBatchCypher('CtD')).toContain('[r:`TREATS_CtD` {source: row.source, dup: row.dup}]');
    expect(edgeBatchCypher(HOSTILE)).not.toContain("'");
    expect(schemaStatements(['Compound', 'SideEffect']).filter((s) => s.includes('REQUIRE n.id IS UNIQUE'))).toHaveLength(3);
    for (const s of schemaStatements(['Compound'])) expect(s).toMatch(/IF NOT EXISTS/);
  });
});

describe('read Cypher', () => {
  it('every fixed query is bounded by LIMIT or is a single count', () => {
    const texts = Object.values(CYPHER).map((q) => (typeof q === 'function' ? q('BINDS_CbG') : q));
    for (const t of texts) expect(t, t).toMatch(/LIMIT \$?\w+|RETURN count\(r\) AS count$/);
  });

  it('escapes Lucene syntax and allows one or two edits per word', () => {
    expect(luceneFuzzyQuery('metfromin')).toBe('metfromin~2');
    expect(luceneFuzzyQuery('type 2 diabtes')).toBe('type~1 OR 2~1 OR diabtes~2');
    expect(luceneFuzzyQuery('a:b (c)')).toBe('a\\:b~1 OR \\(c\\)~1');
    expect(luceneFuzzyQuery('ab')).toBeNull();
  });

  it('converts driver integers to numbers', () => {
    expect(toNum(neo4j.int(42))).toBe(42);
    expect(toNum(7)).toBe(7);
    expect(toNum(null)).toBe(0);
    expect(plainProps({ a: neo4j.int(3), b: [neo4j.int(1), neo4j.int(2)], c: 'x' })).toEqual({ a: 3, b: [1, 2], c: 'x' });
  });
});

describe('Neo4j store against a recording driver', () => {
  it('uses read sessions on the configured database, with the timeout, and only parameters for caller text', async () => {
    const { driver, sent, closed } = recordingDriver();
    const store = createNeo4jGraphStore({ driver, database: 'kedrec', timeoutMs: 1234 });
    await store.resolve(HOSTILE, { kinds: ['Compound'] });
    await expect(store.drugProfile(HOSTILE)).rejects.toBeInstanceOf(UnknownEntityError);
    await expect(store.indicatedDrugs(HOSTILE)).rejects.toBeInstanceOf(UnknownEntityError);
    await expect(store.interactions([HOSTILE, 'DB00682'])).rejects.toBeInstanceOf(UnknownEntityError);
    expect(await store.getEntity(HOSTILE)).toBeNull();
    expect(sent.length).toBeGreaterThan(5);
    for (const s of sent) {
      expect(s.kind).toBe('read');
      expect(s.session).toEqual({ defaultAccessMode: neo4j.session.READ, database: 'kedrec' });
      expect(s.txConfig).toEqual({ timeout: 1234 });
      expect(s.query).not.toContain('DETACH DELETE');
      expect(s.query).not.toContain('pwned');
      // LIMIT values must be Neo4j integers: a JS number is sent as a float, which LIMIT rejects.
      for (const key of ['limit', 'cap', 'candidates']) if (key in s.params) expect(neo4j.isInt(s.params[key])).toBe(true);
    }
    expect(JSON.stringify(sent.map((s) => s.params))).toContain('pwned');
    expect(closed.sessions).toBe(sent.length);
    await store.close();
    expect(closed.driver).toBe(false);
  });

  it('closes the driver only when it owns it', async () => {
    const { driver, closed } = recordingDriver();
    await createNeo4jGraphStore({ driver, timeoutMs: 100, closeDriver: true }).close();
    expect(closed.driver).toBe(true);
  });

  it('maps a server timeout to an error that names the query and the limit', async () => {
    const driver = {
      session: () => ({
        executeRead: async () => {
          throw Object.assign(new Error('timed out'), { code: 'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration' });
        },
        close: async () => {},
      }),
    } as unknown as Driver;
    const store = createNeo4jGraphStore({ driver, timeoutMs: 50 });
    await expect(store.getEntity('DB00331')).rejects.toThrow(/nodeById exceeded its 50 ms limit/);
  });

  it('fills interaction sentences from the template and the stored names', async () => {
    const node = (id: string, name: string) => ({ id, kind: 'Compound', name, inGraph: true });
    const { driver } = recordingDriver((query, params) => {
      if (query === CYPHER.nodeById) {
        const ids = params.ids as string[];
        if (ids.includes('DB00682')) return [{ node: node('DB00682', 'Warfarin') }];
        if (ids.includes('DB00945')) return [{ node: node('DB00945', 'Acetylsalicylic $& acid') }];
      }
      if (query === CYPHER.ddi) {
        return [{ drug1: 'DB00682', drug2: 'DB00945', type: neo4j.int(6), source: 'deepddi', license: 'CC BY-NC 4.0', template: '#Drug1 may increase the anticoagulant activities of #Drug2.' }];
      }
      return [];
    });
    const store = createNeo4jGraphStore({ driver, timeoutMs: 100 });
    const r = await store.interactions(['DB00682', 'DB00945']);
    expect(r).toEqual([
      {
        drug1: { id: 'DB00682', kind: 'Compound', name: 'Warfarin' },
        drug2: { id: 'DB00945', kind: 'Compound', name: 'Acetylsalicylic $& acid' },
        type: 6,
        sentence: 'Warfarin may increase the anticoagulant activities of Acetylsalicylic $& acid.',
        provenance: [{ source: 'deepddi', license: 'CC BY-NC 4.0', detail: 'DeepDDI interaction type 6' }],
      },
    ]);
  });
});

describe('push batching', () => {
  it('splits batches at the size and where the key changes', () => {
    const rows = ['a', 'a', 'a', 'b', 'b', 'a'].map((k, i) => ({ k, i }));
    const out = [...batchesByKey(rows, (r) => r.k, 2)].map((b) => [b.key, b.rows.map((r) => r.i)]);
    expect(out).toEqual([['a', [0, 1]], ['a', [2]], ['b', [3, 4]], ['a', [5]]]);
    expect([...batchesByKey([], () => 'x', 3)]).toEqual([]);
    expect(() => [...batchesByKey(rows, (r) => r.k, 0)]).toThrow(/positive integer/);
  });

  it('flattens JSON props into Neo4j property values', () => {
    const p = toNeo4jProps(JSON.stringify({ actions: ['inhibitor'], pmids: [], n: 3, f: 0.21, s: 'DM', nested: { a: 1 }, nil: null }));
    expect(Object.keys(p).sort()).toEqual(['actions', 'f', 'n', 'nested', 's']);
    expect(neo4j.isInt(p.n)).toBe(true);
    expect(p.f).toBe(0.21);
    expect(p.nested).toBe('{"a":1}');
  });

  it('loads a real SQLite KB with constraints first, batched MERGEs and the completion mark last', async () => {
    const db = new Database(':memory:');
    db.exec(GRAPH_DDL);
    const node = db.prepare('INSERT INTO nodes (nid, id, kind, name, props, source, in_hetionet) VALUES (?, ?, ?, ?, ?, ?, ?)');
    node.run(1, 'DB00331', 'Compound', 'Metformin', '{"atc":["A10BA02"]}', 'hetionet', 1);
    node.run(2, 'DB00682', 'Compound', 'Warfarin', '{}', 'hetionet', 1);
    node.run(3, 'DB00945', 'Compound', 'Aspirin', '{}', 'hetionet', 1);
    node.run(4, 'DOID:9352', 'Disease', 'type 2 diabetes mellitus', '{}', 'hetionet', 1);
    node.run(5, 'UMLS:C0000737', 'Side Effect', 'Abdominal pain', '{}', 'hetionet', 1);
    const edge = db.prepare('INSERT INTO edges (src, metaedge, dst, source, license, props) VALUES (?, ?, ?, ?, ?, ?)');
    edge.run(1, 'CtD', 4, 'hetionet', 'CC0 1.0', '{}');
    edge.run(1, 'CtD', 4, 'pharmacotherapydb', 'CC0 1.0', '{"category":"DM","n_curators":3}');
    edge.run(1, 'CcSE', 5, 'sider4', 'CC BY-NC-SA 4.0', '{"frequency":"5%","frequencyValue":0.05}');
    edge.run(1, 'CcSE', 5, 'sider4', 'CC BY-NC-SA 4.0', '{}');
    db.prepare("INSERT INTO terms VALUES ('metformin', 1, 'Metformin', 'name', 'hetionet')").run();
    db.prepare("INSERT INTO xrefs VALUES (1, 'DRUGBANK', 'DB00331', 'hetionet')").run();
    db.prepare("INSERT INTO ddi_types VALUES (6, '#Drug1 may increase the anticoagulant activities of #Drug2.')").run();
    db.prepare("INSERT INTO ddi VALUES (2, 3, 6, 'deepddi')").run();
    db.prepare("INSERT INTO sources VALUES ('deepddi', 'DeepDDI', 'CC BY-NC 4.0', 'https://example.org', 1, '[]')").run();
    db.prepare("INSERT INTO meta VALUES ('schema_version', ?)").run(String(KB_SCHEMA_VERSION));

    const { driver, sent } = recordingDriver();
    const events: string[] = [];
    const r = await pushKnowledgeBaseToNeo4j(db, driver, { database: 'kedrec', batchSize: 2, onProgress: (e) => e.finished && events.push(e.step) });
    expect(r).toMatchObject({ nodes: 5, edges: 4, terms: 1, xrefs: 1, interactions: 1 });

    // Schema (auto-commit) before any write; every write in a WRITE session on the database.
    const firstWrite = sent.findIndex((s) => s.kind === 'write');
    expect(sent.slice(0, firstWrite).every((s) => s.kind === 'auto')).toBe(true);
    expect(sent[firstWrite - 1].query).toBe('CALL db.awaitIndexes(300)');
    for (const s of sent) expect(s.session).toEqual({ defaultAccessMode: neo4j.session.WRITE, database: 'kedrec' });

    const writes = sent.filter((s) => s.kind === 'write');
    expect(writes[0].params.state).toBe('in-progress');
    expect(writes.at(-1)!.params.state).toBe('complete');
    // Data batches respect the size (the few summary rows — sources, meta, edge counts — go in one write each).
    const dataBatches = writes.filter((w) => w.query.startsWith('UNWIND $rows AS row\nMATCH (') || w.query.includes('MERGE (n:Entity'));
    expect(dataBatches.length).toBeGreaterThanOrEqual(8);
    for (const w of dataBatches) expect((w.params.rows as unknown[]).length).toBeLessThanOrEqual(2);
    // Nodes: batches never mix kinds; 3 compounds at batch size 2 make 2 batches.
    const nodeBatches = writes.filter((w) => w.query.includes('MERGE (n:Entity {id: row.id})'));
    expect(nodeBatches.map((w) => [w.query.match(/SET n:`(\w+)`/)![1], (w.params.rows as unknown[]).length])).toEqual([
      ['Compound', 2], ['Compound', 1], ['Disease', 1], ['SideEffect', 1],
    ]);
    // Edges: one type per batch; identical rows of one source are numbered, so both survive MERGE.
    const edgeBatches = writes.filter((w) => w.query.includes('MATCH (a:Entity {id: row.src})'));
    const causes = edgeBatches.find((w) => w.query.includes('CAUSES_CcSE'))!;
    expect((causes.params.rows as { dup: unknown }[]).map((x) => toNum(x.dup))).toEqual([0, 1]);
    const treats = edgeBatches.find((w) => w.query.includes('TREATS_CtD'))!;
    expect((treats.params.rows as { source: string; dup: unknown }[]).map((x) => [x.source, toNum(x.dup)])).toEqual([['hetionet', 0], ['pharmacotherapydb', 0]]);
    expect(neo4j.isInt((treats.params.rows as { props: Record<string, unknown> }[])[1].props.n_curators)).toBe(true);
    // Interactions carry their source's license and integer types.
    const ddi = writes.find((w) => w.query.includes('INTERACTS {type: row.type'))!;
    expect(ddi.params.rows).toMatchObject([{ drug1: 'DB00682', drug2: 'DB00945', license: 'CC BY-NC 4.0' }]);
    expect(neo4j.isInt((ddi.params.rows as { type: unknown }[])[0].type)).toBe(true);
    expect(events).toEqual(['neo4j-schema', 'neo4j-nodes', 'neo4j-terms', 'neo4j-xrefs', 'neo4j-edges', 'neo4j-ddi-types', 'neo4j-ddi', 'neo4j-summary']);
    db.close();
  });

  it('rejects a bad batch size before touching the server', async () => {
    const { driver, sent } = recordingDriver();
    const db = new Database(':memory:');
    db.exec(GRAPH_DDL);
    await expect(pushKnowledgeBaseToNeo4j(db, driver, { batchSize: 0 })).rejects.toThrow(/batch size/);
    expect(sent).toEqual([]);
    db.close();
  });
});
