import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/cleanup.ts';
import { eventually } from '../support/eventually.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SiteHarness } from '../support/site-harness.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { type LaunchedBrowser, launchBrowser, openView, signInAs as signIn } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// The Alerts view as the people who use it meet it. A camera of a real site (simulated ONVIF
// cameras, a real edge agent) stops answering; the hub opens an alert and pushes it to the open
// dashboard, where it appears under its site with the header's count; the operator acknowledges it
// with a comment and it moves to Acknowledged with that comment. Another council's camera goes down
// over MQTT: the operator sees it, the first council's officer does not. The officer creates an
// e-mail digest rule, sends the digest now and sees it delivered (a real SMTP receiver gets it).
// At desktop and phone sizes, with axe-core and no page wider than the screen.

const SHOTS = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Correct-Horse-7';
const ALERT_TIMEOUT_MS = 30_000;
const COMMENT = 'Engineer called, ETA 14:00';

/** A port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const item = (alertId: string) => `#alert-groups .alert-item[data-alert-id="${alertId}"]`;

describe('alerts view in Chromium: live alerts, acknowledge, history, notification rules', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let other: SitePublisher | undefined;
  const smtp = new SmtpReceiver();
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const council = uniqueId('al-council');
  const otherCouncil = uniqueId('al-other');
  const siteId = uniqueId('al-site');
  const otherSiteId = uniqueId('al-osite');
  const cams = [`${siteId}-a`, `${siteId}-b`, `${siteId}-c`];
  const otherCams = [`${otherSiteId}-a`, `${otherSiteId}-b`, `${otherSiteId}-c`];
  const target = cams[1]!;
  const otherTarget = otherCams[0]!;
  const alertId = `camera_down:${target}`;
  const otherAlertId = `camera_down:${otherTarget}`;
  const operator = uniqueId('al-op');
  const officer = uniqueId('al-officer');
  const inbox = `${uniqueId('duty')}@example.org`;
  let closedPort = 0;

  const open = async (launched: LaunchedBrowser) => {
    browser = launched;
    page = launched.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  };
  const signInAs = (username: string) => signIn(page, h!.hub.url, username, PASSWORD);
  const openAlerts = () => openView(page, 'alerts');
  const showTab = async (state: 'open' | 'acknowledged' | 'resolved') => {
    await page.click(`#alerts-tab-${state}`);
    await page.locator(`#alerts-panel[data-state="${state}"]`).waitFor();
  };
  const shownAlertIds = () =>
    page.$$eval('#alert-groups .alert-item', (items) => items.map((li) => li.getAttribute('data-alert-id')));
  const badgeCount = () =>
    page.evaluate(() => {
      const badge = document.getElementById('view-alerts-count');
      return badge && !badge.hidden ? Number(badge.dataset.count) : 0;
    });
  const checkPage = async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
    const width = page.viewportSize()!.width;
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    closedPort = await freePort();
    await smtp.start();
    h = await startHub({
      CCTV_HUB__alerts__dampMs: '1000',
      CCTV_HUB__alerts__evaluateIntervalMs: '200',
      // The other council's site reports once over MQTT; its cameras stay as reported.
      CCTV_HUB__state__staleAfterMs: '600000',
      CCTV_HUB__notifications__tickMs: '100',
      // One attempt, so that a failing webhook is dead at once.
      CCTV_HUB__notifications__maxAttempts: '1',
      CCTV_HUB__notifications__smtp__host: '127.0.0.1',
      CCTV_HUB__notifications__smtp__port: String(smtp.port),
      CCTV_HUB__notifications__smtp__from: 'CCTV hub <hub@example.org>',
    });
    await h.createUser(operator, 'operator', [], PASSWORD);
    await h.createUser(officer, 'council', [council], PASSWORD);
    await h.registerSite(siteId, council, { cameraIds: cams, name: 'Porthleven harbour' });
    await h.registerSite(otherSiteId, otherCouncil, { cameraIds: otherCams, name: 'Marazion square' });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 3_000,
    });
    await site.start();
    // The other council's site: real MQTT messages through the hub's broker, one camera down.
    other = new SitePublisher(otherSiteId, h.hub.mqttUrl);
    await other.connect(true);
    await other.publish('inventory', inventory(otherCouncil, otherCams));
    await other.publish('siteState', { state: 'online' });
    for (const id of otherCams)
      await other.publish('health', health(id, id === otherTarget ? 'down' : 'up'), id);
    await eventually(
      "the other council's camera alert",
      async () => (h!.hub.openAlerts.some((a) => a.id === otherAlertId) ? true : undefined),
      ALERT_TIMEOUT_MS,
    );
    await eventually('every camera of the site up', async () =>
      cams.every((id) => h!.hub.fleet.cameras.get(id)?.state === 'up') ? true : undefined,
    );
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.stop(),
      () => other?.close(),
      () => h?.stop(),
      () => smtp.stop(),
    ),
  );

  it('shows a camera going down live, under its site, with the count in the header', async () => {
    await open(await launchBrowser({ viewport: DESKTOP }));
    await signInAs(operator);
    await openAlerts();
    expect(new URL(page.url()).searchParams.get('view')).toBe('alerts');
    await expect.poll(shownAlertIds).toEqual([otherAlertId]);
    expect(await badgeCount()).toBe(1);

    await site!.simulator.setFault(target, { kind: 'unreachable' });
    await page.locator(item(alertId)).waitFor({ timeout: ALERT_TIMEOUT_MS });
    expect(await badgeCount()).toBe(2);
    expect(await page.locator('#view-alerts-tab').ariaSnapshot()).toBe(
      '- button "Alerts (2 open alerts not acknowledged)" [pressed]',
    );
    const card = page.locator(item(alertId));
    expect(await card.locator('.alert-kind').textContent()).toBe('Camera down');
    expect(await card.locator('.alert-severity').textContent()).toBe('Minor');
    expect(await card.locator('.alert-message').textContent()).toBe('Camera 2 (Porthleven harbour) is down');
    expect(await card.locator('.alert-details').textContent()).toContain('CameraCamera 2');
    // Under a heading for its site, with the council.
    const group = page.locator(`.alert-site[data-site-id="${siteId}"]`);
    expect(await group.locator('h3').textContent()).toBe(`Porthleven harbour · ${council} · 1 alert`);
    expect(await page.textContent('#alerts-summary')).toBe(
      '2 open alerts at 2 sites, not yet acknowledged. Live.',
    );
  });

  it('acknowledges with a comment: the alert leaves Open and is listed as acknowledged', async () => {
    await page
      .locator(item(alertId))
      .getByRole('button', { name: /^Acknowledge/ })
      .click();
    const dialog = page.locator('#confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.locator('h2').textContent()).toBe('Acknowledge: Camera down at Porthleven harbour');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ack-comment');
    await checkPage();
    await page.fill('#ack-comment', COMMENT);
    await page.click('#confirm-ok');
    await page.locator(item(alertId)).waitFor({ state: 'detached' });
    await expect.poll(badgeCount).toBe(1);
    // The hub's push may remove the card before its answer to the request arrives.
    await expect
      .poll(() => page.textContent('#alerts-notice'))
      .toBe('Acknowledged: Camera down at Porthleven harbour.');
    expect(await shownAlertIds()).toEqual([otherAlertId]);

    await showTab('acknowledged');
    await page.locator(item(alertId)).waitFor();
    const details = page.locator(`${item(alertId)} .alert-details`);
    expect(await details.textContent()).toContain(`by ${operator}`);
    expect(await page.textContent(`${item(alertId)} .alert-comment`)).toBe(COMMENT);
    expect(await page.locator(`${item(alertId)} [data-action="acknowledge"]`).count()).toBe(0);
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-acknowledged-desktop'));
    await showTab('open');
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-open-desktop'));
    expect(pageErrors).toEqual([]);
    await browser?.close();
    browser = undefined;
  });

  it('works on a phone: the count on the menu button, the acknowledged comment, cards that fit', async () => {
    await open(await launchBrowser({ viewport: PHONE, isMobile: true, hasTouch: true }));
    await signInAs(operator);
    await expect.poll(() => page.getAttribute('#view-menu .view-badge', 'data-count')).toBe('1');
    expect(await page.locator('#view-menu').ariaSnapshot()).toBe(
      '- button "Live – views and settings (Alerts 1)"',
    );
    await openAlerts();
    await page.locator(item(otherAlertId)).waitFor();
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-open-phone'));
    await showTab('acknowledged');
    await page.locator(item(alertId)).waitFor();
    expect(await page.textContent(`${item(alertId)} .alert-comment`)).toBe(COMMENT);
    await checkPage();
    await page.setViewportSize({ width: 360, height: PHONE.height });
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-acknowledged-phone-360'));
    await page.setViewportSize(PHONE);
  });

  it("shows a council officer its council's alerts only, without Acknowledge", async () => {
    await signInAs(officer);
    await openAlerts();
    await page.locator('#alerts-summary:not(:empty)').waitFor();
    // The other council's open alert is not sent to this officer at all.
    await expect.poll(() => page.textContent('#alerts-summary')).toMatch(/^No open alert/);
    expect(await shownAlertIds()).toEqual([]);
    expect(await badgeCount()).toBe(0);
    await showTab('acknowledged');
    await page.locator(item(alertId)).waitFor();
    expect(await shownAlertIds()).toEqual([alertId]);
    expect(await page.textContent(`${item(alertId)} .alert-comment`)).toBe(COMMENT);
    expect(await page.locator('[data-action="acknowledge"]').count()).toBe(0);
    // Only the officer's council to filter by.
    expect(await page.$$eval('#alerts-council option', (o) => o.map((x) => x.getAttribute('value')))).toEqual(
      ['', council],
    );
    await checkPage();
  });

  it('lets the officer create an e-mail digest rule, send the digest now and see it delivered', async () => {
    await page.click('#alerts-page-notifications');
    await page.locator('#notifications-page').waitFor({ state: 'visible' });
    expect(await page.locator('#rule-channel-webhook').count()).toBe(0);
    await page.locator('#rule-list .rule-empty').waitFor();
    expect(await page.isHidden('#rule-form')).toBe(true);
    await page.click('#rule-new');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('rule-name');
    // What the browser refuses it says in plain words, at the field.
    await page.fill('#rule-name', 'Duty inbox');
    await page.fill('#rule-target', 'duty at example');
    await page.click('#rule-save');
    await expect
      .poll(() => page.textContent('#rule-error'))
      .toBe('Enter one e-mail address, such as duty@example.org.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('rule-target');
    await page.fill('#rule-target', inbox);
    await page.check(`#rule-councils-${council}`);
    await page.check('#rule-mode-digest');
    await page.selectOption('#rule-digest-hour', '6');
    await page.click('#rule-save');
    const rule = page.locator('#rule-list .rule-item', { hasText: 'Duty inbox' });
    await rule.waitFor();
    expect(await page.textContent('#rules-status')).toBe('Created the rule Duty inbox.');
    expect(await rule.locator('.rule-target').textContent()).toBe(`E-mail: ${inbox}`);
    expect(await rule.textContent()).toContain('Daily digest at 06:00 (UK time)');
    expect(await page.isHidden('#rule-secret')).toBe(true);
    expect(await page.isHidden('#rule-form')).toBe(true);

    await rule.getByRole('button', { name: 'Send digest now: Duty inbox' }).click();
    await expect.poll(() => page.textContent('#rules-status')).toMatch(/^Digest for Duty inbox queued: /);
    const delivery = page.locator('#delivery-list .delivery-item[data-kind="digest"]');
    await delivery.waitFor();
    await page.locator('#delivery-list .delivery-item[data-kind="digest"][data-state="delivered"]').waitFor({
      timeout: 20_000,
    });
    expect(await delivery.locator('.delivery-meta').textContent()).toContain(
      `E-mail to ${inbox} · rule Duty inbox`,
    );
    expect(await delivery.locator('.delivery-outcome').textContent()).toMatch(/^Delivered /);
    await eventually('the digest e-mail', async () => (smtp.to(inbox).length > 0 ? true : undefined));
    expect(smtp.to(inbox)[0]?.text).toContain('Porthleven harbour');
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-notifications-phone'));
    await page.setViewportSize(DESKTOP);
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-notifications-wide'));
  });

  it("shows an operator's new webhook secret once, and retries a dead delivery", async () => {
    await signInAs(operator);
    await openAlerts();
    await page.click('#alerts-page-notifications');
    // Everyone's rules for an operator: the officer's too.
    await page.locator('#rule-list .rule-item', { hasText: 'Duty inbox' }).waitFor();
    await page.click('#rule-new');
    await page.fill('#rule-name', 'Nowhere hook');
    await page.check('#rule-channel-webhook');
    expect(
      await page.textContent('#rule-form .field-label:text-is("Webhook address (https://…)")'),
    ).toBeTruthy();
    await page.fill('#rule-target', 'ftp://example.org/hook');
    await page.click('#rule-save');
    await expect
      .poll(() => page.textContent('#rule-error'))
      .toBe('The webhook address is a web address starting with https://.');
    // Nothing listens there: every attempt fails.
    await page.fill('#rule-target', `http://127.0.0.1:${closedPort}/hook`);
    await page.click('#rule-save');
    await page.locator('#rule-secret').waitFor({ state: 'visible' });
    expect(await page.textContent('#rule-secret-title')).toBe('Signing secret for Nowhere hook');
    expect(await page.textContent('#rule-secret-value')).toMatch(/^\S{20,}$/);
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-webhook-secret-wide'));
    await page.click('#rule-secret-dismiss');
    expect(await page.textContent('#rule-secret-value')).toBe('');

    const hook = page.locator('#rule-list .rule-item', { hasText: 'Nowhere hook' });
    await hook.getByRole('button', { name: 'Send test: Nowhere hook' }).click();
    const dead = page.locator('#delivery-list .delivery-item[data-kind="test"][data-state="dead"]');
    await dead.waitFor({ timeout: 20_000 });
    expect(await dead.locator('.delivery-outcome').textContent()).toMatch(/^Gave up after 1 attempt: \S/);
    await dead.getByRole('button', { name: /^Retry: / }).click();
    await expect.poll(() => page.textContent('#delivery-status')).toMatch(/^Queued again: /);
    // Back in the queue, then dead again after its one attempt.
    await expect
      .poll(() => page.$$eval('#delivery-list .delivery-item[data-kind="test"]', (l) => l.length))
      .toBe(1);
    await dead.waitFor({ timeout: 20_000 });
    await checkPage();
    await screenshotWhole(page, '#view-alerts', SHOTS('alerts-deliveries-dead-wide'));
    expect(pageErrors).toEqual([]);
  });
});
