import { el } from '../dom.ts';
import * as fmt from '../format.ts';
import type { SiteRecord } from './registry-api.ts';

interface Names {
  council: (id: string) => string;
  hub: (id: string) => string;
}

const COLUMNS = ['Site', 'Council', 'Hub', 'Camera networks', 'Pending cameras', 'Registered'] as const;

/**
 * The registered sites, one row each; with `onEdit` (hub operators) each row has an Edit button whose
 * accessible name adds the site ("Edit Harbour car park"). On narrow screens the rows stack as cards,
 * each value led by its column's name (`data-label`).
 */
export class SiteTable {
  readonly element: HTMLElement;
  private readonly tbody = el('tbody');
  private readonly columns: readonly string[];

  constructor(
    private readonly names: Names,
    private readonly onEdit: ((site: SiteRecord, button: HTMLButtonElement) => void) | null,
  ) {
    this.columns = onEdit ? [...COLUMNS, 'Actions'] : COLUMNS;
    this.element = el(
      'div',
      {
        class: 'table-scroll admin-table-scroll registry-table-scroll',
        role: 'region',
        'aria-labelledby': 'registry-sites-title',
        tabindex: 0,
      },
      el(
        'table',
        { id: 'registry-sites-table', class: 'admin-table registry-table' },
        el('caption', { class: 'visually-hidden' }, 'Registered sites'),
        el('thead', {}, el('tr', {}, ...this.columns.map((h) => el('th', { scope: 'col' }, h)))),
        this.tbody,
      ),
    );
  }

  render(sites: readonly SiteRecord[]): void {
    // Keeps the focus on the same button when the rows are rebuilt after a change.
    const focused = document.activeElement as HTMLElement | null;
    const focusKey = this.tbody.contains(focused) ? focused?.dataset.focusKey : undefined;
    const rows = [...sites].sort((a, b) => a.name.localeCompare(b.name)).map((site) => this.row(site));
    if (rows.length === 0)
      rows.push(
        el(
          'tr',
          { class: 'empty-row' },
          el('td', { colspan: this.columns.length }, 'No site is registered yet.'),
        ),
      );
    this.tbody.replaceChildren(...rows);
    if (focusKey)
      this.tbody.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  private row(site: SiteRecord): HTMLTableRowElement {
    const cell = (column: string, label: string, ...children: (Node | string)[]) =>
      el('td', { 'data-column': column, 'data-label': label }, ...children);
    const pending = site.pendingCameras;
    let actions: HTMLElement | null = null;
    if (this.onEdit) {
      const onEdit = this.onEdit;
      const edit = el(
        'button',
        {
          type: 'button',
          class: 'mw-action',
          'data-action': 'edit',
          'data-focus-key': `edit:${site.id}`,
          'aria-label': `Edit ${site.name}`,
        },
        'Edit',
      );
      edit.addEventListener('click', () => onEdit(site, edit));
      actions = cell('actions', 'Actions', el('div', { class: 'row-actions' }, edit));
    }
    return el(
      'tr',
      { class: 'site-row', 'data-site-id': site.id, 'data-pending': String(pending) },
      el(
        'th',
        { scope: 'row', 'data-column': 'name', 'data-label': 'Site' },
        site.name,
        el('span', { class: 'row-id muted' }, site.id),
      ),
      cell('council', 'Council', this.names.council(site.councilId)),
      cell('hub', 'Hub', this.names.hub(site.hubId)),
      cell(
        'networks',
        'Camera networks',
        site.cameraNetworks.length > 0 ? site.cameraNetworks.join(', ') : 'none: no live feeds',
      ),
      cell(
        'pending',
        'Pending cameras',
        pending === 0 ? 'none' : el('span', { class: 'pending-mark' }, `${pending} pending`),
      ),
      cell('registered', 'Registered', `${fmt.dateTime(site.registeredAt)} by ${site.registeredBy}`),
      actions,
    );
  }
}
