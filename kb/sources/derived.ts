import type { BuildContext, BuildStep } from '../base/build-context.js';

/**
 * Derived rows computed once at build time so queries stay in the millisecond range: per-node
 * degrees (path scores, similarity denominators) and everyday short forms of disease names
 * (entity resolution). Runs after every source step.
 */
export const derivedStep: BuildStep = {
  id: 'derived',
  title: 'Degrees and short disease names',
  sources: ['hetionet', 'drugbank', 'drugcentral', 'disease-ontology', 'pharmacotherapydb'],
  run(ctx: BuildContext) {
    // Short forms are ordinary terms, so the fuzzy index (built from terms at query time) covers them too.
    ctx.db.exec(`
      INSERT INTO degrees (nid, metaedge, dir, n)
        SELECT src, metaedge, 'out', COUNT(DISTINCT dst) FROM edges GROUP BY src, metaedge;
      INSERT INTO degrees (nid, metaedge, dir, n)
        SELECT dst, metaedge, 'in', COUNT(DISTINCT src) FROM edges GROUP BY dst, metaedge;
      -- Everyday short forms of disease names: "type 2 diabetes" for "… mellitus", "Parkinson's"
      -- for "Parkinson's disease". Only these two safe patterns: "kidney" must not mean kidney disease.
      INSERT INTO terms (term_norm, nid, term, term_type, source)
        SELECT DISTINCT rtrim(substr(t.term_norm, 1, length(t.term_norm) - length(' mellitus'))), t.nid,
               rtrim(substr(t.term, 1, length(t.term) - length(' mellitus'))), 'synonym', t.source
        FROM terms t JOIN nodes n ON n.nid = t.nid
        WHERE n.kind = 'Disease' AND t.term_norm LIKE '% mellitus' AND t.term_type IN ('name', 'synonym');
      INSERT INTO terms (term_norm, nid, term, term_type, source)
        SELECT DISTINCT rtrim(substr(t.term_norm, 1, length(t.term_norm) - length(' disease'))), t.nid,
               rtrim(substr(t.term, 1, length(t.term) - length(' disease'))), 'synonym', t.source
        FROM terms t JOIN nodes n ON n.nid = t.nid
        WHERE n.kind = 'Disease' AND (t.term LIKE '%''s disease' OR t.term LIKE '%’s disease') AND t.term_type IN ('name', 'synonym');
    `);
  },
};
