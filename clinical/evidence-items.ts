import type { IndicationRelation, IndicationTier } from '../kb/graph/store.js';
import type { LedgerItem } from './case-types.js';
import { tierWords } from './indication-words.js';
import { articleUrl, trialUrl } from '../kb/base/corpus-types.js';

/**
 * Evidence items: each fact, path, trial, article, interaction or side effect a recommendation
 * stands on, in the one shape every answer cites (id, link, snippet, source, license).
 */

export const drugUrl = (id: string) =>
  /^DB\d{5}$/.test(id) ? `https://go.drugbank.com/drugs/${id}` : /^CHEMBL\d+$/.test(id) ? `https://www.ebi.ac.uk/chembl/compound_report_card/${id}/` : undefined;

/** KG fact id for a typed edge: "DB00331-CtD-DOID:9352". */
export const factId = (from: string, metaedge: string, to: string) => `${from}-${metaedge}-${to}`;

interface Ref { id: string; name: string; kind?: string }
interface Prov { source: string; license: string; pmids?: string[] }
interface PathLike { nodes: Ref[]; edges: { metaedge: string; provenance: Prov[] }[]; text: string }

export const licenses = (p: Prov[] | undefined) => [...new Set((p ?? []).map((x) => x.license))].join('; ') || 'see source';
export const sources = (p: Prov[] | undefined) => [...new Set((p ?? []).map((x) => x.source))].join(', ') || 'KEDRec knowledge base';

/** Mechanism path as a fact id: drug-CbG-gene-DaG-disease, each hop in the path's own direction. */
function pathId(p: PathLike): string {
  let id = p.nodes[0].id;
  p.edges.forEach((e, i) => (id += `-${e.metaedge}-${p.nodes[i + 1].id}`));
  return id;
}

export function pathItem(p: PathLike): LedgerItem {
  const drug = p.nodes[0];
  const disease = p.nodes[p.nodes.length - 1];
  const prov = p.edges.flatMap((e) => e.provenance);
  // A path is about its target gene: the link goes to the gene's page (NCBI Gene), not the drug's.
  const gene = p.nodes.slice(1, -1).find((n) => /^NCBIGene:\d+$/.test(n.id));
  const url = gene ? `https://www.ncbi.nlm.nih.gov/gene/${gene.id.slice('NCBIGene:'.length)}` : drugUrl(drug.id);
  return { type: 'kg_path', id: pathId(p), url, snippet: p.text, source: sources(prov), license: licenses(prov), drugs: [drug.id], conditions: [disease.id] };
}

const RELATION_METAEDGE: Record<IndicationRelation, string> = { treats: 'CtD', palliates: 'CpD', indicated: 'CiD' };

/**
 * An indication as evidence, its tier in plain words; one recorded for a subtype of the case's
 * disease ("streptococcal pneumonia" for pneumonia) names the subtype and is cited by its own fact.
 */
export function indicationItem(drug: Ref, relation: IndicationRelation, disease: Ref, prov: Prov[], tier: IndicationTier = 'curated', via?: Ref): LedgerItem {
  const recordedFor = via ?? disease;
  const verb = relation === 'indicated' ? 'is indicated for' : relation;
  return {
    type: 'kg_fact',
    id: factId(drug.id, RELATION_METAEDGE[relation], recordedFor.id),
    url: drugUrl(drug.id),
    snippet: `${drug.name} ${verb} ${recordedFor.name}${via ? ` (a form of ${disease.name})` : ''}: ${tierWords(relation, tier)} (${sources(prov)}).`,
    source: sources(prov),
    license: licenses(prov),
    drugs: [drug.id],
    conditions: [disease.id],
  };
}

export function interactionItem(i: { drug1: Ref; drug2: Ref; sentence: string; provenance: Prov[] }): LedgerItem {
  const [a, b] = [i.drug1.id, i.drug2.id].sort();
  return {
    type: 'interaction',
    id: `DDI:${a}-${b}`,
    url: drugUrl(i.drug1.id),
    snippet: i.sentence,
    source: sources(i.provenance),
    license: licenses(i.provenance),
    drugs: [i.drug1.id, i.drug2.id],
  };
}

export function sideEffectItem(drug: Ref, se: { sideEffect: Ref; frequency?: string; provenance: Prov[] }): LedgerItem {
  return {
    type: 'side_effect',
    id: factId(drug.id, 'CcSE', se.sideEffect.id),
    url: drugUrl(drug.id),
    snippet: `${drug.name} causes ${se.sideEffect.name}${se.frequency ? ` (${se.frequency})` : ''}.`,
    source: sources(se.provenance),
    license: licenses(se.provenance),
    drugs: [drug.id],
  };
}

/**
 * " — snippet" after a title, or nothing when the snippet only repeats (part of) the title (many trial
 * records have no summary, so the search snippet is the title again, bold marks and all).
 */
function snippetAfter(title: string, snippet: string | undefined): string {
  if (!snippet) return '';
  const norm = (s: string) => s.replace(/\*\*/g, '').replace(/…|\.\.\./g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
  const t = norm(title);
  const s = norm(snippet);
  return s && !t.includes(s) ? ` — ${snippet}` : '';
}

/** A trial as the tools write it (`nct_id`) or as the evidence store returns it (`nctId`). */
interface TrialLike {
  nct_id?: string;
  nctId?: string;
  title: string;
  snippet?: string;
  url?: string;
  phase?: string | null;
  status?: string | null;
  provenance?: { license: string; sources?: string[] };
  license?: string;
  sources?: string[];
}

export function trialItem(t: TrialLike, drugs: string[] = [], conditions: string[] = []): LedgerItem {
  const nct = t.nct_id ?? t.nctId;
  if (nct === undefined) throw new Error(`trialItem: the trial "${t.title}" has no NCT id (neither nct_id nor nctId)`);
  const license = t.provenance?.license ?? t.license ?? 'see source';
  const src = (t.provenance?.sources ?? t.sources ?? ['ClinicalTrials.gov']).join(', ');
  const tag = [t.phase, t.status].filter(Boolean).join(', ');
  const snippet = `${t.title}${tag ? ` [${tag}]` : ''}${snippetAfter(t.title, t.snippet)}`.slice(0, 400);
  return { type: 'trial', id: nct, url: t.url ?? trialUrl(nct), snippet, source: src, license, drugs, conditions };
}

/** An article as the tools write it or as the evidence store returns it. */
interface ArticleLike {
  pmid: string;
  title: string;
  snippet?: string;
  url?: string;
  year?: number | null;
  provenance?: { license: string; sources?: string[] };
  license?: string;
  sources?: string[];
}

export function articleItem(a: ArticleLike, drugs: string[] = [], conditions: string[] = []): LedgerItem {
  const license = a.provenance?.license ?? a.license ?? 'see source';
  const src = (a.provenance?.sources ?? a.sources ?? ['PubMed']).join(', ');
  const snippet = `${a.title}${a.year ? ` (${a.year})` : ''}${snippetAfter(a.title, a.snippet)}`.slice(0, 400);
  return { type: 'article', id: `PMID:${a.pmid}`, url: a.url ?? articleUrl(a.pmid), snippet, source: src, license, drugs, conditions };
}

/** The contract's EvidenceItem (drops the ledger's entity links). */
export const publicItem = (e: LedgerItem) => ({
  type: e.type,
  id: e.id,
  ...(e.url ? { url: e.url } : {}),
  snippet: e.snippet,
  source: e.source,
  license: e.license,
});

