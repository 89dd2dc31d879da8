import type { CouncilView } from '../../src/schemas/api.ts';
import { hubMessage, UnauthorizedError } from './api.ts';
import type { AdminApi, UserChanged, UserView } from './auth-api.ts';
import { el, field, returnFocus, setText } from './dom.ts';
import { CouncilPicker, roleSelect } from './role-fields.ts';

/** A user's role and councils, changed in place of the table's Edit button; Escape or Cancel closes it. */
export class UserEditForm {
  readonly element: HTMLFormElement;
  private readonly title = el('h3', { id: 'user-edit-title', class: 'section-title', tabindex: -1 });
  private readonly role = roleSelect('user-edit-role');
  private readonly councils = new CouncilPicker('user-edit');
  private readonly save = el('button', { type: 'submit', class: 'primary', id: 'user-edit-save' }, 'Save');
  private user: UserView | null = null;
  private opener: HTMLElement | null = null;

  constructor(
    private readonly api: AdminApi,
    private readonly events: {
      onSaved: (changed: UserChanged) => Promise<void>;
      onError: (message: string) => void;
    },
  ) {
    const cancel = el('button', { type: 'button', class: 'secondary', id: 'user-edit-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => this.close());
    this.role.addEventListener('change', () => this.councils.showFor(this.role.value as UserView['role']));
    this.element = el(
      'form',
      {
        id: 'user-edit-form',
        class: 'admin-form edit-form',
        hidden: true,
        novalidate: true,
        'aria-labelledby': 'user-edit-title',
      },
      this.title,
      el(
        'p',
        { class: 'muted' },
        'A change of role or councils ends the user’s sessions: they sign in again.',
      ),
      field('Role', this.role),
      this.councils.element,
      el('div', { class: 'form-actions' }, this.save, cancel),
    );
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  setCouncils(councils: readonly CouncilView[]): void {
    this.councils.setCouncils(councils);
  }

  open(user: UserView, opener: HTMLElement): void {
    this.user = user;
    this.opener = opener;
    setText(this.title, `Change ${user.username}`);
    this.element.dataset.username = user.username;
    this.role.value = user.role;
    this.councils.value = user.councilIds;
    this.councils.showFor(user.role);
    this.element.hidden = false;
    this.title.focus();
  }

  close(): void {
    if (this.element.hidden) return;
    this.element.hidden = true;
    this.user = null;
    // The table may have been rebuilt meanwhile: back to the same user's Edit button if it is there.
    returnFocus(this.opener);
    this.opener = null;
  }

  private async submit(): Promise<void> {
    const user = this.user;
    if (user === null) return;
    this.save.disabled = true;
    try {
      const changed = await this.api.updateUser(user.username, {
        role: this.role.value as UserView['role'],
        councilIds: this.councils.value,
      });
      // The list is redrawn first, so the focus goes back to the Edit button of the new list.
      await this.events.onSaved(changed);
      this.close();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.events.onError(`Not saved: ${hubMessage(error)}`);
    } finally {
      this.save.disabled = false;
    }
  }
}
