import type pg from 'pg';
import type { Logger } from 'pino';
import { LoopLag } from '../../../src/health/loop-lag.ts';
import { decodeMessage } from '../../../src/messages.ts';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import type { StoredFix } from '../sources/source-repository.ts';
import type { FleetState } from '../state/fleet-state.ts';
import {
  type BatchOptions,
  type BatchOutcome,
  type InboundMessage,
  processBatch,
  type SiteRefusal,
  type Sweep,
  storable,
} from './batch-processor.ts';
import { type AheadListener, LiveAhead } from './live-ahead.ts';
import { SiteRateLimiter } from './site-rate.ts';

export interface PipelineOptions extends BatchOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** Queue length from which the receiver is asked to stop reading (see whenRoom). */
  maxQueued?: number;
  sweepIntervalMs: number;
  /** Lanes writing batches at once, each on its own connection, sites split between them (default 1). */
  writers?: number;
  /** Messages a site may send per second, averaged over burstSeconds (registry config). */
  messagesPerSecondPerSite?: number;
  burstSeconds?: number;
}

export interface PipelineStats {
  received: number;
  accepted: number;
  duplicates: number;
  deadLettered: number;
  batches: number;
  failedBatches: number;
  queued: number;
  clearedRetained: number;
  /** Times the MQTT receiver was paused because maxQueued messages were waiting. */
  readPauses: number;
  deadLetterCodes: Record<string, number>;
  /** Messages refused for what their site asserted, by site and code (see admission.ts). */
  refusedBySite: Record<string, Record<string, number>>;
  /** Rate-refused messages beyond each site's dead-letter budget: counted here, not stored. */
  refusedUnstored: number;
  /**
   * How old messages are when their batch commits (commit time minus the agent's observedAt), as a
   * cumulative histogram: `le[ms]` counts the messages stored within that many milliseconds. Outbox
   * replays after an outage count with their real age. Retained messages are left out.
   */
  storeDelay: { count: number; le: Record<string, number>; maxMs: number };
}

const STORE_DELAY_BUCKETS_MS = [50, 100, 250, 500, 1000, 2000, 5000, 30_000] as const;

export type ChangeListener = (change: {
  cameras: CameraView[];
  sites: SiteView[];
  removedCameras: string[];
  /** Mobile sources' newest fixes stored by the batch. */
  sources: StoredFix[];
}) => void;

/** With nothing queued and nothing received for this long, the hub has read all its sites' data. */
const CAUGHT_UP_QUIET_MS = 1000;
/**
 * A stall of the hub's event loop this long means it was not listening: the quiet second above is
 * only evidence once the hub has run freely for it.
 */
const HUB_STALL_MS = CAUGHT_UP_QUIET_MS / 4;

/** Rejected messages logged one by one per batch; the rest are summed by code in one line. */
const LOGGED_REJECTIONS_PER_BATCH = 20;

/** Consecutive failures of one batch after which it is treated as holding a poison message. */
const POISON_AFTER_FAILURES = 3;

interface Pending extends InboundMessage {
  /** Called once the message is committed (or dead-lettered): the broker gets its PUBACK then. */
  done: () => void;
}

/**
 * One writer: its own queue, written in batches one after the other through one connection at a
 * time. Every message of a site goes to the same lane, so a camera's messages are stored in the
 * order they arrived.
 */
interface Lane {
  readonly index: number;
  queue: Pending[];
  running: Promise<void> | null;
  flushTimer: NodeJS.Timeout | null;
  retryDelayMs: number;
  /** Consecutive failures of the batch at the head of the queue. */
  failures: number;
  /** Messages still to be processed one at a time, to find the one that makes its batch fail. */
  isolating: number;
  /** The stale sweep of this lane's sites is due (it runs with the lane's next batch). */
  sweepDue: boolean;
  /**
   * How far this lane's stream of live observations has been stored: the highest median observedAt
   * of a committed batch (each capped at the commit time). The median, so that a few agents whose
   * clocks run ahead cannot carry it forward. Per lane: another lane's sites may be further on.
   */
  storedUntilMs: number;
  /** Whether a site's messages go to this lane. */
  owns: ((siteId: string) => boolean) | undefined;
}

/** Which of `writers` lanes a site's messages go to (FNV-1a of its id). */
export function writerLane(siteId: string, writers: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < siteId.length; i++) h = Math.imul(h ^ siteId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % writers;
}

/**
 * Writer of camera and site state. Messages are acknowledged only after their batch has committed; a
 * failed batch is retried (nothing is acknowledged, nothing is lost).
 *
 * With `writers` above one, sites are split over that many lanes, each writing its own batches on
 * its own connection: one lane builds its next batch while another's is written, and the database
 * writes several at once. A site's messages all go through one lane, and a camera belongs to one
 * site, so per-camera order holds; what spans sites (the stale sweep, registry changes, the last
 * write of held-back columns at shutdown) runs alone, between batches of every lane; each lane
 * sweeps its own sites' cameras, so a lane whose batch waits on the database holds up no other.
 */
export class IngestPipeline {
  private readonly lanes: Lane[];
  /** Messages queued over all lanes. */
  private queuedTotal = 0;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = true;
  /** Work that must run with no batch in flight (see exclusive): lanes start no batch meanwhile. */
  private holds = 0;
  private holdsReleased: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Exclusive sections run one at a time, in the order asked. */
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<ChangeListener>();
  private readonly refusalListeners = new Set<(refusals: SiteRefusal[]) => void>();
  private readonly rate: SiteRateLimiter | null;
  /** State changes pushed before their batch commits (live.pushBeforeCommit), when asked for. */
  private ahead: LiveAhead | null = null;
  /** Receivers waiting for the queue to shrink below maxQueued. */
  private roomWaiters: (() => void)[] = [];
  /** When the last message arrived (hub clock). */
  private lastReceivedMs = Number.NEGATIVE_INFINITY;
  /** The hub's own event-loop delay, on the real clock (an injected clock says nothing of the process). */
  private readonly loopLag = new LoopLag({ now: Date.now, tickMs: 100, jitterMs: HUB_STALL_MS });
  readonly stats: PipelineStats = {
    received: 0,
    accepted: 0,
    duplicates: 0,
    deadLettered: 0,
    batches: 0,
    failedBatches: 0,
    queued: 0,
    clearedRetained: 0,
    readPauses: 0,
    deadLetterCodes: {},
    refusedBySite: {},
    refusedUnstored: 0,
    storeDelay: {
      count: 0,
      le: Object.fromEntries(STORE_DELAY_BUCKETS_MS.map((b) => [String(b), 0])),
      maxMs: 0,
    },
  };

  constructor(
    private readonly pool: pg.Pool,
    private readonly fleet: FleetState,
    private readonly options: PipelineOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.rate = options.messagesPerSecondPerSite
      ? new SiteRateLimiter(options.messagesPerSecondPerSite, options.burstSeconds ?? 30)
      : null;
    const writers = Math.max(1, options.writers ?? 1);
    this.lanes = Array.from({ length: writers }, (_, index) => ({
      index,
      queue: [],
      running: null,
      flushTimer: null,
      retryDelayMs: 100,
      failures: 0,
      isolating: 0,
      sweepDue: false,
      storedUntilMs: 0,
      owns: writers === 1 ? undefined : (siteId: string) => writerLane(siteId, writers) === index,
    }));
  }

  /**
   * Camera state changes as soon as their message is decoded, before its batch commits, and the
   * stored views of those the batch then did not change (see live-ahead.ts). One listener.
   */
  onAhead(listener: AheadListener): void {
    this.ahead = new LiveAhead(this.fleet, this.options, listener);
  }

  /** Refusals of what sites asserted, after their dead letters committed (or at once when not stored). */
  onRefusals(listener: (refusals: SiteRefusal[]) => void): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  private emitRefusals(refusals: SiteRefusal[]): void {
    if (refusals.length === 0) return;
    for (const r of refusals) {
      // Bounded: a flood of made-up site ids (possible only with site authentication off) cannot grow it.
      const bySite =
        this.stats.refusedBySite[r.siteId] ??
        (Object.keys(this.stats.refusedBySite).length < 10_000 ? {} : undefined);
      if (!bySite) continue;
      this.stats.refusedBySite[r.siteId] = bySite;
      bySite[r.code] = (bySite[r.code] ?? 0) + 1;
    }
    for (const listener of this.refusalListeners) listener(refusals);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.stopped = false;
    this.loopLag.start();
    this.sweepTimer = setInterval(() => this.sweepAll(), this.options.sweepIntervalMs);
  }

  /** Every lane sweeps its sites with its next batch (one of its own when nothing is queued). */
  private sweepAll(): void {
    for (const lane of this.lanes) {
      lane.sweepDue = true;
      this.kick(lane);
    }
  }

  private static hasWork(lane: Lane): boolean {
    return lane.queue.length > 0 || lane.sweepDue;
  }

  /** Runs the periodic sweep now, with whatever is queued, and resolves once it has committed. */
  async sweepNow(): Promise<void> {
    await this.lanesStopped();
    this.sweepAll();
    await this.idle();
  }

  /** Drains what is queued (graceful shutdown), then stops timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.releaseWaiters();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const lane of this.lanes) {
      if (lane.flushTimer) clearTimeout(lane.flushTimer);
      lane.flushTimer = null;
    }
    this.loopLag.stop();
    // Everything queued is written before the hub stops (a batch that fails is left to the
    // broker, which redelivers what was not acknowledged).
    await this.exclusive(async () => {
      for (const lane of this.lanes) while (lane.queue.length > 0 && (await this.runOnce(lane)));
    });
    await this.flushHeartbeats();
  }

  /** Writes every camera's held-back heartbeat columns (at shutdown: nothing is left unwritten). */
  async flushHeartbeats(): Promise<void> {
    await this.exclusive(async () => {
      if (this.fleet.heartbeats.unsaved.size === 0) return;
      await processBatch(this.pool, this.fleet, [], null, this.options, {
        nowMs: this.now(),
        flush: 'all',
      }).catch((error: unknown) =>
        this.log.error({ err: error }, 'could not write the last heartbeat columns of camera rows'),
      );
    });
  }

  private laneOf(siteId: string | undefined): Lane {
    const lanes = this.lanes;
    if (lanes.length === 1 || siteId === undefined) return lanes[0] as Lane;
    return lanes[writerLane(siteId, lanes.length)] as Lane;
  }

  push(topic: string, payload: Buffer, done: () => void, retained = false): void {
    this.stats.received++;
    this.lastReceivedMs = this.now();
    if (payload.byteLength === 0) {
      // An empty payload clears a retained message on the broker: nothing to store.
      this.stats.clearedRetained++;
      done();
      return;
    }
    // Decoded (parsed and validated) on arrival: that work then overlaps the write of the batch
    // before, instead of adding to the next batch's time.
    const decoded = decodeMessage(topic, payload, this.options.maxPayloadBytes);
    const receivedAt = new Date(this.now());
    let refused: InboundMessage['refused'];
    const siteId = decoded.ok ? decoded.message.siteId : decoded.topic?.siteId;
    if (this.rate && siteId && !retained) {
      const verdict = this.rate.take(siteId, receivedAt.getTime());
      if (verdict !== 'ok') {
        refused = {
          code: 'QUOTA_RATE',
          path: '/',
          message: `site ${siteId} sent more than ${this.options.messagesPerSecondPerSite} messages a second`,
        };
        if (verdict === 'refuse-unstored') {
          // Past the site's dead-letter budget too: counted and alerted, acknowledged, not stored.
          this.stats.refusedUnstored++;
          this.emitRefusals([{ siteId, code: refused.code, message: refused.message, receivedAt }]);
          done();
          return;
        }
      }
    }
    const lane = this.laneOf(siteId);
    lane.queue.push({ topic, payload, receivedAt, retained, done, decoded, refused });
    this.queuedTotal++;
    this.stats.queued = this.queuedTotal;
    if (this.ahead && decoded.ok && !retained && !refused)
      this.ahead.observe(decoded.message, receivedAt.getTime());
    if (lane.queue.length >= this.options.batchSize) this.kick(lane);
    else if (!lane.flushTimer && !this.stopped) {
      lane.flushTimer = setTimeout(() => {
        lane.flushTimer = null;
        this.kick(lane);
      }, this.options.flushIntervalMs);
    }
  }

  /** True while the queue holds maxQueued messages or more: the receiver should stop reading. */
  get full(): boolean {
    return this.queuedTotal >= (this.options.maxQueued ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Calls back once the queue is below maxQueued again. The MQTT receiver parses its next packet
   * only then, so under overload the backlog stays in the broker's session, not in hub memory.
   */
  whenRoom(callback: () => void): void {
    if (!this.full || this.stopped) callback();
    else {
      this.stats.readPauses++;
      this.roomWaiters.push(callback);
    }
  }

  private releaseWaiters(): void {
    if (this.roomWaiters.length === 0 || (this.full && !this.stopped)) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private dequeue(lane: Lane, count: number): void {
    lane.queue.splice(0, count);
    this.queuedTotal -= count;
    this.stats.queued = this.queuedTotal;
    this.releaseWaiters();
  }

  /**
   * Runs `fn` between batches: no batch of any lane is in flight while it runs, so a registry change
   * (a camera approved, a site moved) is applied to the fleet state without a batch in flight
   * overwriting it with views it copied before, and the sweep sees every lane's commits.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holds++ === 0) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.holdsReleased = { promise, resolve };
    }
    const run = this.exclusiveTail.then(async () => {
      await this.lanesStopped();
      return fn();
    });
    this.exclusiveTail = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      if (--this.holds === 0) {
        const released = this.holdsReleased;
        this.holdsReleased = null;
        released?.resolve();
        if (!this.stopped) for (const lane of this.lanes) if (IngestPipeline.hasWork(lane)) this.kick(lane);
      }
    }
  }

  /** Resolves once no lane has a batch in flight (lanes start none while an exclusive section waits). */
  private async lanesStopped(): Promise<void> {
    for (;;) {
      const running = this.lanes.flatMap((lane) => (lane.running ? [lane.running] : []));
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Resolves when everything queued so far has been committed. */
  async idle(): Promise<void> {
    for (;;) {
      const waits: Promise<unknown>[] = [];
      for (const lane of this.lanes) {
        if (!lane.running && IngestPipeline.hasWork(lane)) this.kick(lane);
        if (lane.running) waits.push(lane.running);
      }
      if (this.holdsReleased) waits.push(this.holdsReleased.promise);
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  private kick(lane: Lane): void {
    if (lane.running || this.holds > 0) return;
    lane.running = this.loop(lane).finally(() => {
      lane.running = null;
      // Work that arrived during the last batch has waited for it already: it goes next, whatever
      // its size (under load batches grow by themselves; a lone message is not held back).
      if (!this.stopped && IngestPipeline.hasWork(lane)) this.kick(lane);
    });
  }

  private async loop(lane: Lane): Promise<void> {
    while (IngestPipeline.hasWork(lane) && this.holds === 0) {
      const ok = await this.runOnce(lane);
      if (!ok) {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, lane.retryDelayMs));
        lane.retryDelayMs = Math.min(lane.retryDelayMs * 2, 5_000);
      } else {
        lane.retryDelayMs = 100;
      }
      if (lane.queue.length < this.options.batchSize && !lane.sweepDue) return;
    }
  }

  private async runOnce(lane: Lane): Promise<boolean> {
    const batch = lane.queue.slice(0, lane.isolating > 0 ? 1 : this.options.batchSize);
    const sweep = lane.sweepDue
      ? { ...this.sweepClock(lane), ...(lane.owns ? { owns: lane.owns } : {}) }
      : null;
    try {
      const outcome = await processBatch(this.pool, this.fleet, batch, sweep, this.options, {
        nowMs: this.now(),
        flush: sweep ? 'due' : 'none',
      });
      this.dequeue(lane, batch.length);
      if (sweep) lane.sweepDue = false;
      this.stats.batches++;
      lane.failures = 0;
      if (lane.isolating > 0) lane.isolating -= batch.length;
      this.committed(batch, outcome);
      this.advanceStoredUntil(lane, outcome.observedAtMs);
      return true;
    } catch (error) {
      this.stats.failedBatches++;
      lane.failures++;
      // Nothing of it is stored: screens go back to the stored views until a retry commits.
      this.ahead?.settle(batch);
      this.log.error(
        { err: error, size: batch.length },
        'ingest batch failed; will retry without acknowledging',
      );
      if (lane.failures >= POISON_AFTER_FAILURES) return this.isolate(lane, batch, error);
      return false;
    }
  }

  /** After a batch (or a sweep) committed: counts, logs, acknowledgements, listeners. */
  private committed(batch: Pending[], outcome: BatchOutcome): void {
    this.stats.accepted += outcome.accepted;
    this.stats.duplicates += outcome.duplicates;
    this.stats.deadLettered += outcome.deadLetters.length;
    // Each rejection is logged up to a few per batch, then summed: a flood of refused messages
    // must not turn into a flood of log lines (each is in dead_letters, or counted when not kept).
    const more: Record<string, number> = {};
    outcome.deadLetters.forEach((d, i) => {
      this.stats.deadLetterCodes[d.code] = (this.stats.deadLetterCodes[d.code] ?? 0) + 1;
      if (i < LOGGED_REJECTIONS_PER_BATCH)
        this.log.warn(
          { topic: d.topic, code: d.code, path: d.path, bytes: d.rawSize },
          `rejected message: ${d.message}`,
        );
      else more[d.code] = (more[d.code] ?? 0) + 1;
    });
    if (Object.keys(more).length > 0)
      this.log.warn({ codes: more }, 'more messages rejected in the same batch (see dead letters)');
    for (const note of outcome.notes) this.log.warn(note);
    this.emitRefusals(outcome.refusals);
    for (const item of batch) item.done();
    this.recordStoreDelays(outcome.observedAtMs);
    if (
      outcome.changedCameras.length > 0 ||
      outcome.changedSites.length > 0 ||
      outcome.removedCameras.length > 0 ||
      outcome.sourceFixes.length > 0
    ) {
      const change = {
        cameras: outcome.changedCameras,
        sites: outcome.changedSites,
        removedCameras: outcome.removedCameras,
        sources: outcome.sourceFixes,
      };
      for (const listener of this.listeners) listener(change);
    }
    if (this.ahead) {
      this.ahead.forget(outcome.removedCameras);
      this.ahead.settle(batch);
    }
  }

  /**
   * The sweep's clocks. Staleness is judged against the time up to which sites' data has been read:
   * the wall clock when nothing is waiting (no message queued and none arrived for a second, so the
   * broker has nothing more for the hub), otherwise how far the stored observations reach. A hub
   * working through a backlog thus never calls a camera stale whose heartbeats are still queued.
   * Nor does a hub whose own event loop was stalled (a starved host): the heartbeats that arrived
   * meanwhile are still unread in its sockets, and a sweep right after the stall (a timer, it runs
   * before they are read) would otherwise take the silence for the sites'.
   *
   * With several lanes: the broker delivers one stream, in order, so a lane whose queue is empty has
   * stored everything of its sites that was read before the newest data any lane has stored, and
   * its sites are judged against that (a lane whose sites have gone quiet still sweeps them); a lane
   * with messages waiting is judged by how far its own stored data reaches. Caught up (the wall
   * clock) only when nothing is queued in any lane, which also means reading is not paused.
   */
  private sweepClock(lane: Lane): Sweep {
    const now = this.now();
    const realNow = Date.now();
    const freeSince = this.loopLag.runningFreelySinceMs(realNow);
    const listening = freeSince === null || realNow - freeSince >= CAUGHT_UP_QUIET_MS;
    const caughtUp = listening && this.queuedTotal === 0 && now - this.lastReceivedMs >= CAUGHT_UP_QUIET_MS;
    const storedUntil =
      lane.queue.length === 0 ? Math.max(...this.lanes.map((l) => l.storedUntilMs)) : lane.storedUntilMs;
    const dataUntil = caughtUp ? now : Math.min(now, storedUntil);
    return { at: new Date(now), dataUntil: new Date(dataUntil) };
  }

  private advanceStoredUntil(lane: Lane, observedAtMs: readonly number[]): void {
    if (observedAtMs.length === 0) return;
    const sorted = [...observedAtMs].sort((a, b) => a - b);
    const median = Math.min(this.now(), sorted[Math.floor(sorted.length / 2)] as number);
    if (median > lane.storedUntilMs) lane.storedUntilMs = median;
  }

  private recordStoreDelays(observedAtMs: readonly number[]): void {
    const now = this.now();
    const delay = this.stats.storeDelay;
    const counts = STORE_DELAY_BUCKETS_MS.map(() => 0);
    for (const at of observedAtMs) {
      // An agent clock ahead of the hub's would give a negative age: count it as stored at once.
      const ms = Math.max(0, now - at);
      if (ms > delay.maxMs) delay.maxMs = ms;
      for (
        let i = STORE_DELAY_BUCKETS_MS.length - 1;
        i >= 0 && ms <= (STORE_DELAY_BUCKETS_MS[i] as number);
        i--
      )
        counts[i] = (counts[i] as number) + 1;
    }
    delay.count += observedAtMs.length;
    STORE_DELAY_BUCKETS_MS.forEach((b, i) => {
      delay.le[String(b)] = (delay.le[String(b)] ?? 0) + (counts[i] as number);
    });
  }

  /**
   * A batch that keeps failing: while the database answers, it is one message's fault, not an
   * outage. Retry the batch a message at a time; a single message that still fails is kept in
   * dead_letters (raw bytes) and acknowledged, so one poison message cannot stop ingest. When even
   * that insert fails, the database is down: nothing is dropped, the retries go on.
   */
  private async isolate(lane: Lane, batch: Pending[], error: unknown): Promise<boolean> {
    lane.failures = 0;
    if (batch.length > 1) {
      lane.isolating = batch.length;
      this.log.warn(
        { size: batch.length },
        'ingest batch keeps failing: retrying its messages one at a time',
      );
      return false;
    }
    const [item] = batch;
    if (!item) return false;
    try {
      await this.pool.query(
        `INSERT INTO dead_letters (topic, site_id, code, path, message, raw, raw_size, received_at)
         VALUES ($1, NULL, 'STORE_FAILED', '/', $2, $3, $4, $5)`,
        [
          storable(item.topic.slice(0, 500)),
          storable(`could not be stored: ${(error as Error).message ?? String(error)}`.slice(0, 2000)),
          item.payload.subarray(0, this.options.deadLetterMaxBytes),
          item.payload.byteLength,
          item.receivedAt,
        ],
      );
    } catch (insertError) {
      this.log.error({ err: insertError }, 'database unavailable: the message stays queued');
      return false;
    }
    this.dequeue(lane, 1);
    this.stats.deadLettered++;
    this.stats.deadLetterCodes.STORE_FAILED = (this.stats.deadLetterCodes.STORE_FAILED ?? 0) + 1;
    if (lane.isolating > 0) lane.isolating--;
    this.log.error(
      { topic: item.topic.slice(0, 200), bytes: item.payload.byteLength },
      'message could not be stored: dead-lettered',
    );
    item.done();
    // Its change, if pushed ahead, was never stored: screens go back to the stored view.
    this.ahead?.settle([item]);
    return true;
  }
}
