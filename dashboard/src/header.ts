import type { LoginResponse } from '../../src/schemas/api.ts';
import { el, setText } from './dom.ts';
import { clockTime } from './format.ts';
import type { LiveStatus } from './live.ts';

export type DashboardView = 'live' | 'compliance' | 'incident' | 'registry' | 'users' | 'account';

const VIEW_LABEL: Record<DashboardView, string> = {
  live: 'Live',
  compliance: 'Compliance',
  incident: 'Incident search',
  registry: 'Registry',
  users: 'Users & API keys',
  account: 'Account',
};

const VIEW_SUBTITLE: Record<DashboardView, string> = {
  live: 'Live camera status',
  compliance: 'Council compliance',
  incident: 'Control room',
  registry: 'Sites and camera approval',
  users: 'Users and API keys',
  account: 'Your account',
};

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/**
 * Dark top bar: title, view switch, connection indicator, last update time, and the user with their
 * Account view and Sign out (which stays disabled once pressed, while the hub ends the session).
 */
export class Header {
  readonly element: HTMLElement;
  private readonly status = el('span', {
    id: 'conn-status',
    class: 'conn-status',
    role: 'status',
    'data-status': 'connecting',
  });
  private readonly lastUpdate = el('span', { id: 'last-update', class: 'last-update' }, 'No data yet');
  private readonly subtitle = el('span', { class: 'brand-sub' }, 'Live camera status');
  private readonly viewButtons = new Map<DashboardView, HTMLButtonElement>();

  /** `views` in switch order (with one view no switch is shown); 'account' sits by the user name. */
  constructor(
    user: LoginResponse['user'],
    onLogout: () => void,
    views: readonly DashboardView[],
    onView: (view: DashboardView) => void,
  ) {
    const logout = el('button', { type: 'button', id: 'logout', class: 'header-button' }, 'Sign out');
    logout.addEventListener('click', () => {
      logout.disabled = true;
      setText(logout, 'Signing out…');
      onLogout();
    });
    let account: HTMLButtonElement | null = null;
    if (views.includes('account')) {
      account = el(
        'button',
        { type: 'button', id: 'view-account-tab', class: 'header-button', 'data-view': 'account' },
        VIEW_LABEL.account,
      );
      account.addEventListener('click', () => onView('account'));
      this.viewButtons.set('account', account);
    }
    const switchViews = views.filter((view) => view !== 'account');
    let viewSwitch: HTMLElement | null = null;
    if (switchViews.length > 1) {
      viewSwitch = el('nav', { class: 'view-switch', 'aria-label': 'View' });
      for (const view of switchViews) {
        const button = el(
          'button',
          { type: 'button', class: 'view-button', id: `view-${view}-tab`, 'data-view': view },
          VIEW_LABEL[view],
        );
        button.addEventListener('click', () => onView(view));
        this.viewButtons.set(view, button);
        viewSwitch.append(button);
      }
    }
    this.element = el(
      'header',
      { class: 'app-header' },
      el(
        'div',
        { class: 'brand' },
        el('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        'CCTV hub',
        this.subtitle,
      ),
      viewSwitch,
      el('div', { class: 'header-status' }, this.status, this.lastUpdate),
      el(
        'div',
        { class: 'header-user' },
        el('span', { id: 'user-info' }, `${user.username} · ${user.role}`),
        account,
        logout,
      ),
    );
    this.setStatus('connecting', null);
  }

  setView(view: DashboardView): void {
    setText(this.subtitle, VIEW_SUBTITLE[view]);
    for (const [name, button] of this.viewButtons) button.setAttribute('aria-pressed', String(name === view));
  }

  setStatus(status: LiveStatus, lastUpdateAt: string | null): void {
    this.status.dataset.status = status;
    setText(this.status, STATUS_TEXT[status]);
    if (lastUpdateAt !== null) {
      setText(this.lastUpdate, `Last update ${clockTime(lastUpdateAt)}`);
      this.lastUpdate.dataset.at = lastUpdateAt;
      this.lastUpdate.title = lastUpdateAt;
    }
  }
}
