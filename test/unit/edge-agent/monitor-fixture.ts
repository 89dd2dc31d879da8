import { pino } from 'pino';
import { CameraMonitor, type CameraMonitorOptions } from '../../../edge-agent/src/camera-monitor.ts';
import type { OnvifCamera } from '../../../edge-agent/src/onvif/device-client.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';

export const agentDefaults = defaultsOf(AgentConfig) as AgentConfig;

/** One camera at the agent's defaults, for unit tests of CameraMonitor. */
export const testCamera = {
  id: 'cam-1',
  name: 'Camera 1',
  onvif: { url: 'http://127.0.0.1:9/onvif/device_service', username: 'admin', password: 'x' },
  commissioning: {
    location: { lat: 50.1, lon: -5.5 },
    bearingDeg: 0,
    hfovDeg: 60,
    designDistanceM: 20,
    purpose: 'observe' as const,
  },
};

/** A monitor of testCamera over the given ONVIF answers, silent, with the agent's default settings. */
export function testMonitor(onvif: OnvifCamera, extra: Partial<CameraMonitorOptions> = {}): CameraMonitor {
  return new CameraMonitor({
    siteId: 'site-1',
    camera: testCamera,
    password: 'x',
    poll: agentDefaults.poll,
    thresholds: agentDefaults.thresholds,
    media: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' },
    onvif,
    now: () => Date.now(),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    ...extra,
  });
}
