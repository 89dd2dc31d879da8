import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FederationLinks } from '../../../hub-server/src/federation/links.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import type { FederationSnapshot } from '../../../src/schemas/federation.ts';

// The link logic on its own: numbering, snapshots, ownership and silence. The broker and the
// database are stand-ins here; the federation integration test runs it on real ones.

const camera = (id: string, state: CameraView['state'] = 'up'): CameraView => ({
  id,
  name: id,
  siteId: 'site',
  councilId: 'council',
  hubId: 'whatever-the-view-says',
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

class FakeClient extends EventEmitter {
  subscribe() {
    return this;
  }
  async endAsync() {}
  deliver(hub: string, kind: string, body: unknown) {
    this.emit('message', `cctv/federation/in/${hub}/${kind}`, Buffer.from(JSON.stringify(body)));
  }
}

const EPOCH = 'epoch-one-aaaa';
const at = () => new Date().toISOString();

describe('links from other hubs', () => {
  let links: FederationLinks | null = null;
  afterEach(() => links?.stop());

  const start = async (
    snapshots: Record<string, () => FederationSnapshot>,
    extra: {
      limits?: { maxCameras?: number; maxMessagesPerSecond?: number };
      snapshotMinGapMs?: number;
      logLines?: string[];
    } = {},
  ) => {
    const client = new FakeClient();
    const pushed: CameraView[] = [];
    const asked: string[] = [];
    const pool = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
    links = new FederationLinks({
      links: Object.keys(snapshots).map((hub) => ({
        hub,
        apiUrl: `http://${hub}.invalid`,
        key: 'k'.repeat(20),
        ...extra.limits,
      })),
      snapshotMinGapMs: extra.snapshotMinGapMs ?? 0,
      linkTimeoutMs: 2000,
      maxPayloadBytes: 100_000,
      pool,
      client: () => client as unknown as MqttClient,
      fetchSnapshot: async (link) => {
        asked.push(link.hub);
        return (snapshots[link.hub] as () => FederationSnapshot)();
      },
      selfId: 'force',
      isOwnCamera: (id) => id === 'mine-01',
      changed: (cameras) => pushed.push(...cameras),
      removed: () => {},
      log: extra.logLines
        ? pino({ level: 'warn' }, { write: (line: string) => extra.logLines?.push(line) })
        : pino({ level: 'silent' }),
    });
    await links.start();
    return { client, pushed, asked, links };
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('takes a snapshot on first word, then applies numbered changes and re-snapshots on a gap', async () => {
    let seq = 0;
    let cams = [camera('a-01'), camera('a-02')];
    const { client, asked, links } = await start({
      'region-a': () => ({ hub: 'region-a', epoch: EPOCH, seq, at: at(), cameras: cams }),
    });
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 2 });
    await settle();
    expect(asked).toEqual(['region-a']);
    expect(links.status()[0]?.state).toBe('up');
    // The owner is the link, whatever the view says.
    expect(links.cameras().map((c) => [c.id, c.hubId, c.state])).toEqual([
      ['a-01', 'region-a', 'up'],
      ['a-02', 'region-a', 'up'],
    ]);
    client.deliver('region-a', 'changes', {
      v: 1,
      epoch: EPOCH,
      seq: 1,
      sentAt: at(),
      cameras: [camera('a-01', 'down')],
      removed: [],
    });
    await settle();
    expect(links.camera('a-01')?.view.state).toBe('down');
    expect(asked).toHaveLength(1);
    // seq 2 lost: 3 arrives. The snapshot (at 3) is the truth.
    seq = 3;
    cams = [camera('a-01', 'up'), camera('a-02', 'degraded')];
    client.deliver('region-a', 'changes', {
      v: 1,
      epoch: EPOCH,
      seq: 3,
      sentAt: at(),
      cameras: [camera('a-02', 'degraded')],
      removed: [],
    });
    await settle();
    expect(asked).toHaveLength(2);
    expect(links.cameras().map((c) => c.state)).toEqual(['up', 'degraded']);
  });

  it('refuses a camera another link holds, or one of its own, and does not resnapshot for them', async () => {
    const { client, asked, links } = await start({
      'region-a': () => ({ hub: 'region-a', epoch: EPOCH, seq: 0, at: at(), cameras: [camera('a-01')] }),
      'region-b': () => ({
        hub: 'region-b',
        epoch: EPOCH,
        seq: 0,
        at: at(),
        cameras: [camera('a-01'), camera('mine-01'), camera('b-01')],
      }),
    });
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 1 });
    await settle();
    client.deliver('region-b', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 3 });
    await settle();
    expect(links.camera('a-01')?.hub).toBe('region-a');
    expect(links.camera('mine-01')).toBeNull();
    expect(links.camera('b-01')?.hub).toBe('region-b');
    // Region B's heartbeat counts the refused cameras too: no snapshot on every beat.
    client.deliver('region-b', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 3 });
    await settle();
    expect(asked).toEqual(['region-a', 'region-b']);
  });

  it('refuses messages of links it does not have, and malformed ones, without acting on them', async () => {
    const { client, asked, links } = await start({
      'region-a': () => ({ hub: 'region-a', epoch: EPOCH, seq: 0, at: at(), cameras: [] }),
    });
    client.deliver('region-z', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 0 });
    client.deliver('region-a', 'changes', {
      v: 1,
      epoch: EPOCH,
      seq: 1,
      sentAt: at(),
      cameras: [{ id: 'x' }],
      removed: [],
    });
    client.emit('message', 'cctv/federation/in/region-a/heartbeat', Buffer.from('{not json'));
    await settle();
    expect(asked).toEqual([]);
    expect(links.stats.refused).toBe(3);
  });

  it('shows a silent link’s cameras as unknown (hub_link_down), and their real state once it is heard again', async () => {
    const { client, pushed, links } = await start({
      'region-a': () => ({
        hub: 'region-a',
        epoch: EPOCH,
        seq: 0,
        at: at(),
        cameras: [camera('a-01', 'down')],
      }),
    });
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 1 });
    await settle();
    expect(links.camera('a-01')?.view.state).toBe('down');
    await new Promise((r) => setTimeout(r, 2700));
    const view = links.camera('a-01')?.view;
    expect([view?.state, view?.reasons.map((r) => r.code)]).toEqual(['unknown', ['hub_link_down']]);
    expect(pushed.at(-1)?.state).toBe('unknown');
    expect(links.status()[0]?.state).toBe('down');
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 1 });
    await settle();
    expect(links.camera('a-01')?.view.state).toBe('down');
    expect(links.status()[0]?.state).toBe('up');
  });

  it('takes no more cameras from a link than its limit, and counts the rest as refused', async () => {
    const { client, asked, links } = await start(
      {
        'region-a': () => ({
          hub: 'region-a',
          epoch: EPOCH,
          seq: 0,
          at: at(),
          cameras: [camera('a-01'), camera('a-02'), camera('a-03')],
        }),
      },
      { limits: { maxCameras: 2 } },
    );
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 3 });
    await settle();
    expect(links.cameras().map((c) => c.id)).toEqual(['a-01', 'a-02']);
    expect(links.status()[0]).toMatchObject({ cameras: 2, refused: 1, state: 'up' });
    // A change that adds a camera is refused too; one that updates a held camera is applied.
    client.deliver('region-a', 'changes', {
      v: 1,
      epoch: EPOCH,
      seq: 1,
      sentAt: at(),
      cameras: [camera('a-04'), camera('a-02', 'down')],
      removed: [],
    });
    await settle();
    expect(links.camera('a-04')).toBeNull();
    expect(links.camera('a-02')?.view.state).toBe('down');
    // The heartbeat counts what the hub shares; the refused ones are counted here too: no snapshot.
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 1, sentAt: at(), cameraCount: 4 });
    await settle();
    expect(asked).toEqual(['region-a']);
  });

  it('reads no more than its allowance of messages from a link, and logs refusals once per reason and interval', async () => {
    const logLines: string[] = [];
    const { client, links } = await start(
      { 'region-a': () => ({ hub: 'region-a', epoch: EPOCH, seq: 0, at: at(), cameras: [] }) },
      { limits: { maxMessagesPerSecond: 2 }, logLines },
    );
    // A burst of ten seconds' worth (20) is read; 30 more in the same instant are dropped unread.
    for (let i = 0; i < 50; i++)
      client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 0 });
    await settle();
    expect(links.stats.messages).toBe(20);
    expect(links.status()[0]?.refused).toBe(30);
    const refusals = logLines.map((l) => JSON.parse(l)).filter((l) => l.code === 'RATE_LIMITED');
    expect(refusals).toHaveLength(1);
    // Half a second later the allowance has one more message.
    await new Promise((r) => setTimeout(r, 520));
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 0 });
    client.deliver('region-a', 'heartbeat', { v: 1, epoch: EPOCH, seq: 0, sentAt: at(), cameraCount: 0 });
    await settle();
    expect(links.stats.messages).toBe(21);
  });

  it('takes snapshots of one link no closer together than the least gap, however often it is out of step', async () => {
    let seq = 0;
    const { client, asked } = await start(
      { 'region-a': () => ({ hub: 'region-a', epoch: EPOCH, seq: seq++, at: at(), cameras: [] }) },
      { snapshotMinGapMs: 600 },
    );
    // Every heartbeat disagrees with the snapshot just taken (a broken hub).
    const beat = () =>
      client.deliver('region-a', 'heartbeat', {
        v: 1,
        epoch: EPOCH,
        seq: 1000,
        sentAt: at(),
        cameraCount: 0,
      });
    beat();
    await settle();
    expect(asked).toHaveLength(1);
    for (let i = 0; i < 10; i++) {
      beat();
      await settle();
    }
    expect(asked).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 700));
    expect(asked).toHaveLength(2);
  });
});
