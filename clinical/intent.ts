import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GraphStore } from '../kb/graph/store.js';
import { clauses, negatedBefore } from './factors-reader.js';
import { groupsNamedBy, type SafetyKnowledge } from './safety/knowledge.js';

/**
 * What the question asks for, where a condition has treatments for different moments: an acute
 * migraine attack, not its prevention; a gout flare, not urate lowering; an asthma reliever, not a
 * controller. The roles come from guidelines (clinical/intent/roles.tsv, each row cited); the
 * recommender serves the asked phase and lists what belongs to the other one, saying why.
 */
export type IntentPhase = 'acute' | 'prevention';

export interface CaseIntent {
  phase: IntentPhase;
  /** The words that said so ("acute attack", "prevention"). */
  cue: string;
}

const ACUTE = /\b(?:acute(?:ly)?|(?<!heart |panic )attacks?|abort(?:ive)?|rescue|reliever|relief|flare(?:-?up)?s?|exacerbations?|as needed|prn|right now|for the pain now|status epilepticus|seizing|ongoing seizure|breakthrough)\b/;
const PREVENTION = /\b(?:prevent(?:ion|ive|ative|ing)?|prophyla(?:xis|ctic)|maintenance|controller|long-?term control|reduce (?:the )?(?:frequency|number) of|urate-?lowering|lower(?:ing)? (?:the )?(?:serum )?(?:urate|uric acid)|keep (?:the )?(?:attacks|flares|seizures) away)\b/;

/** The phase a message asks about, when it says one (a negated cue, "not for prevention", does not count). */
export function readIntent(message: string): CaseIntent | undefined {
  let found: CaseIntent | undefined;
  for (const clause of clauses(message)) {
    const lc = clause.toLowerCase();
    // Within a clause a prevention cue wins: attacks and flares are what prevention is about
    // ("prevention for 6 attacks a month"). Across clauses the later one wins ("she had an attack
    // last week; what about prevention?").
    for (const [phase, re] of [['acute', ACUTE], ['prevention', PREVENTION]] as const) {
      const m = re.exec(lc);
      // "acute" in "acute kidney injury" names a disease, not a phase; "no attacks for years" is history.
      if (!m || negatedBefore(lc, m.index) || (/^acute\b/.test(m[0]) && /\bacute (?:kidney|renal|liver|hepatic|coronary|myeloid|lymphoblastic|otitis|sinusitis|cystitis|bronchitis|pancreatitis)\b/.test(lc))) continue;
      found = { phase, cue: m[0] };
    }
  }
  return found;
}

/** A drug class the question asks for ("Which anticoagulant?", "best statin for her"). */
export interface AskedClass {
  /** Drug-group keys of clinical/rules/drug-groups.tsv. */
  groups: string[];
  /** The class as the rule tables name it ("Anticoagulants (all)"). */
  name: string;
  /** The words that asked. */
  cue: string;
}

/** A question word, then (after a few qualifiers) the words that may name a class. */
const ASKS_FOR = /\b(?:which|what|best|choice of|recommend(?:ed)?|suggest(?:ed)?|prefer(?:red)?|(?:should|could|can) (?:we|i) (?:start|add|use|give|prescribe)|start(?:ing)?|add(?:ing)?|initiat(?:e|ing))\s+(?:(?:is|are|would|be|an?|the|best|most|oral|new|first-line|second-line|good|safe|safest|suitable|appropriate|other)\s+){0,4}([a-z][a-z0-9-]*(?:\s+[a-z][a-z0-9-]*){0,3})/g;

/**
 * The drug class a question asks for, by the rule tables' class words (clinical/rules/group-terms.tsv):
 * the longest run of words after a question word that names a class. "On a statin" is a medication,
 * not a question, so only question and start/add words count; a negated ask does not.
 */
export function readAskedClass(knowledge: SafetyKnowledge, message: string): AskedClass | undefined {
  let found: AskedClass | undefined;
  for (const clause of clauses(message)) {
    const lc = clause.toLowerCase();
    for (const m of lc.matchAll(ASKS_FOR)) {
      if (negatedBefore(lc, m.index ?? 0)) continue;
      const words = m[1].split(/\s+/);
      for (let n = words.length; n >= 1; n--) {
        const groups = groupsNamedBy(knowledge, words.slice(0, n).join(' '));
        if (!groups.length) continue;
        found = { groups, name: knowledge.groups.get(groups[0])?.name ?? groups[0], cue: m[0].trim() };
        break;
      }
    }
  }
  return found;
}

export interface IntentRole {
  condition: string;
  phase: IntentPhase;
  /** Drug names and `group:` keys of the rule tables' drug groups. */
  members: string[];
  source: string;
  url: string;
  reviewed: string;
}

const DEFAULT_INTENT_ROLES_FILE = fileURLToPath(new URL('./intent/roles.tsv', import.meta.url));
const HEADER = 'condition\tphase\tmembers\tsource\turl\treviewed';

/** Reads the roles table; a malformed row stops with its line and what is valid. */
export function readIntentRoles(file = DEFAULT_INTENT_ROLES_FILE): IntentRole[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== HEADER) throw new Error(`${file}: line 1 must be the header "${HEADER.replace(/\t/g, '<TAB>')}"`);
  const out: IntentRole[] = [];
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}: line ${i + 2}`;
    const [condition, phase, members, source, url, reviewed] = line.split('\t');
    if (!/^DOID:\d+$/.test(condition ?? '')) throw new Error(`${where}: condition must be a DOID such as DOID:6364, got ${JSON.stringify(condition)}`);
    if (phase !== 'acute' && phase !== 'prevention') throw new Error(`${where}: phase must be acute or prevention, got ${JSON.stringify(phase)}`);
    if (!members?.trim()) throw new Error(`${where}: members must list drugs or group:<key>`);
    if (!source?.trim() || !/^https?:\/\//.test(url ?? '') || !reviewed?.trim()) throw new Error(`${where}: every row needs its source, a URL and who reviewed it`);
    out.push({ condition, phase, members: members.split(';').map((m) => m.trim()).filter(Boolean), source, url, reviewed });
  });
  return out;
}

/** A condition's phases with their members resolved to drug ids. */
export type ResolvedRoles = Map<string, Map<IntentPhase, { ids: Set<string>; role: IntentRole }>>;

const resolvedCache = new WeakMap<GraphStore, Promise<ResolvedRoles>>();

/**
 * The roles with every member resolved through the KB (exact names only) and the rule tables'
 * drug groups; resolved once per store. Names the KB lacks are skipped: a role cannot match them.
 */
export function resolvedIntentRoles(graph: GraphStore, knowledge: SafetyKnowledge, roles: IntentRole[] = readIntentRoles()): Promise<ResolvedRoles> {
  let p = resolvedCache.get(graph);
  if (!p) {
    p = (async () => {
      const out: ResolvedRoles = new Map();
      for (const role of roles) {
        const ids = new Set<string>();
        for (const m of role.members) {
          if (m.startsWith('group:')) for (const id of knowledge.groups.get(m.slice(6))?.members ?? []) ids.add(id);
          else {
            const hit = (await graph.resolve(m, { kinds: ['Compound'], limit: 1, exactOnly: true })).matches[0];
            if (hit) ids.add(hit.id);
          }
        }
        const byPhase = out.get(role.condition) ?? new Map();
        byPhase.set(role.phase, { ids, role });
        out.set(role.condition, byPhase);
      }
      return out;
    })();
    resolvedCache.set(graph, p);
  }
  return p;
}

export const PHASE_WORDS: Record<IntentPhase, string> = { acute: 'acute treatment (an attack, flare or relief now)', prevention: 'prevention or maintenance' };

/**
 * How a drug fits the asked phase for one condition: `fits` when the guideline lists it for that
 * phase, `other` (with the phase it belongs to) when listed only for the other one, else nothing.
 */
export function intentFit(
  roles: ResolvedRoles,
  conditionId: string,
  drugId: string,
  phase: IntentPhase,
): { fits: true; role: IntentRole } | { fits: false; other: IntentPhase; role: IntentRole } | undefined {
  const byPhase = roles.get(conditionId);
  if (!byPhase) return undefined;
  const asked = byPhase.get(phase);
  if (asked?.ids.has(drugId)) return { fits: true, role: asked.role };
  for (const [other, r] of byPhase) if (other !== phase && r.ids.has(drugId)) return { fits: false, other, role: r.role };
  return undefined;
}
