// Tiny, namespace-prefix-agnostic readers for the few fixed SOAP shapes the agent parses itself
// (GetSystemDateAndTime, SOAP faults). Cameras disagree on prefixes (`tds:` where `tt:` is expected, or
// none), so elements are matched by local name only. A full XML parser would add a dependency for
// a handful of leaf values; anything richer goes through node-onvif's xml2js.

const NAME = '(?:[A-Za-z_][\\w.-]*:)?';

function escapeName(localName: string): string {
  return localName.replace(/[^\w-]/g, '');
}

/** Inner XML of the first element with this local name, or undefined. */
export function elementInner(xml: string, localName: string): string | undefined {
  const name = escapeName(localName);
  const re = new RegExp(`<(${NAME}${name})(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</\\1\\s*>)`);
  const match = re.exec(xml);
  if (!match) return undefined;
  return match[2] ?? '';
}

/** Trimmed text of the first element with this local name (entities for &, <, > decoded). */
export function elementText(xml: string, localName: string): string | undefined {
  const inner = elementInner(xml, localName);
  if (inner === undefined) return undefined;
  return decodeEntities(inner.replace(/<[^>]*>/g, '')).trim();
}

export function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface SoapFault {
  code: string;
  subcode: string;
  reason: string;
}

/** SOAP 1.2 fault (also tolerates SOAP 1.1 `faultcode`/`faultstring`), or undefined if there is none. */
export function parseSoapFault(xml: string): SoapFault | undefined {
  const fault = elementInner(xml, 'Fault');
  if (fault === undefined) return undefined;
  const codeEl = elementInner(fault, 'Code');
  const subcodeEl = codeEl === undefined ? undefined : elementInner(codeEl, 'Subcode');
  const code =
    codeEl === undefined ? (elementText(fault, 'faultcode') ?? '') : (elementText(codeEl, 'Value') ?? '');
  const subcode = subcodeEl === undefined ? '' : (elementText(subcodeEl, 'Value') ?? '');
  const reasonEl = elementInner(fault, 'Reason');
  const reason =
    reasonEl === undefined
      ? (elementText(fault, 'faultstring') ?? '')
      : (elementText(reasonEl, 'Text') ?? '');
  return { code, subcode, reason };
}

/** ONVIF Core 5.11.2.2: authentication failures are `ter:NotAuthorized`; some devices only say so in text. */
export function isAuthFault(fault: SoapFault): boolean {
  return /NotAuthori[sz]ed|not\s+authori[sz]ed|unauthori[sz]ed|FailedAuthentication|InvalidSecurity/i.test(
    `${fault.subcode} ${fault.code} ${fault.reason}`,
  );
}
