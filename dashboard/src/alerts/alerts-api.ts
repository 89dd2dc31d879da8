import type {
  Alert,
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertKind,
  AlertRecord,
  AlertState,
} from '../../../src/schemas/alert-api.ts';
import type {
  Delivery,
  DeliveryQuery,
  DeliveryState,
  NotificationRule,
  NotificationRuleCreated,
  NotificationRuleInput,
} from '../../../src/schemas/notification-api.ts';
import type { ApiClient } from '../api.ts';

// Shapes come from the contract in src/schemas (type-only imports keep TypeBox out of the bundle).
export type {
  Alert,
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertKind,
  AlertRecord,
  AlertState,
  Delivery,
  DeliveryQuery,
  DeliveryState,
  NotificationRule,
  NotificationRuleCreated,
  NotificationRuleInput,
};

/** Records per history page; "Show older" asks for the next with `before`. */
export const HISTORY_PAGE_SIZE = 50;

function query(fields: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

const rulePath = (id: string) => `/api/notification-rules/${encodeURIComponent(id)}`;

/**
 * Alerts and notification rules at the hub. The hub scopes everything: council officers read their
 * councils' alerts and their own rules; hub operators read all; auditors are refused.
 */
export class AlertsApi {
  constructor(private readonly api: ApiClient) {}

  history(filter: AlertHistoryQuery): Promise<AlertHistoryPage> {
    return this.api.get(`/api/alerts/history${query({ limit: HISTORY_PAGE_SIZE, ...filter })}`);
  }

  /** Operators and control rooms only; 404 ALERT_NOT_OPEN when it cleared meanwhile. */
  acknowledge(id: string, comment: string): Promise<Alert> {
    return this.api.send(
      'POST',
      `/api/alerts/${encodeURIComponent(id)}/acknowledge`,
      comment ? { comment } : {},
    );
  }

  rules(): Promise<NotificationRule[]> {
    return this.api.get('/api/notification-rules');
  }

  createRule(input: NotificationRuleInput): Promise<NotificationRuleCreated> {
    return this.api.send('POST', '/api/notification-rules', input);
  }

  updateRule(id: string, input: NotificationRuleInput): Promise<NotificationRule> {
    return this.api.send('PUT', rulePath(id), input);
  }

  deleteRule(id: string): Promise<void> {
    return this.api.send('DELETE', rulePath(id));
  }

  sendTest(id: string): Promise<Delivery> {
    return this.api.send('POST', `${rulePath(id)}/test`);
  }

  sendDigest(id: string): Promise<Delivery> {
    return this.api.send('POST', `${rulePath(id)}/digest`);
  }

  rotateSecret(id: string): Promise<NotificationRuleCreated> {
    return this.api.send('POST', `${rulePath(id)}/rotate-secret`);
  }

  deliveries(filter: DeliveryQuery): Promise<Delivery[]> {
    return this.api.get(`/api/notifications${query({ limit: 50, ...filter })}`);
  }

  retry(id: string): Promise<Delivery> {
    return this.api.send('POST', `/api/notifications/${encodeURIComponent(id)}/retry`);
  }
}
