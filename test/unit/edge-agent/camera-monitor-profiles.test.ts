import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import type { StreamProbe } from '../../../edge-agent/src/media/probe.ts';
import type { StreamProber } from '../../../edge-agent/src/media/probe-batch.ts';
import type { DeviceReading, OnvifCamera } from '../../../edge-agent/src/onvif/device-client.ts';
import { agentDefaults, testMonitor } from './monitor-fixture.ts';

// A camera whose ONVIF service fails part-way through a device read (a reset connection) while its
// video may still flow: the agent keeps probing the stream it last read, so the video's own evidence
// (its figures, or its loss) is not lost with the ONVIF answer.

const STREAM = 'rtsp://127.0.0.1:8554/cam-1/main';

const reading: DeviceReading = {
  device: {
    manufacturer: 'Acme',
    model: 'Dome 4',
    firmwareVersion: '1.0',
    serialNumber: 'SN1',
    hardwareId: 'HW1',
  },
  profiles: [
    {
      token: 'main',
      name: 'Main',
      encoding: 'H264',
      width: 1920,
      height: 1080,
      fpsLimit: 25,
      bitrateLimitKbps: 4000,
      streamUri: STREAM,
      snapshotUri: null,
    },
  ],
};

const probed: StreamProbe = {
  uri: STREAM,
  codec: 'h264',
  width: 1920,
  height: 1080,
  fps: 25,
  bitrateKbps: 3900,
  packetCount: 50,
  repeatedPackets: 0,
  probeMs: 40,
};

function setUp() {
  const device = { fail: false };
  const video = { flowing: true };
  const probes: string[] = [];
  const onvif: OnvifCamera = {
    readClock: async () => ({
      offsetMs: 0,
      roundTripMs: 3,
      dateTimeType: 'NTP',
      timeZone: agentDefaults.thresholds.expectedTimeZone,
      daylightSavings: false,
    }),
    readDevice: async () => {
      if (device.fail) throw new AgentError('unreachable', 'read ECONNRESET');
      return reading;
    },
  };
  const prober = {
    probe: async (request: { streamUri: string }) => {
      probes.push(request.streamUri);
      if (!video.flowing) throw new AgentError('stream_error', 'RTSP DESCRIBE: connection refused');
      return probed;
    },
  } as unknown as StreamProber;
  const monitor = testMonitor(onvif, { prober });
  return { monitor, device, video, probes };
}

describe('CameraMonitor after a failed device read', () => {
  it('takes no probe before any device read has given the profiles', async () => {
    const { monitor, probes } = setUp();
    expect(await monitor.probe()).toBeNull();
    expect(probes).toEqual([]);
  });

  it('is down, and keeps probing the stream it last read', async () => {
    const { monitor, device, probes } = setUp();
    expect((await monitor.poll()).payload.state).toBe('up');
    expect((await monitor.probe())?.ok).toBe(true);

    device.fail = true;
    const { payload } = await monitor.poll();
    expect(payload.state).toBe('down');
    expect(payload.reasons[0]).toMatchObject({ code: 'unreachable', message: 'read ECONNRESET' });
    expect(payload.device).toBeNull();

    const outcome = await monitor.probe();
    expect(outcome).not.toBeNull();
    expect(outcome?.ok).toBe(true);
    expect(outcome?.stream?.payload).toMatchObject({ uri: STREAM, width: 1920, fps: 25 });
    expect(probes).toEqual([STREAM, STREAM]);
  });

  it('raises video loss when the stream stops while the device read fails, and clears it after', async () => {
    const { monitor, device, video } = setUp();
    await monitor.poll();
    await monitor.probe();

    device.fail = true;
    video.flowing = false;
    await monitor.poll();
    const lost = await monitor.probe();
    expect(lost?.ok).toBe(false);
    expect(lost?.events.map((e) => e.payload)).toEqual([
      expect.objectContaining({
        type: 'video_loss',
        active: true,
        detail: 'RTSP DESCRIBE: connection refused',
      }),
    ]);

    device.fail = false;
    video.flowing = true;
    await monitor.poll();
    const back = await monitor.probe();
    expect(back?.events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ type: 'video_loss', active: false }),
    ]);
    expect((await monitor.poll()).payload.state).toBe('up');
  });
});
