import fs from 'node:fs';
import path from 'node:path';
import { parsePythonList, readCsv } from './csv.js';
import { SourceFormatError } from './table.js';

/** One trial of the HINT / TOP benchmark (futianfan/clinical-trial-outcome-prediction `data/`). */
export interface HintTrial {
  nctId: string;
  /** As published, lower case: completed, terminated, withdrawn, recruiting, … */
  status: string;
  whyStopped: string;
  /** 1 = trial met its outcome, 0 = it failed; null when the cell is empty. */
  outcomeLabel: 0 | 1 | null;
  /** As published: "phase 1", "phase 1/phase 2", "early phase 1", … */
  phase: string;
  diseases: string[];
  icd10: string[];
  drugs: string[];
  criteria: string;
  file: string;
  line: number;
}

const HINT_COLUMNS = ['nctid', 'status', 'why_stop', 'label', 'phase', 'diseases', 'icdcodes', 'drugs', 'criteria'];
const NCT = /^NCT\d{8}$/;

/**
 * The HINT split files present in `hint/`: every `data_*.csv` except the DrugBank demo table.
 * Upstream ships phase_{I,II,III}_{train,valid,test}, toy_* and raw_data; any subset works,
 * and a trial appearing in several splits is one trial.
 */
export function hintTrialFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'hint');
  if (!fs.existsSync(dir)) throw new SourceFormatError(dir, 0, 'the HINT data folder (hint/ with data_*.csv split files)');
  return fs
    .readdirSync(dir)
    .filter((f) => /^data_.*\.csv$/.test(f) && f !== 'data_drugbank_mini.csv')
    .sort()
    .map((f) => path.join(dir, f));
}

function list(cell: string, file: string, line: number, column: string): string[] {
  const v = parsePythonList(cell);
  if (v === null) throw new SourceFormatError(file, line, `a Python list literal in column ${column}`, cell);
  return v.map((s) => s.trim()).filter(Boolean);
}

/** Reads one HINT split file, checking the header and each row's NCT ID and label. */
export function* readHintTrials(file: string): Generator<HintTrial> {
  for (const row of readCsv(file, { required: HINT_COLUMNS })) {
    const nctId = row.get('nctid').trim().toUpperCase();
    if (!NCT.test(nctId)) throw new SourceFormatError(file, row.line, 'an NCT ID (NCT followed by 8 digits) in column nctid', nctId);
    const label = row.get('label').trim();
    if (label !== '' && label !== '0' && label !== '1') throw new SourceFormatError(file, row.line, 'label 0 or 1', label);
    yield {
      nctId,
      status: row.get('status').trim(),
      whyStopped: row.get('why_stop').trim(),
      outcomeLabel: label === '' ? null : (Number(label) as 0 | 1),
      phase: row.get('phase').trim(),
      diseases: list(row.get('diseases'), file, row.line, 'diseases'),
      icd10: list(row.get('icdcodes'), file, row.line, 'icdcodes'),
      drugs: list(row.get('drugs'), file, row.line, 'drugs'),
      criteria: row.get('criteria').replace(/\r/g, '').trim(),
      file,
      line: row.line,
    };
  }
}

/** HINT's `drugbank_mini.csv`: trial interventions already mapped to DrugBank IDs. */
export function* readHintDrugbankMini(file: string): Generator<{ nctId: string; drugbankId: string; name: string; line: number }> {
  for (const row of readCsv(file, { required: ['trial_id', 'drugbank_id', 'name'] })) {
    const nctId = row.get('trial_id').trim().toUpperCase();
    const drugbankId = row.get('drugbank_id').trim().toUpperCase();
    if (!NCT.test(nctId) || !/^DB\d{5}$/.test(drugbankId)) continue;
    yield { nctId, drugbankId, name: row.get('name').trim(), line: row.line };
  }
}
