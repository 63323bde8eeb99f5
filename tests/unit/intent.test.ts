import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIntent, readIntentRoles } from '../../clinical/intent.js';

describe('what phase of treatment a question asks for', () => {
  it('acute: an attack, a flare, a reliever, relief now', () => {
    for (const t of ['Acute migraine attack, what can she take now?', 'Gout flare in the big toe.', 'Asthma reliever for a 25-year-old.', 'Needs something as needed for migraine.']) expect(readIntent(t)?.phase, t).toBe('acute');
  });

  it('prevention: prophylaxis, maintenance, controller, urate lowering — even when the clause counts attacks', () => {
    for (const t of ['Migraine prevention for a woman with 6 attacks a month.', 'Gout: which urate-lowering therapy should we start?', 'Asthma controller for a 25-year-old.', 'Migraine prophylaxis?']) expect(readIntent(t)?.phase, t).toBe('prevention');
  });

  it('the later clause wins; diseases named "acute" and negated cues are not a phase', () => {
    expect(readIntent('She had an attack last week. What about prevention?')?.phase).toBe('prevention');
    expect(readIntent('Acute kidney injury last year; type 2 diabetes.')).toBeUndefined();
    expect(readIntent('History of heart attack, what should he take?')).toBeUndefined();
    expect(readIntent('Not for prevention.')).toBeUndefined();
  });

  it('the roles table reads, and a bad row names its line and what is valid', () => {
    expect(readIntentRoles().some((r) => r.condition === 'DOID:6364' && r.phase === 'acute')).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intent-'));
    const f = path.join(dir, 'roles.tsv');
    fs.writeFileSync(f, 'condition\tphase\tmembers\tsource\turl\treviewed\nDOID:6364\tchronic\tx\ts\thttps://x\t2026 me\n');
    expect(() => readIntentRoles(f)).toThrow(/line 2: phase must be acute or prevention, got "chronic"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
