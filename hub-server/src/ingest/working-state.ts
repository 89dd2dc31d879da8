import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import type { Reason } from '../../../src/schemas/camera-state.ts';
import { nextState, type Transition } from '../../../src/state/intervals.ts';
import type { FleetState } from '../state/fleet-state.ts';
import type * as sql from './batch-writer.ts';

/** Copy-on-write view of the fleet for one batch; committed to FleetState only after the transaction. */
export class Working {
  readonly cameras = new Map<string, CameraView>();
  readonly sites = new Map<string, SiteView>();
  readonly updates = new Map<string, sql.CameraUpdate>();
  readonly siteUpdates = new Map<string, sql.SiteUpdate>();
  readonly transitions: Transition[] = [];
  /** Intervals this batch closes, for the hourly and daily rollups. */
  readonly closed: sql.ClosedSpan[] = [];
  readonly removed = new Set<string>();
  /** Pending site states applied in this batch; forgotten only once it commits. */
  readonly consumedPending = new Set<string>();

  constructor(private readonly fleet: FleetState) {}

  camera(id: string): CameraView | undefined {
    if (this.removed.has(id)) return undefined;
    return this.cameras.get(id) ?? this.fleet.cameras.get(id);
  }

  site(id: string): SiteView | undefined {
    return this.sites.get(id) ?? this.fleet.sites.get(id);
  }

  camerasOfSite(siteId: string): CameraView[] {
    const ids = new Set<string>();
    for (const c of this.fleet.cameras.values()) if (c.siteId === siteId) ids.add(c.id);
    for (const c of this.cameras.values()) if (c.siteId === siteId) ids.add(c.id);
    return [...ids].map((id) => this.camera(id)).filter((c): c is CameraView => c !== undefined);
  }

  putCamera(camera: CameraView): sql.CameraUpdate {
    this.cameras.set(camera.id, camera);
    let update = this.updates.get(camera.id);
    if (!update) {
      update = {
        id: camera.id,
        state: camera.state,
        stateSince: new Date(camera.stateSince),
        reasons: camera.reasons,
        lastSeenAt: null,
        lastHealth: null,
        lastHealthAt: null,
        lastStream: null,
        lastStreamAt: null,
      };
      this.updates.set(camera.id, update);
    }
    update.state = camera.state;
    update.stateSince = new Date(camera.stateSince);
    update.reasons = camera.reasons;
    if (camera.lastSeenAt) update.lastSeenAt = new Date(camera.lastSeenAt);
    return update;
  }

  /** Applies an observed state at time `at`; records a transition when the state changes. */
  observe(
    camera: CameraView,
    state: CameraView['state'],
    reasons: Reason[],
    at: Date,
    seenAt: Date | null,
  ): sql.CameraUpdate {
    const decision = nextState(
      { state: camera.state, stateSince: new Date(camera.stateSince), reasons: camera.reasons },
      { state, reasons, at },
    );
    let next: CameraView = camera;
    if (decision.kind === 'transition') {
      next = { ...camera, state, reasons, stateSince: at.toISOString() };
      this.transitions.push({ cameraId: camera.id, state, reasons, at });
      this.closed.push({
        cameraId: camera.id,
        state: camera.state,
        startMs: Date.parse(camera.stateSince),
        endMs: at.getTime(),
      });
    } else if (decision.kind === 'reasons') {
      next = { ...camera, reasons };
    }
    if (seenAt && (!next.lastSeenAt || seenAt.getTime() > Date.parse(next.lastSeenAt))) {
      next = { ...next, lastSeenAt: seenAt.toISOString() };
    }
    return this.putCamera(next);
  }

  /** A transition decided by the hub itself (maintenance starting or ending), not by an observation. */
  transition(camera: CameraView, state: CameraView['state'], reasons: Reason[], at: Date): void {
    const next: CameraView = { ...camera, state, reasons, stateSince: at.toISOString() };
    this.transitions.push({ cameraId: camera.id, state, reasons, at });
    this.closed.push({
      cameraId: camera.id,
      state: camera.state,
      startMs: Date.parse(camera.stateSince),
      endMs: at.getTime(),
    });
    this.putCamera(next);
  }

  putSite(site: SiteView, transition: boolean, agentVersion: string | null): void {
    this.sites.set(site.id, site);
    const prior = this.siteUpdates.get(site.id);
    this.siteUpdates.set(site.id, {
      id: site.id,
      state: site.state,
      stateSince: new Date(site.stateSince),
      lastSeenAt: site.lastSeenAt ? new Date(site.lastSeenAt) : null,
      agentVersion: agentVersion ?? prior?.agentVersion ?? null,
      monitor: site.monitor,
      transition: transition || (prior?.transition ?? false),
    });
  }
}
