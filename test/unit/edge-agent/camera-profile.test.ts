import { describe, expect, it } from 'vitest';
import { cameraProfile, type OnvifMediaProfile } from '../../../edge-agent/src/onvif/device-client.ts';

const profile = (token: string, sourceToken: string): OnvifMediaProfile => ({
  token,
  name: token,
  encoding: 'H264',
  width: 1920,
  height: 1080,
  fpsLimit: 25,
  bitrateLimitKbps: 4096,
  streamUri: `rtsp://192.0.2.10/${token}`,
  snapshotUri: null,
  sourceToken,
});

describe('the profile a camera is judged by', () => {
  const recorder = [profile('ch1-main', 'vs1'), profile('ch1-sub', 'vs1'), profile('ch2-main', 'vs2')];

  it("is the device's first profile when the config names none", () => {
    expect(cameraProfile(recorder, undefined)?.token).toBe('ch1-main');
    expect(cameraProfile([], undefined)).toBeNull();
  });

  it("is the named one for a recorder's channel, wherever the device lists it", () => {
    expect(cameraProfile(recorder, 'ch2-main')?.streamUri).toBe('rtsp://192.0.2.10/ch2-main');
  });

  it('is none when the named profile is not on the device (never another channel in its place)', () => {
    expect(cameraProfile(recorder, 'ch9-main')).toBeNull();
  });
});
