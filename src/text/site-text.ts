/**
 * Text from sites is data (DESIGN, Trust model): a camera name, a reason message or a device string
 * reaches the dashboard, reports, CSV exports and operators' terminals, so nothing in it may act as
 * control. Cleaning only ever removes characters or swaps one for a space, so a string never grows
 * and a schema's maxLength still holds afterwards.
 */

/*
 * Terminal control strings (ECMA-48 8.3.89 and friends): OSC `ESC ]`, DCS `ESC P`, SOS `ESC X`,
 * PM `ESC ^`, APC `ESC _` and their 8-bit introducers (U+0090, U+0098, U+009D-U+009F), up to the
 * terminator (BEL, `ESC \` or ST U+009C). An unterminated one is removed to the end: a terminal
 * would swallow that text too (an OSC 8 hyperlink or a window title hides it from the reader).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control sequences are what this removes.
const CONTROL_STRING = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)/g;

/*
 * CSI (ECMA-48 5.4): `ESC [` or the 8-bit U+009B, parameter bytes 0x30-0x3F, intermediate bytes
 * 0x20-0x2F, one final byte 0x40-0x7E (`ESC [2J` clears the screen, `ESC [8m` hides text).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control sequences are what this removes.
const CSI = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;

/** Any other escape sequence: ESC, intermediates 0x20-0x2F, a final byte 0x30-0x7E (`ESC c` resets a terminal). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control sequences are what this removes.
const OTHER_ESCAPE = /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;

/** Line and tab breaks become a space: words stay apart, and no text can start a fake log or CSV line. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;

/*
 * Removed: the rest of C0, DEL and C1; the bidirectional embeddings and overrides U+202A-U+202E
 * and isolates U+2066-U+2069 (an RLO makes `cam-exe.mp4` read as something else, Trojan Source);
 * the direction marks U+200E, U+200F and U+061C.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for.
const ANY_SUSPECT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** A site's string as plain text: no control, escape or bidirectional formatting characters. */
export function cleanSiteText(text: string): string {
  // Nearly every string is clean: one scan, and the same string back.
  if (!ANY_SUSPECT.test(text)) return text;
  return text
    .replace(CONTROL_STRING, '')
    .replace(CSI, '')
    .replace(OTHER_ESCAPE, '')
    .replace(BREAKS, ' ')
    .replace(INVISIBLE, '');
}
