import { el } from '../dom.ts';
import * as fmt from '../format.ts';
import type { SiteRecord } from './registry-api.ts';

interface Names {
  council: (id: string) => string;
  hub: (id: string) => string;
}

const COLUMNS = [
  'Site',
  'Council',
  'Hub',
  'Link',
  'Site box',
  'Camera networks',
  'Pending cameras',
  'Registered',
] as const;

const LINK_TEXT: Record<string, string> = { online: 'Online', offline: 'Offline', unknown: 'Not heard from' };
const ENROLMENT_TEXT: Record<SiteRecord['enrolment'], string> = {
  none: 'Not enrolled: no code issued',
  'code-issued': 'Code issued, not used yet',
  'code-expired': 'Code expired unused: issue a new one',
  enrolled: 'Enrolled',
};

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
    /** Hub operators: issue a one-time enrolment code for the site's box. */
    private readonly onCode: ((site: SiteRecord, button: HTMLButtonElement) => void) | null = null,
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
      const buttons: HTMLElement[] = [edit];
      if (this.onCode) {
        const onCode = this.onCode;
        const code = el(
          'button',
          {
            type: 'button',
            class: 'mw-action',
            'data-action': 'enrolment-code',
            'data-focus-key': `code:${site.id}`,
            'aria-label': `Enrolment code for ${site.name}`,
          },
          'Enrolment code',
        );
        code.addEventListener('click', () => onCode(site, code));
        buttons.push(code);
      }
      actions = cell('actions', 'Actions', el('div', { class: 'row-actions' }, ...buttons));
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
        'link',
        'Link',
        el(
          'div',
          {},
          el('span', { class: 'link-state', 'data-link': site.link }, LINK_TEXT[site.link] ?? site.link),
          site.lastSeenAt
            ? el('span', { class: 'row-id muted' }, `last seen ${fmt.dateTime(site.lastSeenAt)}`)
            : '',
        ),
      ),
      cell(
        'agent',
        'Site box',
        el(
          'div',
          {},
          el('span', { 'data-enrolment': site.enrolment }, ENROLMENT_TEXT[site.enrolment]),
          el(
            'span',
            { class: 'row-id muted' },
            [
              site.agentVersion ? `agent ${site.agentVersion}` : null,
              site.agentClockOffsetMs === null
                ? null
                : `clock ${fmt.offset(site.agentClockOffsetMs)} off the hub's`,
              outboxText(site.outbox),
              site.enrolledAt ? `enrolled ${fmt.dateTime(site.enrolledAt)}` : null,
              `${site.approvedCameras} camera${site.approvedCameras === 1 ? '' : 's'} approved`,
            ]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
      ),
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

/** What the site box holds for the hub: nothing waiting, or a backlog and how full the outbox is. */
export function outboxText(outbox: SiteRecord['outbox']): string | null {
  if (outbox === null) return null;
  const full = outbox.maxBytes > 0 ? Math.round((outbox.bytes / outbox.maxBytes) * 100) : 0;
  const waiting =
    outbox.records === 0
      ? 'outbox empty'
      : `outbox ${outbox.records.toLocaleString('en-GB')} waiting (${full}% full)`;
  return outbox.dropped > 0 ? `${waiting}, ${outbox.dropped.toLocaleString('en-GB')} dropped` : waiting;
}
