import type { Catalog } from '../catalog.ts';
import { el } from '../dom.ts';
import type { LiveStore } from '../live.ts';
import type { AlertBookUpdate } from './alert-book.ts';
import type { AlertsApi } from './alerts-api.ts';
import { AlertsPanel } from './alerts-panel.ts';
import { NotificationSettings } from './notification-settings.ts';

/** Open alerts' "open for 5 min" is redrawn this often. */
const TICK_MS = 30_000;

type Page = 'alerts' | 'notifications';

export interface AlertsViewOptions {
  api: AlertsApi;
  store: LiveStore;
  catalog: Catalog;
  role: 'operator' | 'controlroom' | 'council';
}

/**
 * The Alerts view: the alerts by site (open ones live), and next to them, as Grafana and Uptime
 * Kuma users look for it, the user's notification settings (rules and deliveries).
 */
export class AlertsView {
  readonly element: HTMLElement;
  private readonly alerts: AlertsPanel;
  private readonly notifications: NotificationSettings;
  private readonly pageButtons = new Map<Page, HTMLButtonElement>();
  private readonly pages: Record<Page, HTMLElement>;
  private page: Page = 'alerts';
  private ticker: ReturnType<typeof setInterval> | null = null;
  private active = false;

  constructor(options: AlertsViewOptions) {
    this.alerts = new AlertsPanel({
      api: options.api,
      store: options.store,
      catalog: options.catalog,
      mayAcknowledge: options.role === 'operator' || options.role === 'controlroom',
    });
    this.notifications = new NotificationSettings({
      api: options.api,
      store: options.store,
      catalog: options.catalog,
      operator: options.role === 'operator',
    });
    this.pages = {
      alerts: el('div', { id: 'alerts-page', class: 'alerts-page' }, this.alerts.element),
      notifications: el(
        'div',
        { id: 'notifications-page', class: 'alerts-page', hidden: true },
        this.notifications.element,
      ),
    };
    const nav = el('nav', { class: 'alerts-pages', 'aria-label': 'Alerts and notifications' });
    for (const [page, label] of [
      ['alerts', 'Alerts'],
      ['notifications', 'Notification settings'],
    ] as const) {
      const button = el(
        'button',
        {
          type: 'button',
          id: `alerts-page-${page}`,
          class: 'alerts-page-button',
          'aria-pressed': String(page === this.page),
          'aria-controls': this.pages[page].id,
        },
        label,
      );
      button.addEventListener('click', () => this.showPage(page));
      this.pageButtons.set(page, button);
      nav.append(button);
    }
    this.element = el(
      'div',
      { id: 'view-alerts', class: 'admin-view alerts-view', hidden: true },
      el('h1', { class: 'visually-hidden' }, 'Alerts'),
      el('div', { class: 'alerts-layout' }, nav, this.pages.alerts, this.pages.notifications),
    );
  }

  activate(): void {
    this.element.hidden = false;
    this.active = true;
    this.showPage(this.page);
    this.ticker ??= setInterval(() => this.alerts.tick(), TICK_MS);
  }

  deactivate(): void {
    this.element.hidden = true;
    this.active = false;
    this.alerts.deactivate();
    this.notifications.deactivate();
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  stop(): void {
    this.deactivate();
  }

  applyAlerts(update: AlertBookUpdate): void {
    this.alerts.applyAlerts(update);
  }

  /** Councils and sites arrived (after the view was built). */
  refreshOptions(): void {
    this.alerts.refreshOptions();
    this.notifications.refreshChoices();
  }

  private showPage(page: Page): void {
    this.page = page;
    for (const [name, button] of this.pageButtons) button.setAttribute('aria-pressed', String(name === page));
    this.pages.alerts.hidden = page !== 'alerts';
    this.pages.notifications.hidden = page !== 'notifications';
    if (!this.active) return;
    if (page === 'alerts') {
      this.notifications.deactivate();
      this.alerts.activate();
    } else {
      this.alerts.deactivate();
      this.notifications.activate();
    }
  }
}
