import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CameraFleetSimulator,
  defaultCacheDir,
  type SimCameraEndpoints,
  type SimCameraSpec,
} from '../../simulators/camera/index.ts';
import { RawRtspClient, type RtpPacket } from './helpers/rtsp-client.ts';

// Wire-level RTSP (RFC 2326) and H.264 RTP payload (RFC 6184) behaviour, checked with a bare client.

const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
const spec: SimCameraSpec = {
  id: 'wire-1',
  username: 'op',
  password: 'wire-pass',
  profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
};
let cam: SimCameraEndpoints;
let client: RawRtspClient;

beforeAll(async () => {
  await fleet.start();
  cam = await fleet.addCamera(spec);
});
afterAll(() => fleet.stop());
afterEach(() => client?.close());

function nalType(p: RtpPacket): number {
  const type = (p.payload[0] ?? 0) & 0x1f;
  return type === 28 ? (p.payload[1] ?? 0) & 0x1f : type; // FU-A carries the real type in its header
}

describe('RTSP on the wire', () => {
  it('negotiates, streams RFC 6184 packets, answers keepalives and tears down', async () => {
    client = new RawRtspClient(spec.username, spec.password);
    await client.connect(cam.rtspUrl);
    const options = await client.request('OPTIONS', cam.rtspUrl);
    expect(options.headers.get('public')).toContain('GET_PARAMETER');

    const describe = await client.request('DESCRIBE', cam.rtspUrl, { Accept: 'application/sdp' });
    expect(describe.status).toBe(200);
    expect(describe.body).toContain('a=rtpmap:96 H264/90000');
    expect(describe.body).toMatch(
      /packetization-mode=1;profile-level-id=[0-9a-f]{6};sprop-parameter-sets=[\w+/=]+,[\w+/=]+/,
    );

    const track = `${cam.rtspUrl}/track1`;
    expect(
      (await client.request('SETUP', track, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).status,
    ).toBe(461);
    const setup = await client.request('SETUP', track, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    expect(setup.status).toBe(200);
    expect(setup.headers.get('transport')).toContain('interleaved=0-1');
    const session = setup.headers.get('session')?.split(';')[0] ?? '';

    expect((await client.request('PLAY', cam.rtspUrl, { Session: 'bogus' })).status).toBe(454);
    const play = await client.request('PLAY', cam.rtspUrl, { Session: session });
    expect(play.status).toBe(200);
    const rtpInfo = /seq=(\d+);rtptime=(\d+)/.exec(play.headers.get('rtp-info') ?? '');
    await sleep(650);
    expect((await client.request('GET_PARAMETER', cam.rtspUrl, { Session: session })).status).toBe(200);

    const packets = client.packets;
    expect(packets.length).toBeGreaterThan(20);
    expect(packets[0]?.seq).toBe(Number(rtpInfo?.[1]));
    expect(packets[0]?.timestamp).toBe(Number(rtpInfo?.[2]));
    for (const [i, p] of packets.entries()) {
      expect(p).toMatchObject({ channel: 0, version: 2, payloadType: 96, ssrc: packets[0]?.ssrc });
      if (i > 0) expect(p.seq).toBe(((packets[i - 1]?.seq ?? 0) + 1) & 0xffff);
    }
    // Parameter sets lead the IDR; the IDR is large enough to need FU-A fragments.
    expect(packets.slice(0, 3).map(nalType)).toEqual([7, 8, 5]);
    expect(packets.some((p) => ((p.payload[0] ?? 0) & 0x1f) === 28)).toBe(true);
    // Marker on the last packet of each access unit; timestamps step by 90000/fps between frames.
    for (let i = 0; i + 1 < packets.length; i++) {
      expect(packets[i]?.marker).toBe(packets[i]?.timestamp !== packets[i + 1]?.timestamp);
    }
    const frameStarts = packets.filter((_p, i) => i === 0 || packets[i - 1]?.marker);
    expect(frameStarts.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < frameStarts.length; i++) {
      expect(((frameStarts[i]?.timestamp ?? 0) - (frameStarts[i - 1]?.timestamp ?? 0)) >>> 0).toBe(9000);
    }

    expect((await client.request('TEARDOWN', cam.rtspUrl, { Session: session })).status).toBe(200);
    const countAfterTeardown = packets.length;
    await sleep(250);
    expect(packets.length).toBe(countAfterTeardown);
  });

  it('asks for Digest auth on DESCRIBE and 404s unknown cameras', async () => {
    client = new RawRtspClient(spec.username, 'wrong');
    await client.connect(cam.rtspUrl);
    const denied = await client.request('DESCRIBE', cam.rtspUrl);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Digest realm="/);
    const missing = await client.request('DESCRIBE', cam.rtspUrl.replace('/wire-1/', '/nobody/'));
    expect(missing.status).toBe(404);
  });

  it('a hang fault stalls a playing session without closing it', async () => {
    client = new RawRtspClient(spec.username, spec.password);
    await client.connect(cam.rtspUrl);
    await client.request('DESCRIBE', cam.rtspUrl);
    const setup = await client.request('SETUP', `${cam.rtspUrl}/track1`, {
      Transport: 'RTP/AVP/TCP;interleaved=0-1',
    });
    await client.request('PLAY', cam.rtspUrl, { Session: setup.headers.get('session')?.split(';')[0] ?? '' });
    await sleep(300);
    await fleet.setFault(spec.id, { kind: 'hang' });
    await sleep(150); // let bytes already written drain
    const stalledAt = client.packets.length;
    await sleep(400);
    expect(client.packets.length).toBe(stalledAt);
    await fleet.clearFault(spec.id);
    await sleep(1200); // resumes at the next IDR (one per second)
    const resumed = client.packets.slice(stalledAt);
    expect(resumed.length).toBeGreaterThan(0);
    expect(nalType(resumed[0] as RtpPacket)).toBe(7);
  });
});
