import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CameraFleetSimulator,
  defaultCacheDir,
  type SimCameraEndpoints,
  type SimCameraSpec,
} from '../../simulators/camera/index.ts';
import { jpegSize, meanLuma } from './helpers/media-tools.ts';
import { nodeOnvif } from './helpers/onvif-client.ts';

// Snapshots need HTTP Digest auth (node-onvif's fetchSnapshot answers the challenge); Basic is not accepted.

const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
const spec: SimCameraSpec = {
  id: 'snap-1',
  username: 'admin',
  password: 'snap-pass',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};
let cam: SimCameraEndpoints;

async function fetchSnapshot(): Promise<Buffer> {
  const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: spec.username, pass: spec.password });
  await device.init();
  return (await device.fetchSnapshot()).body;
}

beforeAll(async () => {
  await fleet.start();
  cam = await fleet.addCamera(spec);
});
afterAll(() => fleet.stop());

describe('snapshot', () => {
  it('asks for Digest auth and refuses Basic', async () => {
    const anonymous = await fetch(cam.snapshotUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(
      /^Digest realm="[^"]+", qop="auth", nonce="[0-9a-f]+"/,
    );
    const basic = `Basic ${Buffer.from(`${spec.username}:${spec.password}`).toString('base64')}`;
    expect((await fetch(cam.snapshotUrl, { headers: { Authorization: basic } })).status).toBe(401);
  });

  it('returns a JPEG of the test pattern at the stream resolution', async () => {
    const jpeg = await fetchSnapshot();
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(jpegSize(jpeg)).toEqual({ width: 320, height: 240 });
    expect(await meanLuma(jpeg)).toBeGreaterThan(40);
  });

  it('resolution-mismatch fault changes the snapshot size too (the sensor, not the profile)', async () => {
    await fleet.setFault(spec.id, { kind: 'resolution-mismatch', width: 160, height: 120 });
    try {
      expect(jpegSize(await fetchSnapshot())).toEqual({ width: 160, height: 120 });
    } finally {
      await fleet.clearFault(spec.id);
    }
  });

  it('blank-image fault returns a black JPEG', async () => {
    await fleet.setFault(spec.id, { kind: 'blank-image' });
    try {
      const jpeg = await fetchSnapshot();
      expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(await meanLuma(jpeg)).toBeLessThan(20);
    } finally {
      await fleet.clearFault(spec.id);
    }
  });

  it('changes from one request to the next, as a live camera does; stale-snapshot freezes it', async () => {
    const a = await fetchSnapshot();
    const b = await fetchSnapshot();
    expect(a.equals(b)).toBe(false);
    await fleet.setFault(spec.id, { kind: 'stale-snapshot' });
    try {
      const c = await fetchSnapshot();
      const d = await fetchSnapshot();
      expect(c.equals(d)).toBe(true);
    } finally {
      await fleet.clearFault(spec.id);
    }
  });

  it('refuses a wrong password', async () => {
    const device = new nodeOnvif.OnvifDevice({
      xaddr: cam.onvifUrl,
      user: spec.username,
      pass: spec.password,
    });
    await device.init();
    device.setAuth(spec.username, 'wrong');
    await expect(device.fetchSnapshot()).rejects.toThrow(/401/);
  });
});
