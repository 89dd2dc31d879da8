import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import {
  ALERT_EVENTS,
  type Alert,
  type AlertChanges,
  type AlertList,
} from '../../../src/schemas/alert-api.ts';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import { LIVE_EVENTS, type LiveChanges, type LiveSnapshot } from '../../../src/schemas/api.ts';
import { SOURCE_EVENTS, type SourceChanges, type SourceView } from '../../../src/schemas/sources.ts';
import type { TokenClaims } from '../http/app.ts';
import type { FleetState } from '../state/fleet-state.ts';

export interface LiveHubOptions {
  /**
   * Average least time between two pushes of camera and site changes (live.batchIntervalMs).
   * Changes are pushed as soon as they are published while the push allowance lasts (a few pushes
   * after a quiet spell, then one per interval); what arrives meanwhile is coalesced by id into the
   * next push.
   */
  minPushIntervalMs: number;
  /** The claims of a session token or API key; rejects when it is invalid, expired or revoked. */
  verifyToken: (token: string) => Promise<TokenClaims>;
  log: Logger;
  now?: () => number;
  /** Open alerts, sent to each socket on connect (scoped). */
  openAlerts?: () => Alert[];
  /** An operator or control room acknowledges an alert; returns it, or null when it is not open. */
  acknowledgeAlert?: (id: string, user: string) => Alert | null | Promise<Alert | null>;
  /** A socket that owes an alert acknowledgement this long is sent a fresh list (alerts.ackTimeoutMs). */
  alertAckTimeoutMs?: number;
  /**
   * Pushes a socket may have queued, not yet taken by its connection, before it is closed as too
   * slow (live.maxQueuedPushes): its client reconnects and starts again from a snapshot.
   */
  maxQueuedPushes?: number;
  /** Cameras of other hubs this one receives (a network of hubs), sent in snapshots beside its own. */
  linkedCameras?: () => Iterable<CameraView>;
  /** Sees every published change (the hub shares them with peer hubs). */
  observe?: (change: { cameras: CameraView[]; sites: SiteView[] }) => void;
  /** Mobile sources now (drones, body-worn cameras): for control rooms and operators only. */
  sources?: () => SourceView[];
}

/** Roles that see mobile sources: they belong to police units, not to any council. */
const SOURCE_ROLES = new Set(['controlroom', 'operator']);
const SOURCES_ROOM = 'sources';

/** Fresh alert lists sent to a socket that acknowledges nothing before it is disconnected. */
const ALERT_RESYNCS = 3;
/** How often sockets owing alert acknowledgements are looked for. */
const ALERT_SWEEP_MS = 500;

const ALL_ROOM = 'scope:all';
const ALERTS_ALL_ROOM = 'alerts:all';
/** How long connecting sockets are gathered to share one snapshot. */
const SNAPSHOT_GATHER_MS = 10;
const councilRoom = (id: string) => `scope:council:${id}`;
const alertsCouncilRoom = (id: string) => `alerts:council:${id}`;

/** A socket that asked for alerts (auth.alerts): its scope and how far it has acknowledged them. */
interface AlertSubscriber {
  socket: Socket;
  scope: Set<string> | null;
  /** Sequence number of the last alert message sent to it, and the highest it has acknowledged. */
  sent: number;
  acked: number;
  /** performance.now() since when it has owed an acknowledgement (null: it owes none). */
  owingSince: number | null;
  /** Fresh lists sent to it since it last acknowledged anything. */
  resyncs: number;
}

const inScope = (scope: Set<string> | null, councilId: string) => !scope || scope.has(councilId);
/** One key per scope, so that sockets of the same scope share one encoded message. */
const scopeKey = (scope: Set<string> | null) => (scope ? [...scope].sort().join('\n') : '*');

/** Items grouped by their council, for one emit per council room. */
function byCouncil<T extends { councilId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.councilId);
    if (group) group.push(item);
    else groups.set(item.councilId, [item]);
  }
  return groups;
}

/** Pushes that may go out back to back after a quiet spell (see LiveHub.pushTokens). */
const PUSH_BURST = 3;

/**
 * socket.io push: a scoped snapshot on connect, then changes pushed right after each committed
 * ingest batch, coalesced by camera and site id, on average at most one push per minPushIntervalMs
 * (a few back to back after a quiet spell), and one emit per room per push (never one per message
 * or per socket: socket.io encodes a room broadcast once, including its WebSocket frame, and
 * writes the same bytes to every socket in the room).
 */
export class LiveHub {
  private io: Server | null = null;
  /** Sockets that receive alerts, by socket id. */
  private readonly alertSubscribers = new Map<string, AlertSubscriber>();
  /** Sequence number of the last alert message (list or changes) sent to any socket. */
  private alertSeq = 0;
  /** Alert versions to push, latest per id. */
  private pendingAlerts = new Map<string, Alert>();
  private alertSweepTimer: NodeJS.Timeout | null = null;
  /** The next push, when one is due (an immediate right after a publish, or a timer for the spacing). */
  private scheduled:
    | { kind: 'immediate'; handle: NodeJS.Immediate }
    | { kind: 'timer'; handle: NodeJS.Timeout }
    | null = null;
  /**
   * Pushes allowed now (a token bucket): one more every minPushIntervalMs, up to PUSH_BURST. A
   * change after a quiet spell goes out at once, even if another went a moment before; under a
   * steady stream of changes the pushes settle at one per minPushIntervalMs, each carrying what
   * arrived meanwhile.
   */
  private pushTokens = PUSH_BURST;
  /** performance.now() when pushTokens was last brought up to date. */
  private tokensAtMs = performance.now();
  private pendingCameras = new Map<string, CameraView>();
  /** Views pushed before their batch committed (publishAhead), until the stored view is published. */
  private readonly aheadViews = new Map<string, CameraView>();
  private readonly pendingSources = new Map<string, SourceView>();
  private readonly removedSources = new Set<string>();
  /** Per source, the time of the newest track point pushed (later pushes carry only newer points). */
  private readonly pushedTrackUntil = new Map<string, number>();
  private pendingSites = new Map<string, SiteView>();
  /** Sockets waiting for their first snapshot, by scope (see requestSnapshot). */
  private snapshotWaiters = new Map<string, { scope: Set<string> | null; ids: string[] }>();
  private snapshotTimer: NodeJS.Timeout | null = null;
  /** Snapshots built and sent (each to every socket gathered with it), and the sockets they served. */
  readonly snapshotStats = { sent: 0, sockets: 0 };
  /**
   * Alert messages: change pushes (one per room), lists sent again for want of acknowledgement,
   * and sockets closed for acknowledging nothing; sockets closed as too slow for their pushes.
   */
  readonly deliveryStats = { alertPushes: 0, alertResyncs: 0, alertSocketsClosed: 0, slowSocketsClosed: 0 };

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
    const key = scopeKey(scope);
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
      // What screens are shown: the stored views, and those pushed ahead of their batch.
      const cameras =
        this.aheadViews.size === 0
          ? [...this.fleet.cameras.values()]
          : [...this.fleet.cameras.values()].map((c) => this.aheadViews.get(c.id) ?? c);
      if (this.options.linkedCameras) cameras.push(...this.options.linkedCameras());
      const snapshot: LiveSnapshot = {
        cameras: cameras.filter((c) => inScope(scope, c.councilId)),
        sites: [...this.fleet.sites.values()].filter((s) => inScope(scope, s.councilId)),
        at,
      };
      io.to(sockets.map((x) => x.id)).emit(LIVE_EVENTS.snapshot, snapshot);
      this.snapshotStats.sent++;
      this.snapshotStats.sockets += sockets.length;
      const subscribers = sockets
        .map((x) => this.alertSubscribers.get(x.id))
        .filter((x): x is AlertSubscriber => x !== undefined);
      if (subscribers.length > 0) this.sendAlertList(io, subscribers, scope);
      const seeing = sockets.filter((x) => SOURCE_ROLES.has((x.data.claims as TokenClaims).role));
      if (seeing.length > 0 && this.options.sources) {
        const full: SourceChanges = { full: true, sources: this.options.sources(), removed: [], at };
        io.to(seeing.map((x) => x.id)).emit(SOURCE_EVENTS.changes, full);
        for (const socket of seeing) void socket.join(SOURCES_ROOM);
      }
      const liveRooms = scope ? [...scope].map(councilRoom) : [ALL_ROOM];
      const alertRooms = scope ? [...scope].map(alertsCouncilRoom) : [ALERTS_ALL_ROOM];
      for (const socket of sockets)
        void socket.join(this.alertSubscribers.has(socket.id) ? [...liveRooms, ...alertRooms] : liveRooms);
    }
  }

  /** Every open alert in scope, to these subscribers (of that scope), as one broadcast. */
  private sendAlertList(
    io: Server,
    subscribers: readonly AlertSubscriber[],
    scope: Set<string> | null,
  ): void {
    const seq = ++this.alertSeq;
    const alerts = (this.options.openAlerts?.() ?? []).filter((a) => inScope(scope, a.councilId));
    io.to(subscribers.map((s) => s.socket.id)).emit(ALERT_EVENTS.alerts, { seq, alerts } satisfies AlertList);
    const now = performance.now();
    for (const s of subscribers) {
      s.sent = seq;
      s.owingSince = now;
    }
  }

  /**
   * Subscribers that have owed an acknowledgement for alerts.ackTimeoutMs get a fresh list (one
   * broadcast per scope); one that has acknowledged nothing through ALERT_RESYNCS lists is
   * disconnected. Its state is a few numbers, so a client that never acknowledges costs the hub
   * nothing that grows with the alerts it misses.
   */
  private sweepAlerts(): void {
    const io = this.io;
    if (!io) return;
    const timeout = this.options.alertAckTimeoutMs ?? 5000;
    const now = performance.now();
    const resync = new Map<string, { scope: Set<string> | null; subscribers: AlertSubscriber[] }>();
    for (const s of this.alertSubscribers.values()) {
      if (s.owingSince === null || now - s.owingSince < timeout) continue;
      if (s.resyncs >= ALERT_RESYNCS) {
        const claims = s.socket.data.claims as TokenClaims;
        this.options.log.warn(
          { user: claims.sub, socket: s.socket.id, sent: s.sent, acked: s.acked },
          'closing a live socket that acknowledges no alerts',
        );
        this.deliveryStats.alertSocketsClosed++;
        this.alertSubscribers.delete(s.socket.id);
        s.socket.disconnect(true);
        continue;
      }
      s.resyncs++;
      const key = scopeKey(s.scope);
      const group = resync.get(key);
      if (group) group.subscribers.push(s);
      else resync.set(key, { scope: s.scope, subscribers: [s] });
    }
    for (const { scope, subscribers } of resync.values()) {
      this.deliveryStats.alertResyncs += subscribers.length;
      this.sendAlertList(io, subscribers, scope);
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
    this.alertSweepTimer = setInterval(() => this.sweepAlerts(), ALERT_SWEEP_MS);
    this.alertSweepTimer.unref();
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
    if ((socket.handshake.auth as { alerts?: unknown } | undefined)?.alerts === true) {
      this.alertSubscribers.set(socket.id, {
        socket,
        scope,
        sent: 0,
        acked: 0,
        owingSince: null,
        resyncs: 0,
      });
      socket.on('disconnect', () => this.alertSubscribers.delete(socket.id));
      socket.on(ALERT_EVENTS.received, (payload: unknown) => this.onAlertsReceived(socket.id, payload));
    }
    this.requestSnapshot(socket.id, scope);
    socket.on(ALERT_EVENTS.acknowledge, (payload: unknown, reply: unknown) => {
      const respond = typeof reply === 'function' ? (reply as (r: unknown) => void) : () => {};
      const id = (payload as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || id.length > 200)
        return respond({ ok: false, error: 'expected { id: string }' });
      if (claims.role !== 'controlroom' && claims.role !== 'operator')
        return respond({ ok: false, error: `role ${claims.role} cannot acknowledge alerts` });
      void Promise.resolve(this.options.acknowledgeAlert?.(id, claims.sub) ?? null).then(
        (alert) => {
          if (!alert) return respond({ ok: false, error: `alert ${id} is not open` });
          respond({ ok: true });
          this.publishAlerts([alert]);
        },
        (error: Error) => respond({ ok: false, error: error.message }),
      );
    });
    this.options.log.debug({ user: claims.sub, role: claims.role }, 'live socket connected');
  }

  /** `alert:received { seq }`: the subscriber has applied every alert message up to seq. */
  private onAlertsReceived(socketId: string, payload: unknown): void {
    const s = this.alertSubscribers.get(socketId);
    const seq = (payload as { seq?: unknown } | null)?.seq;
    // Anything else (not a sequence number, or one never sent to it) acknowledges nothing.
    if (!s || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= s.acked || seq > s.sent) return;
    s.acked = seq;
    s.resyncs = 0;
    s.owingSince = seq === s.sent ? null : performance.now();
  }

  /**
   * Mobile sources changed (moved, changed state, registered): pushed with the next push, coalesced
   * by id, each with only the track points added since the previous push.
   */
  publishSources(views: readonly SourceView[]): void {
    for (const v of views) this.pendingSources.set(v.id, v);
    this.schedule();
  }

  removeSources(ids: readonly string[]): void {
    for (const id of ids) {
      this.pendingSources.delete(id);
      this.removedSources.add(id);
      this.pushedTrackUntil.delete(id);
    }
    this.schedule();
  }

  publish(change: { cameras: CameraView[]; sites: SiteView[]; removedCameras?: readonly string[] }): void {
    this.options.observe?.(change);
    for (const id of change.removedCameras ?? []) this.aheadViews.delete(id);
    for (const c of change.cameras) {
      // A stored view replaces what was pushed ahead on every screen (snapshots included); only
      // the very view already shown is not sent again. A newer change pushed ahead and shown is
      // thus replaced by this older stored one until its own batch publishes it: a flicker, never
      // a wrong last word.
      const ahead = this.aheadViews.get(c.id);
      this.aheadViews.delete(c.id);
      if (ahead && !viewDiffers(ahead, c)) continue;
      this.pendingCameras.set(c.id, c);
    }
    for (const s of change.sites) this.pendingSites.set(s.id, s);
    this.schedule();
  }

  /**
   * Camera views decided from a message not yet stored (live.pushBeforeCommit): pushed like
   * published ones, to this process's sockets only (peers and the cluster hear of a change once it
   * is stored). The stored view follows through publish, or settleAhead where the batch stored none.
   */
  publishAhead(views: readonly CameraView[]): void {
    for (const v of views) {
      this.aheadViews.set(v.id, v);
      this.pendingCameras.set(v.id, v);
    }
    this.schedule();
  }

  /**
   * Stored views of cameras pushed ahead whose batch is done (or failed): a screen still showing
   * the view pushed ahead takes the stored one when they differ.
   */
  settleAhead(views: readonly CameraView[]): void {
    for (const v of views) {
      const ahead = this.aheadViews.get(v.id);
      if (!ahead) continue;
      this.aheadViews.delete(v.id);
      if (viewDiffers(ahead, v)) this.pendingCameras.set(v.id, v);
    }
    this.schedule();
  }

  private get pending(): boolean {
    return (
      this.pendingCameras.size > 0 ||
      this.pendingSites.size > 0 ||
      this.pendingAlerts.size > 0 ||
      this.pendingSources.size > 0 ||
      this.removedSources.size > 0
    );
  }

  /** Brings the push allowance up to now. */
  private refillTokens(now: number): void {
    const interval = this.options.minPushIntervalMs;
    this.pushTokens =
      interval <= 0 ? PUSH_BURST : Math.min(PUSH_BURST, this.pushTokens + (now - this.tokensAtMs) / interval);
    this.tokensAtMs = now;
  }

  /**
   * Pushes the pending changes after the current tick (so that the listeners of one committed batch
   * make one push), at once while the push allowance lasts, else as soon as it has refilled.
   */
  private schedule(): void {
    if (this.scheduled || !this.io || !this.pending) return;
    const now = performance.now();
    this.refillTokens(now);
    const wait = this.pushTokens >= 1 ? 0 : (1 - this.pushTokens) * this.options.minPushIntervalMs;
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
   * Alerts opened, changed or cleared go out with the next push, coalesced by id, one broadcast
   * per alert room (each encoded once, as for camera changes), each numbered; subscribers
   * acknowledge cumulatively (see sweepAlerts for one that does not).
   */
  publishAlerts(alerts: readonly Alert[]): void {
    if (!this.io || alerts.length === 0) return;
    for (const a of alerts) this.pendingAlerts.set(a.id, a);
    this.schedule();
  }

  private flushAlerts(io: Server): void {
    const alerts = [...this.pendingAlerts.values()];
    this.pendingAlerts.clear();
    const rooms = io.of('/').adapter.rooms;
    const emit = (room: string, list: Alert[]) => {
      const members = rooms.get(room);
      if (!members || members.size === 0) return;
      const seq = ++this.alertSeq;
      io.to(room).emit(ALERT_EVENTS.changes, { seq, alerts: list } satisfies AlertChanges);
      this.deliveryStats.alertPushes++;
      const now = performance.now();
      for (const id of members) {
        const s = this.alertSubscribers.get(id);
        if (!s) continue;
        s.sent = seq;
        s.owingSince ??= now;
      }
    };
    emit(ALERTS_ALL_ROOM, alerts);
    for (const [id, list] of byCouncil(alerts)) emit(alertsCouncilRoom(id), list);
  }

  /**
   * Closes sockets whose connection has more than maxQueuedPushes messages queued that it has not
   * taken: a client that stopped reading (or reads far slower than the pushes come) would otherwise
   * hold every push made since, without bound.
   */
  private closeSlowSockets(io: Server): void {
    const limit = this.options.maxQueuedPushes ?? 1024;
    for (const socket of io.of('/').sockets.values()) {
      // engine.io queues packets here while its transport is still writing earlier ones.
      const buffer = (socket.conn as unknown as { writeBuffer?: unknown }).writeBuffer;
      const queued = Array.isArray(buffer) ? buffer.length : 0;
      if (queued <= limit) continue;
      const claims = socket.data.claims as TokenClaims;
      this.options.log.warn(
        { user: claims.sub, socket: socket.id, queued },
        'closing a live socket too slow for its pushes',
      );
      this.deliveryStats.slowSocketsClosed++;
      socket.disconnect(true);
      // Discard what is queued, and drop the connection without the WebSocket closing handshake
      // (which would keep its unsent bytes for 30 s): a client that does not read never answers it.
      socket.conn.close(true);
      (socket.conn.transport as unknown as { socket?: { terminate?: () => void } }).socket?.terminate?.();
    }
  }

  /**
   * Every connected socket is sent a fresh snapshot (this process reloaded its state: cluster mode,
   * after it found it had missed changes). Changes queued meanwhile follow it as usual.
   */
  resnapshot(): void {
    const io = this.io;
    if (!io) return;
    for (const socket of io.of('/').sockets.values()) {
      const claims = socket.data.claims as TokenClaims;
      this.requestSnapshot(socket.id, claims.role === 'council' ? new Set(claims.councilIds) : null);
    }
  }

  /** Certification status changes: a recorded chunk of an evaluation cycle at a time, scoped like camera changes. */
  publishCompliance(changes: readonly { councilId: string }[]): void {
    const io = this.io;
    if (!io || changes.length === 0) return;
    io.to(ALL_ROOM).emit(LIVE_EVENTS.compliance, changes);
    for (const [id, list] of byCouncil(changes)) io.to(councilRoom(id)).emit(LIVE_EVENTS.compliance, list);
  }

  private flush(): void {
    const io = this.io;
    if (!io || !this.pending) return;
    this.refillTokens(performance.now());
    this.pushTokens = Math.max(0, this.pushTokens - 1);
    if (this.pendingCameras.size > 0 || this.pendingSites.size > 0) this.flushChanges(io);
    if (this.pendingAlerts.size > 0) this.flushAlerts(io);
    if (this.pendingSources.size > 0 || this.removedSources.size > 0) this.flushSources(io);
    this.closeSlowSockets(io);
  }

  private flushChanges(io: Server): void {
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
    const councilCameras = byCouncil(cameras);
    const councilSites = byCouncil(sites);
    for (const id of new Set([...councilCameras.keys(), ...councilSites.keys()])) {
      const room = councilRoom(id);
      if (!occupied(room)) continue;
      const changes: LiveChanges = {
        cameras: councilCameras.get(id) ?? [],
        sites: councilSites.get(id) ?? [],
        at,
      };
      io.to(room).emit(LIVE_EVENTS.changes, changes);
    }
  }

  private flushSources(io: Server): void {
    const views = [...this.pendingSources.values()];
    const removed = [...this.removedSources];
    this.pendingSources.clear();
    this.removedSources.clear();
    const sources = views.map((v) => {
      const after = this.pushedTrackUntil.get(v.id) ?? Number.NEGATIVE_INFINITY;
      const last = v.track[v.track.length - 1];
      if (last) this.pushedTrackUntil.set(v.id, last[2]);
      return { ...v, track: v.track.filter((p) => p[2] > after) };
    });
    if ((io.of('/').adapter.rooms.get(SOURCES_ROOM)?.size ?? 0) === 0) return;
    const at = new Date(this.options.now?.() ?? Date.now()).toISOString();
    io.to(SOURCES_ROOM).emit(SOURCE_EVENTS.changes, {
      full: false,
      sources,
      removed,
      at,
    } satisfies SourceChanges);
  }

  async stop(): Promise<void> {
    if (this.scheduled?.kind === 'immediate') clearImmediate(this.scheduled.handle);
    else if (this.scheduled?.kind === 'timer') clearTimeout(this.scheduled.handle);
    this.scheduled = null;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    if (this.alertSweepTimer) clearInterval(this.alertSweepTimer);
    this.alertSweepTimer = null;
    this.alertSubscribers.clear();
    this.pendingAlerts.clear();
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

/** Whether two views of a camera differ in anything a screen shows (all but when it was last seen). */
function viewDiffers(a: CameraView, b: CameraView): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof CameraView)[]);
  keys.delete('lastSeenAt');
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || JSON.stringify(x) !== JSON.stringify(y))
      return true;
  }
  return false;
}
