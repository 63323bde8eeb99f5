import type Database from 'better-sqlite3';
import type { IndicationImportReport } from './sources/indications.js';

/** Indication coverage of a built knowledge base, as `kedrec kb info` shows it. */
export interface IndicationSummary {
  /** Diseases with at least one CtD, CpD or CiD edge. */
  diseasesWithIndication: number;
  /** Distinct (drug, disease) pairs per metaedge, source and tier (CtD/CpD: tier curated). */
  pairs: { metaedge: string; source: string; tier: string; pairs: number }[];
  /** Compounds the indication import added (ChEMBL drugs DrugBank 4.2 lacks). */
  compoundsAdded: number;
  /** Disease nodes the indication import added (ChEMBL diseases Disease Ontology 2016 lacks), per id prefix. */
  diseasesAdded: { total: number; byPrefix: Record<string, number> };
  /** Name-based disease hierarchy edges (DkD). */
  dkdEdges: number;
  /** The build's mapping report (meta `indication_import`); null in a knowledge base built without it. */
  report: IndicationImportReport | null;
}

/**
 * Reads indication coverage straight from the knowledge-base tables (counts) and the build's
 * mapping report (meta row), so it reflects the file as built, whatever graph backend serves it.
 */
export function readIndicationSummary(db: Database.Database): IndicationSummary {
  const diseasesWithIndication = db
    .prepare("SELECT COUNT(DISTINCT e.dst) FROM edges e JOIN nodes n ON n.nid = e.dst WHERE e.metaedge IN ('CtD', 'CpD', 'CiD') AND n.kind = 'Disease'")
    .pluck()
    .get() as number;
  const pairs = db
    .prepare(
      `SELECT metaedge, source, tier, COUNT(*) AS pairs FROM (
         SELECT DISTINCT e.metaedge, e.source, CASE WHEN e.metaedge = 'CiD' THEN coalesce(json_extract(e.props, '$.tier'), '?') ELSE 'curated' END AS tier, e.src, e.dst
         FROM edges e WHERE e.metaedge IN ('CtD', 'CpD', 'CiD'))
       GROUP BY metaedge, source, tier ORDER BY metaedge, source, tier`,
    )
    .all() as IndicationSummary['pairs'];
  const raw = db.prepare("SELECT value FROM meta WHERE key = 'indication_import'").pluck().get() as string | undefined;
  const report = raw ? (JSON.parse(raw) as IndicationImportReport) : null;
  const compoundsAdded = db.prepare("SELECT COUNT(*) FROM nodes WHERE kind = 'Compound' AND json_extract(props, '$.added_by') IS NOT NULL").pluck().get() as number;
  const dkdEdges = db.prepare("SELECT COUNT(*) FROM edges WHERE metaedge = 'DkD'").pluck().get() as number;
  const byPrefix = Object.fromEntries(
    (db
      .prepare("SELECT substr(id, 1, instr(id, ':') - 1) AS prefix, COUNT(*) AS n FROM nodes WHERE kind = 'Disease' AND json_extract(props, '$.added_by') IS NOT NULL GROUP BY prefix ORDER BY n DESC, prefix")
      .all() as { prefix: string; n: number }[]).map((r) => [r.prefix, r.n]),
  );
  const diseasesAdded = { total: Object.values(byPrefix).reduce((a, b) => a + b, 0), byPrefix };
  return { diseasesWithIndication, pairs, compoundsAdded, diseasesAdded, dkdEdges, report };
}

/** Text lines for `kedrec kb info`: coverage, pairs per source and tier, and what mapping lost. */
export function formatIndicationSummary(s: IndicationSummary): string[] {
  const prefixes = Object.entries(s.diseasesAdded.byPrefix).map(([p, n]) => `${p} ${n}`).join(', ');
  const out = [
    '',
    `Indications: ${s.diseasesWithIndication} diseases with ≥ 1 indication (CtD, CpD or CiD); ${s.compoundsAdded} compounds added by the import; ${s.diseasesAdded.total} diseases added (ChEMBL diseases Disease Ontology 2016 lacks${prefixes ? `: ${prefixes}` : ''}); ${s.dkdEdges} disease hierarchy edges (DkD)`,
  ];
  out.push('  pairs (metaedge, source, tier: drug–disease pairs)');
  for (const p of s.pairs) out.push(`  ${p.metaedge.padEnd(5)} ${p.source.padEnd(18)} ${p.tier.padEnd(18)} ${String(p.pairs).padStart(7)}`);
  if (!s.report) {
    out.push('  no mapping report in this knowledge base (built before the indication import); rebuild with `kedrec kb build`');
    return out;
  }
  out.push('  mapping (input: rows read → mapped → edges; losses by reason)');
  for (const [key, r] of Object.entries(s.report.inputs)) {
    if (r.not_read) {
      out.push(`  ${key.padEnd(15)} not read: ${r.not_read}`);
      continue;
    }
    const losses = Object.entries(r.dropped).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    const skipped = Object.entries(r.skipped).map(([k, v]) => `${k} ${v}`).join(', ');
    const counts = `${String(r.rows_read).padStart(6)} → ${String(r.rows_mapped).padStart(6)} → ${String(r.edges).padStart(6)}`;
    const toParent = `${r.salt_to_parent ? `; salt → parent ${r.salt_to_parent}` : ''}${r.radiolabel_to_parent ? `; radiolabel → drug ${r.radiolabel_to_parent}` : ''}`;
    out.push(`  ${key.padEnd(15)} ${counts}${losses ? `; lost: ${losses}` : ''}${skipped ? `; not indications by design: ${skipped}` : ''}${toParent}`);
  }
  const a = s.report.diseases_added;
  // A report written before diseases were added has no such section; say so rather than print zeros.
  if (!a) {
    out.push('  no added-disease report in this knowledge base (built before ChEMBL diseases became nodes); rebuild with `kedrec kb build`');
    return out;
  }
  const list = (c: Record<string, number>) => Object.entries(c).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  out.push(`  diseases added: ${a.nodes} nodes (${list(a.by_prefix)}), ${a.chembl_ids_merged} more ChEMBL ids joined them; ${a.dkd_edges} DkD edges from them (${list(a.dkd_by_basis)})`);
  out.push(`  rows recovered onto added diseases: ${list(a.rows_recovered)}; through the DO crosswalk: ${list(a.crosswalk_rows)}; through DO synonyms without "(disorder)": ${list(a.unqualified_synonym_rows)}; to a curated DO parent: ${list(a.parent_fallback_rows)}`);
  const notAdded = Object.entries(a.not_added).map(([k, v]) => `${k} ${v} (${a.not_added_rows[k] ?? 0} rows)`).join(', ');
  if (notAdded) out.push(`  ChEMBL diseases DO lacks that got no node: ${notAdded}`);
  return out;
}
