import type { LoginResponse } from '../../src/schemas/api.ts';
import { el, setText } from './dom.ts';
import { clockTime } from './format.ts';
import type { LiveStatus } from './live.ts';

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** Dark top bar: title, connection indicator, last update time, user and logout. */
export class Header {
  readonly element: HTMLElement;
  private readonly status = el('span', {
    id: 'conn-status',
    class: 'conn-status',
    role: 'status',
    'data-status': 'connecting',
  });
  private readonly lastUpdate = el('span', { id: 'last-update', class: 'last-update' }, 'No data yet');

  constructor(user: LoginResponse['user'], onLogout: () => void) {
    const logout = el('button', { type: 'button', id: 'logout', class: 'header-button' }, 'Log out');
    logout.addEventListener('click', onLogout);
    this.element = el(
      'header',
      { class: 'app-header' },
      el(
        'div',
        { class: 'brand' },
        el('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        'CCTV hub',
        el('span', { class: 'brand-sub' }, 'Live camera status'),
      ),
      el('div', { class: 'header-status' }, this.status, this.lastUpdate),
      el(
        'div',
        { class: 'header-user' },
        el('span', { id: 'user-info' }, `${user.username} · ${user.role}`),
        logout,
      ),
    );
    this.setStatus('connecting', null);
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
