import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharePercent } from '../../src/compliance/evidence-text.ts';
import type { CameraDetail, UptimeReport } from '../../src/schemas/api.ts';
import type { CameraHistory } from '../../src/schemas/camera-history.ts';
import { closeAll } from '../support/cleanup.ts';
import { eventually } from '../support/eventually.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SiteHarness } from '../support/site-harness.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, openView, signInAs as signIn } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// The camera detail as an operator, a control room and a council officer use it: a real site
// (simulated ONVIF cameras with real H.264 over RTSP, a real edge agent), one camera knocked over and
// brought back so it has a history. The panel shows the 90-day availability strip with the uptime
// report's own figure, the week's timeline with the outage in words, a snapshot taken on demand
// (audited with its reason; refused without one), and maintenance started and ended from the panel.

const SHOTS = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Correct-Horse-7';
const REASON = 'Checking the view after a report of vandalism';

describe('camera detail in Chromium: history, availability, snapshot, maintenance', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let second: SitePublisher | undefined;
  const secondSite = uniqueId('cd-new');
  const fresh = `${secondSite}-pier`;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const council = uniqueId('cd-council');
  const otherCouncil = uniqueId('cd-other');
  const siteId = uniqueId('cd-site');
  const cams = [`${siteId}-a`, `${siteId}-b`];
  const target = cams[0]!;
  const operator = uniqueId('cd-op');
  const control = uniqueId('cd-cr');
  const officer = uniqueId('cd-officer');
  const stranger = uniqueId('cd-stranger');

  const open = async (launched: LaunchedBrowser) => {
    await browser?.close();
    browser = launched;
    page = launched.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  };
  const signInAs = (username: string) => signIn(page, h!.hub.url, username, PASSWORD);
  const api = async <T>(token: string, path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${h!.hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  /** Opens the target camera's detail from the live table. */
  const openDetail = async () => {
    await openView(page, 'live');
    await page.click(`tr.cam-row[data-camera-id="${target}"]`);
    await page.locator(`#detail-panel[data-camera-id="${target}"]`).waitFor({ state: 'visible' });
    await page.locator('#detail-uptime-strip[data-days]').waitFor({ state: 'attached' });
  };
  const checkPage = async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
    const width = page.viewportSize()!.width;
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  };
  const auditRows = async (kind: string) =>
    (
      await h!.hub.database.pool.query<{ actor: string; reason: string | null; code: string | null }>(
        `SELECT actor, reason, detail->>'code' AS code FROM audit_log
         WHERE kind = $1 AND subject = $2 ORDER BY seq`,
        [kind, `camera:${target}`],
      )
    ).rows;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub(
      { CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')) },
      { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
    );
    await h.createUser(operator, 'operator', [], PASSWORD);
    await h.createUser(control, 'controlroom', [], PASSWORD);
    await h.createUser(officer, 'council', [council], PASSWORD);
    await h.createUser(stranger, 'council', [otherCouncil], PASSWORD);
    await h.registerSite(siteId, council, { cameraIds: cams, name: 'Hayle harbour' });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 2_000,
    });
    await site.start();
    const token = await h.login(operator, PASSWORD);
    const upWithStream = async () => {
      const { body } = await api<CameraDetail>(token, `/api/cameras/${target}`);
      return body.state === 'up' && body.stream?.uri ? true : undefined;
    };
    await eventually('the camera up with a probed stream', upWithStream, 60_000);
    // An outage, so the camera has a history: it stops answering, then comes back.
    await site.simulator.setFault(target, { kind: 'unreachable' });
    await eventually(
      'the camera down',
      async () => (h!.hub.fleet.cameras.get(target)?.state === 'down' ? true : undefined),
      60_000,
    );
    await site.simulator.clearFault(target);
    await eventually('the camera up again with its stream', upWithStream, 60_000);
  }, 240_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => site?.stop(),
      () => second?.close(),
      () => h?.stop(),
    ),
  );

  it('answers the history API within the caller’s scope', async () => {
    const mine = await api<CameraHistory>(
      await h!.login(officer, PASSWORD),
      `/api/cameras/${target}/history`,
    );
    expect(mine.status).toBe(200);
    const states = mine.body.intervals.map((i) => i.state);
    // Newest first: up now, after the outage.
    expect(states[0]).toBe('up');
    expect(mine.body.intervals[0]!.to).toBeNull();
    expect(states).toContain('down');
    const down = mine.body.intervals.find((i) => i.state === 'down')!;
    expect(down.reasons.map((r) => r.code)).toContain('unreachable');
    // Another council's officer learns nothing of it, not even that it exists.
    const theirs = await api<{ code: string }>(
      await h!.login(stranger, PASSWORD),
      `/api/cameras/${target}/history`,
    );
    expect(theirs.status).toBe(404);
    // A window longer than the limit is refused in words.
    const tooLong = await api<{ code: string; message: string }>(
      await h!.login(officer, PASSWORD),
      `/api/cameras/${target}/history?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z`,
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toContain('at most 92 days');
  });

  it('shows an operator the 90-day strip with the uptime report’s figure, and the outage on the timeline', async () => {
    await open(await launchBrowser({ viewport: DESKTOP }));
    await signInAs(operator);
    // The uptime report the panel itself read (the figure moves on while the camera is up).
    const answer = page.waitForResponse(
      (r) => r.url().includes(`/api/uptime?scope=camera&id=${target}&window=90d&daily=true`) && r.ok(),
    );
    await openDetail();
    const report = (await (await answer).json()) as UptimeReport;
    expect(report.cameraCount).toBe(1);
    expect(Number(await page.getAttribute('#detail-uptime-strip', 'data-days'))).toBe(report.days!.length);
    expect(report.days!.length).toBeGreaterThanOrEqual(90);
    expect(await page.locator('#detail-uptime-strip .strip-day').count()).toBe(90);
    // Today's cell carries today's figure; days before the camera existed have no data.
    const today = report.days!.at(-1)!;
    expect(await page.getAttribute('#detail-uptime-strip .strip-day:last-child', 'data-day')).toBe(today.day);
    expect(await page.getAttribute('#detail-uptime-strip .strip-day:first-child', 'data-mark')).toBe('none');
    // The same figure as the uptime report, with when it was computed.
    const summary = (await page.textContent('#detail-uptime-summary')) ?? '';
    expect(summary).toContain(`${sharePercent(report.total.availability)} available (maintenance excluded)`);
    expect(summary).toMatch(/Computed \d\d \w{3} \d{4}/);
    // The week's timeline: the outage is drawn and listed in words, the current state open-ended.
    await page
      .locator('#detail-timeline .timeline-part[data-state="down"]')
      .first()
      .waitFor({ state: 'attached' });
    const changes = page.locator('#detail-state-changes li');
    expect(await changes.first().getAttribute('data-state')).toBe('up');
    expect(await changes.first().textContent()).toMatch(/, now$/);
    const downItem = page.locator('#detail-state-changes li[data-state="down"]').first();
    expect(await downItem.textContent()).toContain('Not answering on the network');
    expect(await page.getAttribute('#detail-timeline', 'aria-label')).toMatch(
      /^State over the last 7 days: .*Down \d+ s/,
    );
    await checkPage();
    await screenshotWhole(page, '#detail-panel .detail-body', SHOTS('camera-detail-desktop'));
  });

  it('takes a snapshot only with a reason, and audits it', async () => {
    await page.fill('#snapshot-reason', '');
    await page.click('#snapshot-take');
    expect(await page.textContent('#snapshot-status')).toContain('Say why you are looking');
    expect(await page.getAttribute('#snapshot-reason', 'aria-invalid')).toBe('true');
    expect(await auditRows('snapshot.taken')).toEqual([]);

    await page.fill('#snapshot-reason', REASON);
    await page.click('#snapshot-take');
    const image = page.locator('#snapshot-image');
    await image.waitFor({ state: 'visible', timeout: 20_000 });
    // A real JPEG of the simulator's 320x240 stream.
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
    expect(await image.getAttribute('alt')).toMatch(/^Snapshot of .+ taken \d\d:\d\d:\d\d$/);
    const taken = await auditRows('snapshot.taken');
    expect(taken).toEqual([{ actor: operator, reason: REASON, code: null }]);
    await screenshotWhole(page, '#detail-panel .detail-body', SHOTS('camera-detail-snapshot-desktop'));
  }, 60_000);

  it('puts the camera in maintenance from the panel, and ends it', async () => {
    await page.click('#maintenance-open');
    expect(await page.getAttribute('#maintenance-open', 'aria-expanded')).toBe('true');
    await page.selectOption('#maintenance-duration', { label: '4 hours' });
    await page.fill('#maintenance-reason', 'Lens cleaning');
    await checkPage();
    await page.click('#maintenance-start');
    await page.locator('#maintenance-status[data-window-id]').waitFor({ state: 'attached' });
    expect(await page.textContent('#maintenance-status')).toMatch(
      /^In maintenance until .+ \(Lens cleaning\)\./,
    );
    const windows = await h!.hub.database.pool.query<{ id: number; ends_at: Date; starts_at: Date }>(
      `SELECT id, starts_at, ends_at FROM maintenance_windows WHERE scope_kind = 'camera' AND scope_id = $1`,
      [target],
    );
    expect(windows.rows).toHaveLength(1);
    const lengthMs = windows.rows[0]!.ends_at.getTime() - windows.rows[0]!.starts_at.getTime();
    // Four hours from when the hub received it (it starts a window asked for a moment ago now).
    expect(Math.abs(lengthMs - 4 * 3_600_000)).toBeLessThan(5_000);
    // The live state follows: the badge says Maintenance.
    await page.locator('#detail-panel[data-state="maintenance"]').waitFor({ timeout: 30_000 });
    await page.click('#maintenance-end');
    await page.locator('#maintenance-open:not([hidden])').waitFor();
    await page.locator('#detail-panel[data-state="up"]').waitFor({ timeout: 30_000 });
    const audit = await h!.hub.database.pool.query<{ kind: string }>(
      `SELECT kind FROM audit_log WHERE subject = $1 AND kind LIKE 'config.maintenance.%' ORDER BY seq`,
      [`maintenance-window:${windows.rows[0]!.id}`],
    );
    expect(audit.rows.map((r) => r.kind)).toEqual(['config.maintenance.create', 'config.maintenance.end']);
  }, 60_000);

  it('works for a control room on a phone: snapshot yes, maintenance no', async () => {
    await open(await launchBrowser({ viewport: PHONE, isMobile: true, hasTouch: true }));
    await signInAs(control);
    await openDetail();
    expect(await page.locator('#maintenance-open').count()).toBe(0);
    await page.locator('#snapshot-reason').scrollIntoViewIfNeeded();
    await page.fill('#snapshot-reason', 'Suspicious vehicle reported');
    await page.locator('#snapshot-take').tap();
    const image = page.locator('#snapshot-image');
    await image.waitFor({ state: 'visible', timeout: 20_000 });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
    const box = await image.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    await checkPage();
    await screenshotWhole(page, '#detail-panel .detail-body', SHOTS('camera-detail-phone'));
  }, 60_000);

  it('shows a camera commissioned on site, and approves it as commissioned in one action', async () => {
    // A new site's camera, not on its expected list (pending), commissioned by an installer with the agent.
    await h!.registerSite(secondSite, council, { cameraIds: [`${secondSite}-other`], name: 'Hayle pier' });
    second = new SitePublisher(secondSite, h!.hub.mqttUrl);
    await second.connect(true);
    await second.publish('inventory', inventory(council, [fresh]));
    await second.publish('siteState', { state: 'online' });
    await second.publish('health', health(fresh, 'up'), fresh);
    await second.publish(
      'commissioning',
      {
        cameraId: fresh,
        by: 'J. Installer',
        commissioning: {
          location: { lat: 50.19, lon: -5.42 },
          bearingDeg: 90,
          hfovDeg: 60,
          designDistanceM: 20,
          // As the site's inventory declares it (the agent's commission command writes both).
          purpose: 'recognise',
        },
        measured: {
          stream: { codec: 'h264', width: 3840, height: 2160, fps: 25, bitrateKbps: 8192 },
          clockOffsetMs: 120,
          device: null,
          referenceFrameSha256: null,
        },
      },
      fresh,
    );
    const token = await h!.login(operator, PASSWORD);
    await eventually('the commissioning record at the hub', async () => {
      const { body } = await api<unknown[]>(token, `/api/cameras/${fresh}/commissioning`);
      return Array.isArray(body) && body.length === 1 ? true : undefined;
    });
    await open(await launchBrowser({ viewport: DESKTOP }));
    await signInAs(operator);
    await openView(page, 'registry');
    const row = page.locator(`#registry-cameras-table tr.approval-row[data-camera-id="${fresh}"]`);
    await row.waitFor();
    expect(await row.locator('[data-column="commissioned"]').textContent()).toMatch(/^\d\d \w{3} \d{4}/);
    await checkPage();
    await row.getByRole('button', { name: `Approve as commissioned Camera ${fresh}` }).click();
    await page.locator('#confirm-dialog').waitFor();
    expect(await page.textContent('#confirm-dialog')).toContain('as recorded when it was commissioned on');
    await page.click('#confirm-ok');
    await expect
      .poll(() => page.textContent('#registry-cameras-status'))
      .toBe(`Approved as commissioned Camera ${fresh} (${fresh}).`);
    const approval = await h!.hub.database.pool.query<{ approval: string; bearing: number }>(
      'SELECT approval FROM cameras WHERE id = $1',
      [fresh],
    );
    expect(approval.rows[0]?.approval).toBe('approved');
    // The camera's detail shows the record and the hub's judgement of it.
    await openView(page, 'live');
    await page.click(`tr.cam-row[data-camera-id="${fresh}"]`);
    const record = page.locator('#detail-commissioning-record[data-records="1"]');
    await record.waitFor();
    expect(await record.locator('[data-field="recorded"]').textContent()).toMatch(/ by J\. Installer$/);
    expect(await record.locator('[data-field="met-purpose"]').textContent()).toMatch(
      /^yes \(recognise: needs 125 px\/m at 20 m; measured 166 px\/m\)$/,
    );
    expect(await record.locator('[data-field="stream-then"]').textContent()).toBe(
      'h264 3840×2160, 25 fps, 8.19 Mb/s',
    );
    await checkPage();
    await screenshotWhole(page, '#detail-panel .detail-body', SHOTS('camera-detail-commissioned'));
    // A camera whose geometry was entered at the hub says so.
    await page.click(`tr.cam-row[data-camera-id="${target}"]`);
    await page.locator('#detail-commissioning-record[data-records="0"]').waitFor();
  }, 90_000);

  it('gives a council officer the record and maintenance, but no snapshot', async () => {
    await signInAs(officer);
    await openDetail();
    expect(await page.locator('#snapshot-take').count()).toBe(0);
    expect(await page.locator('#maintenance-open').isVisible()).toBe(true);
    expect(await page.locator('#detail-state-changes li').count()).toBeGreaterThan(1);
    await checkPage();
    // And the API refuses the officer a snapshot, with an audit entry for the attempt.
    const response = await fetch(`${h!.hub.url}/api/cameras/${target}/snapshot`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await h!.login(officer, PASSWORD)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ reason: 'curious' }),
    });
    expect(response.status).toBe(403);
    expect((await auditRows('snapshot.refused')).at(-1)).toEqual({
      actor: officer,
      reason: 'curious',
      code: 'FORBIDDEN',
    });
    expect(pageErrors).toEqual([]);
  });
});
