import type { Alert, AlertKind, AlertState } from '../../../src/schemas/alert-api.ts';
import { ApiRequestError, hubMessage, UnauthorizedError } from '../api.ts';
import type { Catalog } from '../catalog.ts';
import { el, field, setText } from '../dom.ts';
import type { LiveStore } from '../live.ts';
import { askAcknowledgement } from './acknowledge-dialog.ts';
import type { AlertBookUpdate } from './alert-book.ts';
import { AlertList } from './alert-list.ts';
import {
  ALERT_KINDS,
  type AlertFilter,
  countText,
  KIND_LABEL,
  matchesFilter,
  STATE_LABEL,
} from './alert-words.ts';
import { type AlertsApi, HISTORY_PAGE_SIZE } from './alerts-api.ts';

const STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved'];
/** A burst of live changes asks the history once. */
const HISTORY_REFRESH_MS = 700;

export interface AlertsPanelOptions {
  api: AlertsApi;
  store: LiveStore;
  catalog: Catalog;
  /** Operators and control rooms acknowledge; council officers read. */
  mayAcknowledge: boolean;
}

/**
 * Open, acknowledged and resolved alerts, filtered by council, site and kind, grouped by site.
 * Open alerts are the live socket's (they change as they arrive); acknowledged and resolved ones
 * come from the hub's history, read again when a live change moves an alert into them.
 */
export class AlertsPanel {
  readonly element: HTMLElement;
  private readonly tabs = new Map<AlertState, HTMLButtonElement>();
  private readonly council = el('select', { id: 'alerts-council' });
  private readonly site = el('select', { id: 'alerts-site' });
  private readonly kind = el('select', { id: 'alerts-kind' });
  private readonly summary = el('p', { id: 'alerts-summary', class: 'alerts-summary', role: 'status' });
  private readonly notice = el('p', { id: 'alerts-notice', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'alerts-error', class: 'error', role: 'alert' });
  private readonly list: AlertList;
  private readonly older = el(
    'button',
    { type: 'button', id: 'alerts-older', class: 'secondary', hidden: true },
    'Show older',
  );
  private readonly tabPanel: HTMLElement;
  private readonly openCount = el('span', { id: 'alerts-open-count', class: 'view-badge', hidden: true });
  private state: AlertState = 'open';
  private filter: AlertFilter = {};
  private history: Alert[] = [];
  private next: string | null = null;
  private readSerial = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private active = false;

  constructor(private readonly options: AlertsPanelOptions) {
    this.list = new AlertList({
      catalog: options.catalog,
      onAcknowledge: options.mayAcknowledge ? (alert, button) => void this.acknowledge(alert, button) : null,
    });
    const tabList = el('div', { class: 'alert-tabs', role: 'tablist', 'aria-label': 'Alert state' });
    for (const state of STATES) {
      const tab = el(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `alerts-tab-${state}`,
          class: 'alert-tab',
          'data-state': state,
          'aria-controls': 'alerts-tabpanel',
          'aria-selected': String(state === this.state),
          tabindex: state === this.state ? 0 : -1,
        },
        STATE_LABEL[state],
        state === 'open' ? this.openCount : null,
      );
      tab.addEventListener('click', () => this.setState(state));
      tab.addEventListener('keydown', (event) => this.onTabKey(event, state));
      this.tabs.set(state, tab);
      tabList.append(tab);
    }
    this.kind.append(
      el('option', { value: '' }, 'Any kind'),
      ...ALERT_KINDS.map((kind) => el('option', { value: kind }, KIND_LABEL[kind])),
    );
    for (const select of [this.council, this.site, this.kind])
      select.addEventListener('change', () => this.onFilter(select === this.council));
    this.older.addEventListener('click', () => void this.read(true));
    this.tabPanel = el(
      'div',
      {
        id: 'alerts-tabpanel',
        role: 'tabpanel',
        'aria-labelledby': 'alerts-tab-open',
        class: 'alerts-tabpanel',
      },
      this.summary,
      this.notice,
      this.error,
      this.list.element,
      this.older,
    );
    this.element = el(
      'section',
      { id: 'alerts-panel', class: 'panel admin-panel alerts-panel', 'aria-labelledby': 'alerts-title' },
      el('h2', { id: 'alerts-title', class: 'panel-title' }, 'Alerts by site'),
      el(
        'form',
        { id: 'alerts-filter', class: 'alerts-filter', 'aria-label': 'Filter the alerts' },
        field('Council', this.council),
        field('Site', this.site),
        field('Kind', this.kind),
      ),
      tabList,
      this.tabPanel,
    );
    this.element.querySelector('form')?.addEventListener('submit', (event) => event.preventDefault());
    this.refreshOptions();
  }

  activate(): void {
    this.active = true;
    this.refreshOptions();
    this.show();
  }

  deactivate(): void {
    this.active = false;
    this.readSerial += 1;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    setText(this.notice, '');
  }

  /** Councils and sites known now (the catalog loads after the view is built). */
  refreshOptions(): void {
    const { catalog, store } = this.options;
    const councils = [...catalog.councils.values()].sort((a, b) => a.name.localeCompare(b.name));
    fillSelect(
      this.council,
      'Every council',
      councils.map((c) => [c.id, c.name]),
    );
    const sites = [...store.sites.values()]
      .filter((s) => !this.council.value || s.councilId === this.council.value)
      .sort((a, b) => a.name.localeCompare(b.name));
    fillSelect(
      this.site,
      'Every site',
      sites.map((s) => [s.id, s.name]),
    );
  }

  /** A live alert message: the open list is redrawn; a history tab reads again if it concerns it. */
  applyAlerts(update: AlertBookUpdate): void {
    const count = this.options.store.alertBook.unacknowledgedCount();
    this.openCount.hidden = count === 0;
    setText(this.openCount, String(count));
    if (!this.active) return;
    if (this.state === 'open') {
      this.renderOpen();
      return;
    }
    const concerns =
      update.full || update.alerts.some((a) => a.acknowledgedAt !== null || a.clearedAt !== null);
    // Paged back, the user is reading older records: the list stays as it is.
    if (concerns && this.history.length <= HISTORY_PAGE_SIZE && this.refreshTimer === null)
      this.refreshTimer = setTimeout(() => {
        this.refreshTimer = null;
        if (this.active && this.state !== 'open') void this.read(false);
      }, HISTORY_REFRESH_MS);
  }

  /** Redraws times ("open 5 min"). */
  tick(): void {
    if (this.active && this.state === 'open') this.renderOpen();
  }

  private setState(state: AlertState): void {
    if (state === this.state) return;
    this.state = state;
    for (const [name, tab] of this.tabs) {
      tab.setAttribute('aria-selected', String(name === state));
      tab.tabIndex = name === state ? 0 : -1;
    }
    this.tabPanel.setAttribute('aria-labelledby', `alerts-tab-${state}`);
    setText(this.notice, '');
    this.show();
  }

  /** Arrow keys, Home and End move between the tabs (the WAI-ARIA tabs pattern). */
  private onTabKey(event: KeyboardEvent, state: AlertState): void {
    const i = STATES.indexOf(state);
    const to =
      event.key === 'ArrowRight'
        ? STATES[(i + 1) % STATES.length]
        : event.key === 'ArrowLeft'
          ? STATES[(i + STATES.length - 1) % STATES.length]
          : event.key === 'Home'
            ? STATES[0]
            : event.key === 'End'
              ? STATES[STATES.length - 1]
              : undefined;
    if (!to) return;
    event.preventDefault();
    this.setState(to);
    this.tabs.get(to)?.focus();
  }

  private onFilter(councilChanged: boolean): void {
    if (councilChanged) {
      const site = this.site.value;
      this.refreshOptions();
      const stillThere = [...this.site.options].some((o) => o.value === site);
      this.site.value = stillThere ? site : '';
    }
    this.filter = {
      councilId: this.council.value || undefined,
      siteId: this.site.value || undefined,
      kind: (this.kind.value || undefined) as AlertKind | undefined,
    };
    this.show();
  }

  private show(): void {
    if (!this.active) return;
    setText(this.error, '');
    if (this.state === 'open') {
      this.readSerial += 1;
      this.older.hidden = true;
      this.renderOpen();
    } else void this.read(false);
  }

  private renderOpen(): void {
    const { alertBook } = this.options.store;
    const open = [...alertBook.alerts.values()].filter(
      (a) => a.acknowledgedAt === null && matchesFilter(a, this.filter),
    );
    const sites = new Set(open.map((a) => a.siteId)).size;
    this.element.dataset.state = 'open';
    this.list.render(open, 'open', 'No open alert needs attention.', Date.now());
    setText(
      this.summary,
      !alertBook.received
        ? 'Waiting for the hub…'
        : open.length === 0
          ? `No open alert${this.filtered() ? ' matches the filter' : ''}: every camera and site in view is fine or already acknowledged.`
          : `${countText(open.length, 'open alert', 'open alerts')} at ${countText(sites, 'site', 'sites')}, not yet acknowledged. Live.`,
    );
    this.summary.dataset.count = String(open.length);
  }

  private filtered(): boolean {
    return Boolean(this.filter.councilId || this.filter.siteId || this.filter.kind);
  }

  /** The first page of the history tab (`more` false) or the next older page. */
  private async read(more: boolean): Promise<void> {
    const serial = ++this.readSerial;
    const state = this.state;
    this.older.disabled = true;
    try {
      const page = await this.options.api.history({
        state,
        ...this.filter,
        before: more && this.next !== null ? this.next : undefined,
      });
      if (serial !== this.readSerial || !this.active) return;
      this.history = more ? [...this.history, ...page.alerts] : page.alerts;
      this.next = page.next;
      this.older.hidden = page.next === null;
      this.element.dataset.state = state;
      const word = state === 'resolved' ? 'resolved' : 'acknowledged';
      this.list.render(
        this.history,
        state,
        `No ${word} alert${this.filtered() ? ' matches the filter' : ''}.`,
        Date.now(),
      );
      setText(
        this.summary,
        this.history.length === 0
          ? ''
          : `${countText(this.history.length, `${word} alert`, `${word} alerts`)}, newest first${page.next === null ? '.' : '; older ones follow.'}`,
      );
      this.summary.dataset.count = String(this.history.length);
    } catch (error) {
      if (error instanceof UnauthorizedError || serial !== this.readSerial) return;
      setText(this.error, `Could not read the alert history: ${hubMessage(error)}`);
    } finally {
      if (serial === this.readSerial) this.older.disabled = false;
    }
  }

  private async acknowledge(alert: Alert, button: HTMLButtonElement): Promise<void> {
    const siteName = this.options.catalog.siteName(alert.siteId);
    const comment = await askAcknowledgement(alert, siteName);
    if (comment === null) return;
    button.disabled = true;
    setText(this.error, '');
    try {
      await this.options.api.acknowledge(alert.id, comment);
      // The hub pushes the acknowledged alert to every screen, this one included: it leaves the list.
      setText(this.notice, `Acknowledged: ${KIND_LABEL[alert.kind]} at ${siteName}.`);
      this.tabs.get('open')?.focus();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      button.disabled = false;
      const gone = error instanceof ApiRequestError && error.code === 'ALERT_NOT_OPEN';
      setText(
        this.error,
        gone
          ? `Not acknowledged: ${KIND_LABEL[alert.kind]} at ${siteName} has cleared meanwhile (see Resolved).`
          : `Not acknowledged: ${hubMessage(error)}`,
      );
    }
  }
}

function fillSelect(select: HTMLSelectElement, anyLabel: string, options: [string, string][]): void {
  const value = select.value;
  select.replaceChildren(
    el('option', { value: '' }, anyLabel),
    ...options.map(([id, name]) => el('option', { value: id }, name)),
  );
  if (options.some(([id]) => id === value)) select.value = value;
}
