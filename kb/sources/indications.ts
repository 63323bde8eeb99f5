import path from 'node:path';
import type { BuildContext, BuildStep } from '../base/build-context.js';
import { normalizeTerm } from '../base/graph-schema.js';
import { getOrCreate } from '../../lib/map.js';
import { readCsv } from './csv.js';
import { inferAddedParents, readDoTerms, type DoTerm } from './disease-hierarchy.js';
import { CLASS_ID_PREFIX, ID_SYSTEM } from './drugcentral.js';
import {
  chemblTier,
  DHIMMEL_RESOURCE_SOURCE,
  DHIMMEL_RESOURCE_TIER,
  ADDED_DISEASE_ALIASES,
  ADDED_DISEASE_PARENTS,
  ADDED_DISEASE_PREFIXES,
  DISEASE_CROSSWALK,
  DISEASE_NAME_ALIASES,
  DISEASE_PARENT_FALLBACKS,
  diseaseNameVariants,
  displayDrugName,
  drugNameVariants,
  groupJunkReason,
  INDICATION_TIERS,
  isAddableDisease,
  isDiagnosticAgent,
  radiolabelParentName,
  saltParentName,
  STITCH_ARTEFACT_NAMES,
  SYNONYM_VARIANT_RULES,
  TOO_GENERAL_DISEASES,
  TOO_GENERAL_PARENTS,
  type IndicationTier,
} from './indication-rules.js';
import { SOURCES } from '../base/source-registry.js';
import { dataFile, readTsv, SourceFormatError } from './table.js';

type Counter = Record<string, number>;
const bump = (c: Counter, key: string, n = 1) => {
  c[key] = (c[key] ?? 0) + n;
};
const top = (c: Map<string, number>, n = 25): [string, number][] => [...c].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);

/** What the import did with one input (a resource's rows in one file); part of meta `indication_import`. */
interface ResourceReport {
  /** Registry source id the edges carry, and its license. */
  source: string;
  license: string;
  /** Data file, relative to the data directory. */
  file: string;
  /** The `resource` value of the edges this input writes. */
  resource: string;
  rows_read: number;
  /** Rows that became an edge or repeated one already written for the same resource. */
  rows_mapped: number;
  /** Edges this input added (pairs already written by an earlier input of the same resource are merged). */
  edges: number;
  edges_by_tier: Counter;
  /** Losses: reason → rows. */
  dropped: Counter;
  /** Rows outside the import by design (SIDER text mentions and preconditions), not losses. */
  skipped: Counter;
  /** Rows whose drug was a salt and went to its parent compound. */
  salt_to_parent: number;
  /** Rows whose drug was a radiolabelled tracer of a drug and went to that drug. */
  radiolabel_to_parent: number;
  /** How each mapped row's disease was found (xref, name, synonym, alias, variant:<rule>). */
  disease_match: Counter;
  /** How each mapped row's drug was found. */
  drug_match: Counter;
  top_unmapped_diseases: [string, number][];
  top_unmapped_drugs: [string, number][];
  /** Compounds removed by a junk rule (diagnostic, withdrawn, STITCH…): reason → [name, rows], most rows first. */
  junk_drugs: Record<string, [string, number][]>;
  /** Set when the file was not read at all (a non-commercial source in a build without them). */
  not_read?: string;
}

/** Disease nodes the import added for ChEMBL diseases Disease Ontology lacks; part of meta `indication_import`. */
interface AddedDiseaseReport {
  /** Nodes added, and per public id prefix (EFO, MONDO, HP, ORPHANET). */
  nodes: number;
  by_prefix: Counter;
  /** ChEMBL disease ids that share a node with another id (the same name, or a renaming variant of it). */
  chembl_ids_merged: number;
  /** ChEMBL diseases DO lacks that got no node, by reason (too_general, below_threshold, prefix_not_used), and their rows still lost. */
  not_added: Counter;
  not_added_rows: Counter;
  /** The most frequent names behind each reason, with rows lost. */
  not_added_top: Record<string, [string, number][]>;
  /** Rows mapped onto an added node, per input. */
  rows_recovered: Counter;
  /** Rows mapped through the curated crosswalk, DO's qualifier-free synonyms and the curated parent fallbacks, per input. */
  crosswalk_rows: Counter;
  unqualified_synonym_rows: Counter;
  parent_fallback_rows: Counter;
  /** DkD edges from added nodes, by basis (curated, name:modifier, name:due_to). */
  dkd_edges: number;
  dkd_by_basis: Counter;
  /** [id, name] of every added node. */
  nodes_list: [string, string][];
}

/** The mapping report stored in meta `indication_import`. */
export interface IndicationImportReport {
  inputs: Record<string, ResourceReport>;
  edges: number;
  edges_by_tier: Counter;
  edges_by_resource: Counter;
  compounds_added: number;
  /** Diseases with at least one CtD, CpD or CiD edge after the import. */
  diseases_with_indication: number;
  /** All DkD edges: Disease Ontology's (disease-hierarchy step) and those from added disease nodes. */
  dkd_edges: number;
  diseases_added: AddedDiseaseReport;
  noncommercial_included: boolean;
}

interface DiseaseMatch {
  /** Public id of the Disease node: a DOID, or the id of a node this import added (EFO:0004698). */
  id: string;
  how: string;
}

/** A qualifier DO's SNOMED-derived synonyms carry ("Hemophilia A (disorder)"), which no source writes. */
const DO_QUALIFIER = /\((?:disorder|disease|finding)\)|\[(?:ambiguous|dup)\]/gi;

/** Disease Ontology lookup by xref and by name, as the indication sources need it. */
class DiseaseIndex {
  private readonly names = new Map<string, Set<string>>();
  private readonly synonyms = new Map<string, Set<string>>();
  /** Names and exact synonyms with DO's qualifiers removed ("hemophilia a", "chronic renal failure syndrome"). */
  private readonly unqualified = new Map<string, Set<string>>();
  private readonly termsOf = new Map<string, Set<string>>();
  private readonly xrefs = new Map<string, Set<string>>();
  /** DO names and exact synonyms as read, for the name rule that finds added nodes' parents. */
  readonly doTerms: DoTerm[] = [];

  constructor(ctx: BuildContext) {
    const file = dataFile(ctx.dataDir, 'disease-ontology', 'term-names.tsv');
    const add = (map: Map<string, Set<string>>, n: string, doid: string) => {
      getOrCreate(map, n, () => new Set()).add(doid);
    };
    // Only names and exact synonyms: related and narrow synonyms name other concepts ("lung neoplasm" for lung cancer).
    for (const t of readDoTerms(file)) {
      if (t.type !== 'name' && t.type !== 'exact-synonym') continue;
      if (ctx.nid(t.doid) === undefined) continue;
      const n = normalizeTerm(t.name);
      if (!n) continue;
      this.doTerms.push(t);
      add(t.type === 'name' ? this.names : this.synonyms, n, t.doid);
      getOrCreate(this.termsOf, t.doid, () => new Set()).add(n);
      const u = normalizeTerm(t.name.replace(DO_QUALIFIER, ' '));
      if (u && u !== n) add(this.unqualified, u, t.doid);
    }
    const rows = ctx.db
      .prepare("SELECT x.system, x.code, n.id FROM xrefs x JOIN nodes n ON n.nid = x.nid WHERE n.kind = 'Disease' AND x.system IN ('UMLS', 'EFO', 'ORPHANET', 'HP')")
      .all() as { system: string; code: string; id: string }[];
    for (const r of rows) {
      const key = DiseaseIndex.key(r.system, r.code);
      getOrCreate(this.xrefs, key, () => new Set()).add(r.id);
    }
  }

  /** Xref key: DO writes some UMLS CUIs without the C and some Orphanet ids with ORPHA. */
  static key(system: string, code: string): string {
    let c = code.trim().toUpperCase();
    if (system === 'UMLS' && /^\d+$/.test(c)) c = `C${c}`;
    if (system === 'ORPHANET') c = c.replace(/^ORPHA(?:NET)?[:_]?/, '');
    return `${system}:${c}`;
  }

  /** Whether a DOID is a Disease Ontology term this index knows (a node with a name). */
  has(doid: string): boolean {
    return this.termsOf.has(doid);
  }

  /** The DOID an xref names; with several, the one whose name is `name`; 'ambiguous' otherwise. */
  byXref(system: string, code: string, name?: string): DiseaseMatch | 'ambiguous' | undefined {
    const ids = this.xrefs.get(DiseaseIndex.key(system, code));
    if (!ids || ids.size === 0) return undefined;
    if (ids.size === 1) return { id: [...ids][0], how: 'xref' };
    const n = name ? normalizeTerm(name) : '';
    const named = [...ids].filter((id) => n && this.termsOf.get(id)?.has(n));
    return named.length === 1 ? { id: named[0], how: 'xref' } : 'ambiguous';
  }

  /**
   * The DOID a source's disease name denotes: exact DO name, then exact synonym, then the
   * curated aliases and crosswalk, then DO's names without their "(disorder)" qualifiers, then
   * lexical variants of the source's name tried the same way (each recorded). 'ambiguous' when
   * the words name several terms and nothing narrower was found. The parent fallbacks
   * (insomnia → sleep disorder) are not tried here: a node the import adds comes first.
   */
  byName(name: string): DiseaseMatch | 'ambiguous' | undefined {
    const n = normalizeTerm(name);
    if (!n) return undefined;
    let ambiguous = false;
    const tryTerm = (term: string, how: string): DiseaseMatch | undefined => {
      for (const [map, kind] of [[this.names, 'name'], [this.synonyms, 'synonym']] as const) {
        const ids = map.get(term);
        if (!ids) continue;
        if (ids.size === 1) return { id: [...ids][0], how: how || kind };
        ambiguous = true;
      }
      const alias = DISEASE_NAME_ALIASES[term];
      if (alias && this.termsOf.has(alias)) return { id: alias, how: 'alias' };
      const cross = DISEASE_CROSSWALK[term];
      if (cross && this.termsOf.has(cross.id)) return { id: cross.id, how: 'crosswalk' };
      const ids = this.unqualified.get(term);
      // A qualifier-free form shared by several terms is weaker evidence than a name: no match, not 'ambiguous'.
      if (ids?.size === 1) return { id: [...ids][0], how: how ? `${how}+unqualified_synonym` : 'unqualified_synonym' };
      return undefined;
    };
    const exact = tryTerm(n, '');
    if (exact) return exact;
    for (const v of diseaseNameVariants(name)) {
      const m = tryTerm(v.term, `variant:${v.rule}`);
      if (m) return m;
    }
    return ambiguous ? 'ambiguous' : undefined;
  }

  /** The nearest DO parent a curated fallback names for this name or one of its variants (insomnia → sleep disorder). */
  parentFallback(name: string): DiseaseMatch | undefined {
    for (const term of [normalizeTerm(name), ...diseaseNameVariants(name).map((v) => v.term)]) {
      const id = DISEASE_PARENT_FALLBACKS[term];
      if (id && this.termsOf.has(id)) return { id, how: 'parent_fallback' };
    }
    return undefined;
  }
}

/**
 * Disease nodes this import adds for ChEMBL diseases Disease Ontology lacks, looked up by
 * normalised name: their names, the synonyms added with them and the curated aliases.
 */
class AddedDiseaseIndex {
  private readonly byTerm = new Map<string, string>();
  /** Added node id → its normalised terms (name first), for the hierarchy. */
  readonly terms = new Map<string, string[]>();

  register(id: string, terms: string[]): void {
    const own = getOrCreate(this.terms, id, () => []);
    for (const t of terms) {
      const n = normalizeTerm(t);
      if (!n) continue;
      if (!this.byTerm.has(n)) this.byTerm.set(n, id);
      if (!own.includes(n)) own.push(n);
    }
  }

  /** The added node a term names exactly (its name or a synonym it was added with). */
  get(term: string): string | undefined {
    return this.byTerm.get(normalizeTerm(term));
  }

  /** The added node a source's name denotes: exact, then a curated alias, then lexical variants (a modifier removed names the parent). */
  lookup(name: string): DiseaseMatch | undefined {
    const n = normalizeTerm(name);
    if (!n) return undefined;
    const exact = this.byTerm.get(n);
    if (exact) return { id: exact, how: 'added_node_name' };
    const alias = ADDED_DISEASE_ALIASES[n] ? this.byTerm.get(ADDED_DISEASE_ALIASES[n]) : undefined;
    if (alias) return { id: alias, how: 'added_node_alias' };
    for (const v of diseaseNameVariants(name)) {
      const id = this.byTerm.get(v.term) ?? (ADDED_DISEASE_ALIASES[v.term] ? this.byTerm.get(ADDED_DISEASE_ALIASES[v.term]) : undefined);
      if (id) return { id, how: `added_node_variant:${v.rule}` };
    }
    return undefined;
  }
}

interface CompoundInfo {
  id: string;
  name: string;
  groups?: string[];
  atc: string[];
}

/** Compound lookup by xref, name and synonym, with DrugBank groups and ATC codes for the junk rules. */
class CompoundIndex {
  private readonly byName = new Map<string, number[]>();
  private readonly bySynonym = new Map<string, number[]>();
  /** Primary names only: salt → parent must land on the drug itself, not on something that lists the word as an alias. */
  private readonly primary = new Map<string, number>();
  private readonly codes = new Map<string, number[]>();
  private readonly infos = new Map<number, CompoundInfo>();
  private readonly infoStmt;

  constructor(private readonly ctx: BuildContext) {
    const add = (m: Map<string, number[]>, k: string, nid: number) => {
      const list = m.get(k);
      if (!list) m.set(k, [nid]);
      else if (!list.includes(nid)) list.push(nid);
    };
    // Iterated, not collected: the build's peak memory is what the budget limits.
    const terms = ctx.db.prepare("SELECT t.term_norm, t.nid, t.term_type FROM terms t JOIN nodes n ON n.nid = t.nid WHERE n.kind = 'Compound' AND t.term_type IN ('name', 'synonym') ORDER BY t.nid");
    for (const t of terms.iterate() as Iterable<{ term_norm: string; nid: number; term_type: string }>) {
      add(t.term_type === 'name' ? this.byName : this.bySynonym, t.term_norm, t.nid);
    }
    for (const r of ctx.db.prepare("SELECT nid, name FROM nodes WHERE kind = 'Compound' ORDER BY nid").iterate() as Iterable<{ nid: number; name: string }>) {
      const n = normalizeTerm(r.name);
      if (!this.primary.has(n)) this.primary.set(n, r.nid);
    }
    const xrefs = ctx.db.prepare("SELECT x.system, x.code, x.nid FROM xrefs x JOIN nodes n ON n.nid = x.nid WHERE n.kind = 'Compound' AND x.system IN ('CHEMBL', 'RXNORM') ORDER BY x.nid");
    for (const x of xrefs.iterate() as Iterable<{ system: string; code: string; nid: number }>) add(this.codes, `${x.system}:${x.code}`, x.nid);
    this.infoStmt = ctx.db.prepare('SELECT id, name, props FROM nodes WHERE nid = ?');
  }

  info(nid: number): CompoundInfo {
    let i = this.infos.get(nid);
    if (!i) {
      const r = this.infoStmt.get(nid) as { id: string; name: string; props: string };
      const p = JSON.parse(r.props) as { groups?: string[]; atc?: string[] };
      i = { id: r.id, name: r.name, groups: Array.isArray(p.groups) ? p.groups : undefined, atc: Array.isArray(p.atc) ? p.atc : [] };
      this.infos.set(nid, i);
    }
    return i;
  }

  /** Compounds with this xref; with several, the one named `name` comes first. */
  byCode(system: string, code: string, name?: string): number | undefined {
    const nids = this.codes.get(`${system}:${code.toUpperCase()}`);
    if (!nids?.length) return undefined;
    const n = name ? normalizeTerm(name) : '';
    return nids.find((nid) => n && normalizeTerm(this.info(nid).name) === n) ?? nids[0];
  }

  /** Exact normalised name, then synonym; the earliest node wins a tie (Hetionet and DrugBank come first). */
  lookup(name: string): number | undefined {
    const n = normalizeTerm(name);
    return this.byName.get(n)?.[0] ?? this.bySynonym.get(n)?.[0];
  }

  /** The first of `names` that resolves exactly; failing that, the first that resolves through a variant. */
  lookupFirst(names: string[]): { nid: number; how: string } | undefined {
    for (const n of names) {
      const nid = this.lookup(n);
      if (nid !== undefined) return { nid, how: 'name' };
    }
    for (const n of names) {
      for (const v of drugNameVariants(n)) {
        const nid = this.lookup(v.term);
        if (nid !== undefined) return { nid, how: v.rule };
      }
    }
    return undefined;
  }

  /**
   * The parent compound of a salt ("Metocurine Iodide" → Metocurine) or of a radiolabelled
   * tracer ("99mTc-ciprofloxacin" → Ciprofloxacin), when the parent is a compound too.
   */
  parent(nid: number): { nid: number; kind: 'salt' | 'radiolabel' } | undefined {
    const name = this.info(nid).name;
    for (const [kind, parent] of [['salt', saltParentName(name)], ['radiolabel', radiolabelParentName(name)]] as const) {
      const p = parent ? this.primary.get(parent) : undefined;
      if (p !== undefined && p !== nid) return { nid: p, kind };
    }
    return undefined;
  }

  /** Registers a compound this step created, so later rows find it. */
  register(nid: number, names: string[], codes: [string, string][]): void {
    for (const name of names) {
      const n = normalizeTerm(name);
      if (!n) continue;
      if (!this.byName.has(n)) this.byName.set(n, [nid]);
      if (!this.primary.has(n)) this.primary.set(n, nid);
    }
    for (const [system, code] of codes) {
      const k = `${system}:${code.toUpperCase()}`;
      if (!this.codes.has(k)) this.codes.set(k, [nid]);
    }
  }
}

interface PendingEdge {
  drug: number;
  disease: number;
  resource: string;
  source: string;
  license: string;
  tier: IndicationTier;
  input: string;
  detail: Record<string, unknown>;
}

/** Where a row's drug went: a compound (after salt → parent), or why it was dropped. */
type DrugOutcome = { nid: number; how: string; saltOf?: string; radiolabelOf?: string } | { drop: string; name?: string };

/**
 * Imports every indication source as CiD edges (Compound → Disease, "indicated for") with its
 * own evidence tier, source and license, and records what each mapping step lost in meta
 * `indication_import`. One edge per (drug, disease, resource).
 */
class IndicationImport {
  private readonly diseases: DiseaseIndex;
  private readonly compounds: CompoundIndex;
  private readonly edges = new Map<string, PendingEdge>();
  private readonly inputs: Record<string, ResourceReport> = {};
  private readonly unmappedDiseases = new Map<string, Map<string, number>>();
  private readonly unmappedDrugs = new Map<string, Map<string, number>>();
  private readonly notIndicated = new Set<string>();
  /** Diseases PharmacotherapyDB already gives an indication (its DM/SYM rows are the CtD/CpD edges). */
  private readonly curatedDiseases = new Set<number>();
  private readonly junk = new Map<string, Map<string, Map<string, number>>>();
  private compoundsAdded = 0;
  private readonly added = new AddedDiseaseIndex();
  /**
   * Label rows (LabeledIn, SIDER) whose disease Disease Ontology lacks, held until ChEMBL's
   * rows have added their disease nodes, so label evidence joins ChEMBL's on the same node.
   */
  private readonly deferred: { rep: ResourceReport; input: string; names: string[]; complete: (d: DiseaseMatch) => void }[] = [];
  private readonly addedReport: AddedDiseaseReport = {
    nodes: 0, by_prefix: {}, chembl_ids_merged: 0, not_added: {}, not_added_rows: {}, not_added_top: {}, rows_recovered: {}, crosswalk_rows: {},
    unqualified_synonym_rows: {}, parent_fallback_rows: {}, dkd_edges: 0, dkd_by_basis: {}, nodes_list: [],
  };

  constructor(private readonly ctx: BuildContext) {
    this.diseases = new DiseaseIndex(ctx);
    this.compounds = new CompoundIndex(ctx);
    this.readNotIndicated();
  }

  /** PharmacotherapyDB NOT pairs: physicians judged them non-indications, which outranks any lower tier. */
  private readNotIndicated(): void {
    if (!this.ctx.allows('pharmacotherapydb')) return;
    const file = dataFile(this.ctx.dataDir, 'pharmacotherapydb', 'catalog_indications.tsv');
    for (const row of readTsv(file, { required: ['doid_id', 'drugbank_id', 'category'] })) {
      const drug = this.ctx.nid(row.get('drugbank_id'));
      const disease = this.ctx.nid(row.get('doid_id'));
      if (drug === undefined || disease === undefined) continue;
      if (row.get('category') === 'NOT') this.notIndicated.add(`${drug}|${disease}`);
      else this.curatedDiseases.add(disease);
    }
  }

  private input(key: string, source: string, resource: string, file: string): ResourceReport {
    if (!this.inputs[key]) {
      this.inputs[key] = {
        source, license: SOURCES[source].license, file: path.relative(this.ctx.dataDir, file), resource,
        rows_read: 0, rows_mapped: 0, edges: 0, edges_by_tier: {}, dropped: {}, skipped: {}, salt_to_parent: 0, radiolabel_to_parent: 0,
        disease_match: {}, drug_match: {}, top_unmapped_diseases: [], top_unmapped_drugs: [], junk_drugs: {},
      };
    }
    return this.inputs[key];
  }

  private noteUnmapped(kind: 'disease' | 'drug', input: string, name: string): void {
    const all = kind === 'disease' ? this.unmappedDiseases : this.unmappedDrugs;
    const m = getOrCreate(all, input, () => new Map());
    const k = name.trim() || '(no name)';
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  /** Counts a row lost to a junk rule under the compound's name, so the report shows what each rule removed. */
  private dropJunk(rep: ResourceReport, input: string, reason: string, name: string): void {
    bump(rep.dropped, reason);
    const byReason = getOrCreate(this.junk, input, () => new Map());
    const m = getOrCreate(byReason, reason, () => new Map());
    m.set(name, (m.get(name) ?? 0) + 1);
  }

  /** Salt → parent, then the junk rules that apply to every source. */
  private settleDrug(nid: number, how: string): DrugOutcome {
    const parent = this.compounds.parent(nid);
    const target = parent?.nid ?? nid;
    const info = this.compounds.info(target);
    if (isDiagnosticAgent(info.name, info.atc)) return { drop: 'diagnostic_agent', name: info.name };
    const g = groupJunkReason(info.groups);
    if (g) return { drop: g, name: info.name };
    if (!parent) return { nid: target, how };
    const from = this.compounds.info(nid).id;
    return parent.kind === 'salt' ? { nid: target, how, saltOf: from } : { nid: target, how, radiolabelOf: from };
  }

  /**
   * Records one mapped row: checks the disease is specific enough and not a curated
   * non-indication, then adds an edge or merges the row into the edge already pending for
   * this (drug, disease, resource).
   */
  private addRow(
    rep: ResourceReport,
    inputKey: string,
    drug: Extract<DrugOutcome, { nid: number }>,
    disease: DiseaseMatch,
    tier: IndicationTier,
    detail: Record<string, unknown>,
    merge?: (e: PendingEdge) => void,
  ): void {
    if (TOO_GENERAL_DISEASES.has(disease.id)) {
      bump(rep.dropped, 'disease_too_general');
      return;
    }
    const diseaseNid = this.ctx.requireNid(disease.id);
    if (this.notIndicated.has(`${drug.nid}|${diseaseNid}`)) {
      bump(rep.dropped, 'curated_not_indication');
      return;
    }
    rep.rows_mapped++;
    bump(rep.disease_match, disease.how);
    bump(rep.drug_match, drug.how);
    if (drug.saltOf) rep.salt_to_parent++;
    if (drug.radiolabelOf) rep.radiolabel_to_parent++;
    const key = `${drug.nid}|${diseaseNid}|${rep.resource}`;
    const existing = this.edges.get(key);
    if (existing) {
      merge?.(existing);
      return;
    }
    const d: Record<string, unknown> = { ...detail };
    if (disease.how !== 'xref' && disease.how !== 'mapped') d.disease_match = disease.how;
    if (drug.saltOf) d.salt_of = drug.saltOf;
    if (drug.radiolabelOf) d.radiolabel_of = drug.radiolabelOf;
    this.edges.set(key, {
      drug: drug.nid, disease: diseaseNid, resource: rep.resource, source: rep.source, license: rep.license, tier, input: inputKey, detail: d,
    });
  }

  /** dhimmel/indications: MEDI, LabeledIn, ehrlink and PREDICT rows already mapped to DrugBank × DOID. */
  importDhimmel(): void {
    const file = dataFile(this.ctx.dataDir, 'indications-dhimmel', 'data', 'indications-verbose.tsv');
    for (const row of readTsv(file, { required: ['doid_code', 'drugbank_id', 'resource', 'drugbank_name', 'doid_name'] })) {
      const resource = row.get('resource');
      const source = DHIMMEL_RESOURCE_SOURCE[resource];
      if (!source) throw new SourceFormatError(file, row.line, `a resource (${Object.keys(DHIMMEL_RESOURCE_SOURCE).join(', ')})`, resource);
      const rep = this.input(resource, source, resource, file);
      rep.rows_read++;
      if (!this.ctx.allows(source)) {
        bump(rep.dropped, 'noncommercial_skipped');
        continue;
      }
      this.ctx.useSource(source, file);
      const drugNid = this.ctx.nid(row.get('drugbank_id'));
      if (drugNid === undefined) {
        bump(rep.dropped, 'drug_unmapped');
        this.noteUnmapped('drug', resource, row.get('drugbank_name'));
        continue;
      }
      if (this.ctx.nid(row.get('doid_code')) === undefined) {
        bump(rep.dropped, 'disease_unmapped');
        this.noteUnmapped('disease', resource, row.get('doid_name'));
        continue;
      }
      const drug = this.settleDrug(drugNid, 'drugbank_id');
      if ('drop' in drug) {
        this.dropJunk(rep, resource, drug.drop, drug.name ?? row.get('drugbank_name'));
        continue;
      }
      this.addRow(rep, resource, drug, { id: row.get('doid_code'), how: 'mapped' }, DHIMMEL_RESOURCE_TIER[resource], { mapped_by: 'dhimmel/indications' });
    }
  }

  /**
   * LabeledIn's own file (RxNorm × UMLS, 2,853 rows): the mapped file keeps 1,125 of them, so
   * the rest are mapped here through DrugCentral's RxNorm ids and Disease Ontology's UMLS xrefs
   * (then MeSH names). Rows that repeat a mapped pair add their label counts to that edge.
   */
  importLabeledInRaw(): void {
    if (!this.ctx.allows('labeledin')) return;
    const file = dataFile(this.ctx.dataDir, 'indications-dhimmel', 'labeledin', 'data', 'indications.tsv');
    this.ctx.useSource('labeledin', file);
    const rep = this.input('labeledin_raw', 'labeledin', 'labeledin', file);
    for (const row of readTsv(file, { required: ['rxnorm_id', 'disease_cui', 'n_labels', 'expert', 'crowd', 'disease_mesh_name', 'rxnorm_name'] })) {
      rep.rows_read++;
      const name = row.get('rxnorm_name');
      const viaRxnorm = this.compounds.byCode('RXNORM', row.get('rxnorm_id'), name);
      const found = viaRxnorm !== undefined ? { nid: viaRxnorm, how: 'rxnorm' } : this.compounds.lookupFirst([name]);
      if (!found) {
        bump(rep.dropped, 'drug_unmapped');
        this.noteUnmapped('drug', 'labeledin_raw', name);
        continue;
      }
      const meshName = row.get('disease_mesh_name');
      const rxnorm = row.get('rxnorm_id');
      const cui = row.get('disease_cui');
      const labels = { n_labels: Number(row.get('n_labels')) || 0, expert: row.get('expert') === '1', crowd: row.get('crowd') === '1' };
      const complete = (disease: DiseaseMatch) => {
        const drug = this.settleDrug(found.nid, found.how);
        if ('drop' in drug) {
          this.dropJunk(rep, 'labeledin_raw', drug.drop, drug.name ?? name);
          return;
        }
        this.addRow(rep, 'labeledin_raw', drug, disease, 'label', { mapped_by: 'kedrec', rxnorm, umls: cui, ...labels }, (e) => {
          const prior = Number(e.detail.n_labels ?? 0);
          e.detail.n_labels = Math.max(prior, labels.n_labels);
          if (labels.expert) e.detail.expert = true;
          if (labels.crowd) e.detail.crowd = true;
          if (e.detail.mapped_by === 'dhimmel/indications') e.detail.confirmed_by_raw_file = true;
        });
      };
      const disease = this.mapDisease([['UMLS', cui]], [meshName]);
      if (disease === 'ambiguous') {
        bump(rep.dropped, 'disease_ambiguous');
        this.noteUnmapped('disease', 'labeledin_raw', meshName);
      } else if (!disease) this.deferred.push({ rep, input: 'labeledin_raw', names: meshName ? [meshName] : [], complete });
      else complete(disease);
    }
  }

  /** Xrefs first, in order; then names (with variants and aliases). */
  private mapDisease(xrefs: [string, string][], names: string[]): DiseaseMatch | 'ambiguous' | undefined {
    let ambiguous = false;
    for (const [system, code] of xrefs) {
      if (!code) continue;
      const m = this.diseases.byXref(system, code, names[0]);
      if (m === 'ambiguous') ambiguous = true;
      else if (m) return m;
    }
    for (const name of names) {
      if (!name) continue;
      const m = this.diseases.byName(name);
      if (m === 'ambiguous') ambiguous = true;
      else if (m) return m;
    }
    return ambiguous ? 'ambiguous' : undefined;
  }

  /**
   * SIDER 4.1 label-mined indications (NLP_indication rows only; text mentions and
   * preconditions are noisy). STITCH flat ids merge stereo-isomers, salts and counter-ions, so
   * one label's indications reach several DrugBank entries: a sugar or ion is dropped; where a
   * flat id reaches an approved drug, its non-approved namesakes are dropped; a flat id reaching
   * three or more approved drugs (a shared ion such as sodium, or isomers such as quinine and
   * quinidine) cannot say whose label an indication came from and is dropped whole.
   */
  importSider(): void {
    const file = dataFile(this.ctx.dataDir, 'sider4', 'indications.tsv');
    const rep = this.input('sider_nlp', 'sider4', 'sider_nlp', file);
    if (!this.ctx.allows('sider4')) {
      rep.not_read = 'non-commercial source left out of this build';
      return;
    }
    this.ctx.useSource('sider4', file);
    const rows = [...readTsv(file, { required: ['drugbank_id', 'drugbank_name', 'stitch_id_flat', 'umls_cui_from_label', 'method', 'concept_name', 'umls_cui_from_meddra', 'meddra_name'] })];
    const flatMembers = new Map<string, Set<string>>();
    for (const row of rows) {
      const flat = row.get('stitch_id_flat');
      getOrCreate(flatMembers, flat, () => new Set()).add(row.get('drugbank_id'));
    }
    /** The DrugBank ids sharing a row's flat STITCH id; every row's flat id was grouped above. */
    const membersOf = (flat: string): string[] => {
      const members = flatMembers.get(flat);
      if (!members) throw new Error(`SIDER flat STITCH id ${flat} missing from the groups built from the same rows`);
      return [...members];
    };
    const approved = (id: string) => {
      const nid = this.ctx.nid(id);
      return nid !== undefined && (this.compounds.info(nid).groups ?? []).includes('approved');
    };
    /** Why a DrugBank id in this flat group is not the labelled drug, or undefined when it may be. */
    const stitchReason = (flat: string, id: string): string | undefined => {
      const members = membersOf(flat);
      if (members.length < 2) return undefined;
      const approvedMembers = members.filter(approved);
      if (approvedMembers.length >= 3) return 'stitch_ambiguous';
      if (approvedMembers.length > 0 && !approvedMembers.includes(id)) return 'stitch_variant';
      return undefined;
    };
    for (const row of rows) {
      rep.rows_read++;
      const method = row.get('method');
      if (method !== 'NLP_indication') {
        bump(rep.skipped, method);
        continue;
      }
      const id = row.get('drugbank_id');
      const flat = row.get('stitch_id_flat');
      const drugNid = this.ctx.nid(id);
      if (drugNid === undefined) {
        bump(rep.dropped, 'drug_unmapped');
        this.noteUnmapped('drug', 'sider_nlp', row.get('drugbank_name'));
        continue;
      }
      const drugName = this.compounds.info(drugNid).name;
      if (STITCH_ARTEFACT_NAMES.has(normalizeTerm(drugName))) {
        this.dropJunk(rep, 'sider_nlp', 'stitch_artefact', drugName);
        continue;
      }
      const stitch = stitchReason(flat, id);
      if (stitch) {
        this.dropJunk(rep, 'sider_nlp', stitch, drugName);
        continue;
      }
      const names = [row.get('concept_name'), row.get('meddra_name')];
      const umls = row.get('umls_cui_from_label');
      const complete = (disease: DiseaseMatch) => {
        const drug = this.settleDrug(drugNid, 'drugbank_id');
        if ('drop' in drug) {
          this.dropJunk(rep, 'sider_nlp', drug.drop, drug.name ?? drugName);
          return;
        }
        const shared = membersOf(flat).filter((m) => m !== id && approved(m));
        this.addRow(rep, 'sider_nlp', drug, disease, 'label_mined', {
          stitch_flat: flat, umls, label_term: names[0],
          ...(shared.length ? { stitch_shared_with: shared } : {}),
        });
      };
      const disease = this.mapDisease([['UMLS', umls], ['UMLS', row.get('umls_cui_from_meddra')]], names);
      if (disease === 'ambiguous') {
        bump(rep.dropped, 'disease_ambiguous');
        this.noteUnmapped('disease', 'sider_nlp', names[0]);
      } else if (!disease) this.deferred.push({ rep, input: 'sider_nlp', names: names.filter(Boolean), complete });
      else complete(disease);
    }
  }

  /**
   * Label rows whose disease Disease Ontology lacks, now that ChEMBL's disease nodes exist: by
   * exact name, a curated alias or a lexical variant of an added node's name; failing that, a
   * curated DO parent (insomnia → sleep disorder when no insomnia node was added); else lost.
   */
  resolveDeferred(): void {
    for (const d of this.deferred) {
      let m: DiseaseMatch | undefined;
      for (const n of d.names) if ((m = this.added.lookup(n))) break;
      if (!m) for (const n of d.names) if ((m = this.diseases.parentFallback(n))) break;
      if (m) d.complete(m);
      else {
        bump(d.rep.dropped, 'disease_unmapped');
        this.noteUnmapped('disease', d.input, d.names[0] ?? '');
      }
    }
    this.deferred.length = 0;
  }

  /**
   * ChEMBL drug_indication (max_phase ≥ 3): phase 4 = approved, phase 3 = investigational.
   * Drugs map to DrugBank through DrugCentral's ChEMBL ids, then by exact name or synonym (a
   * salt by its parent's name); the rest become Compound nodes keyed by ChEMBL id, named from
   * the row or DrugCentral, with DrugCentral's identifiers and classes. Diseases map through
   * DOIDs and DO xrefs (EFO, Orphanet, HP), then by name.
   */
  importChembl(): void {
    if (!this.ctx.allows('chembl')) return;
    const file = dataFile(this.ctx.dataDir, 'chembl-indications', 'data', 'drug_disease.csv');
    this.ctx.useSource('chembl', file);
    const rep = this.input('chembl', 'chembl', 'chembl', file);
    // Plain records rather than Row objects: the build's peak memory is what the budget limits.
    const rows: { line: number; drug: string; diseaseId: string; diseaseName: string; phase: string; drugName: string }[] = [];
    for (const row of readCsv(file, { required: ['drug_id', 'disease_id', 'disease_name', 'max_phase', 'drug_name'] })) {
      rows.push({ line: row.line, drug: row.get('drug_id'), diseaseId: row.get('disease_id'), diseaseName: row.get('disease_name'), phase: row.get('max_phase'), drugName: row.get('drug_name').trim() });
    }
    const dc = this.readDrugCentral();

    // Resolve each ChEMBL drug once.
    const rowNames = new Map<string, Set<string>>();
    const rowCount = new Map<string, number>();
    for (const row of rows) {
      const id = row.drug;
      if (!/^CHEMBL\d+$/.test(id)) throw new SourceFormatError(file, row.line, 'a ChEMBL id like CHEMBL1431', id);
      const names = getOrCreate(rowNames, id, () => new Set<string>());
      if (row.drugName) names.add(row.drugName);
      rowCount.set(id, (rowCount.get(id) ?? 0) + 1);
    }
    const resolved = new Map<string, DrugOutcome>();
    const pending: { id: string; names: string[] }[] = [];
    for (const [id, namesSet] of rowNames) {
      const dcRow = dc.byChembl.get(id);
      const names = [...namesSet, ...(dcRow ? [dcRow.name] : [])];
      const viaXref = this.compounds.byCode('CHEMBL', id, names[0]);
      if (viaXref !== undefined) {
        resolved.set(id, this.settleDrug(viaXref, 'drugcentral_chembl_id'));
        continue;
      }
      const found = this.compounds.lookupFirst(names);
      if (found) {
        const out = this.settleDrug(found.nid, found.how);
        resolved.set(id, found.how === 'salt_parent_name' && 'nid' in out ? { ...out, saltOf: id } : out);
        continue;
      }
      if (names.length === 0) {
        resolved.set(id, { drop: 'drug_unnamed' });
        continue;
      }
      pending.push({ id, names });
    }
    this.addChemblCompounds(pending, dc, resolved, rowCount);

    // Aggregate rows per (drug, disease): the highest phase decides the tier. Rows whose disease
    // DO lacks wait until the diseases ChEMBL adds are known.
    const unmapped: Parameters<IndicationImport['addChemblDiseases']>[1] = [];
    for (const row of rows) {
      rep.rows_read++;
      const id = row.drug;
      const drug = resolved.get(id);
      if (!drug) throw new Error(`indications: ChEMBL drug ${id} was neither resolved nor added as a compound`);
      if ('drop' in drug) {
        if (drug.drop === 'drug_unnamed') {
          bump(rep.dropped, drug.drop);
          this.noteUnmapped('drug', 'chembl', id);
        } else this.dropJunk(rep, 'chembl', drug.drop, drug.name ?? row.drugName);
        continue;
      }
      const phase = Number(row.phase);
      const tier = chemblTier(phase);
      if (!Number.isFinite(phase) || !tier) throw new SourceFormatError(file, row.line, 'max_phase 3.0 or 4.0', row.phase);
      const diseaseId = row.diseaseId;
      const m = /^([A-Za-z]+)_(.+)$/.exec(diseaseId);
      if (!m) throw new SourceFormatError(file, row.line, 'a disease id like EFO_0000685', diseaseId);
      const [, prefix, code] = m;
      let disease: DiseaseMatch | 'ambiguous' | undefined;
      if (prefix === 'DOID' && this.ctx.nid(`DOID:${code}`) !== undefined) disease = { id: `DOID:${code}`, how: 'doid' };
      else {
        const system = ({ EFO: 'EFO', Orphanet: 'ORPHANET', HP: 'HP' } as Record<string, string>)[prefix];
        disease = this.mapDisease(system ? [[system, code]] : [], [row.diseaseName]);
      }
      const record = { max_phase: phase, chembl_ids: [id], source_disease: `${diseaseId} ${row.diseaseName}` };
      const add = (d: DiseaseMatch) =>
        this.addRow(rep, 'chembl', drug, d, tier, record, (e) => {
          const ids = e.detail.chembl_ids as string[];
          if (!ids.includes(id)) ids.push(id);
          if (phase > Number(e.detail.max_phase)) {
            e.detail.max_phase = phase;
            e.tier = tier;
          }
        });
      if (disease === 'ambiguous') {
        bump(rep.dropped, 'disease_ambiguous');
        this.noteUnmapped('disease', 'chembl', row.diseaseName);
      } else if (!disease) unmapped.push({ diseaseId, prefix, code, name: row.diseaseName, phase, drug: drug.nid, add });
      else add(disease);
    }
    this.addChemblDiseases(rep, unmapped);
  }

  /**
   * Disease nodes for ChEMBL diseases Disease Ontology lacks (insomnia, deep vein thrombosis,
   * COVID-19…), then the rows that waited for them. ChEMBL ids that share a normalised name (or
   * a renaming variant of it) are one disease, keyed by the id with the most rows; each id stays
   * an xref in its own system. A disease gets a node when `isAddableDisease` allows it (an
   * approved row or two distinct drugs, and a specific name); rows of the others still reach an
   * added node by name or variant, or a curated DO parent, or are lost as disease_unmapped.
   */
  private addChemblDiseases(
    rep: ResourceReport,
    unmapped: { diseaseId: string; prefix: string; code: string; name: string; phase: number; drug: number; add: (d: DiseaseMatch) => void }[],
  ): void {
    const a = this.addedReport;
    const groups = new Map<string, {
      name: string; ids: Map<string, { prefix: string; code: string; name: string; rows: number }>; rows: number; drugs: Set<number>; approved: boolean;
    }>();
    const notUsed = new Set<string>();
    for (const r of unmapped) {
      if (!ADDED_DISEASE_PREFIXES[r.prefix]) {
        notUsed.add(r.diseaseId);
        continue;
      }
      const key = normalizeTerm(r.name);
      if (!key) continue;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { name: r.name, ids: new Map(), rows: 0, drugs: new Set(), approved: false }));
      const idInfo = g.ids.get(r.diseaseId) ?? { prefix: r.prefix, code: r.code, name: r.name, rows: 0 };
      idInfo.rows++;
      g.ids.set(r.diseaseId, idInfo);
      g.rows++;
      g.drugs.add(r.drug);
      if (chemblTier(r.phase) === 'approved') g.approved = true;
    }
    const nodeOf = new Map<string, string>();
    const verdictOf = new Map<string, string>();
    const sorted = [...groups].sort((x, y) => y[1].rows - x[1].rows || x[0].localeCompare(y[0]));
    for (const [key, g] of sorted) {
      const verdict = isAddableDisease(g.name, { approved: g.approved, drugs: g.drugs.size });
      verdictOf.set(key, verdict);
      if (verdict !== 'ok') {
        bump(a.not_added, verdict, g.ids.size);
        bump(a.not_added_rows, verdict, g.rows);
        continue;
      }
      const ids = [...g.ids].sort((x, y) => y[1].rows - x[1].rows || x[0].localeCompare(y[0]));
      const synonyms = diseaseNameVariants(g.name).filter((v) => SYNONYM_VARIANT_RULES.has(v.rule)).map((v) => v.term);
      // A renaming of a node already added ("Seizures" for "Seizure") joins it rather than duplicating it.
      const same = [key, ...synonyms].map((t) => this.added.get(t)).find((x): x is string => !!x);
      let nodeId = same;
      if (!nodeId) {
        const [, first] = ids[0];
        nodeId = `${ADDED_DISEASE_PREFIXES[first.prefix]}:${first.code}`;
        // addNode would hand back an existing node of that id, of whatever kind: a clash here is a bug, not a match.
        if (this.ctx.nid(nodeId) !== undefined) throw new Error(`indications: ChEMBL disease ${nodeId} (${first.name}) matched no Disease Ontology term, but a node with that id already exists`);
        this.ctx.addNode({ id: nodeId, kind: 'Disease', name: first.name, source: 'chembl', props: { added_by: 'chembl' } });
        a.nodes++;
        bump(a.by_prefix, ADDED_DISEASE_PREFIXES[first.prefix]);
        a.nodes_list.push([nodeId, first.name]);
        a.chembl_ids_merged += ids.length - 1;
      } else a.chembl_ids_merged += ids.length;
      const nid = this.ctx.requireNid(nodeId);
      const aliases = Object.entries(ADDED_DISEASE_ALIASES).filter(([, target]) => target === key).map(([alias]) => alias);
      for (const [, info] of ids) {
        this.ctx.addXref(nid, ADDED_DISEASE_PREFIXES[info.prefix], info.code, 'chembl');
        this.ctx.addTerm(nid, info.name, 'synonym', 'chembl');
      }
      for (const t of [...synonyms, ...aliases]) this.ctx.addTerm(nid, t, 'synonym', 'chembl');
      this.added.register(nodeId, [g.name, ...ids.map(([, i]) => i.name), ...synonyms, ...aliases]);
      for (const [diseaseId] of ids) nodeOf.set(diseaseId, nodeId);
    }
    if (notUsed.size) bump(a.not_added, 'prefix_not_used', notUsed.size);
    const lostNames = new Map<string, Map<string, number>>();
    for (const r of unmapped) {
      const own = nodeOf.get(r.diseaseId);
      const verdict = verdictOf.get(normalizeTerm(r.name));
      if (!own && verdict === 'too_general') {
        bump(rep.dropped, 'disease_too_general');
        const m = getOrCreate(lostNames, 'too_general', () => new Map());
        m.set(r.name, (m.get(r.name) ?? 0) + 1);
        continue;
      }
      const m = own ? { id: own, how: 'added_node' } : (this.added.lookup(r.name) ?? this.diseases.parentFallback(r.name));
      if (m) r.add(m);
      else {
        bump(rep.dropped, 'disease_unmapped');
        this.noteUnmapped('disease', 'chembl', r.name);
        if (ADDED_DISEASE_PREFIXES[r.prefix]) {
          const reason = verdict ?? 'unnamed';
          const lm = getOrCreate(lostNames, reason, () => new Map());
          lm.set(r.name, (lm.get(r.name) ?? 0) + 1);
        } else bump(a.not_added_rows, 'prefix_not_used');
      }
    }
    for (const [reason, names] of lostNames) a.not_added_top[reason] = top(names, 15);
    this.writeAddedHierarchy();
  }

  /**
   * DkD for the added disease nodes: a curated parent where names cannot show it
   * (ADDED_DISEASE_PARENTS: insomnia → sleep disorder), otherwise the name rule the Disease
   * Ontology step uses, over DO's names and the added nodes' ("low back pain" → back pain,
   * "post operative nausea and vomiting" → nausea and vomiting). Only links from an added node;
   * DO terms keep the parents the hierarchy step gave them.
   */
  private writeAddedHierarchy(): void {
    const a = this.addedReport;
    const source = 'chembl';
    const license = SOURCES.chembl.license;
    const curated = new Set<string>();
    for (const [id, terms] of this.added.terms) {
      const entry = ADDED_DISEASE_PARENTS[terms[0]];
      if (!entry) continue;
      curated.add(id);
      const parent = /^DOID:/.test(entry.parent) ? (this.diseases.has(entry.parent) ? entry.parent : undefined) : this.added.get(entry.parent);
      // A curated parent that is not in this build (no venous thrombosis node) leaves the node to the name rule.
      if (!parent) {
        curated.delete(id);
        continue;
      }
      this.ctx.addEdge(this.ctx.requireNid(id), 'DkD', this.ctx.requireNid(parent), source, license, { basis: 'curated', why: entry.why, added_by: 'chembl' });
      a.dkd_edges++;
      bump(a.dkd_by_basis, 'curated');
    }
    const added = [...this.added.terms].map(([id, terms]) => ({ id, terms }));
    for (const l of inferAddedParents(this.diseases.doTerms, added, { skipChildren: curated, notParents: TOO_GENERAL_PARENTS })) {
      this.ctx.addEdge(this.ctx.requireNid(l.child), 'DkD', this.ctx.requireNid(l.parent), source, license, {
        basis: 'name', rule: l.rule, child_term: l.childTerm, parent_term: l.parentTerm, added_by: 'chembl',
      });
      a.dkd_edges++;
      bump(a.dkd_by_basis, `name:${l.rule}`);
    }
  }

  /** DrugCentral drugs by ChEMBL id (names, the drug id that keys their other identifiers). */
  private readDrugCentral(): { byChembl: Map<string, { drugId: string; name: string }> } {
    const byChembl = new Map<string, { drugId: string; name: string }>();
    if (!this.ctx.allows('drugcentral')) return { byChembl };
    const file = dataFile(this.ctx.dataDir, 'drugcentral-2016', 'identifiers.tsv');
    this.ctx.useSource('drugcentral', file);
    for (const row of readTsv(file, { required: ['DRUG_ID', 'DRUG_NAME', 'ID_TYPE', 'IDENTIFIER'], unquote: true })) {
      if (row.get('ID_TYPE') === 'ChEMBL_ID') byChembl.set(row.get('IDENTIFIER').toUpperCase(), { drugId: row.get('DRUG_ID'), name: row.get('DRUG_NAME') });
    }
    return { byChembl };
  }

  /** DrugCentral identifiers (UNII, RxNorm, MeSH…) of the given DrugCentral drugs, as KB xref systems. */
  private readDrugCentralIds(drugIds: Set<string>): Map<string, [string, string][]> {
    const ids = new Map<string, [string, string][]>();
    if (drugIds.size === 0 || !this.ctx.allows('drugcentral')) return ids;
    const file = dataFile(this.ctx.dataDir, 'drugcentral-2016', 'identifiers.tsv');
    for (const row of readTsv(file, { required: ['DRUG_ID', 'DRUG_NAME', 'ID_TYPE', 'IDENTIFIER'], unquote: true })) {
      const drugId = row.get('DRUG_ID');
      const system = ID_SYSTEM[row.get('ID_TYPE')];
      if (!system || system === 'CHEMBL' || !drugIds.has(drugId)) continue;
      getOrCreate(ids, drugId, () => []).push([system, row.get('IDENTIFIER')]);
    }
    return ids;
  }

  /**
   * Creates Compound nodes for ChEMBL drugs DrugBank 4.2 lacks. A salt and its parent (or two
   * ChEMBL ids of one DrugCentral drug) become one node keyed by the parent's ChEMBL id; every
   * ChEMBL id stays an xref. Diagnostic agents get no node.
   */
  private addChemblCompounds(
    pending: { id: string; names: string[] }[],
    dc: ReturnType<IndicationImport['readDrugCentral']>,
    resolved: Map<string, DrugOutcome>,
    rowCount: Map<string, number>,
  ): void {
    const groups = new Map<string, { id: string; names: string[] }[]>();
    for (const p of pending) {
      const primary = dc.byChembl.get(p.id)?.name ?? p.names[0];
      const key = saltParentName(primary) ?? normalizeTerm(primary);
      getOrCreate(groups, key, () => []).push(p);
    }
    const dcIds = new Set(pending.map((p) => dc.byChembl.get(p.id)?.drugId).filter((x): x is string => !!x));
    const classRows = this.readClassesFor(dcIds);
    const otherIds = this.readDrugCentralIds(dcIds);
    for (const [key, members] of groups) {
      // The parent form names the node when present; otherwise the drug with the most rows.
      members.sort((a, b) => {
        const pa = members.length > 1 && normalizeTerm(dc.byChembl.get(a.id)?.name ?? a.names[0]) === key ? 0 : 1;
        const pb = members.length > 1 && normalizeTerm(dc.byChembl.get(b.id)?.name ?? b.names[0]) === key ? 0 : 1;
        return pa - pb || (rowCount.get(b.id) ?? 0) - (rowCount.get(a.id) ?? 0) || a.id.localeCompare(b.id);
      });
      const rep = members[0];
      const repDc = dc.byChembl.get(rep.id);
      const name = displayDrugName(repDc?.name ?? rep.names[0]);
      if (isDiagnosticAgent(name) || members.some((m) => m.names.some((n) => isDiagnosticAgent(n)))) {
        for (const m of members) resolved.set(m.id, { drop: 'diagnostic_agent', name });
        continue;
      }
      const nid = this.ctx.addNode({
        id: rep.id, kind: 'Compound', name, source: 'chembl',
        props: { added_by: 'chembl', chembl_ids: members.map((m) => m.id).sort(), ...(repDc ? { drugcentral_id: repDc.drugId } : {}) },
      });
      this.compoundsAdded++;
      const allNames = new Set<string>();
      const codes: [string, string][] = [];
      for (const m of members) {
        this.ctx.addXref(nid, 'CHEMBL', m.id, 'chembl');
        codes.push(['CHEMBL', m.id]);
        for (const n of m.names) allNames.add(n);
        const d = dc.byChembl.get(m.id);
        if (d) {
          allNames.add(d.name);
          this.ctx.addXref(nid, 'DRUGCENTRAL', d.drugId, 'drugcentral');
          for (const [system, code] of otherIds.get(d.drugId) ?? []) this.ctx.addXref(nid, system, code, 'drugcentral');
        }
      }
      // The parent name resolves too ("dolutegravir" for a node named from "DOLUTEGRAVIR SODIUM").
      const parentName = saltParentName(name);
      if (parentName) allNames.add(parentName);
      for (const n of allNames) this.ctx.addTerm(nid, n, 'synonym', dc.byChembl.has(rep.id) && n === repDc?.name ? 'drugcentral' : 'chembl');
      this.compounds.register(nid, [name, ...allNames], codes);
      const classes = new Map<number, string>();
      for (const m of members) {
        const d = dc.byChembl.get(m.id);
        for (const [c, type] of (d && classRows.get(d.drugId)) ?? []) classes.set(c, type);
      }
      for (const [c, type] of classes) this.ctx.addEdge(c, 'PCiC', nid, 'drugcentral', SOURCES.drugcentral.license, { classType: type, added_by: 'chembl' });
      for (const m of members) resolved.set(m.id, { nid, how: 'new_compound', ...(m.id !== rep.id && saltParentName(m.names[0]) ? { saltOf: m.id } : {}) });
    }
  }

  /** Pharmacologic class nodes (as the drugcentral step keys them) for DrugCentral drug ids. */
  private readClassesFor(drugIds: Set<string>): Map<string, Map<number, string>> {
    const out = new Map<string, Map<number, string>>();
    if (drugIds.size === 0 || !this.ctx.allows('drugcentral')) return out;
    const file = dataFile(this.ctx.dataDir, 'drugcentral-2016', 'pharm_class.tsv');
    this.ctx.useSource('drugcentral', file);
    const kindOf = this.ctx.db.prepare('SELECT kind FROM nodes WHERE nid = ?').pluck();
    for (const row of readTsv(file, { required: ['DRUG_ID', 'TYPE', 'CLASS_SOURCE_ID', 'CLASS', 'SOURCE'] })) {
      const prefix = CLASS_ID_PREFIX[row.get('SOURCE')];
      if (!prefix || !drugIds.has(row.get('DRUG_ID'))) continue;
      const nid = this.ctx.addNode({
        id: prefix + row.get('CLASS_SOURCE_ID'), kind: 'Pharmacologic Class', name: row.get('CLASS'), source: 'drugcentral',
        props: { classType: row.get('TYPE'), classSource: row.get('SOURCE') },
      });
      if (kindOf.get(nid) !== 'Pharmacologic Class') continue;
      getOrCreate(out, row.get('DRUG_ID'), () => new Map()).set(nid, row.get('TYPE'));
    }
    return out;
  }

  /** Writes the pending edges and the report. */
  finish(): IndicationImportReport {
    const byTier: Counter = {};
    const byResource: Counter = {};
    for (const t of INDICATION_TIERS) if (t !== 'curated') byTier[t] = 0;
    for (const e of this.edges.values()) {
      this.ctx.addEdge(e.drug, 'CiD', e.disease, e.source, e.license, { tier: e.tier, resource: e.resource, ...e.detail });
      const rep = this.inputs[e.input];
      rep.edges++;
      bump(rep.edges_by_tier, e.tier);
      bump(byTier, e.tier);
      bump(byResource, e.resource);
    }
    for (const [key, rep] of Object.entries(this.inputs)) {
      rep.top_unmapped_diseases = top(this.unmappedDiseases.get(key) ?? new Map());
      rep.top_unmapped_drugs = top(this.unmappedDrugs.get(key) ?? new Map());
      for (const [reason, names] of this.junk.get(key) ?? []) rep.junk_drugs[reason] = top(names);
      for (const [how, n] of Object.entries(rep.disease_match)) {
        if (how.startsWith('added_node')) bump(this.addedReport.rows_recovered, key, n);
        else if (how === 'crosswalk') bump(this.addedReport.crosswalk_rows, key, n);
        else if (how.endsWith('unqualified_synonym')) bump(this.addedReport.unqualified_synonym_rows, key, n);
        else if (how === 'parent_fallback') bump(this.addedReport.parent_fallback_rows, key, n);
      }
      const accounted = rep.rows_mapped + Object.values(rep.dropped).reduce((a, b) => a + b, 0) + Object.values(rep.skipped).reduce((a, b) => a + b, 0);
      // Every row read is mapped, dropped with a reason or skipped by design; anything else is a bug here.
      if (accounted !== rep.rows_read) throw new Error(`indications: ${key} read ${rep.rows_read} rows but accounted for ${accounted}`);
    }
    // Counted in memory: a scan of the unindexed edges table here would fill SQLite's page cache early and raise the build's peak memory.
    const diseases = new Set(this.curatedDiseases);
    for (const e of this.edges.values()) diseases.add(e.disease);
    const hierarchy = this.ctx.db.prepare("SELECT value FROM meta WHERE key = 'disease_hierarchy'").pluck().get() as string | undefined;
    return {
      inputs: this.inputs,
      edges: this.edges.size,
      edges_by_tier: byTier,
      edges_by_resource: byResource,
      compounds_added: this.compoundsAdded,
      diseases_with_indication: diseases.size,
      dkd_edges: (hierarchy ? Number((JSON.parse(hierarchy) as { dkd_edges: number }).dkd_edges) : 0) + this.addedReport.dkd_edges,
      diseases_added: this.addedReport,
      noncommercial_included: this.ctx.noncommercial,
    };
  }
}

/**
 * Indications by evidence tier (CiD): LabeledIn (label), ChEMBL phase 4 (approved), SIDER NLP
 * and MEDI high precision (label_mined), MEDI low precision, ehrlink and PREDICT
 * (ehr_or_predicted), ChEMBL phase 3 (investigational). PharmacotherapyDB stays CtD/CpD.
 * ChEMBL diseases Disease Ontology (2016) lacks become Disease nodes (EFO:…, MONDO:…, HP:…,
 * ORPHANET:…) with their own DkD parents, and label rows naming them join them. Trial rows
 * (clintrials) are evidence that a drug is studied, never an indication, and are not read
 * here. Runs after the vocabulary steps (it maps onto their nodes) and before `derived`
 * (degrees count these edges).
 */
export const indicationsStep: BuildStep = {
  id: 'indications',
  title: 'Indications by evidence tier (LabeledIn, ChEMBL, SIDER, MEDI, ehrlink, PREDICT)',
  sources: ['labeledin', 'chembl', 'medi', 'ehrlink', 'predict', 'sider4'],
  run(ctx: BuildContext) {
    const title = 'Indications by evidence tier';
    const imp = new IndicationImport(ctx);
    ctx.progress('indications', title, 0, 4);
    imp.importDhimmel();
    imp.importLabeledInRaw();
    ctx.progress('indications', title, 1, 4);
    imp.importSider();
    ctx.progress('indications', title, 2, 4);
    imp.importChembl();
    imp.resolveDeferred();
    ctx.progress('indications', title, 3, 4);
    const report = imp.finish();
    ctx.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('indication_import', JSON.stringify(report));
    ctx.progress('indications', title, 4, 4);
  },
};
