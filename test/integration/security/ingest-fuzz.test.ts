import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraEventPayload, HealthPayload, StreamPayload } from '../../../src/schemas/payloads.ts';
import { buildTopic, TOPICS, type TopicKind } from '../../../src/topics.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Hostile input at the ingest: random bytes, random JSON and mutations of valid messages, on every
// topic of the site (and some that are not), with a valid health message between batches of them.
// The hub must not crash, must not store anything invalid, and must keep ingesting valid messages.

const MAX_PAYLOAD = 64 * 1024;

describe('ingest under fuzzing (fast-check)', () => {
  let h: HubHarness;
  let site: SitePublisher;
  const siteId = uniqueId('fuzz');
  const council = uniqueId('council');
  const [camA, camB] = [`${siteId}-a`, `${siteId}-b`];
  const kinds = Object.keys(TOPICS) as TopicKind[];

  const settle = async () => {
    for (let i = 0; i < 400 && h.hub.pipeline.stats.queued > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
  };

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__mqtt__maxPayloadBytes: String(MAX_PAYLOAD) });
    // Its cameras are on 192.0.2.0/24, where the valid stream message below points.
    await h.registerSite(siteId, council, { cameraIds: [camA, camB], cameraNetworks: ['192.0.2.0/24'] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, [camA, camB]));
    await site.publish('siteState', { state: 'online' });
    // Retained messages are acknowledged before they are applied: wait for the site to be online.
    for (let i = 0; i < 200 && h.hub.fleet.sites.get(siteId)?.state !== 'online'; i++)
      await new Promise((r) => setTimeout(r, 25));
    await site.publish('health', health(camA, 'up'), camA);
    for (let i = 0; i < 200 && h.hub.fleet.cameras.get(camA)?.state !== 'up'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(
      h.hub.fleet.cameras.get(camA)?.state,
      JSON.stringify([h.hub.fleet.cameras.get(camA), h.hub.fleet.sites.get(siteId)]),
    ).toBe('up');
  });

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  /** A valid envelope of each kind, to mutate. */
  const valid = (kind: TopicKind) => {
    const payloads: Partial<Record<TopicKind, unknown>> = {
      health: health(camA, 'degraded', [{ code: 'low_fps', message: 'fps 3 < 6' }]),
      stream: {
        cameraId: camA,
        uri: 'rtsp://192.0.2.10/stream1',
        codec: 'h264',
        width: 1920,
        height: 1080,
        fps: 12,
        bitrateKbps: 2500,
        declared: null,
        probeMs: 400,
      },
      event: { cameraId: camA, type: 'tamper', active: true, detail: null },
      siteState: { state: 'online' },
      inventory: inventory(council, [camA, camB]),
    };
    return site.envelope(payloads[kind] ?? {});
  };

  const mutate = (value: unknown, path: string[], replacement: unknown): unknown => {
    if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
    const [head, ...rest] = path;
    const copy: Record<string, unknown> = Array.isArray(value)
      ? ({ ...value } as never)
      : { ...(value as object) };
    const keys = Object.keys(copy);
    const key = keys.length > 0 ? (keys[Number(head) % keys.length] as string) : String(head);
    copy[key] = mutate(copy[key], rest, replacement);
    return copy;
  };

  const hostileValue = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(
      '__proto__',
      { __proto__: { polluted: true } },
      { constructor: { prototype: { polluted: true } } },
      "'; DROP TABLE cameras; --",
      '\u0000',
      '\ud800',
      'x'.repeat(10_000),
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      '2026-13-45T99:99:99Z',
      `${'['.repeat(500)}${']'.repeat(500)}`,
    ),
  );

  const message = fc.oneof(
    // Random bytes, often not UTF-8 at all.
    fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
    // Random JSON of any shape.
    fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
    // A valid message with one field replaced by something hostile, or one key removed. (Not the
    // site's inventory or state: a mutation of those can still be valid and legitimately change them.)
    fc
      .tuple(
        fc.constantFrom<TopicKind>('health', 'stream', 'event'),
        fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
        hostileValue,
        fc.boolean(),
      )
      .map(([kind, path, replacement, remove]) => {
        const mutated = mutate(valid(kind), path.map(String), remove ? undefined : replacement);
        return JSON.stringify(mutated) ?? 'null';
      }),
    // Deeply nested JSON and oversized payloads.
    fc.nat(5000).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    fc.constant('x'.repeat(MAX_PAYLOAD + 10)),
  );

  const topic = fc.oneof(
    fc.constantFrom(...kinds).map((kind) => buildTopic(kind, { siteId, cameraId: camA, sourceId: camA })),
    // Another site's topics from this connection, a camera that does not exist, and junk.
    fc
      .constantFrom(...kinds)
      .map((kind) => buildTopic(kind, { siteId: `${siteId}-other`, cameraId: camA, sourceId: camA })),
    fc.constant(buildTopic('health', { siteId, cameraId: `${siteId}-ghost` })),
    fc
      .stringMatching(/^cctv\/v1\/site\/[a-z0-9/#+-]{0,40}$/)
      .filter((t) => !t.includes('#') && !t.includes('+')),
  );

  it('never crashes, never stores invalid rows, and keeps ingesting valid messages', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(topic, message), { minLength: 1, maxLength: 8 }), async (batch) => {
        for (const [t, payload] of batch) await site.raw(t, payload);
        // A valid message after the garbage is still ingested.
        round++;
        const state = round % 2 === 0 ? 'up' : 'down';
        await site.publish('health', health(camB, state), camB);
        // Delivery to the hub is asynchronous (garbage on topics nobody reads is never delivered at
        // all), so wait for the valid message to show rather than counting.
        for (let i = 0; i < 400 && h.hub.fleet.cameras.get(camB)?.state !== state; i++)
          await new Promise((r) => setTimeout(r, 25));
        await settle();
        expect(h.hub.fleet.cameras.get(camB)?.state, JSON.stringify(h.hub.pipeline.stats)).toBe(state);
      }),
      { numRuns: 60, timeout: 20_000 },
    );
    const stats = h.hub.pipeline.stats;
    expect(stats.failedBatches).toBe(0);
    expect(stats.deadLettered).toBeGreaterThan(20);
    // The hub still answers.
    expect((await fetch(`${h.hub.url}/healthz`)).status).toBe(200);

    // Nothing invalid was stored: every sample row holds a payload its schema accepts, for a
    // camera of the inventory; no camera appeared from garbage.
    const db = h.hub.database.pool;
    const checks: [string, Parameters<typeof Value.Check>[0]][] = [
      ['health_samples', HealthPayload],
      ['stream_samples', StreamPayload],
      ['camera_events', CameraEventPayload],
    ];
    for (const [table, schema] of checks) {
      const rows = await db.query<{ camera_id: string; payload: unknown }>(
        `SELECT camera_id, payload FROM ${table} WHERE camera_id = ANY($1)`,
        [[camA, camB, `${siteId}-ghost`]],
      );
      for (const row of rows.rows) {
        expect(
          Value.Check(schema, row.payload),
          `${table}: ${JSON.stringify(row.payload).slice(0, 200)}`,
        ).toBe(true);
        expect([camA, camB]).toContain(row.camera_id);
      }
    }
    const cameras = await db.query<{ id: string }>('SELECT id FROM cameras WHERE site_id = $1 ORDER BY id', [
      siteId,
    ]);
    expect(cameras.rows.map((r) => r.id)).toEqual([camA, camB]);
    const others = await db.query('SELECT 1 FROM sites WHERE id = $1', [`${siteId}-other`]);
    expect(others.rowCount).toBe(0);
    // Every rejected message is kept for inspection, with a code.
    const letters = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters');
    expect(letters.rows[0]?.n).toBe(stats.deadLettered);
  }, 300_000);
});
