import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/messages.ts';
import type { HealthPayload } from '../../src/schemas/payloads.ts';

const health: HealthPayload = {
  cameraId: 'cam-1',
  state: 'up',
  reasons: [],
  responseMs: 10,
  clock: null,
  device: null,
  image: null,
};
const envelope = (over: Record<string, unknown> = {}, payload: unknown = health) => ({
  v: 1,
  msgId: '0b6f7c1e-2f7a-4c55-9b8e-6a1c1c1d2e3f',
  siteId: 'site-a',
  seq: 1,
  observedAt: '2026-03-29T00:59:59.500Z',
  payload,
  ...over,
});
const topic = 'cctv/v1/site/site-a/camera/cam-1/health';
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeMessage', () => {
  it('accepts a valid health message', () => {
    const result = decodeMessage(topic, bytes(envelope()), 65536);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.message.kind).toBe('health');
      expect(result.message.cameraId).toBe('cam-1');
    }
  });

  it('accepts a gap message and refuses one without drop counts or for another camera', () => {
    const gapTopic = 'cctv/v1/site/site-a/camera/cam-1/gap';
    const gap = {
      cameraId: 'cam-1',
      from: '2026-03-28T23:00:00.000Z',
      to: '2026-03-29T00:59:50.000Z',
      dropped: { health: 720, stream: 120 },
    };
    const ok = decodeMessage(gapTopic, bytes(envelope({}, gap)), 65536);
    expect(ok.ok && ok.message.kind).toBe('gap');
    const bad = decodeMessage(gapTopic, bytes(envelope({}, { ...gap, dropped: 840 })), 65536);
    expect(bad.ok ? null : bad.rejection).toMatchObject({ code: 'BAD_SCHEMA', path: '/payload/dropped' });
    const other = decodeMessage(gapTopic, bytes(envelope({}, { ...gap, cameraId: 'cam-2' })), 65536);
    expect(other.ok ? null : other.rejection.code).toBe('CAMERA_MISMATCH');
  });

  it.each([
    ['year 1', '0001-01-01T00:00:00.000Z'],
    ['before 2000', '1999-12-31T23:59:59.000Z'],
    ['year 10000 shape', '+10000-01-01T00:00:00.000Z'],
    ['after 2099', '2100-01-01T00:00:00.000Z'],
    ['a day February does not have', '2026-02-30T00:00:00.000Z'],
    ['month 13', '2026-13-01T00:00:00.000Z'],
    ['hour 24', '2026-03-01T24:00:00.000Z'],
  ])('refuses an observedAt in %s with the field named', (_label, observedAt) => {
    const result = decodeMessage(topic, bytes(envelope({ observedAt })), 65536);
    expect(result.ok ? null : result.rejection).toMatchObject({ code: 'BAD_SCHEMA', path: '/observedAt' });
  });

  it('refuses a gap whose range starts in year 1', () => {
    const gap = {
      cameraId: 'cam-1',
      from: '0001-01-01T00:00:00.000Z',
      to: '2026-03-29T00:59:50.000Z',
      dropped: { health: 1, stream: 0 },
    };
    const result = decodeMessage('cctv/v1/site/site-a/camera/cam-1/gap', bytes(envelope({}, gap)), 65536);
    expect(result.ok ? null : result.rejection).toMatchObject({ code: 'BAD_SCHEMA', path: '/payload/from' });
  });

  it.each([
    ['oversized payload', topic, bytes(envelope()), 50, 'TOO_LARGE', '/'],
    ['malformed JSON', topic, bytes('{"v":1,'), 65536, 'BAD_JSON', '/'],
    ['JSON that is not an object', topic, bytes('42'), 65536, 'BAD_SCHEMA', '/'],
    ['unknown field in envelope', topic, bytes(envelope({ extra: 1 })), 65536, 'BAD_SCHEMA', '/extra'],
    ['wrong protocol version', topic, bytes(envelope({ v: 2 })), 65536, 'BAD_SCHEMA', '/v'],
    [
      'bad state',
      topic,
      bytes(envelope({}, { ...health, state: 'sideways' })),
      65536,
      'BAD_SCHEMA',
      '/payload/state',
    ],
    [
      'bad timestamp',
      topic,
      bytes(envelope({ observedAt: 'yesterday' })),
      65536,
      'BAD_SCHEMA',
      '/observedAt',
    ],
    ['negative seq', topic, bytes(envelope({ seq: -1 })), 65536, 'BAD_SCHEMA', '/seq'],
    [
      'site in topic differs',
      'cctv/v1/site/site-b/camera/cam-1/health',
      bytes(envelope()),
      65536,
      'SITE_MISMATCH',
      '/siteId',
    ],
    [
      'camera in topic differs',
      'cctv/v1/site/site-a/camera/cam-2/health',
      bytes(envelope()),
      65536,
      'CAMERA_MISMATCH',
      '/payload/cameraId',
    ],
    ['unknown topic', 'cctv/v1/site/site-a/camera/cam-1/selfie', bytes(envelope()), 65536, 'BAD_TOPIC', '/'],
    [
      'prototype pollution attempt',
      topic,
      bytes('{"__proto__":{"x":1},"v":1}'),
      65536,
      'BAD_SCHEMA',
      '/msgId',
    ],
  ])('rejects %s', (_name, t, raw, max, code, path) => {
    const result = decodeMessage(t, raw, max);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.rejection.code).toBe(code);
      expect(result.rejection.path).toBe(path);
      expect(result.rejection.message.length).toBeGreaterThan(5);
    }
  });
});

describe('decodeMessage: text a database cannot store', () => {
  it.each([
    [
      'a NUL in a string',
      { ...health, reasons: [{ code: 'low_fps', message: 'fps\u0000low' }] },
      '/payload/reasons/0/message',
    ],
    [
      'an unpaired high surrogate',
      { ...health, reasons: [{ code: 'low_fps', message: 'x\ud800y' }] },
      '/payload/reasons/0/message',
    ],
    [
      'an unpaired low surrogate',
      { ...health, reasons: [{ code: 'low_fps', message: '\udc00' }] },
      '/payload/reasons/0/message',
    ],
  ])('rejects %s with BAD_TEXT and its path', (_name, payload, path) => {
    const result = decodeMessage(topic, bytes(envelope({}, payload)), 65_536);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection).toMatchObject({ code: 'BAD_TEXT', path });
  });

  it('rejects a NUL in a key, and nesting no message needs', () => {
    const key = decodeMessage(topic, bytes(envelope({ 'a\u0000': 1 })), 65_536);
    expect(!key.ok && key.rejection.code).toBe('BAD_TEXT');
    // The path names the key, '/' and '~' escaped as a JSON pointer does.
    const inner = decodeMessage(topic, bytes(envelope({ 'a/b~': [0, { 'c\u0000': 1 }] })), 65_536);
    expect(!inner.ok && inner.rejection).toMatchObject({ code: 'BAD_TEXT', path: '/a~1b~0/1/c\u0000' });
    const deep = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`;
    const nested = decodeMessage(topic, bytes(deep), 65_536);
    expect(!nested.ok && nested.rejection).toMatchObject({ code: 'BAD_TEXT' });
  });

  it('keeps proper astral characters (surrogate pairs)', () => {
    const payload = { ...health, reasons: [{ code: 'low_fps', message: 'camera \ud83d\udcf7 ok' }] };
    expect(decodeMessage(topic, bytes(envelope({}, payload)), 65_536).ok).toBe(true);
  });
});

describe('decodeMessage: text from sites is plain text', () => {
  const ESC = '\u001b';
  const decode = (kind: string, payload: unknown, cameraId: string | null = 'cam-1') => {
    const t = cameraId ? `cctv/v1/site/site-a/camera/${cameraId}/${kind}` : `cctv/v1/site/site-a/${kind}`;
    return decodeMessage(t, bytes(envelope({}, payload)), 65_536);
  };
  const commissioning = {
    location: { lat: 50.1, lon: -5.5 },
    bearingDeg: 90,
    hfovDeg: 60,
    designDistanceM: 20,
    purpose: 'observe',
  };

  it('cleans names in an inventory (RLO, terminal escapes)', () => {
    const result = decode(
      'inventory',
      {
        siteName: `Bude${ESC}[2J${ESC}[H town\u202e`,
        councilId: 'council-a',
        hubId: 'hub-a',
        cameras: [{ id: 'cam-1', name: 'evidence-\u202e4pm.exe', commissioning }],
      },
      null,
    );
    expect(result.ok).toBe(true);
    if (!result.ok || result.message.kind !== 'inventory') return;
    expect(result.message.envelope.payload.siteName).toBe('Bude town');
    expect(result.message.envelope.payload.cameras[0]?.name).toBe('evidence-4pm.exe');
  });

  it('cleans reasons, device information and the clock time zone of a health sample', () => {
    const result = decode('health', {
      ...health,
      state: 'degraded',
      reasons: [{ code: 'low_fps', message: `fps low${ESC}]0;owned\u0007\r\nFAKE LINE` }],
      clock: {
        offsetMs: 1,
        roundTripMs: 2,
        dateTimeType: 'NTP',
        timeZone: 'GMT0\u2066BST',
        daylightSavings: true,
      },
      device: {
        manufacturer: 'Acme\u0085',
        model: 'X\u200f1',
        firmwareVersion: `1.0${ESC}c`,
        serialNumber: 'S\u007fN',
        hardwareId: '\u009b31mH',
      },
    });
    expect(result.ok).toBe(true);
    if (!result.ok || result.message.kind !== 'health') return;
    const p = result.message.envelope.payload;
    expect(p.reasons[0]?.message).toBe('fps low  FAKE LINE');
    expect(p.clock?.timeZone).toBe('GMT0BST');
    expect(p.device).toEqual({
      manufacturer: 'Acme ',
      model: 'X1',
      firmwareVersion: '1.0',
      serialNumber: 'SN',
      hardwareId: 'H',
    });
  });

  it('accepts stream samples with and without repeatedPackets (older agents omit it)', () => {
    const sample = {
      cameraId: 'cam-1',
      uri: 'rtsp://10.0.0.5/stream',
      codec: 'h264',
      width: 1920,
      height: 1080,
      fps: 15,
      bitrateKbps: 1026,
      declared: null,
      probeMs: 10,
    };
    expect(decode('stream', sample).ok).toBe(true);
    expect(decode('stream', { ...sample, repeatedPackets: 31 }).ok).toBe(true);
    expect(decode('stream', { ...sample, repeatedPackets: -1 }).ok).toBe(false);
  });

  it('cleans stream and event text, and the agent clock detail of a site state', () => {
    const stream = decode('stream', {
      cameraId: 'cam-1',
      uri: 'rtsp://10.0.0.5/\u202estream',
      codec: `h264${ESC}[8m`,
      width: 1920,
      height: 1080,
      fps: 25,
      bitrateKbps: null,
      declared: {
        token: 'p\u0007rofile',
        encoding: 'H264',
        width: 1920,
        height: 1080,
        fps: 25,
        bitrateKbps: null,
      },
      probeMs: 10,
    });
    expect(stream.ok && stream.message.kind === 'stream' && stream.message.envelope.payload).toMatchObject({
      uri: 'rtsp://10.0.0.5/stream',
      codec: 'h264',
      declared: { token: 'profile' },
    });
    const event = decode('event', {
      cameraId: 'cam-1',
      type: 'tamper',
      active: true,
      source: 'tns1:\u2067VideoSource',
      detail: `moved${ESC}P+q${ESC}\\ now`,
    });
    expect(event.ok && event.message.kind === 'event' && event.message.envelope.payload).toMatchObject({
      source: 'tns1:VideoSource',
      detail: 'moved now',
    });
    const state = decode(
      'state',
      {
        state: 'online',
        agentVersion: '1.2\u202e',
        agentClock: {
          synchronized: true,
          source: 'chrony',
          offsetMs: 1,
          maxErrorMs: 1,
          checkedAt: '2026-03-29T00:59:59Z',
          detail: 'a\u0008b',
        },
      },
      null,
    );
    expect(state.ok && state.message.kind === 'siteState' && state.message.envelope.payload).toMatchObject({
      agentVersion: '1.2',
      agentClock: { detail: 'ab' },
    });
  });

  it('keeps ids exact: an id with a control character is still refused, not cleaned into a valid one', () => {
    const result = decode('health', { ...health, cameraId: 'cam\u202e-1' });
    expect(result.ok ? null : result.rejection).toMatchObject({
      code: 'BAD_SCHEMA',
      path: '/payload/cameraId',
    });
  });

  it('refuses a name that is nothing but control characters, naming the field', () => {
    const result = decode(
      'inventory',
      { siteName: '\u202e\u202d', councilId: 'council-a', hubId: 'hub-a', cameras: [] },
      null,
    );
    expect(result.ok ? null : result.rejection).toMatchObject({
      code: 'BAD_TEXT',
      path: '/payload/siteName',
    });
  });

  it('stays within maxLength: a 200-character name with controls is shorter, never longer', () => {
    const name = `${'n\u202e'.repeat(100)}`;
    const result = decode(
      'inventory',
      { siteName: name, councilId: 'council-a', hubId: 'hub-a', cameras: [] },
      null,
    );
    expect(result.ok && result.message.kind === 'inventory' && result.message.envelope.payload.siteName).toBe(
      'n'.repeat(100),
    );
  });
});
