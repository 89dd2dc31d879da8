// Minimal SOAP 1.2 handling for the simulator. Incoming messages are small and fixed in shape, so a few
// anchored regular expressions are enough, and they are safe by construction: no DTD is processed, no
// entity other than the five predefined ones and numeric references is expanded (no XXE), and
// documents that declare a DOCTYPE are refused outright.

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
} as const;

export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export class SoapParseError extends Error {
  readonly code = 'SIM_BAD_SOAP';
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
const XML_UNESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch] ?? ch);
}

export function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (_all, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return XML_UNESCAPES[ref] ?? '';
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Inner XML of the first element with this local name (any prefix); '' when self-closing. */
export function elementInner(xml: string, localName: string): string | undefined {
  const name = escapeRegExp(localName);
  const re = new RegExp(
    `<(?:[\\w.-]+:)?${name}(?=[\\s/>])[^>]*?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}\\s*>)`,
  );
  const m = re.exec(xml);
  if (!m) return undefined;
  return m[1] ?? '';
}

/** Text content of a leaf element, entity references decoded. */
export function childText(xml: string, localName: string): string | undefined {
  const inner = elementInner(xml, localName);
  return inner === undefined ? undefined : xmlUnescape(inner.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1'));
}

export interface SoapRequest {
  /** Local name of the first element in the Body, e.g. 'GetProfiles'. */
  method: string;
  header: string;
  body: string;
}

export function parseSoapRequest(xml: string): SoapRequest {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SoapParseError('DTDs are not allowed in SOAP messages');
  if (elementInner(xml, 'Envelope') === undefined) throw new SoapParseError('no SOAP Envelope element');
  const body = elementInner(xml, 'Body');
  if (body === undefined) throw new SoapParseError('no SOAP Body element');
  const first = /^\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(body);
  if (!first?.[1]) throw new SoapParseError('empty SOAP Body');
  return { method: first[1], header: elementInner(xml, 'Header') ?? '', body };
}

export function soapEnvelope(bodyXml: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.s}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tt="${NS.tt}" xmlns:ter="${NS.ter}">` +
    `<s:Body>${bodyXml}</s:Body></s:Envelope>`
  );
}

/**
 * ONVIF Core 5.11.2 fault shape: env:Code/Value Sender|Receiver, Subcode ter:*, optional nested
 * subcode, and a human-readable Reason.
 */
export function soapFault(
  code: 'Sender' | 'Receiver',
  subcode: string,
  reason: string,
  detailSubcode?: string,
): string {
  const inner = detailSubcode ? `<s:Subcode><s:Value>${detailSubcode}</s:Value></s:Subcode>` : '';
  return soapEnvelope(
    `<s:Fault><s:Code><s:Value>s:${code}</s:Value><s:Subcode><s:Value>${subcode}</s:Value>${inner}</s:Subcode></s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${xmlEscape(reason)}</s:Text></s:Reason></s:Fault>`,
  );
}
