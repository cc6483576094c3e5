import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { HwcError } from '../domain/errors';

/**
 * Reading a CSV export from a school's administration system, as the IT admin drops it in: `;` or
 * `,` between cells (whichever the header line uses), UTF-8 with or without a byte-order mark, or
 * Windows-1252 (what Excel writes for "CSV (puntkomma gescheiden)"), header names in any case.
 *
 * Cells can hold a pupil's name, so no error raised here ever quotes a cell: problems name the
 * file, the line and the column. That is also why the parser's own messages are never passed on
 * (some of them quote the value they stumbled over).
 */

/** An export of a few thousand pupils is well under a megabyte; anything this big is the wrong file. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;

export interface ColumnSpec {
  /** Header names accepted for this column, compared without case, spaces, dashes or underscores. */
  aliases: readonly string[];
}

export interface CsvRow {
  /** 1-based line in the file (the last line, for a record with a line break inside quotes). */
  line: number;
  /** Cell text by column key, trimmed; '' for an empty or missing cell. */
  get(column: string): string;
}

export interface CsvTable {
  file: string;
  /** The column keys the header has. */
  columns: ReadonlySet<string>;
  rows: CsvRow[];
  /** Where a problem is: 'file, line 7, column 3 (geboortedatum)'. */
  where(line: number, column?: string): string;
}

/** The error for a file that cannot be used; its message names the file, line and column only. */
export function csvError(message: string): HwcError {
  return new HwcError('config.invalid', message);
}

function headerKey(header: string): string {
  return header
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[\s_\-.]+/g, '');
}

function decode(bytes: Buffer): string {
  try {
    // Strips a UTF-8 byte-order mark.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** The delimiter the header line uses most: `;` (Dutch Excel), `,` or a tab. */
function detectDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [';', ',', '\t'].map((d) => ({ d, n: unquoted.split(d).length - 1 }));
  counts.sort((a, b) => b.n - a.n);
  return counts[0] && counts[0].n > 0 ? counts[0].d : ',';
}

function parserProblem(code: unknown): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell is not closed';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted cell (quote the whole cell and double the quote)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'text after the closing quote of a cell';
    default:
      return 'not readable as CSV';
  }
}

/**
 * Reads a CSV file with a header line. `columns` maps the keys the caller uses to the header names
 * it accepts; other columns (an export has many) are skipped and never kept.
 */
export function readCsvTable(
  file: string,
  what: string,
  columns: Readonly<Record<string, ColumnSpec>>,
): CsvTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw csvError(`The ${what} ${file} cannot be read (${code}).`);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    throw csvError(
      `The ${what} ${file} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB; is it the right file?`,
    );
  }
  const text = decode(bytes);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      trim: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    const { code, lines } = error as { code?: unknown; lines?: unknown };
    const line = typeof lines === 'number' ? `, line ${lines}` : '';
    throw csvError(`The ${what} ${file}${line}: ${parserProblem(code)}.`);
  }

  const [header, ...body] = records;
  if (!header) throw csvError(`The ${what} ${file} is empty; expected a header line with column names.`);

  const keyByAlias = new Map<string, string>();
  for (const [key, spec] of Object.entries(columns)) {
    for (const alias of spec.aliases) keyByAlias.set(headerKey(alias), key);
  }
  const indexOf = new Map<string, number>();
  header.record.forEach((name, index) => {
    const key = keyByAlias.get(headerKey(name));
    if (key === undefined) return;
    if (indexOf.has(key)) {
      throw csvError(
        `The ${what} ${file}, line ${header.info.lines}: columns ${indexOf.get(key)! + 1} and ${index + 1} are both '${key}'.`,
      );
    }
    indexOf.set(key, index);
  });

  const where = (line: number, column?: string): string => {
    const index = column === undefined ? undefined : indexOf.get(column);
    const col =
      column === undefined
        ? ''
        : index === undefined
          ? `, column ${column}`
          : `, column ${index + 1} (${column})`;
    return `${what} ${file}, line ${line}${col}`;
  };

  const rows: CsvRow[] = body.map(({ record, info }) => {
    if (record.length > header.record.length && record.slice(header.record.length).some((c) => c !== '')) {
      throw csvError(
        `The ${where(info.lines)}: has ${record.length} cells, the header only ${header.record.length} columns.`,
      );
    }
    const cells = new Map<string, string>();
    for (const [key, index] of indexOf) cells.set(key, record[index] ?? '');
    return { line: info.lines, get: (column: string) => cells.get(column) ?? '' };
  });

  return { file, columns: new Set(indexOf.keys()), rows, where };
}
