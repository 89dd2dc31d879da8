import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvCell, csvCell, csvDocument, num } from '../../../hub-server/src/reports/csv-writer.ts';

describe('csvCell', () => {
  it.each<[string, CsvCell, string]>([
    ['plain text as is', 'Market Square', 'Market Square'],
    ['null as an empty field', null, ''],
    ['empty string as an empty field', '', ''],
    ['a comma quoted', 'a,b', '"a,b"'],
    ['quotes doubled inside quotes', 'say "hi"', '"say ""hi"""'],
    ['a line feed quoted', 'a\nb', '"a\nb"'],
    ['a CRLF quoted', 'a\r\nb', '"a\r\nb"'],
    ['leading = guarded and quoted', '=1+1', `"'=1+1"`],
    ['leading + guarded', '+44 1234', `"'+44 1234"`],
    ['leading - guarded in text', '-cmd', `"'-cmd"`],
    ['leading @ guarded', '@SUM(A1)', `"'@SUM(A1)"`],
    ['leading tab guarded', '\tx', `"'\tx"`],
    ['leading CR guarded', '\rx', `"'\rx"`],
    ['leading spaces before = guarded (importers may trim them)', '  =1+1', `"  '=1+1"`],
    ['guard then quote', '=HYPERLINK("u","a, b")', `"'=HYPERLINK(""u"",""a, b"")"`],
    // A spreadsheet may split on a separator other than the comma: every cell it would see is guarded.
    ['= after a comma', 'a,=1+1', `"a,'=1+1"`],
    ['= after a semicolon', 'a;=1+1', `"a;'=1+1"`],
    ['= after a tab', 'a\t=1+1', `"a\t'=1+1"`],
    ['= after a pipe', 'a|=1+1', `"a|'=1+1"`],
    ['= after a line feed', 'a\n=1+1', `"a\n'=1+1"`],
    ['= after a CR', 'a\r=1+1', `"a\r'=1+1"`],
    ['+ after a semicolon', 'a;+1+cmd', `"a;'+1+cmd"`],
    ['- after a pipe', 'a|-2+3+cmd', `"a|'-2+3+cmd"`],
    ['@ after a tab', 'a\t@SUM(1)', `"a\t'@SUM(1)"`],
    ['tab after a semicolon', 'a;\t=1', `"a;'\t'=1"`],
    ['CR after a comma', 'a,\r=1', `"a,'\r'=1"`],
    ['spaces between the separator and the trigger', 'a;  =1+1', `"a;  '=1+1"`],
    ['every cell of a multi-separator payload', '=a;-b|@c', `"'=a;'-b|'@c"`],
    ['a separator with no trigger after it only quoted', 'a;b|c', '"a;b|c"'],
    ['a pipe alone quoted', 'a|b', '"a|b"'],
    ['a tab alone quoted', 'a\tb', '"a\tb"'],
    ['= later in the text left alone', 'a=b', 'a=b'],
    ['- inside a word or date left alone', 'bude-01 2025-03-01', 'bude-01 2025-03-01'],
    ['a negative number we formatted is not guarded', num('-1.250'), '-1.250'],
    ['an empty number as an empty field', num(''), ''],
    ['text passed off as a number is guarded as text', num('=1+1'), `"'=1+1"`],
    ['a number with a separator in it is guarded as text', num('1;=2'), `"1;'=2"`],
  ])('%s', (_label, cell, expected) => {
    expect(csvCell(cell)).toBe(expected);
  });
});

describe('csvDocument', () => {
  it('writes a BOM, a header and CRLF after every record, the last included', () => {
    const text = csvDocument(['a', 'b'], [['1', num('2')]]).toString('utf8');
    expect(text).toBe('\uFEFFa,b\r\n1,2\r\n');
  });
});

describe('csvCell under any separator a spreadsheet picks', () => {
  const TRIGGER_START = /^[=+\-@\t\r]/;
  // What an importer that ignores quotes sees: the line split on its separator, each field with a
  // surrounding quote and leading spaces stripped (some importers trim them).
  const naiveFields = (line: string, separator: string) =>
    line
      .split(/\r\n|\r|\n/)
      .flatMap((l) => l.split(separator))
      .map((f) => f.replace(/^"/, '').replace(/^ +/, ''));

  it.each([',', ';', '\t', '|'])('no field split on %j starts a formula', (separator) => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', ',', ';', '|', ' ', '"', "'", 'a', '1'),
          {
            maxLength: 12,
          },
        ),
        (chars) => {
          const cell = csvCell(chars.join(''));
          for (const field of naiveFields(cell, separator)) expect(field).not.toMatch(TRIGGER_START);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([',', ';', '\t', '|'])('an importer honouring quotes and %j keeps the cell whole', (separator) => {
    const hostile = '=a;-b|@c,+d\t=e';
    const text = csvDocument(['name'], [[hostile]]).toString('utf8');
    const rows = parse(text, { bom: true, delimiter: separator, relax_quotes: true }) as string[][];
    expect(rows[1]).toEqual(["'=a;'-b|'@c,'+d\t'=e"]);
  });
});
