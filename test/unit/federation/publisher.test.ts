import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FederationPublisher, Share } from '../../../hub-server/src/federation/publisher.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import type { FederationChanges, FederationHeartbeat } from '../../../src/schemas/federation.ts';

const camera = (
  id: string,
  siteId: string,
  councilId: string,
  state: CameraView['state'] = 'up',
): CameraView => ({
  id,
  name: id,
  siteId,
  councilId,
  hubId: 'west-cornwall',
  state,
  stateSince: '2026-12-01T00:00:00.000Z',
  lastSeenAt: null,
  reasons: [],
  location: { type: 'Point', coordinates: [-5.5, 50.1] },
  bearingDeg: 0,
  hfovDeg: 60,
  designDistanceM: 20,
  purpose: 'recognise',
  approval: 'approved',
});

describe('sharing cameras with peer hubs', () => {
  let publisher: FederationPublisher | null = null;
  afterEach(() => publisher?.stop());

  it('admits a camera only when every list the policy has admits it', () => {
    const share = new Share({ peer: 'dorset', councils: ['lyme'], cameras: ['lyme-01', 'bude-01'] });
    expect(share.admits(camera('lyme-01', 'lyme', 'lyme'))).toBe(true);
    expect(share.admits(camera('lyme-02', 'lyme', 'lyme'))).toBe(false);
    expect(share.admits(camera('bude-01', 'bude', 'bude'))).toBe(false);
    expect(new Share({ peer: 'force' }).admits(camera('x', 'y', 'z'))).toBe(true);
  });

  it('numbers each peer its own changes, sends a camera leaving the policy as removed, and snapshots at the number', async () => {
    const fleet = new Map([
      ['lyme-01', camera('lyme-01', 'lyme', 'lyme')],
      ['bude-01', camera('bude-01', 'bude', 'bude')],
    ]);
    const sent: { topic: string; body: FederationChanges | FederationHeartbeat }[] = [];
    publisher = new FederationPublisher({
      hubId: 'west-cornwall',
      shares: [{ peer: 'force' }, { peer: 'dorset', cameras: ['lyme-01'] }],
      heartbeatMs: 60_000,
      publish: () => async (topic, payload) => void sent.push({ topic, body: JSON.parse(payload) }),
      cameras: () => fleet.values(),
      log: pino({ level: 'silent' }),
      gatherMs: 1,
    });
    publisher.start();
    const beats = sent.splice(0);
    expect(beats.map((m) => [m.topic, (m.body as FederationHeartbeat).cameraCount])).toEqual([
      ['cctv/federation/out/force/heartbeat', 2],
      ['cctv/federation/out/dorset/heartbeat', 1],
    ]);

    fleet.set('bude-01', camera('bude-01', 'bude', 'bude', 'down'));
    publisher.changed([fleet.get('bude-01') as CameraView]);
    await new Promise((r) => setTimeout(r, 20));
    // Dorset is not told of a camera outside its agreement.
    expect(sent.map((m) => m.topic)).toEqual(['cctv/federation/out/force/changes']);
    const first = sent[0]?.body as FederationChanges;
    expect([first.seq, first.cameras.map((c) => c.state), first.removed]).toEqual([1, ['down'], []]);

    // lyme-01 moves to a council outside Dorset's list? Its policy is by camera: still shared. A
    // policy by council drops it: a fresh publisher with such a share sends it as removed.
    sent.length = 0;
    publisher.stop();
    publisher = new FederationPublisher({
      hubId: 'west-cornwall',
      shares: [{ peer: 'dorset', councils: ['lyme'] }],
      heartbeatMs: 60_000,
      publish: () => async (topic, payload) => void sent.push({ topic, body: JSON.parse(payload) }),
      cameras: () => fleet.values(),
      log: pino({ level: 'silent' }),
      gatherMs: 1,
    });
    publisher.start();
    sent.length = 0;
    const moved = camera('lyme-01', 'lyme', 'charmouth');
    fleet.set('lyme-01', moved);
    publisher.changed([moved]);
    await new Promise((r) => setTimeout(r, 20));
    const removal = sent[0]?.body as FederationChanges;
    expect([removal.seq, removal.cameras, removal.removed]).toEqual([1, [], ['lyme-01']]);
    const snapshot = publisher.snapshot('dorset');
    expect([snapshot?.seq, snapshot?.cameras.length, snapshot?.epoch]).toEqual([1, 0, publisher.epoch]);
    expect(publisher.snapshot('nobody')).toBeNull();
  });

  it('sends nothing where it is not the process that publishes, and numbers nothing either', async () => {
    const sent: string[] = [];
    let leading = false;
    publisher = new FederationPublisher({
      hubId: 'west-cornwall',
      shares: [{ peer: 'force' }],
      heartbeatMs: 60_000,
      publish: () => (leading ? async (topic) => void sent.push(topic) : null),
      cameras: () => [],
      log: pino({ level: 'silent' }),
      gatherMs: 1,
    });
    publisher.start();
    publisher.changed([camera('a', 'b', 'c')]);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]);
    expect(publisher.snapshot('force')?.seq).toBe(0);
    leading = true;
    publisher.changed([camera('a', 'b', 'c', 'down')]);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual(['cctv/federation/out/force/changes']);
  });
});
