import { describe, expect, it } from 'vitest';
import { admit } from '../../../hub-server/src/ingest/admission.ts';
import type { DecodedMessage } from '../../../src/messages.ts';
import type { RecordingPayload } from '../../../src/schemas/payloads.ts';

const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 2, 10, 12, 0, 0);

const site = {
  id: 'site-a',
  name: 'Site A',
  councilId: 'council-a',
  hubId: 'hub-a',
  registeredAtMs: NOW_MS - 5 * DAY_MS,
  cameraNetworks: ['127.0.0.1/32'],
  expectedCameras: new Set(['cam-1']),
  maxCameras: null,
};

function message(payload: Partial<RecordingPayload>, observedAtMs = NOW_MS - 60_000): DecodedMessage {
  return {
    kind: 'recording',
    siteId: 'site-a',
    cameraId: 'cam-1',
    sourceId: null,
    envelope: {
      v: 1,
      msgId: '018f0000-0000-7000-8000-000000000001',
      siteId: 'site-a',
      seq: 1,
      observedAt: new Date(observedAtMs).toISOString(),
      payload: {
        cameraId: 'cam-1',
        source: 'recorder',
        recorderId: 'nvr-1',
        recordingToken: 'REC_CH1',
        daysRetained: 31,
        earliestAt: new Date(observedAtMs - 31.5 * DAY_MS).toISOString(),
        latestAt: new Date(observedAtMs - 1000).toISOString(),
        ...payload,
      },
    },
  };
}

const ctx = {
  site,
  receivedAtMs: NOW_MS,
  retained: false,
  replayHorizonMs: 31 * DAY_MS,
  futureToleranceMs: 300_000,
  maxCamerasPerSite: 500,
};

describe('retention readings a site may assert', () => {
  it('admits a reading whose days follow from its oldest recording, even one older than the site', () => {
    expect(admit(message({}), ctx)).toBeNull();
  });

  it('refuses days that the oldest recording does not give', () => {
    const refusal = admit(message({ daysRetained: 45 }), ctx);
    expect(refusal).toMatchObject({ code: 'RETENTION_INCONSISTENT', path: '/payload/daysRetained' });
    expect(refusal?.message).toMatch(/45 days claimed, but the oldest recording .* is 31 whole days/);
  });

  it('refuses a newest recording after the reading or before the oldest one', () => {
    const atMs = NOW_MS - 60_000;
    expect(admit(message({ latestAt: new Date(atMs + 3_600_000).toISOString() }, atMs), ctx)).toMatchObject({
      code: 'RETENTION_INCONSISTENT',
      path: '/payload/latestAt',
    });
    expect(admit(message({ latestAt: new Date(atMs - 40 * DAY_MS).toISOString() }, atMs), ctx)).toMatchObject(
      {
        code: 'RETENTION_INCONSISTENT',
      },
    );
  });

  it('bounds the reading time like any observation', () => {
    expect(admit(message({}, NOW_MS - 6 * DAY_MS), ctx)).toMatchObject({
      code: 'OBSERVED_BEFORE_REGISTRATION',
    });
    expect(admit(message({}, NOW_MS + 3_600_000), ctx)).toMatchObject({ code: 'OBSERVED_IN_FUTURE' });
  });
});
