import type { Delivery, DeliveryState } from '../../../src/schemas/notification-api.ts';
import { hubMessage, UnauthorizedError } from '../api.ts';
import { el, field, setText } from '../dom.ts';
import * as fmt from '../format.ts';
import type { AlertsApi } from './alerts-api.ts';
import { DELIVERY_STATE_LABEL, deliveryKindText, deliveryStateText } from './rule-values.ts';

/** While a delivery is pending the list is read again this often (the view is open). */
const PENDING_REFRESH_MS = 2_000;
/** ...for at most this long after the last change the user made. */
const PENDING_REFRESH_FOR_MS = 120_000;

const CHANNEL_LABEL: Record<Delivery['channel'], string> = {
  email: 'E-mail',
  webhook: 'Webhook',
  mqtt: 'MQTT topic',
};

/**
 * The messages the hub queued for the user's rules, newest first: pending (with the next attempt),
 * delivered, dead (with the last error and a Retry) or held for quiet hours.
 */
export class DeliveryList {
  readonly element: HTMLElement;
  private readonly list = el('ul', { id: 'delivery-list', class: 'delivery-list' });
  private readonly stateFilter = el('select', { id: 'delivery-state' });
  private readonly refresh = el(
    'button',
    { type: 'button', id: 'delivery-refresh', class: 'secondary' },
    'Refresh',
  );
  private readonly status = el('p', { id: 'delivery-status', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'delivery-error', class: 'error', role: 'alert' });
  private timer: ReturnType<typeof setTimeout> | null = null;
  private watchUntilMs = 0;
  private active = false;
  private readSerial = 0;

  constructor(private readonly api: AlertsApi) {
    this.stateFilter.append(
      el('option', { value: '' }, 'Every state'),
      ...(Object.keys(DELIVERY_STATE_LABEL) as DeliveryState[]).map((s) =>
        el('option', { value: s }, DELIVERY_STATE_LABEL[s]),
      ),
    );
    this.stateFilter.addEventListener('change', () => void this.load());
    this.refresh.addEventListener('click', () => void this.load());
    this.element = el(
      'section',
      { id: 'deliveries-panel', class: 'panel admin-panel', 'aria-labelledby': 'deliveries-title' },
      el('h2', { id: 'deliveries-title', class: 'panel-title' }, 'Deliveries'),
      el(
        'p',
        { class: 'muted' },
        'What the hub sent for your rules, newest first. A failed message is tried again with growing waits; after the last attempt it is dead until you retry it.',
      ),
      el('div', { class: 'delivery-tools' }, field('State', this.stateFilter), this.refresh),
      this.status,
      this.error,
      this.list,
    );
  }

  activate(): void {
    this.active = true;
    void this.load();
  }

  deactivate(): void {
    this.active = false;
    this.readSerial += 1;
    this.stopTimer();
  }

  /** Something was just queued: read now and keep reading while it is pending. */
  watch(): void {
    this.watchUntilMs = Date.now() + PENDING_REFRESH_FOR_MS;
    void this.load();
  }

  async load(): Promise<void> {
    this.stopTimer();
    const serial = ++this.readSerial;
    try {
      const state = (this.stateFilter.value || undefined) as DeliveryState | undefined;
      const deliveries = await this.api.deliveries(state ? { state } : {});
      if (serial !== this.readSerial || !this.active) return;
      setText(this.error, '');
      this.render(deliveries);
      if (deliveries.some((d) => d.state === 'pending') && Date.now() < this.watchUntilMs)
        this.timer = setTimeout(() => void this.load(), PENDING_REFRESH_MS);
    } catch (error) {
      if (error instanceof UnauthorizedError || serial !== this.readSerial) return;
      setText(this.error, `Could not read the deliveries: ${hubMessage(error)}`);
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private render(deliveries: readonly Delivery[]): void {
    this.list.replaceChildren(...deliveries.map((d) => this.item(d)));
    if (deliveries.length === 0)
      this.list.append(el('li', { class: 'delivery-empty muted' }, 'No deliveries yet.'));
  }

  private item(delivery: Delivery): HTMLLIElement {
    let retry: HTMLButtonElement | null = null;
    if (delivery.state === 'dead') {
      const button = el(
        'button',
        {
          type: 'button',
          class: 'mw-action',
          'data-action': 'retry',
          'aria-label': `Retry: ${delivery.subject}`,
        },
        'Retry',
      );
      button.addEventListener('click', () => void this.retry(delivery, button));
      retry = button;
    }
    return el(
      'li',
      {
        class: 'delivery-item',
        'data-delivery-id': delivery.id,
        'data-state': delivery.state,
        'data-kind': delivery.kind,
      },
      el(
        'div',
        { class: 'delivery-head' },
        el(
          'span',
          { class: 'delivery-state', 'data-state': delivery.state },
          DELIVERY_STATE_LABEL[delivery.state],
        ),
        el('strong', { class: 'delivery-subject' }, delivery.subject),
        retry,
      ),
      el(
        'p',
        { class: 'delivery-meta muted' },
        `${deliveryKindText(delivery)} · ${CHANNEL_LABEL[delivery.channel]} to ${delivery.target}${delivery.ruleName ? ` · rule ${delivery.ruleName}` : ''} · queued ${fmt.dateTime(delivery.createdAt)}`,
      ),
      el('p', { class: 'delivery-outcome' }, deliveryStateText(delivery)),
    );
  }

  private async retry(delivery: Delivery, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.api.retry(delivery.id);
      setText(this.status, `Queued again: ${delivery.subject}.`);
      this.watch();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      button.disabled = false;
      setText(this.error, `Not retried: ${hubMessage(error)}`);
    }
  }
}
