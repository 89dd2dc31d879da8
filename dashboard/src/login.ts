import type { LoginResponse, UiConfig } from '../../src/schemas/api.ts';
import { ApiRequestError, hubMessage, publicApi } from './api.ts';
import { el } from './dom.ts';

/** What a refused login says: a wrong password plainly, the hub's own words for limits (429) and the rest. */
export function loginErrorText(error: unknown): string {
  if (error instanceof ApiRequestError && error.status === 401) return 'Wrong username or password.';
  if (error instanceof ApiRequestError && error.status === 429) return hubMessage(error);
  return `Login failed: ${hubMessage(error)}`;
}

/**
 * Login form; resolves the parent's `onLogin` with the hub's login response. `notice` says why the
 * form is shown again (the session ended, the password was changed).
 */
export function renderLogin(
  root: HTMLElement,
  uiConfig: UiConfig | null,
  notice: string | null,
  onLogin: (session: LoginResponse) => void,
): void {
  const username = el('input', {
    id: 'login-username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    autofocus: true,
  });
  const password = el('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const noticeBox = notice
    ? el('p', { id: 'login-notice', class: 'login-notice', role: 'alert' }, notice)
    : null;
  const error = el('p', { id: 'login-error', class: 'login-error', role: 'alert', 'aria-live': 'assertive' });
  const submit = el('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Sign in');
  const form = el(
    'form',
    { id: 'login-form', class: 'login-card', 'aria-labelledby': 'login-title', novalidate: true },
    el('h1', { id: 'login-title' }, 'CCTV hub'),
    el('p', { class: 'muted' }, 'Live camera status for councils, monitoring hubs and control rooms.'),
    noticeBox,
    el('label', { for: 'login-username' }, 'Username'),
    username,
    el('label', { for: 'login-password' }, 'Password'),
    password,
    error,
    submit,
    uiConfig?.demo
      ? el(
          'p',
          { class: 'demo-hint' },
          'Demo mode: users operator, controlroom, auditor or a council officer; password as configured (default "demo").',
        )
      : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!username.value || !password.value) {
      error.textContent = 'Enter a username and a password.';
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    noticeBox?.remove();
    publicApi
      .login({ username: username.value.trim(), password: password.value })
      .then(onLogin)
      .catch((caught: unknown) => {
        submit.disabled = false;
        password.value = '';
        password.focus();
        error.textContent = loginErrorText(caught);
      });
  });
  document.body.dataset.view = 'login';
  root.replaceChildren(el('main', { class: 'login-page' }, form));
  username.focus();
}
