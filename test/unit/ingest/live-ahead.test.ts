import { describe, expect, it } from 'vitest';
import { LiveAhead } from '../../../hub-server/src/ingest/live-ahead.ts';
import { FleetState } from '../../../hub-server/src/state/fleet-state.ts';
import type { DecodedMessage } from '../../../src/messages.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import type { HealthPayload } from '../../../src/schemas/payloads.ts';

// The decision to push a camera's change before its batch commits: the batch's own rules, on the
// stored state plus what was pushed ahead; nothing where the batch would refuse or ignore the sample.

const NOW_MS = Date.UTC(2026, 11, 6, 12, 0, 0);
let seq = 0;

function fleetWith(...cameras: Partial<CameraView>[]): FleetState {
  const fleet = new FleetState();
  fleet.registry.set('site-a', {
    id: 'site-a',
    name: 'Site A',
    councilId: 'council-a',
    hubId: 'hub-a',
    registeredAtMs: NOW_MS - 86_400_000,
    cameraNetworks: ['127.0.0.1/32'],
    expectedCameras: new Set(),
    maxCameras: null,
  });
  for (const c of cameras) {
    const view: CameraView = {
      id: 'cam-1',
      name: 'Camera 1',
      siteId: 'site-a',
      councilId: 'council-a',
      hubId: 'hub-a',
      state: 'up',
      stateSince: new Date(NOW_MS - 600_000).toISOString(),
      lastSeenAt: new Date(NOW_MS - 10_000).toISOString(),
      reasons: [],
      location: { type: 'Point', coordinates: [-5.5, 50.1] },
      bearingDeg: 90,
      hfovDeg: 60,
      designDistanceM: 30,
      purpose: 'observe',
      approval: 'approved',
      ...c,
    };
    fleet.cameras.set(view.id, view);
  }
  return fleet;
}

function healthMessage(
  cameraId: string,
  state: HealthPayload['state'],
  observedAtMs: number,
  siteId = 'site-a',
  reasons: HealthPayload['reasons'] = [],
): DecodedMessage {
  seq++;
  return {
    kind: 'health',
    siteId,
    cameraId,
    sourceId: null,
    envelope: {
      v: 1,
      msgId: `018f0000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
      siteId,
      seq,
      observedAt: new Date(observedAtMs).toISOString(),
      payload: { cameraId, state, reasons, responseMs: 10, clock: null, device: null, image: null },
    },
  } as DecodedMessage;
}

function harness(fleet: FleetState) {
  const ahead: CameraView[] = [];
  const settled: CameraView[] = [];
  const live = new LiveAhead(
    fleet,
    { replayHorizonMs: 7 * 86_400_000, futureToleranceMs: 30_000, maxCamerasPerSite: 100 },
    { ahead: (v) => ahead.push(...v), settled: (v) => settled.push(...v) },
  );
  return { live, ahead, settled };
}

describe('pushing a camera state change before its batch commits', () => {
  it('pushes a change of state, then of reasons only, each from the one before', () => {
    const { live, ahead } = harness(fleetWith({}));
    live.observe(healthMessage('cam-1', 'down', NOW_MS - 2000), NOW_MS);
    live.observe(
      healthMessage('cam-1', 'down', NOW_MS - 1000, 'site-a', [{ code: 'no_video', message: 'x' }]),
      NOW_MS,
    );
    live.observe(
      healthMessage('cam-1', 'down', NOW_MS - 500, 'site-a', [{ code: 'no_video', message: 'x' }]),
      NOW_MS,
    );
    expect(ahead.map((v) => [v.state, v.stateSince, v.reasons.length])).toEqual([
      ['down', new Date(NOW_MS - 2000).toISOString(), 0],
      ['down', new Date(NOW_MS - 2000).toISOString(), 1],
    ]);
  });

  it('places a sample from an agent clock ahead of the hub at its receipt, as the batch does', () => {
    const { live, ahead } = harness(fleetWith({}));
    live.observe(healthMessage('cam-1', 'down', NOW_MS + 5000), NOW_MS);
    expect(ahead[0]?.stateSince).toBe(new Date(NOW_MS).toISOString());
  });

  it('pushes nothing the batch would ignore or refuse', () => {
    const { live, ahead } = harness(
      fleetWith({}, { id: 'cam-maint', state: 'maintenance' }, { id: 'cam-other', siteId: 'site-b' }),
    );
    // Older than the last sample seen, or than one already queued (an outbox replay).
    live.observe(healthMessage('cam-1', 'down', NOW_MS - 20_000), NOW_MS);
    live.observe(healthMessage('cam-1', 'up', NOW_MS - 1000), NOW_MS);
    live.observe(healthMessage('cam-1', 'down', NOW_MS - 2000), NOW_MS);
    // In maintenance (whether its window has ended needs the database); of another site; unknown
    // camera; an unregistered site.
    live.observe(healthMessage('cam-maint', 'down', NOW_MS - 1000), NOW_MS);
    live.observe(healthMessage('cam-other', 'down', NOW_MS - 1000), NOW_MS);
    live.observe(healthMessage('cam-nope', 'down', NOW_MS - 1000), NOW_MS);
    live.observe(healthMessage('cam-other', 'down', NOW_MS - 1000, 'site-b'), NOW_MS);
    expect(ahead).toEqual([]);
  });

  it('settles a camera with its stored view once the batch holding its newest push is done', () => {
    const fleet = fleetWith({}, { id: 'cam-2' });
    const { live, ahead, settled } = harness(fleet);
    const first = healthMessage('cam-1', 'down', NOW_MS - 2000);
    const second = healthMessage('cam-1', 'up', NOW_MS - 1000);
    const other = healthMessage('cam-2', 'down', NOW_MS - 1000);
    for (const m of [first, second, other]) live.observe(m, NOW_MS);
    expect(ahead.map((v) => `${v.id}:${v.state}`)).toEqual(['cam-1:down', 'cam-1:up', 'cam-2:down']);
    // The batch with the first message only: cam-1's newest push is from the second, not settled yet.
    live.settle([{ decoded: { ok: true, message: first } }]);
    expect(settled).toEqual([]);
    // A message with the same id that is not the one queued (an agent reusing ids) settles nothing.
    live.settle([{ decoded: { ok: true, message: { ...other } } }]);
    expect(settled).toEqual([]);
    // Then each camera's own: the stored views go to screens still showing the push ahead.
    live.settle([{ decoded: { ok: true, message: other } }]);
    live.settle([{ decoded: { ok: true, message: second } }]);
    expect(settled.map((v) => `${v.id}:${v.state}`)).toEqual(['cam-2:up', 'cam-1:up']);
    // Settled once: nothing more.
    live.settle([{ decoded: { ok: true, message: other } }]);
    expect(settled).toHaveLength(2);
  });

  it('builds a push ahead on the stored view, with only state, reasons and times from the one before', () => {
    const fleet = fleetWith({});
    const { live, ahead } = harness(fleet);
    live.observe(healthMessage('cam-1', 'down', NOW_MS - 2000), NOW_MS);
    // An operator approves or surveys the camera meanwhile (a stored change).
    fleet.cameras.set('cam-1', { ...(fleet.cameras.get('cam-1') as CameraView), bearingDeg: 200 });
    live.observe(healthMessage('cam-1', 'up', NOW_MS - 1000), NOW_MS);
    expect(ahead.map((v) => [v.state, v.bearingDeg])).toEqual([
      ['down', 90],
      ['up', 200],
    ]);
  });
});
