import type { Alert, AlertState } from '../../../src/schemas/alert-api.ts';
import type { Catalog } from '../catalog.ts';
import { el } from '../dom.ts';
import * as fmt from '../format.ts';
import { camerasText, countText, duration, groupBySite, KIND_LABEL, SEVERITY_LABEL } from './alert-words.ts';

export interface AlertListOptions {
  catalog: Catalog;
  /** Operators and control rooms acknowledge open alerts; null for those who only read. */
  onAcknowledge: ((alert: Alert, button: HTMLButtonElement) => void) | null;
}

/** A time as text, with the machine-readable value and the full date on hover. */
function timeText(iso: string): HTMLTimeElement {
  return el('time', { datetime: iso, title: iso }, fmt.dateTime(iso));
}

function row(label: string, ...value: (Node | string)[]): HTMLElement[] {
  return [el('dt', {}, label), el('dd', {}, ...value)];
}

/**
 * Alerts grouped under their site: a heading per site (with its council) and a card per alert with
 * its kind in words, severity, message, the cameras it concerns, when it opened, who acknowledged
 * it with what comment, and when it was resolved.
 */
export class AlertList {
  readonly element = el('div', { id: 'alert-groups', class: 'alert-groups' });

  constructor(private readonly options: AlertListOptions) {}

  render(alerts: readonly Alert[], state: AlertState, emptyText: string, nowMs: number): void {
    const { catalog } = this.options;
    const groups = groupBySite(alerts, (id) => catalog.siteName(id));
    if (groups.length === 0) {
      this.element.replaceChildren(el('p', { class: 'alert-empty muted' }, emptyText));
      return;
    }
    this.element.replaceChildren(
      ...groups.map((group) => {
        const headingId = `alert-site-${group.siteId}`;
        return el(
          'section',
          { class: 'alert-site', 'data-site-id': group.siteId, 'aria-labelledby': headingId },
          el(
            'h3',
            { id: headingId, class: 'alert-site-title' },
            catalog.siteName(group.siteId),
            el(
              'span',
              { class: 'alert-site-meta' },
              ` · ${catalog.councilName(group.councilId)} · ${countText(group.alerts.length, 'alert', 'alerts')}`,
            ),
          ),
          el('ul', { class: 'alert-items' }, ...group.alerts.map((alert) => this.item(alert, state, nowMs))),
        );
      }),
    );
  }

  private item(alert: Alert, state: AlertState, nowMs: number): HTMLLIElement {
    const { catalog, onAcknowledge } = this.options;
    const uid = (alert as Alert & { uid?: string }).uid;
    const details: HTMLElement[] = [
      ...row(
        'Opened',
        timeText(alert.openedAt),
        alert.clearedAt === null ? ` (open ${duration(alert.openedAt, nowMs)})` : '',
      ),
    ];
    if (alert.cameraIds.length > 0)
      details.push(
        ...row(
          alert.cameraIds.length === 1 ? 'Camera' : `Cameras (${alert.cameraIds.length})`,
          el(
            'span',
            { title: alert.cameraIds.join(', ') },
            camerasText(alert.cameraIds, (id) => catalog.cameraName(id)),
          ),
        ),
      );
    if (alert.acknowledgedAt !== null)
      details.push(
        ...row('Acknowledged', timeText(alert.acknowledgedAt), ` by ${alert.acknowledgedBy ?? 'unknown'}`),
        ...row('Comment', el('span', { class: 'alert-comment' }, alert.ackComment ?? 'none')),
      );
    if (alert.clearedAt !== null)
      details.push(
        ...row(
          'Resolved',
          timeText(alert.clearedAt),
          ` (after ${duration(alert.openedAt, Date.parse(alert.clearedAt))})`,
        ),
      );
    let acknowledge: HTMLButtonElement | null = null;
    if (onAcknowledge && state === 'open' && alert.acknowledgedAt === null && alert.clearedAt === null) {
      const button = el(
        'button',
        {
          type: 'button',
          class: 'mw-action alert-ack',
          'data-action': 'acknowledge',
          'aria-label': `Acknowledge ${KIND_LABEL[alert.kind]} at ${catalog.siteName(alert.siteId)}`,
        },
        'Acknowledge',
      );
      button.addEventListener('click', () => onAcknowledge(alert, button));
      acknowledge = button;
    }
    return el(
      'li',
      {
        class: 'alert-item',
        'data-alert-id': alert.id,
        'data-uid': uid ?? null,
        'data-kind': alert.kind,
        'data-severity': alert.severity,
        'data-acknowledged': String(alert.acknowledgedAt !== null),
      },
      el(
        'div',
        { class: 'alert-head' },
        el(
          'span',
          { class: 'alert-severity', 'data-severity': alert.severity },
          SEVERITY_LABEL[alert.severity],
        ),
        el('strong', { class: 'alert-kind' }, KIND_LABEL[alert.kind]),
        acknowledge,
      ),
      el('p', { class: 'alert-message' }, alert.message),
      el('dl', { class: 'alert-details' }, ...details),
    );
  }
}
