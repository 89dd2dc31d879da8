import { describe, expect, it } from 'vitest';
import {
  hours3,
  londonTime,
  pdfText,
  percentText,
  shareDecimal,
} from '../../../hub-server/src/reports/format.ts';

describe('percentText', () => {
  it.each<[number | null, string]>([
    [null, 'n/a'],
    [1, '100.00%'],
    [0.995, '99.50%'],
    // Rounded down: a camera that missed anything never shows a perfect score.
    [0.99996, '99.99%'],
    [0.123456, '12.34%'],
    [0, '0.00%'],
  ])('%s -> %s', (share, expected) => {
    expect(percentText(share)).toBe(expected);
  });
});

describe('machine figures', () => {
  it('writes hours to 3 decimals and shares as 6-decimal fractions', () => {
    expect(hours3(5_400_000)).toBe('1.500');
    expect(hours3(0)).toBe('0.000');
    expect(shareDecimal(0.995)).toBe('0.995000');
    expect(shareDecimal(null)).toBe('');
  });
});

describe('londonTime', () => {
  it.each([
    ['2025-01-15T12:00:00Z', '2025-01-15 12:00 GMT'],
    ['2025-07-01T12:00:00Z', '2025-07-01 13:00 BST'],
    // The instant summer time starts: 01:00 GMT becomes 02:00 BST.
    ['2025-03-30T01:00:00Z', '2025-03-30 02:00 BST'],
    ['2025-03-31T23:00:00Z', '2025-04-01 00:00 BST'],
  ])('%s -> %s', (iso, expected) => {
    expect(londonTime(iso)).toBe(expected);
  });
});

describe('pdfText', () => {
  it.each([
    ['keeps WinAnsi text', 'Café £5 – “ok” ±1 s', 'Café £5 – “ok” ±1 s'],
    ['turns line breaks and tabs into spaces', 'a\r\nb\tc\nd', 'a b c d'],
    ['folds accents outside WinAnsi', 'Łódź Żory', 'Lódz Zory'],
    ['spells out symbols it has no glyph for', '≥ 99.5% → ok', '>= 99.5% -> ok'],
    ['replaces what it cannot fold', 'cam 😀 北', 'cam ? ?'],
    ['replaces control characters', 'a\u0000b', 'a?b'],
  ])('%s', (_label, input, expected) => {
    expect(pdfText(input)).toBe(expected);
  });

  it('bounds the length', () => {
    expect(pdfText('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    // A long text is cut at a word's end, not inside a word.
    expect(pdfText('readings used up to 26 h old', 20)).toBe('readings used up to…');
  });
});
