import { io, type Socket } from 'socket.io-client';
import type { ALERT_EVENTS } from '../../src/schemas/alert-api.ts';
import type { CameraView, LIVE_EVENTS, LiveChanges, LiveSnapshot, SiteView } from '../../src/schemas/api.ts';
import type { SourceChanges, SourceView } from '../../src/schemas/sources.ts';
import { AlertBook, type AlertBookUpdate } from './alerts/alert-book.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface LiveUpdate {
  /** A snapshot replaced everything: views resync fully. */
  full: boolean;
  cameraIds: ReadonlySet<string>;
  siteIds: ReadonlySet<string>;
}

interface ServerEvents {
  snapshot: (snapshot: LiveSnapshot) => void;
  changes: (changes: LiveChanges) => void;
  /** Certification status changes (the council view subscribes; the live map ignores them). */
  compliance: (changes: unknown[]) => void;
  /** Open alerts and their changes, to a socket that asked for them (`auth.alerts`). */
  alerts: (list: unknown) => void;
  'alert:changes': (changes: unknown) => void;
  /** Mobile sources (control rooms and operators): the whole list on connect, then changes. */
  sources: (changes: SourceChanges) => void;
}
interface ClientEvents {
  'alert:received': (ack: { seq: number }) => void;
}
// Compile-time check that the event names above are the contract's (a type-only import keeps TypeBox out of the bundle).
const EVENT_NAMES: { [K in keyof typeof LIVE_EVENTS]: (typeof LIVE_EVENTS)[K] & keyof ServerEvents } = {
  snapshot: 'snapshot',
  changes: 'changes',
  compliance: 'compliance',
};
const ALERT_EVENT_NAMES: {
  [K in keyof typeof ALERT_EVENTS]: (typeof ALERT_EVENTS)[K];
} = {
  alerts: 'alerts',
  changes: 'alert:changes',
  received: 'alert:received',
  acknowledge: 'alert:acknowledge',
};

type UpdateListener = (update: LiveUpdate) => void;
type ComplianceListener = (changes: unknown[]) => void;
type StatusListener = (status: LiveStatus, lastUpdateAt: string | null) => void;
type AlertListener = (update: AlertBookUpdate) => void;
type SourceListener = (sources: ReadonlyMap<string, SourceView>) => void;

export interface LiveStoreOptions {
  /**
   * Ask the hub for open alerts too (views that show them). Each alert message is acknowledged
   * with `alert:received` once applied; a socket that does not would be sent the list again and
   * then closed, so a map-only client leaves this off and is sent no alerts.
   */
  alerts?: boolean;
  /** Minutes of a mobile source's track kept (the hub's sources.trackMinutes). */
  sourceTrackMinutes?: number;
}

/**
 * Holds every camera and site the user may see. Socket messages are merged into the maps as they
 * arrive (cheap), and listeners are told once per animation frame which ids changed, so a burst of
 * `changes` messages costs one render.
 */
export class LiveStore {
  readonly cameras = new Map<string, CameraView>();
  readonly sites = new Map<string, SiteView>();
  status: LiveStatus = 'connecting';
  lastUpdateAt: string | null = null;
  hasSnapshot = false;
  /** Open alerts, when asked for with `alerts` (empty otherwise). */
  readonly alertBook = new AlertBook();
  /** Drones and body-worn cameras in view (for control rooms and operators; empty for others). */
  readonly sources = new Map<string, SourceView>();
  private readonly sourceListeners = new Set<SourceListener>();
  private sourceFrame: number | null = null;

  private socket: Socket<ServerEvents, ClientEvents> | null = null;
  private readonly updateListeners = new Set<UpdateListener>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly complianceListeners = new Set<ComplianceListener>();
  private readonly alertListeners = new Set<AlertListener>();
  private pendingFull = false;
  private readonly pendingCameras = new Set<string>();
  private readonly pendingSites = new Set<string>();
  private frame: number | null = null;

  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
    private readonly options: LiveStoreOptions = {},
  ) {}

  start(): void {
    const alerts = this.options.alerts === true;
    const socket: Socket<ServerEvents, ClientEvents> = io({
      path: '/socket.io',
      // WebSocket first: behind a region's load balancer it needs no sticky session. Long-polling
      // (which does) only where a network blocks WebSocket.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      auth: alerts ? { token: this.token, alerts } : { token: this.token },
    });
    this.socket = socket;
    if (alerts) {
      socket.on(ALERT_EVENT_NAMES.alerts, (list) => this.applyAlerts(this.alertBook.applyList(list)));
      socket.on(ALERT_EVENT_NAMES.changes, (changes) =>
        this.applyAlerts(this.alertBook.applyChanges(changes)),
      );
    }
    socket.on('sources', (changes) => this.applySources(changes));
    socket.on(EVENT_NAMES.snapshot, (snapshot) => this.applySnapshot(snapshot));
    socket.on(EVENT_NAMES.changes, (changes) => this.applyChanges(changes));
    socket.on(EVENT_NAMES.compliance, (changes) => {
      if (!Array.isArray(changes)) return;
      for (const listener of this.complianceListeners) listener(changes);
    });
    socket.on('connect_error', (error) => {
      if (error.message === 'unauthorized') {
        this.onUnauthorized();
        return;
      }
      this.setStatus(this.hasSnapshot ? 'reconnecting' : 'connecting');
    });
    socket.on('disconnect', (reason) => {
      // A server-side disconnect is not retried by socket.io itself; retry once, and the hub's auth
      // middleware answers 'unauthorized' if the token is what it objected to.
      if (reason === 'io server disconnect') socket.connect();
      this.alertBook.reset();
      this.setStatus('reconnecting');
    });
    socket.io.on('reconnect_failed', () => this.setStatus('offline'));
  }

  stop(): void {
    this.socket?.removeAllListeners();
    this.socket?.io.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.updateListeners.clear();
    this.statusListeners.clear();
    this.complianceListeners.clear();
    this.alertListeners.clear();
    this.sourceListeners.clear();
    if (this.sourceFrame !== null) cancelAnimationFrame(this.sourceFrame);
    this.sourceFrame = null;
  }

  /** The sources after each change (once per animation frame). */
  onSources(listener: SourceListener): void {
    this.sourceListeners.add(listener);
    if (this.sources.size > 0) listener(this.sources);
  }

  /**
   * A full list replaces what is held; a change replaces each source's view but adds to its track only
   * the points newer than the ones held, and the track keeps the same minutes as the full list did.
   */
  private applySources(changes: SourceChanges): void {
    if (!changes || !Array.isArray(changes.sources)) return;
    if (changes.full) this.sources.clear();
    for (const id of changes.removed ?? []) this.sources.delete(id);
    for (const view of changes.sources) {
      const held = this.sources.get(view.id);
      if (changes.full || !held) {
        this.sources.set(view.id, view);
        continue;
      }
      const last = held.track[held.track.length - 1]?.[2] ?? Number.NEGATIVE_INFINITY;
      const track = [...held.track, ...view.track.filter((p) => p[2] > last)];
      const newest = track[track.length - 1]?.[2] ?? 0;
      const span = (this.options.sourceTrackMinutes ?? 10) * 60_000;
      this.sources.set(view.id, { ...view, track: track.filter((p) => p[2] >= newest - span) });
    }
    this.sourceFrame ??= requestAnimationFrame(() => {
      this.sourceFrame = null;
      for (const listener of this.sourceListeners) listener(this.sources);
    });
  }

  onUpdate(listener: UpdateListener): void {
    this.updateListeners.add(listener);
  }

  /** Certification status changes, passed on as they arrive (the council view re-fetches, throttled). */
  onCompliance(listener: ComplianceListener): void {
    this.complianceListeners.add(listener);
  }

  /** Each alert message once applied to `alertBook` (only with the `alerts` option). */
  onAlerts(listener: AlertListener): void {
    this.alertListeners.add(listener);
  }

  onStatus(listener: StatusListener): void {
    this.statusListeners.add(listener);
    listener(this.status, this.lastUpdateAt);
  }

  /** Sites from REST before the first snapshot, so filters can be filled early. */
  seedSites(sites: SiteView[]): void {
    if (this.hasSnapshot) return;
    for (const site of sites) {
      this.sites.set(site.id, site);
      this.pendingSites.add(site.id);
    }
    this.schedule();
  }

  /**
   * Acknowledged as soon as it is applied, not when drawn: a hidden tab draws nothing (no animation
   * frames) but must not be taken for a silent client. [alert-api.ts: ALERT_EVENTS.received]
   */
  private applyAlerts(update: AlertBookUpdate | null): void {
    if (update === null) return;
    this.socket?.emit(ALERT_EVENT_NAMES.received, { seq: update.seq });
    for (const listener of this.alertListeners) listener(update);
  }

  private applySnapshot(snapshot: LiveSnapshot): void {
    this.cameras.clear();
    this.sites.clear();
    for (const camera of snapshot.cameras) this.cameras.set(camera.id, camera);
    for (const site of snapshot.sites) this.sites.set(site.id, site);
    this.hasSnapshot = true;
    this.pendingFull = true;
    this.pendingCameras.clear();
    this.pendingSites.clear();
    this.lastUpdateAt = snapshot.at;
    this.setStatus('live');
    this.schedule();
  }

  private applyChanges(changes: LiveChanges): void {
    for (const camera of changes.cameras) {
      this.cameras.set(camera.id, camera);
      this.pendingCameras.add(camera.id);
    }
    for (const site of changes.sites) {
      this.sites.set(site.id, site);
      this.pendingSites.add(site.id);
    }
    this.lastUpdateAt = changes.at;
    if (this.status !== 'live') this.setStatus('live');
    this.schedule();
  }

  private schedule(): void {
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = null;
    const update: LiveUpdate = {
      full: this.pendingFull,
      cameraIds: new Set(this.pendingCameras),
      siteIds: new Set(this.pendingSites),
    };
    this.pendingFull = false;
    this.pendingCameras.clear();
    this.pendingSites.clear();
    for (const listener of this.updateListeners) listener(update);
    for (const listener of this.statusListeners) listener(this.status, this.lastUpdateAt);
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status, this.lastUpdateAt);
  }
}
