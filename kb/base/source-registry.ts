/** A data source as recorded in the knowledge base and shown with every fact drawn from it. */
export interface SourceInfo {
  id: string;
  name: string;
  license: string;
  url: string;
  /** Left out of builds made with --no-noncommercial. */
  noncommercial: boolean;
}

/**
 * Every source the build can read, with the license its publisher gives (see the data
 * directory's README). Sources whose terms forbid commercial use are flagged so a deployment
 * can build without them.
 */
export const SOURCES: Record<string, SourceInfo> = {
  hetionet: { id: 'hetionet', name: 'Hetionet v1.0', license: 'CC0 1.0', url: 'https://het.io', noncommercial: false },
  pharmacotherapydb: {
    id: 'pharmacotherapydb', name: 'PharmacotherapyDB v1.0', license: 'CC0 1.0',
    url: 'https://doi.org/10.6084/m9.figshare.3103054', noncommercial: false,
  },
  drugbank: {
    id: 'drugbank', name: 'DrugBank 4.2 vocabulary (dhimmel/drugbank)', license: 'CC BY-NC 4.0',
    url: 'https://go.drugbank.com', noncommercial: true,
  },
  drugcentral: {
    id: 'drugcentral', name: 'DrugCentral 2016', license: 'CC BY 4.0', url: 'https://drugcentral.org', noncommercial: false,
  },
  sider4: {
    id: 'sider4', name: 'SIDER 4.1', license: 'CC BY-NC-SA 4.0', url: 'http://sideeffects.embl.de', noncommercial: true,
  },
  deepddi: {
    id: 'deepddi', name: 'DeepDDI / DrugBank 5 interactions', license: 'CC BY-NC 4.0',
    url: 'https://doi.org/10.1073/pnas.1803294115', noncommercial: true,
  },
  'icd-cms': {
    id: 'icd-cms', name: 'ICD-9-CM / ICD-10-CM code descriptions (CMS, as shipped with HINT)',
    license: 'Public domain (US government work)', url: 'https://www.cms.gov/medicare/coding-billing/icd-10-codes', noncommercial: false,
  },
  labeledin: {
    id: 'labeledin', name: 'LabeledIn: label-curated indications of human drugs (NLM), as mapped by dhimmel/indications',
    license: 'Public domain (NLM, US Government work)', url: 'https://ftp.ncbi.nlm.nih.gov/pub/lu/LabeledIn/', noncommercial: false,
  },
  medi: {
    id: 'medi', name: 'MEDI ensemble medication–indication resource (high- and low-precision subsets), as mapped by dhimmel/indications',
    license: 'CC BY-NC-SA 3.0', url: 'https://doi.org/10.1136/amiajnl-2012-001431', noncommercial: true,
  },
  ehrlink: {
    // Published as supplementary data with no license; without permission it is treated as non-commercial.
    id: 'ehrlink', name: 'EHRLink problem–medication links (McCoy et al. 2012), as mapped by dhimmel/indications',
    license: 'No license stated (treated as non-commercial)', url: 'https://doi.org/10.1136/amiajnl-2012-000852', noncommercial: true,
  },
  predict: {
    id: 'predict', name: 'PREDICT drug indications (Gottlieb et al. 2011), as mapped by dhimmel/indications',
    license: 'CC BY-NC-SA 3.0', url: 'https://doi.org/10.1038/msb.2011.26', noncommercial: true,
  },
  chembl: {
    // Share-alike, not non-commercial: usable commercially, but derived data must keep CC BY-SA.
    id: 'chembl', name: 'ChEMBL drug indications, max_phase ≥ 3 (SHARE-ALIKE: derived data must stay CC BY-SA; attribute ChEMBL)',
    license: 'CC BY-SA 3.0 (share-alike)', url: 'https://www.ebi.ac.uk/chembl/', noncommercial: false,
  },
  'disease-ontology': {
    id: 'disease-ontology', name: 'Disease Ontology', license: 'CC BY 3.0', url: 'https://disease-ontology.org', noncommercial: false,
  },
  hint: {
    // The data is ClinicalTrials.gov content with no license file upstream, but the HINT/TOP
    // README's "Benchmark Usage Agreement" restricts the curated benchmark to non-commercial
    // use, so builds without non-commercial parts leave it out.
    id: 'hint', name: 'HINT / TOP clinical trial outcome benchmark (ClinicalTrials.gov content)',
    license: 'ClinicalTrials.gov content (no upstream license file; HINT benchmark usage agreement: non-commercial use)',
    url: 'https://github.com/futianfan/clinical-trial-outcome-prediction', noncommercial: true,
  },
  'clintrials-dhimmel': {
    id: 'clintrials-dhimmel', name: 'ClinicalTrials.gov indications mapped to DrugBank × DO (dhimmel/clintrials)',
    license: 'CC0 1.0 (ClinicalTrials.gov terms apply to trial records)', url: 'https://github.com/dhimmel/clintrials', noncommercial: false,
  },
  trial2vec: {
    id: 'trial2vec', name: 'Trial2Vec sample trials (ClinicalTrials.gov content)', license: 'MIT',
    url: 'https://github.com/RyanWangZf/Trial2Vec', noncommercial: false,
  },
  pubmedqa: {
    id: 'pubmedqa', name: 'PubMedQA expert-labelled set (PubMed abstracts)', license: 'MIT',
    url: 'https://github.com/pubmedqa/pubmedqa', noncommercial: false,
  },
  'kedrec-rules': {
    id: 'kedrec-rules', name: 'KEDRec safety rule tables (clinical/rules: FDA labels and guidelines, cited per row)',
    license: 'MIT (KEDRec); cited FDA labeling is public domain', url: 'https://dailymed.nlm.nih.gov', noncommercial: false,
  },
  'pregnancy-reprotox': {
    id: 'pregnancy-reprotox', name: 'FDA pregnancy categories X and D mined from label text (nih-cfde/ReproToxTables, MaayanLab/ReproToxPaper)',
    license: 'FDA labeling (public domain) via DrugCentral (CC BY 4.0); no upstream license file', url: 'https://github.com/nih-cfde/ReproToxTables', noncommercial: false,
  },
  bc5cdr: {
    id: 'bc5cdr', name: 'BioCreative V CDR corpus (PubMed abstracts with chemical/disease annotations)',
    license: 'Public domain (NLM, United States Government Work)', url: 'https://biocreative.bioinformatics.udel.edu/tasks/biocreative-v/track-3-cdr/',
    noncommercial: false,
  },
};

/** Licenses whose terms forbid commercial use; edge-level licenses are checked against this. */
export function isNoncommercialLicense(license: string): boolean {
  return /\bNC\b|non-?commercial/i.test(license);
}
