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
const TRIGGER = /[=+\-@\t\r]/;
// Characters a spreadsheet may split a line on, whatever this file uses: the separator it guesses or
// is told (comma, semicolon, tab, pipe), and line breaks for importers that ignore quotes. Text after
// one is the start of a cell there, so a trigger after one (spaces between, which importers may trim)
// is guarded as a trigger at the start is.
const SEPARATOR = /[,;|\t\r\n]/;
const GUARD_NEEDED = /(?:^|[,;|\t\r\n]) *[=+\-@\t\r]/;
// Quoted so that an importer honouring quotes keeps the cell whole whichever separator it picks.
const NEEDS_QUOTES = /[",;|\t\r\n]/;
const PLAIN_NUMBER = /^(-?\d+(\.\d+)?)?$/;
const CRLF = '\r\n';
// Without a byte order mark Excel reads UTF-8 as the local code page and garbles "£" or accents.
const UTF8_BOM = '\uFEFF';

/** A single quote before every trigger that starts a cell under some separator ("=a;-b" -> "'=a;'-b"). */
function guardFormulas(text: string): string {
  let out = '';
  let cellStart = true;
  for (const ch of text) {
    if (cellStart && TRIGGER.test(ch)) out += "'";
    out += ch;
    if (SEPARATOR.test(ch)) cellStart = true;
    else if (ch !== ' ') cellStart = false;
  }
  return out;
}

export function csvCell(cell: CsvCell): string {
  if (cell === null) return '';
  // Only a plain decimal is written bare; anything else handed in as a number is guarded as text.
  if (typeof cell !== 'string')
    return PLAIN_NUMBER.test(cell.csvNumber) ? cell.csvNumber : csvCell(cell.csvNumber);
  const guarded = GUARD_NEEDED.test(cell);
  const text = guarded ? guardFormulas(cell) : cell;
  // RFC 4180 2.6-2.7: fields with quotes, separators or line breaks are quoted, inner quotes doubled.
  // A guarded cell is quoted too, so its leading quote is read as text by every importer.
  return guarded || NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvDocument(header: readonly string[], rows: readonly (readonly CsvCell[])[]): Buffer {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  // RFC 4180 2.1-2.2: every record, the last included, ends with CRLF.
  return Buffer.from(UTF8_BOM + lines.map((l) => l + CRLF).join(''), 'utf8');
}
