import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadConfigWithFlags } from '../../config.js';

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
  it('declares the CLI and terminal variables too (KEDREC_DEBUG, NO_COLOR, TERM)', () => {
    expect(loadConfig({}).KEDREC_DEBUG).toBe(false);
    expect(loadConfig({ KEDREC_DEBUG: 'yes', NO_COLOR: '1', TERM: 'dumb' })).toMatchObject({ KEDREC_DEBUG: true, NO_COLOR: '1', TERM: 'dumb' });
    expect(() => loadConfig({ KEDREC_DEBUG: 'maybe' })).toThrowError(/KEDREC_DEBUG="maybe"/);
  });
  it('puts command-line flags over the environment, validated the same way', () => {
    expect(loadConfigWithFlags({ PORT: '9000', HOST: undefined }, { PORT: '8000', HOST: '0.0.0.0' })).toMatchObject({ PORT: 9000, HOST: '0.0.0.0' });
    expect(() => loadConfigWithFlags({ PORT: '99999' }, {})).toThrowError(/PORT="99999"/);
  });
});
