import type { Alert } from '../../../src/schemas/alert-api.ts';
import type { AlertNotice } from '../../../src/schemas/notification-api.ts';
import { londonClock } from '../../../src/uptime/london-time.ts';

/** A message ready for any channel: e-mail subject and text, and the JSON body of webhooks and MQTT. */
export interface BuiltMessage {
  subject: string;
  text: string;
  payload: AlertNotice;
}

const KIND_WORDS: Record<Alert['kind'], string> = {
  site_offline: 'Site offline',
  site_cameras_down: 'Several cameras down',
  camera_down: 'Camera down',
  camera_flapping: 'Camera flapping',
  site_refused: 'Site messages refused',
  hub_link_down: 'Hub link down',
};

export { londonClock };

function alertLine(a: Alert, names: NameLookup): string {
  const shown = a.cameraIds.slice(0, 10).map((id) => names.camera(id));
  if (a.cameraIds.length > shown.length) shown.push(`and ${a.cameraIds.length - shown.length} more`);
  const cams = shown.length > 0 ? `; cameras: ${shown.join(', ')}` : '';
  return `- [${a.severity}] ${KIND_WORDS[a.kind]}: ${a.message} (since ${londonClock(a.openedAt)}${a.clearedAt ? `, resolved ${londonClock(a.clearedAt)}` : ''}${cams})`;
}

export interface NameLookup {
  site(id: string): string;
  council(id: string): string;
  camera(id: string): string;
}

function footer(dashboardUrl: string, sentAt: string, hubId: string | null): string {
  const link = dashboardUrl
    ? `\nOpen the alerts view: ${dashboardUrl.replace(/\/$/, '')}/?view=alerts\n`
    : '';
  return `${link}\nSent by the CCTV hub${hubId ? ` ${hubId}` : ''} at ${londonClock(sentAt)}. Times are Europe/London.\n`;
}

/**
 * One site's alert changes, grouped: what opened and what was resolved since the last message
 * about the site, as one message.
 */
export function groupMessage(input: {
  hubId: string | null;
  siteId: string;
  councilId: string;
  opened: readonly Alert[];
  resolved: readonly Alert[];
  sentAt: string;
  names: NameLookup;
  dashboardUrl: string;
}): BuiltMessage {
  const { opened, resolved, names } = input;
  const site = names.site(input.siteId);
  const council = names.council(input.councilId);
  const worst = opened.find((a) => a.severity === 'major') ?? opened[0];
  // Alert messages start with the site's name already; one alert is its own subject.
  const one = (a: Alert | undefined) =>
    a?.message.startsWith(`${site}`) ? a.message : `${site}: ${a?.message ?? ''}`;
  const subject =
    opened.length > 0
      ? `[${worst?.severity === 'major' ? 'MAJOR' : 'minor'}] ${opened.length === 1 ? one(worst) : `${site}: ${opened.length} alerts`}${resolved.length > 0 ? ` (${resolved.length} resolved)` : ''}`
      : `[resolved] ${resolved.length === 1 ? one(resolved[0]) : `${site}: ${resolved.length} alerts resolved`}`;
  const parts = [`${site} (${council})`, ''];
  if (opened.length > 0) parts.push('Opened:', ...opened.map((a) => alertLine(a, names)), '');
  if (resolved.length > 0) parts.push('Resolved:', ...resolved.map((a) => alertLine(a, names)), '');
  return {
    subject: subject.slice(0, 200),
    text: parts.join('\n') + footer(input.dashboardUrl, input.sentAt, input.hubId),
    payload: {
      type: 'alerts',
      hubId: input.hubId,
      sentAt: input.sentAt,
      siteId: input.siteId,
      councilId: input.councilId,
      summary: subject.slice(0, 200),
      opened: [...opened],
      resolved: [...resolved],
      stillOpen: opened.length,
    },
  };
}

/** The daily digest: what happened in scope since the last one, and what is open now. */
export function digestMessage(input: {
  hubId: string | null;
  ruleName: string;
  since: string;
  sentAt: string;
  happened: readonly Alert[];
  /** Alerts that cleared within their group wait (never told), counted, not listed. */
  brief?: number;
  open: readonly Alert[];
  names: NameLookup;
  dashboardUrl: string;
}): BuiltMessage {
  const { happened, open, names } = input;
  const subject = `Daily CCTV digest: ${open.length} open, ${happened.length} since ${londonClock(input.since)}`;
  const parts = [
    `Digest "${input.ruleName}" from ${londonClock(input.since)} to ${londonClock(input.sentAt)}.`,
    '',
  ];
  parts.push(open.length > 0 ? `Open now (${open.length}):` : 'Nothing is open now.');
  for (const a of open) parts.push(`${names.site(a.siteId)}: ${alertLine(a, names).slice(2)}`);
  parts.push('');
  parts.push(
    happened.length > 0
      ? `Alerts in the period (${happened.length}):`
      : 'No alerts opened or resolved in the period: every camera in scope stayed as it was.',
  );
  for (const a of happened) parts.push(`${names.site(a.siteId)}: ${alertLine(a, names).slice(2)}`);
  if (input.brief)
    parts.push(
      '',
      `${input.brief} shorter alert${input.brief === 1 ? '' : 's'} that cleared, or merged into a site alert, within the notification group wait are not listed (see the alerts view).`,
    );
  return {
    subject,
    text: parts.join('\n') + footer(input.dashboardUrl, input.sentAt, input.hubId),
    payload: {
      type: 'digest',
      hubId: input.hubId,
      sentAt: input.sentAt,
      siteId: null,
      councilId: null,
      summary: subject,
      opened: [...happened],
      resolved: [],
      stillOpen: open.length,
    },
  };
}

export function testMessage(
  hubId: string | null,
  ruleName: string,
  sentAt: string,
  dashboardUrl: string,
): BuiltMessage {
  const subject = `Test message for "${ruleName}"`;
  return {
    subject,
    text: `This is a test of the notification rule "${ruleName}". If you can read it, alerts will reach you here.\n${footer(dashboardUrl, sentAt, hubId)}`,
    payload: {
      type: 'test',
      hubId,
      sentAt,
      siteId: null,
      councilId: null,
      summary: subject,
      opened: [],
      resolved: [],
      stillOpen: 0,
    },
  };
}
