import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { CameraView } from '../../../src/schemas/api.ts';
import {
  FederationChanges,
  FederationHeartbeat,
  FederationSnapshot,
  type LinkStatus,
} from '../../../src/schemas/federation.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';
import { FEDERATION_ROOT, federationInFilter as inFilter } from '../../../src/topics.ts';
import { formatIssues, validate } from '../../../src/validation.ts';
import { callPeer } from './peer-client.ts';

/** A hub this one receives cameras from (federation.links in the hub config). */
export interface LinkConfig {
  hub: string;
  apiUrl: string;
  key: string;
  ca?: string | null;
  /** Most cameras taken from this hub (default 20,000); more are refused. */
  maxCameras?: number;
  /** Most mobile sources taken from this hub (default 200); more are refused. */
  maxSources?: number;
  /** Messages read per second, with a burst of ten seconds (default 100); more are dropped unread. */
  maxMessagesPerSecond?: number;
}

export interface LinksOptions {
  links: readonly LinkConfig[];
  linkTimeoutMs: number;
  /** Largest message accepted from a link (mqtt.maxPayloadBytes). */
  maxPayloadBytes: number;
  pool: pg.Pool;
  /** A clean-session MQTT client of this hub's identity on its own broker. */
  client: () => MqttClient;
  /** Takes a peer's full snapshot (HTTP); injectable for tests of the link logic. */
  fetchSnapshot?: (link: LinkConfig, self: string) => Promise<unknown>;
  /** This hub's id, sent to the peer with a snapshot request so it applies its policy for us. */
  selfId: string;
  /** A camera of this hub itself: never taken from another. */
  isOwnCamera: (id: string) => boolean;
  /** Federated camera views changed (for live sockets). */
  changed: (cameras: CameraView[]) => void;
  /** Federated cameras gone (no longer shared). */
  removed: (ids: string[]) => void;
  /** A mobile source of this hub itself: never taken from another. */
  isOwnSource?: (id: string) => boolean;
  /** Linked sources' views changed (each with its whole track of the last minutes). */
  sourcesChanged?: (views: SourceView[]) => void;
  /** Linked sources gone (no longer shared). */
  sourcesRemoved?: (ids: string[]) => void;
  /** How much of a linked source's track is kept (sources.trackMinutes). */
  trackMs?: number;
  log: Logger;
  now?: () => number;
  /** Least time between two snapshots of one link (default 5 s). */
  snapshotMinGapMs?: number;
}

interface Link {
  config: LinkConfig;
  state: LinkStatus['state'];
  since: number;
  lastHeardAt: number | null;
  epoch: string | null;
  seq: number;
  /** Cameras as the owning hub last said (their state before any hub_link_down override). */
  cameras: Map<string, CameraView>;
  snapshots: number;
  lastError: string | null;
  /** Cameras of its messages this hub refused (another hub's or its own): counted in heartbeats. */
  refused: Set<string>;
  /** Mobile sources as the owning hub last said, with the track gathered from its messages. */
  sources: Map<string, SourceView>;
  refusedSources: Set<string>;
  /** A snapshot is being taken: change messages wait in `held` until it is applied. */
  syncing: Promise<void> | null;
  held: FederationChanges[];
  /** When the last snapshot was taken: snapshots of one link are at least SNAPSHOT_MIN_GAP_MS apart. */
  lastSnapshotAt: number;
  /** Message allowance (token bucket): refilled at maxMessagesPerSecond, up to ten seconds' worth. */
  tokens: number;
  tokensAt: number;
  /** Messages and cameras refused since start. */
  refusals: number;
  /** Refusals logged, per code: one line per code and link every REFUSAL_LOG_MS, with a count. */
  refusalLog: Map<string, { loggedAt: number; unlogged: number }>;
}

/** What is wrong with a message, or null. */
const problemOf = (schema: Parameters<typeof validate>[0], value: unknown): string | null => {
  const result = validate(schema, value, 3);
  return result.ok ? null : formatIssues(result.issues).slice(0, 300);
};
const checkChanges = (value: unknown) => problemOf(FederationChanges, value);
const checkHeartbeat = (value: unknown) => problemOf(FederationHeartbeat, value);
const checkSnapshot = (value: unknown) => problemOf(FederationSnapshot, value);
/** Snapshot requests: bounded in time; a failed one is tried again after this. */
const SNAPSHOT_TIMEOUT_MS = 15_000;
const SNAPSHOT_RETRY_MS = 2_000;
/** Snapshots of up to this many bytes are read (about 100,000 cameras). */
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
/**
 * A link whose messages keep disagreeing with what it holds (a broken or hostile hub) would have a
 * 64 MB snapshot taken at every heartbeat: snapshots of one link are this far apart at least.
 */
const SNAPSHOT_MIN_GAP_MS = 5_000;
const DEFAULT_MAX_CAMERAS = 20_000;
const DEFAULT_MAX_SOURCES = 200;
const DEFAULT_TRACK_MS = 10 * 60_000;
/** The most track points kept per linked source (as SourceView allows). */
const MAX_TRACK_POINTS = 2000;
/** Track points stamped later than this past the receiving hub's clock are dropped. */
const TRACK_FUTURE_TOLERANCE_MS = 60_000;
const DEFAULT_MESSAGES_PER_SECOND = 100;
const BURST_SECONDS = 10;
const REFUSAL_LOG_MS = 10_000;

/**
 * The receiving side of links between hubs. Each link's messages arrive on this hub's broker under
 * cctv/federation/in/<hub>/, where only that hub's bridge may write (the broker's ACL): the topic
 * names the owner, and a camera another link already holds is refused. Messages are numbered; a gap,
 * a new epoch or a count that disagrees with the heartbeat is repaired by a full snapshot over HTTP
 * with the hub-to-hub key. A link silent for linkTimeoutMs is down: its cameras read `unknown`
 * (hub_link_down) until it is heard again and a snapshot brings their real state.
 */
export class FederationLinks {
  private readonly links = new Map<string, Link>();
  /** Which link owns each federated camera id. */
  private readonly owner = new Map<string, string>();
  /** Which link owns each linked source id. */
  private readonly sourceOwner = new Map<string, string>();
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private writes: Promise<void> = Promise.resolve();
  readonly stats = { messages: 0, refused: 0 };

  constructor(private readonly options: LinksOptions) {
    const at = this.now();
    for (const config of options.links)
      this.links.set(config.hub, {
        config,
        state: 'connecting',
        since: at,
        lastHeardAt: null,
        epoch: null,
        seq: 0,
        cameras: new Map(),
        snapshots: 0,
        lastError: null,
        refused: new Set(),
        sources: new Map(),
        refusedSources: new Set(),
        syncing: null,
        held: [],
        lastSnapshotAt: Number.NEGATIVE_INFINITY,
        tokens: (config.maxMessagesPerSecond ?? DEFAULT_MESSAGES_PER_SECOND) * BURST_SECONDS,
        tokensAt: at,
        refusals: 0,
        refusalLog: new Map(),
      });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Loads what was stored (shown as unknown until each link is heard), then listens. */
  async start(): Promise<void> {
    const stored = await this.options.pool.query<{ origin_hub: string; view: CameraView }>(
      'SELECT origin_hub, view FROM federated_cameras',
    );
    const stale: string[] = [];
    for (const row of stored.rows) {
      const link = this.links.get(row.origin_hub);
      if (!link) {
        stale.push(row.view.id);
        continue;
      }
      link.cameras.set(row.view.id, row.view);
      this.owner.set(row.view.id, row.origin_hub);
    }
    // A link taken out of the configuration: its cameras go.
    if (stale.length > 0)
      await this.options.pool.query('DELETE FROM federated_cameras WHERE id = ANY($1::text[])', [stale]);
    const client = this.options.client();
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('connect', () => {
      client.subscribe(inFilter(), { qos: 1 }, (error) => {
        if (error)
          this.options.log.error({ err: error.message }, 'could not subscribe to links from other hubs');
      });
    });
    client.on('error', (error) => this.options.log.warn({ err: error.message }, 'federation client error'));
    this.timer = setInterval(() => this.checkSilence(), Math.min(1000, this.options.linkTimeoutMs / 4));
    this.timer.unref();
  }

  /** Federated cameras as control rooms should see them now (unknown where the link is down). */
  cameras(): CameraView[] {
    const out: CameraView[] = [];
    for (const link of this.links.values())
      for (const view of link.cameras.values()) out.push(this.shown(link, view));
    return out;
  }

  camera(id: string): { hub: string; view: CameraView } | null {
    const hub = this.owner.get(id);
    const link = hub ? this.links.get(hub) : undefined;
    const view = link?.cameras.get(id);
    return link && view ? { hub: link.config.hub, view: this.shown(link, view) } : null;
  }

  /** Linked mobile sources as control rooms should see them now (unknown where the link is down). */
  sources(): SourceView[] {
    const out: SourceView[] = [];
    for (const link of this.links.values())
      for (const view of link.sources.values()) out.push(this.shownSource(link, view));
    return out;
  }

  source(id: string): { hub: string; view: SourceView } | null {
    const hub = this.sourceOwner.get(id);
    const link = hub ? this.links.get(hub) : undefined;
    const view = link?.sources.get(id);
    return link && view ? { hub: link.config.hub, view: this.shownSource(link, view) } : null;
  }

  /** Links that share sources with this hub: where an incident search asks too. */
  sourceHubs(): { config: LinkConfig; state: LinkStatus['state']; sources: number }[] {
    return [...this.links.values()]
      .filter((l) => l.sources.size > 0)
      .map((l) => ({ config: l.config, state: l.state, sources: l.sources.size }));
  }

  link(hub: string): LinkConfig | null {
    return this.links.get(hub)?.config ?? null;
  }

  status(): LinkStatus[] {
    return [...this.links.values()].map((link) => ({
      hub: link.config.hub,
      state: link.state,
      since: new Date(link.since).toISOString(),
      lastHeardAt: link.lastHeardAt === null ? null : new Date(link.lastHeardAt).toISOString(),
      cameras: link.cameras.size,
      sources: link.sources.size,
      snapshots: link.snapshots,
      refused: link.refusals,
      lastError: link.lastError,
    }));
  }

  private shown(link: Link, view: CameraView): CameraView {
    if (link.state === 'up') return view;
    const since = link.since;
    return {
      ...view,
      state: 'unknown',
      stateSince: new Date(since).toISOString(),
      reasons: [
        {
          code: 'hub_link_down',
          message:
            link.state === 'down'
              ? `no word from hub ${link.config.hub} since ${link.lastHeardAt ? new Date(link.lastHeardAt).toISOString() : 'this hub started'}`
              : `not heard from hub ${link.config.hub} since this hub started`,
        },
      ],
    };
  }

  /** A source of a link that is not up: its state is unknown, since the link went down. */
  private shownSource(link: Link, view: SourceView): SourceView {
    if (link.state === 'up' || view.state === 'offline') return view;
    return { ...view, state: 'unknown', stateSince: new Date(link.since).toISOString() };
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parts = topic.split('/');
    const root = FEDERATION_ROOT.split('/');
    // cctv/federation/in/<hub>/<kind>
    const hub = parts[root.length + 1];
    const kind = parts[root.length + 2];
    const link = hub ? this.links.get(hub) : undefined;
    if (!link || parts.length !== root.length + 3) {
      this.refuse(hub ?? '?', 'UNKNOWN_LINK', `message on ${topic.slice(0, 200)} from no configured link`);
      return;
    }
    // Bounded work per link, before a byte is parsed: a dropped change leaves a gap in the numbering,
    // which a snapshot mends once the link is within its allowance again.
    if (!this.allow(link)) {
      this.refuse(link.config.hub, 'RATE_LIMITED', `over ${this.rateOf(link)} messages a second`);
      return;
    }
    if (payload.length > this.options.maxPayloadBytes) {
      this.refuse(link.config.hub, 'TOO_LARGE', `${payload.length} bytes`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.refuse(link.config.hub, 'BAD_JSON', 'not JSON');
      return;
    }
    this.stats.messages++;
    if (kind === 'heartbeat') {
      const problem = checkHeartbeat(body);
      if (problem) this.refuse(link.config.hub, 'SCHEMA', problem);
      else this.onHeartbeat(link, body as FederationHeartbeat);
    } else if (kind === 'changes') {
      const problem = checkChanges(body);
      if (problem) this.refuse(link.config.hub, 'SCHEMA', problem);
      else this.onChanges(link, body as FederationChanges);
    } else this.refuse(link.config.hub, 'UNKNOWN_KIND', `no message kind ${String(kind).slice(0, 40)}`);
  }

  private rateOf(link: Link): number {
    return link.config.maxMessagesPerSecond ?? DEFAULT_MESSAGES_PER_SECOND;
  }

  /** Takes one message from the link's allowance; false when it is spent. */
  private allow(link: Link): boolean {
    const now = this.now();
    const rate = this.rateOf(link);
    link.tokens = Math.min(rate * BURST_SECONDS, link.tokens + ((now - link.tokensAt) / 1000) * rate);
    link.tokensAt = now;
    if (link.tokens < 1) return false;
    link.tokens -= 1;
    return true;
  }

  /** Counts a refusal; logs the first of each code and link, then one line with a count per interval. */
  private refuse(hub: string, code: string, detail: string): void {
    this.stats.refused++;
    const link = this.links.get(hub);
    if (!link) {
      this.options.log.warn({ hub, code, detail }, 'refused a message from a linked hub');
      return;
    }
    link.refusals++;
    const now = this.now();
    const entry = link.refusalLog.get(code);
    if (entry && now - entry.loggedAt < REFUSAL_LOG_MS) {
      entry.unlogged++;
      return;
    }
    const before = entry?.unlogged ?? 0;
    link.refusalLog.set(code, { loggedAt: now, unlogged: 0 });
    this.options.log.warn(
      { hub, code, detail, ...(before > 0 ? { alsoRefused: before } : {}) },
      before > 0
        ? `refused a message from a linked hub (and ${before} more for the same reason since the last line)`
        : 'refused a message from a linked hub',
    );
  }

  private heard(link: Link): void {
    link.lastHeardAt = this.now();
  }

  private onHeartbeat(link: Link, beat: FederationHeartbeat): void {
    this.heard(link);
    if (link.syncing) return;
    if (
      beat.epoch !== link.epoch ||
      beat.seq !== link.seq ||
      beat.cameraCount !== link.cameras.size + link.refused.size ||
      (beat.sourceCount ?? 0) !== link.sources.size + link.refusedSources.size
    ) {
      void this.resync(link, 'heartbeat out of step');
      return;
    }
    if (link.state !== 'up') this.setState(link, 'up');
  }

  private onChanges(link: Link, message: FederationChanges): void {
    this.heard(link);
    if (link.syncing) {
      link.held.push(message);
      return;
    }
    if (message.epoch !== link.epoch || message.seq !== link.seq + 1) {
      link.held.push(message);
      void this.resync(link, message.epoch !== link.epoch ? 'new epoch' : `gap before ${message.seq}`);
      return;
    }
    link.seq = message.seq;
    this.apply(link, message.cameras, message.removed, false);
    this.applySources(link, message.sources ?? [], message.removedSources ?? [], false);
  }

  /**
   * Applies source views of one link: a change message's track holds only new points, appended to
   * what is held and trimmed to the last trackMs; a snapshot's (`replaceAll`) is the whole track.
   */
  private applySources(
    link: Link,
    views: readonly SourceView[],
    removed: readonly string[],
    replaceAll: boolean,
  ): void {
    const hub = link.config.hub;
    const limit = link.config.maxSources ?? DEFAULT_MAX_SOURCES;
    if (replaceAll) link.refusedSources.clear();
    for (const id of removed) link.refusedSources.delete(id);
    const keep = new Set<string>();
    const changed: SourceView[] = [];
    const cutoff = this.now() - (this.options.trackMs ?? DEFAULT_TRACK_MS);
    const latest = this.now() + TRACK_FUTURE_TOLERANCE_MS;
    for (const view of views) {
      const holder = this.sourceOwner.get(view.id);
      let refusal: [string, string] | null = null;
      if (this.options.isOwnSource?.(view.id))
        refusal = ['SOURCE_OF_THIS_HUB', `source ${view.id} is one of this hub's own`];
      else if (holder && holder !== hub)
        refusal = ['SOURCE_OF_ANOTHER_HUB', `source ${view.id} belongs to hub ${holder}`];
      else if (
        (replaceAll || !link.sources.has(view.id)) &&
        (replaceAll ? keep.size : link.sources.size) >= limit
      )
        refusal = ['TOO_MANY_SOURCES', `source ${view.id}: the link holds its limit of ${limit}`];
      if (refusal) {
        this.refuse(hub, refusal[0], refusal[1]);
        if (link.refusedSources.size < limit) link.refusedSources.add(view.id);
        continue;
      }
      const held = replaceAll ? undefined : link.sources.get(view.id);
      // Points are taken in time order, on the globe, and not from the future (a hub's clock, or a
      // broken hub, could otherwise block every later point); older ones fall off.
      const track = [...(held?.track ?? [])];
      let lastAt = track[track.length - 1]?.[2] ?? Number.NEGATIVE_INFINITY;
      for (const p of view.track) {
        const [lon, lat, at] = p;
        if (at <= lastAt || at > latest || Math.abs(lon) > 180 || Math.abs(lat) > 90) continue;
        track.push(p);
        lastAt = at;
      }
      const kept = track.filter((p) => p[2] >= cutoff).slice(-MAX_TRACK_POINTS);
      // The owning hub is the link it came on, whatever the view says.
      const stored: SourceView = { ...view, hubId: hub, track: kept };
      link.sources.set(view.id, stored);
      this.sourceOwner.set(view.id, hub);
      keep.add(view.id);
      changed.push(stored);
    }
    const gone = replaceAll
      ? [...link.sources.keys()].filter((id) => !keep.has(id))
      : removed.filter((id) => link.sources.has(id));
    for (const id of gone) {
      link.sources.delete(id);
      if (this.sourceOwner.get(id) === hub) this.sourceOwner.delete(id);
    }
    if (link.state === 'up' && changed.length > 0) this.options.sourcesChanged?.(changed);
    if (gone.length > 0) this.options.sourcesRemoved?.(gone);
  }

  /** Applies views and removals of one link; with `replaceAll`, cameras not listed are removed. */
  private apply(
    link: Link,
    views: readonly CameraView[],
    removed: readonly string[],
    replaceAll: boolean,
  ): void {
    const hub = link.config.hub;
    const changed: CameraView[] = [];
    const gone: string[] = [];
    const accepted: CameraView[] = [];
    const limit = link.config.maxCameras ?? DEFAULT_MAX_CAMERAS;
    if (replaceAll) link.refused.clear();
    for (const id of removed) link.refused.delete(id);
    for (const view of views) {
      const holder = this.owner.get(view.id);
      if (this.options.isOwnCamera(view.id)) {
        this.refuse(hub, 'CAMERA_OF_THIS_HUB', `camera ${view.id} is one of this hub's own`);
        if (link.refused.size < limit) link.refused.add(view.id);
        continue;
      }
      if (holder && holder !== hub) {
        this.refuse(hub, 'CAMERA_OF_ANOTHER_HUB', `camera ${view.id} belongs to hub ${holder}`);
        if (link.refused.size < limit) link.refused.add(view.id);
        continue;
      }
      // The owning hub is the link it came on, whatever the view says.
      accepted.push(view.hubId === hub ? view : { ...view, hubId: hub });
    }
    // No more cameras than the link may hold: the first ones stay, new ones beyond are refused.
    const staying = replaceAll
      ? new Set<string>()
      : new Set([...link.cameras.keys()].filter((id) => !removed.includes(id)));
    const within: CameraView[] = [];
    for (const view of accepted) {
      if (staying.has(view.id) || staying.size < limit) {
        staying.add(view.id);
        within.push(view);
      } else {
        this.refuse(hub, 'TOO_MANY_CAMERAS', `camera ${view.id}: the link holds its limit of ${limit}`);
        // Counted in the heartbeat's camera count like any refused camera, up to the same bound.
        if (link.refused.size < limit) link.refused.add(view.id);
      }
    }
    accepted.length = 0;
    accepted.push(...within);
    const keep = new Set(accepted.map((v) => v.id));
    const drop = replaceAll ? [...link.cameras.keys()].filter((id) => !keep.has(id)) : [...removed];
    for (const id of drop) {
      if (link.cameras.delete(id)) {
        this.owner.delete(id);
        gone.push(id);
      }
    }
    for (const view of accepted) {
      link.cameras.set(view.id, view);
      this.owner.set(view.id, hub);
      changed.push(view);
    }
    // One write after another, so a row never ends older than the view before it.
    this.writes = this.writes.then(() => this.store(hub, accepted, gone));
    if (link.state === 'up') {
      if (changed.length > 0) this.options.changed(changed);
    }
    if (gone.length > 0) this.options.removed(gone);
  }

  private async store(hub: string, views: readonly CameraView[], gone: readonly string[]): Promise<void> {
    try {
      if (gone.length > 0)
        await this.options.pool.query(
          'DELETE FROM federated_cameras WHERE origin_hub = $1 AND id = ANY($2::text[])',
          [hub, gone],
        );
      if (views.length === 0) return;
      await this.options.pool.query(
        `INSERT INTO federated_cameras (id, origin_hub, view, state, council_id, location, bearing_deg, hfov_deg,
           design_distance_m, received_at)
         SELECT v->>'id', $1, v, v->>'state', v->>'councilId',
           ST_SetSRID(ST_MakePoint((v->'location'->'coordinates'->>0)::float8, (v->'location'->'coordinates'->>1)::float8), 4326),
           (v->>'bearingDeg')::float8, (v->>'hfovDeg')::float8, (v->>'designDistanceM')::float8, $3
         FROM jsonb_array_elements($2::jsonb) v
         ON CONFLICT (id) DO UPDATE SET view = EXCLUDED.view, state = EXCLUDED.state, council_id = EXCLUDED.council_id,
           location = EXCLUDED.location, bearing_deg = EXCLUDED.bearing_deg, hfov_deg = EXCLUDED.hfov_deg,
           design_distance_m = EXCLUDED.design_distance_m, received_at = EXCLUDED.received_at
         WHERE federated_cameras.origin_hub = $1`,
        [hub, JSON.stringify(views), new Date(this.now())],
      );
    } catch (error) {
      this.options.log.error(
        { hub, err: (error as Error).message },
        'could not store cameras of a linked hub',
      );
    }
  }

  private setState(link: Link, state: LinkStatus['state']): void {
    const was = link.state;
    link.state = state;
    link.since = this.now();
    this.options.log[state === 'up' ? 'info' : 'warn'](
      { hub: link.config.hub, was, cameras: link.cameras.size },
      state === 'up' ? 'link to hub up' : 'link to hub down: its cameras show as unknown',
    );
    // Every camera and source of the link changes how it is shown.
    const views = [...link.cameras.values()].map((v) => this.shown(link, v));
    if (views.length > 0) this.options.changed(views);
    const sources = [...link.sources.values()].map((v) => this.shownSource(link, v));
    if (sources.length > 0) this.options.sourcesChanged?.(sources);
  }

  private checkSilence(): void {
    const now = this.now();
    for (const link of this.links.values()) {
      const heard = link.lastHeardAt ?? link.since;
      if (link.state === 'up' && now - heard > this.options.linkTimeoutMs) {
        link.epoch = null;
        this.setState(link, 'down');
      }
    }
  }

  private resync(link: Link, why: string): Promise<void> {
    if (link.syncing) return link.syncing;
    link.syncing = (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        const wait =
          link.lastSnapshotAt + (this.options.snapshotMinGapMs ?? SNAPSHOT_MIN_GAP_MS) - this.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (this.stopped) return;
        link.lastSnapshotAt = this.now();
        try {
          const body = await (this.options.fetchSnapshot ?? fetchSnapshot)(link.config, this.options.selfId);
          const problem = checkSnapshot(body);
          if (problem) throw new Error(`snapshot refused: ${problem}`);
          const snapshot = body as FederationSnapshot;
          if (snapshot.hub !== link.config.hub)
            throw new Error(`snapshot from ${link.config.apiUrl} says it is hub ${snapshot.hub}`);
          link.epoch = snapshot.epoch;
          link.seq = snapshot.seq;
          link.snapshots++;
          link.lastError = null;
          this.apply(link, snapshot.cameras, [], true);
          this.applySources(link, snapshot.sources ?? [], [], true);
          // Changes numbered after the snapshot carry on from it; older ones are already in it.
          const held = link.held.filter((m) => m.epoch === snapshot.epoch && m.seq > snapshot.seq);
          link.held = [];
          held.sort((a, b) => a.seq - b.seq);
          for (const message of held) {
            if (message.seq !== link.seq + 1) break;
            link.seq = message.seq;
            this.apply(link, message.cameras, message.removed, false);
            this.applySources(link, message.sources ?? [], message.removedSources ?? [], false);
          }
          this.options.log.info(
            { hub: link.config.hub, why, seq: link.seq },
            'took a snapshot from a linked hub',
          );
          if (link.state !== 'up') this.setState(link, 'up');
          return;
        } catch (error) {
          link.lastError = (error as Error).message;
          this.options.log.warn(
            { hub: link.config.hub, err: link.lastError, attempt },
            'snapshot from a linked hub failed',
          );
          await new Promise((r) => setTimeout(r, SNAPSHOT_RETRY_MS));
        }
      }
    })().finally(() => {
      link.syncing = null;
    });
    return link.syncing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.writes;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true).catch(() => {});
  }
}

/** GET <apiUrl>/api/federation/v1/snapshot?peer=<self> with the hub-to-hub key: bounded in time and size. */
function fetchSnapshot(link: LinkConfig, self: string): Promise<unknown> {
  return callPeer(link, '/api/federation/v1/snapshot', {
    self,
    timeoutMs: SNAPSHOT_TIMEOUT_MS,
    maxBytes: MAX_SNAPSHOT_BYTES,
  });
}
