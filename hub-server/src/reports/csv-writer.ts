/*
 * RFC 4180 CSV, written here rather than with a library: quoting is a dozen lines, and the formula
 * guard below has to know which cells are free text (guarded) and which are numbers we formatted
 * (a negative clock offset must stay a number), which a generic stringifier cannot tell.
 */

/** A number already formatted by us; written as is, never formula-guarded. */
export interface CsvNumber {
  readonly csvNumber: string;
}

export type CsvCell = string | CsvNumber | null;

export function num(formatted: string): CsvNumber {
  return { csvNumber: formatted };
}

// Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection"); camera
// and site names come from site agents, so they are untrusted.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const CRLF = '\r\n';
// Without a byte order mark Excel reads UTF-8 as the local code page and garbles "£" or accents.
const UTF8_BOM = '\uFEFF';

export function csvCell(cell: CsvCell): string {
  if (cell === null) return '';
  if (typeof cell !== 'string') return cell.csvNumber;
  const guarded = FORMULA_START.test(cell) ? `'${cell}` : cell;
  // RFC 4180 2.6-2.7: fields with quotes, commas or line breaks are quoted, inner quotes doubled.
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export function csvDocument(header: readonly string[], rows: readonly (readonly CsvCell[])[]): Buffer {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  // RFC 4180 2.1-2.2: every record, the last included, ends with CRLF.
  return Buffer.from(UTF8_BOM + lines.map((l) => l + CRLF).join(''), 'utf8');
}
