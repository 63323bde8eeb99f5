import { readCsv } from './csv.js';
import { SourceFormatError } from './table.js';

/** One trial from Trial2Vec's `clinical_trial_mini.csv` (RyanWangZf/Trial2Vec). */
export interface Trial2VecTrial {
  nctId: string;
  title: string;
  description: string;
  interventions: string[];
  diseases: string[];
  keywords: string[];
  outcomeMeasure: string;
  criteria: string;
  status: string;
  line: number;
}

const COLUMNS = ['nct_id', 'description', 'title', 'intervention_name', 'disease', 'keyword', 'outcome_measure', 'criteria', 'overall_status'];

const splitList = (s: string) =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** Reads Trial2Vec trials; its criteria use `~` as the line separator, restored to newlines here. */
export function* readTrial2Vec(file: string): Generator<Trial2VecTrial> {
  for (const row of readCsv(file, { required: COLUMNS })) {
    const nctId = row.get('nct_id').trim().toUpperCase();
    if (!/^NCT\d{8}$/.test(nctId)) throw new SourceFormatError(file, row.line, 'an NCT ID in column nct_id', nctId);
    yield {
      nctId,
      title: row.get('title').trim(),
      description: row.get('description').trim(),
      interventions: splitList(row.get('intervention_name')),
      diseases: splitList(row.get('disease')),
      keywords: splitList(row.get('keyword')),
      outcomeMeasure: row.get('outcome_measure').trim(),
      criteria: row.get('criteria').split('~').map((l) => l.trim()).filter(Boolean).join('\n'),
      status: row.get('overall_status').trim(),
      line: row.line,
    };
  }
}
