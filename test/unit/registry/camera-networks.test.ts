import { describe, expect, it } from 'vitest';
import {
  checkStreamAddress,
  hostAllowed,
  parseNetworkEntry,
  SOURCE_STREAM_SCHEMES,
} from '../../../src/registry/camera-networks.ts';

describe('camera networks', () => {
  it.each([
    ['10.20.0.0/24', { kind: 'range', family: 'ipv4', address: '10.20.0.0', prefix: 24 }],
    ['192.168.1.64', { kind: 'range', family: 'ipv4', address: '192.168.1.64', prefix: 32 }],
    ['fd00:1::/64', { kind: 'range', family: 'ipv6', address: 'fd00:1::', prefix: 64 }],
    ['Cam-Gateway.Penzance.example', { kind: 'host', name: 'cam-gateway.penzance.example' }],
  ])('parses %s', (entry, parsed) => {
    expect(parseNetworkEntry(entry)).toEqual(parsed);
  });

  it.each([
    ['0.0.0.0/0', /too wide/],
    ['10.0.0.0/7', /too wide/],
    ['::/0', /too wide/],
    ['10.0.0.0/33', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['host/24', /neither/],
    ['bad_host!', /neither/],
  ])('refuses %s', (entry, message) => {
    expect(() => parseNetworkEntry(entry)).toThrow(message);
  });

  it.each([
    ['10.20.0.7', ['10.20.0.0/24'], true],
    ['10.20.1.7', ['10.20.0.0/24'], false],
    ['fd00:1::5', ['fd00:1::/64'], true],
    ['fd00:2::5', ['fd00:1::/64'], false],
    ['cam.example', ['cam.example'], true],
    ['cam.example.evil', ['cam.example'], false],
    ['10.20.0.7', [], false],
    ['10.20.0.7', ['not a network', '10.20.0.0/24'], true],
  ])('host %s in %j: %s', (host, networks, allowed) => {
    expect(hostAllowed(host, networks)).toBe(allowed);
  });

  it.each([
    ['rtsp://10.20.0.7:554/live', true, null],
    ['rtsps://10.20.0.7/live', true, null],
    ['RTSP://10.20.0.7/live', true, null],
    ['rtsp://[fd00:1::5]:554/live', true, null],
    ['http://10.20.0.7/', false, 'STREAM_SCHEME'],
    ['file:///etc/passwd', false, 'STREAM_SCHEME'],
    ['rtmp://10.20.0.7/live', false, 'STREAM_SCHEME'],
    ['rtsp://user:pw@10.20.0.7/live', false, 'STREAM_URL_CREDENTIALS'],
    ['rtsp://10.99.0.7/live', false, 'STREAM_ADDRESS_NOT_REGISTERED'],
    ['rtsp://localhost/live', false, 'STREAM_ADDRESS_NOT_REGISTERED'],
    ['not a url', false, 'STREAM_URL_INVALID'],
  ])('stream address %s', (uri, ok, code) => {
    const result = checkStreamAddress(uri, ['10.20.0.0/24', 'fd00:1::/64']);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.code).toBe(code);
  });

  it.each([
    ['srt://10.20.0.7:9000', true, null],
    ['srt://10.20.0.7:9000?streamid=drone-1&latency=200&mode=caller', true, null],
    ['srt://10.20.0.7:9000?streamid=%23!%3A%3Ar%3Dlive%2Fdrone', true, null],
    // A site may never report SRT for a camera: only a registered source's address may be.
    ['srt://10.20.0.7:9000?passphrase=secret-secret', false, 'STREAM_URL_CREDENTIALS'],
    ['srt://10.20.0.7:9000?pbkeylen=16', false, 'STREAM_URL_CREDENTIALS'],
    ['srt://10.20.0.7:9000?mode=listener', false, 'STREAM_URL_INVALID'],
    ['srt://10.20.0.7:9000?mode=rendezvous', false, 'STREAM_URL_INVALID'],
    ['srt://10.20.0.7:9000?latency=soon', false, 'STREAM_URL_INVALID'],
    ['srt://10.20.0.7:9000?localport=9000', false, 'STREAM_URL_INVALID'],
    ['srt://10.20.0.7:9000/live', false, 'STREAM_URL_INVALID'],
    ['srt://10.20.0.7?streamid=x', false, 'STREAM_URL_INVALID'],
    ['srt://10.99.0.7:9000', false, 'STREAM_ADDRESS_NOT_REGISTERED'],
  ])("a source's SRT address %s", (uri, ok, code) => {
    const result = checkStreamAddress(uri, ['10.20.0.0/24'], SOURCE_STREAM_SCHEMES);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.code).toBe(code);
    expect(checkStreamAddress(uri, ['10.20.0.0/24']).ok).toBe(false);
  });
});
