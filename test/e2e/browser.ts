import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export interface LaunchedBrowser {
  context: BrowserContext;
  /** A page in the context (the persistent context opens one already). */
  page: Page;
  /** Closes the browser and deletes its temporary profile. */
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, with a fresh throwaway profile per launch. `isMobile` and `hasTouch`
 * make it behave as a phone (meta viewport honoured, touch events) at a phone-sized `viewport`.
 */
export async function launchBrowser(
  options: { viewport?: { width: number; height: number }; isMobile?: boolean; hasTouch?: boolean } = {},
): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium'`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'cctv-e2e-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1600, height: 900 },
      isMobile: options.isMobile ?? false,
      hasTouch: options.hasTouch ?? false,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the dashboard, logs in through the form and waits for the first live snapshot to be rendered
 * (`#app[data-ready="true"]`). Throws with the form's error text if the login is refused.
 */
export async function loginAndOpenDashboard(
  page: Page,
  baseUrl: string,
  username: string,
  password: string,
  timeoutMs = 15_000,
): Promise<void> {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  const form = page.locator('#login-form');
  const app = page.locator('#app');
  await form.or(app).first().waitFor({ state: 'visible', timeout: timeoutMs });
  if (await form.isVisible()) {
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    const error = page.locator('#login-error:not(:empty)');
    await app.or(error).first().waitFor({ state: 'visible', timeout: timeoutMs });
    if (await error.isVisible()) throw new Error(`Login as ${username} failed: ${await error.textContent()}`);
  }
  await page.locator('#app[data-ready="true"]').waitFor({ state: 'attached', timeout: timeoutMs });
}

/** Signs out whoever is signed in (if anyone), then signs in as `username`. */
export async function signInAs(
  page: Page,
  baseUrl: string,
  username: string,
  password: string,
): Promise<void> {
  if ((await page.locator('#logout').count()) > 0) {
    await page.click('#logout');
    await page.locator('#login-form').waitFor();
  }
  await loginAndOpenDashboard(page, baseUrl, username, password);
}

/**
 * Switches the dashboard to a view with its header button, as a user does: at phone width the view
 * switch is folded into the header's menu, which is opened first. Waits until the view is shown.
 */
export async function openView(page: Page, view: string): Promise<void> {
  const tab = page.locator(`#view-${view}-tab`);
  if (!(await tab.isVisible())) await page.click('#view-menu');
  await tab.click();
  await page.locator(`#view-${view}`).waitFor({ state: 'visible' });
}
