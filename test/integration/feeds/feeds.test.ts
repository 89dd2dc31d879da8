import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedUrlSigner } from '../../../hub-server/src/feeds/signed-url.ts';
import type { CameraDetail } from '../../../src/schemas/api.ts';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { pdfPages } from '../../support/pdf-text.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// Live feeds end to end: simulated cameras (real RTSP, H.264) -> edge agent reports the stream
// address -> the hub pulls it with ffmpeg and remuxes to HLS -> signed URLs serve real segments.

const IDLE_MS = 3000;

describe('live feeds: RTSP pulled by the hub, remuxed to HLS, limited, audited', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let control: string;
  const siteId = uniqueId('feeds');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`, `${siteId}-c`];

  const api = async (method: string, path: string, token: string | null, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const open = (cameraId: string, token = control) =>
    api('POST', '/api/feeds', token, {
      cameraId,
      incidentRef: 'INC-2026-1124-042',
      reason: 'Reported assault',
    });
  const get = (path: string) => fetch(`${h.hub.url}${path}`);

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__feeds__maxPerSite: '2',
        CCTV_HUB__feeds__idleTimeoutMs: String(IDLE_MS),
        CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')),
      },
      { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
    );
    await h.createUser('cr', 'controlroom');
    await h.createUser('aud', 'auditor');
    await h.createUser('officer', 'council', [council]);
    control = await h.login('cr');
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({ siteId, councilId: council, mqttUrl: h.hub.mqttUrl, cameraIds: cams });
    await site.start();
    // Wait until every camera is up with a probed stream (its address is what the hub pulls).
    const deadline = Date.now() + 60_000;
    for (const id of cams) {
      for (;;) {
        const detail = await api('GET', `/api/cameras/${id}`, control);
        const camera = detail.body as unknown as CameraDetail;
        if (detail.status === 200 && camera.state === 'up' && camera.stream?.uri) break;
        if (Date.now() > deadline) throw new Error(`camera ${id} never came up with a stream`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }, 120_000);

  afterAll(async () => {
    if (watching) clearInterval(watching);
    await site?.stop();
    await h?.stop();
  });

  let first: FeedSessionView;
  let second: FeedSessionView;
  // A viewer keeps watching the first feed throughout (as a player polls its playlist).
  let watching: ReturnType<typeof setInterval> | null = null;

  it('plays real video: a playlist and MPEG-TS segments behind a signed URL', async () => {
    const opened = await open(cams[0] as string);
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    first = opened.body as unknown as FeedSessionView;
    expect(first.status).toBe('live');
    watching = setInterval(() => void get(first.url).catch(() => {}), 1000);
    expect(first.url).toMatch(/^\/feeds\/[0-9a-f]{32}\/\d+\/[\w-]+\/index\.m3u8$/);
    // The playlist lists segments once ffmpeg has cut one (1 s target).
    let playlist = '';
    for (let i = 0; i < 50 && !/seg\d+\.ts/.test(playlist); i++) {
      playlist = await (await get(first.url)).text();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(playlist).toContain('#EXTM3U');
    const segment = /seg\d+\.ts/.exec(playlist)?.[0];
    expect(segment).toBeDefined();
    const ts = await get(first.url.replace('index.m3u8', segment as string));
    expect(ts.status).toBe(200);
    expect(ts.headers.get('content-type')).toBe('video/mp2t');
    const bytes = new Uint8Array(await ts.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.length % 188).toBe(0);
    expect(bytes[0]).toBe(0x47); // MPEG-TS sync byte
    const snapshot = await get(first.snapshotUrl);
    expect(snapshot.status).toBe(200);
    const jpeg = new Uint8Array(await snapshot.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    // Only the names a feed writes are accepted (400 before any file is looked at); a well-formed
    // name the session has not written is 404.
    expect((await get(first.url.replace('index.m3u8', '..%2F..%2Fpasswd'))).status).toBe(400);
    expect((await get(first.url.replace('index.m3u8', 'seg999999.ts'))).status).toBe(404);
  });

  it('refuses the N+1th camera on a site, but a second viewer shares a running pull', async () => {
    const b = await open(cams[1] as string);
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    second = b.body as unknown as FeedSessionView;
    const c = await open(cams[2] as string);
    expect(c.status).toBe(429);
    expect(c.body.code).toBe('SITE_FEED_LIMIT');
    expect(c.body.message).toMatch(/already sends 2 live feeds \(limit 2\)/);
    const again = await open(cams[0] as string);
    expect(again.status).toBe(201);
    expect(h.hub.feedManager.list().filter((s) => s.cameraId === cams[0])).toHaveLength(2);
    await api('DELETE', `/api/feeds/${(again.body as unknown as FeedSessionView).id}`, control);
  });

  it('refuses tampered and expired URLs', async () => {
    const tampered = first.url.replace(/\/([\w-]+)\/index\.m3u8$/, (_m, sig: string) => {
      const flipped = sig[0] === 'A' ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
      return `/${flipped}/index.m3u8`;
    });
    expect((await get(tampered)).status).toBe(403);
    const longer = first.url.replace(/\/(\d+)\//, (_m, exp: string) => `/${Number(exp) + 60_000}/`);
    expect((await get(longer)).status).toBe(403);
    // A correctly signed URL whose time is up (the test knows the hub's secret).
    const signer = new FeedUrlSigner('test-secret-not-for-production');
    const expired = await get(`${signer.prefix(first.id, Date.now() - 1000)}index.m3u8`);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { code: string }).code).toBe('FEED_URL_EXPIRED');
  });

  it('stops the ffmpeg of an idle feed within the idle timeout', async () => {
    const pid = h.hub.feedManager.upstreamPid(cams[1] as string);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid as number, 0)).not.toThrow();
    // The first feed is still watched; the second is left alone.
    const started = Date.now();
    let gone = false;
    while (!gone && Date.now() - started < IDLE_MS + 4000) {
      await new Promise((r) => setTimeout(r, 250));
      try {
        process.kill(pid as number, 0);
      } catch {
        gone = true;
      }
    }
    expect(gone).toBe(true);
    expect(Date.now() - started).toBeLessThan(IDLE_MS + 4000);
    expect((await get(second.url)).status).toBe(404);
    // The watched one still plays.
    expect((await get(first.url)).status).toBe(200);
  });

  it('says at once that a down camera has no feed', async () => {
    await site.simulator.setFault(cams[2] as string, { kind: 'unreachable' });
    const deadline = Date.now() + 30_000;
    let state = '';
    while (state !== 'down' && Date.now() < deadline) {
      state = ((await api('GET', `/api/cameras/${cams[2]}`, control)).body as { state: string }).state;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toBe('down');
    const t0 = Date.now();
    const refused = await open(cams[2] as string);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CAMERA_DOWN');
    expect(refused.body.message).toMatch(/is down/);
  });

  it('lets only control rooms and operators open feeds', async () => {
    expect((await open(cams[0] as string, await h.login('aud'))).status).toBe(403);
    expect((await open(cams[0] as string, await h.login('officer'))).status).toBe(403);
    expect((await open(cams[0] as string, 'not-a-token')).status).toBe(401);
    const noReason = await api('POST', '/api/feeds', control, { cameraId: cams[0], incidentRef: 'INC-1' });
    expect(noReason.status).toBe(400);
  });

  it('keeps every session in the audit log with its incident reference', async () => {
    if (watching) clearInterval(watching);
    expect((await api('DELETE', `/api/feeds/${first.id}`, control)).status).toBe(204);
    const rows = await h.hub.database.pool.query<{
      kind: string;
      actor: string;
      role: string;
      incident_ref: string;
      subject: string;
      detail: { session: string; why?: string };
    }>(
      "SELECT kind, actor, role, incident_ref, subject, detail FROM audit_log WHERE kind IN ('feed.start', 'feed.end') ORDER BY seq",
    );
    const of = (session: string) => rows.rows.filter((r) => r.detail.session === session);
    expect(of(first.id).map((r) => [r.kind, r.actor, r.incident_ref, r.subject])).toEqual([
      ['feed.start', 'cr', 'INC-2026-1124-042', `camera:${cams[0]}`],
      ['feed.end', 'cr', 'INC-2026-1124-042', `camera:${cams[0]}`],
    ]);
    expect(of(first.id)[1]?.detail.why).toBe('closed');
    expect(new Set(rows.rows.map((r) => r.role))).toEqual(new Set(['controlroom']));
    expect(of(second.id).map((r) => [r.kind, r.detail.why ?? null])).toEqual([
      ['feed.start', null],
      ['feed.end', 'idle'],
    ]);
    // No camera password in any log line the hub wrote.
    for (const id of cams) expect(h.logs.join('\n')).not.toContain(SiteHarness.password(id));
  });

  it('lists the sessions in the council evidence pack, with the access-audit rule evaluated', async () => {
    const response = await fetch(`${h.hub.url}/api/reports/councils/${council}/evidence.pdf`, {
      headers: { authorization: `Bearer ${await h.login('aud')}` },
    });
    expect(response.status).toBe(200);
    const text = (await pdfPages(Buffer.from(await response.arrayBuffer()))).join('\n');
    expect(text).toContain('Feed-access summary');
    expect(text).toContain('Audit log verified');
    expect(text).toMatch(/[23] feed sessions in the period/);
    const section = text.slice(text.lastIndexOf('Feed-access summary'));
    expect(section, section).toContain('INC-2026-1124-042');
  });
});
