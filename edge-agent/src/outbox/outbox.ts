import type { Logger } from 'pino';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
import { AgentError } from '../errors.ts';
import { Delivery } from './delivery.ts';
import { FullPolicy } from './full-policy.ts';
import {
  encodeRecord,
  isSample,
  lineBytes,
  type OutboxEnvelope,
  type OutboxKind,
  type OutboxRecord,
} from './record.ts';
import { recover } from './recovery.ts';
import { SampleIndex } from './sample-index.ts';
import { acquireLock, writeCursor } from './segment-files.ts';
import { SegmentLog } from './segment-log.ts';

export interface OutboxOptions {
  /** This site's own directory. */
  dir: string;
  siteId: string;
  maxBytes: number;
  /** A segment is closed and a new one begun once it is this large. Default: maxBytes / 16, 4 KiB to 4 MiB. */
  segmentBytes?: number;
  now: () => number;
  /** Wraps a gap payload in a fresh envelope (the agent's envelope factory). */
  wrapGap: (payload: GapPayload, observedAtMs: number) => OutboxEnvelope;
  logger: Logger;
}

export interface OutboxStats {
  dir: string;
  maxBytes: number;
  bytes: number;
  /**
   * Largest size after a write. The bound holds between writes; while a write that drops samples is
   * under way the disk briefly holds its batch and gap records too, until the rewrite completes.
   */
  peakBytes: number;
  segments: number;
  /** Appends waiting for the next write. */
  pending: number;
  /** Records on disk waiting to be handed to MQTT. */
  queued: number;
  /** Handed to MQTT, acknowledgement (PUBACK) not yet received. */
  inFlight: number;
  /** Unacknowledged records found on disk at start (sent again, as they were). */
  replayed: number;
  appended: Record<OutboxKind, number>;
  acked: number;
  /** Samples dropped to make room, in total and per camera. */
  dropped: number;
  droppedByCamera: Record<string, number>;
  /** New samples refused because only events and gap records were left to drop. */
  refused: number;
  /** Gap records written. */
  gaps: number;
  /** Damaged lines skipped when reading the outbox at start. */
  skippedLines: number;
}

export type AppendResult = 'queued' | 'refused';

interface Pending {
  kind: OutboxKind;
  cameraId: string;
  envelope: OutboxEnvelope;
  json: string;
  jsonBytes: number;
  done: (result: AppendResult) => void;
  fail: (error: Error) => void;
}

const MiB = 1024 * 1024;

function lowerBound(records: readonly OutboxRecord[], n: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as OutboxRecord).n < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A durable, bounded queue of one site's outgoing observations: a segmented append-only log of JSON
 * lines. Appends are made durable (written and fdatasync'ed, in batches: everything appended while the
 * previous batch was being synced goes in the next) before a record can be handed to MQTT; a record
 * stays until the broker acknowledges it (PUBACK), in order, through restarts and outages. When full,
 * the oldest samples of the camera with most queued samples are dropped first (never events) and a gap
 * record says which time range of which camera was lost (full-policy.ts).
 *
 * Single consumer: `take` hands records out in order, `ack` / `retry` report the outcome. All disk
 * work runs one step at a time on an internal chain, so a drop decision, the rewrite of the segments
 * it touched and the reads of the sender never interleave.
 */
export class Outbox {
  private readonly log: SegmentLog;
  private samples = new SampleIndex();
  private readonly delivery = new Delivery();
  private readonly full: FullPolicy;
  private readonly pending: Pending[] = [];
  private flushQueued = false;
  private chain: Promise<unknown> = Promise.resolve();
  private releaseLock: (() => Promise<void>) | null = null;
  private closed = true;
  private nextN = 1;
  /** The next record to hand out; everything below it was handed out, dropped or never written. */
  private sendN = 1;
  private ackedN = 0;
  private persistedAckedN = 0;
  private cursorQueued = false;
  /** Records on disk the broker has not acknowledged. */
  private live = 0;
  private peakBytes = 0;
  private readonly counters = {
    replayed: 0,
    appended: { health: 0, stream: 0, event: 0, gap: 0, recording: 0 } as Record<OutboxKind, number>,
    acked: 0,
    skippedLines: 0,
  };
  /** Called when records become available to `take`. */
  onAvailable: (() => void) | null = null;

  constructor(private readonly options: OutboxOptions) {
    this.full = new FullPolicy(options);
    const segmentBytes =
      options.segmentBytes ?? Math.min(4 * MiB, Math.max(4096, Math.floor(options.maxBytes / 16)));
    this.log = new SegmentLog(options.dir, segmentBytes);
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Locks the directory and recovers what a previous run left; returns the number of records to resend. */
  async open(): Promise<number> {
    const { dir, siteId, logger } = this.options;
    this.releaseLock = await acquireLock(dir, { siteId });
    try {
      const found = await recover(dir, logger);
      this.samples = found.samples;
      this.ackedN = this.persistedAckedN = found.acked;
      this.sendN = found.acked + 1;
      this.nextN = found.nextN;
      this.live = found.unacknowledged;
      this.counters.replayed = found.unacknowledged;
      this.counters.skippedLines = found.skippedLines;
      await this.log.adopt(found.segments, this.nextN);
    } catch (error) {
      await this.releaseLock();
      this.releaseLock = null;
      throw error;
    }
    this.closed = false;
    this.peakBytes = this.log.bytes();
    if (this.live > 0)
      logger.info(
        { outbox: dir, records: this.live, bytes: this.log.bytes() },
        'outbox holds unacknowledged records from before: sending them first, as they were',
      );
    return this.live;
  }

  /** Resolves once the record is on disk ('queued'), or at once if the outbox is full and refuses a sample. */
  append(kind: OutboxKind, cameraId: string, envelope: OutboxEnvelope): Promise<AppendResult> {
    if (this.closed)
      return Promise.reject(
        new AgentError('outbox_closed', 'outbox is closed', { siteId: this.options.siteId, cameraId }),
      );
    return new Promise((done, fail) => {
      this.pending.push({ ...this.pendingOf(kind, cameraId, envelope), done, fail });
      if (this.flushQueued) return;
      this.flushQueued = true;
      this.serial(() => {
        this.flushQueued = false;
        return this.flush();
      }).catch((error: unknown) => {
        this.options.logger.error(
          { outbox: this.options.dir, err: (error as Error).message },
          'outbox write failed',
        );
      });
    });
  }

  private pendingOf(kind: OutboxKind, cameraId: string, envelope: OutboxEnvelope): Pending {
    const json = JSON.stringify(envelope);
    return {
      kind,
      cameraId,
      envelope,
      json,
      jsonBytes: Buffer.byteLength(json),
      done: () => {},
      fail: () => {},
    };
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    try {
      await this.write(batch);
    } catch (error) {
      for (const p of batch) p.fail(error as Error);
      throw error;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const { maxBytes, now } = this.options;
    const nGuess = this.nextN + batch.length + this.samples.size;
    const estimate = (p: Pending) => lineBytes(nGuess, p.kind, p.cameraId, p.jsonBytes);
    const over = this.log.bytes() + batch.reduce((sum, p) => sum + estimate(p), 0) - maxBytes;
    const room = over > 0 ? this.full.makeRoom(this.samples, over) : null;
    // Dropped records are forgotten at once, so they are never handed out; their files follow below.
    const touched = this.log.forget(room?.remove ?? []);
    this.live -= room?.remove.length ?? 0;
    const atMs = now();
    const dropGaps = (room?.gaps ?? []).map(({ cameraId, range }) =>
      this.pendingOf('gap', cameraId, this.full.gapEnvelope(cameraId, range, atMs)),
    );
    // What is still missing after the drops is refused from this batch's samples, never its events.
    let shortfall = over - (room?.freedBytes ?? 0) + dropGaps.reduce((sum, g) => sum + estimate(g), 0);
    const accepted: Pending[] = [];
    const refused = new Map<string, number>();
    for (const p of batch) {
      if (shortfall > 0 && isSample(p.kind)) {
        shortfall -= estimate(p);
        this.full.refuse(p.cameraId, p.kind, Date.parse(p.envelope.observedAt));
        refused.set(p.cameraId, (refused.get(p.cameraId) ?? 0) + 1);
      } else accepted.push(p);
    }
    const hasRoom = over <= 0 || (refused.size === 0 && batch.some((p) => isSample(p.kind)));
    // Room again: samples refused earlier get their gap record now.
    const refusedGaps = this.full
      .afterBatch(refused, hasRoom)
      .map(({ cameraId, range }) =>
        this.pendingOf('gap', cameraId, this.full.gapEnvelope(cameraId, range, atMs)),
      );
    // Rewrites never touch the segment being appended to.
    if (touched.has(this.log.active) || this.log.full) await this.log.roll(this.nextN, this.sendN);
    // Gap records after the batch: their envelopes are the newest, so seq keeps increasing along the log.
    const records = await this.appendLines([...accepted, ...dropGaps, ...refusedGaps]);
    for (const [i, gap] of (room?.gaps ?? []).entries()) {
      const record = records[accepted.length + i] as OutboxRecord;
      this.full.gapWritten(gap, record.n, record.bytes);
    }
    // Only now, with the gap records safe, do the dropped samples leave the disk.
    await this.log.compact(touched, this.ackedN);
    if (room && room.plan.dropped > 0) this.full.logDrops(room.plan);
    this.peakBytes = Math.max(this.peakBytes, this.log.bytes());
    const queued = new Set(accepted);
    for (const p of batch) p.done(queued.has(p) ? 'queued' : 'refused');
    this.onAvailable?.();
  }

  private async appendLines(items: Pending[]): Promise<OutboxRecord[]> {
    if (items.length === 0) return [];
    const records: OutboxRecord[] = [];
    let text = '';
    for (const p of items) {
      const n = this.nextN++;
      const line = encodeRecord(n, p.kind, p.cameraId, p.json);
      text += line;
      records.push({
        n,
        kind: p.kind,
        cameraId: p.cameraId,
        envelope: p.envelope,
        bytes: Buffer.byteLength(line),
      });
    }
    await this.log.append(records, text);
    for (const r of records) {
      this.live++;
      this.counters.appended[r.kind]++;
      if (isSample(r.kind))
        this.samples.add(r.cameraId, {
          n: r.n,
          kind: r.kind,
          observedAtMs: Date.parse(r.envelope.observedAt),
          bytes: r.bytes,
        });
    }
    return records;
  }

  /** The next records to send, in order: first any given back by `retry`, then the oldest not yet handed out. */
  async take(max: number): Promise<OutboxRecord[]> {
    const out = this.delivery.takeRetries(max);
    while (out.length < max && !this.closed) {
      const segment = this.log.holding(this.sendN);
      if (!segment) break;
      const records = segment.records ?? (await this.serial(() => this.log.load(segment)));
      if (segment !== this.log.holding(this.sendN)) continue;
      let i = lowerBound(records, this.sendN);
      for (; i < records.length && out.length < max; i++) {
        const record = records[i] as OutboxRecord;
        out.push(record);
        this.sendN = record.n + 1;
        this.delivery.handOut(record.n);
        if (isSample(record.kind)) this.samples.remove(record.cameraId, record.n);
        // Only a sample of the gap's kind, or the gap record itself, closes it; events and retention readings do not.
        this.full.sent(record.cameraId, record.kind, record.n);
      }
      if (i >= records.length) {
        this.sendN = Math.max(this.sendN, segment.lastN + 1);
        // Passed for good: a sealed segment need not stay in memory.
        if (segment !== this.log.active) segment.records = null;
      }
    }
    return out;
  }

  /** Gives records back (their publish failed, or the connection went before they were sent). */
  retry(records: readonly OutboxRecord[]): void {
    this.delivery.retry(records);
  }

  /** The broker acknowledged record n. */
  ack(n: number): void {
    this.counters.acked++;
    this.live--;
    this.ackedN = this.delivery.ack(n, this.sendN);
    if (this.ackedN > this.persistedAckedN && !this.cursorQueued && !this.closed) {
      this.cursorQueued = true;
      this.serial(() => this.persistCursor()).catch((error: unknown) => {
        this.options.logger.error(
          { outbox: this.options.dir, err: (error as Error).message },
          'outbox cursor write failed',
        );
      });
    }
  }

  /** Writes the cursor, then deletes the segments it shows fully acknowledged. */
  private async persistCursor(): Promise<void> {
    this.cursorQueued = false;
    const acked = this.ackedN;
    if (acked <= this.persistedAckedN) return;
    await writeCursor(this.options.dir, acked);
    this.persistedAckedN = acked;
    await this.log.deleteAcknowledged(acked);
  }

  /** Resolves when the disk work queued so far (writes, cursor, rewrites) is done. */
  async settle(): Promise<void> {
    await this.serial(async () => undefined);
  }

  stats(): OutboxStats {
    const { dir, maxBytes } = this.options;
    return {
      dir,
      maxBytes,
      bytes: this.log.bytes(),
      peakBytes: this.peakBytes,
      segments: this.log.count,
      pending: this.pending.length,
      queued: this.live - this.delivery.inFlight,
      inFlight: this.delivery.inFlight,
      ...this.counters,
      appended: { ...this.counters.appended },
      ...this.full.counters,
      droppedByCamera: { ...this.full.counters.droppedByCamera },
    };
  }

  /** Makes pending appends durable, saves the cursor, closes the files and unlocks the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial(() => this.flush()).catch(() => undefined);
    await this.serial(() => this.persistCursor());
    await this.log.close();
    await this.releaseLock?.();
    this.releaseLock = null;
  }
}
