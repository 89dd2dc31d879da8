import type { Logger } from 'pino';
import type { AlertEngine } from '../../../src/alerts/alert-engine.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { SiteRefusal } from '../ingest/batch-processor.ts';
import type { FleetState } from '../state/fleet-state.ts';

/**
 * What happens when a site asserts something the registry does not allow: an alert for operators
 * (and the site's council), and an audit entry per site, code and subject (the claimed council, the
 * refused host) at most once per `auditEveryMs`, carrying how many were refused since the last one.
 * Bounded in memory and in audit entries however hard a site tries.
 */
export class RefusalReporter {
  private readonly lastAudit = new Map<string, { atMs: number; since: number }>();

  constructor(
    private readonly deps: {
      fleet: FleetState;
      alerts: AlertEngine;
      audit: AuditLog;
      auditEveryMs: number;
      log: Logger;
      now: () => number;
    },
  ) {}

  handle(refusals: readonly SiteRefusal[]): void {
    const nowMs = this.deps.now();
    for (const r of refusals) {
      const reg = this.deps.fleet.registry.get(r.siteId);
      const site = reg
        ? { id: reg.id, name: reg.name, councilId: reg.councilId }
        : { id: r.siteId, name: `unregistered site ${r.siteId}`, councilId: 'unregistered' };
      this.deps.alerts.noteRefusal(site, r.code, r.message, nowMs);
      const key = `${r.siteId}\u0000${r.code}\u0000${JSON.stringify(r.detail ?? {})}`;
      const last = this.lastAudit.get(key);
      if (last && nowMs - last.atMs < this.deps.auditEveryMs) {
        last.since++;
        continue;
      }
      if (this.lastAudit.size >= 10_000) this.lastAudit.clear();
      const refusedSince = last?.since ?? 0;
      this.lastAudit.set(key, { atMs: nowMs, since: 0 });
      this.deps.log.warn({ siteId: r.siteId, code: r.code }, `refused from site: ${r.message}`);
      this.deps.audit
        .append({
          kind: 'site.refused',
          actor: `site:${r.siteId}`,
          role: null,
          councilId: reg?.councilId ?? null,
          subject: { type: 'site', id: r.siteId },
          reason: r.code,
          detail: {
            code: r.code,
            message: r.message,
            ...(r.detail ?? {}),
            ...(last ? { refusedSinceLastEntry: refusedSince } : {}),
          },
        })
        .catch((error: unknown) =>
          this.deps.log.error({ err: error, siteId: r.siteId }, 'could not audit a refused site message'),
        );
    }
  }
}
