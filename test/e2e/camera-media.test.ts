import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPayload } from '../../src/schemas/payloads.ts';
import type { VideoCheck } from '../../src/schemas/video-check.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { screenshotWhole, seriousAxeViolations } from './page-checks.ts';

// The camera detail in Chromium for what the stream itself shows: the video analysis rows (a frozen
// picture, flagged) and each media profile the camera declares (main stream and sub-stream, measured
// against declared). Real hub, broker and database; the site speaks the real protocol.

const SHOT = fileURLToPath(new URL('../../test-results/e2e/camera-media.png', import.meta.url));

const frozen = (): VideoCheck => ({
  checkedAt: new Date().toISOString(),
  sampleMs: 4000,
  frames: 8,
  frozenShare: 0.97,
  blackShare: 0,
  blurMethod: 'edgedetect',
  sharpness: 0.08,
  sharpnessRatio: 0.98,
  sceneSsim: 0.91,
  snapshotSsim: 0.88,
  snapshotRepeats: 0,
  frozen: true,
  black: false,
  blurred: false,
  sceneChanged: false,
  snapshotStale: false,
  snapshotMismatch: false,
});

const stream = (
  cameraId: string,
  role: 'main' | 'sub',
  size: [number, number],
  fps: number,
  kbps: number,
): StreamPayload => ({
  cameraId,
  uri: `rtsp://127.0.0.1:8554/cam/${cameraId}/${role}`,
  codec: 'h264',
  width: size[0],
  height: size[1],
  fps,
  bitrateKbps: kbps,
  repeatedPackets: 0,
  declared: {
    token: role === 'main' ? 'profile_main' : 'profile_sub',
    encoding: 'H264',
    width: size[0],
    height: size[1],
    fps,
    bitrateKbps: role === 'main' ? 2048 : 256,
  },
  probeMs: 1200,
  role,
});

describe('dashboard in Chromium: video analysis and every media profile in the camera detail', () => {
  let h: HubHarness | undefined;
  let site: SitePublisher | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const siteId = uniqueId('e2e-media');
  const council = uniqueId('council');
  const cam = `${siteId}-a`;
  const username = uniqueId('operator');
  const password = 'Correct-Horse-7';

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub();
    await h.createUser(username, 'operator', [], password);
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
    await site.publish('inventory', inventory(council, [cam]));
    await site.publish('siteState', { state: 'online' });
    await site.publish('stream', stream(cam, 'main', [1920, 1080], 25, 1900), cam);
    await site.publish('stream', stream(cam, 'sub', [640, 360], 12.5, 230), cam);
    await site.publish(
      'health',
      {
        ...health(cam, 'degraded', [
          { code: 'video_frozen', message: 'video frozen: 97% of a 4.0 s sample still' },
        ]),
        video: frozen(),
      },
      cam,
    );
    browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
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

  it('shows the video analysis in words, the fault flagged', async () => {
    await loginAndOpenDashboard(page, h!.hub.url, username, password);
    await page.click(`tr.cam-row[data-camera-id="${cam}"]`);
    const panel = `#detail-panel[data-camera-id="${cam}"]`;
    const frozenField = `${panel} dd[data-field="video-frozen"]`;
    await page.locator(frozenField).waitFor();
    expect(await page.textContent(frozenField)).toMatch(/^yes \(97% still\)/);
    expect(await page.getAttribute(frozenField, 'class')).toBe('warn');
    expect(await page.getAttribute(`${panel} dd[data-field="video-black"]`, 'class')).toBeNull();
    expect(await page.textContent(`${panel} dd[data-field="video-scene"]`)).toBe('0.91');
  });

  it('shows the main stream and the sub-stream, each against its own declared profile', async () => {
    const panel = `#detail-panel[data-camera-id="${cam}"]`;
    const sections = page.locator(`${panel} section.detail-section`);
    await expect
      .poll(() => sections.allTextContents())
      .toContainEqual(expect.stringMatching(/^Sub-stream profile_sub/));
    const sub = sections.filter({ hasText: /^Sub-stream profile_sub/ });
    expect(await sub.locator('dd[data-field="bitrate"]').textContent()).toMatch(/230.*declared 256/);
    expect(await sub.locator('dd[data-field="profile"]').textContent()).toBe('profile_sub');
    const main = sections.filter({ hasText: /^Main stream/ });
    expect(await main.locator('dd[data-field="profile"]').textContent()).toBe('profile_main');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshotWhole(page, `${panel} .detail-body`, SHOT);
    expect(pageErrors, pageErrors.join('\n')).toEqual([]);
  });
});
