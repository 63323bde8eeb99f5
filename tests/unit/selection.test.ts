import { describe, expect, it } from 'vitest';
import { SELECTION_CUT_OFF, selectionSoFar, selectionText } from '../../agent/selection.js';

/** The embedded model's JSON selection, read as text while it streams and when it ends (whole or cut off). */
describe('selection text', () => {
  const whole = '{"selected": ["Metformin", "Dapagliflozin"], "rationale": "First-line [GUIDELINE:t2d]; \\"cardio-renal\\" benefit.\\u00e9 "}';

  it('reads a whole selection into the answer form', () => {
    expect(selectionText(whole)).toBe('Selected drugs: Metformin, Dapagliflozin\n\nRationale: First-line [GUIDELINE:t2d]; "cardio-renal" benefit.é');
    expect(selectionText('{"selected": ["Metformin"], "rationale": ""}')).toBe('Selected drugs: Metformin\n\nRationale: (none given)');
  });

  it('keeps text that is not the JSON as written (a model without the grammar)', () => {
    expect(selectionText('Metformin, because it is first-line.')).toBe('Metformin, because it is first-line.');
    expect(selectionText('{"selec')).toBe('{"selec');
    expect(selectionSoFar('{"selected": ["Metf')).toBe('');
  });

  it('marks an answer cut off inside the rationale, and keeps the selection', () => {
    expect(selectionText('{"selected": ["Metformin"], "rationale": "First-line for')).toBe(`Selected drugs: Metformin\n\nRationale: First-line for ${SELECTION_CUT_OFF}`);
    expect(selectionText('{"selected": ["Metformin"]')).toBe(`Selected drugs: Metformin\n\nRationale: ${SELECTION_CUT_OFF}`);
    // Stopped in the middle of an escape: decoded as far as it goes.
    expect(selectionText('{"selected": ["Metformin"], "rationale": "a \\u00')).toBe(`Selected drugs: Metformin\n\nRationale: a ${SELECTION_CUT_OFF}`);
  });

  it('every streamed prefix is a prefix of the final text, so what streamed and what is shown agree', () => {
    for (const raw of [whole, '{"selected": ["Metformin"], "rationale": "cut \\"here']) {
      const final = selectionText(raw);
      let shown = '';
      for (let i = 1; i <= raw.length; i++) {
        const soFar = selectionSoFar(raw.slice(0, i));
        if (soFar.length > shown.length) {
          expect(soFar.startsWith(shown), `${raw.slice(0, i)} → ${soFar}`).toBe(true);
          shown = soFar;
        }
      }
      expect(final.startsWith(shown)).toBe(true);
      expect(shown).toMatch(/^Selected drugs: /);
    }
  });
});
