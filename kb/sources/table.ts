import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * A source file that is missing or not in the format its upstream publishes. The message names
 * the file, the line (1-based; 0 when the file itself is missing) and what was expected, so a
 * user who downloaded a different release sees exactly what to fix.
 */
export class SourceFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly expected: string,
    readonly found?: string,
  ) {
    const where = line > 0 ? `${file}:${line}` : file;
    super(`${where}: expected ${expected}${found !== undefined ? `, found ${JSON.stringify(found.slice(0, 200))}` : ''}`);
    this.name = 'SourceFormatError';
  }
}

/** Reads a whole source file as UTF-8 text, gunzipping `.gz` files. */
export function readSourceText(file: string, encoding: BufferEncoding = 'utf8'): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SourceFormatError(file, 0, code === 'ENOENT' ? 'the file to exist (check KEDREC_DATA_DIR)' : 'a readable file', code);
  }
  if (file.endsWith('.gz')) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch {
      throw new SourceFormatError(file, 0, 'a gzip-compressed file');
    }
  }
  return buf.toString(encoding);
}

export interface Row {
  /** 1-based line number in the file, for error messages. */
  line: number;
  /** Values by column name. */
  get(column: string): string;
  /** Values in column order. */
  values: string[];
}

export interface TsvOptions {
  /** Columns that must appear in the header, in any order. */
  required?: string[];
  /** The file has no header line; columns are then named by `columns`. */
  columns?: string[];
  /** Strip one pair of surrounding double quotes from each value (DrugCentral exports). */
  unquote?: boolean;
  /** Minimum number of fields each data row must have (default: the header's width). */
  minFields?: number;
  /**
   * Values may be wrapped in double quotes that contain delimiters, newlines and doubled quotes
   * (pandas / RFC 4180 style, as drugbank.tsv and the HINT CSVs are written).
   */
  quoted?: boolean;
  /** Field delimiter (default tab). */
  delimiter?: string;
  /** Text encoding (default UTF-8; the CMS ICD-9 descriptions are Latin-1). */
  encoding?: BufferEncoding;
}

/**
 * Splits delimited text (RFC 4180, as pandas writes it) into records; the one parser behind
 * readTsv's `quoted` mode and readCsv. A field that opens with a double quote may hold the
 * delimiter, newlines and doubled quotes, so the text is read character by character rather
 * than split on lines (HINT's eligibility criteria span many lines); text between a closing
 * quote and the next delimiter is kept, as most readers do. Outside quotes LF, CRLF and a lone
 * CR end a record, as Python's csv module reads them. A blank line comes out as one empty
 * value (`isBlankRecord`) and the caller decides: readTsv skips it, readCsv fails on a blank
 * header line. Yields each record with the 1-based line it starts on; a quote left open at
 * the end of the text fails with a SourceFormatError at that line. `delimiter` is one character.
 */
export function* parseQuotedRecords(text: string, delimiter: string, file: string): Generator<{ line: number; values: string[] }> {
  let line = 1;
  let i = 0;
  const n = text.length;
  const endsField = (c: string) => c === delimiter || c === '\n' || c === '\r';
  while (i < n) {
    const startLine = line;
    const values: string[] = [];
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new SourceFormatError(file, startLine, 'a closing double quote for a quoted field');
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
        while (i < n && !endsField(text[i])) value += text[i++];
      } else {
        const start = i;
        while (i < n && !endsField(text[i])) i++;
        value = text.slice(start, i);
      }
      values.push(value);
      if (i < n && text[i] === delimiter) {
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

/** True for the record a blank line parses to (one empty value). */
export function isBlankRecord(values: string[]): boolean {
  return values.length === 1 && values[0] === '';
}

/** Fails at line 1 unless `header` has every `required` column; `found` is the header line as written. */
export function requireColumns(file: string, header: string[], required: string[] | undefined, found: string): void {
  const wanted = required ?? [];
  const missing = wanted.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new SourceFormatError(file, 1, `header columns ${wanted.join(', ')} (missing ${missing.join(', ')})`, found);
  }
}

/** A Row over `values` whose `get` looks columns up in `index` and names file and line for an unknown one. */
export function makeRow(file: string, line: number, values: string[], index: ReadonlyMap<string, number>): Row {
  return {
    line,
    values,
    get(column: string) {
      const at = index.get(column);
      if (at === undefined) throw new SourceFormatError(file, line, `a column named ${column}`);
      return values[at] ?? '';
    },
  };
}

/**
 * Iterates the rows of a tab-separated file. Checks the header against `required` and every
 * row's width, failing with a SourceFormatError that names file, line and expectation.
 */
export function* readTsv(file: string, opts: TsvOptions = {}): Generator<Row> {
  const text = readSourceText(file, opts.encoding);
  if (opts.quoted) {
    yield* readQuoted(file, text, opts);
    return;
  }
  const lines = text.split('\n');
  let header: string[];
  let first = 0;
  const clean = (v: string) => {
    let s = v.endsWith('\r') ? v.slice(0, -1) : v;
    if (opts.unquote && s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
    return s;
  };
  if (opts.columns) {
    header = opts.columns;
  } else {
    if (lines.length === 0 || lines[0].trim() === '') throw new SourceFormatError(file, 1, 'a header line');
    header = lines[0].split('\t').map(clean);
    first = 1;
    requireColumns(file, header, opts.required, lines[0]);
  }
  const index = new Map(header.map((h, i) => [h, i]));
  const minFields = opts.minFields ?? header.length;
  for (let i = first; i < lines.length; i++) {
    const raw = lines[i];
    if (raw === '' || raw === '\r') continue;
    const values = raw.split('\t').map(clean);
    if (values.length < minFields) {
      throw new SourceFormatError(file, i + 1, `${minFields} tab-separated fields (${header.join(', ')})`, raw);
    }
    yield makeRow(file, i + 1, values, index);
  }
}

/** Reads and parses a JSON source file, failing with the file name on bad JSON. */
export function readJsonSource<T>(file: string): T {
  const text = readSourceText(file);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new SourceFormatError(file, 1, 'valid JSON', (err as Error).message);
  }
}

/** Path of a file inside the data directory. */
export function dataFile(dataDir: string, ...parts: string[]): string {
  return path.join(dataDir, ...parts);
}

function* readQuoted(file: string, text: string, opts: TsvOptions): Generator<Row> {
  const delimiter = opts.delimiter ?? '\t';
  const records = nonBlank(parseQuotedRecords(text, delimiter, file));
  let header = opts.columns;
  if (!header) {
    const first = records.next();
    if (first.done) throw new SourceFormatError(file, 1, 'a header line');
    header = first.value.values;
    requireColumns(file, header, opts.required, header.join(delimiter));
  }
  const index = new Map(header.map((h, i) => [h, i]));
  const minFields = opts.minFields ?? header.length;
  for (const { line, values } of records) {
    if (values.length < minFields) {
      throw new SourceFormatError(file, line, `${minFields} fields (${header.join(', ')})`, values.join(delimiter));
    }
    yield makeRow(file, line, values, index);
  }
}

function* nonBlank<R extends { values: string[] }>(records: Iterable<R>): Generator<R> {
  for (const r of records) if (!isBlankRecord(r.values)) yield r;
}
