import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../hub-server/src/demo/seed.ts';
import { FleetRepository } from '../../hub-server/src/repositories/fleet-repository.ts';
import { UserRepository } from '../../hub-server/src/repositories/user-repository.ts';
import type { CouncilView } from '../../src/schemas/api.ts';
import type { UserView } from '../../src/schemas/auth-api.ts';
import { closeAll } from '../support/cleanup.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { type LaunchedBrowser, launchBrowser, loginAndOpenDashboard } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

// Users, sessions and API keys as people meet them: a hub operator manages them in the built dashboard,
// a council officer signs in with what the operator was shown, in a second browser, and is sent back
// to the login screen when the operator ends their sessions. Every check of the hub's side goes
// through its API (fetch) or database; all of it under the hub's Content-Security-Policy.

const SCREENSHOT_PATH = fileURLToPath(new URL('../../test-results/e2e/users-admin.png', import.meta.url));
const ACCOUNT_SCREENSHOT_PATH = fileURLToPath(
  new URL('../../test-results/e2e/account-panel.png', import.meta.url),
);
const DEMO_PASSWORD = 'demo';
const SESSION_KEY = 'cctv-hub.session';
const SESSION_ENDED = 'Your session ended: sign in again.';
/** Login attempts per address and user name; the last case runs into it. */
const LOGIN_ATTEMPTS = 10;

const userRow = (name: string) => `tr.user-row[data-username="${name}"]`;
const userButton = (name: string, action: string) => `${userRow(name)} button[data-action="${action}"]`;
const keyRow = (id: string) => `tr.key-row[data-key-id="${id}"]`;

/** CSP violations as the page reports them (its own console line and the DOM event, both). */
function watchPage(page: Page, violations: string[], pageErrors: string[]): void {
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|securitypolicyviolation/i.test(text)) violations.push(text);
  });
}

async function tokenOf(page: Page): Promise<string> {
  const stored = await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY);
  if (stored === null) throw new Error('no session in sessionStorage');
  return (JSON.parse(stored) as { token: string }).token;
}

/** Submits the login form as it stands (no navigation) and returns what it says. */
async function tryLogin(page: Page, username: string, password: string): Promise<string> {
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#login-error:not(:empty)').waitFor();
  return (await page.textContent('#login-error')) ?? '';
}

describe('users, sessions and API keys in Chromium', () => {
  let h: HubHarness | undefined;
  let admin: LaunchedBrowser | undefined;
  let other: LaunchedBrowser | undefined;
  let page: Page;
  let officerPage: Page;
  const violations: string[] = [];
  const pageErrors: string[] = [];
  const officer = uniqueId('officer');
  let councils: CouncilView[] = [];
  let operatorToken: string;
  let generated: string;
  let resetPassword: string;
  const ownPassword = 'Granite-Harbour-2031';

  const api = async (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${h!.hub.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
  const userOf = async (name: string) => {
    const response = await api(`/api/users/${name}`, operatorToken);
    return response.status === 404 ? null : ((await response.json()) as UserView);
  };
  const camerasStatus = async (token: string) => (await api('/api/cameras', token)).status;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHub({ CCTV_HUB__auth__loginAttempts: String(LOGIN_ATTEMPTS) });
    const { pool } = h.hub.database;
    // The demo's councils and users (operator, controlroom, ...), without its fleet.
    await seedDemo(new FleetRepository(pool), new UserRepository(pool), DEMO_PASSWORD);
    operatorToken = await h.login('operator', DEMO_PASSWORD);
    councils = (await (await api('/api/councils', operatorToken)).json()) as CouncilView[];
    admin = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
    other = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.hub.url });
    for (const browser of [admin, other]) {
      // An init script runs outside the page's CSP; it reports what the policy blocks to the console.
      await browser.context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) =>
          console.error(`securitypolicyviolation ${event.violatedDirective} ${event.blockedURI}`),
        );
      });
      browser.page.setDefaultTimeout(15_000);
      watchPage(browser.page, violations, pageErrors);
    }
    page = admin.page;
    officerPage = other.page;
  }, 120_000);

  afterAll(() =>
    closeAll(
      () => admin?.close(),
      () => other?.close(),
      () => h?.stop(),
    ),
  );

  it('shows a hub operator the Users & API keys view, under the hub’s CSP', async () => {
    const policy = (await fetch(h!.hub.url)).headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    await loginAndOpenDashboard(page, h!.hub.url, 'operator', DEMO_PASSWORD);
    expect(await page.textContent('#view-users-tab')).toBe('Users & API keys');
    await page.click('#view-users-tab');
    await page.locator('#view-users').waitFor({ state: 'visible' });
    expect(new URL(page.url()).searchParams.get('view')).toBe('users');
    await page.locator(userRow('controlroom')).waitFor();
    expect(await page.textContent(`${userRow('operator')} th`)).toBe('operator (you)');
    expect(await page.locator(userButton('operator', 'remove')).count()).toBe(0);
    expect(await page.textContent(`${userRow('controlroom')} [data-column="role"]`)).toBe('Control room');
    // Every form control has a label.
    for (const id of [
      'user-new-name',
      'user-new-role',
      'user-new-password',
      'key-new-name',
      'key-new-expires',
    ])
      expect(await page.locator(`label[for="${id}"]`).count()).toBe(1);
    expect(await page.getAttribute('#user-new-password', 'aria-describedby')).toBe('user-new-password-hint');
  });

  it('creates a council officer with a generated password, shown once with a copy button', async () => {
    const [first, second] = councils.slice().sort((a, b) => a.name.localeCompare(b.name));
    await page.fill('#user-new-name', officer);
    await page.selectOption('#user-new-role', 'council');
    await page.check(`#user-new-council-${first!.id}`);
    await page.check(`#user-new-council-${second!.id}`);
    await page.click('#user-create');
    await page.locator('#user-secret').waitFor({ state: 'visible' });
    generated = (await page.textContent('#user-secret-value')) ?? '';
    expect(generated.length).toBeGreaterThanOrEqual(12);
    expect(await page.textContent('#user-secret-title')).toBe(`Password for ${officer}`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('user-secret-title');
    expect(await page.textContent('#users-status')).toBe(`Created ${officer} (Council officer).`);
    await page.locator(userRow(officer)).waitFor();
    expect(await page.textContent(`${userRow(officer)} [data-column="councils"]`)).toBe(
      `${first!.name}, ${second!.name}`,
    );
    expect(await page.textContent(`${userRow(officer)} [data-column="enabled"]`)).toBe('yes');
    expect(await userOf(officer)).toMatchObject({
      role: 'council',
      councilIds: [first!.id, second!.id].sort(),
      disabled: false,
    });

    await page.click('#user-secret-copy');
    await expect.poll(() => page.textContent('#user-secret-copy-status')).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(generated);
    // Held nowhere but the box: not in storage, not in the URL.
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
    expect(stored).not.toContain(generated);
    expect(page.url()).not.toContain(generated);
    await page.click('#user-secret-dismiss');
    expect(await page.locator('#user-secret').isHidden()).toBe(true);
    expect(await page.evaluate((secret) => document.body.innerHTML.includes(secret), generated)).toBe(false);
  });

  it.each([
    // The hub's refusals, in its words (USER_EXISTS, BAD_COUNCILS, WEAK_PASSWORD) ...
    ['the name is taken', 'council', true, true, '', 'Not created: User {name} already exists.'],
    [
      'a council officer has no council',
      'council',
      false,
      false,
      '',
      'Not created: A council officer needs at least one council in councilIds.',
    ],
    [
      'the password has too few different characters',
      'auditor',
      false,
      false,
      'aaaaaaaaaaaaabab',
      'Not created: Password must use at least 5 different characters.',
    ],
    // ... and what the browser checks first.
    [
      'the password is short',
      'auditor',
      false,
      false,
      'Short-pw-1',
      'Not created: The password needs at least 12 characters.',
    ],
    [
      'the password contains the name',
      'auditor',
      false,
      false,
      '{name}-Secret',
      'Not created: The password must not contain the user name.',
    ],
  ])('refuses to create a user when %s', async (_case, role, sameName, withCouncil, password, expected) => {
    const name = sameName ? officer : uniqueId('refused');
    await page.fill('#user-new-name', name);
    await page.selectOption('#user-new-role', role);
    if (role === 'council') await page.setChecked(`#user-new-council-${councils[0]!.id}`, withCouncil);
    await page.fill('#user-new-password', password.replace('{name}', name));
    await page.click('#user-create');
    await expect.poll(() => page.textContent('#users-error')).toBe(expected.replace('{name}', name));
    expect(await page.locator('#user-secret').isHidden()).toBe(true);
    if (!sameName) expect(await userOf(name)).toBeNull();
    await page.fill('#user-new-password', '');
  });

  it('lets the new officer sign in with the shown password in another browser, without Users', async () => {
    await loginAndOpenDashboard(officerPage, h!.hub.url, officer, generated);
    expect(await officerPage.locator('#view-compliance-tab').count()).toBe(1);
    expect(await officerPage.locator('#view-users-tab').count()).toBe(0);
    expect(await officerPage.locator('#view-users').count()).toBe(0);
    expect(await officerPage.locator('#view-account-tab').count()).toBe(1);
    // The hub refuses them anyway.
    expect((await api('/api/users', await tokenOf(officerPage))).status).toBe(403);
    expect((await userOf(officer))?.lastLoginAt).not.toBeNull();
  });

  it("sends the officer's open page to the login screen when the operator resets their password", async () => {
    // The confirmation starts on Cancel; Escape cancels.
    await page.click(userButton(officer, 'reset'));
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('reset');
    expect(await officerPage.locator('#app').count()).toBe(1);

    await page.click(userButton(officer, 'reset'));
    await page.click('#confirm-ok');
    await page.locator('#user-secret').waitFor({ state: 'visible' });
    resetPassword = (await page.textContent('#user-secret-value')) ?? '';
    expect(resetPassword).not.toBe(generated);
    expect(await page.textContent('#users-status')).toBe(
      `Reset the password of ${officer}. 1 session ended.`,
    );
    await page.click('#user-secret-dismiss');

    // The hub closes the officer's socket; its reconnect is refused.
    await officerPage.locator('#login-notice').waitFor();
    expect(await officerPage.textContent('#login-notice')).toBe(SESSION_ENDED);
    expect(await officerPage.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY)).toBeNull();
    expect(await tryLogin(officerPage, officer, generated)).toBe('Wrong username or password.');
    await loginAndOpenDashboard(officerPage, h!.hub.url, officer, resetPassword);
  });

  it('sends the page to the login screen on its next API call when the socket cannot tell it', async () => {
    // No socket at all (neither its WebSocket nor the long-polling fallback): the 401 of the next
    // REST call is what ends the page's session.
    let blockSocket = true;
    await officerPage.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (blockSocket) ws.close();
      else ws.connectToServer();
    });
    await officerPage.route('**/socket.io/**', (route) => route.abort());
    try {
      await officerPage.reload();
      await officerPage.locator('#app').waitFor();
      // The operator narrows the officer to one council (keyboard: Enter on Edit), which ends their sessions.
      await page.locator(userButton(officer, 'edit')).focus();
      await page.keyboard.press('Enter');
      await page.locator('#user-edit-form').waitFor({ state: 'visible' });
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('user-edit-title');
      const [first, second] = councils.slice().sort((a, b) => a.name.localeCompare(b.name));
      expect(await page.isChecked(`#user-edit-council-${second!.id}`)).toBe(true);
      await page.uncheck(`#user-edit-council-${second!.id}`);
      // The list's reload after the save answers late: the status line must still wait for it.
      const slowList = async (route: Route) => {
        if (route.request().method() !== 'GET') return route.fallback();
        await new Promise((resolve) => setTimeout(resolve, 400));
        return route.fallback();
      };
      await page.route('**/api/users', slowList);
      await page.click('#user-edit-save');
      await expect
        .poll(() => page.textContent('#users-status'))
        .toBe(`Saved ${officer}: Council officer. 1 session ended.`);
      expect(await page.locator('#user-edit-form').isHidden()).toBe(true);
      expect(await page.textContent(`${userRow(officer)} [data-column="councils"]`)).toBe(first!.name);
      expect((await userOf(officer))?.councilIds).toEqual([first!.id]);
      await page.unroute('**/api/users', slowList);

      expect(await officerPage.locator('#login-form').count()).toBe(0);
      await officerPage.click('#view-account-tab');
      await officerPage.locator('#login-notice').waitFor();
      expect(await officerPage.textContent('#login-notice')).toBe(SESSION_ENDED);
    } finally {
      // The next tests need the officer's socket back, even when this one failed.
      await officerPage.unroute('**/socket.io/**');
      blockSocket = false;
    }
  });

  it('lets the officer end their other sessions and change their own password in the account panel', async () => {
    await loginAndOpenDashboard(officerPage, h!.hub.url, officer, resetPassword);
    const elsewhere = await h!.login(officer, resetPassword);
    await officerPage.click('#view-account-tab');
    await officerPage.locator('#view-account').waitFor({ state: 'visible' });
    await expect.poll(() => officerPage.locator('#session-list li').count()).toBe(2);
    expect(await officerPage.textContent('#session-list li[data-current="true"] .this-device')).toBe(
      'this device',
    );
    expect(await officerPage.textContent('#end-other-sessions')).toBe('End 1 other session');
    await officerPage.click('#end-other-sessions');
    await expect.poll(() => officerPage.textContent('#session-status')).toBe('Ended 1 other session.');
    expect(await camerasStatus(elsewhere)).toBe(401);
    await expect.poll(() => officerPage.locator('#session-list li').count()).toBe(1);
    await officerPage.screenshot({ path: ACCOUNT_SCREENSHOT_PATH });

    const passwordCalls: string[] = [];
    officerPage.on('request', (request) => {
      if (request.url().endsWith('/api/auth/password')) passwordCalls.push(request.method());
    });
    const attempt = async (current: string, next: string, again = next) => {
      await officerPage.fill('#account-current-password', current);
      await officerPage.fill('#account-new-password', next);
      await officerPage.fill('#account-confirm-password', again);
      await officerPage.click('#account-change-password');
      await officerPage.locator('#account-password-error:not(:empty)').waitFor();
      return officerPage.textContent('#account-password-error');
    };
    // Checked in the browser, nothing sent.
    expect(await attempt(resetPassword, 'Short-1')).toBe('The password needs at least 12 characters.');
    expect(await attempt(resetPassword, `My-${officer.toUpperCase()}-pw`)).toBe(
      'The password must not contain your user name.',
    );
    expect(await attempt(resetPassword, ownPassword, `${ownPassword}!`)).toBe(
      'The two new passwords differ.',
    );
    expect(await officerPage.evaluate(() => document.activeElement?.id)).toBe('account-confirm-password');
    expect(passwordCalls).toEqual([]);
    // Refused by the hub, in its words.
    expect(await attempt('not-my-password', ownPassword)).toBe('Not changed: Current password is wrong.');
    expect(await attempt(resetPassword, 'aaaaaaaaaaaaabab')).toBe(
      'Not changed: Password must use at least 5 different characters.',
    );
    expect(passwordCalls).toEqual(['POST', 'POST']);
    expect(await officerPage.locator('#app').count()).toBe(1);

    await officerPage.fill('#account-current-password', resetPassword);
    await officerPage.fill('#account-new-password', ownPassword);
    await officerPage.fill('#account-confirm-password', ownPassword);
    await officerPage.click('#account-change-password');
    await officerPage.locator('#login-notice').waitFor();
    expect(await officerPage.textContent('#login-notice')).toBe(
      'Your password was changed and your session has ended: sign in with the new password.',
    );
    expect(await tryLogin(officerPage, officer, resetPassword)).toBe('Wrong username or password.');
    await loginAndOpenDashboard(officerPage, h!.hub.url, officer, ownPassword);
  });

  it('keeps the last operator, disables and enables a user, and removes one after confirmation', async () => {
    await page.click(userButton('operator', 'toggle'));
    await expect
      .poll(() => page.textContent('#users-error'))
      .toBe('Not changed: Changing operator would leave the hub without an enabled operator.');
    expect((await userOf('operator'))?.disabled).toBe(false);

    await page.click(userButton(officer, 'toggle'));
    await expect.poll(() => page.getAttribute(userRow(officer), 'data-disabled')).toBe('true');
    expect(await page.textContent('#users-status')).toBe(`Disabled ${officer}. 1 session ended.`);
    expect(await page.textContent(`${userRow(officer)} [data-column="enabled"]`)).toBe('no');
    expect(await page.textContent(userButton(officer, 'toggle'))).toBe('Enable');
    await officerPage.locator('#login-notice').waitFor();
    expect((await userOf(officer))?.disabled).toBe(true);
    await page.click(userButton(officer, 'toggle'));
    await expect.poll(() => page.getAttribute(userRow(officer), 'data-disabled')).toBe('false');
    expect((await userOf(officer))?.disabled).toBe(false);

    await page.click(userButton(officer, 'remove'));
    expect(await page.textContent('#confirm-dialog h2')).toBe(`Remove ${officer}?`);
    await page.click('#confirm-cancel');
    await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
    expect(await userOf(officer)).not.toBeNull();
    await page.click(userButton(officer, 'remove'));
    await page.click('#confirm-ok');
    await page.locator(userRow(officer)).waitFor({ state: 'detached' });
    expect(await page.textContent('#users-status')).toBe(`Removed ${officer}.`);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('users-title');
    expect(await userOf(officer)).toBeNull();
  });

  it('creates an API key shown once that works against the API, and revokes it', async () => {
    const expiry = new Date(Date.now() + 30 * 86_400_000);
    const day = `${expiry.getFullYear()}-${String(expiry.getMonth() + 1).padStart(2, '0')}-${String(expiry.getDate()).padStart(2, '0')}`;
    await page.fill('#key-new-name', 'ANPR bridge');
    await page.selectOption('#key-new-role', 'controlroom');
    expect(await page.locator('#key-new-councils').isHidden()).toBe(true);
    await page.fill('#key-new-expires', day);
    await page.click('#key-create');
    await page.locator('#key-secret').waitFor({ state: 'visible' });
    const key = (await page.textContent('#key-secret-value')) ?? '';
    expect(key).toMatch(/^cctvk_[a-z0-9]{12}_/);
    const id = key.split('_')[1]!;
    await page.locator(keyRow(id)).waitFor();
    expect(await page.getAttribute(keyRow(id), 'data-state')).toBe('active');
    expect(await page.textContent(`${keyRow(id)} [data-column="expires"]`)).not.toBe('never');

    const cameras = await api('/api/cameras', key);
    expect(cameras.status).toBe(200);
    expect(Array.isArray(await cameras.json())).toBe(true);
    const listed = (await (await api('/api/api-keys', operatorToken)).json()) as {
      id: string;
      expiresAt: string;
    }[];
    const expiresAt = new Date(listed.find((k) => k.id === id)!.expiresAt);
    expect(expiresAt.getDate()).toBe(expiry.getDate());
    expect(expiresAt.getHours()).toBe(23);

    // Tall enough for both tables, the key on show and the forms.
    await page.setViewportSize({ width: 1600, height: 1500 });
    await page.evaluate(() => {
      for (const scrolled of document.querySelectorAll('#view-users, #view-users .admin-table-scroll'))
        scrolled.scrollTo(0, 0);
    });
    await page.mouse.move(0, 0);
    await mkdir(dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH });
    expect((await stat(SCREENSHOT_PATH)).size).toBeGreaterThan(20_000);
    await page.setViewportSize({ width: 1600, height: 1000 });

    await page.click(`${keyRow(id)} button[data-action="revoke"]`);
    expect(await page.textContent('#confirm-dialog h2')).toBe('Revoke the key ANPR bridge?');
    await page.click('#confirm-ok');
    await expect.poll(() => page.getAttribute(keyRow(id), 'data-state')).toBe('revoked');
    expect(await page.textContent('#keys-status')).toBe('Revoked the key ANPR bridge.');
    // The key was still on show: revoked, it leaves the screen at once.
    expect(await page.locator('#key-secret').isHidden()).toBe(true);
    expect(await page.evaluate((secret) => document.body.innerHTML.includes(secret), key)).toBe(false);
    expect(await page.locator(`${keyRow(id)} button[data-action="revoke"]`).count()).toBe(0);
    const refused = await api('/api/cameras', key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('KEY_REVOKED');
    // Leaving the view forgets the key still on show.
    await page.click('#view-live-tab');
    expect(await page.evaluate((secret) => document.body.innerHTML.includes(secret), key)).toBe(false);
  });

  it('signs out on the hub: the old token is refused', async () => {
    const token = await tokenOf(page);
    expect(await camerasStatus(token)).toBe(200);
    await page.click('#logout');
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#login-notice').count()).toBe(0);
    expect(await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY)).toBeNull();
    const refused = await api('/api/cameras', token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('TOKEN_REVOKED');
  });

  it("shows the hub's message when logins are rate limited", async () => {
    const name = uniqueId('guess');
    for (let i = 0; i < LOGIN_ATTEMPTS; i++) {
      const response = await fetch(`${h!.hub.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: name, password: `wrong-${i}` }),
      });
      expect(response.status).toBe(401);
    }
    await page.goto(h!.hub.url);
    expect(await tryLogin(page, name, 'wrong-again')).toMatch(
      new RegExp(
        `^Too many login attempts for this user name from this address: at most ${LOGIN_ATTEMPTS} per \\d+ min; retry in .+\\.$`,
      ),
    );
  });

  it('broke no Content-Security-Policy rule and threw no error, while the check itself works', async () => {
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
    // An inline script is what the policy forbids: the watch above must see it.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
    });
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
  });
});
