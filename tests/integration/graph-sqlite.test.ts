import { inject } from 'vitest';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { graphStoreContract } from './graph-contract.js';

graphStoreContract('sqlite', async () => createSqliteGraphStore(openKnowledgeBase(inject('kbPath'))));
