import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAskedClass, readIntent, readIntentRoles } from '../../clinical/intent.js';
import type { SafetyKnowledge } from '../../clinical/safety/knowledge.js';

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

describe('the drug class a question asks for', () => {
  // The two class words this test needs, as clinical/rules/group-terms.tsv maps them.
  const knowledge = {
    groupTerms: new Map([
      ['anticoagulant', ['anticoagulants']],
      ['statin', ['statins']],
    ]),
    groups: new Map([
      ['anticoagulants', { key: 'anticoagulants', name: 'Anticoagulants (all)', basis: '', members: new Set<string>() }],
      ['statins', { key: 'statins', name: 'Statins', basis: '', members: new Set<string>() }],
    ]),
  } as unknown as SafetyKnowledge;

  it('reads "which anticoagulant?", "best statin", "should we start an anticoagulant"', () => {
    expect(readAskedClass(knowledge, 'AF, eGFR 28, on amiodarone. Which anticoagulant?')?.groups).toEqual(['anticoagulants']);
    expect(readAskedClass(knowledge, 'What is the best statin for her?')?.groups).toEqual(['statins']);
    expect(readAskedClass(knowledge, 'Should we start an oral anticoagulant?')?.cue).toBe('should we start an oral anticoagulant');
  });

  it('a class taken now, or a negated ask, is not a question about the class', () => {
    expect(readAskedClass(knowledge, 'She is on a statin and has AF.')).toBeUndefined();
    expect(readAskedClass(knowledge, 'Not starting an anticoagulant; what else for rate control?')).toBeUndefined();
    expect(readAskedClass(knowledge, 'Which drug for hypertension?')).toBeUndefined();
  });
});
