import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { ALERT_EVENTS, type Alert } from '../../../src/schemas/alert-api.ts';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import { LIVE_EVENTS, type LiveChanges, type LiveSnapshot } from '../../../src/schemas/api.ts';
import type { TokenClaims } from '../http/app.ts';
import type { FleetState } from '../state/fleet-state.ts';

export interface LiveHubOptions {
  /**
   * Least time between two pushes of camera and site changes (live.batchIntervalMs). Changes are
   * pushed as soon as they are published (right after their ingest batch commits) unless the last
   * push was more recent than this; what arrives meanwhile is coalesced by id into the next push.
   */
  minPushIntervalMs: number;
  /** The claims of a session token or API key; rejects when it is invalid, expired or revoked. */
  verifyToken: (token: string) => Promise<TokenClaims>;
  log: Logger;
  now?: () => number;
  /** Open alerts, sent to each socket on connect (scoped). */
  openAlerts?: () => Alert[];
  /** An operator or control room acknowledges an alert; returns it, or null when it is not open. */
  acknowledgeAlert?: (id: string, user: string) => Alert | null;
}

/** An alert not acknowledged by a socket within this time is sent to it again, up to ALERT_ATTEMPTS times. */
const ALERT_ACK_TIMEOUT_MS = 5000;
const ALERT_ATTEMPTS = 3;

const ALL_ROOM = 'scope:all';
/** How long connecting sockets are gathered to share one snapshot. */
const SNAPSHOT_GATHER_MS = 10;
const councilRoom = (id: string) => `scope:council:${id}`;

/**
 * socket.io push: a scoped snapshot on connect, then changes pushed right after each committed
 * ingest batch, coalesced by camera and site id, at most one push per minPushIntervalMs, and one
 * emit per room per push (never one per message or per socket: socket.io encodes a room broadcast
 * once, including its WebSocket frame, and writes the same bytes to every socket in the room).
 */
export class LiveHub {
  private io: Server | null = null;
  /** Per socket: alert ids with a delivery awaiting acknowledgement (see publishAlerts). */
  private readonly alertsInFlight = new WeakMap<Socket, Map<string, Alert | null>>();
  /** The next push, when one is due (an immediate right after a publish, or a timer for the spacing). */
  private scheduled:
    | { kind: 'immediate'; handle: NodeJS.Immediate }
    | { kind: 'timer'; handle: NodeJS.Timeout }
    | null = null;
  /** performance.now() of the last push. */
  private lastPushMs = Number.NEGATIVE_INFINITY;
  private pendingCameras = new Map<string, CameraView>();
  private pendingSites = new Map<string, SiteView>();
  /** Sockets waiting for their first snapshot, by scope (see requestSnapshot). */
  private snapshotWaiters = new Map<string, { scope: Set<string> | null; ids: string[] }>();
  private snapshotTimer: NodeJS.Timeout | null = null;
  /** Snapshots built and sent (each to every socket gathered with it), and the sockets they served. */
  readonly snapshotStats = { sent: 0, sockets: 0 };

  constructor(
    private readonly fleet: FleetState,
    private readonly options: LiveHubOptions,
  ) {}

  get connections(): number {
    return this.io?.engine.clientsCount ?? 0;
  }

  /**
   * Sockets that connect within SNAPSHOT_GATHER_MS of each other with the same scope get one
   * snapshot, built and encoded once and sent as one broadcast: after a hub restart every control
   * room reconnects at once, and a snapshot of a 50,000-camera fleet is about 20 MB of JSON, which
   * encoded once per socket would take gigabytes. Each socket joins its rooms only after its
   * snapshot is sent, so no change reaches it before the state it changes; changes published while
   * it waited are in the snapshot, which is built when sent.
   */
  private requestSnapshot(socketId: string, scope: Set<string> | null): void {
    const key = scope ? [...scope].sort().join('\n') : '*';
    const waiting = this.snapshotWaiters.get(key);
    if (waiting) waiting.ids.push(socketId);
    else this.snapshotWaiters.set(key, { scope, ids: [socketId] });
    this.snapshotTimer ??= setTimeout(() => this.sendSnapshots(), SNAPSHOT_GATHER_MS);
  }

  private sendSnapshots(): void {
    this.snapshotTimer = null;
    const io = this.io;
    const waiters = this.snapshotWaiters;
    this.snapshotWaiters = new Map();
    if (!io) return;
    const at = new Date(this.options.now?.() ?? Date.now()).toISOString();
    for (const { scope, ids } of waiters.values()) {
      const sockets = ids.map((id) => io.of('/').sockets.get(id)).filter((x): x is Socket => x !== undefined);
      if (sockets.length === 0) continue;
      const snapshot: LiveSnapshot = {
        cameras: [...this.fleet.cameras.values()].filter((c) => !scope || scope.has(c.councilId)),
        sites: [...this.fleet.sites.values()].filter((s) => !scope || scope.has(s.councilId)),
        at,
      };
      const room = io.to(sockets.map((x) => x.id));
      room.emit(LIVE_EVENTS.snapshot, snapshot);
      this.snapshotStats.sent++;
      this.snapshotStats.sockets += sockets.length;
      const alerts = (this.options.openAlerts?.() ?? []).filter((a) => !scope || scope.has(a.councilId));
      room.emit(ALERT_EVENTS.alerts, alerts);
      for (const socket of sockets) {
        if (scope) for (const id of scope) void socket.join(councilRoom(id));
        else void socket.join(ALL_ROOM);
      }
    }
  }

  attach(server: HttpServer): void {
    const io = new Server(server, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
    io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
        return next(new Error('unauthorized'));
      this.options.verifyToken(token).then(
        (claims) => {
          socket.data.claims = claims;
          next();
        },
        () => next(new Error('unauthorized')),
      );
    });
    io.on('connection', (socket) => this.onConnection(socket));
    this.io = io;
    this.schedule();
  }

  /** Closes the live sockets whose credential matches (a revoked session or API key, a changed user). */
  disconnectWhere(match: (claims: TokenClaims) => boolean): number {
    let closed = 0;
    for (const socket of this.io?.of('/').sockets.values() ?? []) {
      if (match(socket.data.claims as TokenClaims)) {
        socket.disconnect(true);
        closed++;
      }
    }
    if (closed > 0) this.options.log.info({ closed }, 'closed live sockets of revoked credentials');
    return closed;
  }

  private onConnection(socket: Socket): void {
    const claims = socket.data.claims as TokenClaims;
    // A socket lives no longer than its token: the client signs in again.
    if (claims.exp) {
      const left = claims.exp * 1000 - (this.options.now?.() ?? Date.now());
      const timer = setTimeout(() => socket.disconnect(true), Math.max(0, Math.min(left, 2_147_000_000)));
      timer.unref();
      socket.on('disconnect', () => clearTimeout(timer));
    }
    const scope = claims.role === 'council' ? new Set(claims.councilIds) : null;
    this.requestSnapshot(socket.id, scope);
    socket.on(ALERT_EVENTS.acknowledge, (payload: unknown, reply: unknown) => {
      const respond = typeof reply === 'function' ? (reply as (r: unknown) => void) : () => {};
      const id = (payload as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || id.length > 200)
        return respond({ ok: false, error: 'expected { id: string }' });
      if (claims.role !== 'controlroom' && claims.role !== 'operator')
        return respond({ ok: false, error: `role ${claims.role} cannot acknowledge alerts` });
      const alert = this.options.acknowledgeAlert?.(id, claims.sub) ?? null;
      if (!alert) return respond({ ok: false, error: `alert ${id} is not open` });
      respond({ ok: true });
      this.publishAlerts([alert]);
    });
    this.options.log.debug({ user: claims.sub, role: claims.role }, 'live socket connected');
  }

  publish(change: { cameras: CameraView[]; sites: SiteView[] }): void {
    for (const c of change.cameras) this.pendingCameras.set(c.id, c);
    for (const s of change.sites) this.pendingSites.set(s.id, s);
    this.schedule();
  }

  /**
   * Pushes the pending changes after the current tick (so that the listeners of one committed batch
   * make one push), or once minPushIntervalMs has passed since the last push.
   */
  private schedule(): void {
    if (this.scheduled || !this.io) return;
    if (this.pendingCameras.size === 0 && this.pendingSites.size === 0) return;
    const wait = this.lastPushMs + this.options.minPushIntervalMs - performance.now();
    const run = () => {
      this.scheduled = null;
      this.flush();
    };
    this.scheduled =
      wait <= 0
        ? { kind: 'immediate', handle: setImmediate(run) }
        : { kind: 'timer', handle: setTimeout(run, Math.ceil(wait)) };
  }

  /**
   * Alerts (opened, changed, cleared) to every socket allowed to see them, each acknowledged by the
   * client; one not acknowledged in time is sent again (the client treats repeats by id and time).
   * A socket has at most one delivery of an alert id in flight: a newer version waits for that
   * one's acknowledgement (or its timeout) and replaces any version already waiting, so a slow
   * client costs one pending delivery per alert, not one per change (with 1,000 sockets and
   * flapping cameras, one per change filled the hub's heap).
   */
  publishAlerts(alerts: readonly Alert[]): void {
    const io = this.io;
    if (!io || alerts.length === 0) return;
    for (const socket of io.of('/').sockets.values()) {
      const scoped = socket.rooms.has(ALL_ROOM)
        ? alerts
        : alerts.filter((a) => socket.rooms.has(councilRoom(a.councilId)));
      for (const alert of scoped) this.deliver(socket, alert);
    }
  }

  private deliver(socket: Socket, alert: Alert): void {
    let inFlight = this.alertsInFlight.get(socket);
    if (!inFlight) {
      inFlight = new Map();
      this.alertsInFlight.set(socket, inFlight);
    }
    if (inFlight.has(alert.id)) inFlight.set(alert.id, alert);
    else this.send(socket, inFlight, alert, 1);
  }

  /** `inFlight` maps an alert id to the version waiting behind the one sent (null: none waits). */
  private send(socket: Socket, inFlight: Map<string, Alert | null>, alert: Alert, attempt: number): void {
    inFlight.set(alert.id, null);
    socket.timeout(ALERT_ACK_TIMEOUT_MS).emit(ALERT_EVENTS.alert, alert, (error: Error | null) => {
      const waiting = inFlight.get(alert.id) ?? null;
      inFlight.delete(alert.id);
      if (!socket.connected) return;
      if (!error) {
        if (waiting) this.send(socket, inFlight, waiting, 1);
        return;
      }
      if (attempt < ALERT_ATTEMPTS) this.send(socket, inFlight, waiting ?? alert, attempt + 1);
      else {
        this.options.log.warn({ alert: alert.id, socket: socket.id }, 'alert not acknowledged by a client');
        if (waiting) this.send(socket, inFlight, waiting, 1);
      }
    });
  }

  /** Certification status changes: once per evaluation cycle, scoped like camera changes. */
  publishCompliance(changes: readonly { councilId: string }[]): void {
    const io = this.io;
    if (!io || changes.length === 0) return;
    io.to(ALL_ROOM).emit(LIVE_EVENTS.compliance, changes);
    const byCouncil = new Map<string, { councilId: string }[]>();
    for (const c of changes) byCouncil.set(c.councilId, [...(byCouncil.get(c.councilId) ?? []), c]);
    for (const [id, list] of byCouncil) io.to(councilRoom(id)).emit(LIVE_EVENTS.compliance, list);
  }

  private flush(): void {
    const io = this.io;
    if (!io || (this.pendingCameras.size === 0 && this.pendingSites.size === 0)) return;
    this.lastPushMs = performance.now();
    const cameras = [...this.pendingCameras.values()];
    const sites = [...this.pendingSites.values()];
    this.pendingCameras.clear();
    this.pendingSites.clear();
    const at = new Date(this.options.now?.() ?? Date.now()).toISOString();
    // A room nobody is in is skipped before its payload is encoded.
    const rooms = io.of('/').adapter.rooms;
    const occupied = (room: string) => (rooms.get(room)?.size ?? 0) > 0;
    if (occupied(ALL_ROOM))
      io.to(ALL_ROOM).emit(LIVE_EVENTS.changes, { cameras, sites, at } satisfies LiveChanges);
    const byCouncil = new Map<string, LiveChanges>();
    const bucket = (id: string) => {
      let b = byCouncil.get(id);
      if (!b) {
        b = { cameras: [], sites: [], at };
        byCouncil.set(id, b);
      }
      return b;
    };
    for (const c of cameras) bucket(c.councilId).cameras.push(c);
    for (const s of sites) bucket(s.councilId).sites.push(s);
    for (const [id, changes] of byCouncil) {
      const room = councilRoom(id);
      if (occupied(room)) io.to(room).emit(LIVE_EVENTS.changes, changes);
    }
  }

  async stop(): Promise<void> {
    if (this.scheduled?.kind === 'immediate') clearImmediate(this.scheduled.handle);
    else if (this.scheduled?.kind === 'timer') clearTimeout(this.scheduled.handle);
    this.scheduled = null;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    this.snapshotWaiters.clear();
    const io = this.io;
    this.io = null;
    if (io) {
      io.disconnectSockets(true);
      // The HTTP server is closed by its owner; only detach socket.io here.
      io.engine.close();
    }
  }
}
