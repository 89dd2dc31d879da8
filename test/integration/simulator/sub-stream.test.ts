import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rtspSocketTimeoutOption } from '../../../edge-agent/src/media/binaries.ts';
import {
  CameraFleetSimulator,
  defaultCacheDir,
  MAIN_PROFILE_TOKEN,
  type SimCameraEndpoints,
  type SimCameraSpec,
  SUB_PROFILE_TOKEN,
} from '../../simulators/camera/index.ts';
import { ffmpegPath, meanLuma, probe, withCredentials } from './helpers/media-tools.ts';
import { nodeOnvif, soapCall, textOf } from './helpers/onvif-client.ts';
import { RawRtspClient } from './helpers/rtsp-client.ts';

// A camera with a second (sub) stream: two ONVIF media profiles, two RTSP paths, and which faults reach
// which stream. Checked with an independent SOAP client, node-onvif, ffprobe and a bare RTSP client.

const FFMPEG_RTSP_ARGS = [
  ...['-rtsp_transport', 'tcp', rtspSocketTimeoutOption(ffmpegPath), '5000000'],
  ...['-analyzeduration', '300000', '-probesize', '65536'],
];

const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
const spec: SimCameraSpec = {
  id: 'dual-1',
  username: 'admin',
  password: 'dual-pass',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
  subProfile: { width: 160, height: 120, fps: 5, bitrateKbps: 64 },
};
const single: SimCameraSpec = {
  id: 'single-1',
  username: 'admin',
  password: 'dual-pass',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};
const auth = { username: spec.username, password: spec.password };
let cam: SimCameraEndpoints;
let plain: SimCameraEndpoints;
let mainUrl: string;
let subUrl: string;
let client: RawRtspClient | undefined;

function mediaUrl(onvifUrl: string): string {
  return onvifUrl.replace('/onvif/device_service', '/onvif/media_service');
}

function media(endpoints: SimCameraEndpoints, bodyXml: string) {
  return soapCall(mediaUrl(endpoints.onvifUrl), bodyXml, auth);
}

/** Each trt:Profiles element of a GetProfiles response with the figures a monitor reads. */
function profilesOf(xml: string) {
  return [...xml.matchAll(/<trt:Profiles token="([^"]+)"[^>]*>([\s\S]*?)<\/trt:Profiles>/g)].map((m) => {
    const body = m[2] ?? '';
    return {
      token: m[1],
      name: textOf(body, 'Name'),
      sourceToken: /<tt:VideoSourceConfiguration token="([^"]+)"/.exec(body)?.[1],
      encoderToken: /<tt:VideoEncoderConfiguration token="([^"]+)"/.exec(body)?.[1],
      width: Number(textOf(body, 'Width')),
      height: Number(textOf(body, 'Height')),
      fps: Number(textOf(body, 'FrameRateLimit')),
      bitrateKbps: Number(textOf(body, 'BitrateLimit')),
    };
  });
}

const streamUri = (token: string) =>
  `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>${token}</trt:ProfileToken></trt:GetStreamUri>`;

beforeAll(async () => {
  await fleet.start();
  [cam, plain] = await Promise.all([fleet.addCamera(spec), fleet.addCamera(single)]);
  mainUrl = withCredentials(cam.rtspUrl, spec.username, spec.password);
  subUrl = withCredentials(cam.subRtspUrl ?? '', spec.username, spec.password);
});
afterAll(() => fleet.stop());
afterEach(async () => {
  client?.close();
  client = undefined;
  await Promise.all([fleet.clearFault(spec.id), fleet.clearFault(single.id)]);
});

describe('ONVIF media profiles of a camera with a sub-stream', () => {
  it('lists the main profile, then the sub profile, each with its declared figures', async () => {
    const res = await media(cam, '<trt:GetProfiles/>');
    expect(res.status).toBe(200);
    expect(profilesOf(res.text)).toEqual([
      {
        token: MAIN_PROFILE_TOKEN,
        name: 'mainStream',
        sourceToken: 'vsc_1',
        encoderToken: 'vec_main',
        width: 320,
        height: 240,
        fps: 10,
        bitrateKbps: 300,
      },
      {
        token: SUB_PROFILE_TOKEN,
        name: 'subStream',
        sourceToken: 'vsc_1',
        encoderToken: 'vec_sub',
        width: 160,
        height: 120,
        fps: 5,
        bitrateKbps: 64,
      },
    ]);
    const one = await media(
      cam,
      `<trt:GetProfile><trt:ProfileToken>${SUB_PROFILE_TOKEN}</trt:ProfileToken></trt:GetProfile>`,
    );
    expect(one.status).toBe(200);
    expect(one.text).toContain(`<trt:Profile token="${SUB_PROFILE_TOKEN}"`);
    expect(textOf(one.text, 'Width')).toBe('160');
  });

  it('gives each profile its own stream URI and one snapshot URI; unknown tokens stay NoProfile', async () => {
    expect(cam.subRtspUrl).toBe(cam.rtspUrl.replace(/\/main$/, '/sub'));
    expect(textOf((await media(cam, streamUri(MAIN_PROFILE_TOKEN))).text, 'Uri')).toBe(cam.rtspUrl);
    expect(textOf((await media(cam, streamUri(SUB_PROFILE_TOKEN))).text, 'Uri')).toBe(cam.subRtspUrl);
    const snapshot = await media(
      cam,
      `<trt:GetSnapshotUri><trt:ProfileToken>${SUB_PROFILE_TOKEN}</trt:ProfileToken></trt:GetSnapshotUri>`,
    );
    expect(textOf(snapshot.text, 'Uri')).toBe(cam.snapshotUrl);
    const unknown = await media(cam, streamUri('profile_third'));
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('ter:NoProfile');
  });

  it('node-onvif init() reads both profiles with distinct stream URIs', async () => {
    const device = new nodeOnvif.OnvifDevice({
      xaddr: cam.onvifUrl,
      user: auth.username,
      pass: auth.password,
    });
    await device.init();
    const profiles = device.getProfileList();
    expect(profiles.map((p) => p.token)).toEqual([MAIN_PROFILE_TOKEN, SUB_PROFILE_TOKEN]);
    expect(profiles.map((p) => p.stream.rtsp)).toEqual([cam.rtspUrl, cam.subRtspUrl]);
    expect(profiles[1]?.video.encoder).toMatchObject({
      resolution: { width: 160, height: 120 },
      framerate: 5,
      bitrate: 64,
    });
  });

  it('a camera without a sub profile keeps one profile and refuses profile_sub', async () => {
    expect(plain.subRtspUrl).toBeUndefined();
    const profiles = profilesOf((await media(plain, '<trt:GetProfiles/>')).text);
    expect(profiles.map((p) => p.token)).toEqual([MAIN_PROFILE_TOKEN]);
    const res = await media(plain, streamUri(SUB_PROFILE_TOKEN));
    expect(res.status).toBe(400);
    expect(res.text).toContain('ter:NoProfile');
  });
});

describe('RTSP main and sub streams', () => {
  it('serves each URI at its own size and frame rate', async () => {
    const [main, sub] = await Promise.all([probe(mainUrl), probe(subUrl)]);
    expect(main.stderr).toBe('');
    expect(main.stream).toMatchObject({
      codec_name: 'h264',
      width: 320,
      height: 240,
      avg_frame_rate: '10/1',
    });
    expect(sub.stderr).toBe('');
    expect(sub.stream).toMatchObject({ codec_name: 'h264', width: 160, height: 120, avg_frame_rate: '5/1' });
  });

  it('encoder faults change the main stream only', async () => {
    await fleet.setFault(spec.id, { kind: 'fps-mismatch', fps: 2 });
    await fleet.setFault(spec.id, { kind: 'resolution-mismatch', width: 176, height: 144 });
    const [main, sub] = await Promise.all([probe(mainUrl), probe(subUrl)]);
    expect(main.stream).toMatchObject({ width: 176, height: 144, avg_frame_rate: '2/1' });
    expect(sub.stream).toMatchObject({ width: 160, height: 120, avg_frame_rate: '5/1' });
  });

  it('black-video blacks both streams (one lens)', async () => {
    await fleet.setFault(spec.id, { kind: 'black-video' });
    expect(await meanLuma(mainUrl, FFMPEG_RTSP_ARGS)).toBeLessThan(20);
    expect(await meanLuma(subUrl, FFMPEG_RTSP_ARGS)).toBeLessThan(20);
  });

  it('sub-stream-down makes the sub URI fail with 404 while the main still probes; clearing restores it', async () => {
    await fleet.setFault(spec.id, { kind: 'sub-stream-down' });
    const [main, sub] = await Promise.all([probe(mainUrl), probe(subUrl, { killAfterMs: 8000 })]);
    expect(main.stream).toMatchObject({ width: 320, height: 240, avg_frame_rate: '10/1' });
    expect(sub.code).not.toBe(0);
    expect(sub.killed).toBe(false);
    expect(sub.stderr).toMatch(/404 Not Found/);

    await fleet.clearFault(spec.id, 'sub-stream-down');
    expect((await probe(subUrl)).stream).toMatchObject({ width: 160, height: 120, avg_frame_rate: '5/1' });
  });

  it('sub-stream-down ends a playing sub session and refuses DESCRIBE after authentication', async () => {
    client = new RawRtspClient(spec.username, spec.password);
    const url = cam.subRtspUrl ?? '';
    await client.connect(url);
    expect((await client.request('DESCRIBE', url, { Accept: 'application/sdp' })).status).toBe(200);
    const setup = await client.request('SETUP', `${url}/track1`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    });
    expect(setup.status).toBe(200);
    const session = setup.headers.get('session')?.split(';')[0] ?? '';
    expect((await client.request('PLAY', url, { Session: session })).status).toBe(200);
    await fleet.setFault(spec.id, { kind: 'sub-stream-down' });
    await client.closed;

    client = new RawRtspClient(spec.username, spec.password);
    await client.connect(url);
    // The client answers the 401 challenge first (as on any path); once authenticated the stream is 404.
    const describe = await client.request('DESCRIBE', url, { Accept: 'application/sdp' });
    expect(describe.status).toBe(404);
  });

  it('a camera without a sub profile answers 404 on the sub path; sub-stream-down there is a no-op', async () => {
    await fleet.setFault(single.id, { kind: 'sub-stream-down' });
    const sub = await probe(
      withCredentials(plain.rtspUrl.replace(/\/main$/, '/sub'), single.username, single.password),
    );
    expect(sub.code).not.toBe(0);
    expect(sub.stderr).toMatch(/404 Not Found/);
    const main = await probe(withCredentials(plain.rtspUrl, single.username, single.password));
    expect(main.stream).toMatchObject({ width: 320, height: 240, avg_frame_rate: '10/1' });
  });
});

describe('sub-stream media', () => {
  it('is encoded once, while the camera is added, so the first client does not wait', async () => {
    // A fresh cache so encodes happen (and are logged) here rather than being read from disk.
    const cacheDir = await mkdtemp(join(tmpdir(), 'cctv-sim-sub-'));
    const lines: string[] = [];
    const own = new CameraFleetSimulator({ cacheDir, controlPort: null, log: (l) => lines.push(l) });
    try {
      await own.start();
      const endpoints = await own.addCamera({ ...spec, id: 'dual-fresh' });
      const subEncodes = () => lines.filter((l) => /encoded h264-\S*160x120-5fps-64k-testsrc2\.h264/.test(l));
      expect(subEncodes()).toHaveLength(1);
      const url = withCredentials(endpoints.subRtspUrl ?? '', spec.username, spec.password);
      const probes = await Promise.all([probe(url), probe(url)]);
      expect(probes.map((p) => p.stream?.width)).toEqual([160, 160]);
      expect(subEncodes()).toHaveLength(1);
    } finally {
      await own.stop();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
