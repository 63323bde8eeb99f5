import { describe, expect, it } from 'vitest';
import { inferAddedParents, inferNameParents, type DoTerm } from '../../kb/sources/disease-hierarchy.js';
import {
  ADDED_DISEASE_ALIASES,
  ADDED_DISEASE_PARENTS,
  chemblTier,
  DISEASE_CROSSWALK,
  DISEASE_NAME_ALIASES,
  DISEASE_PARENT_FALLBACKS,
  diseaseNameVariants,
  isAddableDisease,
  drugNameVariants,
  groupJunkReason,
  isDiagnosticAgent,
  radiolabelParentName,
  saltParentName,
  STITCH_ARTEFACT_NAMES,
} from '../../kb/sources/indication-rules.js';
import { normalizeTerm } from '../../kb/base/graph-schema.js';

const term = (doid: string, name: string, type: DoTerm['type'] = 'name'): DoTerm => ({ doid, name, type });
const links = (terms: DoTerm[]) => inferNameParents(terms).map((l) => `${l.child}>${l.parent}:${l.rule}`).sort();

describe('name-based disease parents (inferNameParents)', () => {
  it('links a term with leading modifiers to the term it ends with, whole words only', () => {
    const terms = [
      term('D:1', 'pneumonia'), term('D:2', 'streptococcal pneumonia'), term('D:3', 'urinary tract infection'),
      term('D:4', 'Escherichia coli urinary tract infection'), term('D:5', 'cystitis'), term('D:6', 'acute cystitis'),
      term('D:7', 'bronchopneumonia'),
    ];
    expect(links(terms)).toEqual(['D:2>D:1:modifier', 'D:4>D:3:modifier', 'D:6>D:5:modifier']);
  });

  it('reads "X due to Y" and "X caused by Y" as a kind of X', () => {
    expect(links([term('D:1', 'pneumonia'), term('D:2', 'pneumonia due to Klebsiella pneumoniae'), term('D:3', 'meningitis'), term('D:4', 'meningitis caused by fungus')])).toEqual([
      'D:2>D:1:due_to', 'D:4>D:3:due_to',
    ]);
  });

  it('uses exact synonyms on both sides, but not related synonyms', () => {
    const terms = [
      term('D:1', 'congestive heart failure'), term('D:1', 'heart failure', 'exact-synonym'),
      term('D:2', 'diastolic heart failure'),
      term('D:3', 'lung cancer'), term('D:3', 'lung neoplasm', 'related-synonym'), term('D:4', 'benign lung neoplasm'),
    ];
    expect(links(terms)).toEqual(['D:2>D:1:modifier']);
  });

  it('keeps only the nearest parent, so chains stay chains', () => {
    const terms = [term('D:1', 'leukemia'), term('D:2', 'lymphoblastic leukemia'), term('D:3', 'acute lymphoblastic leukemia')];
    expect(links(terms)).toEqual(['D:2>D:1:modifier', 'D:3>D:2:modifier']);
  });

  it('skips over-general parents, negated modifiers, phrases whose head comes first, shared terms and two-way pairs', () => {
    const terms = [
      term('D:1', 'disease'), term('D:2', 'lung disease'),
      term('D:3', 'carcinoma'), term('D:3', 'epithelioma', 'exact-synonym'), term('D:4', 'lung carcinoma'), term('D:16', 'basal cell epithelioma'),
      term('D:5', 'small cell lung carcinoma'), term('D:6', 'non-small cell lung carcinoma'),
      term('D:7', 'supraglottis cancer'), term('D:7', 'supraglottis', 'exact-synonym'), term('D:8', 'carcinoma of the supraglottis'),
      term('D:9', 'polyneuropathy'), term('D:10', 'diabetes mellitus with polyneuropathy'),
      term('D:11', 'angina'), term('D:12', 'angina', 'exact-synonym'), term('D:13', 'unstable angina'),
      term('D:14', 'alpha fever'), term('D:14', 'beta gamma fever', 'exact-synonym'), term('D:15', 'gamma fever'), term('D:15', 'delta alpha fever', 'exact-synonym'),
    ];
    const got = links(terms);
    expect(got).toContain('D:5>D:4:modifier');
    expect(got).toContain('D:6>D:4:modifier'); // a non-small cell lung carcinoma is a lung carcinoma …
    expect(got).not.toContain('D:6>D:5:modifier'); // … but not a small cell one
    expect(got.filter((l) => /^D:(2|4|16)>/.test(l))).toEqual([]); // "disease", "carcinoma" (by any of its names) are too general
    expect(got.filter((l) => /^D:(8|10)>/.test(l))).toEqual([]);
    expect(got.filter((l) => l.startsWith('D:13>'))).toEqual([]); // "angina" names two terms
    expect(got.filter((l) => /^D:1[45]>/.test(l))).toEqual([]); // would point both ways
  });
});

describe('parents of disease nodes added after the DO step (inferAddedParents)', () => {
  const dos = [term('D:1', 'pneumonia'), term('D:2', 'sarcoma'), term('D:3', 'fatal familial insomnia'), term('D:4', 'viral infectious disease'), term('D:4', 'virus infection', 'exact-synonym')];
  const added = [
    { id: 'E:1', terms: ['back pain'] }, { id: 'E:2', terms: ['low back pain'] }, { id: 'E:3', terms: ['soft tissue sarcoma'] },
    { id: 'E:4', terms: ['insomnia'] }, { id: 'E:5', terms: ['hepatitis d virus infection'] }, { id: 'E:6', terms: ['septic shock'] }, { id: 'E:7', terms: ['shock'] },
  ];
  const got = (opts?: Parameters<typeof inferAddedParents>[2]) => inferAddedParents(dos, added, opts).map((l) => `${l.child}>${l.parent}`).sort();

  it('links an added node to the nearest added node or DO term its name ends with, and never a DO term to an added node', () => {
    expect(got()).toEqual(['E:2>E:1', 'E:3>D:2', 'E:5>D:4', 'E:6>E:7']);
  });

  it('leaves out children with a curated parent and parents that are too general', () => {
    expect(got({ skipChildren: new Set(['E:6']), notParents: new Set(['D:4']) })).toEqual(['E:2>E:1', 'E:3>D:2']);
  });
});

describe('diseases the import adds, and the curated tables that route names to them', () => {
  it('adds a node for an approved indication or two distinct drugs, never for a too-general name or a non-disease', () => {
    expect(isAddableDisease('insomnia', { approved: true, drugs: 1 })).toBe('ok');
    expect(isAddableDisease('alcohol withdrawal', { approved: false, drugs: 3 })).toBe('ok');
    expect(isAddableDisease('radius fracture', { approved: false, drugs: 1 })).toBe('below_threshold');
    for (const n of ['neoplasm', 'Infection', 'cardiovascular disease', 'pregnancy', 'vaccination', 'Abnormality of the thyroid gland', 'Abnormal cardiovascular system morphology']) {
      expect(isAddableDisease(n, { approved: true, drugs: 50 }), n).toBe('too_general');
    }
    expect(isAddableDisease('abnormal glucose tolerance', { approved: true, drugs: 2 })).toBe('ok');
  });

  it('keeps every curated table in normalised keys, with DOIDs or added-node names as targets', () => {
    for (const table of [DISEASE_NAME_ALIASES, DISEASE_PARENT_FALLBACKS, ADDED_DISEASE_ALIASES]) {
      for (const [k, v] of Object.entries(table)) {
        expect(normalizeTerm(k), k).toBe(k);
        expect(/^DOID:\d+$/.test(v) || normalizeTerm(v) === v, v).toBe(true);
      }
    }
    for (const [k, v] of Object.entries(DISEASE_CROSSWALK)) {
      expect(normalizeTerm(k), k).toBe(k);
      expect(v.id, k).toMatch(/^DOID:\d+$/);
      expect(v.why.length, k).toBeGreaterThan(10);
    }
    for (const [k, v] of Object.entries(ADDED_DISEASE_PARENTS)) {
      expect(normalizeTerm(k), k).toBe(k);
      expect(/^DOID:\d+$/.test(v.parent) || normalizeTerm(v.parent) === v.parent, k).toBe(true);
    }
    // Insomnia goes to its own node when one is added; sleep disorder is only the fallback.
    expect(DISEASE_NAME_ALIASES.insomnia).toBeUndefined();
    expect(DISEASE_PARENT_FALLBACKS.insomnia).toBe('DOID:535');
    expect(DISEASE_CROSSWALK['benign prostatic hyperplasia'].id).toBe('DOID:11132');
    // A name is routed by one table only.
    for (const k of Object.keys(DISEASE_CROSSWALK)) expect(DISEASE_NAME_ALIASES[k], k).toBeUndefined();
  });

  it('renames EFO infections, "vs" and "post operative" the way clinicians write them, and treats postoperative as a narrowing modifier', () => {
    const v = (n: string) => diseaseNameVariants(n).map((x) => `${x.rule}:${x.term}`);
    expect(v('Chlamydia trachomatis infectious disease')).toContain('infection_name:chlamydia trachomatis infection');
    expect(v('acute graft vs. host disease')).toContain('versus:acute graft versus host disease');
    expect(v('post operative nausea and vomiting')).toContain('joined:postoperative nausea and vomiting');
    expect(v('Pain, Postoperative')).toContain('modifier_removed:pain');
  });
});

describe('junk tables and name rules', () => {
  it('knows STITCH artefacts by normalised name', () => {
    for (const n of ['Beta-D-Glucose', 'Sucrose', 'D-Sorbitol', 'Sodium lauryl sulfate']) expect(STITCH_ARTEFACT_NAMES.has(normalizeTerm(n)), n).toBe(true);
    for (const n of ['Mannitol', 'Metformin', 'Glucagon']) expect(STITCH_ARTEFACT_NAMES.has(normalizeTerm(n)), n).toBe(false);
  });

  it('recognises diagnostic agents by name and by all-diagnostic ATC codes, not therapeutic isotopes', () => {
    for (const n of ['Florbetapir F-18', 'Technetium Tc 99m tilmanocept', '99mTc-ciprofloxacin', 'Gadobutrol', 'Iohexol', 'Perflutren', 'Fludeoxyglucose F-18', 'Tuberculin purified protein derivative']) {
      expect(isDiagnosticAgent(n), n).toBe(true);
    }
    for (const n of ['Sodium iodide I-131', 'Radium Ra 223 dichloride', 'motexafin gadolinium', 'Ciprofloxacin', 'Fluorouracil', 'Iodine']) expect(isDiagnosticAgent(n), n).toBe(false);
    expect(isDiagnosticAgent('Secretin', ['V04CK01'])).toBe(true);
    expect(isDiagnosticAgent('Magnesium Sulfate', ['A06AD04', 'V04CC02'])).toBe(false);
    expect(isDiagnosticAgent('Metyrapone', ['V04CD01'])).toBe(false);
  });

  it('drops withdrawn-only and veterinary-only drugs but keeps drugs still approved somewhere', () => {
    expect(groupJunkReason(['investigational', 'withdrawn'])).toBe('withdrawn');
    expect(groupJunkReason(['vet_approved'])).toBe('veterinary_only');
    expect(groupJunkReason(['approved', 'withdrawn'])).toBeUndefined();
    expect(groupJunkReason(['approved', 'vet_approved'])).toBeUndefined();
    expect(groupJunkReason(undefined)).toBeUndefined();
  });

  it('maps salts and radiolabelled tracers to their parent name, never to a bare ion', () => {
    expect(saltParentName('Metformin Hydrochloride')).toBe('metformin');
    expect(saltParentName('DAPAGLIFLOZIN PROPANEDIOL')).toBe('dapagliflozin');
    expect(saltParentName('Dolutegravir sodium')).toBe('dolutegravir');
    expect(saltParentName('Calcium Acetate')).toBeUndefined();
    expect(saltParentName('Potassium Chloride')).toBeUndefined();
    expect(saltParentName('Fluticasone Propionate')).toBeUndefined();
    expect(saltParentName('Metformin')).toBeUndefined();
    expect(radiolabelParentName('99mTc-ciprofloxacin')).toBe('ciprofloxacin');
    expect(radiolabelParentName('5-fluorouracil')).toBeUndefined();
    expect(drugNameVariants('Valproate').map((v) => v.term)).toContain('valproic acid');
  });

  it('tries disease name variants as sources write them', () => {
    const v = (n: string) => diseaseNameVariants(n).map((x) => `${x.rule}:${x.term}`);
    expect(v('Arthritis, Rheumatoid')).toContain('inverted:rheumatoid arthritis');
    expect(v('Urinary Tract Infections')).toContain('singular:urinary tract infection');
    expect(v('HIV-1 infection')).toContain('infectious_disease:hiv 1 infectious disease');
    expect(v('breast neoplasm')).toContain('neoplasm_as_cancer:breast cancer');
    expect(v('neoplasm')).toEqual([]);
    expect(v('non-Hodgkins lymphoma')).toContain('possessive_s:non hodgkin lymphoma');
    expect(v('Recurrent thrombophlebitis')).toContain('modifier_removed:thrombophlebitis');
    expect(v('Allergic rhinitis (disorder)')).toContain('qualifier_removed:allergic rhinitis');
  });

  it('tiers ChEMBL rows by phase', () => {
    expect(chemblTier(4)).toBe('approved');
    expect(chemblTier(3)).toBe('investigational');
    expect(chemblTier(2)).toBeUndefined();
  });
});
