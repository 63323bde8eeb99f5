import type { GraphStore, IndicationsResult } from '../kb/graph/store.js';

/** One drug–disease indication hidden from the graph an evaluated recommender sees. */
export interface HiddenPair {
  drugId: string;
  diseaseId: string;
}

const INDICATION_METAEDGES = new Set(['CtD', 'CpD', 'CiD']);

/**
 * A masked view of a graph store: the listed indication pairs disappear from every query that
 * could reveal them (indicated drugs of the disease, the drug's indication list, explanations
 * running over a treats/palliates edge). The leak guard for expRxRec: an example's answer
 * cannot be looked up by the tools the recommender calls. Everything else passes through.
 */
export function maskIndications(store: GraphStore, hidden: readonly HiddenPair[]): GraphStore {
  const keys = new Set(hidden.map((h) => `${h.drugId}|${h.diseaseId}`));
  const isHidden = (drugId: string, diseaseId: string) => keys.has(`${drugId}|${diseaseId}`);
  if (!keys.size) return store;
  return {
    backend: store.backend,
    resolve: (q, o) => store.resolve(q, o),
    getEntity: (id) => store.getEntity(id),
    async indicatedDrugs(diseaseId, opts) {
      // Ask for everything, filter, then apply the caller's limit, so the mask never shortens a list silently.
      const r: IndicationsResult = await store.indicatedDrugs(diseaseId, { ...opts, limit: 10_000 });
      const drugs = r.drugs.filter((d) => !isHidden(d.drug.id, r.disease.id) && !(r.requested && isHidden(d.drug.id, r.requested.id)));
      return { ...r, drugs: drugs.slice(0, opts?.limit ?? 50), total: drugs.length };
    },
    async drugProfile(drugId, opts) {
      const p = await store.drugProfile(drugId, opts);
      const indications = p.indications.filter((i) => !isHidden(p.drug.id, i.disease.id));
      return { ...p, indications, counts: { ...p.counts, indications: p.counts.indications - (p.indications.length - indications.length) } };
    },
    async mechanismPaths(drugId, diseaseId, opts) {
      const paths = await store.mechanismPaths(drugId, diseaseId, opts);
      if (!isHidden(drugId, diseaseId)) return paths;
      return paths.filter((p) => !p.edges.some((e) => INDICATION_METAEDGES.has(e.metaedge)));
    },
    interactions: (ids) => store.interactions(ids),
    similarDrugs: (id, o) => store.similarDrugs(id, o),
    similarDiseases: (id, o) => store.similarDiseases(id, o),
    stats: () => store.stats(),
    // The view does not own the store: closing it must not close the shared one.
    close: async () => {},
  };
}
