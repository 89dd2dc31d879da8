import { describe, expect, it } from 'vitest';
import { dedupeDevices } from '../../../../edge-agent/src/discovery/probe-client.ts';
import {
  buildProbe,
  parseProbeMatches,
  scopeValue,
} from '../../../../edge-agent/src/discovery/ws-discovery.ts';

// ProbeMatches as devices send them: prefixes vary by vendor (d:, wsdd:, dis:, none), several XAddrs
// (IPv4 and IPv6 link-local) in one element, scopes percent-encoded.

const MATCH_ACTION = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches';

// Shaped after a recorder's answer: SOAP-ENV/wsa5/wsdd prefixes, attributes on elements, two addresses.
const ODD_PREFIXES = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsdd="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:tdn="http://www.onvif.org/ver10/network/wsdl">
 <SOAP-ENV:Header>
  <wsa5:MessageID>uuid:9f1c2f3e-0000-4000-8000-00408cabcdef</wsa5:MessageID>
  <wsa5:RelatesTo>urn:uuid:probe-42</wsa5:RelatesTo>
  <wsa5:To SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa5:To>
  <wsa5:Action SOAP-ENV:mustUnderstand="true">${MATCH_ACTION}</wsa5:Action>
 </SOAP-ENV:Header>
 <SOAP-ENV:Body>
  <wsdd:ProbeMatches>
   <wsdd:ProbeMatch>
    <wsa5:EndpointReference><wsa5:Address>urn:uuid:4c4c4544-0041-3010-8059-b1c04f4d4e31</wsa5:Address></wsa5:EndpointReference>
    <wsdd:Types>tdn:NetworkVideoTransmitter tds:Device</wsdd:Types>
    <wsdd:Scopes> onvif://www.onvif.org/type/NetworkVideoRecorder onvif://www.onvif.org/name/Harbour%20NVR%20%26%20Quay
      onvif://www.onvif.org/hardware/DS-7608 onvif://www.onvif.org/location/city/Penzance </wsdd:Scopes>
    <wsdd:XAddrs>http://192.168.1.64/onvif/device_service http://[fe80::4e11:bfff:fe12:3456]/onvif/device_service</wsdd:XAddrs>
    <wsdd:MetadataVersion>10</wsdd:MetadataVersion>
   </wsdd:ProbeMatch>
  </wsdd:ProbeMatches>
 </SOAP-ENV:Body>
</SOAP-ENV:Envelope>`;

const NO_PREFIXES = `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header>
<Action xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">${MATCH_ACTION}</Action>
<RelatesTo xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">urn:uuid:probe-7</RelatesTo></Header>
<Body><ProbeMatches xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery">
<ProbeMatch><EndpointReference><Address>urn:uuid:a</Address></EndpointReference><XAddrs>http://10.0.0.2/onvif/device_service</XAddrs></ProbeMatch>
<ProbeMatch><EndpointReference><Address>urn:uuid:b</Address></EndpointReference><XAddrs>https://10.0.0.3/onvif/device_service</XAddrs></ProbeMatch>
</ProbeMatches></Body></Envelope>`;

describe('WS-Discovery Probe', () => {
  it('asks for NetworkVideoTransmitter with its MessageID', () => {
    const xml = buildProbe('urn:uuid:1234');
    expect(xml).toContain('<a:MessageID>urn:uuid:1234</a:MessageID>');
    expect(xml).toContain('ws/2005/04/discovery/Probe</a:Action>');
    expect(xml).toContain('<d:Types>dn:NetworkVideoTransmitter</d:Types>');
    expect(xml).toContain('urn:schemas-xmlsoap-org:ws:2005:04:discovery');
  });
});

describe('WS-Discovery ProbeMatches', () => {
  it('reads a match with odd prefixes and several XAddrs', () => {
    const parsed = parseProbeMatches(ODD_PREFIXES);
    expect(parsed).toEqual({
      relatesTo: 'urn:uuid:probe-42',
      matches: [
        {
          endpoint: 'urn:uuid:4c4c4544-0041-3010-8059-b1c04f4d4e31',
          types: ['tdn:NetworkVideoTransmitter', 'tds:Device'],
          scopes: [
            'onvif://www.onvif.org/type/NetworkVideoRecorder',
            'onvif://www.onvif.org/name/Harbour%20NVR%20%26%20Quay',
            'onvif://www.onvif.org/hardware/DS-7608',
            'onvif://www.onvif.org/location/city/Penzance',
          ],
          xaddrs: [
            'http://192.168.1.64/onvif/device_service',
            'http://[fe80::4e11:bfff:fe12:3456]/onvif/device_service',
          ],
        },
      ],
    });
    const scopes = parsed?.matches[0]?.scopes ?? [];
    expect(scopeValue(scopes, 'name')).toBe('Harbour NVR & Quay');
    expect(scopeValue(scopes, 'hardware')).toBe('DS-7608');
    expect(scopeValue(scopes, 'location')).toBe('city/Penzance');
  });

  it('reads several matches in one message without any prefix', () => {
    const parsed = parseProbeMatches(NO_PREFIXES);
    expect(parsed?.relatesTo).toBe('urn:uuid:probe-7');
    expect(parsed?.matches.map((m) => [m.endpoint, m.xaddrs])).toEqual([
      ['urn:uuid:a', ['http://10.0.0.2/onvif/device_service']],
      ['urn:uuid:b', ['https://10.0.0.3/onvif/device_service']],
    ]);
  });

  it.each([
    ['a probe (our own, looped back)', buildProbe('urn:uuid:1')],
    ['a Hello', ODD_PREFIXES.replace('/ProbeMatches</wsa5:Action>', '/Hello</wsa5:Action>')],
    ['a DOCTYPE', `<!DOCTYPE x>${NO_PREFIXES}`],
    ['not XML', 'garbage'],
  ])('ignores %s', (_name, xml) => {
    expect(parseProbeMatches(xml)).toBeNull();
  });

  it('drops addresses that are not http(s) and matches with nothing to reach', () => {
    const xml = NO_PREFIXES.replace(
      'http://10.0.0.2/onvif/device_service',
      'soap.udp://10.0.0.2:3702',
    ).replace('<Address>urn:uuid:a</Address>', '<Address></Address>');
    expect(parseProbeMatches(xml)?.matches.map((m) => m.endpoint)).toEqual(['urn:uuid:b']);
  });

  it('keeps one device per endpoint, merging the addresses it answered with', () => {
    const d = (endpoint: string, xaddrs: string[]) => ({
      endpoint,
      xaddrs,
      scopes: [],
      types: [],
      from: '10.0.0.9',
    });
    const merged = dedupeDevices([
      d('urn:uuid:a', ['http://10.0.0.2/onvif/device_service']),
      d('urn:uuid:a', ['http://10.0.0.2/onvif/device_service']),
      d('urn:uuid:b', ['http://10.0.0.3/onvif/device_service']),
      d('', ['http://10.0.0.3/onvif/device_service', 'http://10.0.1.3/onvif/device_service']),
    ]);
    expect(merged.map((m) => [m.endpoint, m.xaddrs])).toEqual([
      ['urn:uuid:a', ['http://10.0.0.2/onvif/device_service']],
      ['urn:uuid:b', ['http://10.0.0.3/onvif/device_service', 'http://10.0.1.3/onvif/device_service']],
    ]);
  });
});
