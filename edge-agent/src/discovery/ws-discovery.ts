import { decodeEntities, elementInner, elementText, escapeXml } from '../onvif/xml.ts';

// WS-Discovery 2005/04 as ONVIF Core 7.3 uses it: a Probe for dn:NetworkVideoTransmitter sent over
// SOAP-over-UDP to 239.255.255.250:3702 (or to one address), answered by one ProbeMatches per device.
// Parsed by local name only: devices disagree on prefixes (d:, wsdd:, dis:, none).

export const WSD_MULTICAST_ADDRESS = '239.255.255.250';
export const WSD_PORT = 3702;
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
export const PROBE_MATCHES_ACTION = `${WSD}/ProbeMatches`;

/** WS-Discovery 2005/04 section 5.2: a Probe to the well-known "To" with the types wanted. */
export function buildProbe(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="${WSA}" xmlns:d="${WSD}" ` +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:Action s:mustUnderstand="1">${WSD}/Probe</a:Action>` +
    `<a:MessageID>${escapeXml(messageId)}</a:MessageID>` +
    '<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>' +
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
  );
}

export interface ProbeMatch {
  /** EndpointReference/Address, usually urn:uuid:... */
  endpoint: string;
  types: string[];
  scopes: string[];
  /** Every address listed, in the device's order. */
  xaddrs: string[];
}

export interface ProbeMatches {
  relatesTo: string;
  matches: ProbeMatch[];
}

const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter(Boolean);

/** A ProbeMatches message, or null for anything else (another action, a probe, not XML). */
export function parseProbeMatches(xml: string): ProbeMatches | null {
  if (/<!DOCTYPE/i.test(xml)) return null;
  const header = elementInner(xml, 'Header');
  const body = elementInner(xml, 'Body');
  if (header === undefined || body === undefined) return null;
  if (elementText(header, 'Action') !== PROBE_MATCHES_ACTION) return null;
  const relatesTo = elementText(header, 'RelatesTo') ?? '';
  const list = elementInner(body, 'ProbeMatches');
  if (list === undefined) return null;
  const matches: ProbeMatch[] = [];
  const each = /<((?:[A-Za-z_][\w.-]*:)?ProbeMatch)(?:\s[^>]*)?>([\s\S]*?)<\/\1\s*>/g;
  for (let m = each.exec(list); m !== null; m = each.exec(list)) {
    const inner = m[2] ?? '';
    const reference = elementInner(inner, 'EndpointReference') ?? '';
    const endpoint = elementText(reference, 'Address') ?? '';
    const xaddrs = words(elementText(inner, 'XAddrs')).filter((a) => /^https?:\/\//i.test(a));
    if (!endpoint && xaddrs.length === 0) continue;
    matches.push({
      endpoint,
      types: words(elementText(inner, 'Types')),
      scopes: words(elementText(inner, 'Scopes')),
      xaddrs,
    });
  }
  return { relatesTo, matches };
}

/** The value of an ONVIF scope (onvif://www.onvif.org/<kind>/<value>), percent-decoded, or null. */
export function scopeValue(
  scopes: readonly string[],
  kind: 'name' | 'hardware' | 'location' | 'type',
): string | null {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const scope = scopes.find((s) => s.toLowerCase().startsWith(prefix));
  if (!scope) return null;
  const raw = scope.slice(prefix.length);
  try {
    return decodeEntities(decodeURIComponent(raw)).trim() || null;
  } catch {
    // A malformed %-escape: keep the text as the device sent it.
    return raw.trim() || null;
  }
}
