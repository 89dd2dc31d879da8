import type { Alert, AlertChanges, AlertList } from '../../../src/schemas/alert-api.ts';

/** A message the socket delivered: its sequence number (to acknowledge) and the alerts it changed. */
export interface AlertBookUpdate {
  seq: number;
  /** A full list replaced what was held. */
  full: boolean;
  /** The alerts the message carried, cleared ones included. */
  alerts: readonly Alert[];
}

function wellFormed(message: unknown): message is { seq: number; alerts: Alert[] } {
  const m = message as { seq?: unknown; alerts?: unknown } | null;
  return typeof m?.seq === 'number' && Number.isSafeInteger(m.seq) && Array.isArray(m.alerts);
}

/**
 * The open alerts in the user's scope, as the live socket delivers them: an `alerts` list replaces
 * everything, `alert:changes` adds and updates, and drops what cleared. The hub validates what it
 * sends; only the envelope is checked here, so a malformed message is ignored (and not acknowledged,
 * which makes the hub send a fresh list).
 */
export class AlertBook {
  readonly alerts = new Map<string, Alert>();
  /** A list has arrived since the socket connected. */
  received = false;

  applyList(message: AlertList | unknown): AlertBookUpdate | null {
    if (!wellFormed(message)) return null;
    this.alerts.clear();
    for (const alert of message.alerts) if (alert.clearedAt === null) this.alerts.set(alert.id, alert);
    this.received = true;
    return { seq: message.seq, full: true, alerts: message.alerts };
  }

  applyChanges(message: AlertChanges | unknown): AlertBookUpdate | null {
    if (!wellFormed(message)) return null;
    for (const alert of message.alerts) {
      if (alert.clearedAt === null) this.alerts.set(alert.id, alert);
      else this.alerts.delete(alert.id);
    }
    return { seq: message.seq, full: false, alerts: message.alerts };
  }

  /** What the header's badge counts: open alerts nobody has acknowledged yet. */
  unacknowledgedCount(): number {
    let count = 0;
    for (const alert of this.alerts.values()) if (alert.acknowledgedAt === null) count++;
    return count;
  }

  /** The socket went away: what is held may be stale until the next list. */
  reset(): void {
    this.received = false;
  }
}
