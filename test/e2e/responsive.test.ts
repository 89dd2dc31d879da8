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

// Every role's views at phone, tablet and desktop widths, in the light and the dark theme: the page
// never scrolls sideways, the header's controls and each view's key parts are on screen, no panel
// shrinks to a sliver, and axe-core finds nothing serious. One hub, one browser, one page, resized.

const SHOTS = (name: string) => fileURLToPath(new URL(`../../test-results/e2e/${name}.png`, import.meta.url));
const PASSWORD = 'Correct-Horse-7';
const SIZES = [
  { width: 360, height: 844 },
  { width: 390, height: 844 },
  { width: 768, height: 1024 },
  { width: 1024, height: 768 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
] as const;
/** Below this a panel is taken as collapsed. */
const MIN_PANEL_PX = 120;
/** WCAG 2.5.5 target size, asked of header controls at phone widths. */
const TOUCH_PX = 44;
const PENZANCE = { lat: 50.1186, lon: -5.5371 };

type Role = 'operator' | 'council' | 'controlroom' | 'auditor';
type View = string;

/**
 * Per view: controls that must be on screen, and panels that must keep a sensible height. A view not
 * listed still gets the page-wide checks (no sideways scroll, header controls on screen).
 */
const VIEW_PARTS: Record<View, { controls: string[]; panels: string[] }> = {
  live: { controls: ['#filter-text', '#camera-table'], panels: ['#map', '.table-panel', '#detail-panel'] },
  compliance: { controls: ['#view-compliance table'], panels: ['.council-table-panel'] },
  incident: { controls: ['#place-input'], panels: ['#incident-map', '.results-panel', '.feed-panel'] },
  registry: { controls: ['#view-registry table'], panels: [] },
  audit: { controls: ['#audit-apply'], panels: [] },
  users: { controls: ['#view-users table'], panels: [] },
  account: { controls: ['#view-account input'], panels: [] },
};

interface Layout {
  scrollWidth: number;
  viewportWidth: number;
  problems: string[];
}

/**
 * Measures the page as it stands: horizontal overflow (naming the elements that stick out), controls
 * outside the viewport, short panels, small touch targets on phones. A table may be wider than the
 * screen only inside its own scrolling container, which must then be on screen. On a phone the header
 * menu is opened to measure the view switch, and closed again.
 */
async function measure(page: Page, controls: string[], panels: string[], phone: boolean): Promise<Layout> {
  return page.evaluate(
    async ({ controls, panels, minPanelPx, touchPx, phone }) => {
      const problems: string[] = [];
      const vw = window.innerWidth;
      const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const name = (node: Element) =>
        `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}${[...node.classList].map((c) => `.${c}`).join('')}`;
      const scroller = (node: HTMLElement) => {
        for (let up = node.parentElement; up; up = up.parentElement) {
          const overflowX = getComputedStyle(up).overflowX;
          if (overflowX === 'auto' || overflowX === 'scroll' || overflowX === 'hidden') return up;
        }
        return null;
      };
      const onScreen = (selector: string, touch = false) => {
        const node = [...document.querySelectorAll<HTMLElement>(selector)].find(
          (n) => n.offsetParent !== null || getComputedStyle(n).position === 'fixed',
        );
        if (!node) return problems.push(`${selector}: not shown`);
        let r = node.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return problems.push(`${selector}: zero size`);
        const box = node.tagName === 'TABLE' ? scroller(node) : null;
        if (box && r.right > vw + 1) r = box.getBoundingClientRect();
        if (r.left < -1 || r.right > vw + 1)
          problems.push(`${selector}: outside the viewport (${Math.round(r.left)}..${Math.round(r.right)})`);
        if (touch && (r.height < touchPx - 0.5 || r.width < touchPx - 0.5))
          problems.push(`${selector}: ${Math.round(r.width)}x${Math.round(r.height)} px, under ${touchPx}`);
      };
      for (const selector of controls) onScreen(selector);
      onScreen('#logout', phone);
      const menu = document.querySelector<HTMLButtonElement>('#view-menu');
      const folded = menu !== null && menu.offsetParent !== null;
      if (phone && !folded) problems.push('no menu button on a phone');
      if (folded) {
        onScreen('#view-menu', true);
        menu.click();
        await frame();
      }
      if (document.querySelector('.view-switch')) onScreen('.view-switch');
      onScreen('#theme-select', phone);
      if (phone)
        for (const button of document.querySelectorAll<HTMLElement>('.app-header button')) {
          const r = button.getBoundingClientRect();
          if (r.height > 0 && (r.height < touchPx - 0.5 || r.width < touchPx - 0.5))
            problems.push(`header ${name(button)}: ${Math.round(r.width)}x${Math.round(r.height)} px`);
        }
      if (folded) {
        menu.click();
        await frame();
      }
      for (const selector of panels) {
        const node = document.querySelector<HTMLElement>(selector);
        // A panel the view does not have, or one that is closed (nothing selected), has no height to keep.
        if (!node || node.hidden || node.offsetParent === null) continue;
        const height = node.getBoundingClientRect().height;
        if (height < minPanelPx) problems.push(`${selector}: ${Math.round(height)} px high`);
      }
      const scrollWidth = document.documentElement.scrollWidth;
      if (scrollWidth > vw) {
        const sticking = [...document.querySelectorAll<HTMLElement>('#app *')].filter(
          (n) => n.getBoundingClientRect().right > vw + 1 && n.offsetParent !== null && scroller(n) === null,
        );
        problems.push(`sticking out: ${sticking.slice(-3).map(name).join(', ')}`);
      }
      return { scrollWidth, viewportWidth: vw, problems };
    },
    { controls, panels, minPanelPx: MIN_PANEL_PX, touchPx: TOUCH_PX, phone },
  );
}

describe('dashboard views from 360 px to 1,920 px, light and dark', () => {
  let h: HubHarness | undefined;
  let site: SiteHarness | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-rsp');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`];
  const users: Record<Role, string> = {
    operator: uniqueId('rsp-op'),
    council: uniqueId('rsp-officer'),
    controlroom: uniqueId('rsp-cr'),
    auditor: uniqueId('rsp-aud'),
  };

  const signInAs = async (role: Role) => {
    if ((await page.locator('#logout').count()) > 0) {
      await page.click('#logout');
      await page.locator('#login-form').waitFor();
    }
    await loginAndOpenDashboard(page, h!.hub.url, users[role], PASSWORD);
  };
  const views = () =>
    page.$$eval('.app-header [data-view]', (buttons) =>
      buttons.map((b) => b.getAttribute('data-view') as View),
    );
  const openView = async (view: View) => {
    await page.evaluate((view) => {
      document.querySelector<HTMLButtonElement>(`.app-header [data-view="${view}"]`)?.click();
    }, view);
    await page.locator(`#view-${view}`).waitFor({ state: 'visible' });
    // Views load their data when opened: measure them once their controls are drawn.
    for (const control of VIEW_PARTS[view]?.controls ?? [])
      await page.locator(`${control} >> visible=true`).first().waitFor({ state: 'visible' });
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub(
      { CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')) },
      { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
    );
    for (const role of Object.keys(users) as Role[])
      await h.createUser(users[role], role, role === 'council' ? [council] : [], PASSWORD);
    await h.registerSite(siteId, council, { cameraIds: cams, location: PENZANCE });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      commissioning: (_id, i) => ({
        location: { lat: PENZANCE.lat + (i - 0.5) * 0.0005, lon: PENZANCE.lon },
        bearingDeg: i === 0 ? 0 : 180,
        hfovDeg: 60,
        designDistanceM: 80,
        purpose: 'recognise',
      }),
    });
    await site.start();
    const token = await h.login(users.operator, PASSWORD);
    const deadline = Date.now() + 60_000;
    for (const id of cams) {
      for (;;) {
        const response = await fetch(`${h.hub.url}/api/cameras/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const camera = (await response.json()) as CameraDetail;
        if (response.ok && camera.state === 'up' && camera.stream?.uri) break;
        if (Date.now() > deadline) throw new Error(`camera ${id} never came up with a stream`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
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

  /** Every view of the role at every width: the layout problems found, one line each. */
  const sweep = async (role: Role, extraControls: string[] = [], before?: (view: View) => Promise<void>) => {
    const problems: string[] = [];
    for (const view of await views()) {
      await page.setViewportSize(SIZES[4]);
      await openView(view);
      await before?.(view);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const parts = VIEW_PARTS[view] ?? { controls: [], panels: [] };
        const controls = view === 'incident' ? [...parts.controls, ...extraControls] : parts.controls;
        // Under load a view may still be drawing data that arrived after the resize: measure until the
        // layout holds still and is right, for up to 3 s, and report what the last measure found.
        let found = await measure(page, controls, parts.panels, size.width < 600);
        for (
          let tries = 0;
          tries < 12 && (found.problems.length > 0 || found.scrollWidth > found.viewportWidth);
          tries++
        ) {
          await new Promise((r) => setTimeout(r, 250));
          found = await measure(page, controls, parts.panels, size.width < 600);
        }
        const at = `${role} ${view} ${size.width}x${size.height}`;
        if (found.scrollWidth > found.viewportWidth)
          problems.push(`${at}: page ${found.scrollWidth} px wide in a ${found.viewportWidth} px viewport`);
        for (const problem of found.problems) problems.push(`${at}: ${problem}`);
      }
    }
    return problems;
  };

  it('lays out a control room’s views at every width, with a feed open on a phone', async () => {
    await signInAs('controlroom');
    await page.locator('#view-incident').waitFor({ state: 'visible' });
    await page.fill('#incident-ref', 'INC-2026-0001');
    await page.fill('#incident-reason', 'Responsive layout check');
    await page.fill('#place-input', 'Penzance');
    await page.press('#place-input', 'Enter');
    await expect.poll(() => page.locator('tr.incident-row').count()).toBe(cams.length);
    // Joined, so that a failure's one-line summary names the problem.
    expect((await sweep('controlroom', ['#incident-ref'])).join('\n')).toBe('');
    // A phone: the reference field, the result rows and the feed tile are all on screen and usable.
    await page.setViewportSize(SIZES[1]);
    await openView('incident');
    await page.locator(`tr.incident-row[data-camera-id="${cams[0]}"] button.open-feed`).click();
    const tile = page.locator(`.feed-tile[data-camera-id="${cams[0]}"]`);
    await tile.waitFor({ state: 'visible' });
    await tile.scrollIntoViewIfNeeded();
    const box = await tile.boundingBox();
    // One feed a row on a phone: the tile spans most of the screen's width, inside it.
    expect(box && box.x >= 0 && box.x + box.width <= SIZES[1].width && box.height >= MIN_PANEL_PX).toBe(true);
    expect(box!.width).toBeGreaterThan(SIZES[1].width * 0.8);
    const layout = await measure(
      page,
      ['#incident-ref', '.feed-tile', '.feed-tile .feed-close'],
      ['#incident-map'],
      true,
    );
    expect(layout.problems).toEqual([]);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.viewportWidth);
    await screenshotWhole(page, '#view-incident', SHOTS('responsive-controlroom-feed-phone'));
  }, 120_000);

  it('lays out an operator’s views at every width, the camera detail panel open', async () => {
    await signInAs('operator');
    const problems = await sweep('operator', [], async (view) => {
      if (view === 'live') await page.click(`tr.cam-row[data-camera-id="${cams[0]}"]`);
    });
    expect(problems.join('\n')).toBe('');
  }, 180_000);

  it('lays out a council officer’s and an auditor’s views at every width', async () => {
    await signInAs('council');
    const problems = await sweep('council');
    await signInAs('auditor');
    problems.push(...(await sweep('auditor')));
    expect(problems.join('\n')).toBe('');
  }, 180_000);

  it('switches theme from the header, remembers it across a reload, and follows the system otherwise', async () => {
    await signInAs('operator');
    await page.setViewportSize(SIZES[4]);
    const theme = () => page.evaluate(() => document.documentElement.getAttribute('data-theme'));
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.selectOption('#theme-select', 'system');
    expect(await theme()).toBeNull();
    const lightBg = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    const systemDarkBg = await background();
    expect(systemDarkBg).not.toBe(lightBg);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.selectOption('#theme-select', 'dark');
    expect(await theme()).toBe('dark');
    expect(await background()).toBe(systemDarkBg);
    await page.reload();
    await page.locator('#app[data-ready="true"]').waitFor({ state: 'attached' });
    expect(await theme()).toBe('dark');
    expect(await page.inputValue('#theme-select')).toBe('dark');
    await page.selectOption('#theme-select', 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await theme()).toBe('light');
    expect(await background()).toBe(lightBg);
    await page.selectOption('#theme-select', 'system');
    expect(await theme()).toBeNull();
  });

  it('finds no serious accessibility problems in either theme, at phone and desktop widths', async () => {
    const found: string[] = [];
    for (const role of ['operator', 'controlroom'] as const) {
      await signInAs(role);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const view of await views()) {
          for (const size of [SIZES[1], SIZES[4]]) {
            await page.setViewportSize(size);
            await openView(view);
            if (view === 'live') await page.locator('#camera-table tr.cam-row').first().waitFor();
            for (const violation of await seriousAxeViolations(page))
              found.push(`${role} ${view} ${scheme} ${size.width}: ${violation}`);
            if (view === (role === 'operator' ? 'live' : 'incident')) {
              const kind = size.width < 600 ? 'phone' : 'desktop';
              await screenshotWhole(page, `#view-${view}`, SHOTS(`responsive-${role}-${kind}-${scheme}`));
            }
          }
        }
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
