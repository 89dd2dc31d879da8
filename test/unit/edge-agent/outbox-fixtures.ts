import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EnvelopeFactory } from '../../../edge-agent/src/mqtt/envelope.ts';
import { Outbox, type OutboxOptions } from '../../../edge-agent/src/outbox/outbox.ts';
import type { OutboxEnvelope, OutboxKind } from '../../../edge-agent/src/outbox/record.ts';
import type { CameraEventPayload, HealthPayload, StreamPayload } from '../../../src/schemas/payloads.ts';

export const SITE = 'penzance-town-centre';

/** A camera id as long as the demo fleet's and real sites' (town, place, number). */
export function cameraId(i: number): string {
  return `penzance-market-jew-st-${String(i).padStart(2, '0')}`;
}

/**
 * A health sample as an agent sends it every poll from a camera that answers: clock reading, device
 * information and the last image check (values as real cameras report them).
 */
export function healthPayload(camera: string, i = 0): HealthPayload {
  return {
    cameraId: camera,
    state: 'up',
    reasons: [],
    responseMs: 38.4 + (i % 17),
    clock: {
      offsetMs: -212.5 + (i % 23),
      roundTripMs: 38.4 + (i % 17),
      dateTimeType: 'NTP',
      timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
      daylightSavings: false,
    },
    device: {
      manufacturer: 'HIKVISION',
      model: 'DS-2CD2T47G2-L',
      firmwareVersion: 'V5.7.3 build 220112',
      serialNumber: 'DS-2CD2T47G2-L20220308AAWRJ96204318',
      hardwareId: '88',
    },
    image: { meanLuma: 118.62, lumaStdDev: 47.91, blank: false, dark: false },
  };
}

/** A degraded camera's sample carries reasons too: the larger record. */
export function degradedHealthPayload(camera: string, i = 0): HealthPayload {
  return {
    ...healthPayload(camera, i),
    state: 'degraded',
    reasons: [
      { code: 'clock_offset', message: 'clock offset +7.3 s exceeds 5 s (fail limit)' },
      { code: 'low_fps', message: 'stream runs at 4.8 fps, below 6 fps' },
    ],
  };
}

export function streamPayload(camera: string, i = 0): StreamPayload {
  return {
    cameraId: camera,
    uri: 'rtsp://192.0.2.41:554/Streaming/Channels/101',
    codec: 'h264',
    width: 2688,
    height: 1520,
    fps: 24.8 + (i % 3) / 10,
    bitrateKbps: 4012.6 + (i % 50),
    declared: { token: 'Profile_1', encoding: 'H264', width: 2688, height: 1520, fps: 25, bitrateKbps: 4096 },
    probeMs: 2143 + (i % 100),
  };
}

export function eventPayload(camera: string): CameraEventPayload {
  return {
    cameraId: camera,
    type: 'video_loss',
    active: true,
    source: 'agent/stream-probe',
    detail: 'ffprobe read no video packets within 2 s',
  };
}

export interface Harness {
  dir: string;
  clock: { nowMs: number };
  envelopes: EnvelopeFactory;
  logs: { msg: string; [key: string]: unknown }[];
  open: (options?: Partial<OutboxOptions>) => Promise<Outbox>;
  envelope: (kind: OutboxKind, camera: string, i?: number) => OutboxEnvelope;
  cleanup: () => Promise<void>;
}

/** A temporary outbox directory, a fake clock and a logger that keeps every line. */
export async function harness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'cctv-outbox-'));
  const clock = { nowMs: Date.UTC(2025, 0, 15, 8, 0, 0) };
  const now = () => clock.nowMs;
  const envelopes = new EnvelopeFactory(SITE, now);
  const logs: Harness['logs'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const payloadOf = (kind: OutboxKind, camera: string, i: number) => {
    if (kind === 'health') return healthPayload(camera, i);
    if (kind === 'stream') return streamPayload(camera, i);
    if (kind === 'event') return eventPayload(camera);
    throw new Error('gap records are made by the outbox');
  };
  return {
    dir,
    clock,
    envelopes,
    logs,
    open: async (options = {}) => {
      const outbox = new Outbox({
        dir,
        siteId: SITE,
        maxBytes: 64 * 1024 * 1024,
        now,
        wrapGap: (payload, atMs) => envelopes.wrap(payload, atMs),
        logger,
        ...options,
      });
      await outbox.open();
      return outbox;
    },
    envelope: (kind, camera, i = 0) =>
      envelopes.wrap(payloadOf(kind, camera, i), clock.nowMs) as OutboxEnvelope,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Takes everything queued, in order (as the sender would, without sending). */
export async function takeAll(outbox: Outbox) {
  const out = [];
  for (;;) {
    const batch = await outbox.take(100);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}
