import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, openView, signInAs as signIn } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// The site registry as people meet it: a hub operator registers a site through the form before its
// agent ever speaks, sees the camera its inventory adds unannounced waiting for approval (in the
// registry and where cameras are watched), approves it, and moves the site with a reason; a council
// officer reads the same lists without a button; a control room does not get the view. At desktop
// and phone sizes, with axe-core looking for serious problems. The hub's side is checked through its API.

const SHOTS = (name: string) =>
  fileURLToPath(new URL(`../../test-results/screenshots/${name}.png`, import.meta.url));
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Correct-Horse-7';
const LIVE_TIMEOUT_MS = 20_000;

const siteRow = (id: string) => `tr.site-row[data-site-id="${id}"]`;
const cameraRow = (id: string) => `tr.approval-row[data-camera-id="${id}"]`;
const liveRow = (id: string) => `tr.cam-row[data-camera-id="${id}"]`;

describe('site registry in Chromium: register, approve a pending camera, move, read-only', () => {
  let h: HubHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let site: SitePublisher | undefined;
  let page: Page;
  let token = '';
  const pageErrors: string[] = [];
  const hubId = uniqueId('reg-hub');
  const council = uniqueId('reg-council');
  const otherCouncil = uniqueId('reg-other');
  const councilName = 'Harbour District Council';
  const siteId = uniqueId('reg-site');
  const siteName = 'Harbour car park';
  const listed = `${siteId}-gate`;
  const unexpected = `${siteId}-extra`;
  const operator = uniqueId('reg-op');
  const officer = uniqueId('reg-officer');
  const controlRoom = uniqueId('reg-cr');

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${h!.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  /** Both cameras report up now. */
  const heartbeat = async () => {
    for (const id of [listed, unexpected]) await site!.publish('health', health(id, 'up'), id);
  };
  const signInAs = (username: string) => signIn(page, h!.hub.url, username, PASSWORD);
  const openRegistry = async () => {
    await openView(page, 'registry');
    await page
      .locator(siteRow(siteId))
      .or(page.locator('#registry-sites-table .empty-row'))
      .first()
      .waitFor();
  };
  /** No serious or critical axe finding, and nothing wider than the viewport. */
  const checkPage = async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
    const width = page.viewportSize()!.width;
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(operator, 'operator', [], PASSWORD);
    token = await h.login(operator, PASSWORD);
    expect(
      (await api('PUT', `/api/registry/hubs/${hubId}`, { name: 'West hub', operator: 'Test' })).status,
    ).toBe(200);
    for (const [id, name] of [
      [council, councilName],
      [otherCouncil, 'Moorland Council'],
    ])
      expect((await api('PUT', `/api/registry/councils/${id}`, { name, hubId })).status).toBe(200);
    await h.createUser(officer, 'council', [council], PASSWORD);
    await h.createUser(controlRoom, 'controlroom', [], PASSWORD);
    browser = await launchBrowser({ viewport: DESKTOP });
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => site?.close(),
      () => browser?.close(),
      () => h?.stop(),
    ),
  );

  it('registers a site through the form as a hub operator, before its agent speaks', async () => {
    await signInAs(operator);
    await openRegistry();
    expect(new URL(page.url()).searchParams.get('view')).toBe('registry');
    expect(await page.textContent('#registry-sites-table .empty-row')).toBe('No site is registered yet.');
    for (const id of ['id', 'name', 'council', 'hub', 'networks', 'expected', 'lat', 'lon'])
      expect(await page.locator(`label[for="site-new-${id}"]`).count()).toBe(1);

    // The browser names what it can check itself, and sends nothing.
    await page.fill('#site-new-id', 'Harbour Car Park');
    await page.click('#site-new-submit');
    await expect
      .poll(() => page.textContent('#site-new-error'))
      .toBe(
        'Not registered: The site id needs lowercase letters, digits and dashes (at most 63, not starting with a dash).',
      );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('site-new-id');

    await page.fill('#site-new-id', siteId);
    await page.fill('#site-new-name', siteName);
    await page.selectOption('#site-new-council', council);
    // The council's own hub is filled in.
    expect(await page.inputValue('#site-new-hub')).toBe(hubId);
    await page.fill('#site-new-networks', '127.0.0.1/32\n\n');
    await page.fill('#site-new-expected', listed);
    await page.fill('#site-new-lat', '50.1181');
    await page.fill('#site-new-lon', '-5.5378');
    await page.click('#site-new-submit');
    await page.locator(siteRow(siteId)).waitFor();
    expect(await page.textContent('#registry-status')).toBe(
      `Registered ${siteName} (${siteId}). Its agent may connect now.`,
    );
    expect(await page.textContent(`${siteRow(siteId)} [data-column="council"]`)).toBe(councilName);
    expect(await page.textContent(`${siteRow(siteId)} [data-column="hub"]`)).toBe('West hub');
    expect(await page.textContent(`${siteRow(siteId)} [data-column="pending"]`)).toBe('none');
    expect(await page.inputValue('#site-new-id')).toBe('');
    const sites = await api<{ id: string }[]>('GET', '/api/registry/sites');
    expect(sites.body.find((s) => s.id === siteId)).toMatchObject({
      name: siteName,
      councilId: council,
      hubId,
      cameraNetworks: ['127.0.0.1/32'],
      expectedCameras: [listed],
      location: { type: 'Point', coordinates: [-5.5378, 50.1181] },
      pendingCameras: 0,
    });

    // A refusal by the hub, in its words.
    await page.fill('#site-new-id', siteId);
    await page.fill('#site-new-name', 'Twice');
    await page.selectOption('#site-new-council', council);
    await page.fill('#site-new-networks', '127.0.0.1/32');
    await page.click('#site-new-submit');
    await expect
      .poll(() => page.textContent('#site-new-error'))
      .toBe(`Not registered: Site ${siteId} is already registered.`);
    await page.fill('#site-new-id', '');
    await page.fill('#site-new-name', '');
  });

  it('issues an enrolment code for the site box from its row, shown once with the command to type', async () => {
    await page.locator(`${siteRow(siteId)} button[data-action="enrolment-code"]`).click();
    await page.locator('#enrolment-code:not([hidden])').waitFor();
    const code = (await page.textContent('#enrolment-code-value')) ?? '';
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(await page.textContent('#enrolment-code .secret-hint')).toContain(
      `npm run agent -- enrol --hub ${h!.hub.url} --code ${code}`,
    );
    await expect
      .poll(() => page.textContent(`${siteRow(siteId)} [data-enrolment]`))
      .toBe('Code issued, not used yet');
    await checkPage();
    // The code works once, at the hub's enrolment address.
    const enrol = await fetch(`${h!.hub.url}/api/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(enrol.status).toBe(200);
    await page.click('#enrolment-code-dismiss');
    expect(await page.locator('#enrolment-code').isHidden()).toBe(true);
  });

  it('shows the camera the site did not announce as pending, in the registry and in the camera table', async () => {
    site = new SitePublisher(siteId, h!.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', { ...inventory(council, [listed, unexpected]), hubId });
    await site.publish('siteState', { state: 'online' });
    await heartbeat();

    // The open view hears of the new camera over the live socket and reads the lists again.
    await page.locator(cameraRow(unexpected)).waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await page.getAttribute(cameraRow(unexpected), 'data-approval')).toBe('pending');
    expect(await page.textContent(`${cameraRow(unexpected)} [data-column="approval"]`)).toBe(
      'Pending approval',
    );
    expect(await page.textContent(`${cameraRow(unexpected)} [data-column="site"]`)).toBe(siteName);
    expect(await page.locator(cameraRow(listed)).count()).toBe(0);
    await expect.poll(() => page.textContent(`${siteRow(siteId)} [data-column="pending"]`)).toBe('1 pending');
    await checkPage();
    await screenshotWhole(page, '#view-registry', SHOTS('registry-operator-desktop'));

    await page.click('#view-live-tab');
    await page.locator(liveRow(unexpected)).waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await page.getAttribute(liveRow(unexpected), 'data-approval')).toBe('pending');
    expect(await page.textContent(`${liveRow(unexpected)} .approval-mark`)).toBe('Pending approval');
    expect(await page.getAttribute(liveRow(unexpected), 'aria-label')).toMatch(/, pending approval$/);
    await page.locator(liveRow(listed)).waitFor();
    expect(await page.locator(`${liveRow(listed)} .approval-mark`).count()).toBe(0);
    await page.click(liveRow(unexpected));
    await page.locator(`#detail-panel[data-camera-id="${unexpected}"]`).waitFor();
    expect(await page.textContent('#detail-panel [data-field="approval-notice"]')).toBe(
      "Pending approval: Monitored, but counted in no council's reports until a hub operator approves it.",
    );
    expect(await page.textContent('#detail-panel dd[data-field="approval"]')).toContain('Pending approval');
    await screenshotWhole(page, 'body', SHOTS('live-pending-desktop'));
    await page.click('#detail-close');
  });

  it('approves the camera from the keyboard with a note: it counts for the council from then on', async () => {
    await openRegistry();
    await page.locator(`${cameraRow(unexpected)} button[data-action="approve"]`).focus();
    await page.keyboard.press('Enter');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await page.textContent('#confirm-dialog h2')).toBe(`Approve Camera ${unexpected}?`);
    expect(await page.textContent('#confirm-dialog p')).toContain(`counts in ${councilName}'s reports`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('approval-note');
    await page.keyboard.type('seen on the commissioning visit');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator(cameraRow(unexpected)).waitFor({ state: 'detached' });
    expect(await page.textContent('#registry-cameras-status')).toBe(
      `Approved Camera ${unexpected} (${unexpected}).`,
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('registry-cameras-title');
    expect(await page.textContent('#registry-cameras-table .empty-row')).toBe(
      'No camera is waiting for approval.',
    );
    await expect.poll(() => page.textContent(`${siteRow(siteId)} [data-column="pending"]`)).toBe('none');

    const pending = await api<{ id: string }[]>('GET', '/api/registry/cameras?approval=pending');
    expect(pending.body.map((c) => c.id)).not.toContain(unexpected);
    const audit = await api<{ entries: { kind: string; subject: string; reason: string }[] }>(
      'GET',
      '/api/audit?kind=config.camera',
    );
    expect(audit.body.entries[0]).toMatchObject({
      kind: 'config.camera.approve',
      subject: `camera:${unexpected}`,
      reason: 'seen on the commissioning visit',
    });
    // Counted from the approval on: the next reports put it in the council's per-camera uptime.
    await expect
      .poll(
        async () => {
          await heartbeat();
          const uptime = await api<{ cameras: { cameraId: string }[] }>(
            'GET',
            `/api/uptime?scope=council&id=${council}&window=24h&perCamera=true`,
          );
          return uptime.body.cameras.map((c) => c.cameraId).sort();
        },
        { timeout: LIVE_TIMEOUT_MS, interval: 1_000 },
      )
      .toEqual([listed, unexpected].sort());

    // The approved list has it, with Retire behind a confirmation: cancelling changes nothing.
    await page.selectOption('#registry-cameras-show', 'approved');
    await page.locator(cameraRow(unexpected)).waitFor();
    expect(await page.getAttribute(cameraRow(unexpected), 'data-approval')).toBe('approved');
    expect(await page.textContent(`${cameraRow(unexpected)} [data-column="decided"]`)).toContain(
      `by ${operator}`,
    );
    await page.click(`${cameraRow(unexpected)} button[data-action="retire"]`);
    expect(await page.textContent('#confirm-dialog h2')).toBe(`Retire Camera ${unexpected}?`);
    expect(await page.getAttribute('#confirm-ok', 'class')).toBe('danger');
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('retire');
    const cameras = await api<{ id: string; approval: string }[]>('GET', `/api/cameras?siteId=${siteId}`);
    expect(cameras.body.find((c) => c.id === unexpected)?.approval).toBe('approved');

    await page.click('#view-live-tab');
    await expect.poll(() => page.getAttribute(liveRow(unexpected), 'data-approval')).toBe('approved');
    expect(await page.locator(`${liveRow(unexpected)} .approval-mark`).count()).toBe(0);
  });

  it('shows a council officer the same lists read-only, at desktop and phone size', async () => {
    await signInAs(officer);
    await openRegistry();
    expect(await page.textContent('#registry-read-only')).toContain('Read only');
    expect(await page.textContent(`${siteRow(siteId)} [data-column="council"]`)).toBe(councilName);
    expect(await page.locator('#site-new-form, #site-edit-form').count()).toBe(0);
    expect(await page.locator('#view-registry button').count()).toBe(0);
    await page.selectOption('#registry-cameras-show', 'approved');
    await page.locator(cameraRow(unexpected)).waitFor();
    expect(await page.locator('#registry-cameras-table th', { hasText: 'Actions' }).count()).toBe(0);
    await checkPage();
    await screenshotWhole(page, '#view-registry', SHOTS('registry-officer-desktop'));

    await page.setViewportSize(PHONE);
    await checkPage();
    await screenshotWhole(page, '#view-registry', SHOTS('registry-officer-phone'));
    await page.setViewportSize(DESKTOP);

    // The hub refuses the officer anyway.
    const officerToken = await h!.login(officer, PASSWORD);
    const refused = await fetch(`${h!.hub.url}/api/registry/cameras/${listed}/approval`, {
      method: 'POST',
      headers: { authorization: `Bearer ${officerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'retire' }),
    });
    expect(refused.status).toBe(403);
  });

  it('gives a control room no registry view', async () => {
    await signInAs(controlRoom);
    expect(await page.locator('#view-incident-tab').count()).toBe(1);
    expect(await page.locator('#view-registry-tab, #view-registry').count()).toBe(0);
  });

  it('moves the site at phone size only with a reason, and shows what the move does to reports', async () => {
    await page.setViewportSize(PHONE);
    await signInAs(operator);
    await openRegistry();
    await checkPage();
    await page.locator(`${siteRow(siteId)} button[data-action="edit"]`).focus();
    await page.keyboard.press('Enter');
    await page.locator('#site-edit-form').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('site-edit-title');
    expect(await page.inputValue('#site-edit-council')).toBe(council);
    expect(await page.inputValue('#site-edit-expected')).toBe(listed);
    expect(await page.locator('#site-edit-reason').isHidden()).toBe(true);
    await page.selectOption('#site-edit-council', otherCouncil);
    expect(await page.locator('#site-edit-reason').isVisible()).toBe(true);
    await page.click('#site-edit-submit');
    await expect
      .poll(() => page.textContent('#site-edit-error'))
      .toBe('Not saved: Moving the site to another council or hub needs a reason.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('site-edit-reason');
    await page.fill('#site-edit-reason', 'boundary review: the car park passed to Moorland');
    await screenshotWhole(page, '#view-registry', SHOTS('registry-move-phone'));
    await page.click('#site-edit-submit');
    await page.locator('#registry-move-effect').waitFor({ state: 'visible' });
    expect(await page.textContent('#registry-status')).toBe(`Moved ${siteName}.`);
    const effect = (await page.textContent('#registry-move-effect')) ?? '';
    // In people's words: council names and London's clock, not ids and an ISO timestamp.
    expect(effect).toMatch(
      new RegExp(
        `before \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} \\((GMT|BST)\\) keep this site's cameras with ${councilName}; from then on they count for Moorland Council\\.`,
      ),
    );
    expect(effect).toMatch(/No past month's evidence changes\.$/);
    expect(await page.locator('#site-edit-form').isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('edit');
    await expect
      .poll(() => page.textContent(`${siteRow(siteId)} [data-column="council"]`))
      .toBe('Moorland Council');
    const sites = await api<{ id: string; councilId: string }[]>('GET', '/api/registry/sites');
    expect(sites.body.find((s) => s.id === siteId)?.councilId).toBe(otherCouncil);
    await checkPage();
    await screenshotWhole(page, '#view-registry', SHOTS('registry-operator-phone'));

    await page.click('#view-menu');
    await page.click('#view-live-tab');
    await page.locator(liveRow(listed)).waitFor();
    await checkPage();
    await page.setViewportSize(DESKTOP);
  });

  it('threw no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
