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
  'disease-ontology': {
    id: 'disease-ontology', name: 'Disease Ontology', license: 'CC BY 3.0', url: 'https://disease-ontology.org', noncommercial: false,
  },
};

/** Licenses whose terms forbid commercial use; edge-level licenses are checked against this. */
export function isNoncommercialLicense(license: string): boolean {
  return /\bNC\b|non-?commercial/i.test(license);
}
