import type { Alert, AlertKind, AlertState } from '../../../src/schemas/alert-api.ts';

export const KIND_LABEL: Record<AlertKind, string> = {
  site_offline: 'Site offline',
  site_cameras_down: 'Several cameras of the site down',
  camera_down: 'Camera down',
  camera_flapping: 'Camera keeps going up and down',
  site_refused: 'Site sent data the hub refused',
  hub_link_down: "Link to the cameras' own hub down",
};

/** Every kind, in the order the filters and rule form list them (site-wide first). */
export const ALERT_KINDS = Object.keys(KIND_LABEL) as AlertKind[];

export type Severity = Alert['severity'];
export const SEVERITY_LABEL: Record<Severity, string> = { major: 'Major', minor: 'Minor' };
export const SEVERITIES: readonly Severity[] = ['major', 'minor'];

export const STATE_LABEL: Record<AlertState, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

export function stateOf(alert: Alert): AlertState {
  if (alert.clearedAt !== null) return 'resolved';
  return alert.acknowledgedAt === null ? 'open' : 'acknowledged';
}

export interface AlertFilter {
  councilId?: string;
  siteId?: string;
  kind?: AlertKind;
}

export function matchesFilter(alert: Alert, filter: AlertFilter): boolean {
  return (
    (!filter.councilId || alert.councilId === filter.councilId) &&
    (!filter.siteId || alert.siteId === filter.siteId) &&
    (!filter.kind || alert.kind === filter.kind)
  );
}

export interface SiteGroup<T extends Alert> {
  siteId: string;
  councilId: string;
  alerts: T[];
}

const severityRank = (a: Alert) => (a.severity === 'major' ? 0 : 1);

/**
 * Alerts under their site: a site with a major alert first, then the site whose newest alert opened
 * last, then by name; within a site major before minor, newest first.
 */
export function groupBySite<T extends Alert>(
  alerts: readonly T[],
  siteName: (id: string) => string,
): SiteGroup<T>[] {
  const groups = new Map<string, SiteGroup<T>>();
  for (const alert of alerts) {
    let group = groups.get(alert.siteId);
    if (!group) {
      group = { siteId: alert.siteId, councilId: alert.councilId, alerts: [] };
      groups.set(alert.siteId, group);
    }
    group.alerts.push(alert);
  }
  const newestFirst = (a: Alert, b: Alert) => b.openedAt.localeCompare(a.openedAt);
  for (const group of groups.values())
    group.alerts.sort((a, b) => severityRank(a) - severityRank(b) || newestFirst(a, b));
  const worst = (g: SiteGroup<T>) => Math.min(...g.alerts.map(severityRank));
  const newest = (g: SiteGroup<T>) => Math.max(...g.alerts.map((a) => Date.parse(a.openedAt)));
  return [...groups.values()].sort(
    (a, b) =>
      worst(a) - worst(b) || newest(b) - newest(a) || siteName(a.siteId).localeCompare(siteName(b.siteId)),
  );
}

/** "Harbour east", "Harbour east and Quay", "Harbour east, Quay and 3 more" (up to `max` named). */
export function camerasText(ids: readonly string[], name: (id: string) => string, max = 4): string {
  const names = ids.slice(0, max).map(name);
  const more = ids.length - names.length;
  if (more > 0) return `${names.join(', ')} and ${more} more`;
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** "4 min", "2 h 5 min", "3 d 4 h": how long an alert has been (or was) open. */
export function duration(fromIso: string, toMs: number): string {
  const minutes = Math.max(0, Math.floor((toMs - Date.parse(fromIso)) / 60_000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

export function countText(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
