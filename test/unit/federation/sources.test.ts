import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FederationLinks, type LinksOptions } from '../../../hub-server/src/federation/links.ts';
import { FederationPublisher, Share } from '../../../hub-server/src/federation/publisher.ts';
import type { FederationChanges, FederationHeartbeat } from '../../../src/schemas/federation.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';

// Mobile sources across a link between hubs (an agreement between forces): the sharing side's
// policy and track deltas, fed into the receiving side's link logic. The federation integration
// test runs both on real brokers, databases and hubs.

const UNIT = 'Devon and Cornwall Police drone unit';
const T0 = Date.parse('2026-12-06T10:00:00.000Z');

const source = (id: string, points: number, state: SourceView['state'] = 'up', unit = UNIT): SourceView => ({
  id,
  kind: 'drone',
  name: id,
  unit,
  relaySiteId: 'air-ops',
  state,
  stateSince: new Date(T0).toISOString(),
  lastFixAt: new Date(T0 + (points - 1) * 1000).toISOString(),
  location: { type: 'Point', coordinates: [-2.9 + points * 0.0001, 50.72] },
  altitudeM: 80,
  headingDeg: 90,
  speedMps: 10,
  batteryPct: 80,
  linkQualityPct: 90,
  footprint: null,
  // One point a second from T0.
  track: Array.from({ length: points }, (_, i) => [-2.9 + (i + 1) * 0.0001, 50.72, T0 + i * 1000]),
  onDuty: true,
  stream: null,
});

class FakeClient extends EventEmitter {
  subscribe() {
    return this;
  }
  async endAsync() {}
}

const settle = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** The receiving hub's link to the force hub, with the given options over plain defaults. */
const receiving = (client: FakeClient, options: Partial<LinksOptions>, maxSources?: number) =>
  new FederationLinks({
    links: [{ hub: 'devon-cornwall', apiUrl: 'http://dc.invalid', key: 'k'.repeat(20), maxSources }],
    linkTimeoutMs: 2000,
    maxPayloadBytes: 1_000_000,
    pool: { query: async () => ({ rows: [] }) } as unknown as pg.Pool,
    client: () => client as unknown as MqttClient,
    snapshotMinGapMs: 0,
    selfId: 'dorset',
    isOwnCamera: () => false,
    changed: () => {},
    removed: () => {},
    isOwnSource: (id) => id === 'dorset-drone',
    log: pino({ level: 'silent' }),
    ...options,
  });

/** The force hub's heartbeat at seq 0, saying how many sources it shares. */
const beat = (client: FakeClient, sourceCount: number, at = T0) =>
  client.emit(
    'message',
    'cctv/federation/in/devon-cornwall/heartbeat',
    Buffer.from(
      JSON.stringify({
        v: 1,
        epoch: 'epoch-one-aaaa',
        seq: 0,
        sentAt: new Date(at).toISOString(),
        cameraCount: 0,
        sourceCount,
      }),
    ),
  );

/** A snapshot of the force hub at seq 0 holding these sources. */
const snapshotOf = (sources: SourceView[]) => async () => ({
  hub: 'devon-cornwall',
  epoch: 'epoch-one-aaaa',
  seq: 0,
  at: new Date(T0).toISOString(),
  cameras: [],
  sources,
});

describe('mobile sources shared between hubs', () => {
  let publisher: FederationPublisher | null = null;
  let links: FederationLinks | null = null;
  afterEach(async () => {
    publisher?.stop();
    await links?.stop();
  });

  it('shares a source only where the policy names sources, narrowed by unit and id', () => {
    const drone = source('d-1', 1);
    expect(new Share({ peer: 'force' }).admitsSource(drone)).toBe(false);
    expect(new Share({ peer: 'dorset', sources: {} }).admitsSource(drone)).toBe(true);
    expect(new Share({ peer: 'dorset', sources: { units: [UNIT] } }).admitsSource(drone)).toBe(true);
    expect(new Share({ peer: 'dorset', sources: { units: ['Another unit'] } }).admitsSource(drone)).toBe(
      false,
    );
    expect(new Share({ peer: 'dorset', sources: { units: [UNIT], ids: ['d-2'] } }).admitsSource(drone)).toBe(
      false,
    );
  });

  it('sends each peer only new track points, and the receiver keeps the whole track, owned by the link', async () => {
    let now = T0 + 5000;
    const own = new Map<string, SourceView>([
      ['d-1', source('d-1', 3)],
      ['bw-1', source('bw-1', 3, 'up', 'Response officers')],
    ]);
    const sent: { topic: string; body: FederationChanges | FederationHeartbeat }[] = [];
    publisher = new FederationPublisher({
      hubId: 'devon-cornwall',
      shares: [{ peer: 'dorset', sources: { units: [UNIT] } }, { peer: 'region' }],
      heartbeatMs: 60_000,
      publish: () => async (topic, payload) => void sent.push({ topic, body: JSON.parse(payload) }),
      cameras: () => [],
      sources: () => own.values(),
      log: pino({ level: 'silent' }),
      gatherMs: 1,
      now: () => now,
    });
    publisher.start();
    // Dorset should hold one source (the drone unit's); the region, with no source policy, none.
    expect(sent.map((m) => [m.topic, (m.body as FederationHeartbeat).sourceCount])).toEqual([
      ['cctv/federation/out/dorset/heartbeat', 1],
      ['cctv/federation/out/region/heartbeat', undefined],
    ]);
    sent.length = 0;

    // The receiving hub: its first heartbeat disagrees (it holds none), so it takes a snapshot.
    const client = new FakeClient();
    const shown: SourceView[] = [];
    const gone: string[] = [];
    links = receiving(client, {
      fetchSnapshot: async () => JSON.parse(JSON.stringify(publisher?.snapshot('dorset'))),
      sourcesChanged: (views) => shown.push(...views),
      sourcesRemoved: (ids) => gone.push(...ids),
      trackMs: 60_000,
      now: () => now,
    });
    await links.start();
    const deliver = (kind: string, body: unknown) =>
      client.emit('message', `cctv/federation/in/devon-cornwall/${kind}`, Buffer.from(JSON.stringify(body)));
    const relay = () => {
      for (const m of sent.splice(0))
        deliver(m.topic.endsWith('heartbeat') ? 'heartbeat' : 'changes', m.body);
    };
    deliver('heartbeat', {
      v: 1,
      epoch: publisher.epoch,
      seq: 0,
      sentAt: new Date(now).toISOString(),
      cameraCount: 0,
      sourceCount: 1,
    });
    await settle();
    expect(links.status()[0]).toMatchObject({ state: 'up', sources: 1 });
    expect(links.sources().map((v) => [v.id, v.hubId, v.track.length])).toEqual([
      ['d-1', 'devon-cornwall', 3],
    ]);

    // Two more fixes: the change message carries only those two points.
    now += 2000;
    own.set('d-1', source('d-1', 5));
    own.set('bw-1', source('bw-1', 5, 'up', 'Response officers'));
    publisher.sourcesChanged([own.get('d-1') as SourceView, own.get('bw-1') as SourceView]);
    await settle();
    expect(sent.map((m) => m.topic)).toEqual(['cctv/federation/out/dorset/changes']);
    const change = sent[0]?.body as FederationChanges;
    expect(change.sources?.map((v) => [v.id, v.track.map((p) => p[2] - T0)])).toEqual([
      ['d-1', [3000, 4000]],
    ]);
    relay();
    await settle();
    const held = links.source('d-1')?.view;
    expect(held?.track.map((p) => p[2] - T0)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(shown.at(-1)?.track).toHaveLength(5);

    // Points older than the kept minutes fall off the held track.
    now = T0 + 63_500;
    own.set('d-1', source('d-1', 6));
    publisher.sourcesChanged([own.get('d-1') as SourceView]);
    await settle();
    relay();
    await settle();
    expect(links.source('d-1')?.view.track.map((p) => p[2] - T0)).toEqual([4000, 5000]);

    // A silent link: its source shows as unknown, as its cameras would.
    now += 5000;
    await settle(1100);
    expect(links.status()[0]?.state).toBe('down');
    expect(links.source('d-1')?.view.state).toBe('unknown');
    expect(shown.at(-1)).toMatchObject({ id: 'd-1', state: 'unknown' });

    // Retired at its hub: removed at the peer.
    deliver('heartbeat', {
      v: 1,
      epoch: publisher.epoch,
      seq: 2,
      sentAt: new Date(now).toISOString(),
      cameraCount: 0,
      sourceCount: 1,
    });
    await settle();
    expect(links.status()[0]?.state).toBe('up');
    own.delete('d-1');
    publisher.sourcesRemoved(['d-1']);
    await settle();
    relay();
    await settle();
    expect(gone).toEqual(['d-1']);
    expect(links.sources()).toEqual([]);
    expect(publisher.admitsSource('dorset', source('d-1', 1))).toBe(true);
    expect(publisher.admitsSource('region', source('d-1', 1))).toBe(false);
  });

  it('carries at most a thousand sources in one share, says so once, and counts only those', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => source(`d-${String(i).padStart(4, '0')}`, 1));
    const sent: { topic: string; body: FederationHeartbeat }[] = [];
    const lines: string[] = [];
    publisher = new FederationPublisher({
      hubId: 'devon-cornwall',
      shares: [{ peer: 'dorset', sources: {} }],
      heartbeatMs: 60_000,
      publish: () => async (topic, payload) => void sent.push({ topic, body: JSON.parse(payload) }),
      cameras: () => [],
      sources: () => many,
      log: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
      gatherMs: 1,
    });
    publisher.start();
    expect(sent[0]?.body.sourceCount).toBe(1000);
    expect(publisher.snapshot('dorset')?.sources).toHaveLength(1000);
    // The one left out stays out when it moves; the warning is not repeated.
    publisher.sourcesChanged([many[1000] as SourceView]);
    await settle();
    expect(sent.filter((m) => m.topic.endsWith('changes'))).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('narrow it by unit');
  });

  it('takes track points only in time order, on the globe and not from the future', async () => {
    const client = new FakeClient();
    const odd = source('d-1', 1);
    odd.track = [
      [-2.9, 50.72, T0],
      [-2.9, 50.72, T0 + 3_600_000],
      [-2.9, 50.72, T0 - 5000],
      [-2.9, 95, T0 + 1000],
      [-2.9001, 50.72, T0 + 2000],
    ];
    links = receiving(client, { fetchSnapshot: snapshotOf([odd]), now: () => T0 + 3000 });
    await links.start();
    beat(client, 1);
    await settle();
    expect(links.source('d-1')?.view.track.map((p) => p[2] - T0)).toEqual([0, 2000]);
  });

  it("refuses a source of this hub's own, and more sources than the link may hold", async () => {
    const client = new FakeClient();
    links = receiving(
      client,
      {
        fetchSnapshot: snapshotOf([source('dorset-drone', 1), source('d-1', 1), source('d-2', 1)]),
        now: () => T0,
      },
      1,
    );
    await links.start();
    beat(client, 3);
    await settle();
    expect(links.sources().map((v) => v.id)).toEqual(['d-1']);
    // Three told, one held and two refused: the counts agree, so it stays up without resnapshotting.
    expect(links.status()[0]).toMatchObject({ state: 'up', sources: 1, refused: 2, snapshots: 1 });
  });
});
