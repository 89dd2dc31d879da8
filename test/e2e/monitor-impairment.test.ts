import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorHealth } from '../../src/schemas/payloads.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

// A site whose agent says it is impaired (starved: checks it could not complete are unknown, not
// down) is marked in the camera table, in words and in the row's accessible label, and the camera
// detail says what the agent lost. Real hub, broker and database; the site speaks the real protocol.

const rowSelector = (id: string) => `tr.cam-row[data-camera-id="${id}"]`;

function monitor(impaired: boolean): MonitorHealth {
  return {
    impaired,
    since: impaired ? new Date().toISOString() : null,
    detail: impaired ? 'its event loop was stalled for 4.2 s of the 5.0 s window' : null,
    eventLoopLagMs: impaired ? 4_200 : 12,
    cpuPressurePct: null,
    load1: 3.5,
    cpuCount: 2,
    runningPolls: 1,
    pollSlots: 16,
    runningProbes: 0,
    probeSlots: 2,
    inconclusiveChecks: impaired ? 3 : 0,
    checkedAt: new Date().toISOString(),
  };
}

describe('dashboard in Chromium: a site monitor that is impaired', () => {
  let h: HubHarness | undefined;
  let site: SitePublisher | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-starved');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`];
  const username = uniqueId('operator');
  const password = 'Correct-Horse-7';

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(username, 'operator', [], password);
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online', monitor: monitor(true) });
    for (const id of cams) await site.publish('health', health(id, 'up'), id);
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.close(),
      () => h?.stop(),
    ),
  );

  it("marks the site's cameras in the table, in words and in the accessible label", async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    const row = rowSelector(cams[0]!);
    await expect
      .poll(() => page.getAttribute(row, 'aria-label').catch(() => null), { timeout: 30_000, interval: 250 })
      .toMatch(/, site monitor impaired$/);
    expect(await page.textContent(`${row} [data-column="site"] .monitor-mark`)).toBe('monitor impaired');
    expect(await page.getAttribute(`${row} [data-column="site"]`, 'title')).toMatch(
      /event loop was stalled for 4\.2 s.*count as unknown, not down/,
    );
  });

  it('says in the camera detail what the agent lost and what that means', async () => {
    await page.click(rowSelector(cams[0]!));
    const field = `#detail-panel[data-camera-id="${cams[0]}"] dd[data-field="site-monitor"]`;
    await page.locator(field).waitFor();
    const text = await page.textContent(field);
    expect(text).toMatch(/^impaired since .+: its event loop was stalled for 4\.2 s of the 5\.0 s window\./);
    expect(text).toMatch(/Checks it could not complete show as unknown, not down/);
    expect(await page.getAttribute(field, 'class')).toBe('warn');
  });

  it('drops the mark once the agent says it has recovered', async () => {
    await site!.publish('siteState', { state: 'online', monitor: monitor(false) });
    const row = rowSelector(cams[1]!);
    await expect
      .poll(() => page.getAttribute(row, 'aria-label'), { timeout: 15_000, interval: 250 })
      .not.toMatch(/monitor impaired/);
    expect(await page.locator(`${row} .monitor-mark`).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
