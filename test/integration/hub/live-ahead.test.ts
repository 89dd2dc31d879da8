import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView, LiveChanges, LiveSnapshot } from '../../../src/schemas/api.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A camera's state change reaches screens as soon as its message is decoded, before the batch that
// stores it commits (live.pushBeforeCommit), and screens end on what was stored. A trigger in the
// real database makes one camera's samples slow to store (so "before the commit" can be seen) and
// another's impossible to store (so the batch fails for good and the message is dead-lettered).

interface Pushed {
  view: CameraView;
  /** The hub's stored (committed) state of the camera when the push arrived. */
  storedState: string | undefined;
  /** Health messages the hub had stored when the push arrived. */
  storedCount: number;
}

async function hubWithSocket(pushBeforeCommit: boolean) {
  const h = await startHub({ CCTV_HUB__live__pushBeforeCommit: String(pushBeforeCommit) });
  const siteId = uniqueId('ahead');
  const council = uniqueId('council');
  const cams = { slow: `${siteId}-slow`, fail: `${siteId}-fail`, plain: `${siteId}-plain` };
  await h.registerSite(siteId, council, { cameraIds: Object.values(cams) });
  await h.hub.database.pool.query(`
    CREATE FUNCTION test_health_trigger() RETURNS trigger AS $$
    BEGIN
      IF NEW.camera_id = '${cams.slow}' AND NEW.state = 'down' THEN PERFORM pg_sleep(1.5); END IF;
      IF NEW.camera_id = '${cams.fail}' AND NEW.state = 'down' THEN
        PERFORM pg_sleep(0.5);
        RAISE EXCEPTION 'test: this sample cannot be stored';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER test_health_trigger BEFORE INSERT ON health_samples
      FOR EACH ROW EXECUTE FUNCTION test_health_trigger();`);
  await h.createUser('op', 'operator');
  const token = await h.login('op');
  const pushed: Pushed[] = [];
  const socket: Socket = io(h.hub.url, { auth: { token }, transports: ['websocket'] });
  socket.on('changes', (changes: LiveChanges) => {
    for (const view of changes.cameras)
      pushed.push({
        view,
        storedState: h.hub.fleet.cameras.get(view.id)?.state,
        storedCount: h.hub.pipeline.stats.accepted,
      });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('snapshot', () => resolve());
    socket.once('connect_error', reject);
  });
  const site = new SitePublisher(siteId, h.hub.mqttUrl);
  await site.connect();
  await site.publish('inventory', inventory(council, Object.values(cams)));
  for (const cam of Object.values(cams)) await site.publish('health', health(cam, 'up'), cam);
  await eventually('cameras up', async () => {
    await h.hub.pipeline.idle();
    return Object.values(cams).every((c) => h.hub.fleet.cameras.get(c)?.state === 'up') || undefined;
  });
  // Their pushes have reached the socket before a test starts counting.
  await eventually(
    'cameras up on screen',
    async () =>
      Object.values(cams).every((c) => pushed.some((p) => p.view.id === c && p.view.state === 'up')) ||
      undefined,
  );
  const stateOf = async (id: string) =>
    (await h.hub.database.pool.query<{ state: string }>('SELECT state FROM cameras WHERE id = $1', [id]))
      .rows[0]?.state;
  const close = async () => {
    socket.close();
    await site.close();
    await h.stop();
  };
  return { h, cams, site, pushed, stateOf, close, token };
}

describe('live push before the commit (live.pushBeforeCommit on)', () => {
  let t: Awaited<ReturnType<typeof hubWithSocket>>;

  beforeAll(async () => {
    t = await hubWithSocket(true);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
  });

  it('pushes a camera going down while its batch is still being stored, and sends nothing more once stored', async () => {
    const { h, cams, site, pushed, stateOf } = t;
    const acceptedBefore = h.hub.pipeline.stats.accepted;
    pushed.length = 0;
    await site.publish(
      'health',
      health(cams.slow, 'down', [{ code: 'no_video', message: 'no stream' }]),
      cams.slow,
    );
    const early = await eventually('the push', async () => pushed.find((p) => p.view.id === cams.slow));
    expect(early.view.state).toBe('down');
    expect(early.view.reasons).toEqual([{ code: 'no_video', message: 'no stream' }]);
    // When it reached the screen the hub had not stored it: its committed state was still up and the
    // message was not yet counted as stored.
    expect(early.storedState).toBe('up');
    expect(early.storedCount).toBe(acceptedBefore);
    // A screen that connects meanwhile is shown the same: its snapshot has the change pushed ahead
    // (the commit that follows sends nothing more, so it could not learn of it otherwise).
    const late = io(h.hub.url, { auth: { token: t.token }, transports: ['websocket'] });
    const snapshot = await new Promise<LiveSnapshot>((resolve, reject) => {
      late.once('snapshot', resolve);
      late.once('connect_error', reject);
    });
    late.close();
    expect(snapshot.cameras.find((c) => c.id === cams.slow)?.state).toBe('down');
    expect(h.hub.fleet.cameras.get(cams.slow)?.state).toBe('up');
    // Then the batch commits (the trigger holds it 1.5 s) with the same view: no second push.
    await h.hub.pipeline.idle();
    expect(await stateOf(cams.slow)).toBe('down');
    expect(h.hub.fleet.cameras.get(cams.slow)?.stateSince).toBe(early.view.stateSince);
    await new Promise((r) => setTimeout(r, 300));
    expect(pushed.filter((p) => p.view.id === cams.slow)).toHaveLength(1);
  });

  it('puts the screen back to the stored view when the message could not be stored at all', async () => {
    const { h, cams, site, pushed, stateOf } = t;
    pushed.length = 0;
    const failedBefore = h.hub.pipeline.stats.failedBatches;
    await site.publish('health', health(cams.fail, 'down'), cams.fail);
    const early = await eventually('the push ahead', async () => pushed.find((p) => p.view.id === cams.fail));
    expect(early.view.state).toBe('down');
    expect(early.storedState).toBe('up');
    // Its batch fails (after 0.5 s): the screen is put back at once; the batch is retried, then the
    // message alone is dead-lettered, and the screen stays on the stored view.
    const back = await eventually(
      'the correction',
      async () => pushed.find((p) => p.view.id === cams.fail && p.view.state === 'up'),
      30_000,
    );
    expect(pushed.indexOf(back)).toBeGreaterThan(pushed.indexOf(early));
    expect(h.hub.pipeline.stats.failedBatches).toBeGreaterThan(failedBefore);
    await eventually(
      'dead-lettered',
      async () => (h.hub.pipeline.stats.deadLetterCodes.STORE_FAILED ?? 0) >= 1 || undefined,
      30_000,
    );
    await h.hub.pipeline.idle();
    expect(await stateOf(cams.fail)).toBe('up');
    expect(h.hub.fleet.cameras.get(cams.fail)?.state).toBe('up');
    // The ingest goes on: another camera goes down as sent.
    await site.publish('health', health(cams.plain, 'down'), cams.plain);
    await eventually('plain down', async () =>
      pushed.find((p) => p.view.id === cams.plain && p.view.state === 'down'),
    );
    await h.hub.pipeline.idle();
    expect(await stateOf(cams.plain)).toBe('down');
    expect(pushed.filter((p) => p.view.id === cams.fail).map((p) => p.view.state)).toEqual(['down', 'up']);
  });

  it('pushes nothing ahead for a sample older than what is queued or stored', async () => {
    const { h, cams, site, pushed } = t;
    pushed.length = 0;
    // Older than the camera's current state (an outbox replay): merged into history, no live change.
    await site.publish('health', health(cams.plain, 'up'), cams.plain, new Date(Date.now() - 60_000));
    await h.hub.pipeline.idle();
    await new Promise((r) => setTimeout(r, 300));
    expect(pushed.filter((p) => p.view.id === cams.plain)).toEqual([]);
    expect(h.hub.fleet.cameras.get(cams.plain)?.state).toBe('down');
  });
});

describe('live push after the commit (live.pushBeforeCommit off)', () => {
  let t: Awaited<ReturnType<typeof hubWithSocket>>;

  beforeAll(async () => {
    t = await hubWithSocket(false);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
  });

  it('pushes the change only once it is stored, and nothing for a message that could not be', async () => {
    const { h, cams, site, pushed } = t;
    pushed.length = 0;
    await site.publish('health', health(cams.slow, 'down'), cams.slow);
    const late = await eventually('the push', async () => pushed.find((p) => p.view.id === cams.slow));
    expect(late.view.state).toBe('down');
    expect(late.storedState).toBe('down');
    await site.publish('health', health(cams.fail, 'down'), cams.fail);
    await eventually(
      'dead-lettered',
      async () => (h.hub.pipeline.stats.deadLetterCodes.STORE_FAILED ?? 0) >= 1 || undefined,
      30_000,
    );
    await h.hub.pipeline.idle();
    expect(pushed.filter((p) => p.view.id === cams.fail)).toEqual([]);
  });
});
