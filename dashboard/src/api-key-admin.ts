import type { CouncilView } from '../../src/schemas/api.ts';
import { hubMessage, UnauthorizedError } from './api.ts';
import type { AdminApi, ApiKeyView } from './auth-api.ts';
import { confirmAction } from './confirm-dialog.ts';
import { el, field, setText } from './dom.ts';
import * as fmt from './format.ts';
import { CouncilPicker, ROLE_LABEL, roleSelect } from './role-fields.ts';
import { SecretBox } from './secret-box.ts';

const COLUMNS = [
  'Name',
  'Role',
  'Councils',
  'Created by',
  'Created',
  'Expires',
  'Last used',
  'Status',
  'Actions',
];

/** `<input type="date">` value for a day, in the browser's zone. */
function dateInputValue(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A key expires at the end of the chosen day (the browser's zone); no date, no expiry. */
export function expiryOf(dateValue: string): string | null {
  if (!dateValue) return null;
  const ms = new Date(`${dateValue}T23:59:59.999`).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function statusOf(key: ApiKeyView, nowMs: number): { text: string; state: 'active' | 'revoked' | 'expired' } {
  if (key.revokedAt) return { text: `revoked ${fmt.dateTime(key.revokedAt)}`, state: 'revoked' };
  if (key.expiresAt && Date.parse(key.expiresAt) <= nowMs) return { text: 'expired', state: 'expired' };
  return { text: 'active', state: 'active' };
}

/**
 * API keys, for hub operators: the list, a create form (name, role, councils, optional expiry) whose
 * key is shown once, and revoke with a confirmation. Revocation applies at once on the hub.
 */
export class ApiKeyAdmin {
  readonly element: HTMLElement;
  private readonly tbody = el('tbody');
  private readonly title = el('h2', { id: 'keys-title', class: 'panel-title', tabindex: -1 }, 'API keys');
  private readonly secret = new SecretBox('key-secret');
  /** The key whose secret is on show, if any. */
  private secretKeyId: string | null = null;
  private readonly status = el('p', { id: 'keys-status', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'keys-error', class: 'error', role: 'alert' });
  private readonly name = el('input', {
    id: 'key-new-name',
    name: 'name',
    autocomplete: 'off',
    maxlength: 100,
  });
  private readonly role = roleSelect('key-new-role', 'controlroom');
  private readonly councils = new CouncilPicker('key-new');
  private readonly expires = el('input', { id: 'key-new-expires', name: 'expiresAt', type: 'date' });
  private readonly createButton = el(
    'button',
    { type: 'submit', class: 'primary', id: 'key-create' },
    'Create key',
  );
  private councilNames = new Map<string, string>();

  constructor(private readonly api: AdminApi) {
    this.role.addEventListener('change', () => this.councils.showFor(this.role.value as ApiKeyView['role']));
    this.councils.showFor(this.role.value as ApiKeyView['role']);
    const form = el(
      'form',
      { id: 'key-create-form', class: 'admin-form', novalidate: true, 'aria-labelledby': 'key-create-title' },
      el('h3', { id: 'key-create-title', class: 'section-title' }, 'New API key'),
      field('Name', this.name, 'What the key is for, e.g. the system that uses it'),
      field('Role', this.role),
      this.councils.element,
      field('Expires (optional)', this.expires, 'At the end of that day; empty for no expiry'),
      el('div', { class: 'form-actions' }, this.createButton),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    this.element = el(
      'section',
      { id: 'keys-panel', class: 'panel admin-panel', 'aria-labelledby': 'keys-title' },
      this.title,
      el(
        'p',
        { class: 'muted' },
        'Other systems call the API with a key as Authorization: Bearer <key>, with the role and councils given here.',
      ),
      this.status,
      this.error,
      this.secret.element,
      el(
        'div',
        {
          class: 'table-scroll admin-table-scroll',
          tabindex: 0,
          role: 'region',
          'aria-label': 'API keys table',
        },
        el(
          'table',
          { id: 'keys-table', class: 'admin-table' },
          el('caption', { class: 'visually-hidden' }, 'API keys'),
          el('thead', {}, el('tr', {}, ...COLUMNS.map((h) => el('th', { scope: 'col' }, h)))),
          this.tbody,
        ),
      ),
      el('div', { class: 'admin-forms' }, form),
    );
  }

  setCouncils(councils: readonly CouncilView[]): void {
    this.councils.setCouncils(councils);
    this.councilNames = new Map(councils.map((c) => [c.id, c.name]));
  }

  async load(): Promise<void> {
    try {
      this.render(await this.api.apiKeys());
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Could not load the API keys: ${hubMessage(error)}`);
    }
  }

  clear(): void {
    this.secret.clear();
  }

  private say(message: string): void {
    setText(this.error, '');
    setText(this.status, message);
  }

  private fail(message: string): void {
    setText(this.status, '');
    setText(this.error, message);
  }

  private render(keys: readonly ApiKeyView[]): void {
    const nowMs = Date.now();
    this.expires.min = dateInputValue(nowMs);
    this.tbody.replaceChildren(
      ...keys.map((key) => {
        const status = statusOf(key, nowMs);
        let revoke: HTMLButtonElement | null = null;
        if (status.state !== 'revoked') {
          revoke = el(
            'button',
            {
              type: 'button',
              class: 'mw-action',
              'data-action': 'revoke',
              'aria-label': `Revoke ${key.name}`,
            },
            'Revoke',
          );
          revoke.addEventListener('click', () => void this.revoke(key));
        }
        return el(
          'tr',
          { class: 'key-row', 'data-key-id': key.id, 'data-state': status.state },
          el('th', { scope: 'row' }, key.name, el('div', { class: 'mono muted' }, key.id)),
          el('td', {}, ROLE_LABEL[key.role]),
          el('td', {}, key.councilIds.map((id) => this.councilNames.get(id) ?? id).join(', ') || '–'),
          el('td', {}, key.createdBy),
          el('td', {}, fmt.dateTime(key.createdAt)),
          el('td', { 'data-column': 'expires' }, key.expiresAt ? fmt.dateTime(key.expiresAt) : 'never'),
          el('td', {}, fmt.dateTime(key.lastUsedAt)),
          el('td', { 'data-column': 'status' }, status.text),
          el('td', {}, el('div', { class: 'row-actions' }, revoke)),
        );
      }),
    );
    if (keys.length === 0)
      this.tbody.append(
        el('tr', { class: 'empty-row' }, el('td', { colspan: COLUMNS.length }, 'No API keys yet.')),
      );
  }

  private async create(): Promise<void> {
    const name = this.name.value.trim();
    if (!name) {
      this.fail('Not created: enter a name for the key.');
      this.name.focus();
      return;
    }
    const role = this.role.value as ApiKeyView['role'];
    this.createButton.disabled = true;
    try {
      const created = await this.api.createApiKey({
        name,
        role,
        councilIds: this.councils.value,
        expiresAt: expiryOf(this.expires.value),
      });
      this.name.value = '';
      this.expires.value = '';
      this.councils.value = [];
      this.say(`Created the key ${name} (${ROLE_LABEL[role]}).`);
      this.secretKeyId = created.apiKey.id;
      this.secret.show(
        `Key ${name}`,
        created.key,
        'Shown once: copy it into the system that uses it now (the hub keeps only a hash).',
        this.name,
      );
      await this.load();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Not created: ${hubMessage(error)}`);
    } finally {
      this.createButton.disabled = false;
    }
  }

  private async revoke(key: ApiKeyView): Promise<void> {
    const ok = await confirmAction({
      title: `Revoke the key ${key.name}?`,
      message: 'Every call made with it is refused from now on. A revoked key cannot be restored.',
      confirmLabel: 'Revoke key',
    });
    if (!ok) return;
    try {
      await this.api.revokeApiKey(key.id);
      // A key revoked while still on show is worthless: it leaves the screen with its revocation.
      if (this.secretKeyId === key.id) {
        this.secret.clear();
        this.secretKeyId = null;
      }
      this.say(`Revoked the key ${key.name}.`);
      await this.load();
      // Its Revoke button is gone: the focus goes to the panel rather than the page's start.
      this.title.focus();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Not revoked: ${hubMessage(error)}`);
    }
  }
}
