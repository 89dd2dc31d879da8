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
    ['leading = guarded', '=1+1', "'=1+1"],
    ['leading + guarded', '+44 1234', "'+44 1234"],
    ['leading - guarded in text', '-cmd', "'-cmd"],
    ['leading @ guarded', '@SUM(A1)', "'@SUM(A1)"],
    ['leading tab guarded', '\tx', "'\tx"],
    ['leading CR guarded and quoted', '\rx', `"'\rx"`],
    ['guard then quote', '=HYPERLINK("u","a, b")', `"'=HYPERLINK(""u"",""a, b"")"`],
    ['= later in the text left alone', 'a=b', 'a=b'],
    ['a negative number we formatted is not guarded', num('-1.250'), '-1.250'],
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
