import type { DrugProfile, GraphStore } from '../kb/graph/store.js';
import { interactionItem, publicItem, sideEffectItem, type Harvest } from './citations.js';
import type { LedgerItem, TrackedCase } from './state.js';
import type { Warning } from './types.js';

/**
 * The safety check, run in code on every answer whatever wrote it: interactions between each
 * recommended drug and the current medications, allergy and class conflicts, curated
 * "not indicated" pairs, notable side effects, and what the KB cannot check (pregnancy,
 * renal/hepatic dosing). The model is asked to do this too, but nothing relies on it.
 */

export interface SafetyResult {
  /** Warnings per recommended drug id. */
  perDrug: Map<string, Warning[]>;
  /** Drugs that must not be recommended (allergy conflict, already taken): id → reason. */
  excluded: Map<string, string>;
  /** Warnings about the whole answer (what could not be checked). */
  general: Warning[];
  /** Evidence the checks used, so warnings cite it and the ledger holds it. */
  harvest: Harvest;
}

/** Side effects at or above this SIDER upper frequency bound are worth a warning. */
const NOTABLE_FREQUENCY = 0.1;
/** DrugCentral class types that describe what a drug is (not broad uses like "Pesticides"). */
const SPECIFIC_CLASS_TYPES = /class type: (?:EPC|CS|MoA)/;

const stem = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '').replace(/(?:ins|in|s)$/, '').slice(0, 8);

/** Profiles are read once per check; a drug recommended and also allergic is read once. */
async function profiles(graph: GraphStore, ids: string[]): Promise<Map<string, DrugProfile | null>> {
  const out = new Map<string, DrugProfile | null>();
  await Promise.all(
    [...new Set(ids)].map(async (id) => {
      try {
        out.set(id, await graph.drugProfile(id, { maxTargets: 0, maxSideEffects: 30, maxClasses: 30 }));
      } catch {
        out.set(id, null);
      }
    }),
  );
  return out;
}

const specificClasses = (p: DrugProfile | null | undefined) =>
  (p?.classes ?? []).filter((c) => c.provenance.some((x) => SPECIFIC_CLASS_TYPES.test(x.detail ?? '')) || !c.provenance.some((x) => x.detail)).map((c) => c.cls);

/** Runs the safety check for the given drugs against the case. */
export async function safetyCheck(graph: GraphStore, drugs: { id: string; name: string }[], c: TrackedCase): Promise<SafetyResult> {
  const perDrug = new Map<string, Warning[]>(drugs.map((d) => [d.id, []]));
  const excluded = new Map<string, string>();
  const general: Warning[] = [];
  const items: LedgerItem[] = [];
  const add = (id: string, w: Warning) => perDrug.get(id)?.push(w);
  const medIds = c.currentMedications.map((m) => m.id).filter((x): x is string => !!x);
  const allergyIds = c.allergies.map((a) => a.id).filter((x): x is string => !!x);
  const drugIds = drugs.map((d) => d.id);
  if (!drugIds.length) return { perDrug, excluded, general, harvest: { items, citable: [], drugs: {} } };

  // Interactions: one query over recommended + current drugs, keeping recommended–current pairs.
  if (medIds.length) {
    const all = await graph.interactions([...new Set([...drugIds, ...medIds])]);
    for (const i of all) {
      const pairs: [string, string][] = [[i.drug1.id, i.drug2.id], [i.drug2.id, i.drug1.id]];
      for (const [rec, med] of pairs) {
        if (perDrug.has(rec) && medIds.includes(med) && rec !== med) {
          const ev = interactionItem(i);
          items.push(ev);
          add(rec, { kind: 'interaction', message: `Interaction with current medication ${med === i.drug1.id ? i.drug1.name : i.drug2.name}: ${i.sentence}`, drugs: [rec, med], evidence: [publicItem(ev)] });
        }
      }
    }
  }

  const profs = await profiles(graph, [...drugIds, ...allergyIds]);
  for (const d of drugs) {
    if (medIds.includes(d.id)) {
      excluded.set(d.id, `${d.name} is already among the current medications`);
    }
    const p = profs.get(d.id);
    // Allergy: the same drug, a shared specific class, or the allergy's name in a class name ("sulfa" → Sulfonamides).
    for (const a of c.allergies) {
      let reason: string | undefined;
      if (a.id === d.id) reason = `the patient is allergic to ${a.name}`;
      else {
        const mine = specificClasses(p);
        const theirs = a.id ? specificClasses(profs.get(a.id)) : [];
        const shared = mine.find((m) => theirs.some((t) => t.id === m.id));
        if (shared) reason = `${d.name} shares the class "${shared.name}" with ${a.name}, to which the patient is allergic`;
        else {
          const s = stem(a.text);
          const named = s.length >= 4 ? mine.find((m) => stem(m.name).startsWith(s) || m.name.toLowerCase().includes(a.text.toLowerCase())) : undefined;
          if (named) reason = `${d.name} is in the class "${named.name}" and the patient reports an allergy to ${a.text}`;
        }
      }
      if (reason) {
        excluded.set(d.id, reason);
        add(d.id, { kind: 'allergy', message: `Allergy conflict: ${reason}.`, drugs: [d.id] });
      }
    }
    if (!p) continue;
    const notable = p.sideEffects.filter((s) => (s.frequencyValue ?? 0) >= NOTABLE_FREQUENCY).slice(0, 3);
    if (notable.length) {
      const ev = notable.map((s) => sideEffectItem(p.drug, s));
      items.push(...ev);
      add(d.id, { kind: 'side_effect', message: `Common side effects of ${d.name} (SIDER): ${notable.map((s) => `${s.sideEffect.name}${s.frequency ? ` (${s.frequency})` : ''}`).join(', ')}.`, drugs: [d.id], evidence: ev.map(publicItem) });
    }
  }
  // Curated non-indications for the patient's conditions.
  for (const cond of c.conditions) {
    if (!cond.id) continue;
    try {
      const ind = await graph.indicatedDrugs(cond.id, { limit: 1 });
      for (const n of ind.notIndicated) {
        if (perDrug.has(n.drug.id)) {
          add(n.drug.id, { kind: 'not_indicated', message: `PharmacotherapyDB curators recorded ${n.drug.name} as NOT indicated for ${ind.disease.name}.`, drugs: [n.drug.id] });
        }
      }
    } catch {
      // An unknown condition id was already reported by case extraction.
    }
  }
  if (c.pregnant) general.push({ kind: 'contraindication', message: 'The patient is pregnant: this knowledge base holds no pregnancy safety data; check each drug\'s labelling and pregnancy registries.' });
  if (c.renal) general.push({ kind: 'contraindication', message: `Renal function noted ("${c.renal}"): dose adjustment and contraindications by renal function are not in this knowledge base; check labelling.` });
  if (c.hepatic) general.push({ kind: 'contraindication', message: `Hepatic function noted ("${c.hepatic}"): hepatic dosing is not in this knowledge base; check labelling.` });
  const unresolvedMeds = c.currentMedications.filter((m) => !m.id);
  if (unresolvedMeds.length) general.push({ kind: 'notice', message: `Interactions could not be checked for unrecognised medication(s): ${unresolvedMeds.map((m) => m.text).join(', ')}.` });
  if (!medIds.length) general.push({ kind: 'notice', message: 'No current medications are recorded for this case, so no interaction check against them was possible.' });
  return { perDrug, excluded, general, harvest: { items, citable: items.map((i) => i.id), drugs: Object.fromEntries(drugs.map((d) => [d.id, d.name])) } };
}

