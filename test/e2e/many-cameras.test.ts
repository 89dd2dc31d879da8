import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryPayload } from '../../src/schemas/payloads.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// A region of 3,200 cameras (16 sites of 200 around Penzance), more than the maps draw as SVG: the
// control room's map puts the cones on one canvas and draws them from a town's zoom on, saying so
// when zoomed out; the live map draws markers on a canvas too.

const shot = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}`, import.meta.url));
const TOWN = { name: 'Penzance', lat: 50.1186, lon: -5.5371 };
const SITES = 16;
const PER_SITE = 200;
const CAMERAS = SITES * PER_SITE;

describe('the maps with thousands of cameras', () => {
  let h: HubHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const publishers: SitePublisher[] = [];
  const prefix = uniqueId('many');
  const council = uniqueId('council');
  const username = uniqueId('cr');
  const operator = uniqueId('op');
  const password = 'Correct-Horse-7';
  const siteId = (s: number) => `${prefix}-s${s}`;
  const cameraId = (s: number, c: number) => `${siteId(s)}-c${c}`;
  /** Sites in a ring of towns a few kilometres apart, the first in the middle of Penzance. */
  const siteAt = (s: number) => ({
    lat: TOWN.lat + (s === 0 ? 0 : 0.04 * Math.cos(s)),
    lon: TOWN.lon + (s === 0 ? 0 : 0.06 * Math.sin(s)),
  });

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(username, 'controlroom', [], password);
    await h.createUser(operator, 'operator', [], password);
    let sent = h.hub.pipeline.stats.received;
    for (let s = 0; s < SITES; s++) {
      const ids = Array.from({ length: PER_SITE }, (_, c) => cameraId(s, c));
      await h.registerSite(siteId(s), council, {
        cameraIds: ids,
        name: `Many site ${s}`,
        location: siteAt(s),
      });
      const at = siteAt(s);
      const inventory: InventoryPayload = {
        siteName: `Many site ${s}`,
        councilId: council,
        hubId: 'test-hub',
        location: at,
        cameras: ids.map((id, c) => ({
          id,
          name: `Camera ${c}`,
          commissioning: {
            // A 20 x 10 grid, 25 m apart.
            location: {
              lat: at.lat + (Math.floor(c / 20) * 25) / 111_320,
              lon: at.lon + ((c % 20) * 25) / 71_500,
            },
            bearingDeg: (c * 37) % 360,
            hfovDeg: 60,
            designDistanceM: 40,
            purpose: 'observe',
          },
        })),
      };
      const site = new SitePublisher(siteId(s), h.hub.mqttUrl);
      publishers.push(site);
      await site.connect(false);
      await site.publish('inventory', inventory);
      await site.publish('siteState', { state: 'online' });
      sent += 2;
    }
    const deadline = Date.now() + 60_000;
    while (h.hub.pipeline.stats.received < sent && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await h.hub.pipeline.idle();
    browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    page = browser.page;
    page.setDefaultTimeout(30_000);
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      ...publishers.map((p) => () => p.close()),
      () => h?.stop(),
    ),
  );

  /** Pixels the cone canvas has painted (not transparent). */
  const paintedConePixels = () =>
    page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#incident-map .leaflet-fov-pane canvas');
      const context = canvas?.getContext('2d');
      if (!canvas || !context || canvas.width === 0) return 0;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) painted++;
      return painted;
    });

  it('draws thousands of cones on one canvas from a town’s zoom on, and says why none show further out', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    const map = page.locator('#incident-map');
    await page.locator(`#incident-map[data-fov-count="${CAMERAS}"]`).waitFor({ state: 'attached' });
    expect(await map.getAttribute('data-fov-renderer')).toBe('canvas');
    // The region's view: no cones (each would be under a pixel), and a note that says so.
    expect(await map.getAttribute('data-fov-shown')).toBe('false');
    const hint = page.locator('#incident-map .fov-hint');
    expect(await hint.isVisible()).toBe(true);
    expect(await hint.textContent()).toBe('Zoom in to see the fields of view of 3,200 cameras.');
    expect(await paintedConePixels()).toBe(0);
    // ...and none is built as a polygon either: they are built only near the view once zoomed in.
    expect(await map.getAttribute('data-fov-built')).toBe('0');

    // An incident in the town: the map zooms in, and the cones are drawn on the canvas.
    await page.fill('#place-input', TOWN.name);
    await page.press('#place-input', 'Enter');
    await expect.poll(() => page.locator('tr.incident-row').count()).toBeGreaterThan(10);
    await expect.poll(() => map.getAttribute('data-fov-shown')).toBe('true');
    expect(await hint.isVisible()).toBe(false);
    await expect.poll(paintedConePixels).toBeGreaterThan(5_000);
    // No element per cone on the canvas.
    expect(await page.locator('#incident-map path.fov-cone').count()).toBe(0);
    // Only the cones near the view are built: the town's site, not the ring of towns around it.
    const built = async () => Number(await map.getAttribute('data-fov-built'));
    await expect.poll(built).toBeGreaterThanOrEqual(PER_SITE);
    expect(await built()).toBeLessThan(CAMERAS / 2);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, '#view-incident', shot('many-cameras-incident.png'));
  }, 120_000);

  it('opens the geometry editor on a camera whose cone was not near the view', async () => {
    await page.click('#logout');
    await loginAndOpenDashboard(page, h!.hub.url, operator, password);
    await page.click('#view-incident-tab');
    const map = page.locator('#incident-map');
    await page.locator(`#incident-map[data-fov-count="${CAMERAS}"]`).waitFor({ state: 'attached' });
    // Zoomed out over the region: no cone is loaded, the camera's included.
    expect(await map.getAttribute('data-fov-built')).toBe('0');
    // From the live view's detail of a camera in a town of the ring: the editor fetches its cone.
    const camera = cameraId(5, 7);
    await page.click('#view-live-tab');
    await page.fill('#filter-text', camera);
    await page.click(`tr.cam-row[data-camera-id="${camera}"]`);
    await page.click('#detail-edit-geometry');
    await page.locator(`#geometry-editor[data-camera-id="${camera}"]`).waitFor({ state: 'visible' });
    expect(await page.inputValue('#geometry-bearingDeg')).toBe(String((7 * 37) % 360));
    await page.click('#geometry-cancel');
    await page.click('#view-live-tab');
    await page.fill('#filter-text', '');
    await page.click('#logout');
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
  }, 60_000);

  it('draws the live map’s markers on a canvas too, and fits a phone', async () => {
    await page.click('#view-live-tab');
    await page.locator('#view-live').waitFor({ state: 'visible' });
    await page.locator('#map[data-renderer="canvas"]').waitFor({ state: 'attached' });
    expect(await page.locator(`#view-live tr.cam-row`).count()).toBeGreaterThan(10);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, '#view-live', shot('many-cameras-live.png'));
    await page.setViewportSize({ width: 390, height: 844 });
    // On a phone the views are behind the menu button.
    await page.click('#view-menu');
    await page.click('#view-incident-tab');
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, '#view-incident', shot('many-cameras-phone.png'));
  }, 60_000);
});
