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

  constructor(private readonly options: AlertOptions = DEFAULT_ALERT_OPTIONS) {}

  openAlerts(): Alert[] {
    return [...this.open.values()];
  }

  acknowledge(id: string, user: string, nowMs: number): Alert | null {
    const alert = this.open.get(id);
    if (!alert) return null;
    if (!alert.acknowledgedBy) {
      alert.acknowledgedBy = user;
      alert.acknowledgedAt = new Date(nowMs).toISOString();
    }
    return { ...alert };
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
      Omit<Alert, 'openedAt' | 'clearedAt' | 'acknowledgedBy' | 'acknowledgedAt'>
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
        for (const c of down)
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
        };
        this.open.set(id, alert);
        out.push({ ...alert });
      } else if (current.message !== next.message || current.cameraIds.join() !== next.cameraIds.join()) {
        Object.assign(current, { message: next.message, cameraIds: next.cameraIds });
        out.push({ ...current });
      }
    }
    for (const [id, alert] of this.open) {
      if (wanted.has(id)) continue;
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
      this.tracks.set(c.id, {
        state: c.state,
        downSince: c.state === 'down' ? nowMs : null,
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
