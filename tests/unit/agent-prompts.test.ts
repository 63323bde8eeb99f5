import { describe, expect, it } from 'vitest';
import { loadPrompt, PromptError, renderInstruction, renderTemplate, templateVariables } from '../../prompts/load.js';

describe('prompt loader', () => {
  it('loads the system prompt and fills variables', () => {
    expect(loadPrompt('system')).toMatch(/Cite only IDs that a tool returned/);
    expect(renderTemplate('a {{x}} b {{ y }}', { x: 1, y: 'two' })).toBe('a 1 b two');
  });

  it('fails on a missing variable or file', () => {
    expect(() => loadPrompt('case-extraction', { message: 'hi' })).toThrow(/current_case/);
    expect(() => loadPrompt('no-such-prompt')).toThrow(PromptError);
    expect(() => loadPrompt('../etc/passwd')).toThrow(PromptError);
  });

  it('renders the KEDRec-LM instruction with every section', () => {
    const text = renderInstruction({ patient: 'type 2 diabetes', candidates: ['Metformin (DB00331)'], background: ['[PMID:1] text'] });
    expect(text).toContain('### Candidate drugs\n1. Metformin (DB00331)');
    expect(text).toContain('- [PMID:1] text');
    expect(text.trim().endsWith('Selected drugs:')).toBe(true);
    expect(templateVariables(text)).toEqual([]);
  });
});
