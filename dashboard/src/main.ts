import type { LoginResponse, UiConfig } from '../../src/schemas/api.ts';
import { ApiRequestError, hubMessage, publicApi, signOut } from './api.ts';
import { DashboardApp } from './app.ts';
import { renderLogin } from './login.ts';
import { clearSession, loadSession, saveSession } from './session.ts';
import { applyTheme, storedTheme } from './theme.ts';

/** Entry point: switches between the login form and the dashboard. */
async function main(root: HTMLElement): Promise<void> {
  let uiConfig: UiConfig | null = null;
  try {
    uiConfig = await publicApi.uiConfig();
  } catch (error) {
    console.warn('ui-config not available, using defaults:', error);
  }
  const config: UiConfig = uiConfig ?? {
    tileUrl: null,
    tileAttribution: '',
    demo: false,
    sourceTrackMinutes: 10,
  };
  let app: DashboardApp | null = null;

  const showLogin = (notice: string | null) => {
    app?.stop();
    app = null;
    renderLogin(root, uiConfig, notice, (session) => {
      saveSession(session);
      showDashboard(session);
    });
  };
  const showDashboard = (session: LoginResponse) => {
    app?.stop();
    app = new DashboardApp({
      root,
      session,
      uiConfig: config,
      onSessionEnded: (notice) => {
        clearSession();
        showLogin(notice);
      },
      onLogout: () => {
        // The hub is asked to end the session first (the call carries the token), and the local session
        // goes whatever the answer, so this tab is signed out even when the hub cannot be reached.
        const ended = signOut(session.token);
        clearSession();
        void ended.then(
          () => showLogin(null),
          (error: unknown) =>
            showLogin(
              error instanceof ApiRequestError && error.status === 401
                ? null
                : `Signed out of this browser, but the hub could not end the session: ${hubMessage(error)}`,
            ),
        );
      },
    });
    app.start();
  };

  const session = loadSession(Date.now());
  if (session) showDashboard(session);
  else showLogin(null);
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// Before the first render, so the login screen is already in the chosen theme.
applyTheme(storedTheme());
void main(root);
