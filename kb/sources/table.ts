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
 * Splits RFC 4180-style delimited text into records, honouring quoted fields that span lines.
 * Yields each record with the 1-based line on which it starts.
 */
export function* parseQuotedRecords(text: string, delimiter: string, file: string): Generator<{ line: number; values: string[] }> {
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const values: string[] = [];
    let field = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i < n && text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new SourceFormatError(file, startLine, 'a closing double quote for a quoted field');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
      }
      while (i < n && text[i] !== delimiter && text[i] !== '\n') field += text[i++];
      values.push(field.endsWith('\r') ? field.slice(0, -1) : field);
      field = '';
      if (i >= n) endOfRecord = true;
      else if (text[i] === delimiter) i++;
      else {
        i++;
        line++;
        endOfRecord = true;
      }
    }
    if (values.length === 1 && values[0] === '') continue;
    yield { line: startLine, values };
  }
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
    const missing = (opts.required ?? []).filter((c) => !header.includes(c));
    if (missing.length > 0) {
      throw new SourceFormatError(file, 1, `header columns ${opts.required!.join(', ')} (missing ${missing.join(', ')})`, lines[0]);
    }
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
    const line = i + 1;
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

/** Fails unless `value` matches `pattern`, naming the file, line and the expected shape. */
export function expectMatch(value: string, pattern: RegExp, file: string, line: number, what: string): string {
  if (!pattern.test(value)) throw new SourceFormatError(file, line, what, value);
  return value;
}

function* readQuoted(file: string, text: string, opts: TsvOptions): Generator<Row> {
  const records = parseQuotedRecords(text, opts.delimiter ?? '\t', file);
  let header = opts.columns;
  if (!header) {
    const first = records.next();
    if (first.done) throw new SourceFormatError(file, 1, 'a header line');
    header = first.value.values;
    const missing = (opts.required ?? []).filter((c) => !header!.includes(c));
    if (missing.length > 0) {
      throw new SourceFormatError(file, 1, `header columns ${opts.required!.join(', ')} (missing ${missing.join(', ')})`, header.join(opts.delimiter ?? '\t'));
    }
  }
  const index = new Map(header.map((h, i) => [h, i]));
  const minFields = opts.minFields ?? header.length;
  for (const { line, values } of records) {
    if (values.length < minFields) {
      throw new SourceFormatError(file, line, `${minFields} fields (${header.join(', ')})`, values.join(opts.delimiter ?? '\t'));
    }
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
