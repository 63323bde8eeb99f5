import { describe, expect, it } from 'vitest';
import { negatedBefore, readFactors } from '../../clinical/factors-reader.js';
import { gestationalWeeks, kidneyFunction, reactionSeverity } from '../../clinical/patient-factors.js';

describe('reading patient factors from a clinician\'s text', () => {
  it('pregnancy, its stage, and what does not make her pregnant', () => {
    expect(readFactors('32-year-old woman, 20 weeks pregnant, chronic hypertension')).toMatchObject({ pregnant: true, pregnancyWeeks: 20 });
    expect(readFactors('G2P1 at 32/40 with pre-eclampsia')).toMatchObject({ pregnant: true, pregnancyWeeks: 32 });
    expect(readFactors('She is in her second trimester.')).toMatchObject({ pregnant: true, trimester: 2 });
    expect(readFactors('positive pregnancy test, about 7 weeks')).toMatchObject({ pregnant: true, pregnancyWeeks: 7 });
    expect(readFactors('28-year-old non-pregnant woman').pregnant).toBe(false);
    expect(readFactors('She is not pregnant.').pregnant).toBe(false);
    expect(readFactors('She is planning a pregnancy next year.').pregnant).toBeUndefined();
    expect(readFactors('Breastfeeding her 3-month-old.').breastfeeding).toBe(true);
    expect(readFactors('Not breastfeeding.').breastfeeding).toBe(false);
  });

  it('kidney function as eGFR, CrCl, CKD stage or dialysis; a newer statement is read whole', () => {
    expect(readFactors('Type 2 diabetes, eGFR 22.')).toMatchObject({ egfr: 22 });
    expect(readFactors('creatinine clearance 70 mL/min')).toMatchObject({ crcl: 70 });
    expect(readFactors('HTN + CKD 3b')).toMatchObject({ ckdStage: '3b' });
    expect(readFactors('chronic kidney disease stage 4 with eGFR 22')).toMatchObject({ ckdStage: '4', egfr: 22 });
    expect(readFactors('ESRD on haemodialysis')).toMatchObject({ dialysis: true, ckdStage: '5' });
    expect(readFactors('CKD 4, not on dialysis').dialysis).toBe(false);
    // A blood pressure or an HbA1c is not kidney function.
    expect(readFactors('BP 150/100, HbA1c 9')).not.toHaveProperty('egfr');
  });

  it('liver function, QTc, weight and prescriber overrides', () => {
    expect(readFactors('cirrhosis, Child-Pugh C')).toMatchObject({ hepaticLevel: 'severe' });
    expect(readFactors('compensated cirrhosis')).toMatchObject({ hepaticLevel: 'moderate' });
    expect(readFactors('decompensated cirrhosis with ascites')).toMatchObject({ hepaticLevel: 'severe' });
    expect(readFactors('no liver disease')).not.toHaveProperty('hepaticLevel');
    expect(readFactors('QTc 510 ms on the last ECG')).toMatchObject({ qtcMs: 510 });
    expect(readFactors('weight 82 kg')).toMatchObject({ weightKg: 82 });
    expect(readFactors('I want to override losartan; use valproate anyway.').overrides).toEqual(['losartan', 'valproate']);
  });

  it('negation cues close to a mention, not across "but"', () => {
    expect(negatedBefore('no history of asthma', 14)).toBe(true);
    expect(negatedBefore('denies chest pain but has asthma', 28)).toBe(false);
  });

  it('patient-factor helpers: the lowest kidney function, gestational weeks, reaction severity', () => {
    expect(kidneyFunction({ egfr: 40, crcl: 28 })).toEqual({ value: 28, basis: 'CrCl 28 mL/min' });
    expect(kidneyFunction({ ckd_stage: '4' })).toEqual({ value: 29, basis: 'CKD stage 4 (eGFR ≤ 29)' });
    expect(kidneyFunction({ dialysis: true })?.value).toBeLessThan(15);
    expect(gestationalWeeks({ pregnant: true, trimester: 3 })).toBe(28);
    expect(reactionSeverity('SJS')).toBe('severe');
    expect(reactionSeverity('anaphylaxis (throat swelling)')).toBe('severe');
    expect(reactionSeverity('itchy rash')).toBe('nonsevere');
    expect(reactionSeverity(undefined)).toBe('unknown');
  });
});

describe('the second reader\'s traps: values written the way notes write them', () => {
  it('comparators and trends give the value that matters', () => {
    expect(readFactors('eGFR <30').egfr).toBeLessThan(30);
    expect(readFactors('eGFR >95').egfr).toBeGreaterThan(95);
    expect(readFactors('eGFR fell from 60 to 25 over a year').egfr).toBe(25);
    expect(readFactors('CKD G4').ckdStage).toBe('4');
    expect(readFactors('ESRD on HD three times a week').dialysis).toBe(true);
    expect(readFactors('cirrhosis, Child-Pugh C10').hepaticLevel).toBe('severe');
  });

  it('QTc notations, and a QTc with no number is said to be unread, never dropped silently', () => {
    expect(readFactors('QTc >500').qtcMs).toBeGreaterThan(500);
    expect(readFactors('QTc prolonged at 510').qtcMs).toBe(510);
    expect(readFactors('QTc prolonged on the last ECG').unread.join(' ')).toMatch(/QTc/);
  });

  it('pregnancy written as a form, and weeks that are not gestation', () => {
    expect(readFactors('Pregnant: no').pregnant).toBe(false);
    expect(readFactors('pregnancy status unknown').pregnant).toBeUndefined();
    expect(readFactors('cough for 3 weeks').pregnancyWeeks).toBeUndefined();
    expect(readFactors('She stopped breastfeeding last month.').breastfeeding).toBe(false);
    expect(readFactors('lost 10 kg this year').weightKg).toBeUndefined();
  });

  it('an override asked about or negated is not an override, and one can be taken back', () => {
    expect(readFactors('Should I override losartan?').overrides).toEqual([]);
    expect(readFactors('Do not override losartan.').overrides).toEqual([]);
    expect(readFactors('Cancel the override for losartan.').revokedOverrides).toEqual(['losartan']);
  });
});
