import type { AuditKind } from './audit-api.ts';

/** Every kind the hub records, as the table says it (the Record keeps the list complete). */
export const KIND_LABEL: Record<AuditKind, string> = {
  'login.success': 'Signed in',
  'login.refused': 'Sign-in refused',
  'login.limited': 'Sign-in rate-limited',
  'auth.logout': 'Signed out',
  'auth.session.revoke': 'Session revoked',
  'auth.password.change': 'Own password changed',
  'export.report': 'Report exported',
  'export.audit': 'Audit log exported',
  'config.maintenance.create': 'Maintenance window created',
  'config.maintenance.update': 'Maintenance window changed',
  'config.maintenance.end': 'Maintenance window ended',
  'config.maintenance.delete': 'Maintenance window deleted',
  'config.compliance.assign': 'Compliance assigned',
  'config.compliance.records': 'Compliance records changed',
  'config.public-page': 'Public page changed',
  'config.camera.geometry': 'Camera view geometry changed',
  'config.site.mqtt-credentials': 'Site broker credentials issued',
  'config.site.mqtt-credentials.revoke': 'Site broker credentials revoked',
  'config.user.create': 'User created',
  'config.user.update': 'User changed',
  'config.user.delete': 'User deleted',
  'config.user.password': 'User password set',
  'config.apikey.create': 'API key created',
  'config.apikey.revoke': 'API key revoked',
  'config.hub': 'Hub changed',
  'config.council': 'Council changed',
  'config.site.register': 'Site registered',
  'config.site.update': 'Site changed',
  'config.site.move': 'Site moved',
  'config.camera.approve': 'Camera approved',
  'config.camera.reject': 'Camera rejected',
  'config.camera.retire': 'Camera retired',
  'config.notification.create': 'Notification created',
  'config.notification.update': 'Notification changed',
  'config.notification.delete': 'Notification deleted',
  'config.notification.secret': 'Notification secret set',
  'config.notification.retry': 'Notification retried',
  'alert.acknowledge': 'Alert acknowledged',
  'config.site.enrolment-code': 'Enrolment code issued',
  'site.enrol': 'Site enrolled',
  'site.enrol.refused': 'Site enrolment refused',
  'site.refused': 'Site connection refused',
  'feed.start': 'Live feed opened',
  'feed.end': 'Live feed closed',
  'feed.refused': 'Live feed refused',
  'feed.failed': 'Live feed failed',
  'snapshot.taken': 'Snapshot taken',
  'snapshot.refused': 'Snapshot refused',
  'config.source.create': 'Mobile source registered',
  'config.source.key': 'Mobile source telemetry key issued',
  'config.source.retire': 'Mobile source retired',
  'source.duty': 'Mission or shift declared',
  'export.source-coverage': 'Mobile source coverage exported',
};

/** Groups the hub matches by prefix ("config" matches every config.* kind), offered before single kinds. */
export const KIND_GROUPS: readonly { value: string; label: string }[] = [
  { value: 'login', label: 'All sign-ins' },
  { value: 'auth', label: 'All sign-outs and sessions' },
  { value: 'feed', label: 'All live feeds' },
  { value: 'export', label: 'All exports' },
  { value: 'config', label: 'All configuration changes' },
  { value: 'site', label: 'All site connections' },
  { value: 'alert', label: 'All alert actions' },
];

/** The filter's fields as sentences name them, for the hub's query errors. */
export const FILTER_LABELS: Record<string, string> = {
  from: 'the From time',
  to: 'the To time',
  kind: 'the kind',
  actor: 'the user',
  cameraId: 'the camera',
  incidentRef: 'the incident reference',
};

/** `type:id` as the table shows it: "camera gate-1". */
export function subjectWords(subject: string | null): string {
  if (subject === null) return '';
  const colon = subject.indexOf(':');
  return colon < 0 ? subject : `${subject.slice(0, colon).replace(/-/g, ' ')} ${subject.slice(colon + 1)}`;
}
