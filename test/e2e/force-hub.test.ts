import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/cleanup.ts';
import { type HubNetwork, startHubNetwork } from '../support/hub-network.ts';
import { createTestPki } from '../support/test-pki.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard, openView } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// A control room at the force hub, in Chromium: two regions' cameras in one table and map, the
// links to the regional hubs above them, and a region whose bridge is cut shown as such (its
// cameras unknown, the link down), at desktop and phone size.

const SHOTS = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));
const PASSWORD = 'Correct-Horse-7';

describe('the force hub in a control room’s browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-e2e-force-'));
  let network: HubNetwork | undefined;
  let desktop: LaunchedBrowser | undefined;
  let phone: LaunchedBrowser | undefined;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    network = await startHubNetwork({
      dir,
      pki: createTestPki(dir),
      regions: [
        { id: 'west-cornwall', cameras: 3, location: { lat: 50.1186, lon: -5.5371 } },
        { id: 'north-cornwall', cameras: 2, location: { lat: 50.8296, lon: -4.5446 } },
      ],
      linkTimeoutMs: 5000,
    });
    await network.force.createUser('force-room', 'controlroom', [], PASSWORD);
    desktop = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    phone = await launchBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => desktop?.close(),
      () => phone?.close(),
      () => network?.stop(),
      async () => rmSync(dir, { recursive: true, force: true }),
    ),
  );

  const row = (page: LaunchedBrowser['page'], id: string) =>
    page.locator(`tr.cam-row[data-camera-id="${id}"]`);

  it('shows both regions’ cameras live in one table, with the links to their hubs', async () => {
    const net = network as HubNetwork;
    const page = (desktop as LaunchedBrowser).page;
    await loginAndOpenDashboard(page, net.force.hub.url, 'force-room', PASSWORD);
    // A control room starts on incident search; the table and the links are in the live view.
    await openView(page, 'live');
    for (const region of net.regions)
      for (const id of region.cameras)
        await expect.poll(() => row(page, id).getAttribute('data-state'), { timeout: 30_000 }).toBe('up');
    const strip = page.locator('.links-strip');
    await strip.waitFor({ state: 'visible', timeout: 15_000 });
    await expect.poll(() => page.locator('.link-item[data-state="up"]').count(), { timeout: 15_000 }).toBe(2);
    expect(await strip.textContent()).toContain('west-cornwall');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, '#view-live', SHOTS('force-hub-desktop'));
  });

  it('shows a cut region as unknown with its link down, and live again when it returns', async () => {
    const net = network as HubNetwork;
    const page = (desktop as LaunchedBrowser).page;
    const west = net.regions[0] as HubNetwork['regions'][number];
    await west.relay.down();
    for (const id of west.cameras)
      await expect.poll(() => row(page, id).getAttribute('data-state'), { timeout: 30_000 }).toBe('unknown');
    // The other region stays up: only the cut link's cameras lose their state.
    const north = net.regions[1] as HubNetwork['regions'][number];
    expect(await row(page, north.cameras[0] as string).getAttribute('data-state')).toBe('up');
    expect(await row(page, west.cameras[0] as string).textContent()).toContain('link to the camera');
    await expect
      .poll(() => page.locator('.link-item[data-hub="west-cornwall"]').getAttribute('data-state'), {
        timeout: 15_000,
      })
      .toBe('down');
    expect(await page.locator('.link-item[data-hub="west-cornwall"]').textContent()).toContain(
      'show as unknown',
    );

    // At phone size, the same: no sideways scroll, the link shown as down.
    const mobile = (phone as LaunchedBrowser).page;
    await loginAndOpenDashboard(mobile, net.force.hub.url, 'force-room', PASSWORD);
    await openView(mobile, 'live');
    await mobile
      .locator('.link-item[data-hub="west-cornwall"][data-state="down"]')
      .waitFor({ timeout: 15_000 });
    const width = await mobile.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(width[0]).toBeLessThanOrEqual(width[1] as number);
    expect(await seriousAxeViolations(mobile)).toEqual([]);
    await screenshotWhole(mobile, '#view-live', SHOTS('force-hub-phone-link-down'));

    await west.relay.up();
    for (const id of west.cameras)
      await expect.poll(() => row(page, id).getAttribute('data-state'), { timeout: 30_000 }).toBe('up');
    await expect
      .poll(() => page.locator('.link-item[data-hub="west-cornwall"]').getAttribute('data-state'), {
        timeout: 15_000,
      })
      .toBe('up');
  }, 120_000);
});
