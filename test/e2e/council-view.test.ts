import { mkdir, readFile, stat } from 'node:fs/promises';
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

// A council officer's view of certification, end to end: simulator -> agent -> MQTT -> hub evaluation
// -> REST and the socket's `compliance` event -> the built dashboard in Chromium.

const SCREENSHOT_PATH = fileURLToPath(new URL('../../test-results/e2e/council-view.png', import.meta.url));

const rowSelector = (id: string) => `tr.compliance-row[data-camera-id="${id}"]`;

function rowStatuses(page: Page, ids: string[]): Promise<Record<string, string>> {
  return page.evaluate(
    ({ ids, pattern }) =>
      Object.fromEntries(
        ids.map((id) => [
          id,
          document.querySelector(pattern.replace('{id}', id))?.getAttribute('data-status') ?? 'absent',
        ]),
      ),
    { ids, pattern: rowSelector('{id}') },
  );
}

describe('council view in Chromium: compliance, drill-down, maintenance, reports', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-council');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`];
  const skewed = cams[0]!;
  const username = uniqueId('officer');
  const password = 'Correct-Horse-7';

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub({
      CCTV_HUB__compliance__packsDir: 'test/fixtures/certification-sim',
      CCTV_HUB__compliance__defaultCode: 'simulator-checks',
      CCTV_HUB__compliance__evaluateIntervalMs: '1000',
    });
    await h.createUser(username, 'council', [council], password);
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 3_000,
    });
    await site.start();
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

  it('lands a council officer on the compliance view with every camera passing', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.locator('#view-compliance').waitFor({ state: 'visible' });
    expect(new URL(page.url()).searchParams.get('view')).toBe('compliance');
    expect(await page.locator('#view-live').isHidden()).toBe(true);
    await expect
      .poll(() => rowStatuses(page, cams), { timeout: 45_000, interval: 250 })
      .toEqual(Object.fromEntries(cams.map((id) => [id, 'pass'])));
    expect(await page.getAttribute('.compliance-chip[data-status="pass"]', 'data-count')).toBe('2');
    expect(await page.textContent(`${rowSelector(skewed)} td:nth-child(3)`)).toBe('simulator-checks@1');
  }, 60_000);

  it('switches to the live view and back, keeping the view in the URL', async () => {
    await page.click('#view-live-tab');
    await page.locator('#view-live').waitFor({ state: 'visible' });
    expect(new URL(page.url()).searchParams.get('view')).toBe('live');
    await page.click('#view-compliance-tab');
    await page.locator('#view-compliance').waitFor({ state: 'visible' });
    expect(new URL(page.url()).searchParams.get('view')).toBe('compliance');
  });

  it('turns a row to fail on clock skew and shows the failing rule in the drill-down', async () => {
    await site!.simulator.setFault(skewed, { kind: 'clock-skew', skewMs: 12_000 });
    await expect
      .poll(() => rowStatuses(page, cams), { timeout: 30_000, interval: 250 })
      .toEqual({ [skewed]: 'fail', [cams[1]!]: 'pass' });
    expect(await page.textContent(`${rowSelector(skewed)} .failing-rules`)).toContain('clock-offset');
    await page.click(rowSelector(skewed));
    const detail = page.locator(`#compliance-detail[data-camera-id="${skewed}"]`);
    await detail.waitFor({ state: 'visible' });
    const rule = detail.locator('li.rule-result[data-rule-id="clock-offset"]');
    await expect.poll(() => rule.getAttribute('data-status')).toBe('fail');
    // Evidence (value and threshold) and the pack's title and source are spelled out.
    expect(await rule.locator('.rule-evidence[data-kind="value"]').count()).toBe(1);
    expect(await rule.locator('.rule-evidence[data-kind="threshold"]').count()).toBe(1);
    expect(await rule.locator('.rule-source').count()).toBe(1);
    expect(await detail.locator('li.rule-result[data-status="pass"]').count()).toBeGreaterThan(0);
    // Today's history cell carries the day's worst status.
    await expect
      .poll(() => detail.locator('.history-cell[data-status="fail"]').count(), { timeout: 10_000 })
      .toBe(1);
    expect(new URL(page.url()).searchParams.get('camera')).toBe(skewed);
  }, 45_000);

  it('draws the council uptime chart', async () => {
    await page.locator('#uptime-chart rect.bar[data-day]').first().waitFor({ state: 'attached' });
    expect(await page.locator('#uptime-chart rect.bar[data-day]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('#uptime-30d')).toMatch(/%|–/);
  });

  it('schedules a future maintenance window through the form and lists it', async () => {
    const form = page.locator('#maintenance-form');
    await form.waitFor({ state: 'visible' });
    await page.selectOption('#mw-scope', 'camera');
    await page.selectOption('#mw-target', cams[1]!);
    await page.fill('#mw-title', 'Lens cleaning');
    await page.fill('#mw-reason', 'Quarterly clean');
    // The form suggests the next whole hour for an hour: in the future.
    await page.click('#mw-submit');
    const item = page.locator('#maintenance-list li[data-window-id]', { hasText: 'Lens cleaning' });
    await item.waitFor({ state: 'visible' });
    expect(await item.getAttribute('data-phase')).toBe('future');
    expect(await page.textContent('#maintenance-form-error')).toBe('');
    // A window in the past is refused with the hub's message.
    await page.fill('#mw-title', 'Too late');
    await page.fill('#mw-start', '2020-01-01T10:00');
    await page.fill('#mw-end', '2020-01-01T11:00');
    await page.click('#mw-submit');
    await expect
      .poll(() => page.textContent('#maintenance-form-error'))
      .toContain('cannot start in the past');
  });

  it('deletes a future maintenance window', async () => {
    const local = (ms: number) => {
      const d = new Date(ms);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    };
    const startMs = Date.now() + 2 * 86_400_000;
    await page.fill('#mw-title', 'Mast inspection');
    await page.fill('#mw-start', local(startMs));
    await page.fill('#mw-end', local(startMs + 3_600_000));
    await page.click('#mw-submit');
    const item = page.locator('#maintenance-list li[data-window-id]', { hasText: 'Mast inspection' });
    await item.waitFor({ state: 'visible' });
    // Asked first: cancelling keeps the window.
    await item.locator('button[data-action="delete"]').click();
    expect(await page.textContent('#confirm-dialog h2')).toBe('Delete the window Mast inspection?');
    await page.click('#confirm-cancel');
    expect(await item.count()).toBe(1);
    await item.locator('button[data-action="delete"]').click();
    await page.click('#confirm-ok');
    await item.waitFor({ state: 'detached' });
    expect(await page.textContent('#maintenance-error')).toBe('');
    const kept = page.locator('#maintenance-list li[data-window-id]', { hasText: 'Lens cleaning' });
    expect(await kept.count()).toBe(1);
  });

  it("shows an officer given another council's link their own council, and says why", async () => {
    const other = uniqueId('council-other');
    await page.goto(`${h!.hub.url}/?view=compliance&council=${other}`);
    await page.locator('#app[data-ready="true"]').waitFor({ state: 'attached' });
    await expect.poll(() => page.getAttribute('#view-compliance', 'data-council-id')).toBe(council);
    expect(await page.textContent('#council-notice')).toMatch(/^That council is not one of yours: showing /);
    expect(await page.locator('#council-picker option').allTextContents()).toHaveLength(1);
    expect(await page.locator(`#council-picker option[value="${other}"]`).count()).toBe(0);
    await expect.poll(() => page.locator('tr.compliance-row').count()).toBe(cams.length);
  });

  it('downloads the month compliance CSV with the bearer token and saves a screenshot', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button[data-report="compliance.csv"]'),
    ]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^cctv-${council}-\\d{4}-\\d{2}-compliance\\.csv$`),
    );
    const csv = await readFile(await download.path(), 'utf8');
    for (const id of cams) expect(csv).toContain(id);
    await mkdir(dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    expect((await stat(SCREENSHOT_PATH)).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
