import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SiteHarness } from '../support/site-harness.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

// The whole chain as an operator sees it: simulator -> edge agent -> MQTT -> hub -> socket.io -> the
// built dashboard in Chromium. Runs on the embedded pair by default and on PostgreSQL+PostGIS and
// Mosquitto when DATABASE_URL and MQTT_URL are set.

const SCREENSHOT_PATH = fileURLToPath(new URL('../../test-results/e2e/dashboard-fault.png', import.meta.url));
/** Marker fill for 'down' (CAMERA_STATE_STYLE in dashboard/src/states.ts). */
const DOWN_RED = '#e53935';
const STATE_CHANGE_TIMEOUT_MS = 20_000;

const markerSelector = (id: string) => `path.cam-marker[data-camera-id="${id}"]`;
const rowSelector = (id: string) => `tr.cam-row[data-camera-id="${id}"]`;

/** What the map and the table show per camera, read in one go so a failed poll prints both. */
function shownStates(page: Page, ids: string[]): Promise<Record<string, string>> {
  return page.evaluate(
    ({ ids, markerPattern, rowPattern }) => {
      const stateOf = (pattern: string, id: string) =>
        document.querySelector(pattern.replace('{id}', id))?.getAttribute('data-state') ?? 'absent';
      return Object.fromEntries(
        ids.map((id) => [id, `marker ${stateOf(markerPattern, id)}, row ${stateOf(rowPattern, id)}`]),
      );
    },
    { ids, markerPattern: markerSelector('{id}'), rowPattern: rowSelector('{id}') },
  );
}

/**
 * At the fitted zoom the three markers (about 50 m apart) overlap. One wheel gesture over the target
 * zooms in about four levels around it; waits until the markers are apart and the animation is over.
 */
async function zoomUntilMarkersApart(page: Page, aroundId: string, ids: string[]): Promise<void> {
  const box = await page.locator(markerSelector(aroundId)).boundingBox();
  if (!box) throw new Error(`marker ${aroundId} is not rendered`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -1_000);
  const smallestGapPx = () =>
    page.evaluate(
      ({ ids, pattern }) => {
        const centres = ids.map((id) => {
          const r = document.querySelector(pattern.replace('{id}', id))?.getBoundingClientRect();
          return r ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null;
        });
        let smallest = Number.POSITIVE_INFINITY;
        for (const [i, a] of centres.entries())
          for (const b of centres.slice(i + 1))
            smallest = Math.min(smallest, a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0);
        return smallest;
      },
      { ids, pattern: markerSelector('{id}') },
    );
  await expect.poll(smallestGapPx, { timeout: 5_000, interval: 100 }).toBeGreaterThan(40);
  // The gap only grows during Leaflet's zoom animation, which marks the map pane until it ends.
  await page.waitForFunction(() => document.querySelector('.leaflet-zoom-anim') === null);
  // Off the marker, so its hover tooltip does not cover the others in the screenshot.
  await page.mouse.move(0, 0);
  await page.locator('.cam-tooltip').waitFor({ state: 'hidden' });
}

const expected = (ids: string[], state: (id: string) => string) =>
  Object.fromEntries(ids.map((id) => [id, `marker ${state(id)}, row ${state(id)}`]));

describe('dashboard in Chromium: login, live marker and row states, detail panel', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-ui');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`, `${siteId}-c`];
  const target = cams[1]!;
  const username = uniqueId('operator');
  const password = 'Correct-Horse-7';

  beforeAll(async () => {
    // Before the hub: it serves dashboard/dist only if the bundle exists when it starts.
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
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.stop(),
      () => h?.stop(),
    ),
  );

  it('refuses a wrong password on the login form', async () => {
    await page.goto(h!.hub.url);
    await page.fill('#login-username', username);
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-submit');
    await expect
      .poll(() => page.textContent('#login-error'), { timeout: 15_000 })
      .toBe('Wrong username or password.');
    expect(await page.locator('#app').count()).toBe(0);
    expect(await page.inputValue('#login-password')).toBe('');
  });

  it('logs in and shows every camera up on the map and in the table', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.locator('#conn-status[data-status="live"]').waitFor({ state: 'attached' });
    await page.locator('#map[data-renderer="svg"]').waitFor({ state: 'attached' });
    // At the fitted zoom the three cameras (about 50 m apart) are one cluster; a click zooms in to them.
    await expect
      .poll(() => page.getAttribute('#map .cam-cluster', 'aria-label'), { timeout: 30_000, interval: 250 })
      .toBe('3 cameras, all up');
    await page.click('#map .cam-cluster');
    await expect
      .poll(() => shownStates(page, cams), { timeout: 30_000, interval: 250 })
      .toEqual(expected(cams, () => 'up'));
    expect(await page.getAttribute('.state-chip[data-state="up"]', 'data-count')).toBe('3');
  });

  it('keeps map markers out of the tab order: the keyboard goes from the map to the table', async () => {
    await page.focus('#map');
    const stops: string[] = [];
    // Zoom in, zoom out, fit, the table's sort buttons, then the first row.
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      stops.push(
        await page.evaluate(() => {
          const a = document.activeElement;
          return a?.classList.contains('cam-marker')
            ? 'marker'
            : a?.classList.contains('cam-row')
              ? 'row'
              : 'other';
        }),
      );
    }
    expect(stops).not.toContain('marker');
    expect(stops).toContain('row');
  });

  it('turns the marker and the row red when a camera becomes unreachable, and saves a screenshot', async () => {
    await site!.simulator.setFault(target, { kind: 'unreachable' });
    await expect
      .poll(() => shownStates(page, cams), { timeout: STATE_CHANGE_TIMEOUT_MS, interval: 250 })
      .toEqual(expected(cams, (id) => (id === target ? 'down' : 'up')));
    expect(await page.getAttribute(markerSelector(target), 'fill')).toBe(DOWN_RED);
    expect(await page.getAttribute(`${rowSelector(target)} .badge`, 'data-state')).toBe('down');
    expect(await page.getAttribute('.state-chip[data-state="down"]', 'data-count')).toBe('1');
    expect(await page.getAttribute('.state-chip[data-state="up"]', 'data-count')).toBe('2');
    // The reason in words in the table, the socket error only in its tooltip.
    const reasonCell = `${rowSelector(target)} td[data-column="reasons"]`;
    await expect.poll(() => page.textContent(reasonCell)).toBe('Not answering on the network');
    expect(await page.getAttribute(reasonCell, 'title')).toMatch(/ECONNREFUSED.*\(unreachable\)/);

    // Selecting the row opens the panel and centres the map on the marker, drawn on top of the others.
    await page.click(rowSelector(target));
    const panel = page.locator(`#detail-panel[data-camera-id="${target}"][data-state="down"]`);
    await panel.locator('li[data-code="unreachable"]').waitFor();
    // In words, with the technical text on expand.
    const reason = panel.locator('li[data-code="unreachable"] details');
    expect(await reason.locator('summary').textContent()).toBe('Not answering on the network');
    expect(await reason.getAttribute('open')).toBeNull();
    await reason.locator('summary').click();
    expect(await reason.locator('span').textContent()).toMatch(/ECONNREFUSED/);
    await panel.locator('dd[data-field="health-state"]').waitFor();
    await zoomUntilMarkersApart(page, target, cams);

    await mkdir(dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH });
    expect((await stat(SCREENSHOT_PATH)).size).toBeGreaterThan(10_000);
  });

  it('shows the camera up again when the fault clears', async () => {
    await site!.simulator.clearFault(target);
    await expect
      .poll(() => shownStates(page, cams), { timeout: STATE_CHANGE_TIMEOUT_MS, interval: 250 })
      .toEqual(expected(cams, () => 'up'));
    await page.locator(`#detail-panel[data-camera-id="${target}"][data-state="up"]`).waitFor();
    expect(await page.getAttribute(markerSelector(target), 'fill')).not.toBe(DOWN_RED);
  });

  it('opens the detail panel from a map marker with health and stream data', async () => {
    await page.click('#detail-close');
    await page.locator('#detail-panel').waitFor({ state: 'hidden' });
    // A camera other than the one shown before, so nothing on the panel is left over from it.
    const clicked = cams[0]!;
    await page.click(markerSelector(clicked));

    const panel = page.locator(`#detail-panel[data-camera-id="${clicked}"]`);
    await panel.waitFor();
    // Stream metadata arrives with the first probe (probeIntervalMs 3 s), which may land after the
    // panel's first read: no live state change follows it, so the panel shows it on its periodic
    // re-read (DETAIL_REFRESH_MS, 10 s), hence a wait of up to two periods.
    const codec = `#detail-panel[data-camera-id="${clicked}"] dd[data-field="codec"]`;
    await expect
      .poll(() => page.evaluate((s) => document.querySelector(s)?.textContent ?? 'not rendered', codec), {
        timeout: 25_000,
        interval: 250,
      })
      .toMatch(/^h264\b/);
    expect(await panel.getAttribute('data-loaded')).toBe('true');
    expect(await panel.getAttribute('data-state')).toBe('up');
    expect(await panel.locator('dd[data-field="resolution"]').textContent()).toMatch(/^320×240\b/);
    expect(await panel.locator('dd[data-field="clock-offset"]').textContent()).toMatch(/\(round trip /);
    expect(await panel.locator('dd[data-field="device"]').textContent()).not.toBe('not read');
    expect(pageErrors).toEqual([]);
  });
});
