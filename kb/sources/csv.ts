import { isBlankRecord, makeRow, parseQuotedRecords, readSourceText, requireColumns, SourceFormatError, type Row } from './table.js';

export interface CsvOptions {
  /** Columns that must appear in the header, in any order. */
  required?: string[];
}

/**
 * Iterates the records of an RFC 4180 comma-separated file: quoted fields may hold commas,
 * doubled quotes and newlines (HINT's eligibility criteria span many lines), so the file is
 * parsed character by character rather than split on lines. `Row.line` is the line the record
 * starts on. A record with a different number of fields than the header, or a quote left open
 * at the end of the file, fails with a SourceFormatError naming file and line.
 */
export function* readCsv(file: string, opts: CsvOptions = {}): Generator<Row> {
  const text = readSourceText(file);
  const records = parseCsvRecords(text, file);
  const first = records.next();
  if (first.done || isBlankRecord(first.value.values)) throw new SourceFormatError(file, 1, 'a header line');
  const header = first.value.values;
  requireColumns(file, header, opts.required, header.join(','));
  // Duplicate column names (HINT's drugbank_mini has three `id` columns) resolve to the first.
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    if (!index.has(h)) index.set(h, i);
  });
  for (const { line, values } of records) {
    if (isBlankRecord(values)) continue;
    if (values.length !== header.length) {
      throw new SourceFormatError(file, line, `${header.length} comma-separated fields (${header.slice(0, 12).join(', ')})`, values.join(',').slice(0, 200));
    }
    yield makeRow(file, line, values, index);
  }
}

/**
 * Splits comma-separated text into records with table.ts's parser (one implementation for
 * every quoted source), after dropping a leading byte-order mark that spreadsheet exports add.
 * Blank lines come out as one empty value; exported for tests of the quoting rules and for
 * readers that handle the header themselves (evals/mimic-data.ts).
 */
export function parseCsvRecords(text: string, file = '<csv>'): Generator<{ line: number; values: string[] }> {
  return parseQuotedRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, ',', file);
}

/**
 * Parses a Python list literal as written by pandas into CSV cells: `['a', 'b']`, `["it's"]`,
 * and HINT's doubly nested ICD form `["['D02.20', 'D02.21']"]`, which is flattened. Returns
 * null when the cell is not a list literal, so the caller can report the line.
 */
export function parsePythonList(cell: string): string[] | null {
  const s = cell.trim();
  if (s === '' || s === '[]') return [];
  if (!s.startsWith('[') || !s.endsWith(']')) return null;
  const out: string[] = [];
  let i = 1;
  const end = s.length - 1;
  while (i < end) {
    const c = s[i];
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      while (i < end && s[i] !== c) {
        if (s[i] === '\\' && i + 1 < end) {
          v += s[i + 1];
          i += 2;
          continue;
        }
        v += s[i++];
      }
      if (s[i] !== c) return null;
      i++;
      const nested = v.trim().startsWith('[') ? parsePythonList(v) : null;
      if (nested) out.push(...nested);
      else out.push(v);
    } else if (c === ',' || c === ' ') {
      i++;
    } else {
      // Unquoted items (numbers, None) are kept as written.
      const start = i;
      while (i < end && s[i] !== ',') i++;
      const v = s.slice(start, i).trim();
      if (v && v !== 'None') out.push(v);
    }
  }
  return out;
}
