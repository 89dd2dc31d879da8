import { el } from '../dom.ts';
import * as fmt from '../format.ts';
import type { AuditEntry } from './audit-api.ts';
import { KIND_LABEL, subjectWords } from './audit-words.ts';

const COLUMNS = ['Entry', 'What', 'When', 'Who', 'Subject', 'Incident', 'Reason'] as const;

/**
 * The log's entries, newest first, as a table; at phone width the styles turn each row into a card
 * whose values are led by their column's name (`data-label`).
 */
export class AuditTable {
  readonly element: HTMLElement;
  private readonly body = el('tbody');

  constructor() {
    this.element = el(
      'div',
      { class: 'audit-table-scroll' },
      el(
        'table',
        { id: 'audit-table', class: 'admin-table audit-table' },
        el('caption', { class: 'visually-hidden' }, 'Audit log entries, newest first'),
        el('thead', {}, el('tr', {}, ...COLUMNS.map((name) => el('th', { scope: 'col' }, name)))),
        this.body,
      ),
    );
  }

  /** Replaces the rows (`append` false) or adds an older page under them. */
  render(entries: readonly AuditEntry[], append: boolean): void {
    const rows = entries.map((entry) => row(entry));
    if (append) this.body.append(...rows);
    else if (rows.length > 0) this.body.replaceChildren(...rows);
    else
      this.body.replaceChildren(
        el(
          'tr',
          { class: 'empty-row' },
          el('td', { colspan: COLUMNS.length }, 'No entry matches this filter.'),
        ),
      );
  }

  clear(): void {
    this.body.replaceChildren();
  }
}

function cell(label: string, column: string, ...content: (Node | string | null)[]): HTMLElement {
  return el('td', { 'data-label': label, 'data-column': column }, ...content);
}

function row(entry: AuditEntry): HTMLTableRowElement {
  return el(
    'tr',
    { class: 'audit-row', 'data-seq': entry.seq, 'data-kind': entry.kind },
    cell('Entry', 'seq', `#${entry.seq}`),
    el(
      'th',
      { scope: 'row', 'data-column': 'kind' },
      KIND_LABEL[entry.kind] ?? entry.kind,
      el('code', { class: 'audit-kind-code' }, entry.kind),
    ),
    cell('When', 'at', el('time', { datetime: entry.at, title: entry.at }, fmt.dateTime(entry.at))),
    cell(
      'Who',
      'actor',
      el(
        'span',
        {},
        el('span', { class: 'audit-actor' }, entry.actor),
        entry.role ? el('span', { class: 'row-id' }, entry.role) : null,
      ),
    ),
    cell('Subject', 'subject', subjectWords(entry.subject)),
    cell('Incident', 'incident', entry.incidentRef ?? ''),
    cell('Reason', 'reason', entry.reason ?? ''),
  );
}
