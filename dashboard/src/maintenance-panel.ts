import type {
  MaintenanceScopeKind,
  MaintenanceWindowView,
  Recurrence,
} from '../../src/schemas/maintenance.ts';
import { UnauthorizedError } from './api.ts';
import type { Catalog } from './catalog.ts';
import { type ConfirmOptions, confirmAction } from './confirm-dialog.ts';
import type { CouncilApi } from './council-api.ts';
import { clear, el, setText } from './dom.ts';
import { inFormWords, MAINTENANCE_LABELS } from './field-words.ts';
import * as fmt from './format.ts';
import type { LiveStore } from './live.ts';

interface MaintenancePanelOptions {
  api: CouncilApi;
  store: LiveStore;
  catalog: Catalog;
  /** Hub operators and council officers; the hub refuses writes from the other roles anyway. */
  canWrite: boolean;
}

type Phase = 'future' | 'running' | 'over';

/** `<input type="datetime-local">` value for a time, in the browser's zone. */
function localInputValue(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value is wall-clock time in the browser's zone; `new Date` reads it as such. */
function toIso(localValue: string): string | null {
  const ms = new Date(localValue).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function phaseOf(w: MaintenanceWindowView, nowMs: number): Phase {
  if (Date.parse(w.startsAt) > nowMs) return 'future';
  if (w.endedAt !== null || w.next.length === 0) return 'over';
  return 'running';
}

/** The council's maintenance windows (its own, its sites' and its cameras'), with create, end and delete. */
export class MaintenancePanel {
  readonly element: HTMLElement;
  private readonly list = el('ul', { id: 'maintenance-list', class: 'maintenance-list' });
  private readonly error = el('p', { id: 'maintenance-error', class: 'error', role: 'alert' });
  private readonly form: HTMLFormElement;
  private readonly scope = el('select', { id: 'mw-scope', name: 'scope' });
  private readonly target = el('select', { id: 'mw-target', name: 'scopeId' });
  private readonly title = el('input', { id: 'mw-title', name: 'title', required: true, maxlength: 200 });
  private readonly reason = el('input', { id: 'mw-reason', name: 'reason', maxlength: 2000 });
  private readonly startsAt = el('input', {
    id: 'mw-start',
    name: 'startsAt',
    type: 'datetime-local',
    required: true,
  });
  private readonly endsAt = el('input', {
    id: 'mw-end',
    name: 'endsAt',
    type: 'datetime-local',
    required: true,
  });
  private readonly recurrence = el('select', { id: 'mw-recurrence', name: 'recurrence' });
  private readonly until = el('input', { id: 'mw-until', name: 'until', type: 'datetime-local' });
  private readonly formError = el('p', { id: 'maintenance-form-error', class: 'error', role: 'alert' });
  private councilId: string | null = null;
  private windows: MaintenanceWindowView[] = [];

  constructor(private readonly options: MaintenancePanelOptions) {
    for (const kind of ['council', 'site', 'camera'] as const)
      this.scope.append(el('option', { value: kind }, kind));
    for (const r of ['none', 'weekly', 'monthly'] as const)
      this.recurrence.append(el('option', { value: r }, r));
    this.scope.addEventListener('change', () => this.fillTargets());
    const field = (label: string, input: HTMLElement) =>
      el('label', { class: 'field' }, el('span', { class: 'field-label' }, label), input);
    const submit = el('button', { type: 'submit', class: 'primary', id: 'mw-submit' }, 'Schedule window');
    this.form = el(
      'form',
      {
        id: 'maintenance-form',
        class: 'maintenance-form',
        novalidate: true,
        'aria-label': 'New maintenance window',
      },
      field('Scope', this.scope),
      field('Applies to', this.target),
      field('Title', this.title),
      field('Reason', this.reason),
      field('Starts (local time)', this.startsAt),
      field('Ends (local time)', this.endsAt),
      field('Repeats', this.recurrence),
      field('Until (optional)', this.until),
      el('div', { class: 'form-actions' }, submit, this.formError),
    );
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create(submit);
    });
    this.element = el(
      'section',
      { class: 'panel maintenance-panel', id: 'maintenance-panel', 'aria-labelledby': 'maintenance-title' },
      el('h2', { id: 'maintenance-title', class: 'panel-title' }, 'Maintenance windows'),
      this.error,
      this.list,
      options.canWrite ? el('h3', { class: 'section-title' }, 'Schedule a window') : null,
      options.canWrite ? this.form : null,
    );
  }

  setCouncil(councilId: string | null): void {
    this.councilId = councilId;
    this.windows = [];
    setText(this.error, '');
    this.fillTargets();
    this.resetTimes();
    this.render();
    if (councilId !== null) void this.load();
  }

  stop(): void {
    this.councilId = null;
  }

  /** The first live snapshot names the council's sites and cameras: refill targets and the list. */
  applySnapshot(): void {
    const selected = this.target.value;
    this.fillTargets();
    if (selected) this.target.value = selected;
    if (this.councilId !== null) void this.load();
  }

  private async load(): Promise<void> {
    const councilId = this.councilId;
    try {
      const all = await this.options.api.maintenance();
      if (this.councilId !== councilId) return;
      // GET /api/maintenance filters by one exact scope only, so the council's site and camera windows
      // are picked from the whole (role-scoped) list here.
      this.windows = all.filter((w) => this.belongsToCouncil(w));
      this.render();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.error, `Could not load maintenance windows: ${(error as Error).message}`);
    }
  }

  private belongsToCouncil(w: MaintenanceWindowView): boolean {
    const { store } = this.options;
    switch (w.scope) {
      case 'council':
        return w.scopeId === this.councilId;
      case 'site':
        return store.sites.get(w.scopeId)?.councilId === this.councilId;
      case 'camera':
        return store.cameras.get(w.scopeId)?.councilId === this.councilId;
    }
  }

  private scopeName(kind: MaintenanceScopeKind, id: string): string {
    const { store, catalog } = this.options;
    if (kind === 'council') return catalog.councilName(id);
    if (kind === 'site') return catalog.siteName(id);
    return store.cameras.get(id)?.name ?? id;
  }

  private fillTargets(): void {
    const councilId = this.councilId;
    const kind = this.scope.value as MaintenanceScopeKind;
    const { store } = this.options;
    clear(this.target);
    if (councilId === null) return;
    let ids: string[];
    if (kind === 'council') ids = [councilId];
    else if (kind === 'site')
      ids = [...store.sites.values()].filter((s) => s.councilId === councilId).map((s) => s.id);
    else ids = [...store.cameras.values()].filter((c) => c.councilId === councilId).map((c) => c.id);
    for (const id of ids.sort())
      this.target.append(
        el('option', { value: id }, `${this.scopeName(kind, id)}${kind === 'council' ? '' : ` (${id})`}`),
      );
  }

  private resetTimes(): void {
    // A suggestion an hour ahead, on the hour, for an hour.
    const startMs = Math.ceil((Date.now() + 3_600_000) / 3_600_000) * 3_600_000;
    this.startsAt.value = localInputValue(startMs);
    this.endsAt.value = localInputValue(startMs + 3_600_000);
  }

  private render(): void {
    clear(this.list);
    const nowMs = Date.now();
    if (this.windows.length === 0) {
      this.list.append(
        el('li', { class: 'muted empty' }, this.councilId === null ? '' : 'No maintenance windows.'),
      );
      return;
    }
    const sorted = [...this.windows].sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
    for (const w of sorted) {
      const phase = phaseOf(w, nowMs);
      const next = w.next[0];
      const actions = el('div', { class: 'mw-actions' });
      if (this.options.canWrite && phase === 'running') {
        actions.append(
          this.actionButton('End now', 'end', () => this.options.api.endMaintenance(w.id), {
            title: `End the window ${w.title} now?`,
            message:
              'The cameras it covers count again from now: downtime after this moment is charged to them. The window keeps its record.',
            confirmLabel: 'End window',
            tone: 'primary',
          }),
        );
      }
      if (this.options.canWrite && phase === 'future') {
        actions.append(
          this.actionButton('Delete', 'delete', () => this.options.api.deleteMaintenance(w.id), {
            title: `Delete the window ${w.title}?`,
            message: `It has not started (${fmt.dateTime(w.startsAt)}); once deleted, its cameras are monitored as usual then.`,
            confirmLabel: 'Delete window',
          }),
        );
      }
      this.list.append(
        el(
          'li',
          { class: 'mw-item', 'data-window-id': w.id, 'data-phase': phase },
          el(
            'div',
            { class: 'mw-head' },
            el('strong', { class: 'mw-title' }, w.title),
            el('span', { class: 'mw-phase', 'data-phase': phase }, phase),
          ),
          el('div', { class: 'mw-scope muted' }, `${w.scope}: ${this.scopeName(w.scope, w.scopeId)}`),
          el(
            'div',
            { class: 'mw-time' },
            `${fmt.dateTime(w.startsAt)} → ${fmt.dateTime(w.endsAt)}`,
            w.recurrence === 'none'
              ? ''
              : ` · repeats ${w.recurrence}${w.until ? ` until ${fmt.dateTime(w.until)}` : ''}`,
          ),
          next && w.recurrence !== 'none'
            ? el(
                'div',
                { class: 'mw-next muted' },
                `Next: ${fmt.dateTime(next.from)} → ${fmt.dateTime(next.to)}`,
              )
            : null,
          w.endedAt ? el('div', { class: 'mw-ended muted' }, `Ended ${fmt.dateTime(w.endedAt)}`) : null,
          w.reason ? el('div', { class: 'mw-reason' }, w.reason) : null,
          actions,
        ),
      );
    }
  }

  private actionButton(
    label: string,
    action: string,
    work: () => Promise<unknown>,
    confirm: ConfirmOptions,
  ): HTMLButtonElement {
    const button = el('button', { type: 'button', class: 'mw-action', 'data-action': action }, label);
    button.addEventListener('click', async () => {
      if (!(await confirmAction(confirm))) return;
      button.disabled = true;
      setText(this.error, '');
      work()
        .then(() => this.load())
        .catch((error: unknown) => {
          if (error instanceof UnauthorizedError) return;
          button.disabled = false;
          setText(this.error, inFormWords(error, MAINTENANCE_LABELS));
        });
    });
    return button;
  }

  private async create(submit: HTMLButtonElement): Promise<void> {
    setText(this.formError, '');
    const startsAt = toIso(this.startsAt.value);
    const endsAt = toIso(this.endsAt.value);
    const until = this.until.value ? toIso(this.until.value) : null;
    if (!this.target.value) return setText(this.formError, 'Choose what the window applies to.');
    if (!this.title.value.trim()) return setText(this.formError, 'Enter a title.');
    if (startsAt === null || endsAt === null) return setText(this.formError, 'Enter a start and an end.');
    submit.disabled = true;
    try {
      await this.options.api.createMaintenance({
        scope: this.scope.value as MaintenanceScopeKind,
        scopeId: this.target.value,
        title: this.title.value.trim(),
        reason: this.reason.value.trim(),
        startsAt,
        endsAt,
        recurrence: this.recurrence.value as Recurrence,
        until,
      });
      this.title.value = '';
      this.reason.value = '';
      this.until.value = '';
      await this.load();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.formError, inFormWords(error, MAINTENANCE_LABELS));
    } finally {
      submit.disabled = false;
    }
  }
}
