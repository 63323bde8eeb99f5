import { normalizeTerm } from '../base/graph-schema.js';

/**
 * Rules for importing drug–disease indications: evidence tiers, the junk tables that keep
 * artefacts out of the graph, salt → parent names, the lexical variants and the reviewed
 * crosswalk used to match a source's disease name to a Disease Ontology term, and the rules for
 * the disease nodes the import adds where DO has none. Pure data and functions, so each rule can
 * be tested without a knowledge base.
 */

/**
 * Evidence tiers, best first. PharmacotherapyDB (`curated`) is loaded as CtD/CpD and never as
 * CiD; the other tiers label CiD edges. Ranking code compares tiers through this order.
 */
export const INDICATION_TIERS = ['curated', 'label', 'approved', 'label_mined', 'ehr_or_predicted', 'investigational'] as const;
export type IndicationTier = (typeof INDICATION_TIERS)[number];

/** Tier of each dhimmel/indications resource (the `resource` column of indications-verbose.tsv). */
export const DHIMMEL_RESOURCE_TIER: Record<string, IndicationTier> = {
  labeledin: 'label',
  medi_hps: 'label_mined',
  medi_lps: 'ehr_or_predicted',
  ehrlink: 'ehr_or_predicted',
  predict: 'ehr_or_predicted',
};

/** Registry source id of each dhimmel/indications resource (its own license applies). */
export const DHIMMEL_RESOURCE_SOURCE: Record<string, string> = {
  labeledin: 'labeledin',
  medi_hps: 'medi',
  medi_lps: 'medi',
  ehrlink: 'ehrlink',
  predict: 'predict',
};

/** ChEMBL max_phase → tier: 4 is an approved indication, 3 only a phase-3 trial. */
export function chemblTier(maxPhase: number): IndicationTier | undefined {
  if (maxPhase >= 4) return 'approved';
  if (maxPhase >= 3) return 'investigational';
  return undefined;
}

/**
 * STITCH artefacts. SIDER maps labels to compounds through STITCH "flat" ids, which merge
 * stereo-isomers and count a salt's sugars, acids and counter-ions as the drug, so a label's
 * indications land on glucose, sorbitol or sodium lauryl sulfate. These compounds are never the
 * labelled medicine; their SIDER indications are dropped. Names are normalizeTerm() forms.
 */
export const STITCH_ARTEFACT_NAMES: ReadonlySet<string> = new Set([
  // sugars and sugar alcohols (excipients, or stereo-merged with mannitol)
  'glucose', 'beta d glucose', 'alpha d glucose', 'd glucose', 'dextrose', 'd allopyranose', 'sucrose', 'fructose',
  'lactose', 'maltose', 'galactose', 'mannose', 'd sorbitol', 'sorbitol', 'trehalose', 'xylitol',
  // counter-ions, buffers and excipients
  'acetic acid', 'citric acid', 'lactic acid', 'd lactic acid', 'maleic acid', 'fumarate', 'fumaric acid', 'gluconic acid',
  'stearic acid', 'benzoic acid', 'sodium lauryl sulfate', 'mercury acetate ion', 'tetrafluoroaluminate ion',
]);

/**
 * Diagnostic agents: imaging isotopes, contrast media and test substances. Their "indications"
 * (ChEMBL lists florbetapir for Alzheimer disease) are uses in diagnosis, not treatment.
 * Therapeutic isotopes (I-131, Lu-177, Ra-223) are deliberately absent. Matched on
 * normalizeTerm() forms as whole words.
 */
const DIAGNOSTIC_NAME_PATTERNS: readonly RegExp[] = [
  // imaging isotopes (tc 99m, f 18, ga 68, in 111, i 123, rb 82, tl 201, xe 133, n 13, c 11, cu 64, zr 89)
  /\b(?:tc ?99m|99m ?tc|technetium|f ?18|18f|fluorine 18|ga ?68|gallium ga|in ?111|indium in|i ?123|rb ?82|rubidium rb|tl ?201|thallous|xe ?133|xenon xe|n 13|c 11|cu 64|zr 89)\b/,
  /\b(?:fludeoxyglucose|florbetapir|florbetaben|flutemetamol|fluciclovine|flortaucipir|piflufolastat|fluoroestradiol|fluorodopa|ioflupane)\b/,
  // contrast media: gadolinium chelates, iodinated agents, ultrasound microbubbles, barium
  // (motexafin gadolinium is a radiosensitiser, not a contrast agent)
  /\bgado(?!linium\b)[a-z]+\b/,
  /\b(?:iohexol|iopamidol|iodixanol|ioversol|iopromide|iomeprol|iopentol|iothalamate|ioxaglate|ioxilan|iopanoic acid|iodamide|iodipamide|ipodate|iobitridol|diatrizoate|amidotrizoate|metrizamide|ethiodized oil|iofendylate)\b/,
  /\b(?:perflutren|perflexane|perflubutane|sulfur hexafluoride|barium sulfate|mangafodipir)\b/,
  // test substances used only to diagnose
  /\b(?:tuberculin|indocyanine green|fluorescein|isosulfan blue|methacholine|sincalide|ceruletide|pentagastrin|betazole|aminohippurate|bentiromide|tilmanocept|hexaminolevulinate|capromab|arcitumomab|satumomab)\b/,
];

/** ATC groups of diagnostic agents: V04 (diagnostic agents), V08 (contrast media), V09 (diagnostic radiopharmaceuticals). */
const DIAGNOSTIC_ATC_PREFIXES: readonly string[] = ['V04', 'V08', 'V09'];

/** Drugs whose only ATC code is diagnostic but which also treat: metyrapone treats Cushing's syndrome. */
const DIAGNOSTIC_ATC_EXCEPTIONS: ReadonlySet<string> = new Set(['metyrapone']);

/**
 * Whether a compound is a diagnostic agent: its name matches a diagnostic pattern, or every ATC
 * code it has is diagnostic (magnesium sulfate has a V04 code too, but also therapeutic ones).
 */
export function isDiagnosticAgent(name: string, atc: readonly string[] = []): boolean {
  const n = normalizeTerm(name);
  if (DIAGNOSTIC_NAME_PATTERNS.some((p) => p.test(n))) return true;
  if (DIAGNOSTIC_ATC_EXCEPTIONS.has(n)) return false;
  return atc.length > 0 && atc.every((code) => DIAGNOSTIC_ATC_PREFIXES.some((p) => code.toUpperCase().startsWith(p)));
}

/**
 * DrugBank `groups` that keep a compound's indications out: withdrawn from the market without
 * remaining approved anywhere (troglitazone, cerivastatin, rofecoxib), or approved only for
 * veterinary use. "approved|withdrawn" drugs (flecainide, thalidomide) are still prescribed.
 */
export function groupJunkReason(groups: readonly string[] | undefined): 'withdrawn' | 'veterinary_only' | undefined {
  if (!groups || groups.length === 0) return undefined;
  if (groups.includes('approved')) return undefined;
  if (groups.includes('withdrawn')) return 'withdrawn';
  if (groups.includes('vet_approved')) return 'veterinary_only';
  return undefined;
}

/**
 * Trailing words that name a salt, ester-free counter-ion or hydrate: "metformin hydrochloride"
 * and "dolutegravir sodium" are their parent drug. Esters (propionate, valerate) change the
 * drug and are not listed.
 */
const SALT_WORDS: ReadonlySet<string> = new Set([
  'hydrochloride', 'dihydrochloride', 'hcl', 'hydrobromide', 'sodium', 'disodium', 'trisodium', 'potassium', 'dipotassium',
  'calcium', 'magnesium', 'mesylate', 'mesilate', 'dimesylate', 'maleate', 'dimaleate', 'sulfate', 'sulphate', 'bisulfate',
  'acetate', 'besylate', 'besilate', 'tartrate', 'bitartrate', 'citrate', 'fumarate', 'hemifumarate', 'succinate',
  'propanediol', 'phosphate', 'diphosphate', 'bromide', 'chloride', 'iodide', 'tromethamine', 'meglumine', 'dimeglumine',
  'hyclate', 'tosylate', 'lactate', 'gluconate', 'malate', 'nitrate', 'oxalate', 'pamoate', 'napsylate', 'xinafoate',
  'monohydrate', 'dihydrate', 'trihydrate', 'hemihydrate', 'sesquihydrate', 'anhydrous', 'hydrate',
]);

/**
 * Parents that a salt name must not collapse to: the bare ion ("calcium acetate" is a phosphate
 * binder, not calcium; "potassium chloride" is not potassium).
 */
const ION_PARENTS: ReadonlySet<string> = new Set([
  'sodium', 'potassium', 'calcium', 'magnesium', 'lithium', 'zinc', 'iron', 'ferrous', 'ferric', 'aluminum', 'aluminium',
  'ammonium', 'silver', 'copper', 'barium', 'strontium', 'bismuth', 'chloride', 'acetate', 'sulfate',
]);

/**
 * The parent name of a salt ("Metformin Hydrochloride" → "metformin", "DAPAGLIFLOZIN
 * PROPANEDIOL" → "dapagliflozin"), as a normalizeTerm() form; undefined when the name has no
 * trailing salt word or only an ion would remain.
 */
export function saltParentName(name: string): string | undefined {
  const words = normalizeTerm(name).split(' ').filter(Boolean);
  let end = words.length;
  while (end > 1 && SALT_WORDS.has(words[end - 1])) end--;
  if (end === words.length || end === 0) return undefined;
  const parent = words.slice(0, end).join(' ');
  if (ION_PARENTS.has(parent) || parent.length < 3) return undefined;
  return parent;
}

/**
 * Leading words that narrow a disease without making it another one: "recurrent
 * thrombophlebitis" and "metastatic prostate cancer" are kinds of the unqualified disease, which
 * is the most specific term Disease Ontology (2016) has for them.
 */
const NARROWING_MODIFIERS: ReadonlySet<string> = new Set([
  'recurrent', 'refractory', 'relapsed', 'advanced', 'metastatic', 'severe', 'moderate', 'mild', 'persistent', 'active',
  'uncomplicated', 'complicated', 'acute', 'chronic', 'moderate to severe', 'locally advanced',
  // A postoperative pain or nausea is that pain or nausea; the surgery is its setting, not another disease.
  'postoperative', 'post operative',
]);

/**
 * The drug a radiolabelled variant carries ("99mTc-ciprofloxacin" → "ciprofloxacin"): mappings
 * that name the labelled tracer for the drug's own indications meant the drug. normalizeTerm()
 * form, or undefined when the name has no isotope prefix.
 */
export function radiolabelParentName(name: string): string | undefined {
  const m = /^(?:99m ?tc|tc ?99m|\d{2,3}[a-z]{1,2}) ([a-z].{2,})$/.exec(normalizeTerm(name));
  return m ? m[1] : undefined;
}

/**
 * Lexical variants of a disease name as sources write it, tried in order after the exact name:
 * each says how the source's wording differs from Disease Ontology's, and is recorded on the
 * edge so a reviewer can judge it. Returns normalizeTerm() forms with the rule that produced
 * them; the last rules (modifier_removed) give a parent of what the row names.
 */
export function diseaseNameVariants(name: string): { rule: string; term: string }[] {
  const out: { rule: string; term: string }[] = [];
  const exact = normalizeTerm(name);
  const push = (rule: string, term: string) => {
    const t = normalizeTerm(term);
    if (t && t !== exact && !out.some((o) => o.term === t)) out.push({ rule, term: t });
  };
  const bases: string[] = [exact];
  // MeSH and MedDRA invert names: "Arthritis, Rheumatoid" is "rheumatoid arthritis".
  const parts = name.split(/,\s+/).filter(Boolean);
  if (parts.length > 1) {
    push('inverted', [...parts].reverse().join(' '));
    bases.push(normalizeTerm([...parts].reverse().join(' ')));
  }
  const unqualified = normalizeTerm(name.replace(/\((?:disorder|disease|finding)\)/gi, ' '));
  if (unqualified !== exact) {
    push('qualifier_removed', unqualified);
    bases.push(unqualified);
  }
  for (const n of bases) {
    const words = n.split(' ');
    const last = words[words.length - 1];
    // MeSH headings are plural ("Urinary Tract Infections", "Skin Diseases, Infectious").
    if (/[^su]s$/.test(last) && last.length > 3 && !/(?:sis|itis|us)$/.test(last)) {
      push('singular', [...words.slice(0, -1), last.endsWith('ies') ? `${last.slice(0, -3)}y` : last.slice(0, -1)].join(' '));
    }
    // Eponyms lose their apostrophe inconsistently: "non-Hodgkins lymphoma" is DO's "non-Hodgkin lymphoma".
    words.forEach((w, i) => {
      if (i < words.length - 1 && w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) {
        push('possessive_s', [...words.slice(0, i), w.slice(0, -1), ...words.slice(i + 1)].join(' '));
      }
    });
    // Disease Ontology names infections "X infectious disease" (HIV infection → … infectious disease).
    if (n.endsWith(' infection')) push('infectious_disease', `${n.slice(0, -' infection'.length)} infectious disease`);
    // "hepatitis C virus infection" is DO's "hepatitis C infection".
    if (n.endsWith(' virus infection')) push('virus_dropped', n.replace(/ virus infection$/, ' infection'));
    // EFO and ChEMBL name a site's cancer "X neoplasm" / "neoplasm of X"; DO says "X cancer".
    // A bare "neoplasm" is left alone: mapping it to "cancer" would make every oncology drug a candidate.
    const neo = /^(.+) neoplasm$/.exec(n) ?? /^neoplasm of (?:the )?(.+)$/.exec(n);
    if (neo) push('neoplasm_as_cancer', `${neo[1]} cancer`);
    if (/ carcinoma$/.test(n)) push('carcinoma_as_cancer', n.replace(/ carcinoma$/, ' cancer'));
    if (/ cancer$/.test(n)) push('cancer_as_carcinoma', n.replace(/ cancer$/, ' carcinoma'));
    if (/ disorder$/.test(n)) push('disorder_removed', n.replace(/ disorder$/, ''));
    // EFO names infections "X infectious disease"; clinicians and labels say "X infection".
    if (n.endsWith(' infectious disease')) push('infection_name', `${n.slice(0, -' infectious disease'.length)} infection`);
    // "graft vs. host disease" is "graft versus host disease"; ChEMBL writes "post operative" in two words.
    if (/\bvs\b/.test(n)) push('versus', n.replace(/\bvs\b/g, 'versus'));
    if (/\bpost operative\b/.test(n)) push('joined', n.replace(/\bpost operative\b/g, 'postoperative'));
  }
  // Last: drop narrowing modifiers, which names the parent ("recurrent thrombophlebitis" → thrombophlebitis).
  const modifiers = [...NARROWING_MODIFIERS].sort((a, b) => b.length - a.length);
  for (const n of bases) {
    let rest = n;
    for (;;) {
      const m = modifiers.find((w) => rest.startsWith(`${w} `));
      if (!m) break;
      rest = rest.slice(m.length + 1);
    }
    if (rest !== n) push('modifier_removed', rest);
  }
  return out;
}

/**
 * Drug-name variants tried when the exact name matches nothing: the salt's parent ("metformin
 * hydrochloride" → metformin) and the acid of an anion name ("valproate" → valproic acid,
 * "mefenamate" → mefenamic acid), as RxNorm and DrugBank name the same ingredient differently.
 */
export function drugNameVariants(name: string): { rule: string; term: string }[] {
  const out: { rule: string; term: string }[] = [];
  const parent = saltParentName(name);
  if (parent) out.push({ rule: 'salt_parent_name', term: parent });
  const n = parent ?? normalizeTerm(name);
  if (/^[a-z]{4,}ate$/.test(n)) out.push({ rule: 'acid_name', term: `${n.slice(0, -3)}ic acid` });
  return out;
}

/**
 * Disease names whose Disease Ontology (2016) term is worded differently in a way no general
 * rule covers; each is a clinical equivalent, or the nearest parent where DO 2016 has no term
 * (marked). Keys are normalizeTerm() forms of the source's name; values are DOIDs.
 */
export const DISEASE_NAME_ALIASES: Readonly<Record<string, string>> = {
  'heart failure': 'DOID:6000', // congestive heart failure
  'hiv 1 infection': 'DOID:526', // human immunodeficiency virus infectious disease
  'psychosis': 'DOID:2468', // psychotic disorder
  'depressive disorder': 'DOID:1596', // mental depression
  'peptic ulcer': 'DOID:750', // peptic ulcer disease
  'anxiety': 'DOID:2030', // anxiety disorder
  'bacterial disease': 'DOID:104', // bacterial infectious disease
  'bacterial infection': 'DOID:104',
  'allergic disease': 'DOID:0060056', // hypersensitivity reaction disease
  'attention deficit disorder with hyperactivity': 'DOID:1094', // MeSH heading for ADHD
  // The nearest parent, where DO 2016 has no term of its own and ChEMBL no node either
  // (ChEMBL's MONDO "hyperlipidemia" is kept on this parent rather than given a node: in
  // everyday use hyperlipidaemia and dyslipidaemia name the same patients).
  'hyperlipidemia': 'DOID:3146', // lipid metabolism disorder (synonym: dyslipidemia)
};

/**
 * The nearest Disease Ontology parent of a disease DO 2016 lacks, used only when no disease node
 * the indication import adds names it: ChEMBL's insomnia and hypercholesterolaemia nodes win, so
 * zolpidem is indicated for insomnia, not for every sleep disorder (narcolepsy included). Without
 * those nodes (a build whose ChEMBL file has no such row) the rows still reach the parent, as
 * before. Keys are normalizeTerm() forms; values are DOIDs.
 */
export const DISEASE_PARENT_FALLBACKS: Readonly<Record<string, string>> = {
  'insomnia': 'DOID:535', // sleep disorder
  'sleeplessness': 'DOID:535',
  'sleep initiation and maintenance disorders': 'DOID:535', // MeSH heading for insomnia
  'hypercholesterolemia': 'DOID:3146', // lipid metabolism disorder (synonym: dyslipidemia)
};

/**
 * Near-synonyms the lexical variants miss: a source's disease name (mostly ChEMBL's EFO, MONDO
 * and HP names among the most frequent that matched nothing) and the Disease Ontology (2016)
 * term that is the same disease in other words. Each was checked against DO's names and exact
 * synonyms (disease-ontology/term-names.tsv); a broader DO term is never a target here: a
 * disease DO lacks gets a node of its own (see `isAddableDisease`). Keys are normalizeTerm()
 * forms; `why` is what makes them the same disease.
 */
export const DISEASE_CROSSWALK: Readonly<Record<string, { id: string; why: string }>> = {
  'benign prostatic hyperplasia': { id: 'DOID:11132', why: 'DO 2016 names benign prostatic hyperplasia "prostatic hypertrophy" (ICD-9 600, hyperplasia of prostate)' },
  'prostatic hyperplasia': { id: 'DOID:11132', why: 'MeSH heading for benign prostatic hyperplasia (LabeledIn)' },
  'small cell lung carcinoma': { id: 'DOID:5409', why: 'DO "lung small cell carcinoma", with the synonym "small cell carcinoma of lung"' },
  'esophageal squamous cell carcinoma': { id: 'DOID:3748', why: 'DO "esophagus squamous cell carcinoma" (synonym "squamous cell carcinoma of esophagus")' },
  'clear cell renal carcinoma': { id: 'DOID:4467', why: 'DO "renal clear cell carcinoma" (synonym "clear cell kidney carcinoma")' },
  'head and neck malignant neoplasia': { id: 'DOID:11934', why: 'malignant neoplasia is cancer: DO "head and neck cancer"' },
  'malignant colon neoplasm': { id: 'DOID:219', why: 'a malignant neoplasm is a cancer: DO "colon cancer"' },
  'urinary bladder carcinoma': { id: 'DOID:4007', why: 'DO "bladder carcinoma", with the synonym "carcinoma of urinary bladder"' },
  'urothelial carcinoma': { id: 'DOID:2671', why: 'urothelial carcinoma is the current (WHO) name of transitional cell carcinoma, DO\'s term' },
  'lymphoblastic lymphoma': { id: 'DOID:5600', why: 'WHO classes lymphoblastic lymphoma and leukaemia as one neoplasm: DO "precursor lymphoblastic lymphoma/leukemia"' },
  'disorder of lipid metabolism': { id: 'DOID:3146', why: 'word order: DO "lipid metabolism disorder"' },
  'abnormal circulating lipid concentration': { id: 'DOID:3146', why: 'HP\'s term for dyslipidaemia, an exact synonym of DO "lipid metabolism disorder"' },
  'opioid dependence': { id: 'DOID:2559', why: 'DO "opiate dependence", with the synonym "opioid type dependence"' },
  'chronic hepatitis c virus infection': { id: 'DOID:1883', why: 'DO "hepatitis C" lists "chronic hepatitis C" as an exact synonym' },
  'rhinitis allergic perennial': { id: 'DOID:4481', why: 'DO "allergic rhinitis" lists perennial ("Perenial", sic) and non-seasonal allergic rhinitis as exact synonyms' },
  'perennial allergic rhinitis': { id: 'DOID:4481', why: 'as "Rhinitis, Allergic, Perennial"' },
  'emphysema': { id: 'DOID:9675', why: 'unqualified, emphysema is pulmonary emphysema (EFO_0000464 is the lung disease; the drugs are bronchodilators)' },
  'ischemic stroke': { id: 'DOID:3526', why: 'ischaemic stroke is cerebral infarction (ICD-10 I63 "Cerebral infarction" codes ischaemic stroke)' },
  'eczematoid dermatitis': { id: 'DOID:2723', why: 'HP "Eczematoid dermatitis" is eczema, which DO lists as an exact synonym of "dermatitis"' },
  'idiopathic pulmonary arterial hypertension': { id: 'DOID:14557', why: 'idiopathic PAH is what DO 2016 still calls "primary pulmonary hypertension" (renamed at the 2003 Venice symposium)' },
  'idiopathic and or familial pulmonary arterial hypertension': { id: 'DOID:14557', why: '"primary pulmonary hypertension" covered the idiopathic and familial forms alike' },
  'smoking cessation': { id: 'DOID:0050742', why: 'smoking-cessation aids (varenicline, nicotine replacement) treat nicotine dependence, DO\'s "tobacco use disorder"' },
};

/**
 * Source names of a disease the import adds a node for, worded in a way no lexical variant
 * reaches: key → the added node's name, both normalizeTerm() forms. Also indexed as the node's
 * synonyms, so case text worded that way resolves.
 */
export const ADDED_DISEASE_ALIASES: Readonly<Record<string, string>> = {
  'sleeplessness': 'insomnia', // SIDER's label concept for insomnia
  'sleep initiation and maintenance disorders': 'insomnia', // MeSH heading for insomnia (LabeledIn)
  'alcohol withdrawal syndrome': 'alcohol withdrawal',
  'septicemia': 'sepsis', // the older word; MeSH and MedDRA file it under sepsis
  'urge incontinence': 'urgency urinary incontinence',
  'urinary bladder overactive': 'overactive bladder', // MeSH heading (LabeledIn)
};

/**
 * Parents of added disease nodes that their names cannot show, each a clear "is a kind of":
 * key → a DOID or another added node's name (normalizeTerm() forms). They replace the name rule
 * for that node, which would make pulmonary arterial hypertension a kind of (systemic)
 * hypertension and septic shock a kind of shock rather than of sepsis.
 */
export const ADDED_DISEASE_PARENTS: Readonly<Record<string, { parent: string; why: string }>> = {
  'insomnia': { parent: 'DOID:535', why: 'insomnia is a sleep disorder (ICD-10 G47.0 under G47)' },
  'hypercholesterolemia': { parent: 'DOID:3146', why: 'hypercholesterolaemia is a lipid metabolism disorder (dyslipidaemia)' },
  'alcohol withdrawal': { parent: 'DOID:0060001', why: 'alcohol withdrawal is a withdrawal disorder' },
  'pulmonary arterial hypertension': { parent: 'DOID:6432', why: 'PAH is group 1 pulmonary hypertension, not systemic hypertension' },
  'septic shock': { parent: 'sepsis', why: 'septic shock is a subset of sepsis (Sepsis-3)' },
  'deep vein thrombosis': { parent: 'venous thrombosis', why: 'a deep vein thrombosis is a venous thrombosis' },
  'chronic hepatitis b virus infection': { parent: 'DOID:2043', why: 'chronic hepatitis B is hepatitis B (the name rule would stop at "viral infectious disease")' },
  'combined hyperlipidemia': { parent: 'DOID:3146', why: 'a hyperlipidaemia, which this import keeps on lipid metabolism disorder' },
  'covid 19': { parent: 'coronavirus infectious disease', why: 'COVID-19 is the SARS-CoV-2 coronavirus infection' },
};

/** ChEMBL disease id prefixes the import may add nodes for, and the public id prefix each gets (`EFO_0000284` → `EFO:0000284`). */
export const ADDED_DISEASE_PREFIXES: Readonly<Record<string, string>> = { EFO: 'EFO', MONDO: 'MONDO', HP: 'HP', Orphanet: 'ORPHANET' };

/**
 * ChEMBL "diseases" that get no node: too general to be an indication target ("neoplasm" would
 * make every oncology drug a candidate, as DO's own root terms would; see TOO_GENERAL_DISEASES),
 * or not a disease at all (pregnancy, vaccination). normalizeTerm() forms.
 */
const NOT_ADDABLE_DISEASE_NAMES: ReadonlySet<string> = new Set([
  // roots and organ-system or process categories
  'neoplasm', 'cancer', 'disease', 'syndrome', 'infection', 'inflammation', 'injury', 'cardiovascular disease',
  'digestive system disease', 'genetic disorder', 'syndromic disease', 'childhood cancer', 'precancerous condition',
  'chromosomal anomaly', 'metastasis', 'necrosis', 'fibrosis', 'hyperplasia', 'atrophy', 'poisoning', 'overdose',
  // not a disease: states, procedures and findings
  'pregnancy', 'vaccination', 'aging', 'radiologic finding', 'pulsed doppler echocardiography', 'tube feeding',
]);

/**
 * HP's organ-level abnormality classes ("Abnormality of the thyroid gland", "Abnormal retinal
 * morphology"): categories, not diagnoses. "Abnormal glucose tolerance" is a diagnosis and stays.
 */
const ABNORMALITY_CLASS = /^abnormality of |^abnormal .*morphology$/;

/**
 * Whether ChEMBL's rows for a disease Disease Ontology lacks earn it a node: an approved
 * (phase 4) indication, or at least two distinct drugs, so one phase-3 trial does not make a
 * disease; and a name that is neither too general nor a non-disease.
 */
export function isAddableDisease(name: string, stats: { approved: boolean; drugs: number }): 'ok' | 'too_general' | 'below_threshold' {
  const n = normalizeTerm(name);
  if (NOT_ADDABLE_DISEASE_NAMES.has(n) || ABNORMALITY_CLASS.test(n)) return 'too_general';
  return stats.approved || stats.drugs >= 2 ? 'ok' : 'below_threshold';
}

/**
 * Lexical variants that rename a disease without narrowing or widening it, so an added node may
 * carry them as synonyms ("Rhinitis, Allergic, Perennial" → "perennial allergic rhinitis"); the
 * others (modifier_removed, neoplasm_as_cancer…) name a parent or another concept.
 */
export const SYNONYM_VARIANT_RULES: ReadonlySet<string> = new Set(['inverted', 'qualifier_removed', 'singular', 'possessive_s', 'infection_name', 'infectious_disease', 'versus', 'joined']);

/**
 * Disease Ontology terms too general to be an indication target on their own ("disease",
 * "disease of anatomical entity"): a source row naming them says nothing a clinician can use.
 */
export const TOO_GENERAL_DISEASES: ReadonlySet<string> = new Set([
  'DOID:4', // disease
  'DOID:7', // disease of anatomical entity
  'DOID:0014667', // disease of metabolism
  'DOID:14566', // disease of cellular proliferation
  'DOID:150', // disease of mental health
  'DOID:225', // syndrome
  'DOID:0050117', // disease by infectious agent
]);

/**
 * Disease Ontology terms never given as the parent of an added node, beyond the roots in
 * TOO_GENERAL_DISEASES: "hepatitis D virus infection" is a viral infectious disease, but an
 * edge there would hand every antiviral's subtype indications to a term no clinician treats.
 */
export const TOO_GENERAL_PARENTS: ReadonlySet<string> = new Set([
  ...TOO_GENERAL_DISEASES,
  'DOID:934', // viral infectious disease
  'DOID:104', // bacterial infectious disease
  'DOID:1564', // fungal infectious disease
  'DOID:1398', // parasitic infectious disease
]);

/** Title case for ALL-CAPS source names ("EMPAGLIFLOZIN" → "Empagliflozin"); other names are kept. */
export function displayDrugName(name: string): string {
  const s = name.trim();
  if (s !== s.toUpperCase() && s !== s.toLowerCase()) return s;
  const lower = s.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}
