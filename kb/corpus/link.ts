import type { LinkRole } from '../base/corpus-types.js';
import type { DB } from '../base/build-context.js';
import { normalizeTerm } from '../base/graph-schema.js';


export interface LinkedEntity {
  id: string;
  name: string;
}

/** Graph node kinds a link of each role may point to. */
const ROLE_KINDS: Record<LinkRole, string[]> = {
  drug: ['Compound'],
  condition: ['Disease', 'Symptom'],
};

/** Words that qualify an intervention name without naming the drug ("oral", "tablets", doses). */
const DRUG_NOISE = /\b(\d+(\.\d+)?\s*(mg|mcg|µg|ug|g|ml|iu|units?|%|mg\/kg|mg\/m2)|tablets?|capsules?|injections?|injectable|oral|iv|intravenous|subcutaneous|topical|solution|suspension|extended release|er|xr|sr|hydrochloride|hcl|sodium|low dose|high dose|dose|sequential|continuous|arm [a-z0-9]+|group [a-z0-9]+)\b/g;

/**
 * Links corpus text to graph entities during the build. The graph steps have run but indexes
 * are created only after all steps, so terms and xrefs of the linkable kinds are read once into
 * memory maps instead of being queried per name. Empty graph tables (a corpus-only build) give
 * empty maps, and documents are then linked only by the IDs their sources carry.
 */
export class EntityLinker {
  private readonly termIndex: Record<LinkRole, Map<string, LinkedEntity[]>> = { drug: new Map(), condition: new Map() };
  private readonly xrefIndex = new Map<string, { id: string; name: string; kind: string }[]>();
  private readonly nodeNames = new Map<string, { name: string; kind: string }>();

  constructor(db: DB) {
    const kindRole = new Map<string, LinkRole>();
    for (const [role, kinds] of Object.entries(ROLE_KINDS) as [LinkRole, string[]][]) for (const k of kinds) kindRole.set(k, role);
    const kinds = [...kindRole.keys()];
    const ph = kinds.map(() => '?').join(',');
    // Names before synonyms, Hetionet nodes first: the first match of a term is its best reading.
    const rows = db
      .prepare(
        `SELECT t.term_norm AS term, n.id AS id, n.name AS name, n.kind AS kind FROM terms t JOIN nodes n ON n.nid = t.nid
         WHERE n.kind IN (${ph}) AND t.term_type IN ('name', 'synonym', 'brand')
         ORDER BY (t.term_type = 'name') DESC, n.in_hetionet DESC, n.nid`,
      )
      .all(...kinds) as { term: string; id: string; name: string; kind: string }[];
    for (const r of rows) {
      const role = kindRole.get(r.kind);
      if (!role) throw new Error(`term row of kind ${r.kind}, which no link role covers (the query selects only linkable kinds)`);
      const map = this.termIndex[role];
      const list = map.get(r.term) ?? [];
      if (list.length < 3 && !list.some((e) => e.id === r.id)) list.push({ id: r.id, name: r.name });
      map.set(r.term, list);
    }
    const xr = db
      .prepare(
        `SELECT x.system AS system, x.code AS code, n.id AS id, n.name AS name, n.kind AS kind FROM xrefs x JOIN nodes n ON n.nid = x.nid
         WHERE x.system IN ('MESH', 'ICD10') AND n.kind IN (${ph}) ORDER BY n.in_hetionet DESC, n.nid`,
      )
      .all(...kinds) as { system: string; code: string; id: string; name: string; kind: string }[];
    for (const r of xr) {
      const key = `${r.system}:${r.code}`;
      const list = this.xrefIndex.get(key) ?? [];
      if (!list.some((e) => e.id === r.id)) list.push({ id: r.id, name: r.name, kind: r.kind });
      this.xrefIndex.set(key, list);
    }
    for (const r of db.prepare(`SELECT id, name, kind FROM nodes WHERE kind IN (${ph})`).all(...kinds) as { id: string; name: string; kind: string }[]) {
      this.nodeNames.set(r.id, { name: r.name, kind: r.kind });
    }
  }

  /** The graph's name for a public id, when the graph has the node. */
  nodeName(id: string): string | undefined {
    return this.nodeNames.get(id)?.name;
  }

  /** Exact (normalised) name match. */
  byName(role: LinkRole, name: string): LinkedEntity[] {
    return this.termIndex[role].get(normalizeTerm(name)) ?? [];
  }

  /**
   * Intervention names as trial registries write them ("regorafenib (bay73-4506) - sequential /
   * cisplatin / pemetrexed", "Metformin 500 mg tablets") → drugs: the whole name first, then each
   * component with parentheses, doses and formulation words removed.
   */
  drugsInIntervention(text: string): LinkedEntity[] {
    const whole = this.byName('drug', text);
    if (whole.length) return whole;
    const out = new Map<string, LinkedEntity>();
    for (const part of text.split(/\s*(?:\/|\+|;|,|\bplus\b|\band\b|\bwith\b|\bvs\.?\b|\bversus\b)\s*/i)) {
      const base = part.replace(/\([^)]*\)/g, ' ').replace(/\s-\s.*$/, ' ');
      const candidates = [base, normalizeTerm(base).replace(DRUG_NOISE, ' ')];
      for (const c of candidates) {
        const found = this.byName('drug', c);
        if (found.length) {
          for (const e of found) out.set(e.id, e);
          break;
        }
        // "Pembrolizumab monotherapy", "aspirin therapy": try the first word alone.
        const first = normalizeTerm(c).split(' ')[0];
        if (first && first.length >= 4) {
          const f = this.byName('drug', first);
          if (f.length) {
            for (const e of f) out.set(e.id, e);
            break;
          }
        }
      }
    }
    return [...out.values()];
  }

  /** Condition names: exact, then without a trailing plural or "disease"/"disorder" qualifiers. */
  conditionsByName(text: string): LinkedEntity[] {
    const n = normalizeTerm(text);
    for (const c of [n, n.replace(/s$/, ''), n.replace(/\b(disease|disorder|syndrome)s?$/, '').trim()]) {
      if (!c) continue;
      const found = this.byName('condition', c);
      if (found.length) return found;
    }
    return [];
  }

  /** ICD-10 code → Disease Ontology terms; falls back from "D02.20" to "D02.2" and "D02". */
  byIcd10(code: string): LinkedEntity[] {
    let c = code.trim().toUpperCase();
    while (c.length >= 3) {
      const hit = this.xrefIndex.get(`ICD10:${c}`);
      if (hit) return hit.filter((h) => ROLE_KINDS.condition.includes(h.kind));
      c = c.endsWith('.') ? c.slice(0, -1) : c.slice(0, -1);
      if (c.endsWith('.')) c = c.slice(0, -1);
    }
    return [];
  }

  /** MeSH descriptor id → graph nodes of the role's kinds carrying that MeSH xref. */
  byMesh(role: LinkRole, meshId: string): LinkedEntity[] {
    const hit = this.xrefIndex.get(`MESH:${meshId.toUpperCase()}`) ?? [];
    const direct = this.nodeNames.get(`MESH:${meshId.toUpperCase()}`);
    const out = hit.filter((h) => ROLE_KINDS[role].includes(h.kind)).map((h) => ({ id: h.id, name: h.name }));
    if (direct && ROLE_KINDS[role].includes(direct.kind)) out.push({ id: `MESH:${meshId.toUpperCase()}`, name: direct.name });
    return out;
  }
}
