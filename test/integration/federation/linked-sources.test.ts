import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchLinkedSources } from '../../../hub-server/src/federation/linked-sources.ts';
import { FederationLinks } from '../../../hub-server/src/federation/links.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';

// An incident search asking the hubs that share sources about them, against real HTTP peers: one
// that answers (with a source it does not share, which is dropped), one that answers garbage, one
// that cannot be reached, and one whose link is down. Each hub that could not be asked is named.
// (The federation test runs the whole path between real hubs.)

const T0 = Date.now();
const view = (id: string): SourceView => ({
  id,
  kind: 'drone',
  name: id,
  unit: 'Drone unit',
  relaySiteId: 'air-ops',
  state: 'up',
  stateSince: new Date(T0).toISOString(),
  lastFixAt: new Date(T0).toISOString(),
  location: { type: 'Point', coordinates: [-2.9, 50.72] },
  altitudeM: 60,
  headingDeg: 90,
  speedMps: 5,
  batteryPct: null,
  linkQualityPct: null,
  footprint: null,
  track: [[-2.9, 50.72, T0]],
  onDuty: false,
  stream: null,
});
const candidate = (sourceId: string) => ({
  sourceId,
  kind: 'drone',
  name: sourceId,
  unit: 'Drone unit',
  state: 'up',
  location: { type: 'Point', coordinates: [-2.9, 50.72] },
  distanceM: 3,
  coversNow: true,
  coveredFrom: null,
  coveredTo: null,
  closestM: null,
  streamOk: null,
});

class FakeClient extends EventEmitter {
  subscribe() {
    return this;
  }
  async endAsync() {}
}

describe('incident search over the sources other hubs share', () => {
  const servers: Server[] = [];
  const asked: { hub: string; auth: string | undefined; peer: string | null }[] = [];
  let links: FederationLinks;
  const client = new FakeClient();
  const urls: Record<string, string> = {};

  const serve = async (hub: string, answer: unknown): Promise<string> => {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      asked.push({ hub, auth: request.headers.authorization, peer: url.searchParams.get('peer') });
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    urls.answers = await serve('answers', [candidate('a-drone'), candidate('not-shared')]);
    urls.garbage = await serve('garbage', [{ sourceId: 'a-drone', nonsense: true }]);
    // Nothing listens on port 9 here: a refused connection.
    urls.gone = 'http://127.0.0.1:9';
    urls.silent = await serve('silent', []);
    const hubs = ['answers', 'garbage', 'gone', 'silent'];
    const owned: Record<string, string> = {
      answers: 'a-drone',
      garbage: 'g-drone',
      gone: 'x-drone',
      silent: 's-drone',
    };
    links = new FederationLinks({
      links: hubs.map((hub) => ({ hub, apiUrl: urls[hub] as string, key: `key-of-${hub}-0123456789` })),
      linkTimeoutMs: 1000,
      maxPayloadBytes: 1_000_000,
      pool: { query: async () => ({ rows: [] }) } as unknown as pg.Pool,
      client: () => client as unknown as MqttClient,
      fetchSnapshot: async (link) => ({
        hub: link.hub,
        epoch: 'epoch-one-aaaa',
        seq: 0,
        at: new Date().toISOString(),
        cameras: [],
        sources: [view(owned[link.hub] as string)],
      }),
      snapshotMinGapMs: 0,
      selfId: 'dorset',
      isOwnCamera: () => false,
      changed: () => {},
      removed: () => {},
      log: pino({ level: 'silent' }),
    });
    await links.start();
    const beat = (hub: string) =>
      client.emit(
        'message',
        `cctv/federation/in/${hub}/heartbeat`,
        Buffer.from(
          JSON.stringify({
            v: 1,
            epoch: 'epoch-one-aaaa',
            seq: 0,
            sentAt: new Date().toISOString(),
            cameraCount: 0,
            sourceCount: 1,
          }),
        ),
      );
    for (const hub of hubs) beat(hub);
    await new Promise((r) => setTimeout(r, 50));
    // 'silent' stops: its link goes down, and its heartbeats keep the others up meanwhile.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      for (const hub of hubs.filter((h) => h !== 'silent')) beat(hub);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    await links?.stop();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  it('lists what each owning hub answers for its own shared sources, and names every hub it could not ask', async () => {
    expect(links.status().map((l) => [l.hub, l.state, l.sources])).toEqual([
      ['answers', 'up', 1],
      ['garbage', 'up', 1],
      ['gone', 'up', 1],
      ['silent', 'down', 1],
    ]);
    const result = await searchLinkedSources(
      links,
      'dorset',
      { point: { lat: 50.72, lon: -2.9 }, radiusM: 100 },
      pino({ level: 'silent' }),
    );
    // The answering hub's source, marked with its hub; the one it does not share with us is dropped.
    expect(result.found.map((c) => [c.sourceId, c.hubId, c.coversNow])).toEqual([
      ['a-drone', 'answers', true],
    ]);
    expect(result.unavailable.map((u) => u.hub)).toEqual(['garbage', 'gone', 'silent']);
    expect(result.unavailable.find((u) => u.hub === 'garbage')?.message).toMatch(/answer refused/);
    expect(result.unavailable.find((u) => u.hub === 'gone')?.message).toMatch(/could not be reached/);
    expect(result.unavailable.find((u) => u.hub === 'silent')?.message).toBe(
      'the link to hub silent is down',
    );
    // Each peer was asked with its own key and told who asks; the one whose link is down was not asked.
    expect(asked.map((a) => [a.hub, a.auth, a.peer]).sort()).toEqual([
      ['answers', 'Bearer key-of-answers-0123456789', 'dorset'],
      ['garbage', 'Bearer key-of-garbage-0123456789', 'dorset'],
    ]);
  });
});
