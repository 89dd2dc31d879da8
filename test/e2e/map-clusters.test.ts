import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SiteHarness } from '../support/site-harness.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

// A town of twelve cameras, close enough together to be one cluster at the fitted zoom: the cluster
// takes the colour and the words of its worst camera, so one camera down is never hidden by eleven up.

const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
/** Marker fills (CAMERA_STATE_STYLE in dashboard/src/states.ts), as the browser computes them. */
const DOWN_RED = 'rgb(229, 57, 53)';
const UP_GREEN = 'rgb(46, 157, 72)';
const STATE_CHANGE_TIMEOUT_MS = 20_000;
const CAMERA_COUNT = 12;

const markerSelector = (id: string) => `path.cam-marker[data-camera-id="${id}"]`;
const rowSelector = (id: string) => `tr.cam-row[data-camera-id="${id}"]`;

interface ShownCluster {
  state: string | null;
  count: string | null;
  label: string | null;
  ring: string;
  tabindex: string | null;
}

/** Every cluster icon on the live map, read in one go so a failed poll prints them all. */
function shownClusters(page: Page): Promise<ShownCluster[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#map .cam-cluster')].map((icon) => ({
      state: icon.getAttribute('data-state'),
      count: icon.getAttribute('data-count'),
      label: icon.getAttribute('aria-label'),
      ring: getComputedStyle(icon).borderTopColor,
      tabindex: icon.getAttribute('tabindex'),
    })),
  );
}

describe('live map clusters: the worst state shows, markers and clusters stay out of the tab order', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-town');
  const council = uniqueId('council');
  const cams = Array.from({ length: CAMERA_COUNT }, (_, i) => `${siteId}-${String(i + 1).padStart(2, '0')}`);
  const down = cams[4]!;
  const username = uniqueId('operator');
  const password = 'Correct-Horse-7';

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(username, 'operator', [], password);
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 3_000,
    });
    await site.start();
    browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.stop(),
      () => h?.stop(),
    ),
  );

  it('draws the town as one cluster of up cameras', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await expect
      .poll(() => page.getAttribute('.state-chip[data-state="up"]', 'data-count'), { timeout: 30_000 })
      .toBe(String(CAMERA_COUNT));
    await expect
      .poll(() => shownClusters(page), { timeout: STATE_CHANGE_TIMEOUT_MS, interval: 250 })
      .toEqual([{ state: 'up', count: '12', label: '12 cameras, all up', ring: UP_GREEN, tabindex: '-1' }]);
    expect(await page.locator('#map path.cam-marker').count()).toBe(0);
  });

  it('colours the cluster down and says so when one camera of twelve goes down', async () => {
    await site!.simulator.setFault(down, { kind: 'unreachable' });
    await page
      .locator(`${rowSelector(down)}[data-state="down"]`)
      .waitFor({ timeout: STATE_CHANGE_TIMEOUT_MS });
    // The icon follows the row within the map's batching of cluster refreshes.
    await expect
      .poll(() => shownClusters(page), { timeout: 5_000, interval: 100 })
      .toEqual([{ state: 'down', count: '12', label: '12 cameras, 1 down', ring: DOWN_RED, tabindex: '-1' }]);
    await page.screenshot({ path: `${SCREENSHOT_DIR}map-cluster-down-1440.png` });
  });

  it('never stops the keyboard on a cluster or a marker between the map and the table', async () => {
    await page.focus('#map');
    const stops: string[] = [];
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      stops.push(
        await page.evaluate(() => {
          const a = document.activeElement;
          if (a?.classList.contains('cam-cluster')) return 'cluster';
          if (a?.classList.contains('cam-marker')) return 'marker';
          return a?.classList.contains('cam-row') ? 'row' : 'other';
        }),
      );
    }
    expect(stops).not.toContain('cluster');
    expect(stops).not.toContain('marker');
    expect(stops).toContain('row');
  });

  it('reveals the down camera marker, on top and out of the tab order, when its row is selected', async () => {
    await page.click(rowSelector(down));
    const marker = page.locator(`#map ${markerSelector(down)}`);
    await marker.waitFor({ state: 'visible' });
    await page.waitForFunction(
      () => document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim') === null,
    );
    // Zoomed in far enough that no camera of the town is left in a cluster.
    expect(await page.locator('#map .cam-cluster').count()).toBe(0);
    expect(await marker.getAttribute('data-state')).toBe('down');
    expect(await marker.getAttribute('fill')).toBe('#e53935');
    // Inside the map's box, not just in the DOM.
    const [map, box] = await Promise.all([page.locator('#map').boundingBox(), marker.boundingBox()]);
    expect(box!.x).toBeGreaterThan(map!.x);
    expect(box!.x + box!.width).toBeLessThan(map!.x + map!.width);
    expect(box!.y).toBeGreaterThan(map!.y);
    expect(box!.y + box!.height).toBeLessThan(map!.y + map!.height);
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll('#map path.cam-marker')].map((path) => ({
        tabindex: path.getAttribute('tabindex'),
        last: path === path.parentElement?.lastElementChild,
        id: path.getAttribute('data-camera-id'),
      })),
    );
    expect(drawn.length).toBeGreaterThan(1);
    expect(drawn.every((m) => m.tabindex === '-1')).toBe(true);
    // Drawn last, so above its up neighbours.
    expect(drawn.find((m) => m.last)?.id).toBe(down);
    await page.screenshot({ path: `${SCREENSHOT_DIR}map-cluster-selected-1440.png` });
  });

  it('filters markers by state through the clusters', async () => {
    await page.click('#detail-close');
    await page.click('#map-fit');
    await page.waitForFunction(
      () => document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim') === null,
    );
    await page.click('.state-chip[data-state="down"]');
    // One camera left: drawn as itself, no cluster.
    await expect.poll(() => page.locator('#map path.cam-marker').count()).toBe(1);
    expect(await page.locator('#map .cam-cluster').count()).toBe(0);
    expect(await page.getAttribute('#map path.cam-marker', 'data-camera-id')).toBe(down);
    await page.click('.state-chip[data-state="down"]');
    await expect
      .poll(() => shownClusters(page).then((c) => c.map((x) => x.label)))
      .toEqual(['12 cameras, 1 down']);
  });

  it('turns the cluster back to up when the camera comes back', async () => {
    await site!.simulator.clearFault(down);
    await page.locator(`${rowSelector(down)}[data-state="up"]`).waitFor({ timeout: STATE_CHANGE_TIMEOUT_MS });
    await expect
      .poll(() => shownClusters(page), { timeout: 5_000, interval: 100 })
      .toEqual([{ state: 'up', count: '12', label: '12 cameras, all up', ring: UP_GREEN, tabindex: '-1' }]);
    expect(pageErrors).toEqual([]);
  });

  it('shows the cluster at phone width', async () => {
    await site!.simulator.setFault(down, { kind: 'unreachable' });
    const phone = await launchBrowser({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      await loginAndOpenDashboard(phone.page, h!.hub.url, username, password);
      await expect
        .poll(() => shownClusters(phone.page).then((c) => c.map((x) => x.label)), {
          timeout: STATE_CHANGE_TIMEOUT_MS,
        })
        .toEqual(['12 cameras, 1 down']);
      await phone.page.locator('#map .cam-cluster').scrollIntoViewIfNeeded();
      await phone.page.screenshot({ path: `${SCREENSHOT_DIR}map-cluster-down-390.png` });
    } finally {
      await phone.close();
    }
  });
});
