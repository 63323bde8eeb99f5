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
}

/** Longest clause a pattern ever sees: beyond it, a clause is cut (no sentence runs this long). */
const MAX_CLAUSE = 400;

/** Splits text into clauses at sentence and clause punctuation, each cut to MAX_CLAUSE characters. */
export function clauses(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[.;!?\n]+/)) {
    const t = part.trim();
    if (!t) continue;
    for (let i = 0; i < t.length; i += MAX_CLAUSE) out.push(t.slice(i, i + MAX_CLAUSE));
  }
  return out;
}

/** A negation cue shortly before a position in a clause ("no", "denies", "not on", "without"), not cancelled by "but". */
export function negatedBefore(clause: string, at: number): boolean {
  const before = clause.slice(Math.max(0, at - 48), at).toLowerCase();
  const cut = Math.max(before.lastIndexOf(' but '), before.lastIndexOf(','), before.lastIndexOf(' however '));
  const scope = cut >= 0 ? before.slice(cut) : before;
  // "non-" negates only the word it is joined to ("non-diabetic"), not a phrase ("non-urticarial rash").
  return /\b(?:no|not|denies|denied|without|negative for|never had|never been|free of|rules? out|ruled out|nor)\b[\s-]*(?:\w+[\s-]+){0,4}$/.test(scope) || /\bnon-$/.test(scope);
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));

const STAGE: Record<string, CkdStage> = { '1': '1', '2': '2', '3': '3a', '3a': '3a', '3b': '3b', '4': '4', '5': '5' };

/** Reads the factors one message states. */
export function readFactors(text: string): FactorDelta {
  const out: FactorDelta = { overrides: [] };
  for (const raw of clauses(text)) {
    const c = raw.toLowerCase();
    readPregnancy(raw, c, out);
    if (/\b(?:breast-?\s?feeding|breastfeeds|breast feeds|lactating|nursing (?:mother|her (?:baby|infant)|an infant))\b/.test(c)) {
      const at = c.search(/breast|lactating|nursing/);
      out.breastfeeding = !negatedBefore(c, at) && !/\b(?:stopped|finished|weaned)\b/.test(c);
    }
    readRenal(raw, c, out);
    readHepatic(raw, c, out);
    const kg = /\b(\d{2,3}(?:\.\d)?)\s*kg\b/.exec(c);
    if (kg && Number(kg[1]) >= 2 && Number(kg[1]) <= 350) out.weightKg = Number(kg[1]);
    const qt = /\bqtc?(?:\s+interval)?\s*(?:of|is|was|=|:|at|~)?\s*(\d{3})\s*(?:ms|msec|milliseconds)?\b/.exec(c);
    if (qt && Number(qt[1]) >= 300 && Number(qt[1]) <= 750) out.qtcMs = Number(qt[1]);
    readOverrides(c, out);
  }
  return out;
}

function readPregnancy(raw: string, c: string, out: FactorDelta): void {
  const neg = /\b(?:not|non|isn'?t|is not|no longer|never been)[\s-]*pregnant\b|\bnon-?pregnant\b|\bnot currently pregnant\b|\bpregnancy test (?:is |was )?negative\b|\bnegative pregnancy test\b/.exec(c);
  if (neg) {
    out.pregnant = false;
    return;
  }
  const mention = /\b(?:pregnan(?:t|cy)|gestation(?:al)?|gravid|trimester|g\d+\s*p\d+|\d{1,2}\/40)\b/.exec(c);
  if (!mention) return;
  const positiveTest = /\bpositive (?:urine |serum |home )?(?:pregnancy test|hcg|beta-?hcg|β-?hcg)\b|\bpregnancy test (?:is |was |came back )?positive\b/.test(c);
  // "planning a pregnancy", "pregnancy test pending", "history of pregnancy loss" do not make her pregnant now.
  if (/\b(?:planning|plans?|wants?|wishes|trying) (?:to (?:become|get) pregnant|a pregnancy|for pregnancy|to conceive)|\bpregnancy (?:test|prevention|planning)|\bprevious pregnanc|\bpast pregnanc|\bpregnancy loss\b|\bpostpartum\b|\bafter (?:her )?pregnancy\b/.test(c) && !/\b(?:is|currently|now) pregnant\b|\bweeks? pregnant\b/.test(c) && !positiveTest) return;
  if (/\b(?:pregnan(?:t|cy)|gestation|gravid|trimester|\d{1,2}\/40)\b/.test(c)) {
    if (!negatedBefore(c, mention.index)) out.pregnant = true;
  }
  const weeks = /\b(\d{1,2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?|w)\b/.exec(c) ?? /\b(\d{1,2})\/40\b/.exec(c) ?? /\bga\s*(?:of\s*)?(\d{1,2})\b/.exec(c);
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

function readRenal(raw: string, c: string, out: FactorDelta): void {
  const egfr = /\be-?gfr\b[^0-9]{0,24}?(\d{1,3}(?:\.\d)?)/.exec(c);
  const crcl = /\b(?:crcl|cr\s?cl|creatinine clearance|clcr)\b[^0-9]{0,24}?(\d{1,3}(?:\.\d)?)/.exec(c);
  const stage = /\bckd\s*(?:stage\s*|g)?([1-5][ab]?)\b/.exec(c) ?? /\b(?:chronic kidney disease|kidney disease)\s*,?\s*(?:stage\s*|g)([1-5][ab]?)\b/.exec(c) ?? /\bstage\s*([1-5][ab]?)\s+(?:ckd|chronic kidney disease|kidney disease)\b/.exec(c);
  const dialysis = /\b(?:haemo|hemo|peritoneal\s+)?dialysis\b|\besrd\b|\bend[- ]stage (?:renal|kidney) disease\b/.exec(c);
  let said = false;
  if (egfr && Number(egfr[1]) <= 200) {
    out.egfr = Number(egfr[1]);
    said = true;
  }
  if (crcl && Number(crcl[1]) <= 250) {
    out.crcl = Number(crcl[1]);
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
  if (said || /\b(?:renal|kidney) (?:impairment|insufficiency|failure|function)\b/.test(c)) out.renalText = raw.trim();
}

function readHepatic(raw: string, c: string, out: FactorDelta): void {
  const cp = /\bchild[- ]?pugh\s*(?:class\s*|score\s*)?\(?([abc])\b/.exec(c);
  let level: HepaticLevel | undefined;
  if (cp) level = ({ a: 'mild', b: 'moderate', c: 'severe' } as const)[cp[1] as 'a'];
  const cirr = /\bcirrho(?:sis|tic)\b/.exec(c);
  if (!level && cirr && !negatedBefore(c, cirr.index)) level = /\bdecompensated\b|\bascites\b|\bencephalopathy\b/.test(c) ? 'severe' : 'moderate';
  const imp = /\b(mild|moderate|severe)\s+(?:hepatic|liver)\s+(?:impairment|dysfunction|disease|insufficiency)\b/.exec(c);
  if (imp && !negatedBefore(c, imp.index)) level = imp[1] as HepaticLevel;
  if (/\b(?:hepatic|liver) failure\b/.test(c) && !negatedBefore(c, c.search(/\b(?:hepatic|liver) failure\b/))) level = 'severe';
  const active = /\bactive (?:liver disease|hepatitis)\b|\b(?:acute|chronic active) hepatitis\b|\belevated (?:liver enzymes|transaminases|lfts|alt)\b|\btransaminases? (?:above|over|>)\s*3/.exec(c);
  if (active && !negatedBefore(c, active.index)) out.activeLiverDisease = true;
  if (level) out.hepaticLevel = level;
  if (level || out.activeLiverDisease) out.hepaticText = raw.trim();
}

function readOverrides(c: string, out: FactorDelta): void {
  const patterns = [
    /\boverrid(?:e|ing)\s+(?:the\s+)?(?:rule\s+|warning\s+(?:for|on)\s+|exclusion\s+(?:of|for)\s+)?([a-z][a-z0-9-]{2,40})\b/g,
    /\b(?:use|prescribe|give|keep|start)\s+([a-z][a-z-]{2,30})\s+anyway\b/g,
    /\baccept(?:ing)?\s+the\s+risk\s+(?:of|with|for)\s+([a-z][a-z-]{2,30})\b/g,
  ];
  for (const re of patterns) for (const m of c.matchAll(re)) if (!['the', 'it', 'this', 'that'].includes(m[1])) out.overrides.push(m[1]);
}
