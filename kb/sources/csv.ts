import { readSourceText, SourceFormatError, type Row } from './table.js';

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
  if (first.done || (first.value.values.length === 1 && first.value.values[0] === '')) {
    throw new SourceFormatError(file, 1, 'a header line');
  }
  const header = first.value.values;
  const missing = (opts.required ?? []).filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new SourceFormatError(file, 1, `header columns ${opts.required!.join(', ')} (missing ${missing.join(', ')})`, header.join(','));
  }
  // Duplicate column names (HINT's drugbank_mini has three `id` columns) resolve to the first.
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    if (!index.has(h)) index.set(h, i);
  });
  for (const rec of records) {
    if (rec.values.length === 1 && rec.values[0] === '') continue;
    if (rec.values.length !== header.length) {
      throw new SourceFormatError(file, rec.line, `${header.length} comma-separated fields (${header.slice(0, 12).join(', ')})`, rec.values.join(',').slice(0, 200));
    }
    const { values, line } = rec;
    yield {
      line,
      values,
      get(column: string) {
        const at = index.get(column);
        if (at === undefined) throw new SourceFormatError(file, line, `a column named ${column}`);
        return values[at] ?? '';
      },
    };
  }
}

/** Splits CSV text into records; exported for tests of the quoting rules. */
export function* parseCsvRecords(text: string, file = '<csv>'): Generator<{ line: number; values: string[] }> {
  let i = 0;
  let line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const startLine = line;
    const values: string[] = [];
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        const openLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new SourceFormatError(file, openLine, 'a closing double quote for the field opened here');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        // Text between a closing quote and the next separator is kept, as most readers do.
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        value = text.slice(start, i);
      }
      values.push(value);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    yield { line: startLine, values };
  }
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
