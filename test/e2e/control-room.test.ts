import { mkdtempSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraDetail } from '../../src/schemas/api.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SiteHarness } from '../support/site-harness.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { seriousAxeViolations } from './page-checks.ts';

// A control room's incident search and live feeds, end to end: simulated cameras in Penzance (real
// ONVIF, real H.264 over RTSP) -> edge agent -> MQTT -> hub (PostGIS search, ffmpeg remux to HLS) ->
// the built dashboard in Chromium playing the HLS with hls.js through Media Source Extensions.

const SCREENSHOT_PATH = fileURLToPath(new URL('../../test-results/e2e/control-room.png', import.meta.url));
const PHONE_SCREENSHOT_PATH = fileURLToPath(
  new URL('../../test-results/e2e/control-room-feed-phone.png', import.meta.url),
);
/** Penzance in the demo towns data. */
const TOWN = { name: 'Penzance', lat: 50.1186, lon: -5.5371 };
const M_PER_DEG_LAT = 111_320;
const mPerDegLon = M_PER_DEG_LAT * Math.cos((TOWN.lat * Math.PI) / 180);
/** A position `north` and `east` metres from the town centre. */
const near = (north: number, east: number) => ({
  lat: TOWN.lat + north / M_PER_DEG_LAT,
  lon: TOWN.lon + east / mPerDegLon,
});
const INCIDENT_REF = 'INC-2026-0142';
const REASON = 'Reported assault near the harbour';

const rowSelector = (id: string) => `tr.incident-row[data-camera-id="${id}"]`;
const tileSelector = (id: string) => `.feed-tile[data-camera-id="${id}"]`;

/** Each feed tile's video position and readiness, read in one go. */
function videoStates(page: Page, ids: string[]) {
  return page.evaluate(
    ({ ids, pattern }) =>
      ids.map((id) => {
        const tile = document.querySelector<HTMLElement>(pattern.replace('{id}', id));
        const video = tile?.querySelector('video');
        return {
          id,
          phase: tile?.dataset.phase ?? 'absent',
          currentTime: video?.currentTime ?? -1,
          readyState: video?.readyState ?? -1,
          width: video?.videoWidth ?? 0,
          message: tile?.querySelector('.feed-message')?.textContent ?? '',
        };
      }),
    { ids, pattern: tileSelector('{id}') },
  );
}

describe('control-room view in Chromium: incident search and live feeds', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-cr');
  const council = uniqueId('council');
  const front = `${siteId}-front`;
  const side = `${siteId}-side`;
  const away = `${siteId}-away`;
  const cams = [front, side, away];
  const username = uniqueId('cr');
  const officer = uniqueId('officer');
  const password = 'Correct-Horse-7';
  // Two cameras look at the town centre, a third stands near it looking away.
  const layout: Record<string, { north: number; east: number; bearingDeg: number; rangeM: number }> = {
    [front]: { north: -60, east: 0, bearingDeg: 0, rangeM: 100 },
    [side]: { north: 0, east: 45, bearingDeg: 270, rangeM: 80 },
    [away]: { north: 90, east: 10, bearingDeg: 0, rangeM: 60 },
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub(
      {
        CCTV_HUB__feeds__maxPerSite: '2',
        CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')),
      },
      { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
    );
    await h.createUser(username, 'controlroom', [], password);
    await h.createUser(officer, 'council', [council], password);
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      commissioning: (id) => {
        const { north, east, bearingDeg, rangeM } = layout[id]!;
        return {
          location: near(north, east),
          bearingDeg,
          hfovDeg: 60,
          designDistanceM: rangeM,
          purpose: 'recognise',
        };
      },
    });
    await site.start();
    // Feeds need each camera up with a probed stream (its address is what the hub pulls).
    const token = await h.login(username, password);
    const deadline = Date.now() + 60_000;
    for (const id of cams) {
      for (;;) {
        const response = await fetch(`${h.hub.url}/api/cameras/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const camera = (await response.json()) as CameraDetail;
        if (response.ok && camera.state === 'up' && camera.stream?.uri) break;
        if (Date.now() > deadline) throw new Error(`camera ${id} never came up with a stream`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.stop(),
      () => h?.stop(),
    ),
  );

  it('lands a control room on the incident view with the cameras’ fields of view on the map', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    expect(await page.getAttribute('#view-incident-tab', 'aria-pressed')).toBe('true');
    expect(await page.locator('#view-live').isHidden()).toBe(true);
    // Control rooms have no compliance view.
    expect(await page.locator('#view-compliance-tab').count()).toBe(0);
    for (const id of cams) {
      await page
        .locator(`#incident-map path.fov-cone[data-camera-id="${id}"]`)
        .waitFor({ state: 'attached' });
      expect(
        await page.getAttribute(`#incident-map path.fov-cone[data-camera-id="${id}"]`, 'data-state'),
      ).toBe('up');
    }
    await page.locator('#incident-map[data-basemap="loaded"]').waitFor({ state: 'attached' });
  });

  it('finds the town by name and ranks the cameras looking at it first', async () => {
    await page.fill('#place-input', TOWN.name.slice(0, 5));
    const option = page.locator(`button.place-option[data-name="${TOWN.name}"]`);
    await option.waitFor({ state: 'visible' });
    expect(await option.getAttribute('data-kind')).toBe('town');
    await option.click();
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(3);
    await expect
      .poll(() => page.textContent('#incident-summary'))
      .toBe(`3 cameras within 200 m of ${TOWN.name} · 2 with the place in view`);
    const ranked = await page.$$eval('tr.incident-row', (rows) =>
      rows.map((r) => ({ id: r.getAttribute('data-camera-id'), covers: r.getAttribute('data-covers') })),
    );
    expect(new Set(ranked.slice(0, 2).map((r) => r.id))).toEqual(new Set([front, side]));
    expect(ranked.map((r) => r.covers)).toEqual(['true', 'true', 'false']);
    expect(ranked[2]!.id).toBe(away);
    expect(await page.locator(`${rowSelector(front)} .covers-badge`).count()).toBe(1);
    expect(await page.locator(`${rowSelector(away)} .covers-badge`).count()).toBe(0);
    // Every result is a numbered marker on the map, and its cone is marked as a result.
    for (const id of cams) {
      await page.locator(`.rank-marker[data-camera-id="${id}"]`).waitFor({ state: 'visible' });
      expect(await page.getAttribute(`path.fov-cone[data-camera-id="${id}"]`, 'data-result')).toBe('true');
    }
  });

  it('sets the incident point with a click on the map, and an area by drawing', async () => {
    const box = await page.locator('#incident-map').boundingBox();
    if (!box) throw new Error('incident map not rendered');
    // The map is centred on the town: click a little west of it, clear of the markers.
    await page.mouse.click(box.x + box.width / 2 - 30, box.y + box.height / 2);
    await expect
      .poll(() => page.textContent('#incident-summary'))
      .toMatch(/^3 cameras within 200 m of 50\.11\d{3}, -5\.53\d{3}/);
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(3);
    // An area drawn around the cameras: three clicks, then Finish.
    await page.click('#draw-area');
    expect(await page.getAttribute('#draw-area', 'aria-pressed')).toBe('true');
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    for (const [dx, dy] of [
      [0, -160],
      [170, 130],
      [-170, 130],
    ] as const)
      await page.mouse.click(cx + dx, cy + dy);
    await page.click('#finish-area');
    await expect
      .poll(() => page.textContent('#incident-summary'))
      .toMatch(/^3 cameras inside the drawn area/);
    expect(await page.locator('#incident-map path.incident-area').count()).toBe(1);
    // Back to the town centre, this time with Enter in the place box (the first match is taken).
    await page.fill('#place-input', TOWN.name);
    await page.press('#place-input', 'Enter');
    await expect
      .poll(() => page.textContent('#incident-summary'))
      .toBe(`3 cameras within 200 m of ${TOWN.name} · 2 with the place in view`);
    expect(await page.locator('tr.incident-row[data-covers="true"]').count()).toBe(2);
  });

  it('offers a wider radius in one click when a point search finds few cameras', async () => {
    const box = await page.locator('#incident-map').boundingBox();
    if (!box) throw new Error('incident map not rendered');
    // A point in the map's corner, well away from the town's cameras.
    await page.mouse.click(box.x + 40, box.y + box.height - 40);
    await expect
      .poll(() => page.textContent('#incident-hint'))
      .toMatch(/^(No cameras|Only 1 camera|Only 2 cameras) within 200 m\. Widen to 400 m$/);
    await page.click('#incident-widen');
    expect(await page.inputValue('#incident-radius')).toBe('400');
    await expect.poll(() => page.textContent('#incident-summary')).toMatch(/within 400 m of /);
    // Back to the town at the default radius for the feed tests.
    await page.$eval('#incident-radius', (input) => {
      (input as HTMLInputElement).value = '200';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.fill('#place-input', TOWN.name);
    await page.press('#place-input', 'Enter');
    await expect
      .poll(() => page.textContent('#incident-summary'))
      .toBe(`3 cameras within 200 m of ${TOWN.name} · 2 with the place in view`);
    // Enough cameras found: no suggestion.
    expect(await page.locator('#incident-widen').count()).toBe(0);
  });

  it('asks for an incident reference before opening a feed', async () => {
    await page.click(`${rowSelector(front)} button.open-feed`);
    await expect.poll(() => page.textContent('#incident-error')).toContain('incident reference');
    expect(await page.getAttribute('#incident-ref', 'aria-invalid')).toBe('true');
    expect(await page.locator('.feed-tile').count()).toBe(0);
  });

  it('opens two feeds and plays real video in both', async () => {
    await page.fill('#incident-ref', INCIDENT_REF);
    await page.fill('#incident-reason', REASON);
    expect(await page.textContent('#incident-error')).toBe('');
    await page.click(`${rowSelector(front)} button.open-feed`);
    await page.click(`${rowSelector(side)} button.open-feed`);
    await expect
      .poll(async () => (await videoStates(page, [front, side])).map((v) => v.phase), { timeout: 30_000 })
      .toEqual(['video', 'video']);
    // Both players have decoded frames of the simulator's 320x240 stream...
    await expect
      .poll(
        async () => (await videoStates(page, [front, side])).map((v) => v.width > 0 && v.currentTime > 0),
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toEqual([true, true]);
    const first = await videoStates(page, [front, side]);
    expect(first.map((v) => v.width)).toEqual([320, 320]);
    // ...and keep playing: each position moves on by more than two seconds.
    await expect
      .poll(
        async () =>
          (await videoStates(page, [front, side])).map((v, i) => v.currentTime - first[i]!.currentTime > 2),
        { timeout: 30_000, interval: 500 },
      )
      .toEqual([true, true]);
    const now = await videoStates(page, [front, side]);
    expect(
      now.map((v) => v.phase),
      JSON.stringify(now),
    ).toEqual(['video', 'video']);
    for (const id of [front, side]) {
      expect(await page.textContent(`${tileSelector(id)} .feed-ref`)).toBe(INCIDENT_REF);
      expect(await page.textContent(`${tileSelector(id)} .feed-time-left`)).toMatch(/^1[45]:\d\d left$/);
      expect(await page.getAttribute(`${rowSelector(id)} button.open-feed`, 'aria-pressed')).toBe('true');
    }
  }, 90_000);

  it("shows the hub's refusal when the site's feed limit is reached", async () => {
    await page.click(`${rowSelector(away)} button.open-feed`);
    const tile = page.locator(`${tileSelector(away)}[data-phase="refused"]`);
    await tile.waitFor({ state: 'visible', timeout: 20_000 });
    const message = await tile.locator('.feed-message').textContent();
    expect(message).toContain('Site feed limit reached');
    expect(message).toMatch(/already sends 2 live feeds \(limit 2\)/);
    expect(await tile.locator('.feed-message').getAttribute('role')).toBe('alert');
    // The two running feeds are untouched.
    expect((await videoStates(page, [front, side])).map((v) => v.phase)).toEqual(['video', 'video']);
    await tile.locator('button.feed-close').click();
    await tile.waitFor({ state: 'detached' });
  });

  it('audits both sessions with the incident reference and saves a screenshot', async () => {
    const rows = await h!.hub.database.pool.query<{
      subject: string;
      actor: string;
      incident_ref: string;
      reason: string;
    }>(
      `SELECT subject, actor, incident_ref, reason FROM audit_log
       WHERE kind = 'feed.start' AND incident_ref = $1 ORDER BY seq`,
      [INCIDENT_REF],
    );
    expect(rows.rows.map((r) => r.subject).sort()).toEqual([`camera:${front}`, `camera:${side}`].sort());
    for (const row of rows.rows) {
      expect(row.actor).toBe(username);
      expect(row.reason).toBe(REASON);
    }
    await page.locator(`${rowSelector(front)}`).hover();
    await mkdir(dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH });
    expect((await stat(SCREENSHOT_PATH)).size).toBeGreaterThan(20_000);
  });

  it('closes a feed with its tile, and the rest on leaving the view', async () => {
    const ours = () => h!.hub.feedManager.list().filter((s) => s.incidentRef === INCIDENT_REF);
    expect(
      ours()
        .map((s) => s.cameraId)
        .sort(),
    ).toEqual([front, side].sort());
    await page.click(`${tileSelector(side)} button.feed-close`);
    await expect.poll(() => ours().map((s) => s.cameraId)).toEqual([front]);
    await page.click('#view-live-tab');
    await page.locator('#view-live').waitFor({ state: 'visible' });
    await expect.poll(() => ours().length).toBe(0);
    const endings = async () =>
      (
        await h!.hub.database.pool.query<{ why: string }>(
          `SELECT detail->>'why' AS why FROM audit_log WHERE kind = 'feed.end' AND incident_ref = $1`,
          [INCIDENT_REF],
        )
      ).rows.map((r) => r.why);
    await expect.poll(endings).toEqual(['closed', 'closed']);
    expect(pageErrors).toEqual([]);
  });

  it('falls back to refreshed snapshots where the browser cannot play the stream', async () => {
    // A second tab whose browser has neither Media Source Extensions nor native HLS.
    const noVideo = await browser!.context.newPage();
    try {
      await noVideo.addInitScript(() => {
        Object.defineProperty(window, 'MediaSource', { value: undefined });
        Object.defineProperty(window, 'ManagedMediaSource', { value: undefined });
        HTMLMediaElement.prototype.canPlayType = () => '';
      });
      noVideo.on('pageerror', (error) => pageErrors.push(error.message));
      await loginAndOpenDashboard(noVideo, h!.hub.url, username, password);
      await noVideo.fill('#place-input', TOWN.name);
      await noVideo.press('#place-input', 'Enter');
      await noVideo.locator(`${rowSelector(front)} button.open-feed`).waitFor({ state: 'visible' });
      await noVideo.fill('#incident-ref', INCIDENT_REF);
      await noVideo.fill('#incident-reason', REASON);
      await noVideo.click(`${rowSelector(front)} button.open-feed`);
      const tile = noVideo.locator(`${tileSelector(front)}[data-phase="snapshot"]`);
      await tile.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await tile.locator('.feed-message').textContent()).toContain('cannot play live video');
      // A real JPEG of the stream, fetched again every few seconds.
      const snapshot = tile.locator('img.feed-snapshot');
      await expect
        .poll(() => snapshot.evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 15_000 })
        .toBe(320);
      const firstSrc = await snapshot.getAttribute('src');
      await expect.poll(() => snapshot.getAttribute('src'), { timeout: 10_000 }).not.toBe(firstSrc);
      await tile.locator('button.feed-close').click();
      await expect
        .poll(() => h!.hub.feedManager.list().filter((s) => s.incidentRef === INCIDENT_REF).length)
        .toBe(0);
    } finally {
      await noVideo.close();
    }
  }, 60_000);

  it('opens a feed on a phone (390x844, touch) and the video plays', async () => {
    const phone = await launchBrowser({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      const p = phone.page;
      p.setDefaultTimeout(15_000);
      p.on('pageerror', (error) => pageErrors.push(error.message));
      await loginAndOpenDashboard(p, h!.hub.url, username, password);
      await p.locator('#view-incident').waitFor({ state: 'visible' });
      // Everything the task needs is on screen, without sideways scrolling.
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await p.fill('#place-input', TOWN.name);
      await p.press('#place-input', 'Enter');
      await expect.poll(() => p.locator('tr.incident-row').count()).toBe(3);
      await p.fill('#incident-ref', INCIDENT_REF);
      await p.fill('#incident-reason', REASON);
      await p.locator(`${rowSelector(front)} button.open-feed`).tap();
      await expect
        .poll(async () => (await videoStates(p, [front]))[0]!.width, { timeout: 30_000, interval: 250 })
        .toBe(320);
      const first = (await videoStates(p, [front]))[0]!;
      // The phone's player keeps playing: its position moves on by more than two seconds.
      await expect
        .poll(async () => (await videoStates(p, [front]))[0]!.currentTime - first.currentTime, {
          timeout: 30_000,
          interval: 500,
        })
        .toBeGreaterThan(2);
      const tile = p.locator(tileSelector(front));
      await tile.scrollIntoViewIfNeeded();
      const box = await tile.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await seriousAxeViolations(p)).toEqual([]);
      await p.screenshot({ path: PHONE_SCREENSHOT_PATH, fullPage: true });
      await tile.locator('button.feed-close').tap();
      await expect
        .poll(() => h!.hub.feedManager.list().filter((s) => s.incidentRef === INCIDENT_REF).length)
        .toBe(0);
    } finally {
      await phone.close();
    }
  }, 90_000);

  it('lets a council officer search but not open feeds', async () => {
    await page.click('#logout');
    await loginAndOpenDashboard(page, h!.hub.url, officer, password);
    await page.click('#view-incident-tab');
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    await page.fill('#place-input', TOWN.name);
    await page.press('#place-input', 'Enter');
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(3);
    expect(await page.locator('button.open-feed').count()).toBe(0);
    expect(await page.locator('#incident-ref').count()).toBe(0);
    expect(await page.locator('#feed-grid').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('draws on the live view, once shown, the changes that came while it was hidden', async () => {
    // The incident view is on screen; the live view's table and map take no changes meanwhile
    // (at thousands of changes a second they were most of the page's work, for nobody).
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    const row = `#view-live tr.cam-row[data-camera-id="${away}"]`;
    await site!.simulator.setFault(away, { kind: 'unreachable' });
    // The cone on screen turns at once...
    await expect
      .poll(() => page.getAttribute(`#incident-map path.fov-cone[data-camera-id="${away}"]`, 'data-state'), {
        timeout: 30_000,
      })
      .toBe('down');
    // ...the hidden table is left alone (this officer has not opened it yet: it has no rows)...
    expect(await page.locator(`${row}[data-state="down"]`).count()).toBe(0);
    expect(await page.locator('#view-live tr.cam-row').count()).toBe(0);
    // ...and shows the change as soon as it is on screen.
    await page.click('#view-live-tab');
    await page.locator('#view-live').waitFor({ state: 'visible' });
    expect(await page.getAttribute(row, 'data-state')).toBe('down');
    expect(await page.getAttribute(`${row} .badge`, 'data-state')).toBe('down');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
