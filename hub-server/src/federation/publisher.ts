import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CameraView } from '../../../src/schemas/api.ts';
import {
  type FederationChanges,
  type FederationHeartbeat,
  type FederationSnapshot,
  MAX_CAMERAS_PER_MESSAGE,
} from '../../../src/schemas/federation.ts';
import { federationOutTopic as outTopic } from '../../../src/topics.ts';

/** What one peer hub may see of this hub's cameras (federation.shares in the hub config). */
export interface SharePolicy {
  peer: string;
  councils?: readonly string[];
  sites?: readonly string[];
  cameras?: readonly string[];
}

/** A compiled policy: every list it has must admit the camera (an absent list admits all). */
export class Share {
  private readonly councils: Set<string> | null;
  private readonly sites: Set<string> | null;
  private readonly cameras: Set<string> | null;

  constructor(readonly policy: SharePolicy) {
    this.councils = policy.councils ? new Set(policy.councils) : null;
    this.sites = policy.sites ? new Set(policy.sites) : null;
    this.cameras = policy.cameras ? new Set(policy.cameras) : null;
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
}

interface PeerStream {
  share: Share;
  seq: number;
  /** Changed cameras not sent yet, latest view per id (null: no longer shared). */
  pending: Map<string, CameraView | null>;
  /** Ids the peer was last told about, so that a camera leaving the policy is sent as removed. */
  told: Set<string>;
}

export interface PublisherOptions {
  hubId: string;
  shares: readonly SharePolicy[];
  heartbeatMs: number;
  /** Publishes at QoS 1 on this hub's broker; rejects when not connected (null: not the ingest leader). */
  publish: () => ((topic: string, payload: string) => Promise<void>) | null;
  /** Every camera this hub knows now (its own, and any it passes on from other hubs). */
  cameras: () => Iterable<CameraView>;
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

  constructor(private readonly options: PublisherOptions) {
    this.streams = options.shares.map((policy) => ({
      share: new Share(policy),
      seq: 0,
      pending: new Map(),
      told: new Set(),
    }));
  }

  start(): void {
    for (const stream of this.streams)
      for (const camera of this.options.cameras())
        if (stream.share.admits(camera)) stream.told.add(camera.id);
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

  /** Whether `peer` is one this hub shares with. */
  sharesWith(peer: string): boolean {
    return this.streams.some((s) => s.share.peer === peer);
  }

  /** What `peer` may see now, at the number of the last message sent to it. */
  snapshot(peer: string): FederationSnapshot | null {
    const stream = this.streams.find((s) => s.share.peer === peer);
    if (!stream) return null;
    const cameras = [...this.options.cameras()].filter((c) => stream.share.admits(c));
    return {
      hub: this.options.hubId,
      epoch: this.epoch,
      seq: stream.seq,
      at: new Date(this.now()).toISOString(),
      cameras,
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
        // A failed send is not retried: the peer sees the gap in the numbers and takes a snapshot.
        await publish(outTopic(stream.share.peer, 'changes'), JSON.stringify(message)).then(
          () => void this.stats.messages++,
          (error: Error) => {
            this.stats.failures++;
            this.options.log.warn(
              { peer: stream.share.peer, seq: stream.seq, err: error.message },
              'could not send camera changes to a peer hub; it will resynchronise',
            );
          },
        );
      }
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
