import { describe, expect, it } from 'vitest';
import { parseCaseDelta } from '../../clinical/case-reader.js';
import { blankSpans, contextOf, readContext, scopeText } from '../../clinical/context.js';

/** The words of the message that fall in a negated or family stretch. */
const stretches = (text: string, kind: 'negated' | 'family') =>
  readContext(text)
    .filter((s) => s.kind === kind)
    .map((s) => scopeText(text, s));

const at = (text: string, phrase: string) => {
  const i = text.indexOf(phrase);
  return contextOf(readContext(text), i, i + phrase.length);
};

describe('negation scope (NegEx-style triggers and terminators)', () => {
  it('reads forward triggers over a list, and stops where the patient comes back', () => {
    expect(at('no hepatitis B', 'hepatitis B')).toBe('negated');
    expect(at('denies asthma or COPD; needs a beta-blocker for angina', 'COPD')).toBe('negated');
    expect(at('denies asthma or COPD; needs a beta-blocker for angina', 'angina')).toBe('present');
    expect(at('neither asthma nor COPD', 'COPD')).toBe('negated');
    expect(at('no asthma, has hypertension', 'hypertension')).toBe('present');
    expect(at('AF, no history of stroke or TIA', 'TIA')).toBe('negated');
    expect(at('AF, no history of stroke or TIA', 'AF')).toBe('present');
    expect(at('sorry, no asthma: it is COPD', 'COPD')).toBe('present');
  });

  it('reads post-triggers over the few words before them, not past a comma', () => {
    expect(at('Syphilis; HIV test negative.', 'HIV')).toBe('negated');
    expect(at('Syphilis; HIV test negative.', 'Syphilis')).toBe('present');
    expect(at('alcohol-related cirrhosis, hepatitis C negative', 'cirrhosis')).toBe('present');
    expect(at('alcohol-related cirrhosis, hepatitis C negative', 'hepatitis C')).toBe('negated');
    expect(at('DVT confirmed on ultrasound; PE ruled out.', 'PE')).toBe('negated');
    expect(at('DVT confirmed on ultrasound; PE ruled out.', 'DVT')).toBe('present');
  });

  it('leaves pseudo-negations alone', () => {
    expect(readContext('no change in her asthma')).toEqual([]);
    expect(readContext('not sure whether she has epilepsy')).toEqual([]);
    expect(at('gram-negative sepsis', 'sepsis')).toBe('present');
    expect(at('triple negative breast cancer', 'breast cancer')).toBe('present');
  });

  it('"non-" negates the one word joined to it', () => {
    expect(at('62-year-old non-diabetic man with angina', 'diabetic')).toBe('negated');
    expect(at('62-year-old non-diabetic man with angina', 'angina')).toBe('present');
  });

  it('an allergy statement is whole in itself: the list after it is not negated', () => {
    expect(at('No allergies, HTN, T2DM', 'HTN')).toBe('present');
    expect(at('no known drug allergies, gout on allopurinol', 'gout')).toBe('present');
    expect(stretches('no penicillin allergy', 'negated')).toEqual(['penicillin allergy']);
  });

  it('a medication after "not on" is in scope', () => {
    expect(stretches('AF, not on warfarin', 'negated')).toEqual(['warfarin']);
    expect(stretches('no longer taking simvastatin; hypercholesterolaemia', 'negated')).toEqual(['simvastatin']);
  });
});

describe('family and other people (ConText experiencer)', () => {
  it('a relative\'s findings are not the patient\'s', () => {
    expect(at('mother had breast cancer', 'breast cancer')).toBe('family');
    expect(at('his sister has epilepsy; he has migraine', 'epilepsy')).toBe('family');
    expect(at('his sister has epilepsy; he has migraine', 'migraine')).toBe('present');
    expect(at('father had an MI at 50; the patient has hypertension', 'hypertension')).toBe('present');
    expect(at('FHx: colon cancer (father), IHD (mother). PMH: asthma.', 'IHD')).toBe('family');
    expect(at('FHx: colon cancer (father), IHD (mother). PMH: asthma.', 'asthma')).toBe('present');
    expect(at('her husband has hypertension; she is 50 with insomnia', 'insomnia')).toBe('present');
    expect(at('her husband has hypertension; she is 50 with insomnia', 'hypertension')).toBe('family');
    expect(at('IHD in his father, he has angina', 'IHD')).toBe('family');
  });

  it('family wins over negation ("no family history of …" is still not the patient\'s)', () => {
    expect(at('no family history of breast cancer; she has osteoporosis', 'breast cancer')).toBe('family');
    expect(at('no family history of breast cancer; she has osteoporosis', 'osteoporosis')).toBe('present');
  });

  it('"a mother of two" is the patient', () => {
    expect(at('a mother of two with asthma', 'asthma')).toBe('present');
  });
});

describe('blanking', () => {
  it('keeps offsets and merges overlaps', () => {
    const text = 'HTN, no DM, mother had breast cancer';
    const out = blankSpans(text, readContext(text), ['negated', 'family']);
    expect(out).toHaveLength(text.length);
    expect(out.startsWith('HTN, no ')).toBe(true);
    expect(out).not.toMatch(/DM|breast/);
  });
});

describe('what a blanked negation leaves behind', () => {
  it.each([
    ['58-year-old man with essential hypertension, no other conditions.', ['essential hypertension']],
    ['woman with asthma, nothing else', ['asthma']],
    ['man with gout and no other medical problems', ['gout']],
  ])('%s → %j (no stray "no" or "nothing" mention)', (text, conditions) => {
    expect(parseCaseDelta(text).add.conditions).toEqual(conditions);
  });
});
