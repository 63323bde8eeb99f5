import type { CkdStage, HepaticLevel } from './patient-factors.js';

/**
 * Reads patient factors from a clinician's free text: pregnancy and its stage, breastfeeding,
 * kidney function (eGFR, CrCl, CKD stage, dialysis), liver function (Child–Pugh, cirrhosis),
 * weight, QTc, and prescriber overrides. Pure and linear in the text: the text is split into
 * clauses once, and every pattern runs on one bounded clause with no nested unbounded repetition,
 * so a megabyte of hostile text costs milliseconds, not minutes.
 */

export interface FactorDelta {
  pregnant?: boolean;
  pregnancyWeeks?: number;
  trimester?: 1 | 2 | 3;
  breastfeeding?: boolean;
  egfr?: number;
  crcl?: number;
  ckdStage?: CkdStage;
  dialysis?: boolean;
  /** The clause that stated kidney function, as the user wrote it. */
  renalText?: string;
  hepaticLevel?: HepaticLevel;
  activeLiverDisease?: boolean;
  hepaticText?: string;
  weightKg?: number;
  qtcMs?: number;
  /** Drug names or rule ids the prescriber says to use anyway. */
  overrides: string[];
  /** Overrides the prescriber takes back ("cancel the override for ibuprofen"). */
  revokedOverrides: string[];
  /** A factor named without a value the reader could take ("eGFR pending"): said, never guessed. */
  unread: string[];
}

/** Longest clause a pattern ever sees: beyond it, a clause is cut (no sentence runs this long). */
const MAX_CLAUSE = 400;

/** Splits text into clauses at sentence and clause punctuation, each cut to MAX_CLAUSE characters. */
export function clauses(text: string): string[] {
  const out: string[] = [];
  // A full stop ends a clause only before a space or the end: "K 5.8" and "eGFR 22.5" stay whole.
  for (const part of text.split(/[;!?\n]+|\.(?=\s|$)/)) {
    const t = part.trim();
    if (!t) continue;
    for (let i = 0; i < t.length; i += MAX_CLAUSE) out.push(t.slice(i, i + MAX_CLAUSE));
  }
  return out;
}

/**
 * A negation cue shortly before a position in a clause ("no", "denies", "not on", "without"), in
 * the manner of NegEx: its scope ends at a conjunction or a comma ("denies chest pain and has heart
 * failure"), at most three words separate cue and term, and pseudo-negations that negate something
 * else do not count ("no problems with the mechanical valve", "no recent exacerbation of
 * myasthenia", "not sure whether she has epilepsy").
 */
export function negatedBefore(clause: string, at: number): boolean {
  const before = clause.slice(Math.max(0, at - 48), at).toLowerCase();
  const terminators = /(?:,|\bbut\b|\bhowever\b|\band\b|\bbecause\b|\bdue to\b|\bwith\b|\bwhich\b|\bwho\b|\balthough\b|\bthough\b|\bsince\b|\bas\b)/g;
  let cut = -1;
  for (const m of before.matchAll(terminators)) cut = Math.max(cut, (m.index ?? 0) + m[0].length);
  const scope = cut >= 0 ? before.slice(cut) : before;
  if (PSEUDO_NEGATION.test(scope)) return false;
  // "non-" negates only the word it is joined to ("non-diabetic"), not a phrase ("non-urticarial rash").
  return /\b(?:no|not|denies|denied|without|negative for|never had|never been|free of|rules? out|ruled out|nor)\b[\s-]*(?:\w+[\s-]+){0,3}$/.test(scope) || /\bnon-$/.test(scope);
}

/** Negation words that negate something other than the term that follows. */
const PSEUDO_NEGATION = /\b(?:no|not|without)\s+(?:(?:recent|new|further|current|acute|major|significant)\s+)?(?:problems?|issues?|complications?|changes?|worsening|exacerbations?|flares?|episodes?|concerns?)\b|\bnot (?:sure|certain|clear|known)\b|\bno change\b|\bnot only\b|\bnot just\b/;

const STAGE: Record<string, CkdStage> = { '1': '1', '2': '2', '3': '3a', '3a': '3a', '3b': '3b', '4': '4', '5': '5' };

/** Reads the factors one message states. */
export function readFactors(text: string): FactorDelta {
  const out: FactorDelta = { overrides: [], revokedOverrides: [], unread: [] };
  for (const raw of clauses(text)) {
    const c = raw.toLowerCase();
    readPregnancy(raw, c, out);
    if (/\b(?:breast-?\s?feeding|breastfeeds|breast feeds|lactating|nursing (?:mother|her (?:baby|infant)|an infant))\b/.test(c)) {
      const at = c.search(/breast|lactating|nursing/);
      // Only a stop that governs breastfeeding ends it ("stopped breastfeeding", "weaned"), not "stopped sertraline".
      const ended = /\b(?:stopped|finished|ceased|quit|no longer)\s+(?:breast-?\s?feeding|nursing)\b|\bweaned\b/.test(c);
      out.breastfeeding = !negatedBefore(c, at) && !ended;
    }
    readRenal(raw, c, out);
    readHepatic(raw, c, out);
    // A body weight, not a change of weight ("lost 10 kg") or a dose per kilogram.
    const kg = /\b(\d{1,3}(?:\.\d)?)\s*kg\b(?!\s*\/|\s*per)/.exec(c);
    if (kg && !/\b(?:lost|losing|loss|gained|gaining|gain|down|up|dropped|drop)\b[^0-9]{0,12}$/.test(c.slice(0, kg.index)) && Number(kg[1]) >= 2 && Number(kg[1]) <= 350) out.weightKg = Number(kg[1]);
    const qt = /\bqtc?\b(?:\s+interval)?[^0-9.;]{0,24}?(\d{3})\b/.exec(c);
    if (qt && Number(qt[1]) >= 300 && Number(qt[1]) <= 750) out.qtcMs = Number(qt[1]) + (/[>≥]|above|over/.test(qt[0]) ? 1 : 0);
    else if (/\bqtc\b/.test(c) && !/\bnormal\b/.test(c)) out.unread.push(`QTc (no value read from "${raw.trim().slice(0, 80)}")`);
    readOverrides(c, out);
  }
  return out;
}

function readPregnancy(raw: string, c: string, out: FactorDelta): void {
  // "6 weeks postpartum": delivered, so not pregnant now (only with the time since delivery, and
  // only where the clause states no pregnancy: "history of postpartum haemorrhage" says nothing of now).
  if (/\b\d{1,2}\s*(?:weeks?|wks?|days?|months?)\s+(?:postpartum|post-partum|postnatal|post-natal|after (?:delivery|birth|giving birth))\b/.test(c) && !/\bpregnan/.test(c)) {
    out.pregnant = false;
    return;
  }
  const neg = /\b(?:not|non|isn'?t|is not|no longer|never been)[\s-]*pregnant\b|\bnon-?pregnant\b|\bnot currently pregnant\b|\bpregnancy test (?:is |was )?negative\b|\bnegative pregnancy test\b|\bpregnan(?:t|cy)\s*[:=-]\s*(?:no|n|negative|none)\b/.exec(c);
  if (neg) {
    out.pregnant = false;
    return;
  }
  const mention = /\b(?:pregnan(?:t|cy)|gestation(?:al)?|gravid|trimester|g\d+\s*p\d+|\d{1,2}\/40)\b/.exec(c);
  if (!mention) return;
  const positiveTest = /\bpositive (?:urine |serum |home )?(?:pregnancy test|hcg|beta-?hcg|β-?hcg)\b|\bpregnancy test (?:is |was |came back )?positive\b/.test(c);
  // "planning a pregnancy", "pregnancy test pending", "history of pregnancy loss" do not make her pregnant now.
  if (/\b(?:planning|plans?|wants?|wishes|trying) (?:to (?:become|get) pregnant|a pregnancy|for pregnancy|to conceive)|\bpregnancy (?:test|prevention|planning|status)\b|\b(?:possible|possibly|might be|may be|could be) pregnant\b|\bprevious pregnanc|\bpast pregnanc|\bpregnancy loss\b|\bpostpartum\b|\bafter (?:her )?pregnancy\b/.test(c) && !/\b(?:is|currently|now) pregnant\b|\bweeks? pregnant\b/.test(c) && !positiveTest) return;
  if (/\b(?:pregnan(?:t|cy)|gestation|gravid|trimester|\d{1,2}\/40)\b/.test(c)) {
    if (!negatedBefore(c, mention.index)) out.pregnant = true;
  }
  // Weeks of gestation only: "20 weeks pregnant", "at 32 weeks", "32/40", "GA 20"; not "back pain for 2 weeks".
  const weeks =
    /\b(\d{1,2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?)['’]?\s*(?:pregnant|gestation|of gestation|of pregnancy|gestational|ga)\b/.exec(c) ??
    /\b(?:pregnant|gestation|gestational age|ga)\s*(?:at|of|is|:|,)?\s*(\d{1,2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?|w)?\b/.exec(c) ??
    /\bat\s+(\d{1,2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?)\b/.exec(c) ??
    /\b(\d{1,2})\/40\b/.exec(c) ??
    /\b(\d{1,2})w\+?\d?\b/.exec(c) ??
    // "positive pregnancy test, about 7 weeks": bare weeks in a clause that states a pregnancy, unless they time something else.
    (out.pregnant ? /\b(?:about|around|approximately|approx\.?|~|roughly)?\s*(\d{1,2})\s*(?:weeks?|wks?)\b(?!\s*(?:ago|of (?:cough|pain|symptoms|fever|diarrh\w*)|history))/.exec(c.replace(/\b(?:for|since|over|past|last|x)\s+(?:the\s+)?(?:past\s+|last\s+)?\d{1,2}\s*(?:weeks?|wks?)\b/g, '')) : null);
  if (weeks && out.pregnant !== false) {
    const w = Number(weeks[1]);
    if (w >= 1 && w <= 42) {
      out.pregnancyWeeks = w;
      out.pregnant = true;
    }
  }
  const tri = /\b(first|second|third|1st|2nd|3rd)\s+trimester\b/.exec(c);
  if (tri) {
    out.trimester = ({ first: 1, '1st': 1, second: 2, '2nd': 2, third: 3, '3rd': 3 } as const)[tri[1] as 'first'];
    out.pregnant = true;
  }
}

/**
 * The value a measure states in the words after its name: the first number, or the last one of a
 * trend ("fell from 60 to 25"); a "<" or "below" makes it an upper bound just under the number,
 * a ">" or "above" a lower bound just over it. Years and identifiers (4+ digits) are skipped.
 */
function measuredValue(after: string, max: number): number | undefined {
  const window = after.slice(0, 48).split(/[;,]/)[0];
  const nums = [...window.matchAll(/(<=|>=|[<>≤≥]|\b(?:below|under|less than|above|over|more than|greater than)\b)?\s*\b(\d{1,3}(?:\.\d+)?)\b(?![\d/])/g)].filter((m) => Number(m[2]) <= max);
  if (!nums.length) return undefined;
  const trend = /\bfrom\b.*\bto\b|→|->|\bnow\b|\bdown to\b|\bfallen to\b|\bdropped to\b/.test(window);
  const m = trend ? nums[nums.length - 1] : nums[0];
  const n = Number(m[2]);
  const cmp = m[1] ?? '';
  if (/[<≤]|below|under|less/.test(cmp)) return cmp === '<=' || cmp === '≤' ? n : n - 0.1;
  if (/[>≥]|above|over|more|greater/.test(cmp)) return cmp === '>=' || cmp === '≥' ? n : n + 0.1;
  return n;
}

function readRenal(raw: string, c: string, out: FactorDelta): void {
  const egfrAt = /\be-?gfr\b/.exec(c);
  const crclAt = /\b(?:crcl|cr\s?cl|creatinine clearance|clcr)\b/.exec(c);
  const stage = /\bckd\s*(?:stage\s*)?g?([1-5][ab]?)\b/.exec(c) ?? /\b(?:chronic kidney disease|kidney disease)\s*,?\s*(?:stage\s*)?g([1-5][ab]?)\b/.exec(c) ?? /\b(?:chronic kidney disease|kidney disease)\s*,?\s*stage\s*([1-5][ab]?)\b/.exec(c) ?? /\bstage\s*g?([1-5][ab]?)\s+(?:ckd|chronic kidney disease|kidney disease)\b/.exec(c);
  const dialysis = /\b(?:haemo|hemo|peritoneal\s+)?dialysis\b|\besrd\b|\bend[- ]stage (?:renal|kidney) disease\b|\bon (?:hd|pd|capd|hemodialysis|haemodialysis)\b/.exec(c);
  let said = false;
  if (egfrAt) {
    const v = measuredValue(c.slice(egfrAt.index + egfrAt[0].length), 200);
    if (v !== undefined) out.egfr = v;
    else out.unread.push(`eGFR (no value read from "${raw.trim().slice(0, 80)}")`);
    said = true;
  }
  if (crclAt) {
    const v = measuredValue(c.slice(crclAt.index + crclAt[0].length), 250);
    if (v !== undefined) out.crcl = v;
    else out.unread.push(`creatinine clearance (no value read from "${raw.trim().slice(0, 80)}")`);
    said = true;
  }
  if (stage) {
    out.ckdStage = STAGE[stage[1]];
    said = true;
  }
  if (dialysis) {
    const negated = negatedBefore(c, dialysis.index) || /\bnot (?:yet )?on dialysis\b|\bpre-?dialysis\b/.test(c);
    out.dialysis = !negated;
    if (!negated && /\besrd\b|end[- ]stage/.test(dialysis[0])) out.ckdStage = '5';
    said = true;
  }
  const plain = /\b(?:renal|kidney) (?:impairment|insufficiency|failure|function)\b/.exec(c);
  if (said || plain) out.renalText = statedStretch(raw, Math.min(...startsOf([egfrAt, crclAt, stage, dialysis, plain])));
}

/** Where each match that was found starts (the ones not found are null). */
function startsOf(matches: (RegExpExecArray | null)[]): number[] {
  return matches.filter((m): m is RegExpExecArray => m !== null).map((m) => m.index);
}

/**
 * The words that state a factor, from where it starts to the end of its phrase ("eGFR 40", "CKD
 * stage 4"), not the whole clause: "woman with diabetes on warfarin, eGFR 40" is kidney "eGFR 40".
 */
function statedStretch(raw: string, start: number): string {
  const from = raw.slice(start);
  const end = from.search(/[,;]|\.(?!\d)|\s(?:and|but|on|who)\s/);
  return (end > 0 ? from.slice(0, end) : from).trim().slice(0, 80);
}

function readHepatic(raw: string, c: string, out: FactorDelta): void {
  const cp = /\bchild[- ]?pugh\s*(?:class\s*|score\s*|grade\s*)?[:(]?\s*([abc])(?=\d|\b)/.exec(c);
  const cpScore = /\bchild[- ]?pugh\s*(?:score\s*)?(?:of\s*|is\s*|[:=]\s*)?(\d{1,2})\b/.exec(c);
  let level: HepaticLevel | undefined;
  if (cp) level = ({ a: 'mild', b: 'moderate', c: 'severe' } as const)[cp[1] as 'a'];
  else if (cpScore && Number(cpScore[1]) >= 5 && Number(cpScore[1]) <= 15) level = Number(cpScore[1]) <= 6 ? 'mild' : Number(cpScore[1]) <= 9 ? 'moderate' : 'severe';
  const cirr = /\bcirrho(?:sis|tic)\b/.exec(c);
  if (!level && cirr && !negatedBefore(c, cirr.index)) level = /\bdecompensated\b|\bascites\b|\bencephalopathy\b/.test(c) ? 'severe' : 'moderate';
  const imp = /\b(mild|moderate|severe)\s+(?:hepatic|liver)\s+(?:impairment|dysfunction|disease|insufficiency)\b/.exec(c);
  if (imp && !negatedBefore(c, imp.index)) level = imp[1] as HepaticLevel;
  if (/\b(?:hepatic|liver) failure\b/.test(c) && !negatedBefore(c, c.search(/\b(?:hepatic|liver) failure\b/))) level = 'severe';
  const active = /\bactive (?:liver disease|hepatitis)\b|\b(?:acute|chronic active) hepatitis\b|\belevated (?:liver enzymes|transaminases|lfts|alt)\b|\btransaminases? (?:above|over|>)\s*3/.exec(c);
  if (active && !negatedBefore(c, active.index)) out.activeLiverDisease = true;
  if (level) out.hepaticLevel = level;
  const failure = /\b(?:hepatic|liver) failure\b/.exec(c);
  const at = startsOf([cp, cpScore, cirr, imp, failure, active]);
  // "Decompensated cirrhosis": the qualifier before the finding belongs to it.
  const lead = cirr && /\b(?:decompensated|compensated|alcoholic)\s+$/.exec(c.slice(0, cirr.index));
  if (level || out.activeLiverDisease) out.hepaticText = statedStretch(raw, Math.min(...at, lead ? lead.index : Infinity));
}

function readOverrides(c: string, out: FactorDelta): void {
  const patterns = [
    /\boverrid(?:e|ing)\s+(?:the\s+)?(?:rule\s+|warning\s+(?:for|on)\s+|exclusion\s+(?:of|for)\s+)?([a-z][a-z0-9-]{2,40})\b/g,
    /\b(?:use|prescribe|give|keep|start)\s+([a-z][a-z-]{2,30})\s+anyway\b/g,
    /\baccept(?:ing)?\s+the\s+risk\s+(?:of|with|for)\s+([a-z][a-z-]{2,30})\b/g,
  ];
  // A question ("can I give ibuprofen anyway?") or a negated instruction ("do not override") is not an override.
  const asks = /\?/.test(c) || /\b(?:can|could|should|may|shall) (?:i|we|she|he|you)\b/.test(c);
  for (const re of patterns) {
    for (const m of c.matchAll(re)) {
      if (['the', 'it', 'this', 'that'].includes(m[1]) || asks || /\b(?:do not|don't|never|not|no)\s+(?:\w+\s+){0,2}$/.test(c.slice(Math.max(0, (m.index ?? 0) - 24), m.index))) continue;
      out.overrides.push(m[1]);
    }
  }
  for (const m of c.matchAll(/\b(?:cancel|revoke|remove|undo|withdraw)\s+(?:the\s+|my\s+)?override(?:\s+(?:for|of|on))?\s+([a-z][a-z0-9-]{2,40})\b/g)) out.revokedOverrides.push(m[1]);
}
