import { sharePercent } from '../../../src/compliance/evidence-text.ts';

/* Number, time and text formatting shared by the CSV and PDF builders. */

const HOUR_MS = 3_600_000;

export function hours3(ms: number): string {
  return (ms / HOUR_MS).toFixed(3);
}

/** A share as a decimal fraction for machines (0.995 = 99.5%); empty when there is no figure. */
export function shareDecimal(share: number | null): string {
  return share === null ? '' : share.toFixed(6);
}

/**
 * A share as a percentage for people, rounded down so evidence never overstates (99.996% shows as
 * 99.99%). The same function prints a rule's availability, so table and rule read the same.
 */
export const percentText = sharePercent;

/** UTC ISO form, so every time in a CSV has one shape whatever zone the hub handed in. */
export function isoUtc(iso: string): string {
  return new Date(iso).toISOString();
}

const londonFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

/** "2025-03-30 02:00 BST": councils read UK civil time, and the zone name removes any doubt. */
export function londonTime(isoOrMs: string | number): string {
  const parts = Object.fromEntries(
    londonFormat.formatToParts(new Date(isoOrMs)).map((p) => [p.type, p.value] as const),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

export function londonDate(isoOrMs: string | number): string {
  return londonTime(isoOrMs).slice(0, 10);
}

// Characters in the WinAnsi encoding above Latin-1's printable ASCII: what PDF's built-in Helvetica
// can show. Anything else would come out as stray glyphs, so it is folded or replaced.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const FOLD: Record<string, string> = { '≥': '>=', '≤': '<=', '→': '->', '−': '-', Ł: 'L', ł: 'l', '≈': '~' };

function winAnsi(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(ch);
}

/**
 * One line of text the built-in fonts can draw. Names come from site agents, so line breaks and
 * tabs become spaces and characters outside WinAnsi lose their accents ("ż" -> "z") or become "?".
 */
export function pdfText(text: string, maxChars = 500): string {
  let out = '';
  for (const ch of text.replace(/[\r\n\t\f\v]+/g, ' ')) {
    if (winAnsi(ch)) out += ch;
    else if (FOLD[ch] !== undefined) out += FOLD[ch];
    else {
      const base = ch.normalize('NFD').replace(/\p{M}+/gu, '');
      out += base.length > 0 && [...base].every(winAnsi) ? base : '?';
    }
  }
  if (out.length <= maxChars) return out;
  // Cut at a word's end where there is one in the last fifth, so evidence never ends mid-word.
  const cut = out.slice(0, maxChars - 1);
  if (out[maxChars - 1] === ' ') return `${cut}…`;
  const space = cut.lastIndexOf(' ');
  return `${space >= maxChars * 0.8 ? cut.slice(0, space) : cut}…`;
}
