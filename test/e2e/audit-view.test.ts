import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../hub-server/src/audit/audit-log.ts';
import type { AuditPage, AuditVerifyResult } from '../../src/schemas/audit-api.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { type LaunchedBrowser, launchBrowser, openView, signInAs as signIn } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// The audit log as an auditor meets it: filters by kind, user and incident reference and sees only
// the matching entries, pages back to older ones, exports the filter as CSV, and verifies the hash
// chain; after a row is altered directly in the database the same button names the broken entry.
// Control rooms do not get the view. At desktop and phone sizes, with axe-core looking for serious
// problems and the page never wider than the screen.

const SHOTS = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Correct-Horse-7';
/** One more than the view's page of 50, so the second page holds exactly these. */
const PAGED_ENTRIES = 53;

const rows = '#audit-table tr.audit-row';

describe('audit log view in Chromium: filter, page, export, verify, tampering found', () => {
  let h: HubHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const auditor = uniqueId('aud-auditor');
  const controlRoom = uniqueId('aud-cr');
  const officer = uniqueId('aud-officer');
  const intruder = uniqueId('aud-mallory');
  const pager = uniqueId('aud-pager');
  const council = uniqueId('aud-council');
  const camera = uniqueId('aud-cam');
  const incident = `INC-${uniqueId('x').slice(-6).toUpperCase()}`;
  let incidentSeq = 0;

  const apiAs = async <T>(token: string, path: string) => {
    const response = await fetch(`${h!.hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  const open = async (launched: LaunchedBrowser) => {
    browser = launched;
    page = launched.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  };
  const signInAs = (username: string) => signIn(page, h!.hub.url, username, PASSWORD);
  const openAudit = async () => {
    await openView(page, 'audit');
    await page.locator('#audit-summary:not(:empty)').waitFor();
  };
  /** Applies the filter and waits for the answer to replace the table. */
  const applyFilter = async (fields: { kind?: string; actor?: string; incident?: string }) => {
    await page.selectOption('#audit-kind', fields.kind ?? '');
    await page.fill('#audit-actor', fields.actor ?? '');
    await page.fill('#audit-incident', fields.incident ?? '');
    await page.evaluate(() => {
      const summary = document.getElementById('audit-summary');
      if (summary) summary.textContent = '';
    });
    await page.click('#audit-apply');
    await page.locator('#audit-summary:not(:empty), #audit-error:not(:empty)').first().waitFor();
  };
  const shown = async () =>
    page.$$eval(rows, (trs) =>
      trs.map((tr) => ({
        kind: tr.getAttribute('data-kind'),
        actor: tr.querySelector('[data-column="actor"] .audit-actor')?.textContent ?? '',
        incident: tr.querySelector('[data-column="incident"]')?.textContent ?? '',
      })),
    );
  const checkPage = async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
    const width = page.viewportSize()!.width;
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(auditor, 'auditor', [], PASSWORD);
    await h.createUser(controlRoom, 'controlroom', [], PASSWORD);
    await h.createUser(officer, 'council', [council], PASSWORD);
    // Two sign-ins refused for a made-up name, recorded under the name that was tried.
    for (let i = 0; i < 2; i++) {
      const refused = await fetch(`${h.hub.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: intruder, password: 'not-the-password' }),
      });
      expect(refused.status).toBe(401);
    }
    // A live feed opened for an incident, and a long run of feed ends for the paging, as the hub records them.
    const audit = new AuditLog(h.hub.database.pool);
    const feed = await audit.append({
      kind: 'feed.start',
      actor: controlRoom,
      role: 'controlroom',
      councilId: council,
      cameraId: camera,
      incidentRef: incident,
      reason: 'assault reported near the gate',
      detail: { sessionId: 's-1' },
    });
    incidentSeq = feed.seq;
    for (let i = 0; i < PAGED_ENTRIES; i++)
      await audit.append({
        kind: 'feed.end',
        actor: pager,
        role: 'controlroom',
        councilId: council,
        cameraId: camera,
        detail: { sessionId: `p-${i}` },
      });
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => browser?.close(),
      () => h?.stop(),
    ),
  );

  it('is not offered to control rooms', async () => {
    await open(await launchBrowser({ viewport: DESKTOP }));
    await signInAs(controlRoom);
    expect(await page.locator('#view-audit-tab').count()).toBe(0);
  });

  it("shows council officers their councils' entries only, without the chain check", async () => {
    await signInAs(officer);
    await openAudit();
    // The council's feed entries, newest first; sign-ins concern no council, the officer's own included.
    expect(new Set((await shown()).map((r) => r.kind))).toEqual(new Set(['feed.end']));
    await applyFilter({ incident });
    expect(await shown()).toEqual([{ kind: 'feed.start', actor: controlRoom, incident }]);
    await applyFilter({ kind: 'login', actor: officer });
    expect(await page.textContent('#audit-summary')).toBe('No entry matches this filter.');
    expect(await page.locator('#audit-verify').count()).toBe(0);
    await checkPage();
  });

  it('filters by kind, user and incident reference and shows only the matching entries', async () => {
    await signInAs(auditor);
    await openAudit();
    expect(new URL(page.url()).searchParams.get('view')).toBe('audit');
    // Unfiltered: the newest page, newest first, with more to come.
    expect(await page.locator(rows).count()).toBe(50);
    const seqs = await page.$$eval(rows, (trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(await page.isVisible('#audit-older')).toBe(true);

    await applyFilter({ kind: 'login.refused', actor: intruder });
    expect(await shown()).toEqual([
      { kind: 'login.refused', actor: intruder, incident: '' },
      { kind: 'login.refused', actor: intruder, incident: '' },
    ]);
    expect(await page.textContent('#audit-summary')).toBe('Showing 2 entries, newest first.');
    expect(await page.isHidden('#audit-older')).toBe(true);

    // A group of kinds (login.*) narrowed to one user: the auditor's own sign-in.
    await applyFilter({ kind: 'login', actor: auditor });
    expect((await shown()).map((r) => [r.kind, r.actor])).toEqual([['login.success', auditor]]);

    await applyFilter({ incident });
    expect(await shown()).toEqual([{ kind: 'feed.start', actor: controlRoom, incident }]);
    expect(await page.textContent(`${rows} [data-column="reason"]`)).toBe('assault reported near the gate');
    expect(await page.textContent(`${rows} [data-column="subject"]`)).toBe(`camera ${camera}`);

    await applyFilter({ incident: 'INC-NOBODY' });
    expect(await page.locator(rows).count()).toBe(0);
    expect(await page.textContent('#audit-table .empty-row')).toBe('No entry matches this filter.');
    await checkPage();
  });

  it('pages back to older entries with the same filter', async () => {
    await applyFilter({ kind: 'feed.end', actor: pager });
    expect(await page.locator(rows).count()).toBe(50);
    await page.click('#audit-older');
    await expect.poll(() => page.locator(rows).count()).toBe(PAGED_ENTRIES);
    expect(new Set((await shown()).map((r) => `${r.kind} ${r.actor}`))).toEqual(
      new Set([`feed.end ${pager}`]),
    );
    expect(await page.isHidden('#audit-older')).toBe(true);
    expect(await page.textContent('#audit-summary')).toBe(`Showing ${PAGED_ENTRIES} entries, newest first.`);
  });

  it('says in plain words what is wrong with a filter', async () => {
    await page.fill('#audit-camera', 'Gate 1');
    await page.click('#audit-apply');
    await expect
      .poll(() => page.textContent('#audit-error'))
      .toBe('The camera is a camera id: lowercase letters, digits and dashes, such as gate-1.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('audit-camera');
    await page.fill('#audit-camera', '');
    await page.fill('#audit-from', '2026-03-02T10:00');
    await page.fill('#audit-to', '2026-03-01T10:00');
    await page.click('#audit-apply');
    await expect
      .poll(() => page.textContent('#audit-error'))
      .toBe('The To time must be after the From time.');
    await page.fill('#audit-from', '');
    await page.fill('#audit-to', '');
  });

  it('exports the current filter as CSV, with only the matching entries', async () => {
    await applyFilter({ kind: 'login.refused', actor: intruder });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export')]);
    expect(download.suggestedFilename()).toBe('cctv-audit-log.csv');
    const csv = (await readFile(await download.path())).toString('utf8').trim().split(/\r?\n/);
    expect(csv[0]?.replace(/^\uFEFF/, '')).toBe(
      'seq,at,kind,actor,role,council_id,subject,incident_ref,reason,detail,prev_hash,hash',
    );
    expect(csv).toHaveLength(3);
    for (const line of csv.slice(1)) expect(line).toContain(`,login.refused,${intruder},`);
    await expect
      .poll(() => page.textContent('#audit-export-status'))
      .toBe('Downloaded cctv-audit-log.csv with the entries this filter matches.');
  });

  it('verifies the chain and says how many entries it checked', async () => {
    // Signed in before the check: a sign-in is an entry too.
    const token = await h!.login(auditor, PASSWORD);
    await page.click('#audit-verify');
    await page.locator('#audit-verify-result[data-result="ok"]').waitFor();
    const result = await apiAs<AuditVerifyResult>(token, '/api/audit/verify');
    expect(result.ok).toBe(true);
    expect(await page.textContent('#audit-verify-result')).toBe(
      `Chain intact: all ${result.checked} entries checked, each one follows the one before and matches its hash.`,
    );
    await checkPage();
    await screenshotWhole(page, '#view-audit', SHOTS('audit-desktop'));
    expect(pageErrors).toEqual([]);
    await browser?.close();
    browser = undefined;
  });

  it('reads as cards on a phone, and names the entry a direct database change broke', async () => {
    await open(await launchBrowser({ viewport: PHONE, isMobile: true, hasTouch: true }));
    await signInAs(auditor);
    await openAudit();
    await applyFilter({ incident });
    expect(await shown()).toEqual([{ kind: 'feed.start', actor: controlRoom, incident }]);
    // Cards: the column headings are out of sight, each value is led by its label.
    const card = page.locator(rows).first();
    expect(await card.evaluate((tr) => getComputedStyle(tr).display)).toBe('flex');
    expect(await page.locator('#audit-table thead').boundingBox()).toMatchObject({ width: 1, height: 1 });
    await checkPage();
    await screenshotWhole(page, '#view-audit', SHOTS('audit-phone'));
    // The narrowest phones too.
    await page.setViewportSize({ width: 360, height: PHONE.height });
    await checkPage();
    await screenshotWhole(page, '#view-audit', SHOTS('audit-phone-360'));
    await page.setViewportSize(PHONE);

    // Someone with direct SQL access switches the append-only triggers off and rewrites a reason.
    const client = await h!.hub.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query('UPDATE audit_log SET reason = $1 WHERE seq = $2', [
        'nothing happened',
        incidentSeq,
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await page.click('#audit-verify');
    await page.locator('#audit-verify-result[data-result="broken"]').waitFor();
    expect(await page.getAttribute('#audit-verify-result', 'data-seq')).toBe(String(incidentSeq));
    const text = (await page.textContent('#audit-verify-result')) ?? '';
    expect(text).toMatch(
      new RegExp(
        `^Chain broken at entry ${incidentSeq}: Entry ${incidentSeq} was altered: its fields hash to `,
      ),
    );
    expect(text).toContain(`${incidentSeq - 1} entries before it checked out`);
    await checkPage();
    await screenshotWhole(page, '#view-audit', SHOTS('audit-phone-broken'));

    // The table reads the changed row as it now stands; only the chain tells it was changed.
    const token = await h!.login(auditor, PASSWORD);
    const current = await apiAs<AuditPage>(token, `/api/audit?incidentRef=${incident}`);
    expect(current.entries[0]?.reason).toBe('nothing happened');
    expect(pageErrors).toEqual([]);
  });
});
