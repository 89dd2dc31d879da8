import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { Id, IsoTime, Nullable } from '../../../src/schemas/common.ts';
import { cleanTextBySchema } from '../../../src/text/clean-by-schema.ts';
import { cleanSiteText } from '../../../src/text/site-text.ts';

const ESC = '\u001b';

describe('cleanSiteText', () => {
  it.each([
    // Each class of character.
    ['plain text stays as it is', 'Fore Street (north) – 1080p ✓', 'Fore Street (north) – 1080p ✓'],
    ['NUL', 'cam\u0000era', 'camera'],
    ['other C0 controls (BEL, backspace, SUB)', 'a\u0007b\u0008c\u001ad', 'abcd'],
    ['line breaks and tabs become spaces', 'line 1\r\nline 2\tend', 'line 1  line 2 end'],
    ['Unicode line and paragraph separators become spaces', 'a\u2028b\u2029c', 'a b c'],
    ['DEL', 'ab\u007fc', 'abc'],
    ['C1 controls (NEL becomes a space)', 'a\u0080b\u0085c\u0099d', 'ab cd'],
    ['LRE, RLE, PDF, LRO, RLO', 'a\u202ab\u202bc\u202cd\u202de\u202ef', 'abcdef'],
    ['LRI, RLI, FSI, PDI', 'a\u2066b\u2067c\u2068d\u2069e', 'abcde'],
    ['LRM, RLM and the Arabic letter mark', 'a\u200eb\u200fc\u061cd', 'abcd'],
    ['right-to-left text itself is kept', 'كاميرا 1', 'كاميرا 1'],
    // Terminal escape sequences.
    ['a CSI colour sequence', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['an 8-bit CSI', '\u009b2Jcleared', 'cleared'],
    ['a CSI with intermediate bytes', `a${ESC}[1 qb`, 'ab'],
    ['a truncated CSI at the end', `name${ESC}[12;`, 'name'],
    ['an OSC window title ended by BEL', `${ESC}]0;owned\u0007cam`, 'cam'],
    [
      'an OSC 8 hyperlink ended by ST',
      `${ESC}]8;;http://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`,
      'click',
    ],
    ['an 8-bit OSC ended by the 8-bit ST', '\u009d0;title\u009ccam', 'cam'],
    ['an unterminated DCS hides the rest', `cam${ESC}Pq#0;2;0;0;0`, 'cam'],
    ['a terminal reset (ESC c)', `${ESC}cafter`, 'after'],
    ['a character set switch (ESC ( B)', `${ESC}(Bafter`, 'after'],
    ['a lone ESC', `a${ESC}`, 'a'],
    // Attacks as a site would send them.
    ['a camera name with RLO that makes an .exe read as .mp4', 'evidence-\u202e4pm.exe', 'evidence-4pm.exe'],
    ['a name reversed for the reader with RLO ... PDF', 'Gate \u202enepo\u202c camera', 'Gate nepo camera'],
    [
      'an ANSI sequence that clears the terminal and homes the cursor',
      `Fore St${ESC}[2J${ESC}[3J${ESC}[H${ESC}[8mhidden`,
      'Fore Sthidden',
    ],
    ['a NUL to cut a string short in C code', 'Bude 01\u0000; DROP', 'Bude 01; DROP'],
    ['a fake log line', 'ok\n{"level":50,"msg":"site revoked"}', 'ok {"level":50,"msg":"site revoked"}'],
  ])('%s', (_name, input, expected) => {
    const cleaned = cleanSiteText(input);
    expect(cleaned).toBe(expected);
    expect(cleaned.length).toBeLessThanOrEqual(input.length);
  });

  it('returns the very same string when nothing needs cleaning', () => {
    const text = 'Camera 01, Fore Street';
    expect(cleanSiteText(text)).toBe(text);
  });

  it('leaves nothing of any class in a long mixed string', () => {
    const codes = [
      ...Array.from({ length: 0x20 }, (_, i) => i),
      ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
    ];
    const all = codes
      .map((code) => String.fromCharCode(code))
      .concat(['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e'])
      .concat(['\u2066', '\u2067', '\u2068', '\u2069'])
      .join('x');
    const left = [...cleanSiteText(all)].filter((c) => c !== 'x' && c !== ' ');
    expect(left).toEqual([]);
  });
});

describe('cleanTextBySchema', () => {
  const Schema = Type.Object({
    id: Id,
    at: IsoTime,
    kind: Type.Union([Type.Literal('a\u0007'), Type.Literal('b')]),
    name: Type.String({ maxLength: 20 }),
    note: Type.Optional(Nullable(Type.String())),
    nested: Nullable(Type.Object({ detail: Type.String() })),
    list: Type.Array(Type.Object({ message: Type.String() })),
  });

  it('cleans free text at every depth and leaves pinned strings and the input alone', () => {
    const input = {
      id: 'site-a',
      at: '2026-03-29T00:59:59.500Z',
      kind: 'a\u0007',
      name: 'cam\u202e01',
      note: `x${ESC}[2Jy`,
      nested: { detail: 'd\u0000' },
      list: [{ message: 'ok' }, { message: 'bad\u0085line' }],
    };
    const snapshot = structuredClone(input);
    const cleaned = cleanTextBySchema(Schema, input);
    expect(cleaned).toEqual({
      ...input,
      name: 'cam01',
      note: 'xy',
      nested: { detail: 'd' },
      list: [{ message: 'ok' }, { message: 'bad line' }],
    });
    // An enumeration is the schema's own text: not free text.
    expect(cleaned.kind).toBe('a\u0007');
    expect(input).toEqual(snapshot);
    expect(cleaned.list[0]).toBe(input.list[0]);
  });

  it('returns the same object when everything is clean', () => {
    const value = { id: 'a', at: '2026-03-29T00:59:59Z', kind: 'b', name: 'n', nested: null, list: [] };
    expect(cleanTextBySchema(Schema, value)).toBe(value);
  });
});
