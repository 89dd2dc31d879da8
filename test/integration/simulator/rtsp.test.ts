import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rtspSocketTimeoutOption } from '../../../edge-agent/src/media/binaries.ts';
import {
  CameraFleetSimulator,
  defaultCacheDir,
  type SimCameraEndpoints,
  type SimCameraSpec,
} from '../../simulators/camera/index.ts';
import { ffmpegPath, meanLuma, probe, runTool, withCredentials } from './helpers/media-tools.ts';

// ffprobe/ffmpeg (the agent's stream probes and the hub's feed remux) against the simulator's RTSP server.

// The npm-shipped ffmpeg is 4.1, where RTSP's `-timeout` means "listen for a connection" (it would
// bind the URL's port) and the socket I/O timeout is `-stimeout`; a system ffmpeg 5 or later calls it
// `-timeout`. A short analysis window (as DESIGN.md prescribes) also avoids ffmpeg 4.1 re-basing the
// first probed frames.
const FFMPEG_RTSP_ARGS = [
  ...['-rtsp_transport', 'tcp', rtspSocketTimeoutOption(ffmpegPath), '5000000'],
  ...['-analyzeduration', '300000', '-probesize', '65536'],
];

const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
const spec: SimCameraSpec = {
  id: 'rtsp-1',
  username: 'viewer',
  password: 'p@ss:word',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};
const second: SimCameraSpec = { ...spec, id: 'rtsp-2', profile: { ...spec.profile, fps: 15 } };
let cam: SimCameraEndpoints;
let cam2: SimCameraEndpoints;
let url: string;

beforeAll(async () => {
  await fleet.start();
  [cam, cam2] = await Promise.all([fleet.addCamera(spec), fleet.addCamera(second)]);
  url = withCredentials(cam.rtspUrl, spec.username, spec.password);
});
afterAll(() => fleet.stop());
afterEach(() => fleet.clearFault(spec.id));

describe('RTSP stream', () => {
  it('probes as H.264 at the profile resolution and frame rate', async () => {
    const result = await probe(url);
    expect(result.stderr).toBe('');
    expect(result.stream).toMatchObject({
      codec_name: 'h264',
      width: 320,
      height: 240,
      avg_frame_rate: '10/1',
    });
  });

  it('serves several cameras and clients at once', async () => {
    const url2 = withCredentials(cam2.rtspUrl, spec.username, spec.password);
    const results = await Promise.all([probe(url), probe(url), probe(url2), probe(url2)]);
    expect(results.map((r) => r.stream?.avg_frame_rate)).toEqual(['10/1', '10/1', '15/1', '15/1']);
  });

  it('fps-mismatch and resolution-mismatch serve a stream unlike the advertised profile', async () => {
    await fleet.setFault(spec.id, { kind: 'fps-mismatch', fps: 5 });
    expect((await probe(url)).stream).toMatchObject({ width: 320, height: 240, avg_frame_rate: '5/1' });
    await fleet.setFault(spec.id, { kind: 'resolution-mismatch', width: 160, height: 120 });
    expect((await probe(url)).stream).toMatchObject({ width: 160, height: 120, avg_frame_rate: '5/1' });
  });

  it.each([
    ['no credentials', () => cam.rtspUrl],
    ['a wrong password', () => withCredentials(cam.rtspUrl, spec.username, 'wrong')],
  ])('refuses %s with 401', async (_label, target) => {
    const result = await probe(target());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/401 Unauthorized/);
  });

  it('wrong-credentials fault refuses the configured credentials with 401', async () => {
    await fleet.setFault(spec.id, { kind: 'wrong-credentials' });
    const result = await probe(url);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/401 Unauthorized/);
  });

  it('refuses UDP transport with 461', async () => {
    const result = await probe(url, { transport: 'udp' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/461/);
  });

  it('hang fault accepts the connection and never answers (the socket timeout ends the probe)', async () => {
    await fleet.setFault(spec.id, { kind: 'hang' });
    const result = await probe(url, { socketTimeoutMs: 1000, killAfterMs: 8000 });
    expect(result.code).not.toBe(0);
    expect(result.elapsedMs).toBeGreaterThan(900);
  });

  it('unreachable fault closes the connection at once', async () => {
    await fleet.setFault(spec.id, { kind: 'unreachable' });
    const result = await probe(url, { killAfterMs: 8000 });
    expect(result.code).not.toBe(0);
    expect(result.killed).toBe(false);
    expect(result.elapsedMs).toBeLessThan(3000);
  });

  it('decodes about 3 s of advancing video with ffmpeg', async () => {
    const result = await runTool(
      ffmpegPath,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'info', ...FFMPEG_RTSP_ARGS],
        ...['-i', url, '-t', '3', '-vf', 'showinfo', '-f', 'null', '-'],
      ],
      20_000,
    );
    expect(result.code).toBe(0);
    const frames = [...result.stderr.matchAll(/pts_time:([\d.]+).*?checksum:([0-9A-F]+)/g)].map((m) => ({
      ptsS: Number(m[1]),
      checksum: m[2],
    }));
    // 10 fps for 3 s; allow a frame or two either way for where the cut falls.
    expect(frames.length).toBeGreaterThanOrEqual(27);
    expect(frames.length).toBeLessThanOrEqual(32);
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]?.ptsS).toBeGreaterThan(frames[i - 1]?.ptsS ?? Number.NaN);
    }
    // The test pattern moves, so frames differ.
    expect(new Set(frames.map((f) => f.checksum)).size).toBeGreaterThan(frames.length / 2);
    // Real-time pacing: 3 s of media takes about 3 s to arrive.
    expect(result.elapsedMs).toBeGreaterThan(2500);
  });

  it('blank-image fault makes the stream black', async () => {
    expect(await meanLuma(url, FFMPEG_RTSP_ARGS)).toBeGreaterThan(40);
    await fleet.setFault(spec.id, { kind: 'blank-image' });
    expect(await meanLuma(url, FFMPEG_RTSP_ARGS)).toBeLessThan(20);
  });
});
