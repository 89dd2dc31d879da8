import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import {
  endpointUuid,
  parseProbe,
  probeMatchesDevice,
  probeMatchXml,
} from '../../simulators/camera/ws-discovery.ts';
import { nodeOnvif, soapCall, textOf } from './helpers/onvif-client.ts';

// The simulator's WS-Discovery responder (ONVIF Core 7.3, WS-Discovery 2005/04): probes parsed by local
// name whatever the prefixes, one ProbeMatches datagram per device, RelatesTo the probe's MessageID.
// Unicast on loopback here; multicast is exercised inside a network namespace by the agent's discovery test.

const probe = (messageId: string, types: string | null, prefix = 'w') =>
  '<?xml version="1.0" encoding="utf-8"?>' +
  `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:${prefix}="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:nvt="http://www.onvif.org/ver10/network/wsdl">` +
  `<soap:Header><${prefix}:MessageID>${messageId}</${prefix}:MessageID><${prefix}:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</${prefix}:To>` +
  `<${prefix}:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</${prefix}:Action></soap:Header>` +
  `<soap:Body><d:Probe>${types === null ? '' : `<d:Types>${types}</d:Types>`}</d:Probe></soap:Body></soap:Envelope>`;

describe('WS-Discovery messages', () => {
  it('parses a probe whatever its prefixes, with and without Types', () => {
    expect(parseProbe(probe('urn:uuid:1', 'nvt:NetworkVideoTransmitter', 'a'))).toEqual({
      messageId: 'urn:uuid:1',
      types: ['NetworkVideoTransmitter'],
    });
    expect(parseProbe(probe('urn:uuid:2', null))).toEqual({ messageId: 'urn:uuid:2', types: [] });
  });

  it.each([
    ['another action', probe('urn:uuid:1', null).replace('/Probe<', '/Resolve<')],
    ['no MessageID', probe('', null)],
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY a "b">]>${probe('urn:uuid:1', null)}`],
    ['not XML', 'hello'],
  ])('ignores %s', (_name, xml) => {
    expect(parseProbe(xml)).toBeNull();
  });

  it('answers no Types or NetworkVideoTransmitter, not other types', () => {
    expect(probeMatchesDevice({ messageId: 'm', types: [] })).toBe(true);
    expect(probeMatchesDevice({ messageId: 'm', types: ['NetworkVideoTransmitter'] })).toBe(true);
    expect(probeMatchesDevice({ messageId: 'm', types: ['Printer'] })).toBe(false);
  });

  it('builds a ProbeMatch that relates to the probe and escapes its values', () => {
    const xml = probeMatchXml(
      { endpoint: 'urn:uuid:abc', xaddrs: ['http://10.0.0.5/onvif/device_service'], scopes: ['a&b'] },
      'urn:uuid:probe-1',
      'urn:uuid:reply-1',
    );
    expect(xml).toContain('<wsa:RelatesTo>urn:uuid:probe-1</wsa:RelatesTo>');
    expect(xml).toContain('<d:XAddrs>http://10.0.0.5/onvif/device_service</d:XAddrs>');
    expect(xml).toContain('<d:Scopes>a&amp;b</d:Scopes>');
    expect(xml).toContain('ws/2005/04/discovery/ProbeMatches</wsa:Action>');
  });

  it('gives each camera a stable, distinct urn:uuid', () => {
    expect(endpointUuid('cam-1')).toBe(endpointUuid('cam-1'));
    expect(endpointUuid('cam-1')).not.toBe(endpointUuid('cam-2'));
    expect(endpointUuid('cam-1')).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('the fleet answers unicast probes', () => {
  const fleet = new CameraFleetSimulator({
    cacheDir: defaultCacheDir(),
    controlPort: null,
    discovery: { port: 0 },
  });
  const profile = { width: 320, height: 240, fps: 10, bitrateKbps: 300 };

  beforeAll(async () => {
    await fleet.start();
    await fleet.addCamera({ id: 'wsd-a', name: 'Market Square', username: 'admin', password: 'pw', profile });
    await fleet.addCamera({ id: 'wsd-nvr', username: 'admin', password: 'pw', profile, channels: 3 });
    await fleet.addCamera({ id: 'wsd-io', username: 'admin', password: 'pw', profile, mediaService: false });
  }, 120_000);
  afterAll(() => fleet.stop());

  async function send(xml: string, waitMs = 500): Promise<string[]> {
    const socket = createSocket('udp4');
    const replies: string[] = [];
    socket.on('message', (m) => replies.push(m.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.send(xml, fleet.discoveryPort as number, '127.0.0.1');
    await new Promise((r) => setTimeout(r, waitMs));
    socket.close();
    return replies;
  }

  it('sends one ProbeMatches per camera, each relating to the probe', async () => {
    const replies = await send(probe('urn:uuid:fleet-probe', 'dn:NetworkVideoTransmitter'));
    expect(replies).toHaveLength(3);
    for (const r of replies) expect(textOf(r, 'RelatesTo')).toBe('urn:uuid:fleet-probe');
    const byEndpoint = new Map(replies.map((r) => [textOf(r, 'Address'), r]));
    const a = byEndpoint.get(endpointUuid('wsd-a')) as string;
    expect(textOf(a, 'XAddrs')).toBe(fleet.endpoints('wsd-a').onvifUrl);
    expect(textOf(a, 'Scopes')).toContain('onvif://www.onvif.org/name/Market%20Square');
    expect(textOf(byEndpoint.get(endpointUuid('wsd-nvr')) as string, 'Scopes')).toContain(
      'type/NetworkVideoRecorder',
    );
  });

  it('stays silent for other types and for a camera made unreachable', async () => {
    expect(await send(probe('urn:uuid:p2', 'x:Printer'))).toEqual([]);
    await fleet.setFault('wsd-a', { kind: 'unreachable' });
    try {
      expect(await send(probe('urn:uuid:p3', null))).toHaveLength(2);
    } finally {
      await fleet.clearFault('wsd-a');
    }
  });

  it('a recorder lists one profile and video source configuration per channel', async () => {
    const device = new nodeOnvif.OnvifDevice({
      xaddr: fleet.endpoints('wsd-nvr').onvifUrl,
      user: 'admin',
      pass: 'pw',
    });
    await device.init();
    const profiles = device.getProfileList() as unknown as {
      token: string;
      video: { source: { token: string } };
    }[];
    expect(profiles.map((p) => [p.token, p.video.source.token])).toEqual([
      ['profile_main', 'vsc_1'],
      ['profile_ch2', 'vsc_2'],
      ['profile_ch3', 'vsc_3'],
    ]);
  });

  it('a device without the media service answers device calls and leaves media out', async () => {
    const url = fleet.endpoints('wsd-io').onvifUrl;
    const auth = { username: 'admin', password: 'pw' };
    const services = await soapCall(
      url,
      '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>',
      auth,
    );
    expect(services.status).toBe(200);
    expect(services.text).not.toContain('<tds:Namespace>http://www.onvif.org/ver10/media/wsdl');
    const info = await soapCall(url, '<tds:GetDeviceInformation/>', auth);
    expect(info.status).toBe(200);
    const media = await soapCall(url.replace('device_service', 'media_service'), '<trt:GetProfiles/>', auth);
    expect(media.status).toBe(404);
  });
});
