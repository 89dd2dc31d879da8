import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { seriousAxeViolations } from './page-checks.ts';

// A council officer publishes the council's public CCTV page from the dashboard; a member of the
// public reads it, without signing in, on a phone and on a desktop: its cameras on a map and in a
// table, why, who is responsible, certification and availability, and downloads. Nothing live: no
// camera state, no feed link, no hidden field, in the HTML or its data.

const shot = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));

describe('public CCTV page in Chromium', () => {
  let h: HubHarness | undefined;
  let officerBrowser: LaunchedBrowser | undefined;
  let phone: LaunchedBrowser | undefined;
  let desktop: LaunchedBrowser | undefined;
  const pageErrors: string[] = [];
  const council = uniqueId('council');
  const siteId = uniqueId('public-e2e');
  const cams = [0, 1, 2, 3].map((i) => `${siteId}-cam${i}`);
  const username = uniqueId('officer');
  const password = 'Correct-Horse-7';
  const url = () => `${h?.hub.url}/public/councils/${council}`;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(username, 'council', [council], password);
    await h.registerSite(siteId, council, { cameraIds: cams });
    const site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    const start = h.hub.pipeline.stats.received;
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online' });
    for (const cam of cams) await site.publish('health', health(cam, 'up'), cam);
    for (let i = 0; i < 200 && h.hub.pipeline.stats.received < start + 2 + cams.length; i++)
      await new Promise((r) => setTimeout(r, 25));
    await h.hub.pipeline.idle();
    await site.close(false);
    officerBrowser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    officerBrowser.page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(() =>
    closeAll(
      () => officerBrowser?.close(),
      () => phone?.close(),
      () => desktop?.close(),
      () => h?.stop(),
    ),
  );

  it('is published by the council officer from the compliance view (1,440x900)', async () => {
    const page = officerBrowser?.page as Page;
    page.setDefaultTimeout(15_000);
    await loginAndOpenDashboard(page, h?.hub.url as string, username, password);
    await page.locator('#view-compliance').waitFor({ state: 'visible' });
    const panel = page.locator('#public-page-panel');
    await panel.scrollIntoViewIfNeeded();
    expect(await page.locator('#pp-link').isVisible()).toBe(false);
    // Without the required text it is not sent.
    await page.check('#pp-enabled');
    await page.click('#pp-save');
    await expect.poll(() => page.textContent('#pp-status')).toContain('Fill in why the cameras are there');
    await page.fill(
      '#pp-purpose',
      'To prevent and detect crime in the town centre and on the harbour front.\n\nTo help people feel safe at night.',
    );
    await page.fill('#pp-body', 'Example Town Council');
    await page.fill('#pp-contact', 'CCTV office, Town Hall, Example TR18 1AA');
    await page.selectOption('#pp-coarsen', '100');
    await page.selectOption('#pp-licence', 'CC-BY-4.0');
    await page.click('#pp-save');
    await expect.poll(() => page.textContent('#pp-status')).toContain('Saved: the page is published.');
    expect(await page.getAttribute('#pp-link', 'href')).toBe(`/public/councils/${council}`);
    await mkdir(dirname(shot('public-page-settings')), { recursive: true });
    await panel.screenshot({ path: shot('public-page-settings') });
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  const checkPage = async (page: Page, name: string) => {
    const response = await page.goto(url(), { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.textContent('h1')).toBe(`Public CCTV in ${council}`);
    expect(await page.textContent('main')).toContain('To help people feel safe at night.');
    // Four cameras within 333 m, to the nearest 100 m: a few squares, four cameras in all.
    const counts = await page.$$eval('table.places tbody tr td:nth-child(2)', (cells) =>
      cells.map((c) => Number(c.textContent)),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4);
    // The map draws one mark per place over the outline basemap.
    await expect
      .poll(
        () =>
          page
            .locator('#public-map path.leaflet-interactive, #public-map .leaflet-overlay-pane path')
            .count(),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThanOrEqual(counts.length);
    expect(await page.textContent('main')).toContain('Creative Commons Attribution 4.0');
    // No sideways scrolling on the page itself.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await mkdir(dirname(shot(name)), { recursive: true });
    await page.screenshot({ path: shot(name), fullPage: true });
    // Nothing live, no feed, nothing hidden: in the markup and in the data the page loads.
    const html = await page.content();
    const data = await (await fetch(`${url()}/data.json`)).text();
    for (const text of [html, data]) {
      expect(text).not.toMatch(/rtsps?:|\/feeds\/|\/api\/feeds|"state"|stateSince|lastSeenAt|type="hidden"/);
      for (const id of [...cams, siteId]) expect(text).not.toContain(`"${id}"`);
      // Positions are coarsened: no camera name (the test names them after their ids) appears.
      for (const id of cams) expect(text).not.toContain(`Camera ${id}`);
    }
    expect(await page.locator('[hidden], input[type="hidden"]').count()).toBe(0);
    // Links: the skip link, the downloads, the licence; the map's zoom buttons are Leaflet's "#" links.
    const links = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    const ours = `/public/councils/${council}/`;
    expect(
      links.filter(
        (l) =>
          l !== '#main' &&
          l !== '#' &&
          !l.startsWith(ours) &&
          l !== 'https://creativecommons.org/licenses/by/4.0/',
      ),
    ).toEqual([]);
  };

  it('reads well on a phone (390x844), without signing in', async () => {
    phone = await launchBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.page.on('pageerror', (error) => pageErrors.push(error.message));
    await checkPage(phone.page, 'public-page-phone');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('reads well on a desktop (1,440x900), and its downloads carry the licence', async () => {
    desktop = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    desktop.page.on('pageerror', (error) => pageErrors.push(error.message));
    await checkPage(desktop.page, 'public-page-desktop');
    const csv = await fetch(`${url()}/cameras.csv`);
    expect(csv.headers.get('link')).toContain('https://creativecommons.org/licenses/by/4.0/');
    expect(await csv.text()).toContain('CC-BY-4.0');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
