import type { LoginResponse } from '../../src/schemas/api.ts';
import type { PasswordChange } from '../../src/schemas/auth-api.ts';
import { MIN_PASSWORD_LENGTH, newPasswordProblem } from './account-rules.ts';
import { hubMessage, UnauthorizedError } from './api.ts';
import type { AccountApi, SessionView } from './auth-api.ts';
import { el, field, setText } from './dom.ts';
import * as fmt from './format.ts';
import { ROLE_LABEL } from './role-fields.ts';

export interface AccountViewOptions {
  api: AccountApi;
  user: LoginResponse['user'];
  /**
   * Sends the change. The hub ends every session of the user, this one too, so on success the app
   * goes back to the login screen; a refusal is thrown and shown here.
   */
  changePassword: (body: PasswordChange) => Promise<void>;
}

const isOpen = (s: SessionView, nowMs: number) => s.revokedAt === null && Date.parse(s.expiresAt) > nowMs;

/** Every user's own account: change the password, see the sessions signed in, end the others. */
export class AccountView {
  readonly element: HTMLElement;
  private readonly current = el('input', {
    id: 'account-current-password',
    type: 'password',
    autocomplete: 'current-password',
    'aria-describedby': 'account-password-error',
  });
  private readonly next = el('input', {
    id: 'account-new-password',
    type: 'password',
    autocomplete: 'new-password',
    'aria-describedby': 'account-password-error',
  });
  private readonly confirm = el('input', {
    id: 'account-confirm-password',
    type: 'password',
    autocomplete: 'new-password',
    'aria-describedby': 'account-password-error',
  });
  private readonly change = el(
    'button',
    { type: 'submit', class: 'primary', id: 'account-change-password' },
    'Change password',
  );
  private readonly passwordError = el('p', { id: 'account-password-error', class: 'error', role: 'alert' });
  private readonly list = el('ul', { id: 'session-list', class: 'session-list' });
  private readonly endOthers = el(
    'button',
    { type: 'button', class: 'mw-action', id: 'end-other-sessions' },
    'End other sessions',
  );
  private readonly sessionStatus = el('p', { id: 'session-status', class: 'admin-status', role: 'status' });
  private sessions: SessionView[] = [];

  constructor(private readonly options: AccountViewOptions) {
    const { user } = options;
    const form = el(
      'form',
      { id: 'password-form', class: 'admin-form', novalidate: true, 'aria-labelledby': 'password-title' },
      el('h2', { id: 'password-title', class: 'panel-title' }, 'Change your password'),
      el(
        'p',
        { class: 'muted' },
        'Every session of yours ends, on this device too: you sign in again with the new password.',
      ),
      // Lets password managers tie the new password to the account.
      el('input', { type: 'hidden', autocomplete: 'username', value: user.username }),
      field('Current password', this.current),
      field(
        'New password',
        this.next,
        `At least ${MIN_PASSWORD_LENGTH} characters, not containing your user name.`,
      ),
      field('New password again', this.confirm),
      this.passwordError,
      el('div', { class: 'form-actions' }, this.change),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitPassword();
    });
    this.endOthers.addEventListener('click', () => void this.endOtherSessions());
    this.element = el(
      'div',
      { id: 'view-account', class: 'admin-view', hidden: true },
      el(
        'div',
        { class: 'admin-layout account-layout' },
        el(
          'section',
          { class: 'panel admin-panel', 'aria-labelledby': 'account-title' },
          el('h1', { id: 'account-title', class: 'panel-title' }, `Account: ${user.username}`),
          el('p', { class: 'muted', id: 'account-role' }, `Role: ${ROLE_LABEL[user.role]}`),
          form,
        ),
        el(
          'section',
          { class: 'panel admin-panel', id: 'sessions-panel', 'aria-labelledby': 'sessions-title' },
          el('h2', { id: 'sessions-title', class: 'panel-title' }, 'Your sessions'),
          el('p', { class: 'muted' }, 'Browsers and devices signed in as you now.'),
          this.list,
          el('div', { class: 'form-actions' }, this.endOthers),
          this.sessionStatus,
        ),
      ),
    );
  }

  activate(): void {
    this.element.hidden = false;
    void this.loadSessions();
  }

  deactivate(): void {
    this.element.hidden = true;
    // Typed passwords are not left in a hidden form.
    for (const input of [this.current, this.next, this.confirm]) input.value = '';
    setText(this.passwordError, '');
  }

  private async submitPassword(): Promise<void> {
    setText(this.passwordError, '');
    if (!this.current.value) {
      setText(this.passwordError, 'Enter your current password.');
      this.current.focus();
      return;
    }
    const problem = newPasswordProblem(this.options.user.username, this.next.value, this.confirm.value);
    if (problem) {
      setText(this.passwordError, problem.message);
      (problem.field === 'confirm' ? this.confirm : this.next).focus();
      return;
    }
    this.change.disabled = true;
    try {
      await this.options.changePassword({
        currentPassword: this.current.value,
        newPassword: this.next.value,
      });
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.passwordError, `Not changed: ${hubMessage(error)}`);
      this.current.value = '';
      this.current.focus();
    } finally {
      this.change.disabled = false;
    }
  }

  private async loadSessions(): Promise<void> {
    try {
      this.sessions = await this.options.api.sessions();
      this.renderSessions();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.sessionStatus, `Could not load your sessions: ${hubMessage(error)}`);
    }
  }

  private renderSessions(): void {
    const nowMs = Date.now();
    const open = this.sessions.filter((s) => isOpen(s, nowMs));
    // This device first, then the newest.
    open.sort((a, b) => Number(b.current) - Number(a.current) || b.createdAt.localeCompare(a.createdAt));
    this.list.replaceChildren(
      ...open.map((s) =>
        el(
          'li',
          { class: 'session-item', 'data-session-id': s.id, 'data-current': String(s.current) },
          el(
            'div',
            {},
            el('strong', {}, `Signed in ${fmt.dateTime(s.createdAt)}`),
            s.current ? el('span', { class: 'this-device' }, 'this device') : null,
          ),
          el('div', { class: 'muted' }, `${s.ip ? `from ${s.ip} · ` : ''}until ${fmt.dateTime(s.expiresAt)}`),
        ),
      ),
    );
    const others = open.filter((s) => !s.current).length;
    this.endOthers.disabled = others === 0;
    this.endOthers.dataset.count = String(others);
    setText(
      this.endOthers,
      others === 0 ? 'No other sessions' : `End ${others} other session${others === 1 ? '' : 's'}`,
    );
  }

  private async endOtherSessions(): Promise<void> {
    const nowMs = Date.now();
    const others = this.sessions.filter((s) => isOpen(s, nowMs) && !s.current);
    this.endOthers.disabled = true;
    let ended = 0;
    let outcome: string;
    try {
      for (const session of others) {
        await this.options.api.endSession(session.id);
        ended++;
      }
      outcome = `Ended ${ended} other session${ended === 1 ? '' : 's'}.`;
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      outcome = `Ended ${ended}, then the hub refused: ${hubMessage(error)}`;
    }
    // The list is current before the outcome is announced.
    await this.loadSessions();
    setText(this.sessionStatus, outcome);
  }
}
