import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceCreated } from '../../src/schemas/sources.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../simulators/camera/index.ts';
import { MobileSource, MobileSourceRunner } from '../simulators/mobile/mobile-source.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard, openView } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { seriousAxeViolations } from './page-checks.ts';

// A control room watching a police drone over Penzance, in Chromium: the drone's marker moves with its
// telemetry and its ground footprint is drawn; incident search lists it; its feed plays on a phone.

const shot = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));
const TOWN = { lat: 50.1186, lon: -5.5371 };
const INCIDENT_REF = 'INC-2026-0977';

/** Where the drone's marker stands (the position it was drawn at), or null. */
const markerAt = (page: Page, mapId: string, id: string) =>
  page.evaluate(
    ({ mapId, id }) => {
      const glyph = document.querySelector<HTMLElement>(`#${mapId} .source-glyph[data-source-id="${id}"]`);
      return glyph ? `${glyph.dataset.lat},${glyph.dataset.lon}` : null;
    },
    { mapId, id },
  );

describe('mobile sources in the dashboard: a drone on the map, in incident search and on a phone', () => {
  let h: HubHarness | undefined;
  let station: SitePublisher | undefined;
  let runner: MobileSourceRunner | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const simulator = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  const stationId = uniqueId('air-ops');
  const council = uniqueId('council');
  const droneId = uniqueId('drone');
  const username = uniqueId('cr');
  const password = 'Correct-Horse-7';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureDashboardBuilt();
    await simulator.start();
    const stream = await simulator.addCamera({
      id: droneId,
      username: 'viewer',
      password: 'Drone-View-77',
      profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
    });
    h = await startHub(
      { CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')) },
      {
        feedCredentials: (c) => (c.id === droneId ? { username: 'viewer', password: 'Drone-View-77' } : null),
      },
    );
    await h.createUser('op', 'operator');
    await h.createUser(username, 'controlroom', [], password);
    await h.registerSite(stationId, council);
    const op = await h.login('op');
    const created = await fetch(`${h.hub.url}/api/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: droneId,
        kind: 'drone',
        name: 'Drone 1',
        unit: 'Devon and Cornwall Police drone unit',
        relaySiteId: stationId,
        streamUrl: stream.rtspUrl,
      }),
    });
    const { telemetryKey } = (await created.json()) as SourceCreated;
    station = new SitePublisher(stationId, h.hub.mqttUrl);
    await station.connect(false);
    // A 600 m patrol line through the town centre at 15 m/s, 60 m up, camera 50 degrees down.
    const drone = new MobileSource({
      id: droneId,
      kind: 'drone',
      key: telemetryKey,
      route: [
        { lat: TOWN.lat, lon: TOWN.lon - 0.004 },
        { lat: TOWN.lat, lon: TOWN.lon + 0.004 },
      ],
      speedMps: 15,
      altitudeM: 60,
      gimbalPitchDeg: 50,
      startMs: Date.now(),
    });
    runner = new MobileSourceRunner(drone, (fix) =>
      (station as SitePublisher).publish('telemetry', fix, droneId, new Date(fix.at)),
    );
    runner.start();
    browser = await launchBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    page = browser.page;
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(() =>
    closeAll(
      async () => runner?.stop(),
      () => browser?.close(),
      () => station?.close(false),
      () => simulator.stop(),
      () => h?.stop(),
    ),
  );

  it('moves the drone on the incident map and draws its footprint (390x844)', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    await page.fill('#place-input', 'Penzance');
    await page.press('#place-input', 'Enter');
    const glyph = page.locator(`#incident-map .source-glyph[data-source-id="${droneId}"]`);
    await glyph.waitFor({ state: 'attached' });
    expect(await glyph.getAttribute('data-state')).toBe('up');
    await page.locator('#incident-map path.source-footprint').waitFor({ state: 'attached' });
    await page.locator('#incident-map path.source-track').waitFor({ state: 'attached' });
    const first = await markerAt(page, 'incident-map', droneId);
    await expect.poll(() => markerAt(page, 'incident-map', droneId), { timeout: 10_000 }).not.toBe(first);
    // The marker names what it is for screen readers.
    const name = await page.evaluate(
      (id) =>
        document
          .querySelector(`.source-glyph[data-source-id="${id}"]`)
          ?.closest('[aria-label]')
          ?.getAttribute('aria-label'),
      droneId,
    );
    // The stream check (a few seconds after it went live) adds what its video is.
    expect(name).toMatch(
      /^Drone 1, drone of Devon and Cornwall Police drone unit: live, 60 m up(; video h264 320×240 \d+ fps)?$/,
    );
    await page.locator('#incident-map').scrollIntoViewIfNeeded();
    await mkdir(dirname(shot('mobile-source-map-phone')), { recursive: true });
    await page.screenshot({ path: shot('mobile-source-map-phone') });
  });

  it('lists the drone in the incident results and plays its feed on the phone', async () => {
    const item = page.locator(`#incident-sources li[data-source-id="${droneId}"]`);
    await item.waitFor({ state: 'visible' });
    expect(await item.getAttribute('data-covers-now')).toBe('true');
    expect(await item.textContent()).toContain('over the place now');
    await page.fill('#incident-ref', INCIDENT_REF);
    await page.fill('#incident-reason', 'Suspect seen on the harbour front');
    await item.locator('button.open-source-feed').click();
    const tile = page.locator(`.feed-tile[data-camera-id="${droneId}"]`);
    await tile.waitFor({ state: 'visible' });
    await expect
      .poll(
        () =>
          tile.evaluate((t) => {
            const video = t.querySelector('video');
            return (video?.videoWidth ?? 0) > 0 && (video?.currentTime ?? 0) > 0;
          }),
        { timeout: 45_000, interval: 500 },
      )
      .toBe(true);
    await tile.scrollIntoViewIfNeeded();
    await mkdir(dirname(shot('mobile-source-phone')), { recursive: true });
    await page.screenshot({ path: shot('mobile-source-phone'), fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);
    const audit = await h!.hub.database.pool.query<{ subject: string; actor: string }>(
      `SELECT subject, actor FROM audit_log WHERE kind = 'feed.start' AND incident_ref = $1`,
      [INCIDENT_REF],
    );
    expect(audit.rows).toEqual([{ subject: `camera:${droneId}`, actor: username }]);
    await tile.locator('button.feed-close').click();
  }, 90_000);

  it('shows the drone moving on the live map at 1,440x900', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await openView(page, 'live');
    const glyph = page.locator(`#map .source-glyph[data-source-id="${droneId}"]`);
    await glyph.waitFor({ state: 'attached' });
    const first = await markerAt(page, 'map', droneId);
    await expect.poll(() => markerAt(page, 'map', droneId), { timeout: 10_000 }).not.toBe(first);
    await page.locator('#map path.source-footprint').waitFor({ state: 'attached' });
    // With no camera in view, the map is fitted to the drone: its marker is inside the map.
    const inside = async () => {
      const [m, g] = [await page.locator('#map').boundingBox(), await glyph.boundingBox()];
      return Boolean(m && g && g.x >= m.x && g.x <= m.x + m.width && g.y >= m.y && g.y <= m.y + m.height);
    };
    await expect.poll(inside, { timeout: 5000 }).toBe(true);
    await page.screenshot({ path: shot('mobile-source-desktop') });
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
