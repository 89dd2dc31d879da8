import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import { probeArgs, withCredentials } from '../../../edge-agent/src/media/probe.ts';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';

describe('URL credentials', () => {
  it.each([
    ['rtsp://admin:s3cret@10.0.0.5:554/Streaming/101', 'rtsp://10.0.0.5:554/Streaming/101'],
    ['rtsp://admin@10.0.0.5/live', 'rtsp://10.0.0.5/live'],
    ['http://10.0.0.5/onvif/device_service', 'http://10.0.0.5/onvif/device_service'],
    ['failed to open rtsp://u:p%40ss@host/x: 401', 'failed to open rtsp://host/x: 401'],
  ])('strips %s', (raw, clean) => {
    expect(stripUrlCredentials(raw)).toBe(clean);
  });

  it('inserts encoded credentials only for the probe', () => {
    const url = withCredentials('rtsp://127.0.0.1:8554/cam-1', 'view er', 'p@ss:w/rd');
    expect(url).toBe('rtsp://view%20er:p%40ss%3Aw%2Frd@127.0.0.1:8554/cam-1');
    expect(stripUrlCredentials(url)).toBe('rtsp://127.0.0.1:8554/cam-1');
  });

  it('errors never carry credentials in message or context', () => {
    const error = new AgentError('stream_error', 'ffprobe: rtsp://admin:hunter2@cam/live: 401', {
      cameraId: 'cam-1',
      url: 'rtsp://admin:hunter2@cam/live',
    });
    expect(JSON.stringify(error.toLog())).not.toContain('hunter2');
  });

  it('always bounds RTSP probes', () => {
    const args = probeArgs('rtsp://127.0.0.1/cam', 10_000, 2_000);
    const joined = args.join(' ');
    expect(joined).toContain('-rtsp_transport tcp -timeout 10000000');
    expect(joined).toContain('-analyzeduration 300000 -probesize 65536');
    expect(joined).toContain('-read_intervals %+2.000');
  });

  it('bounds SRT probes and passes the passphrase as an option, never in the address', () => {
    const args = probeArgs('srt://127.0.0.1:9000?streamid=d1', 10_000, 2_000, 'a-passphrase-1');
    expect(args.join(' ')).toContain('-connect_timeout 10000 -timeout 10000000 -passphrase a-passphrase-1');
    expect(args.at(-1)).toBe('srt://127.0.0.1:9000?streamid=d1');
    expect(probeArgs('srt://127.0.0.1:9000', 10_000, 2_000)).not.toContain('-passphrase');
  });
});
