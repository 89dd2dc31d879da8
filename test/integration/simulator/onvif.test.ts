import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CameraFleetSimulator,
  defaultCacheDir,
  type SimCameraEndpoints,
  type SimCameraSpec,
} from '../../simulators/camera/index.ts';
import {
  nodeOnvif,
  readDateTime,
  soapCall,
  soapEnvelope,
  soapPost,
  textOf,
  withOnvifTimeout,
} from './helpers/onvif-client.ts';

// node-onvif (the agent's ONVIF library) and an independent raw SOAP client against the simulator.

const USER = 'admin';
const PASS = 'Sim-Pass-1';
let fakeNowMs: number | undefined;
const fleet = new CameraFleetSimulator({
  cacheDir: defaultCacheDir(),
  controlPort: null,
  now: () => fakeNowMs ?? Date.now(),
});
let cam: SimCameraEndpoints;
const spec: SimCameraSpec = {
  id: 'onvif-1',
  username: USER,
  password: PASS,
  manufacturer: 'Acme & Sons',
  model: 'AC-100',
  firmwareVersion: '5.4.3',
  serialNumber: 'SN0001',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};
const GET_TIME = '<tds:GetSystemDateAndTime/>';
const GET_INFO = '<tds:GetDeviceInformation/>';

beforeAll(async () => {
  await fleet.start();
  cam = await fleet.addCamera(spec);
});
afterAll(() => fleet.stop());
afterEach(async () => {
  fakeNowMs = undefined;
  await fleet.clearFault(spec.id);
});

describe('node-onvif against the simulator', () => {
  it('init() reads device information, the profile, stream and snapshot URIs', async () => {
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS });
    const info = await device.init();
    expect(info).toMatchObject({
      Manufacturer: 'Acme & Sons',
      Model: 'AC-100',
      FirmwareVersion: '5.4.3',
      SerialNumber: 'SN0001',
    });
    const [profile] = device.getProfileList();
    expect(profile?.video.encoder).toMatchObject({
      encoding: 'H264',
      resolution: { width: 320, height: 240 },
      framerate: 10,
      bitrate: 300,
    });
    expect(profile?.stream.rtsp).toBe(cam.rtspUrl);
    expect(profile?.snapshot).toBe(cam.snapshotUrl);
    const snapshot = await device.fetchSnapshot();
    expect(snapshot.body.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('fails init() clearly with a wrong password', async () => {
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: 'nope' });
    await expect(device.init()).rejects.toThrow(/400 Bad Request - Sender not authorized/);
  });

  it('wrong-credentials fault rejects the configured credentials with HTTP 400 or, optionally, 200', async () => {
    await fleet.setFault(spec.id, { kind: 'wrong-credentials' });
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS });
    await expect(device.init()).rejects.toThrow(/Sender not authorized/);

    await fleet.setFault(spec.id, { kind: 'wrong-credentials', httpStatus: 200 });
    const res = await soapCall(cam.onvifUrl, GET_INFO, { username: USER, password: PASS });
    expect(res.status).toBe(200);
    expect(res.text).toContain('ter:NotAuthorized');
    // node-onvif turns a 200 + fault into an unhelpful message; it must still reject.
    await expect(
      new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS }).init(),
    ).rejects.toThrow();
  });

  it('answers GetSystemDateAndTime without credentials and reflects clock skew', async () => {
    const before = await soapCall(cam.onvifUrl, GET_TIME);
    expect(before.status).toBe(200);
    expect(Math.abs(readDateTime(before.text, 'UTCDateTime') - Date.now())).toBeLessThan(2000);

    await fleet.setFault(spec.id, { kind: 'clock-skew', skewMs: 600_000 });
    const skewed = await soapCall(cam.onvifUrl, GET_TIME);
    expect(readDateTime(skewed.text, 'UTCDateTime') - Date.now()).toBeGreaterThan(598_000);
    expect(readDateTime(skewed.text, 'UTCDateTime') - Date.now()).toBeLessThan(602_000);

    // node-onvif corrects its tokens by the offset it measured, so it still gets in...
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS });
    await device.init();
    expect(Math.abs(device.services.device.getTimeDiff() - 600_000)).toBeLessThan(2000);
    // ...while a client that ignores the camera clock is refused, and one that corrects is accepted.
    const naive = await soapCall(cam.onvifUrl, GET_INFO, { username: USER, password: PASS });
    expect(naive.status).toBe(400);
    const corrected = await soapCall(cam.onvifUrl, GET_INFO, {
      username: USER,
      password: PASS,
      createdMs: Date.now() + 600_000,
    });
    expect(corrected.status).toBe(200);
  });

  it.each([
    // [label, instant, fault, TZ, DST, local hour]
    ['UK summer', '2025-07-01T12:00:00Z', undefined, 'GMT0BST,M3.5.0/1,M10.5.0', 'true', 13],
    ['UK winter', '2025-01-15T12:00:00Z', undefined, 'GMT0BST,M3.5.0/1,M10.5.0', 'false', 12],
    ['factory China', '2025-07-01T12:00:00Z', {}, 'CST-8', 'false', 20],
    ['UTC, no summer time', '2025-07-01T12:00:00Z', { timeZone: 'UTC0' }, 'UTC0', 'false', 12],
  ])('reports time zone and local time: %s', async (_label, instant, fault, tz, dst, localHour) => {
    fakeNowMs = Date.parse(instant);
    if (fault) await fleet.setFault(spec.id, { kind: 'wrong-timezone', ...fault });
    const res = await soapCall(cam.onvifUrl, GET_TIME);
    expect(textOf(res.text, 'TZ')).toBe(tz);
    expect(textOf(res.text, 'DaylightSavings')).toBe(dst);
    expect(textOf(res.text, 'DateTimeType')).toBe('NTP');
    expect(readDateTime(res.text, 'UTCDateTime')).toBe(fakeNowMs);
    expect(new Date(readDateTime(res.text, 'LocalDateTime')).getUTCHours()).toBe(localHour);
  });

  it('no-ntp fault reports manual time and no NTP server', async () => {
    await fleet.setFault(spec.id, { kind: 'no-ntp' });
    expect(textOf((await soapCall(cam.onvifUrl, GET_TIME)).text, 'DateTimeType')).toBe('Manual');
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS });
    await device.init();
    const ntp = await device.services.device.getNTP();
    expect(ntp.data.GetNTPResponse.NTPInformation).not.toHaveProperty('NTPManual');
    await fleet.clearFault(spec.id, 'no-ntp');
    const ntpOn = await device.services.device.getNTP();
    expect(ntpOn.data.GetNTPResponse.NTPInformation).toHaveProperty('NTPManual');
  });

  it('rejects replayed tokens and plain-text passwords', async () => {
    const xml = soapEnvelope(GET_INFO, { username: USER, password: PASS });
    expect((await soapPost(cam.onvifUrl, xml)).status).toBe(200);
    const replay = await soapPost(cam.onvifUrl, xml);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('ter:NotAuthorized');
    const plain = xml.replace(/Type="[^"]*#PasswordDigest">[^<]*/, `Type="...#PasswordText">${PASS}`);
    expect((await soapPost(cam.onvifUrl, plain)).status).toBe(400);
  });

  it('answers unknown methods with HTTP 500 and an ActionNotSupported fault', async () => {
    const res = await soapCall(cam.onvifUrl, '<tds:GetZeroConfiguration/>', {
      username: USER,
      password: PASS,
    });
    expect(res.status).toBe(500);
    expect(res.text).toContain('ter:ActionNotSupported');
  });

  it('refuses documents with a DTD (no entity expansion)', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>${soapEnvelope(GET_TIME).replace(/^<\?xml[^>]*>/, '')}`;
    const res = await soapPost(cam.onvifUrl, xml);
    expect(res.status).toBe(400);
    expect(res.text).toContain('ter:WellFormed');
    expect(res.text).not.toContain('root:');
  });

  it('hang fault accepts connections and never answers', async () => {
    await fleet.setFault(spec.id, { kind: 'hang' });
    const startedAt = performance.now();
    await expect(soapCall(cam.onvifUrl, GET_TIME, { timeoutMs: 400 })).rejects.toThrow(/abort|timeout/i);
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS });
    await expect(withOnvifTimeout(400, () => device.init())).rejects.toThrow(/Network Error/);
    expect(performance.now() - startedAt).toBeLessThan(3000);
  });

  it('unreachable fault closes the port (ECONNREFUSED) and clearing it reopens the same URL', async () => {
    await fleet.setFault(spec.id, { kind: 'unreachable' });
    const error = await soapCall(cam.onvifUrl, GET_TIME).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(error?.code).toBe('ECONNREFUSED');
    const device = new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS });
    await expect(device.init()).rejects.toThrow(/ECONNREFUSED/);
    await fleet.clearFault(spec.id, 'unreachable');
    await expect(
      new nodeOnvif.OnvifDevice({ xaddr: cam.onvifUrl, user: USER, pass: PASS }).init(),
    ).resolves.toMatchObject({ Model: 'AC-100' });
  });
});
