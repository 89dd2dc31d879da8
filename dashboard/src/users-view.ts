import { hubMessage, UnauthorizedError } from './api.ts';
import { ApiKeyAdmin } from './api-key-admin.ts';
import type { AdminApi } from './auth-api.ts';
import { el, setText } from './dom.ts';
import { UserAdmin } from './user-admin.ts';

/** Hub operators only: the users of the hub and its API keys, side by side. */
export class UsersView {
  readonly element: HTMLElement;
  private readonly users: UserAdmin;
  private readonly keys: ApiKeyAdmin;
  private readonly error = el('p', { id: 'users-view-error', class: 'error', role: 'alert' });

  constructor(
    private readonly api: AdminApi,
    username: string,
  ) {
    this.users = new UserAdmin(api, username);
    this.keys = new ApiKeyAdmin(api);
    this.element = el(
      'div',
      { id: 'view-users', class: 'admin-view', hidden: true },
      el('h1', { class: 'visually-hidden' }, 'Users and API keys'),
      this.error,
      el('div', { class: 'admin-layout' }, this.users.element, this.keys.element),
    );
  }

  /** Loads fresh lists each time the view is shown (another operator may have changed them). */
  activate(): void {
    this.element.hidden = false;
    void this.load();
  }

  deactivate(): void {
    this.element.hidden = true;
    this.forget();
  }

  stop(): void {
    this.forget();
  }

  /** One-time secrets are not kept once the operator looks elsewhere. */
  private forget(): void {
    this.users.clear();
    this.keys.clear();
  }

  private async load(): Promise<void> {
    setText(this.error, '');
    try {
      const councils = await this.api.councils();
      this.users.setCouncils(councils);
      this.keys.setCouncils(councils);
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.error, `Could not load the councils: ${hubMessage(error)}`);
    }
    await Promise.all([this.users.load(), this.keys.load()]);
  }
}
