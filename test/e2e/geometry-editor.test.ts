import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../hub-server/src/demo/seed.ts';
import { FleetRepository } from '../../hub-server/src/repositories/fleet-repository.ts';
import { UserRepository } from '../../hub-server/src/repositories/user-repository.ts';
import { bearingDeg, distanceM } from '../../src/incidents/fov-sector.ts';
import type { FovCollection } from '../../src/schemas/incident-api.ts';
import type { InventoryPayload } from '../../src/schemas/payloads.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { health, SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

// A hub operator surveys a camera in the dashboard: the editor over the incident map, the cone
// previewed in the browser while typing and dragging, saved through PUT /api/cameras/:id/geometry,
// stored by PostGIS (PGlite or PostgreSQL, whichever this run uses), audited, and drawn again from the
// hub's polygon. The site speaks real MQTT; the users are the demo's own (`operator`, `controlroom`).

const SCREENSHOT_PATH = fileURLToPath(new URL('../../test-results/e2e/geometry-editor.png', import.meta.url));
const DEMO_PASSWORD = 'demo';
/** Penzance in the demo towns data. */
const TOWN = { lat: 50.1186, lon: -5.5371 };
const M_PER_DEG_LAT = 111_320;
const mPerDegLon = M_PER_DEG_LAT * Math.cos((TOWN.lat * Math.PI) / 180);
const near = (north: number, east: number) => ({
  lat: TOWN.lat + north / M_PER_DEG_LAT,
  lon: TOWN.lon + east / mPerDegLon,
});

const cone = (id: string) => `#incident-map path.fov-cone[data-camera-id="${id}"]`;
const editButton = (id: string) => `button.edit-geometry[data-camera-id="${id}"]`;
const PREVIEW = '#incident-map path.fov-preview';
const EDITOR = '#geometry-editor';

/** Screen box of an SVG path, in page pixels. */
async function boxOf(page: Page, selector: string) {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not rendered`);
  return box;
}

async function centreOf(page: Page, selector: string) {
  const box = await boxOf(page, selector);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function drag(page: Page, selector: string, dx: number, dy: number): Promise<void> {
  const from = await centreOf(page, selector);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + dx, from.y + dy, { steps: 8 });
  await page.mouse.up();
}

/** Leaflet animates zooms and pans: waits until the incident map has stood still for 250 ms. */
async function mapAtRest(page: Page, coneSelector: string): Promise<void> {
  const sample = () =>
    page.evaluate(
      (selector) =>
        [
          document.querySelector('#incident-map .leaflet-zoom-anim') !== null,
          document.querySelector('#incident-map .leaflet-map-pane')?.getAttribute('style'),
          document.querySelector(selector)?.getAttribute('d'),
        ].join('|'),
      coneSelector,
    );
  let previous = await sample();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await sample();
    if (now === previous && !now.startsWith('true')) return;
    previous = now;
  }
  throw new Error('the incident map kept moving');
}

describe('geometry editor in Chromium: a hub operator surveys a camera', () => {
  let h: HubHarness | undefined;
  let site: SitePublisher | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-geo');
  const siteName = `Geometry survey ${siteId}`;
  const council = uniqueId('council');
  const harbour = `${siteId}-harbour`;
  const square = `${siteId}-square`;
  const station = `${siteId}-station`;
  const layout: Record<string, { north: number; east: number; bearingDeg: number; name: string }> = {
    [harbour]: { north: -60, east: 0, bearingDeg: 0, name: 'Harbour' },
    [square]: { north: 0, east: 60, bearingDeg: 270, name: 'Square' },
    [station]: { north: 80, east: -40, bearingDeg: 180, name: 'Station' },
  };
  const inventory = (ids: string[]): InventoryPayload => ({
    siteName,
    councilId: council,
    hubId: 'test-hub',
    location: TOWN,
    cameras: ids.map((id) => {
      const { north, east, bearingDeg, name } = layout[id]!;
      return {
        id,
        name,
        commissioning: {
          location: near(north, east),
          bearingDeg,
          hfovDeg: 60,
          designDistanceM: 100,
          purpose: 'recognise',
        },
      };
    }),
  });
  let operatorToken: string;

  const fieldsOfView = async (): Promise<FovCollection> => {
    const response = await fetch(`${h!.hub.url}/api/cameras/fov`, {
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    if (!response.ok) throw new Error(`GET /api/cameras/fov: ${response.status}`);
    return (await response.json()) as FovCollection;
  };
  const fovOf = async (id: string) => (await fieldsOfView()).features.find((f) => f.id === id);
  const geometryAudits = async () =>
    (
      await h!.hub.database.pool.query<{
        actor: string;
        role: string;
        subject: string;
        detail: Record<string, unknown>;
      }>(
        `SELECT actor, role, subject, detail FROM audit_log WHERE kind = 'config.camera.geometry' ORDER BY seq`,
      )
    ).rows;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    const { pool } = h.hub.database;
    // The demo's users (operator, controlroom, ...) without its simulated fleet.
    await seedDemo(new FleetRepository(pool), new UserRepository(pool), DEMO_PASSWORD);
    operatorToken = await h.login('operator', DEMO_PASSWORD);
    // Its name and place (what the place search finds) are the registry's.
    await h.registerSite(siteId, council, { cameraIds: Object.keys(layout), name: siteName, location: TOWN });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory([harbour, square, station]));
    await site.publish('siteState', { state: 'online' });
    for (const id of Object.keys(layout)) await site.publish('health', health(id, 'up'), id);
    // Ingest is asynchronous: wait until the hub has built the three cones.
    const deadline = Date.now() + 15_000;
    while ((await fieldsOfView()).features.filter((f) => f.properties.siteId === siteId).length < 3) {
      if (Date.now() > deadline) throw new Error('the hub never served the site cameras’ fields of view');
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.close(),
      () => h?.stop(),
    ),
  );

  it('offers a hub operator an editor per camera, filled with the stored geometry', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, 'operator', DEMO_PASSWORD);
    await page.click('#view-incident-tab');
    await page.locator(cone(harbour)).waitFor({ state: 'attached' });
    await page.fill('#place-input', siteName);
    await page.press('#place-input', 'Enter');
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(3);
    expect(await page.getAttribute(editButton(harbour), 'aria-label')).toBe('Edit the geometry of Harbour');
    expect(await page.locator(EDITOR).isHidden()).toBe(true);

    await page.click(editButton(harbour));
    await page.locator(EDITOR).waitFor({ state: 'visible' });
    expect(await page.textContent('#geometry-title')).toBe('Edit geometry: Harbour');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('geometry-title');
    expect(await page.textContent('#geometry-provenance')).toContain("from the site's commissioning data");
    const stored = (await fovOf(harbour))!.properties;
    expect(stored).toMatchObject({ bearingDeg: 0, hfovDeg: 60, rangeM: 100, surveyedAt: null });
    const shown = await page.$$eval('#geometry-form input', (inputs) =>
      Object.fromEntries((inputs as HTMLInputElement[]).map((i) => [i.name, Number(i.value)])),
    );
    expect(shown.lat).toBeCloseTo(stored.location.lat, 6);
    expect(shown.lon).toBeCloseTo(stored.location.lon, 6);
    expect(shown).toMatchObject({ bearingDeg: 0, hfovDeg: 60, rangeM: 100 });
    // Every field has a label; the stored cone is marked as being edited under the preview.
    for (const key of ['lat', 'lon', 'bearingDeg', 'hfovDeg', 'rangeM'])
      expect(await page.locator(`label[for="geometry-${key}"]`).count()).toBe(1);
    expect(await page.getAttribute(cone(harbour), 'data-editing')).toBe('');
    await page.locator(PREVIEW).waitFor({ state: 'attached' });
    // The map zooms to the camera.
    await mapAtRest(page, cone(harbour));
  });

  it('previews the cone while dragging and typing, and stores nothing before Save', async () => {
    const storedD = await page.getAttribute(cone(harbour), 'd');
    const previewD = await page.getAttribute(PREVIEW, 'd');
    const position = async () => ({
      lat: Number(await page.inputValue('#geometry-lat')),
      lon: Number(await page.inputValue('#geometry-lon')),
    });
    // The camera marker, dragged 40 px east: the position fields and the preview follow.
    const before = await position();
    await drag(page, '.geometry-handle.camera-handle', 40, 0);
    const moved = await position();
    expect(moved.lon).toBeGreaterThan(before.lon);
    expect(moved.lat).toBeCloseTo(before.lat, 4);
    expect(distanceM(before, moved)).toBeGreaterThan(5);
    expect(distanceM(before, moved)).toBeLessThan(200);
    expect(await page.getAttribute(PREVIEW, 'd')).not.toBe(previewD);

    // The aim handle, dropped straight south of the camera: bearing 180, and it stays where dropped.
    const cameraAt = await centreOf(page, '.geometry-handle.camera-handle');
    const aimAt = await centreOf(page, '.geometry-handle.aim-handle');
    await drag(page, '.geometry-handle.aim-handle', cameraAt.x - aimAt.x, cameraAt.y + 120 - aimAt.y);
    expect(await page.inputValue('#geometry-bearingDeg')).toBe('180');
    expect(Number(await page.inputValue('#geometry-rangeM'))).not.toBe(100);
    const dropped = await centreOf(page, '.geometry-handle.aim-handle');
    expect(Math.abs(dropped.x - cameraAt.x)).toBeLessThan(3);
    expect(Math.abs(dropped.y - (cameraAt.y + 120))).toBeLessThan(3);

    // The survey's figures typed in: each keystroke redraws the preview.
    const aimedD = await page.getAttribute(PREVIEW, 'd');
    await page.fill('#geometry-bearingDeg', '135');
    await expect.poll(() => page.getAttribute(PREVIEW, 'd')).not.toBe(aimedD);
    const turnedD = await page.getAttribute(PREVIEW, 'd');
    await page.fill('#geometry-rangeM', '150');
    await expect.poll(() => page.getAttribute(PREVIEW, 'd')).not.toBe(turnedD);
    expect(await page.getAttribute(cone(harbour), 'd')).toBe(storedD);
    expect((await fovOf(harbour))!.properties).toMatchObject({
      bearingDeg: 0,
      rangeM: 100,
      surveyedAt: null,
    });
    expect(await geometryAudits()).toEqual([]);

    await page.mouse.move(0, 0);
    await mkdir(dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH });
    expect((await stat(SCREENSHOT_PATH)).size).toBeGreaterThan(20_000);
  });

  it('saves: the hub stores and audits the geometry, and the map draws its polygon', async () => {
    const storedD = await page.getAttribute(cone(harbour), 'd');
    const preview = await boxOf(page, PREVIEW);
    const location = {
      lat: Number(await page.inputValue('#geometry-lat')),
      lon: Number(await page.inputValue('#geometry-lon')),
    };
    await page.click('#geometry-save');
    await page.locator(EDITOR).waitFor({ state: 'hidden' });
    await expect.poll(() => page.textContent('#incident-hint')).toContain('Saved the geometry of Harbour');

    // (a) The API serves the new geometry and a polygon built from it.
    const feature = (await fovOf(harbour))!;
    expect(feature.properties).toMatchObject({ bearingDeg: 135, hfovDeg: 60, rangeM: 150 });
    expect(feature.properties.location.lat).toBeCloseTo(location.lat, 7);
    expect(feature.properties.location.lon).toBeCloseTo(location.lon, 7);
    expect(Date.parse(feature.properties.surveyedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    const ring = feature.geometry.coordinates[0]!;
    const [apexLon, apexLat] = ring[0]!;
    expect(apexLat).toBeCloseTo(location.lat, 5);
    expect(apexLon).toBeCloseTo(location.lon, 5);
    const [midLon, midLat] = ring[Math.floor(ring.length / 2)]!;
    expect(distanceM(location, { lat: midLat, lon: midLon })).toBeCloseTo(150, -1);
    expect(bearingDeg(location, { lat: midLat, lon: midLon })).toBeCloseTo(135, 0);

    // (b) One audit entry, by the operator, with what was set.
    expect(await geometryAudits()).toEqual([
      {
        actor: 'operator',
        role: 'operator',
        subject: `camera:${harbour}`,
        detail: { location, bearingDeg: 135, hfovDeg: 60, rangeM: 150 },
      },
    ]);

    // (c) The cone on the map is the hub's new polygon, where the preview was; the preview is gone.
    await expect.poll(() => page.getAttribute(cone(harbour), 'd')).not.toBe(storedD);
    const drawn = await boxOf(page, cone(harbour));
    for (const side of ['x', 'y', 'width', 'height'] as const)
      expect(Math.abs(drawn[side] - preview[side])).toBeLessThan(3);
    expect(await page.locator(PREVIEW).count()).toBe(0);
    expect(await page.getAttribute(cone(harbour), 'data-editing')).toBeNull();
    // The focus goes back to the camera's Edit button (in the re-ranked list).
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-camera-id')))
      .toBe(harbour);
  });

  it('refuses out-of-range values next to their fields and changes nothing', async () => {
    // Keyboard only: Enter on the focused Edit button, Enter in a field to save.
    await page.keyboard.press('Enter');
    await page.locator(EDITOR).waitFor({ state: 'visible' });
    expect(await page.textContent('#geometry-provenance')).toContain('surveyed');
    expect(await page.inputValue('#geometry-bearingDeg')).toBe('135');
    await page.fill('#geometry-hfovDeg', '0');
    await page.press('#geometry-hfovDeg', 'Enter');
    expect(await page.textContent('#geometry-hfovDeg-error')).toBe(
      'Horizontal field of view must be more than 0° and at most 360°.',
    );
    expect(await page.getAttribute('#geometry-hfovDeg', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#geometry-hfovDeg', 'aria-describedby')).toContain(
      'geometry-hfovDeg-error',
    );
    expect(await page.textContent('#geometry-status')).toBe('Not saved: one field needs correcting.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('geometry-hfovDeg');

    await page.fill('#geometry-hfovDeg', '60');
    expect(await page.getAttribute('#geometry-hfovDeg', 'aria-invalid')).toBeNull();
    await page.fill('#geometry-rangeM', '2500');
    await page.click('#geometry-save');
    expect(await page.textContent('#geometry-rangeM-error')).toBe(
      'Useful range must be more than 0 m and at most 2000 m.',
    );
    expect(await page.locator(EDITOR).isVisible()).toBe(true);
    expect((await fovOf(harbour))!.properties).toMatchObject({ bearingDeg: 135, hfovDeg: 60, rangeM: 150 });
    expect(await geometryAudits()).toHaveLength(1);

    // The results are searched again while the editor is open (here the radius changes; after a
    // save or as sources move the same happens): the rows, and the Edit button, are new.
    await page.evaluate(`(() => {
      document.querySelector('${editButton(harbour)}').dataset.stale = 'yes';
      const radius = document.querySelector('#incident-radius');
      radius.value = String(Number(radius.value) + Number(radius.step || 1));
      radius.dispatchEvent(new Event('input'));
    })()`);
    await expect.poll(() => page.locator('[data-stale]').count()).toBe(0);
    await page.locator(editButton(harbour)).waitFor({ state: 'attached' });

    // Escape cancels: the editor closes and the map is back to the stored cone; the focus goes to the
    // camera's Edit button in the new rows.
    await page.keyboard.press('Escape');
    await page.locator(EDITOR).waitFor({ state: 'hidden' });
    expect(await page.locator(PREVIEW).count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-camera-id'))).toBe(harbour);
  });

  it("opens the editor from the live view's camera detail", async () => {
    await page.click('#view-live-tab');
    await page.click(`tr.cam-row[data-camera-id="${square}"]`);
    await page.click('#detail-edit-geometry');
    await page.locator(`${EDITOR}[data-camera-id="${square}"]`).waitFor({ state: 'visible' });
    expect(await page.getAttribute('#view-incident-tab', 'aria-pressed')).toBe('true');
    expect(await page.inputValue('#geometry-bearingDeg')).toBe('270');
    await page.click('#geometry-cancel');
    await page.locator(EDITOR).waitFor({ state: 'hidden' });
  });

  it("shows the hub's refusal when the camera went away while being edited", async () => {
    await page.click(editButton(harbour));
    await page.locator(`${EDITOR}[data-camera-id="${harbour}"]`).waitFor({ state: 'visible' });
    await page.fill('#geometry-rangeM', '120');
    // The site's next inventory no longer lists the camera: the hub retires it.
    await site!.publish('inventory', inventory([square, station]));
    await expect.poll(async () => (await fovOf(harbour)) === undefined).toBe(true);
    await page.click('#geometry-save');
    await expect
      .poll(() => page.textContent('#geometry-status'))
      .toBe(`Not saved: camera ${harbour} not found`);
    expect(await page.getAttribute('#geometry-status', 'role')).toBe('alert');
    expect(await page.locator(EDITOR).isVisible()).toBe(true);
    expect(await geometryAudits()).toHaveLength(1);
    await page.click('#geometry-cancel');
  });

  it('gives a control room no edit controls, and the hub refuses its changes', async () => {
    await page.click('#logout');
    await loginAndOpenDashboard(page, h!.hub.url, 'controlroom', DEMO_PASSWORD);
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    await page.fill('#place-input', siteName);
    await page.press('#place-input', 'Enter');
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(2);
    expect(await page.locator('button.edit-geometry').count()).toBe(0);
    expect(await page.locator(EDITOR).count()).toBe(0);
    await page.click('#view-live-tab');
    await page.click(`tr.cam-row[data-camera-id="${square}"]`);
    await page.locator('#detail-panel').waitFor({ state: 'visible' });
    expect(await page.locator('#detail-edit-geometry').count()).toBe(0);

    const token = await h!.login('controlroom', DEMO_PASSWORD);
    const refused = await fetch(`${h!.hub.url}/api/cameras/${square}/geometry`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ location: near(0, 60), bearingDeg: 0, hfovDeg: 60, rangeM: 100 }),
    });
    expect(refused.status).toBe(403);
    expect(await geometryAudits()).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });
});
