import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { pdfPages } from '../../support/pdf-text.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Twenty evidence packs asked for at once are drawn on the render workers: every one arrives whole
// and correct, and /healthz keeps answering meanwhile (drawn on the event loop, they held it for
// seconds). Timings belong in the bench (npm run bench -- --scenario report-load); the bound here is
// only generous enough to tell "answers while packs are drawn" from "waits for them".

const CAMERAS = 60;
const PARALLEL = 20;
const HEALTHZ_BOUND_MS = 1000;

describe('evidence packs under load', () => {
  let h: HubHarness;
  let token: string;
  let site: SitePublisher;
  const council = uniqueId('load');
  const cams = Array.from({ length: CAMERAS }, (_, i) => `${council}-${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__reports__workers: '1', CCTV_HUB__reports__queueLength: '30' });
    await h.createUser('load-op', 'operator');
    token = await h.login('load-op');
    await h.registerSite(`${council}-site`, council, { cameraIds: cams });
    site = new SitePublisher(`${council}-site`, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online' });
    for (const cam of cams) await site.publish('health', health(cam, 'up'), cam);
    await eventually('all cameras stored', async () => {
      const r = await h.hub.database.pool.query('SELECT count(*)::int AS n FROM cameras WHERE id = ANY($1)', [
        cams,
      ]);
      return r.rows[0].n === CAMERAS ? true : undefined;
    });
    // A clock reading per camera per hour of the month so far, so each pack has charts to draw.
    await h.hub.database.pool.query(
      `INSERT INTO health_samples (msg_id, camera_id, observed_at, state, clock_offset_ms, payload)
       SELECT c || '-' || extract(epoch FROM t), c, t, 'up', (random() * 2000 - 1000), '{}'::jsonb
       FROM unnest($1::text[]) AS c,
            generate_series(date_trunc('month', now()), now() - interval '1 minute', interval '1 hour') AS t`,
      [cams],
    );
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  const pack = async () => {
    const r = await fetch(`${h.hub.url}/api/reports/councils/${council}/evidence.pdf`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  };

  it(`builds ${PARALLEL} packs at once while /healthz keeps answering`, async () => {
    await pack(); // the worker starts on first use; measured from a running one
    let done = false;
    const healthz: { status: number; ms: number }[] = [];
    const poll = (async () => {
      while (!done) {
        const started = performance.now();
        const r = await fetch(`${h.hub.url}/healthz`);
        await r.arrayBuffer();
        healthz.push({ status: r.status, ms: performance.now() - started });
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    const packs = await Promise.all(Array.from({ length: PARALLEL }, pack));
    done = true;
    await poll;

    const sorted = healthz.map((x) => x.ms).sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    process.stdout.write(
      `healthz during ${PARALLEL} packs: ${healthz.length} answers, p99 ${p99.toFixed(0)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms\n`,
    );
    expect(healthz.every((x) => x.status === 200)).toBe(true);
    expect(healthz.length).toBeGreaterThan(PARALLEL);
    expect(sorted.at(-1)).toBeLessThan(HEALTHZ_BOUND_MS);

    expect(packs.map((p) => p.status)).toEqual(Array(PARALLEL).fill(200));
    for (const p of packs) {
      expect(p.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(p.body.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    }
    // Opened and read back: every camera of the council is in it.
    for (const p of [packs[0], packs.at(-1)]) {
      const text = (await pdfPages(p?.body as Buffer)).join('\n');
      for (const cam of cams) expect(text).toContain(cam);
    }
  }, 300_000);
});

describe('a full render queue', () => {
  let h: HubHarness;
  let token: string;
  const council = uniqueId('busy');

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__reports__workers: '1', CCTV_HUB__reports__queueLength: '0' });
    await h.createUser('busy-op', 'operator');
    token = await h.login('busy-op');
    await h.registerSite(`${council}-site`, council, { cameraIds: [] });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('answers 503 REPORTS_BUSY with Retry-After beyond the workers and the queue, and serves the rest', async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${h.hub.url}/api/reports/councils/${council}/evidence.pdf`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
    const busy = responses.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(responses.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    for (const r of busy) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toMatchObject({ statusCode: 503, code: 'REPORTS_BUSY' });
    }
    // Refused reports are not exported: only the served ones are in the audit log.
    const served = responses.filter((r) => r.status === 200).length;
    const audit = await h.hub.database.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE kind = 'export.report' AND council_id = $1",
      [council],
    );
    expect(audit.rows[0].n).toBe(served);
  }, 120_000);
});
