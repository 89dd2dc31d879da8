import { describe, expect, it } from 'vitest';
import { EnvelopeFactory, validateEnvelope } from '../../../edge-agent/src/mqtt/envelope.ts';
import { decodeMessage } from '../../../src/messages.ts';
import { buildTopic, type PayloadOf, type TopicKind } from '../../../src/topics.ts';

const nowMs = Date.UTC(2025, 5, 30, 12, 0, 0);

const samples: { [K in TopicKind]: PayloadOf<K> } = {
  siteState: {
    state: 'online',
    agentVersion: '0.1.0',
    startedAt: new Date(nowMs).toISOString(),
    cameraCount: 2,
  },
  inventory: {
    siteName: 'Site A',
    councilId: 'council-a',
    hubId: 'hub-a',
    cameras: [
      {
        id: 'cam-1',
        name: 'Camera 1',
        commissioning: {
          location: { lat: 50, lon: -5 },
          bearingDeg: 10,
          hfovDeg: 60,
          designDistanceM: 20,
          purpose: 'observe',
        },
      },
    ],
  },
  health: {
    cameraId: 'cam-1',
    state: 'degraded',
    reasons: [{ code: 'clock_offset', message: 'clock offset +10 s exceeds 5 s (fail limit)' }],
    responseMs: 12,
    clock: {
      offsetMs: 10_021,
      roundTripMs: 12,
      dateTimeType: 'NTP',
      timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
      daylightSavings: true,
    },
    device: { manufacturer: 'Acme', model: 'X', firmwareVersion: '1', serialNumber: 'S', hardwareId: 'H' },
    image: { meanLuma: 120, lumaStdDev: 40, blank: false, dark: false },
  },
  stream: {
    cameraId: 'cam-1',
    uri: 'rtsp://127.0.0.1:8554/cam-1',
    codec: 'h264',
    width: 320,
    height: 240,
    fps: 10,
    bitrateKbps: 310.5,
    declared: { token: 'main', encoding: 'H264', width: 320, height: 240, fps: 10, bitrateKbps: 300 },
    probeMs: 2100,
  },
  event: {
    cameraId: 'cam-1',
    type: 'video_loss',
    active: true,
    source: 'agent/stream-probe',
    detail: 'no video',
  },
  gap: {
    cameraId: 'cam-1',
    from: '2025-06-30T08:00:00.000Z',
    to: '2025-06-30T09:59:50.000Z',
    dropped: { health: 720, stream: 120 },
  },
  recording: {
    cameraId: 'cam-1',
    source: 'recorder',
    recorderId: 'nvr-1',
    recordingToken: 'REC_CH1',
    daysRetained: 31,
    earliestAt: '2025-05-30T09:00:00.000Z',
    latestAt: '2025-06-30T11:59:58.000Z',
    status: 'Recording',
  },
  commissioning: {
    cameraId: 'cam-1',
    by: 'J. Installer',
    commissioning: {
      location: { lat: 50.118, lon: -5.537 },
      bearingDeg: 90,
      hfovDeg: 60,
      designDistanceM: 20,
      purpose: 'observe',
    },
    measured: {
      stream: { codec: 'h264', width: 1920, height: 1080, fps: 25, bitrateKbps: 4000 },
      clockOffsetMs: 120,
      device: null,
      referenceFrameSha256: null,
    },
  },
  telemetry: {
    sourceId: 'drone-1',
    at: new Date(nowMs - 1500).toISOString(),
    lat: 50.1,
    lon: -5.5,
    altitudeM: 60,
    headingDeg: 90,
    gimbalPitchDeg: 45,
    gimbalBearingDeg: 90,
    hfovDeg: 70,
    vfovDeg: 45,
    speedMps: 8,
    batteryPct: 80,
    linkQualityPct: 95,
    sig: 'A'.repeat(43),
  },
};

describe('outgoing envelopes', () => {
  it.each(Object.keys(samples) as TopicKind[])('%s validates and decodes as the hub would', (kind) => {
    const factory = new EnvelopeFactory('site-a', () => nowMs);
    const envelope = factory.wrap(samples[kind], nowMs - 1500);
    expect(validateEnvelope(kind, envelope)).toMatchObject({ ok: true });
    const topic = buildTopic(kind, { siteId: 'site-a', cameraId: 'cam-1', sourceId: 'drone-1' });
    const decoded = decodeMessage(topic, Buffer.from(JSON.stringify(envelope)), 65_536);
    expect(decoded.ok).toBe(true);
    expect(envelope.observedAt).toBe('2025-06-30T11:59:58.500Z');
  });

  it('seq starts from the start time in microseconds and only increases', () => {
    let t = nowMs;
    const factory = new EnvelopeFactory('site-a', () => t);
    const a = factory.wrap(samples.siteState, t).seq;
    t += 5_000;
    const b = factory.wrap(samples.siteState, t).seq;
    expect(a).toBe(nowMs * 1000);
    expect(b).toBe(a + 1);
    // A restart a moment later starts above everything the previous run could have sent in that moment.
    const restarted = new EnvelopeFactory('site-a', () => nowMs + 1).wrap(samples.siteState, nowMs).seq;
    expect(restarted).toBeGreaterThan(a);
    expect(restarted).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });

  it('msgIds are unique and match the schema pattern', () => {
    const factory = new EnvelopeFactory('site-a', () => nowMs);
    const ids = new Set(Array.from({ length: 100 }, () => factory.wrap(samples.siteState, nowMs).msgId));
    expect(ids.size).toBe(100);
  });

  it('rejects a payload that breaks the schema, saying where', () => {
    const bad = new EnvelopeFactory('site-a', () => nowMs).wrap(
      { ...samples.health, state: 'sideways' },
      nowMs,
    );
    const result = validateEnvelope('health', bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe('/payload/state');
  });
});
