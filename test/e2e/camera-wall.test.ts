import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// The camera wall in Chromium: cameras added from the incident results and from the live view's
// detail panel, real H.264 over RTSP remuxed by the hub and played in the tiles, a layout saved at
// the hub, the page reloaded and the layout loaded; a third camera of the site meets its feed limit.

const shot = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}`, import.meta.url));
const TOWN = { name: 'Penzance', lat: 50.1186, lon: -5.5371 };
const M_PER_DEG_LAT = 111_320;
const near = (north: number, east: number) => ({
  lat: TOWN.lat + north / M_PER_DEG_LAT,
  lon: TOWN.lon + east / (M_PER_DEG_LAT * Math.cos((TOWN.lat * Math.PI) / 180)),
});
const tile = (id: string) => `#wall-grid .feed-tile[data-camera-id="${id}"]`;

function tiles(page: Page, ids: string[]) {
  return page.evaluate(
    ({ ids }) =>
      ids.map((id) => {
        const t = document.querySelector<HTMLElement>(`#wall-grid .feed-tile[data-camera-id="${id}"]`);
        const video = t?.querySelector('video');
        return {
          phase: t?.dataset.phase ?? 'absent',
          currentTime: video?.currentTime ?? -1,
          message: t?.querySelector('.feed-message')?.textContent ?? '',
        };
      }),
    { ids },
  );
}

describe('camera wall in Chromium', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const siteId = uniqueId('e2e-wall');
  const council = uniqueId('council');
  const front = `${siteId}-front`;
  const side = `${siteId}-side`;
  const away = `${siteId}-away`;
  const cams = [front, side, away];
  const username = uniqueId('cr');
  const password = 'Correct-Horse-7';
  const layout: Record<string, { north: number; east: number; bearingDeg: number }> = {
    [front]: { north: -60, east: 0, bearingDeg: 0 },
    [side]: { north: 0, east: 45, bearingDeg: 270 },
    [away]: { north: 90, east: 10, bearingDeg: 0 },
  };

  const playing = async (ids: string[]) => {
    await expect
      .poll(async () => (await tiles(page, ids)).map((t) => t.phase), { timeout: 30_000 })
      .toEqual(ids.map(() => 'video'));
    const first = await tiles(page, ids);
    try {
      await expect
        .poll(
          async () =>
            (await tiles(page, ids)).map((t, i) => t.currentTime - (first[i]?.currentTime ?? 0) > 1),
          {
            timeout: 20_000,
          },
        )
        .toEqual(ids.map(() => true));
    } catch (error) {
      // Say what each player was doing, so a failure on a loaded machine can be read afterwards.
      const now = await page.evaluate(
        ({ ids }) =>
          ids.map((id) => {
            const t = document.querySelector<HTMLElement>(`#wall-grid .feed-tile[data-camera-id="${id}"]`);
            const v = t?.querySelector('video');
            const buffered = v
              ? Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)])
              : [];
            return {
              id,
              phase: t?.dataset.phase,
              currentTime: v?.currentTime,
              paused: v?.paused,
              readyState: v?.readyState,
              networkState: v?.networkState,
              buffered,
              message: t?.querySelector('.feed-message')?.textContent,
            };
          }),
        { ids },
      );
      throw new Error(
        `${(error as Error).message}\nplayers at first: ${JSON.stringify(first)}\nplayers now: ${JSON.stringify(now)}`,
      );
    }
  };
  const startWall = async () => {
    await page.fill('#wall-incident-ref', 'INC-2026-0777');
    await page.fill('#wall-reason', 'Disturbance on the promenade');
    await page.click('#wall-start');
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
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      commissioning: (id) => {
        const { north, east, bearingDeg } = layout[id]!;
        return {
          location: near(north, east),
          bearingDeg,
          hfovDeg: 60,
          designDistanceM: 100,
          purpose: 'recognise',
        };
      },
    });
    await site.start();
    const token = await h.login(username, password);
    const deadline = Date.now() + 60_000;
    for (const id of cams) {
      for (;;) {
        const r = await fetch(`${h.hub.url}/api/cameras/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const camera = (await r.json()) as CameraDetail;
        if (r.ok && camera.state === 'up' && camera.stream?.uri) break;
        if (Date.now() > deadline) throw new Error(`camera ${id} never came up with a stream`);
        await new Promise((res) => setTimeout(res, 500));
      }
    }
    browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    page = browser.page;
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.stop(),
      () => h?.stop(),
    ),
  );

  it('adds a camera from the incident results and one from the live table, asking the reference once', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    await page.fill('#place-input', TOWN.name);
    await page.press('#place-input', 'Enter');
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(3);
    await page.click(`tr.incident-row[data-camera-id="${front}"] button.add-to-wall`);
    await page.click('#view-live-tab');
    await page.click(`tr.cam-row[data-camera-id="${side}"]`);
    await page.click('#detail-add-to-wall');
    await page.click('#view-wall-tab');
    await page.locator('#view-wall').waitFor({ state: 'visible' });
    expect(await page.textContent('#wall-notice')).toContain('incident reference');
    expect(await page.locator('#wall-grid .feed-tile').count()).toBe(0);
    await startWall();
    await playing([front, side]);
  }, 90_000);

  it('shows the site limit plainly on a refused tile', async () => {
    await page.click('#view-incident-tab');
    await page.click(`tr.incident-row[data-camera-id="${away}"] button.add-to-wall`);
    await page.click('#view-wall-tab');
    await expect.poll(async () => (await tiles(page, [away]))[0]?.phase).toBe('refused');
    expect((await tiles(page, [away]))[0]?.message).toContain('Site limit: 2 feeds at once reached');
  });

  it('saves the layout, and loads it again after a reload', async () => {
    await page.fill('#wall-layout-name', 'Promenade');
    await page.click('#wall-save');
    await expect
      .poll(() => page.textContent('#wall-notice'))
      .toContain('Layout "Promenade" saved (3 cameras)');
    expect(await page.inputValue('#wall-grid-size')).toBe('2');
    await page.reload();
    await page.locator('#view-wall-tab').waitFor({ state: 'visible' });
    await page.click('#view-wall-tab');
    await page.locator('#wall-layout-select option[value="Promenade"]').waitFor({ state: 'attached' });
    await page.selectOption('#wall-layout-select', 'Promenade');
    await page.click('#wall-load');
    await startWall();
    await playing([front, side]);
    await expect.poll(async () => (await tiles(page, [away]))[0]?.phase).toBe('refused');
  }, 90_000);

  it('has no serious accessibility violations, and is screenshotted wide and at phone width', async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, '#view-wall', shot('camera-wall.png'));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator(tile(front)).scrollIntoViewIfNeeded();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, '#view-wall', shot('camera-wall-phone.png'));
  });
});
