import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../edge-agent/src/config.ts';
import { parseServices, recordingDevices } from '../../../edge-agent/src/recording-watch.ts';
import { ConfigError } from '../../../src/config/resolve.ts';

const camera = (id: string, recording: string) => `
  - id: ${id}
    name: Camera ${id}
    onvif: { url: 'http://127.0.0.1:8000/${id}/onvif/device_service', username: admin, password: pw-${id} }
    commissioning: { location: { lat: 50.1, lon: -5.5 }, bearingDeg: 90, hfovDeg: 60, designDistanceM: 20, purpose: observe }
${recording}`;

const config = (recorders: string, cameras: string) => `
site: { id: site-a, name: Site A, councilId: council-a, hubId: hub-a }
recorders:
${recorders}
cameras:
${cameras}`;

const NVR = `  - id: nvr-1
    name: Recorder
    onvif: { url: 'http://127.0.0.1:9000/onvif/device_service', username: admin, passwordEnv: NVR_PW }`;

const load = (text: string, env: Record<string, string> = { NVR_PW: 'nvr-secret' }) =>
  loadAgentConfig({ path: 'agent.yaml', env, read: async () => text });

describe('recording devices from the agent config', () => {
  it('reads a recorder for the cameras it holds, a camera recording itself, and no device for the rest', async () => {
    const { config: c, secrets } = await load(
      config(
        NVR,
        camera('cam-1', '    recording: { recorder: nvr-1, recordingToken: REC_1, sourceToken: VS_1 }') +
          camera('cam-2', '    recording: {}') +
          camera('cam-3', ''),
      ),
    );
    const devices = recordingDevices(c, secrets);
    expect(
      devices.map((d) => ({ key: d.key, source: d.source, cameras: d.cameras, password: d.password })),
    ).toEqual([
      {
        key: 'recorder:nvr-1',
        source: 'recorder',
        cameras: [{ cameraId: 'cam-1', recordingToken: 'REC_1', sourceToken: 'VS_1' }],
        password: 'nvr-secret',
      },
      { key: 'camera:cam-2', source: 'camera', cameras: [{ cameraId: 'cam-2' }], password: 'pw-cam-2' },
    ]);
  });

  it('names a camera whose recorder is not listed, and a recorder without a password', async () => {
    const error = await load(config(NVR, camera('cam-1', '    recording: { recorder: nvr-9 }')), {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    expect(text).toContain('cameras.0 (cam-1).recording.recorder: no recorder nvr-9 in recorders (nvr-1)');
    expect(text).toContain('recorders.0 (nvr-1).onvif.passwordEnv: recorder nvr-1: NVR_PW is not set');
  });
});

describe('GetServices', () => {
  const answer = (search: string, events: string) =>
    '<s:Envelope><s:Body><tds:GetServicesResponse>' +
    '<tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>http://10.0.0.5/onvif/device_service</tds:XAddr></tds:Service>' +
    `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/search/wsdl</tds:Namespace><tds:XAddr>${search}</tds:XAddr></tds:Service>` +
    `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace><tds:XAddr>${events}</tds:XAddr></tds:Service>` +
    '</tds:GetServicesResponse></s:Body></s:Envelope>';

  it('keeps the service paths on the address the agent was given (devices behind NAT report their own)', () => {
    expect(
      parseServices(
        answer('http://10.0.0.5/onvif/Search', 'http://10.0.0.5:80/onvif/Events?x=1'),
        'http://198.51.100.7:8080/onvif/device_service',
      ),
    ).toEqual({
      searchUrl: 'http://198.51.100.7:8080/onvif/Search',
      eventsUrl: 'http://198.51.100.7:8080/onvif/Events?x=1',
    });
  });

  it('has no search service when the device lists none', () => {
    const xml = answer('', '').replace(
      /<tds:Service><tds:Namespace>http:\/\/www.onvif.org\/ver10\/search[\s\S]*?<\/tds:Service>/,
      '',
    );
    expect(parseServices(xml, 'http://127.0.0.1/onvif/device_service').searchUrl).toBeUndefined();
  });
});
