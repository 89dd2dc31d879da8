import type { LoginResponse } from '../../src/schemas/api.ts';
import { el, setText } from './dom.ts';
import { clockTime } from './format.ts';
import type { LiveStatus } from './live.ts';
import { applyTheme, parseThemeChoice, storedTheme, THEME_LABEL, type ThemeChoice } from './theme.ts';

export type DashboardView =
  | 'live'
  | 'alerts'
  | 'compliance'
  | 'incident'
  | 'wall'
  | 'registry'
  | 'audit'
  | 'users'
  | 'account';

const VIEW_LABEL: Record<DashboardView, string> = {
  live: 'Live',
  alerts: 'Alerts',
  compliance: 'Compliance',
  incident: 'Incident search',
  wall: 'Wall',
  registry: 'Registry',
  audit: 'Audit log',
  users: 'Users & API keys',
  account: 'Account',
};

const VIEW_SUBTITLE: Record<DashboardView, string> = {
  live: 'Live camera status',
  alerts: 'Alerts and notifications',
  compliance: 'Council compliance',
  incident: 'Control room',
  wall: 'Camera wall',
  registry: 'Sites and camera approval',
  audit: 'Audit log',
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
 * Dark top bar: title, view switch, connection indicator, last update time, the theme, and the user
 * with their Account view and Sign out (which stays disabled once pressed, while the hub ends the
 * session). On a phone the view switch, Account and the theme fold into a menu opened by a button
 * that names the current view; Sign out stays in the bar.
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
  /** Counts on view buttons (open alerts), also shown on the phone's menu button. */
  private readonly badges = new Map<DashboardView, { count: number; badge: HTMLElement }>();
  private readonly menuLabel = el('span', { class: 'menu-label' });
  private readonly menuBadge = el('span', { class: 'view-badge', hidden: true });
  private readonly menuButton = el(
    'button',
    {
      type: 'button',
      id: 'view-menu',
      class: 'header-button menu-button',
      'aria-expanded': 'false',
      'aria-controls': 'header-menu',
    },
    this.menuLabel,
    el('span', { class: 'visually-hidden' }, '– views and settings'),
    this.menuBadge,
  );

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
      account.addEventListener('click', () => {
        this.setMenuOpen(false);
        onView('account');
      });
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
        button.addEventListener('click', () => {
          this.setMenuOpen(false);
          onView(view);
        });
        this.viewButtons.set(view, button);
        viewSwitch.append(button);
      }
    }
    const themeSelect = el(
      'select',
      { id: 'theme-select', class: 'theme-select' },
      ...(Object.keys(THEME_LABEL) as ThemeChoice[]).map((choice) =>
        el('option', { value: choice }, THEME_LABEL[choice]),
      ),
    );
    themeSelect.value = storedTheme();
    themeSelect.addEventListener('change', () => applyTheme(parseThemeChoice(themeSelect.value), true));
    this.menuButton.addEventListener('click', () =>
      this.setMenuOpen(this.menuButton.getAttribute('aria-expanded') !== 'true'),
    );
    this.element = el(
      'header',
      { class: 'app-header', id: 'header-menu', 'data-menu': 'closed' },
      el(
        'div',
        { class: 'brand' },
        el('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        'CCTV hub',
        this.subtitle,
      ),
      this.menuButton,
      viewSwitch,
      el('div', { class: 'header-status' }, this.status, this.lastUpdate),
      el(
        'label',
        { class: 'theme-switch' },
        el('span', { class: 'theme-label visually-hidden' }, 'Theme'),
        themeSelect,
      ),
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
    setText(this.menuLabel, VIEW_LABEL[view]);
    for (const [name, button] of this.viewButtons) button.setAttribute('aria-pressed', String(name === view));
    this.labelMenu();
  }

  /**
   * A count on a view's button (`what` says what it counts, for screen readers: "open alerts not
   * acknowledged"); 0 hides it. The phone's menu button shows the sum, so a folded menu still tells.
   */
  setCount(view: DashboardView, count: number, what: string): void {
    const button = this.viewButtons.get(view);
    if (!button) return;
    let entry = this.badges.get(view);
    if (!entry) {
      entry = {
        count: 0,
        badge: el('span', { class: 'view-badge', id: `view-${view}-count`, hidden: true }),
      };
      this.badges.set(view, entry);
      button.append(entry.badge);
    }
    entry.count = count;
    entry.badge.hidden = count === 0;
    entry.badge.dataset.count = String(count);
    entry.badge.replaceChildren(
      el('span', { class: 'visually-hidden' }, `(${count} ${what})`),
      el('span', { 'aria-hidden': 'true' }, String(count)),
    );
    this.labelMenu();
  }

  /** The menu button's name is its text: the view, "views and settings", and the counts. */
  private labelMenu(): void {
    const total = [...this.badges.values()].reduce((sum, b) => sum + b.count, 0);
    const counts = [...this.badges.entries()]
      .filter(([, b]) => b.count > 0)
      .map(([name, b]) => `${VIEW_LABEL[name]} ${b.count}`);
    this.menuBadge.hidden = total === 0;
    this.menuBadge.dataset.count = String(total);
    this.menuBadge.replaceChildren(
      el('span', { class: 'visually-hidden' }, `(${counts.join(', ')})`),
      el('span', { 'aria-hidden': 'true' }, String(total)),
    );
  }

  private setMenuOpen(open: boolean): void {
    this.menuButton.setAttribute('aria-expanded', String(open));
    this.element.dataset.menu = open ? 'open' : 'closed';
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
