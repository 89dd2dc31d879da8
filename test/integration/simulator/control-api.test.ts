import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CameraFleetSimulator,
  defaultCacheDir,
  type SimCameraEndpoints,
  type SimCameraSpec,
} from '../../simulators/camera/index.ts';
import { soapCall } from './helpers/onvif-client.ts';

// The fault-injection HTTP API other processes (demo hub, benchmarks) use.

const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: 0 });
const spec: SimCameraSpec = {
  id: 'ctl-1',
  username: 'admin',
  password: 'ctl-pass',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};
let cam: SimCameraEndpoints;
let base: string;

interface Envelope {
  status: 'ok' | 'error';
  data?: unknown;
  error?: { code: string; message: string };
}

async function call(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; json: Envelope }> {
  const res = await fetch(`${base}${path}`, {
    method,
    body,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  });
  return { status: res.status, json: (await res.json()) as Envelope };
}

beforeAll(async () => {
  await fleet.start();
  cam = await fleet.addCamera(spec);
  base = fleet.controlUrl ?? '';
});
afterAll(() => fleet.stop());

describe('control API', () => {
  it('binds to loopback and lists cameras with endpoints and faults', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { status, json } = await call('GET', '/cameras');
    expect(status).toBe(200);
    expect(json.data).toEqual([{ ...cam, faults: [] }]);
  });

  it('sets, lists and clears faults', async () => {
    expect((await call('PUT', '/cameras/ctl-1/faults/clock-skew', '{"skewMs": 5000}')).json.data).toEqual([
      { kind: 'clock-skew', skewMs: 5000 },
    ]);
    await call('PUT', '/cameras/ctl-1/faults/no-ntp');
    expect((await call('GET', '/cameras/ctl-1/faults')).json.data).toEqual([
      { kind: 'clock-skew', skewMs: 5000 },
      { kind: 'no-ntp' },
    ]);
    expect(fleet.faults('ctl-1')).toHaveLength(2);
    expect((await call('DELETE', '/cameras/ctl-1/faults/clock-skew')).json.data).toEqual([
      { kind: 'no-ntp' },
    ]);
    expect((await call('DELETE', '/cameras/ctl-1/faults')).json.data).toEqual([]);
  });

  it('applies network faults: unreachable closes the ONVIF port until cleared', async () => {
    await call('PUT', '/cameras/ctl-1/faults/unreachable', '{}');
    await expect(soapCall(cam.onvifUrl, '<tds:GetSystemDateAndTime/>')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await call('DELETE', '/cameras/ctl-1/faults/unreachable');
    expect((await soapCall(cam.onvifUrl, '<tds:GetSystemDateAndTime/>')).status).toBe(200);
  });

  it.each([
    // [method, path, body, status, message fragment]
    ['PUT', '/cameras/ctl-1/faults/melted', '{}', 400, "unknown fault kind 'melted'"],
    ['PUT', '/cameras/ctl-1/faults/fps-mismatch', '{}', 400, 'PUT /cameras/ctl-1/faults/fps-mismatch: /fps'],
    ['PUT', '/cameras/ctl-1/faults/fps-mismatch', '{"fps": 0}', 400, '/fps'],
    ['PUT', '/cameras/ctl-1/faults/fps-mismatch', '{"fps": "25"}', 400, '/fps'],
    ['PUT', '/cameras/ctl-1/faults/resolution-mismatch', '{"width": 641, "height": 480}', 400, '/width'],
    ['PUT', '/cameras/ctl-1/faults/clock-skew', '{"skewMs": 1, "extra": true}', 400, '/extra'],
    ['PUT', '/cameras/ctl-1/faults/clock-skew', '{"skewMs": ', 400, 'not valid JSON'],
    ['PUT', '/cameras/ctl-1/faults/clock-skew', '[1]', 400, 'must be a JSON object'],
    [
      'PUT',
      '/cameras/ctl-1/faults/clock-skew',
      '{"kind": "hang", "skewMs": 1}',
      400,
      'differs from the kind',
    ],
    ['PUT', '/cameras/ctl-1/faults/wrong-credentials', '{"httpStatus": 302}', 400, '/httpStatus'],
    ['PUT', '/cameras/ctl-1/faults/wrong-timezone', '{"timeZone": "<script>"}', 400, '/timeZone'],
    ['DELETE', '/cameras/ctl-1/faults/melted', undefined, 400, "unknown fault kind 'melted'"],
    ['PUT', '/cameras/nope/faults/hang', '{}', 404, "no simulated camera with id 'nope'"],
    ['GET', '/elsewhere', undefined, 404, 'no such route'],
    ['POST', '/cameras', '{}', 405, 'only GET'],
  ])('%s %s %s -> %i', async (method, path, body, status, fragment) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(res.json.status).toBe('error');
    expect(res.json.error?.message).toContain(fragment);
    expect(fleet.faults('ctl-1')).toEqual([]);
  });
});
