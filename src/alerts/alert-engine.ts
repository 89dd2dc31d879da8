import type { Alert } from '../schemas/alert-api.ts';
import type { CameraState } from '../schemas/camera-state.ts';

export interface AlertOptions {
  /** A camera must stay down this long before it raises (or stops raising) anything. */
  dampMs: number;
  /** This many down cameras of one site at once, and at least `groupShare` of them, is a site fault. */
  groupMin: number;
  groupShare: number;
  /** This many transitions into or out of `down` within `flapWindowMs` is flapping. */
  flapCount: number;
  flapWindowMs: number;
  /** A site's refused-message alert stays open this long after its last refusal (default 1 h). */
  refusalAlertMs?: number;
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = {
  dampMs: 60_000,
  groupMin: 2,
  groupShare: 0.5,
  flapCount: 4,
  flapWindowMs: 600_000,
  refusalAlertMs: 3_600_000,
};

export interface CameraInput {
  id: string;
  name: string;
  siteId: string;
  councilId: string;
  state: CameraState;
  /** Only `hub_link_down` is read: another hub's camera whose link is down. */
  reasons?: readonly { code: string }[];
}

export interface SiteInput {
  id: string;
  name: string;
  councilId: string;
  state: string;
}

interface Track {
  state: CameraState;
  /** When the camera last went down (null when it is not down). */
  downSince: number | null;
  /** When it last stopped being down. */
  upSince: number | null;
  transitions: number[];
}

/**
 * Turns camera and site states into alerts a control room can act on. A town link that fails gives
 * one `site_offline` alert (its cameras turn unknown and raise nothing of their own); several cameras
 * of one site down together give one `site_cameras_down` alert (recorder, switch or power); a single
 * camera gives `camera_down` only after staying down for `dampMs`, and a camera that keeps going
 * down and up gives one `camera_flapping` alert instead of a stream of them. Pure: callers pass the
 * current states and the time, and get back what opened, changed or cleared.
 */
export class AlertEngine {
  private readonly tracks = new Map<string, Track>();
  private readonly open = new Map<string, Alert>();
  /** Per site: what it asserted that the hub refused, and when last (see noteRefusal). */
  private readonly refusals = new Map<
    string,
    { councilId: string; siteName: string; codes: Set<string>; lastMs: number; latest: string }
  >();

  /**
   * After a restart: restored alerts are kept this long even when not wanted (a site's state is
   * unknown until its agent reports again), and their cameras, if still down when first seen, count
   * as down already (their damping was served before the restart).
   */
  private readonly restoredUntil = new Map<string, number>();
  private readonly restoredDown = new Set<string>();

  constructor(private readonly options: AlertOptions = DEFAULT_ALERT_OPTIONS) {}

  openAlerts(): Alert[] {
    return [...this.open.values()];
  }

  /**
   * The first acknowledgement stands (who and when); a later one may add to the comment, so a second
   * operator can say what they did without taking the acknowledgement over.
   */
  acknowledge(id: string, user: string, nowMs: number, comment: string | null = null): Alert | null {
    const alert = this.open.get(id);
    if (!alert) return null;
    if (!alert.acknowledgedBy) {
      alert.acknowledgedBy = user;
      alert.acknowledgedAt = new Date(nowMs).toISOString();
      alert.ackComment = comment;
    } else if (comment) {
      const line = alert.acknowledgedBy === user ? comment : `${user}: ${comment}`;
      alert.ackComment = (alert.ackComment ? `${alert.ackComment}\n${line}` : line).slice(-500);
    }
    return { ...alert };
  }

  /**
   * Alerts that were open when the hub last stopped (from its history): they stay open, with their
   * opening time and acknowledgement, and clear at the first evaluation that no longer wants them.
   * Only for an engine that has evaluated nothing yet.
   */
  restore(alerts: readonly Alert[], nowMs: number, graceMs: number): void {
    for (const a of alerts) {
      if (this.open.has(a.id)) continue;
      this.open.set(a.id, { ...a, clearedAt: null });
      this.restoredUntil.set(a.id, nowMs + graceMs);
      if (a.kind !== 'site_offline' && a.kind !== 'site_refused')
        for (const id of a.cameraIds) this.restoredDown.add(id);
    }
  }

  /**
   * A standby's copy (cluster mode): the leader's alert changes applied as they are, open or
   * acknowledged alerts kept and cleared ones dropped. A standby evaluates nothing itself.
   */
  mirror(changes: readonly Alert[]): void {
    for (const a of changes) {
      if (a.clearedAt) this.open.delete(a.id);
      else this.open.set(a.id, { ...a });
    }
  }

  /** Taking over the lead (cluster mode): what was mirrored is replaced by the history, as after a restart. */
  takeOver(history: readonly Alert[], nowMs: number, graceMs: number): void {
    this.open.clear();
    this.tracks.clear();
    this.restoredUntil.clear();
    this.restoredDown.clear();
    this.restore(history, nowMs, graceMs);
  }

  /**
   * A site sent something the registry does not allow (another council, an address outside its
   * camera networks, a timestamp outside the window, too many messages): one `site_refused` alert
   * per site, open until refusalAlertMs after the last refusal. Its text changes only when a new
   * kind of refusal appears, so a flood does not become a stream of alert pushes.
   */
  noteRefusal(
    site: { id: string; name: string; councilId: string },
    code: string,
    message: string,
    nowMs: number,
  ) {
    const entry = this.refusals.get(site.id);
    if (entry) {
      if (!entry.codes.has(code)) entry.latest = message;
      entry.codes.add(code);
      entry.lastMs = nowMs;
      return;
    }
    if (this.refusals.size >= 10_000) return;
    this.refusals.set(site.id, {
      councilId: site.councilId,
      siteName: site.name,
      codes: new Set([code]),
      lastMs: nowMs,
      latest: message,
    });
  }

  /** Evaluates the current states; returns the alerts that opened, changed or cleared (each once). */
  evaluate(cameras: Iterable<CameraInput>, sites: Iterable<SiteInput>, nowMs: number): Alert[] {
    const siteById = new Map<string, SiteInput>();
    for (const s of sites) siteById.set(s.id, s);
    const bySite = new Map<string, CameraInput[]>();
    for (const c of cameras) {
      this.track(c, nowMs);
      const list = bySite.get(c.siteId);
      if (list) list.push(c);
      else bySite.set(c.siteId, [c]);
    }
    // Cameras an open alert counts as down: read once here, not once per camera (with thousands of
    // cameras up and hundreds of alerts open, a scan per camera stalled the hub).
    const counted = new Set<string>();
    for (const a of this.open.values())
      if (a.kind !== 'site_offline') for (const id of a.cameraIds) counted.add(id);
    const wanted = new Map<
      string,
      Omit<Alert, 'openedAt' | 'clearedAt' | 'acknowledgedBy' | 'acknowledgedAt' | 'ackComment'>
    >();
    for (const [siteId, list] of bySite) {
      const site = siteById.get(siteId);
      const councilId = site?.councilId ?? list[0]?.councilId ?? '';
      const siteName = site?.name ?? siteId;
      if (site && site.state === 'offline') {
        // The link is the fault: one alert for the site, nothing per camera.
        wanted.set(`site_offline:${siteId}`, {
          id: `site_offline:${siteId}`,
          kind: 'site_offline',
          severity: 'major',
          siteId,
          councilId,
          cameraIds: list.map((c) => c.id).sort(),
          message: `${siteName}: link to the site is down; its ${list.length} cameras cannot be monitored`,
        });
        continue;
      }
      // Cameras of another hub whose link is down: the link is the fault, as a site's is above.
      if (list.every((c) => c.state === 'unknown' && c.reasons?.some((r) => r.code === 'hub_link_down'))) {
        wanted.set(`hub_link_down:${siteId}`, {
          id: `hub_link_down:${siteId}`,
          kind: 'hub_link_down',
          severity: 'major',
          siteId,
          councilId,
          cameraIds: list.map((c) => c.id).sort(),
          message: `${siteName}: the link to the hub that owns its ${list.length} cameras is down; their state is not known here`,
        });
        continue;
      }
      const flapping = list.filter((c) => this.isFlapping(c.id, nowMs));
      const flappingIds = new Set(flapping.map((c) => c.id));
      const down = list.filter((c) => !flappingIds.has(c.id) && this.isDown(c.id, counted, nowMs));
      if (down.length >= this.options.groupMin && down.length >= this.options.groupShare * list.length) {
        wanted.set(`site_cameras_down:${siteId}`, {
          id: `site_cameras_down:${siteId}`,
          kind: 'site_cameras_down',
          severity: 'major',
          siteId,
          councilId,
          cameraIds: down.map((c) => c.id).sort(),
          message: `${siteName}: ${down.length} of ${list.length} cameras down together (recorder, network switch or power at the site?)`,
        });
      } else {
        // A camera on its way back up (still counted down for dampMs) keeps an alert it has, but
        // does not open one of its own as its site's group alert dissolves.
        for (const c of down) {
          if (this.tracks.get(c.id)?.downSince === null && !this.open.has(`camera_down:${c.id}`)) continue;
          wanted.set(`camera_down:${c.id}`, {
            id: `camera_down:${c.id}`,
            kind: 'camera_down',
            severity: 'minor',
            siteId,
            councilId,
            cameraIds: [c.id],
            message: `${c.name} (${siteName}) is down`,
          });
        }
      }
      for (const c of flapping)
        wanted.set(`camera_flapping:${c.id}`, {
          id: `camera_flapping:${c.id}`,
          kind: 'camera_flapping',
          severity: 'minor',
          siteId,
          councilId,
          cameraIds: [c.id],
          message: `${c.name} (${siteName}) keeps going down and up (${this.options.flapCount} or more changes within ${Math.round(this.options.flapWindowMs / 60_000)} min)`,
        });
    }
    for (const [siteId, r] of this.refusals) {
      if (nowMs - r.lastMs >= (this.options.refusalAlertMs ?? 3_600_000)) {
        this.refusals.delete(siteId);
        continue;
      }
      wanted.set(`site_refused:${siteId}`, {
        id: `site_refused:${siteId}`,
        kind: 'site_refused',
        severity: 'major',
        siteId,
        councilId: r.councilId,
        cameraIds: [],
        message: `${r.siteName}: the hub refused messages from this site (${[...r.codes].sort().join(', ')}); latest: ${r.latest}`,
      });
    }
    const at = new Date(nowMs).toISOString();
    const out: Alert[] = [];
    for (const [id, next] of wanted) {
      const current = this.open.get(id);
      if (!current) {
        const alert: Alert = {
          ...next,
          openedAt: at,
          clearedAt: null,
          acknowledgedBy: null,
          acknowledgedAt: null,
          ackComment: null,
        };
        this.open.set(id, alert);
        out.push({ ...alert });
      } else if (current.message !== next.message || current.cameraIds.join() !== next.cameraIds.join()) {
        Object.assign(current, { message: next.message, cameraIds: next.cameraIds });
        out.push({ ...current });
      }
    }
    for (const [id, alert] of this.open) {
      if (wanted.has(id)) {
        this.restoredUntil.delete(id);
        continue;
      }
      const graceUntil = this.restoredUntil.get(id);
      if (graceUntil !== undefined && nowMs < graceUntil) continue;
      this.restoredUntil.delete(id);
      this.open.delete(id);
      out.push({ ...alert, clearedAt: at });
    }
    // Cameras that left the fleet leave their tracks.
    const present = new Set<string>();
    for (const list of bySite.values()) for (const c of list) present.add(c.id);
    for (const id of this.tracks.keys()) if (!present.has(id)) this.tracks.delete(id);
    return out;
  }

  private track(c: CameraInput, nowMs: number): void {
    const t = this.tracks.get(c.id);
    if (!t) {
      const restored = this.restoredDown.delete(c.id);
      this.tracks.set(c.id, {
        state: c.state,
        downSince: c.state === 'down' ? (restored ? nowMs - this.options.dampMs : nowMs) : null,
        upSince: c.state === 'down' ? null : nowMs,
        transitions: [],
      });
      return;
    }
    const wasDown = t.state === 'down';
    const isDown = c.state === 'down';
    if (wasDown !== isDown) {
      t.transitions.push(nowMs);
      if (isDown) {
        t.downSince = nowMs;
        t.upSince = null;
      } else {
        t.upSince = nowMs;
        t.downSince = null;
      }
    }
    t.state = c.state;
    const horizon = nowMs - this.options.flapWindowMs;
    while (t.transitions.length > 0 && (t.transitions[0] as number) < horizon) t.transitions.shift();
  }

  /** Down long enough to count; once counted, it stays counted until up long enough (hysteresis). */
  private isDown(id: string, counted: ReadonlySet<string>, nowMs: number): boolean {
    const t = this.tracks.get(id);
    if (!t) return false;
    if (t.downSince !== null) return nowMs - t.downSince >= this.options.dampMs;
    return counted.has(id) && t.upSince !== null && nowMs - t.upSince < this.options.dampMs;
  }

  private transitionsIn(id: string, nowMs: number): number {
    const t = this.tracks.get(id);
    return t ? t.transitions.filter((at) => at >= nowMs - this.options.flapWindowMs).length : 0;
  }

  private isFlapping(id: string, nowMs: number): boolean {
    return this.transitionsIn(id, nowMs) >= this.options.flapCount;
  }
}
