import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8787);
    expect(c.KEDREC_KB_PATH).toBe('.kedrec/kb.sqlite');
    expect(c.KEDREC_GRAPH_BACKEND).toBe('sqlite');
  });
  it('names each bad variable and what was wrong', () => {
    expect(() => loadConfig({ PORT: 'abc', KEDREC_GRAPH_BACKEND: 'oracle' })).toThrowError(ConfigError);
    try {
      loadConfig({ PORT: '70000', KEDREC_GRAPH_BACKEND: 'oracle' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('PORT="70000"');
      expect(msg).toContain('KEDREC_GRAPH_BACKEND="oracle"');
      expect(msg).toMatch(/sqlite|neo4j/);
    }
  });
  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(8787);
  });
});
