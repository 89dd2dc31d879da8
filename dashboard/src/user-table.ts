import type { UserView } from './auth-api.ts';
import { el } from './dom.ts';
import * as fmt from './format.ts';
import { ROLE_LABEL } from './role-fields.ts';

export type UserAction = 'edit' | 'toggle' | 'reset' | 'remove';

const COLUMNS = ['User', 'Role', 'Councils', 'Enabled', 'Last login', 'Password changed', 'Actions'];

/**
 * The users as a table, one row each with its action buttons, whose accessible names add the user to the
 * visible label ("Edit alice").
 */
export class UserTable {
  readonly element: HTMLElement;
  private readonly tbody = el('tbody');
  private councilNames = new Map<string, string>();

  constructor(
    private readonly self: string,
    private readonly onAction: (action: UserAction, user: UserView, button: HTMLButtonElement) => void,
  ) {
    this.element = el(
      'div',
      { class: 'table-scroll admin-table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Users table' },
      el(
        'table',
        { id: 'users-table', class: 'admin-table' },
        el('caption', { class: 'visually-hidden' }, 'Users of the hub'),
        el('thead', {}, el('tr', {}, ...COLUMNS.map((h) => el('th', { scope: 'col' }, h)))),
        this.tbody,
      ),
    );
  }

  setCouncilNames(names: Map<string, string>): void {
    this.councilNames = names;
  }

  render(users: readonly UserView[]): void {
    // Keeps the focus on the same button when the rows are rebuilt after an action.
    const focused = document.activeElement as HTMLElement | null;
    const focusKey = this.tbody.contains(focused) ? focused?.dataset.focusKey : undefined;
    this.tbody.replaceChildren(
      ...[...users].sort((a, b) => a.username.localeCompare(b.username)).map((user) => this.row(user)),
    );
    if (focusKey)
      this.tbody.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  private row(user: UserView): HTMLTableRowElement {
    const button = (action: UserAction, label: string, ariaLabel: string) => {
      const b = el(
        'button',
        {
          type: 'button',
          class: 'mw-action',
          'data-action': action,
          'data-focus-key': `${action}:${user.username}`,
          'aria-label': ariaLabel,
        },
        label,
      );
      b.addEventListener('click', () => this.onAction(action, user, b));
      return b;
    };
    const name = user.username;
    const councils = user.councilIds.map((id) => this.councilNames.get(id) ?? id).join(', ');
    return el(
      'tr',
      { class: 'user-row', 'data-username': name, 'data-disabled': String(user.disabled) },
      el('th', { scope: 'row', 'data-column': 'username' }, name, name === this.self ? ' (you)' : ''),
      el('td', { 'data-column': 'role' }, ROLE_LABEL[user.role]),
      el('td', { 'data-column': 'councils' }, councils || '–'),
      el('td', { 'data-column': 'enabled' }, user.disabled ? 'no' : 'yes'),
      el(
        'td',
        { 'data-column': 'last-login', title: user.lastLoginAt ?? '' },
        fmt.dateTime(user.lastLoginAt),
      ),
      el(
        'td',
        { 'data-column': 'password-changed', title: user.passwordChangedAt ?? '' },
        fmt.dateTime(user.passwordChangedAt),
      ),
      el(
        'td',
        {},
        el(
          'div',
          { class: 'row-actions' },
          button('edit', 'Edit', `Edit ${name}`),
          button(
            'toggle',
            user.disabled ? 'Enable' : 'Disable',
            `${user.disabled ? 'Enable' : 'Disable'} ${name}`,
          ),
          button('reset', 'Reset password', `Reset password of ${name}`),
          name === this.self ? null : button('remove', 'Remove', `Remove ${name}`),
        ),
      ),
    );
  }
}
