import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CameraView } from '../../../src/schemas/api.ts';
import {
  type FederationChanges,
  type FederationHeartbeat,
  type FederationSnapshot,
  MAX_CAMERAS_PER_MESSAGE,
  MAX_SHARED_SOURCES,
  MAX_SOURCES_PER_MESSAGE,
} from '../../../src/schemas/federation.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';
import { federationOutTopic as outTopic } from '../../../src/topics.ts';

/** What one peer hub may see of this hub's cameras (federation.shares in the hub config). */
export interface SharePolicy {
  peer: string;
  councils?: readonly string[];
  sites?: readonly string[];
  cameras?: readonly string[];
  /** Mobile sources the peer may see (an agreement between forces); absent: none, `{}`: all. */
  sources?: { units?: readonly string[]; ids?: readonly string[] };
}

/** A compiled policy: every list it has must admit the camera (an absent list admits all). */
export class Share {
  private readonly councils: Set<string> | null;
  private readonly sites: Set<string> | null;
  private readonly cameras: Set<string> | null;
  private readonly sources: { units: Set<string> | null; ids: Set<string> | null } | null;

  constructor(readonly policy: SharePolicy) {
    this.councils = policy.councils ? new Set(policy.councils) : null;
    this.sites = policy.sites ? new Set(policy.sites) : null;
    this.cameras = policy.cameras ? new Set(policy.cameras) : null;
    const sources = policy.sources;
    this.sources = sources
      ? {
          units: sources.units ? new Set(sources.units) : null,
          ids: sources.ids ? new Set(sources.ids) : null,
        }
      : null;
  }

  get peer(): string {
    return this.policy.peer;
  }

  admits(camera: Pick<CameraView, 'id' | 'siteId' | 'councilId'>): boolean {
    return (
      (!this.councils || this.councils.has(camera.councilId)) &&
      (!this.sites || this.sites.has(camera.siteId)) &&
      (!this.cameras || this.cameras.has(camera.id))
    );
  }

  /** Sources are shared only where the policy says so; then every list it has must admit the source. */
  admitsSource(source: Pick<SourceView, 'id' | 'unit'>): boolean {
    const s = this.sources;
    return s !== null && (!s.units || s.units.has(source.unit)) && (!s.ids || s.ids.has(source.id));
  }
}

interface PeerStream {
  share: Share;
  seq: number;
  /** Changed cameras not sent yet, latest view per id (null: no longer shared). */
  pending: Map<string, CameraView | null>;
  /** Ids the peer was last told about, so that a camera leaving the policy is sent as removed. */
  told: Set<string>;
  /** Changed sources not sent yet, latest view per id (null: no longer shared). */
  pendingSources: Map<string, SourceView | null>;
  toldSources: Set<string>;
  /** Per source, the time of the newest track point sent: a message carries only newer points. */
  trackSent: Map<string, number>;
}

export interface PublisherOptions {
  hubId: string;
  shares: readonly SharePolicy[];
  heartbeatMs: number;
  /** Publishes at QoS 1 on this hub's broker; rejects when not connected (null: not the ingest leader). */
  publish: () => ((topic: string, payload: string) => Promise<void>) | null;
  /** Every camera this hub knows now (its own, and any it passes on from other hubs). */
  cameras: () => Iterable<CameraView>;
  /** Every mobile source this hub knows now (its own, and any it passes on). */
  sources?: () => Iterable<SourceView>;
  log: Logger;
  now?: () => number;
  /** Changes are gathered this long and sent together. */
  gatherMs?: number;
}

/**
 * The sharing side of a link between hubs: camera changes, filtered by each peer's policy, as
 * numbered messages on this hub's broker, a heartbeat with the last number, and on request a full
 * snapshot at a number. A message lost on the way (a bridge cut, a restart) shows at the peer as a
 * gap, a new epoch or a silence, and the peer takes a snapshot: nothing here needs to be resent.
 */
export class FederationPublisher {
  /** Random per start: a peer that sees a new epoch knows the numbering began again. */
  readonly epoch = randomBytes(12).toString('base64url');
  private readonly streams: PeerStream[];
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  readonly stats = { messages: 0, heartbeats: 0, failures: 0 };
  /** Peers whose share admits more sources than it carries (logged once). */
  private readonly overfull = new Set<string>();

  constructor(private readonly options: PublisherOptions) {
    this.streams = options.shares.map((policy) => ({
      share: new Share(policy),
      seq: 0,
      pending: new Map(),
      told: new Set(),
      pendingSources: new Map(),
      toldSources: new Set(),
      trackSent: new Map(),
    }));
  }

  private sourceList(): SourceView[] {
    return [...(this.options.sources?.() ?? [])];
  }

  start(): void {
    for (const stream of this.streams) {
      for (const camera of this.options.cameras())
        if (stream.share.admits(camera)) stream.told.add(camera.id);
      // The peer has none of them yet: the first heartbeat's count makes it take a snapshot.
      for (const source of this.sourceList())
        if (stream.share.admitsSource(source) && this.room(stream, source.id))
          stream.toldSources.add(source.id);
    }
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
    this.heartbeat();
  }

  /** Cameras whose view changed (after commit). */
  changed(cameras: readonly CameraView[]): void {
    if (this.streams.length === 0 || cameras.length === 0) return;
    for (const stream of this.streams)
      for (const camera of cameras) {
        if (stream.share.admits(camera)) stream.pending.set(camera.id, camera);
        else if (stream.told.has(camera.id)) stream.pending.set(camera.id, null);
      }
    this.flushTimer ??= setTimeout(() => void this.flush(), this.options.gatherMs ?? 100);
  }

  /** Cameras retired from this hub. */
  removed(ids: readonly string[]): void {
    for (const stream of this.streams)
      for (const id of ids) if (stream.told.has(id)) stream.pending.set(id, null);
    if (ids.length > 0) this.flushTimer ??= setTimeout(() => void this.flush(), this.options.gatherMs ?? 100);
  }

  /** Mobile sources whose view changed (moved, changed state, registered). */
  sourcesChanged(views: readonly SourceView[]): void {
    if (this.streams.length === 0 || views.length === 0) return;
    let any = false;
    for (const stream of this.streams)
      for (const view of views) {
        if (stream.share.admitsSource(view) && this.room(stream, view.id))
          stream.pendingSources.set(view.id, view);
        else if (stream.toldSources.has(view.id)) stream.pendingSources.set(view.id, null);
        else continue;
        any = true;
      }
    if (any) this.flushTimer ??= setTimeout(() => void this.flush(), this.options.gatherMs ?? 100);
  }

  /**
   * Whether the share has room for this source: at most MAX_SHARED_SOURCES (the first ones stay; a
   * policy that admits more is logged, once per peer, and should be narrowed by unit).
   */
  private room(stream: PeerStream, id: string): boolean {
    if (stream.toldSources.has(id) || stream.pendingSources.has(id)) return true;
    if (stream.toldSources.size + stream.pendingSources.size < MAX_SHARED_SOURCES) return true;
    if (!this.overfull.has(stream.share.peer)) {
      this.overfull.add(stream.share.peer);
      this.options.log.warn(
        { peer: stream.share.peer, limit: MAX_SHARED_SOURCES },
        'a share admits more mobile sources than one share carries: the rest are not shared; narrow it by unit',
      );
    }
    return false;
  }

  /** Mobile sources retired (or no longer passed on). */
  sourcesRemoved(ids: readonly string[]): void {
    let any = false;
    for (const stream of this.streams)
      for (const id of ids)
        if (stream.toldSources.has(id)) {
          stream.pendingSources.set(id, null);
          any = true;
        }
    if (any) this.flushTimer ??= setTimeout(() => void this.flush(), this.options.gatherMs ?? 100);
  }

  /** Whether `source` is shared with `peer` (a search, feed or export asked for by that peer). */
  admitsSource(peer: string, source: Pick<SourceView, 'id' | 'unit'>): boolean {
    return this.streams.some((s) => s.share.peer === peer && s.share.admitsSource(source));
  }

  /** Whether `peer` is one this hub shares with. */
  sharesWith(peer: string): boolean {
    return this.streams.some((s) => s.share.peer === peer);
  }

  /** What `peer` may see now, at the number of the last message sent to it. */
  snapshot(peer: string): FederationSnapshot | null {
    const stream = this.streams.find((s) => s.share.peer === peer);
    if (!stream) return null;
    const cameras = [...this.options.cameras()].filter((c) => stream.share.admits(c));
    const sources = this.sourceList().filter(
      (v) => stream.share.admitsSource(v) && stream.toldSources.has(v.id),
    );
    // The snapshot holds each whole track: the next change messages carry only newer points.
    for (const v of sources) {
      const last = v.track[v.track.length - 1];
      if (last) stream.trackSent.set(v.id, Math.max(stream.trackSent.get(v.id) ?? last[2], last[2]));
    }
    return {
      hub: this.options.hubId,
      epoch: this.epoch,
      seq: stream.seq,
      at: new Date(this.now()).toISOString(),
      cameras,
      ...(sources.length > 0 ? { sources } : {}),
    };
  }

  /** Whether `camera` is shared with `peer` (a feed or detail asked for by that peer). */
  admits(peer: string, camera: Pick<CameraView, 'id' | 'siteId' | 'councilId'>): boolean {
    return this.streams.some((s) => s.share.peer === peer && s.share.admits(camera));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    const publish = this.options.publish();
    for (const stream of this.streams) {
      await this.flushSources(stream, publish);
      if (stream.pending.size === 0) continue;
      const entries = [...stream.pending];
      stream.pending.clear();
      if (!publish) continue;
      for (let i = 0; i < entries.length; i += MAX_CAMERAS_PER_MESSAGE) {
        const chunk = entries.slice(i, i + MAX_CAMERAS_PER_MESSAGE);
        const cameras: CameraView[] = [];
        const removed: string[] = [];
        for (const [id, view] of chunk) {
          if (view) {
            cameras.push(view);
            stream.told.add(id);
          } else {
            removed.push(id);
            stream.told.delete(id);
          }
        }
        stream.seq++;
        const message: FederationChanges = {
          v: 1,
          epoch: this.epoch,
          seq: stream.seq,
          sentAt: new Date(this.now()).toISOString(),
          cameras,
          removed,
        };
        await this.send(stream, publish, message);
      }
    }
  }

  /** A failed send is not retried: the peer sees the gap in the numbers and takes a snapshot. */
  private async send(
    stream: PeerStream,
    publish: (topic: string, payload: string) => Promise<void>,
    message: FederationChanges,
  ): Promise<void> {
    await publish(outTopic(stream.share.peer, 'changes'), JSON.stringify(message)).then(
      () => void this.stats.messages++,
      (error: Error) => {
        this.stats.failures++;
        this.options.log.warn(
          { peer: stream.share.peer, seq: stream.seq, err: error.message },
          'could not send changes to a peer hub; it will resynchronise',
        );
      },
    );
  }

  /** Source changes, each with only the track points the peer has not been sent. */
  private async flushSources(
    stream: PeerStream,
    publish: ((topic: string, payload: string) => Promise<void>) | null,
  ): Promise<void> {
    if (stream.pendingSources.size === 0) return;
    const entries = [...stream.pendingSources];
    stream.pendingSources.clear();
    if (!publish) return;
    for (let i = 0; i < entries.length; i += MAX_SOURCES_PER_MESSAGE) {
      const sources: SourceView[] = [];
      const removedSources: string[] = [];
      for (const [id, view] of entries.slice(i, i + MAX_SOURCES_PER_MESSAGE)) {
        if (!view) {
          removedSources.push(id);
          stream.toldSources.delete(id);
          stream.trackSent.delete(id);
          continue;
        }
        const after = stream.trackSent.get(id) ?? Number.NEGATIVE_INFINITY;
        const last = view.track[view.track.length - 1];
        if (last) stream.trackSent.set(id, Math.max(after, last[2]));
        sources.push({ ...view, track: view.track.filter((p) => p[2] > after) });
        stream.toldSources.add(id);
      }
      stream.seq++;
      await this.send(stream, publish, {
        v: 1,
        epoch: this.epoch,
        seq: stream.seq,
        sentAt: new Date(this.now()).toISOString(),
        cameras: [],
        removed: [],
        sources,
        removedSources,
      });
    }
  }

  private heartbeat(): void {
    const publish = this.options.publish();
    if (!publish) return;
    for (const stream of this.streams) {
      const message: FederationHeartbeat = {
        v: 1,
        epoch: this.epoch,
        seq: stream.seq,
        sentAt: new Date(this.now()).toISOString(),
        cameraCount: stream.told.size,
        ...(stream.toldSources.size > 0 ? { sourceCount: stream.toldSources.size } : {}),
      };
      publish(outTopic(stream.share.peer, 'heartbeat'), JSON.stringify(message)).then(
        () => void this.stats.heartbeats++,
        () => void this.stats.failures++,
      );
    }
  }

  stop(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.flushTimer = null;
    this.heartbeatTimer = null;
  }
}
