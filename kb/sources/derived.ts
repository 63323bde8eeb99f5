import type { BuildContext, BuildStep } from '../build.js';

/**
 * Derived tables computed once at build time so queries stay in the millisecond range:
 * per-node degrees (path scores, similarity denominators) and the trigram index of terms
 * (fuzzy resolution). Runs after every source step.
 */
export const derivedStep: BuildStep = {
  id: 'derived',
  title: 'Degrees and term trigram index',
  sources: ['hetionet', 'drugbank', 'drugcentral', 'disease-ontology', 'pharmacotherapydb'],
  run(ctx: BuildContext) {
    ctx.db.exec(`
      INSERT INTO degrees (nid, metaedge, dir, n)
        SELECT src, metaedge, 'out', COUNT(DISTINCT dst) FROM edges GROUP BY src, metaedge;
      INSERT INTO degrees (nid, metaedge, dir, n)
        SELECT dst, metaedge, 'in', COUNT(DISTINCT src) FROM edges GROUP BY dst, metaedge;
      INSERT INTO term_trigrams (term_norm) SELECT DISTINCT term_norm FROM terms WHERE length(term_norm) >= 3;
      INSERT INTO term_trigrams (term_trigrams) VALUES ('optimize');
    `);
  },
};
