import { hubMessage, UnauthorizedError } from '../api.ts';
import { el, setText } from '../dom.ts';
import type { LiveStore } from '../live.ts';
import { saveFile } from '../save-file.ts';
import { AUDIT_PAGE_SIZE, type AuditApi, type AuditFilter, type AuditVerifyResult } from './audit-api.ts';
import { AuditFilterForm, FilterProblem } from './audit-filter-form.ts';
import { AuditTable } from './audit-table.ts';
import { FILTER_LABELS } from './audit-words.ts';

export interface AuditViewOptions {
  api: AuditApi;
  store: LiveStore;
  /** Auditors and hub operators verify the chain; council officers only read their entries. */
  mayVerify: boolean;
}

/** The hub names query fields as `querystring/from`; the view says them with the form's labels. */
function inFilterWords(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(
    /\bquerystring\/(\w+)/g,
    (_, name: string) => FILTER_LABELS[name] ?? name,
  );
  return hubMessage(text);
}

/** What verification found, in a sentence or two. */
function verifyWords(result: AuditVerifyResult): string {
  if (result.ok)
    return `Chain intact: all ${result.checked} ${result.checked === 1 ? 'entry' : 'entries'} checked, each one follows the one before and matches its hash.`;
  const problem = result.problem;
  if (!problem) return hubMessage(result.message);
  return `Chain broken at entry ${problem.seq}: ${hubMessage(problem.message)} ${result.checked} ${result.checked === 1 ? 'entry' : 'entries'} before it checked out; entries from ${problem.seq} on cannot be trusted.`;
}

/**
 * The audit log for auditors, hub operators and council officers: filter, read page by page
 * (newest first, "Show older entries" asks with `before`), export the filter as CSV, and verify the
 * hash chain. The log is read when the view is shown and on each filter.
 */
export class AuditView {
  readonly element: HTMLElement;
  private readonly form: AuditFilterForm;
  private readonly table = new AuditTable();
  private readonly summary = el('p', { id: 'audit-summary', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'audit-error', class: 'error', role: 'alert' });
  private readonly older = el(
    'button',
    { type: 'button', id: 'audit-older', class: 'secondary', hidden: true },
    'Show older entries',
  );
  private readonly exportButton = el(
    'button',
    { type: 'button', id: 'audit-export', class: 'secondary' },
    'Export CSV',
  );
  private readonly exportStatus = el('p', { id: 'audit-export-status', class: 'audit-note', role: 'status' });
  private readonly verifyButton = el(
    'button',
    { type: 'button', id: 'audit-verify', class: 'primary' },
    'Verify chain',
  );
  private readonly verifyResult = el('p', {
    id: 'audit-verify-result',
    class: 'audit-verify-result',
    role: 'status',
  });
  private filter: AuditFilter = {};
  private nextBefore: number | null = null;
  private shown = 0;
  /** Each read bumps this; an answer to an older read is dropped. */
  private readSerial = 0;
  private active = false;

  constructor(private readonly options: AuditViewOptions) {
    this.form = new AuditFilterForm((filter) => {
      if (filter instanceof FilterProblem) {
        this.fail(filter.message);
        filter.control.focus();
        return;
      }
      this.filter = filter;
      void this.read(false);
    });
    this.older.addEventListener('click', () => void this.read(true));
    this.exportButton.addEventListener('click', () => void this.exportCsv());
    this.verifyButton.addEventListener('click', () => void this.verify());
    this.element = el(
      'div',
      { id: 'view-audit', class: 'admin-view audit-view', hidden: true },
      el('h1', { class: 'visually-hidden' }, 'Audit log'),
      el(
        'div',
        { class: 'admin-layout audit-layout' },
        el(
          'section',
          { id: 'audit-filters', class: 'panel admin-panel', 'aria-labelledby': 'audit-filters-title' },
          el('h2', { id: 'audit-filters-title', class: 'panel-title' }, 'Filter'),
          this.form.element,
        ),
        el(
          'section',
          { id: 'audit-entries', class: 'panel admin-panel', 'aria-labelledby': 'audit-entries-title' },
          el(
            'div',
            { class: 'audit-entries-head' },
            el('h2', { id: 'audit-entries-title', class: 'panel-title' }, 'Audit log'),
            this.exportButton,
          ),
          this.exportStatus,
          this.summary,
          this.error,
          this.table.element,
          this.older,
        ),
        options.mayVerify
          ? el(
              'section',
              { id: 'audit-chain', class: 'panel admin-panel', 'aria-labelledby': 'audit-chain-title' },
              el('h2', { id: 'audit-chain-title', class: 'panel-title' }, 'Hash chain'),
              el(
                'p',
                { class: 'muted' },
                'Each entry holds the hash of the one before, so a changed, removed or inserted entry breaks the chain from there on.',
              ),
              this.verifyButton,
              this.verifyResult,
            )
          : null,
      ),
    );
  }

  activate(): void {
    this.element.hidden = false;
    this.active = true;
    this.form.setCameraIds([...this.options.store.cameras.keys()]);
    void this.read(false);
  }

  deactivate(): void {
    this.element.hidden = true;
    this.active = false;
    this.readSerial += 1;
  }

  stop(): void {
    this.deactivate();
  }

  /** The first page for the filter (`more` false) or the next older page. */
  private async read(more: boolean): Promise<void> {
    const serial = ++this.readSerial;
    const before = more ? this.nextBefore : null;
    this.older.disabled = true;
    setText(this.error, '');
    try {
      const page = await this.options.api.page(this.filter, before);
      if (serial !== this.readSerial || !this.active) return;
      this.table.render(page.entries, more);
      this.shown = (more ? this.shown : 0) + page.entries.length;
      this.nextBefore = page.nextBefore;
      this.older.hidden = page.nextBefore === null;
      this.summary.dataset.count = String(this.shown);
      setText(
        this.summary,
        this.shown === 0
          ? 'No entry matches this filter.'
          : `Showing ${this.shown} ${this.shown === 1 ? 'entry' : 'entries'}, newest first${page.nextBefore === null ? '.' : `; older ones follow in pages of ${AUDIT_PAGE_SIZE}.`}`,
      );
    } catch (error) {
      if (error instanceof UnauthorizedError || serial !== this.readSerial) return;
      if (!more) {
        this.table.clear();
        this.older.hidden = true;
      }
      setText(this.summary, '');
      this.fail(`Could not read the audit log: ${inFilterWords(error)}`);
    } finally {
      if (serial === this.readSerial) this.older.disabled = false;
    }
  }

  private async exportCsv(): Promise<void> {
    this.exportButton.disabled = true;
    this.exportStatus.classList.remove('error');
    setText(this.exportStatus, 'Preparing the CSV…');
    try {
      const { blob, fileName } = await this.options.api.exportCsv(this.filter);
      const name = fileName ?? 'cctv-audit-log.csv';
      saveFile(blob, name);
      setText(this.exportStatus, `Downloaded ${name} with the entries this filter matches.`);
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.exportStatus.classList.add('error');
      setText(this.exportStatus, `No CSV: ${inFilterWords(error)}`);
    } finally {
      this.exportButton.disabled = false;
    }
  }

  private async verify(): Promise<void> {
    this.verifyButton.disabled = true;
    this.verifyResult.dataset.result = 'checking';
    setText(this.verifyResult, 'Checking every entry…');
    try {
      const result = await this.options.api.verify();
      this.verifyResult.dataset.result = result.ok ? 'ok' : 'broken';
      if (result.problem) this.verifyResult.dataset.seq = String(result.problem.seq);
      else delete this.verifyResult.dataset.seq;
      setText(this.verifyResult, verifyWords(result));
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.verifyResult.dataset.result = 'failed';
      setText(this.verifyResult, `Could not verify the chain: ${hubMessage(error)}`);
    } finally {
      this.verifyButton.disabled = false;
    }
  }

  private fail(message: string): void {
    setText(this.error, message);
  }
}
