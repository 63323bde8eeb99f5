import fs from 'node:fs';
import path from 'node:path';
import { parseCsvRecords } from '../kb/sources/csv.js';
import { readSourceText } from '../kb/sources/table.js';
import type { GraphStore } from '../kb/graph/store.js';

/**
 * MIMIC-III in its published CSV layout (ADMISSIONS, DIAGNOSES_ICD, PRESCRIPTIONS) turned into
 * visits the way SafeDrug/GAMENet preprocess it: one visit per admission with its ICD9
 * diagnoses and its prescribed drugs mapped NDC → RxNorm → DrugBank → ATC, kept only when it
 * has at least one diagnosis and one mapped drug.
 */

export interface MimicVisit {
  subjectId: string;
  hadmId: string;
  /** Admission time in ms since the epoch (MIMIC shifts dates; only the order matters). */
  admitTime: number;
  /** ICD9 diagnosis codes as published (no dot), in SEQ_NUM order. */
  diagnoses: string[];
  /** Prescribed drugs as ATC level-3 codes (the standard MIMIC drug-recommendation label set). */
  atc3: string[];
  /** Prescribed drugs as DrugBank ids. */
  drugbank: string[];
}

export interface MimicPatient {
  subjectId: string;
  /** In admission order. */
  visits: MimicVisit[];
}

export interface MimicLoadStats {
  admissions: number;
  prescriptions: number;
  /** Prescription rows whose NDC has an RxNorm code in the NDC→RXCUI map. */
  withRxcui: number;
  /** Prescription rows that reached at least one ATC3 code. */
  withAtc3: number;
  /** Distinct drug names that could not be matched to a DrugBank drug (most frequent first). */
  unmappedNames: { name: string; rows: number }[];
  visitsKept: number;
  patients: number;
}

/** A source directory lacks a file or a column the loader needs. */
class MimicDataError extends Error {}

interface Table {
  header: string[];
  rows: string[][];
  col(name: string): number;
}

/** Reads a CSV with case-insensitive column names: the demo mixes `subject_id` and `SUBJECT_ID`. */
function readTable(file: string, required: string[]): Table {
  if (!fs.existsSync(file)) throw new MimicDataError(`${file} does not exist; a MIMIC-format directory needs ADMISSIONS.csv, DIAGNOSES_ICD.csv and PRESCRIPTIONS.csv`);
  const it = parseCsvRecords(readSourceText(file), file);
  const first = it.next();
  if (first.done) throw new MimicDataError(`${file} is empty`);
  const header = first.value.values.map((h) => h.trim().toLowerCase());
  const missing = required.filter((c) => !header.includes(c.toLowerCase()));
  if (missing.length) throw new MimicDataError(`${file} lacks column(s) ${missing.join(', ')} (has ${header.join(', ')})`);
  const rows: string[][] = [];
  for (const r of it) if (!(r.values.length === 1 && r.values[0] === '')) rows.push(r.values);
  return { header, rows, col: (name) => header.indexOf(name.toLowerCase()) };
}

/** Parses MIMIC times: the demo's `M/D/YYYY H:MM` and the full release's `YYYY-MM-DD HH:MM:SS`. */
export function parseMimicTime(s: string): number {
  const t = s.trim();
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) return Date.UTC(+m[3], +m[1] - 1, +m[2], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.NaN;
}

/** Where the drug vocabularies come from (the SafeDrug/GAMENet release in the data directory). */
export interface DrugMapSources {
  /** CSV `ndc,rxcui` (SafeDrug/GAMENet ndc2rxcui). */
  ndc2rxcui: string;
  /** CSV `CID…,ATC` without header (GAMENet drug-atc), joined through the KB's PubChem xrefs. */
  cidAtc?: string;
  /** SafeDrug's vocabulary JSON (`med_voc`: the ATC3 label set of the standard protocol). */
  vocab?: string;
}

/** Default vocabulary files under a data directory laid out like ../shared/data. */
export function defaultDrugMapSources(dataDir: string): DrugMapSources {
  const dir = path.join(dataDir, 'safedrug-gamenet');
  return { ndc2rxcui: path.join(dir, 'ndc2rxcui.csv'), cidAtc: path.join(dir, 'safedrug_drug-atc.csv'), vocab: path.join(dir, 'safedrug_voc_final.json') };
}

/**
 * Abbreviations common in MIMIC order entry that no drug vocabulary lists as names. Kept short
 * and explicit: anything else goes through the knowledge base's own names and synonyms.
 */
const ORDER_ALIASES: Record<string, string> = {
  ns: 'sodium chloride',
  'half ns': 'sodium chloride',
  dextrose: 'glucose',
  d5w: 'glucose',
  d5ns: 'glucose',
  'd5 1 2ns': 'glucose',
  senna: 'sennosides',
  lr: 'sodium lactate',
  kcl: 'potassium chloride',
  asa: 'aspirin',
  apap: 'acetaminophen',
  mvi: 'multivitamins',
};

/** Words that describe the form or package, not the substance. */
const FORM_WORDS = new Set(
  'neb soln solution syringe patch liquid powder rectal mini bag plus vial tab tablet cap capsule oral iv inj injection susp suspension cream ointment ophth drops spray inhaler premix ec sr er xl dr odt chewable elixir bolus infusion drip flush desensitization pca'.split(' '),
);

/** Lower case, without parentheses, doses and form words: "Albuterol 0.083% Neb Soln" → "albuterol". */
export function cleanDrugName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\d+(\.\d+)?\s*%/g, ' ')
    .replace(/\d+(\.\d+)?\s*(mg|mcg|g|ml|meq|units?|u)\b/g, ' ')
    .replace(/[^a-z0-9\s/-]/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !FORM_WORDS.has(w) && !/^\d+(\.\d+)?$/.test(w))
    .join(' ')
    .trim();
}

export interface DrugMapper {
  /** DrugBank ids and ATC3 codes for one prescription row; empty when it cannot be mapped. */
  map(ndc: string, names: string[]): Promise<{ rxcui?: string; drugbank: string[]; atc3: string[] }>;
  /** DrugBank id → ATC3 codes (from KB ATC xrefs and the CID→ATC file). */
  atc3OfDrug(drugId: string): Promise<string[]>;
  unmapped(): { name: string; rows: number }[];
}

/**
 * Maps prescriptions NDC → RxNorm (SafeDrug's NDC→RXCUI map; rows without an RXCUI are dropped
 * as in SafeDrug's preprocessing) → DrugBank (the order's generic name resolved against the KB's
 * drug names and synonyms; the data holds no RXCUI→ingredient table, and the NDC map's RXCUIs are
 * product-level while the KB's are ingredients) → ATC (KB ATC xrefs, plus GAMENet's CID→ATC
 * through the KB's PubChem xrefs) → ATC3 (first four characters).
 */
export function createDrugMapper(graph: GraphStore, sources: DrugMapSources): DrugMapper {
  const ndcRx = new Map<string, string>();
  const t = readTable(sources.ndc2rxcui, ['ndc', 'rxcui']);
  for (const r of t.rows) ndcRx.set(r[t.col('ndc')].trim(), r[t.col('rxcui')].trim());
  const cidAtc = new Map<string, Set<string>>();
  if (sources.cidAtc && fs.existsSync(sources.cidAtc)) {
    for (const line of fs.readFileSync(sources.cidAtc, 'utf8').split('\n')) {
      const [cid, atc] = line.trim().split(',');
      const m = /^CID0*(\d+)$/.exec(cid ?? '');
      if (!m || !atc) continue;
      const set = cidAtc.get(m[1]) ?? new Set<string>();
      set.add(atc.trim().toUpperCase());
      cidAtc.set(m[1], set);
    }
  }
  const standard = new Set<string>();
  if (sources.vocab && fs.existsSync(sources.vocab)) {
    const voc = JSON.parse(fs.readFileSync(sources.vocab, 'utf8')) as { med_voc?: Record<string, string> };
    for (const code of Object.values(voc.med_voc ?? {})) standard.add(code.toUpperCase());
  }
  const byName = new Map<string, Promise<string[]>>();
  const atcCache = new Map<string, Promise<string[]>>();
  const misses = new Map<string, number>();

  async function resolveOne(text: string): Promise<string | undefined> {
    if (!text) return undefined;
    const r = await graph.resolve(text, { kinds: ['Compound'], limit: 1, exactOnly: true });
    const m = r.matches[0];
    return m && /^DB\d+$/.test(m.id) ? m.id : undefined;
  }

  /** Full cleaned name, then shorter word prefixes ("metoprolol tartrate" → "metoprolol"), then each part of a combination. */
  async function resolveName(raw: string): Promise<string[]> {
    const clean = cleanDrugName(raw);
    const alias = ORDER_ALIASES[clean.replace(/[/-]/g, ' ').replace(/\s+/g, ' ')];
    if (alias) {
      const id = await resolveOne(alias);
      return id ? [id] : [];
    }
    const words = clean.replace(/[/-]/g, ' ').split(/\s+/).filter(Boolean);
    for (let n = words.length; n >= 1; n--) {
      const id = await resolveOne(words.slice(0, n).join(' '));
      if (id) {
        if (n === words.length || !/[/-]/.test(clean)) return [id];
        break;
      }
    }
    if (/[/-]/.test(clean)) {
      const parts = clean.split(/[/-]/).map((p) => p.trim()).filter(Boolean);
      const ids = (await Promise.all(parts.map((p) => resolveOne(p) ?? undefined))).filter((x): x is string => !!x);
      if (ids.length) return [...new Set(ids)];
    }
    return [];
  }

  async function atc3OfDrug(drugId: string): Promise<string[]> {
    let p = atcCache.get(drugId);
    if (!p) {
      p = (async () => {
        const e = await graph.getEntity(drugId);
        if (!e) return [];
        const codes: string[] = [];
        for (const x of e.xrefs) if (x.system === 'ATC' && x.code.length >= 4) codes.push(x.code.slice(0, 4).toUpperCase());
        for (const x of e.xrefs) if (x.system === 'PUBCHEM') for (const a of cidAtc.get(x.code.replace(/^CID0*/i, '')) ?? []) codes.push(a.slice(0, 4));
        // One class per drug, as SafeDrug keeps one ATC per RXCUI: a drug with several ATC codes
        // (sodium chloride: A12C, B05C, B05X, S01X…) would otherwise count as several drugs.
        const pick = codes.find((c) => standard.has(c)) ?? codes[0];
        return pick ? [pick] : [];
      })();
      atcCache.set(drugId, p);
    }
    return p;
  }

  return {
    async map(ndc, names) {
      const rxcui = ndcRx.get(ndc.trim());
      if (!rxcui) return { drugbank: [], atc3: [] };
      let ids: string[] = [];
      for (const n of names.filter(Boolean)) {
        const key = n.trim().toLowerCase();
        let p = byName.get(key);
        if (!p) byName.set(key, (p = resolveName(n)));
        ids = await p;
        if (ids.length) break;
      }
      if (!ids.length) {
        const label = names.find(Boolean) ?? ndc;
        misses.set(label, (misses.get(label) ?? 0) + 1);
        return { rxcui, drugbank: [], atc3: [] };
      }
      const atc3 = [...new Set((await Promise.all(ids.map(atc3OfDrug))).flat())].sort();
      return { rxcui, drugbank: ids, atc3 };
    },
    atc3OfDrug,
    unmapped: () => [...misses].map(([name, rows]) => ({ name, rows })).sort((a, b) => b.rows - a.rows || a.name.localeCompare(b.name)),
  };
}

/**
 * Loads a MIMIC-format directory into patients with ordered visits. Admissions without a
 * diagnosis or without any mapped drug are left out, as in SafeDrug/GAMENet preprocessing.
 */
export async function loadMimicDir(dir: string, mapper: DrugMapper): Promise<{ patients: MimicPatient[]; stats: MimicLoadStats }> {
  const adm = readTable(path.join(dir, 'ADMISSIONS.csv'), ['subject_id', 'hadm_id', 'admittime']);
  const dx = readTable(path.join(dir, 'DIAGNOSES_ICD.csv'), ['hadm_id', 'icd9_code']);
  const rx = readTable(path.join(dir, 'PRESCRIPTIONS.csv'), ['hadm_id', 'ndc']);
  const visits = new Map<string, MimicVisit>();
  for (const r of adm.rows) {
    const hadm = r[adm.col('hadm_id')].trim();
    const time = parseMimicTime(r[adm.col('admittime')]);
    if (Number.isNaN(time)) throw new MimicDataError(`ADMISSIONS.csv: admission ${hadm} has an unreadable admittime ${JSON.stringify(r[adm.col('admittime')])}`);
    visits.set(hadm, { subjectId: r[adm.col('subject_id')].trim(), hadmId: hadm, admitTime: time, diagnoses: [], atc3: [], drugbank: [] });
  }
  const seq = dx.col('seq_num');
  const dxRows = dx.rows
    .map((r) => ({ hadm: r[dx.col('hadm_id')].trim(), code: r[dx.col('icd9_code')].trim(), seq: seq >= 0 ? Number(r[seq]) || 0 : 0 }))
    .filter((r) => r.code)
    .sort((a, b) => a.seq - b.seq);
  for (const r of dxRows) {
    const v = visits.get(r.hadm);
    if (v && !v.diagnoses.includes(r.code)) v.diagnoses.push(r.code);
  }
  const names = ['drug_name_generic', 'drug', 'drug_name_poe'].map((c) => rx.col(c)).filter((i) => i >= 0);
  let withRxcui = 0;
  let withAtc3 = 0;
  const atcSets = new Map<string, Set<string>>();
  const dbSets = new Map<string, Set<string>>();
  for (const r of rx.rows) {
    const hadm = r[rx.col('hadm_id')].trim();
    if (!visits.has(hadm)) continue;
    const m = await mapper.map(r[rx.col('ndc')], names.map((i) => r[i]));
    if (m.rxcui) withRxcui++;
    if (m.atc3.length) withAtc3++;
    const a = atcSets.get(hadm) ?? new Set<string>();
    const d = dbSets.get(hadm) ?? new Set<string>();
    m.atc3.forEach((x) => a.add(x));
    m.drugbank.forEach((x) => d.add(x));
    atcSets.set(hadm, a);
    dbSets.set(hadm, d);
  }
  const bySubject = new Map<string, MimicVisit[]>();
  for (const v of visits.values()) {
    v.atc3 = [...(atcSets.get(v.hadmId) ?? [])].sort();
    v.drugbank = [...(dbSets.get(v.hadmId) ?? [])].sort();
    if (!v.diagnoses.length || !v.atc3.length) continue;
    const list = bySubject.get(v.subjectId) ?? [];
    list.push(v);
    bySubject.set(v.subjectId, list);
  }
  const patients = [...bySubject]
    .map(([subjectId, vs]) => ({ subjectId, visits: vs.sort((a, b) => a.admitTime - b.admitTime || a.hadmId.localeCompare(b.hadmId)) }))
    .sort((a, b) => a.subjectId.localeCompare(b.subjectId, 'en', { numeric: true }));
  return {
    patients,
    stats: {
      admissions: visits.size,
      prescriptions: rx.rows.length,
      withRxcui,
      withAtc3,
      unmappedNames: mapper.unmapped().slice(0, 20),
      visitsKept: patients.reduce((s, p) => s + p.visits.length, 0),
      patients: patients.length,
    },
  };
}

/** Reads SafeDrug's ATC3 DDI pair list (`atc3_a,atc3_b`) into a symmetric key set. */
export function loadDdiAtc3Pairs(file: string): Set<string> {
  const t = readTable(file, ['atc3_a', 'atc3_b']);
  const out = new Set<string>();
  for (const r of t.rows) {
    const a = r[t.col('atc3_a')].trim().toUpperCase();
    const b = r[t.col('atc3_b')].trim().toUpperCase();
    if (a && b) out.add(a < b ? `${a}|${b}` : `${b}|${a}`);
  }
  return out;
}
