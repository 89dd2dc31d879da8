import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../../support/cleanup.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A camera is not stale because the hub was behind. Here the hub's own process is really stalled (a
// busy loop, as on a starved host) for longer than staleAfterMs while its site keeps sending: the
// heartbeats wait unread in the hub's sockets, and the sweep that runs first after the stall must not
// take that silence for the site's. Real broker and database (either pair).

const STALE_AFTER_MS = 2_000;
const STALL_MS = 3_500;

function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Spin: nothing else in this process runs meanwhile.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('hub ingest lag: a stalled hub does not call cameras stale', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let beat: NodeJS.Timeout | undefined;
  const siteId = uniqueId('hubstall');
  const council = uniqueId('council');
  const cams = [`${siteId}-1`, `${siteId}-2`];

  const query = async <T>(text: string, values: unknown[]): Promise<T[]> =>
    (await h.hub.database.pool.query(text, values)).rows as T[];

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__state__staleAfterMs: String(STALE_AFTER_MS) });
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
    await site.publish('siteState', { state: 'online' });
    await site.publish('inventory', inventory(council, cams));
  }, 180_000);

  afterAll(async () => {
    clearInterval(beat);
    await closeAll(
      () => site?.close(),
      () => h?.stop(),
    );
  });

  it('keeps cameras up through stalls longer than staleAfterMs while their heartbeats keep coming', async () => {
    const send = () => {
      for (const id of cams) site.publish('health', health(id, 'up'), id).catch(() => {});
    };
    send();
    beat = setInterval(send, 250);
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const rows = await query<{ state: string }>('SELECT state FROM cameras WHERE id = ANY($1)', [cams]);
      if (rows.length === cams.length && rows.every((r) => r.state === 'up')) break;
      await sleep(200);
    }
    // Long enough for a sweep to have run in the free loop since.
    await sleep(1_500);
    const fromMs = Date.now();
    for (let i = 0; i < 4; i++) {
      busyFor(STALL_MS);
      await sleep(1_500);
    }
    await sleep(1_500);
    const unknown = await query<{ camera_id: string; reasons: { code: string; message: string }[] }>(
      `SELECT camera_id, reasons FROM camera_state_intervals
        WHERE camera_id = ANY($1) AND state <> 'up' AND started_at >= $2`,
      [cams, new Date(fromMs)],
    );
    console.log(
      `[hub-stall ${h.services.label}] 4 stalls of ${STALL_MS} ms with staleAfterMs ${STALE_AFTER_MS}: ${unknown.length} intervals other than up`,
    );
    expect(unknown.map((u) => `${u.camera_id}: ${u.reasons.map((r) => r.message).join('; ')}`)).toEqual([]);
    const now = await query<{ state: string }>('SELECT state FROM cameras WHERE id = ANY($1)', [cams]);
    expect(now.map((r) => r.state)).toEqual(['up', 'up']);
    // A site that really falls silent is still stale once the hub has listened for a while.
    clearInterval(beat);
    const silentEnd = Date.now() + 20_000;
    let states: string[] = [];
    while (Date.now() < silentEnd) {
      states = (await query<{ state: string }>('SELECT state FROM cameras WHERE id = ANY($1)', [cams])).map(
        (r) => r.state,
      );
      if (states.every((s) => s === 'unknown')) break;
      await sleep(250);
    }
    expect(states).toEqual(['unknown', 'unknown']);
  }, 90_000);
});
