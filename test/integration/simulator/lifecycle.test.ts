import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CameraFleetSimulator, defaultCacheDir, type SimCameraSpec } from '../../simulators/camera/index.ts';
import { RawRtspClient } from './helpers/rtsp-client.ts';

// start()/stop() ownership: stop() must end every server, session and hung request it owns.

const spec: SimCameraSpec = {
  id: 'life-1',
  username: 'admin',
  password: 'life-pass',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('fleet lifecycle', () => {
  it('stop() closes servers, RTSP sessions and hung requests promptly', async () => {
    const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir() });
    await fleet.start();
    const cam = await fleet.addCamera(spec);
    const rtspPort = fleet.rtspPort;
    const controlPort = Number(new URL(fleet.controlUrl ?? '').port);

    const client = new RawRtspClient(spec.username, spec.password);
    await client.connect(cam.rtspUrl);
    await client.request('DESCRIBE', cam.rtspUrl);
    const setup = await client.request('SETUP', `${cam.rtspUrl}/track1`, {
      Transport: 'RTP/AVP/TCP;interleaved=0-1',
    });
    await client.request('PLAY', cam.rtspUrl, { Session: setup.headers.get('session')?.split(';')[0] ?? '' });

    await fleet.setFault(spec.id, { kind: 'hang' });
    const hung = new Promise<string>((resolve) => {
      const req = request(cam.onvifUrl, { method: 'POST', agent: false }, () => resolve('answered'));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      req.end('<x/>');
    });
    await sleep(100);

    const startedAt = performance.now();
    await fleet.stop();
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(await hung).toBe('ECONNRESET');
    const received = client.packets.length;
    await sleep(200);
    expect(client.packets.length).toBe(received);
    client.close();
    for (const port of [rtspPort, controlPort, cam.httpPort])
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
  });

  it('removeCamera() closes its port and its RTSP path', async () => {
    const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
    await fleet.start();
    try {
      const cam = await fleet.addCamera(spec);
      await fleet.removeCamera(spec.id);
      expect(await connectOutcome(cam.httpPort)).toBe('ECONNREFUSED');
      const client = new RawRtspClient(spec.username, spec.password);
      await client.connect(cam.rtspUrl);
      expect((await client.request('DESCRIBE', cam.rtspUrl)).status).toBe(404);
      client.close();
      expect(fleet.list()).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });

  it.each([
    ['an id that is not URL-safe', { ...spec, id: 'bad/id' }, /camera 'bad\/id': \/id/],
    ['an odd width', { ...spec, id: 'life-2', profile: { ...spec.profile, width: 321 } }, /\/profile\/width/],
    ['an unknown key', { ...spec, id: 'life-2', colour: 'red' }, /\/colour/],
    [
      'a bad POSIX TZ',
      { ...spec, id: 'life-2', timeZone: 'Europe/London' },
      /invalid POSIX TZ 'Europe\/London'/,
    ],
    ['a duplicate id', spec, /camera 'life-1' already exists/],
  ])('addCamera() rejects %s', async (_label, bad, message) => {
    const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
    await fleet.start();
    try {
      await fleet.addCamera(spec);
      await expect(fleet.addCamera(bad as SimCameraSpec)).rejects.toThrow(message);
      expect(fleet.list().map((c) => c.id)).toEqual(['life-1']);
    } finally {
      await fleet.stop();
    }
  });
});
