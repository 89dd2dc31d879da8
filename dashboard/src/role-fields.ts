import type { CouncilView, Role } from '../../src/schemas/api.ts';
import { el } from './dom.ts';

export const ROLES: readonly Role[] = ['operator', 'council', 'controlroom', 'auditor'];

export const ROLE_LABEL: Record<Role, string> = {
  operator: 'Hub operator',
  council: 'Council officer',
  controlroom: 'Control room',
  auditor: 'Auditor',
};

/** A role picker; the option values are the API's role names. */
export function roleSelect(id: string, role: Role = 'council'): HTMLSelectElement {
  const select = el('select', { id, name: 'role' });
  for (const value of ROLES) select.append(el('option', { value }, ROLE_LABEL[value]));
  select.value = role;
  return select;
}

/**
 * The councils a council officer (or a council-scoped API key) may see, as labelled checkboxes. Other
 * roles are not limited to councils, so the picker is hidden for them and then sends none.
 */
export class CouncilPicker {
  readonly element: HTMLFieldSetElement;
  private readonly list = el('div', { class: 'council-checks' });
  private councils: CouncilView[] = [];
  private checked = new Set<string>();

  constructor(private readonly idPrefix: string) {
    this.element = el(
      'fieldset',
      { id: `${idPrefix}-councils`, class: 'council-picker' },
      el('legend', {}, 'Councils ', el('span', { class: 'muted' }, '(at least one for a council officer)')),
      this.list,
    );
  }

  setCouncils(councils: readonly CouncilView[]): void {
    this.councils = [...councils].sort((a, b) => a.name.localeCompare(b.name));
    this.render();
  }

  get value(): string[] {
    if (this.element.hidden) return [];
    return this.councils.map((c) => c.id).filter((id) => this.checked.has(id));
  }

  set value(ids: readonly string[]) {
    this.checked = new Set(ids);
    this.render();
  }

  showFor(role: Role): void {
    this.element.hidden = role !== 'council';
  }

  private render(): void {
    const ids = new Set(this.councils.map((c) => c.id));
    // A council the user has but the hub no longer lists still shows, so it can be unticked.
    const rows = [
      ...this.councils,
      ...[...this.checked].filter((id) => !ids.has(id)).map((id) => ({ id, name: id })),
    ];
    this.list.replaceChildren(
      ...rows.map(({ id, name }) => {
        const box = el('input', {
          type: 'checkbox',
          id: `${this.idPrefix}-council-${id}`,
          name: 'councilIds',
          value: id,
          checked: this.checked.has(id),
        });
        box.addEventListener('change', () => {
          if (box.checked) this.checked.add(id);
          else this.checked.delete(id);
        });
        return el('label', { class: 'council-check', for: box.id }, box, ` ${name}`);
      }),
    );
    if (rows.length === 0) this.list.append(el('p', { class: 'muted' }, 'No councils known to the hub.'));
  }
}
