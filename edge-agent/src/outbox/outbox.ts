import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
import { AgentError } from '../errors.ts';
import { validateEnvelope } from '../mqtt/envelope.ts';
import { chooseDrops, type DropPlan, emptyPlan } from './drop-policy.ts';
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
import {
  acquireLock,
  readSegment,
  type Segment,
  segmentFileName,
  syncDir,
  writeCursor,
  writeFileAtomic,
} from './segment-files.ts';

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

interface Range {
  fromMs: number;
  toMs: number;
  health: number;
  stream: number;
}

/** Each burst of drops frees this share of maxBytes (or what the batch needs), not just one record's worth. */
const FREE_SHARE = 0.05;
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
 * record says which time range of which camera was lost.
 *
 * Single consumer: `take` hands records out in order, `ack` / `retry` report the outcome. All disk
 * work runs one step at a time on an internal chain, so a drop decision, the rewrite of the segments
 * it touched and the reads of the sender never interleave.
 */
export class Outbox {
  private segments: Segment[] = [];
  private active: FileHandle | null = null;
  private samples = new SampleIndex();
  private readonly pending: Pending[] = [];
  private flushQueued = false;
  private chain: Promise<unknown> = Promise.resolve();
  private releaseLock: (() => Promise<void>) | null = null;
  private closed = true;
  private nextN = 1;
  private sendN = 1;
  private ackedN = 0;
  private persistedAckedN = 0;
  private cursorQueued = false;
  /** Record numbers handed out, in order, until acknowledged; `ackedOut` holds those acknowledged out of order. */
  private handedOut: number[] = [];
  private handedHead = 0;
  private readonly ackedOut = new Set<number>();
  private readonly retryQueue: OutboxRecord[] = [];
  private live = 0;
  private peakBytes = 0;
  private readonly refusedRanges = new Map<string, Range>();
  /** Per camera, its latest gap record while unsent and while nothing of the camera was sent after it. */
  private readonly openGaps = new Map<string, { n: number; bytes: number; range: Range }>();
  private refusing = 0;
  private readonly counters = {
    replayed: 0,
    appended: { health: 0, stream: 0, event: 0, gap: 0 } as Record<OutboxKind, number>,
    acked: 0,
    dropped: 0,
    droppedByCamera: {} as Record<string, number>,
    refused: 0,
    gaps: 0,
    skippedLines: 0,
  };
  /** Called when records become available to `take`. */
  onAvailable: (() => void) | null = null;

  constructor(private readonly options: OutboxOptions) {}

  private get segmentBytes(): number {
    return (
      this.options.segmentBytes ?? Math.min(4 * MiB, Math.max(4096, Math.floor(this.options.maxBytes / 16)))
    );
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
      this.segments = found.segments;
      this.samples = found.samples;
      this.ackedN = this.persistedAckedN = found.acked;
      this.sendN = found.acked + 1;
      this.nextN = found.nextN;
      this.live = found.unacknowledged;
      this.counters.replayed = found.unacknowledged;
      this.counters.skippedLines = found.skippedLines;
      const last = this.segments.at(-1);
      if (last && last.bytes < this.segmentBytes) this.active = await open(last.path, 'a');
      else await this.roll();
    } catch (error) {
      await this.releaseLock();
      this.releaseLock = null;
      throw error;
    }
    this.closed = false;
    this.peakBytes = this.bytes();
    if (this.live > 0)
      logger.info(
        { outbox: dir, records: this.live, bytes: this.bytes() },
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
    const json = JSON.stringify(envelope);
    return new Promise((done, fail) => {
      this.pending.push({ kind, cameraId, envelope, json, jsonBytes: Buffer.byteLength(json), done, fail });
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

  private bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  private get activeSegment(): Segment {
    return this.segments.at(-1) as Segment;
  }

  private async roll(): Promise<void> {
    await this.active?.close();
    const previous = this.segments.at(-1);
    if (previous)
      previous.records =
        previous.firstN <= this.sendN && this.sendN <= previous.lastN ? previous.records : null;
    const path = join(this.options.dir, segmentFileName(this.nextN));
    this.active = await open(path, 'a');
    this.segments.push({ firstN: this.nextN, path, bytes: 0, lastN: this.nextN - 1, records: [] });
    await syncDir(this.options.dir);
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
    const over = this.bytes() + batch.reduce((sum, p) => sum + estimate(p), 0) - maxBytes;
    const room = over > 0 ? this.makeRoom(over) : null;
    const atMs = now();
    const dropGaps: Pending[] = [];
    for (const [cameraId, range] of room?.gaps ?? []) dropGaps.push(this.gapRecord(cameraId, range, atMs));
    // What is still missing after the drops is refused from this batch's samples, never its events.
    let shortfall = over - (room?.freedBytes ?? 0) + dropGaps.reduce((sum, g) => sum + estimate(g), 0);
    const accepted: Pending[] = [];
    const refused = new Map<string, number>();
    for (const p of batch) {
      if (shortfall > 0 && isSample(p.kind)) {
        shortfall -= estimate(p);
        this.noteRefused(p);
        refused.set(p.cameraId, (refused.get(p.cameraId) ?? 0) + 1);
      } else accepted.push(p);
    }
    const hasRoom = over <= 0 || (refused.size === 0 && batch.some((p) => isSample(p.kind)));
    const refusedGaps: Pending[] = [];
    if (hasRoom && this.refusedRanges.size > 0) {
      // Room again: samples refused earlier get their gap record now.
      for (const [cameraId, range] of this.refusedRanges) {
        refusedGaps.push(this.gapRecord(cameraId, range, atMs));
        this.openGaps.delete(cameraId);
      }
      this.refusedRanges.clear();
    }
    this.logRefusals(refused, hasRoom);
    const touched = room?.touched ?? new Map<Segment, Set<number>>();
    if (touched.has(this.activeSegment) || this.activeSegment.bytes >= this.segmentBytes) await this.roll();
    const records = await this.appendLines([...dropGaps, ...refusedGaps, ...accepted]);
    for (const [i, gap] of dropGaps.entries()) {
      const record = records[i] as OutboxRecord;
      const range = room?.gaps.get(gap.cameraId) as Range;
      this.openGaps.set(gap.cameraId, { n: record.n, bytes: record.bytes, range });
    }
    for (const [segment, ns] of touched) await this.compact(segment, ns);
    if (touched.size > 0) await syncDir(this.options.dir);
    if (room && room.plan.dropped > 0) this.logDrops(room.plan);
    this.peakBytes = Math.max(this.peakBytes, this.bytes());
    const queued = new Set(accepted);
    for (const p of batch) p.done(queued.has(p) ? 'queued' : 'refused');
    this.onAvailable?.();
  }

  private async appendLines(items: Pending[]): Promise<OutboxRecord[]> {
    if (items.length === 0) return [];
    const segment = this.activeSegment;
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
    const data = Buffer.from(text);
    const handle = this.active as FileHandle;
    for (let offset = 0; offset < data.length; ) {
      offset += (await handle.write(data, offset)).bytesWritten;
    }
    await handle.datasync();
    segment.bytes += data.length;
    segment.lastN = this.nextN - 1;
    segment.records?.push(...records);
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

  /**
   * Decides what to drop and forgets it at once (so it is never handed out); the files follow in
   * compact(). A camera's gap record not yet sent, with nothing of that camera sent since, is replaced
   * by one covering both ranges (they are adjacent: each burst takes the camera's oldest samples), so a
   * long outage leaves one gap record per camera, not one per burst.
   */
  private makeRoom(over: number): {
    plan: DropPlan;
    touched: Map<Segment, Set<number>>;
    gaps: Map<string, Range>;
    freedBytes: number;
  } {
    // Enough for the batch and the gap records the drops will add (less those they replace), and at
    // least a share of the bound so the next appends do not each need a burst of their own.
    const plan = emptyPlan();
    let target = Math.max(over, Math.floor(this.options.maxBytes * FREE_SHARE));
    for (;;) {
      chooseDrops(this.samples, target, plan);
      let needed = over;
      for (const cameraId of plan.byCamera.keys())
        needed += this.gapBytesAtMost(cameraId) - (this.openGaps.get(cameraId)?.bytes ?? 0);
      if (plan.freedBytes >= needed || this.samples.size === 0) break;
      target = needed;
    }
    const remove = [...plan.byCamera.values()].flatMap((d) => d.ns);
    const gaps = new Map<string, Range>();
    let freedBytes = plan.freedBytes;
    for (const d of plan.byCamera.values()) {
      const range: Range = { fromMs: d.fromMs, toMs: d.toMs, health: d.health, stream: d.stream };
      const open = this.openGaps.get(d.cameraId);
      if (open) {
        range.fromMs = Math.min(range.fromMs, open.range.fromMs);
        range.toMs = Math.max(range.toMs, open.range.toMs);
        range.health += open.range.health;
        range.stream += open.range.stream;
        remove.push(open.n);
        freedBytes += open.bytes;
        this.live--;
        this.openGaps.delete(d.cameraId);
      }
      gaps.set(d.cameraId, range);
    }
    remove.sort((a, b) => a - b);
    const touched = new Map<Segment, Set<number>>();
    let s = 0;
    for (const n of remove) {
      while (s < this.segments.length && (this.segments[s] as Segment).lastN < n) s++;
      const segment = this.segments[s];
      if (!segment) break;
      let set = touched.get(segment);
      if (!set) {
        set = new Set();
        touched.set(segment, set);
      }
      set.add(n);
    }
    for (const [segment, set] of touched) {
      if (segment.records) segment.records = segment.records.filter((r) => !set.has(r.n));
    }
    this.live -= plan.dropped;
    this.counters.dropped += plan.dropped;
    for (const d of plan.byCamera.values())
      this.counters.droppedByCamera[d.cameraId] =
        (this.counters.droppedByCamera[d.cameraId] ?? 0) + d.health + d.stream;
    return { plan, touched, gaps, freedBytes };
  }

  /** Rewrites a segment without its dropped and acknowledged records (temporary file, then rename). */
  private async compact(segment: Segment, dropped: Set<number>): Promise<void> {
    if (!this.segments.includes(segment)) return;
    const source = segment.records ?? (await readSegment(segment.path)).records;
    const keep = source.filter((r) => !dropped.has(r.n) && r.n > this.ackedN);
    if (keep.length === 0) {
      await unlink(segment.path);
      this.segments = this.segments.filter((s) => s !== segment);
      return;
    }
    const text = keep.map((r) => encodeRecord(r.n, r.kind, r.cameraId, JSON.stringify(r.envelope))).join('');
    await writeFileAtomic(segment.path, text);
    segment.bytes = Buffer.byteLength(text);
    if (segment.records) segment.records = keep;
  }

  /** An upper bound on the size of a camera's gap record (widest numbers and times). */
  private gapBytesAtMost(cameraId: string): number {
    const widest = 999_999_999_999;
    const time = '2000-01-01T00:00:00.000Z';
    const envelope = {
      v: 1,
      msgId: '00000000-0000-0000-0000-000000000000',
      siteId: this.options.siteId,
      seq: Number.MAX_SAFE_INTEGER,
      observedAt: time,
      payload: { cameraId, from: time, to: time, dropped: { health: widest, stream: widest } },
    };
    return lineBytes(Number.MAX_SAFE_INTEGER, 'gap', cameraId, Buffer.byteLength(JSON.stringify(envelope)));
  }

  private gapRecord(cameraId: string, range: Range, atMs: number): Pending {
    const payload: GapPayload = {
      cameraId,
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      dropped: { health: range.health, stream: range.stream },
    };
    const envelope = this.options.wrapGap(payload, atMs) as OutboxEnvelope;
    const checked = validateEnvelope('gap', envelope);
    if (!checked.ok) throw new Error(`gap record for ${cameraId} is invalid: ${checked.issues[0]?.message}`);
    this.counters.gaps++;
    const json = JSON.stringify(envelope);
    return {
      kind: 'gap',
      cameraId,
      envelope,
      json,
      jsonBytes: Buffer.byteLength(json),
      done: () => {},
      fail: () => {},
    };
  }

  private noteRefused(p: Pending): void {
    const atMs = Date.parse(p.envelope.observedAt);
    const range = this.refusedRanges.get(p.cameraId) ?? { fromMs: atMs, toMs: atMs, health: 0, stream: 0 };
    range.fromMs = Math.min(range.fromMs, atMs);
    range.toMs = Math.max(range.toMs, atMs);
    range[p.kind as 'health' | 'stream']++;
    this.refusedRanges.set(p.cameraId, range);
    this.counters.refused++;
  }

  /** Logged when refusing starts and when it ends, not for every batch in between. */
  private logRefusals(refused: Map<string, number>, room: boolean): void {
    const { dir, maxBytes, logger } = this.options;
    const count = [...refused.values()].reduce((a, b) => a + b, 0);
    if (count > 0 && this.refusing === 0)
      logger.error(
        { outbox: dir, maxBytes, refused: Object.fromEntries(refused) },
        'outbox full of events and gap records: refusing new samples until there is room',
      );
    if (room && this.refusing > 0) {
      logger.warn({ outbox: dir, refused: this.refusing }, 'outbox accepting samples again');
      this.refusing = 0;
    }
    this.refusing += count;
  }

  private logDrops(plan: DropPlan): void {
    const { dir, maxBytes, logger } = this.options;
    const byCamera = [...plan.byCamera.values()];
    logger.warn(
      {
        outbox: dir,
        maxBytes,
        freedBytes: plan.freedBytes,
        health: byCamera.reduce((sum, d) => sum + d.health, 0),
        stream: byCamera.reduce((sum, d) => sum + d.stream, 0),
        dropped: Object.fromEntries(byCamera.map((d) => [d.cameraId, d.health + d.stream])),
      },
      `outbox full: dropped the ${plan.dropped} oldest samples of the busiest cameras (events kept); gap records sent`,
    );
  }

  private segmentHolding(n: number): Segment | null {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.segments[mid] as Segment).lastN < n) lo = mid + 1;
      else hi = mid;
    }
    return this.segments[lo] ?? null;
  }

  private load(segment: Segment): Promise<OutboxRecord[]> {
    return this.serial(async () => {
      if (segment.records) return segment.records;
      if (!this.segments.includes(segment)) return [];
      const { records } = await readSegment(segment.path);
      segment.records = records;
      return records;
    });
  }

  /** The next records to send, in order: first any given back by `retry`, then the oldest not yet handed out. */
  async take(max: number): Promise<OutboxRecord[]> {
    const out = this.retryQueue.splice(0, max);
    while (out.length < max && !this.closed) {
      const segment = this.segmentHolding(this.sendN);
      if (!segment) break;
      const records = segment.records ?? (await this.load(segment));
      if (segment !== this.segmentHolding(this.sendN)) continue;
      let i = lowerBound(records, this.sendN);
      for (; i < records.length && out.length < max; i++) {
        const record = records[i] as OutboxRecord;
        out.push(record);
        this.sendN = record.n + 1;
        this.handedOut.push(record.n);
        if (isSample(record.kind)) this.samples.remove(record.cameraId, record.n);
        // Sent: later drops of this camera are no longer adjacent to its gap record.
        if (record.kind !== 'event') this.openGaps.delete(record.cameraId);
      }
      if (i >= records.length) {
        this.sendN = Math.max(this.sendN, segment.lastN + 1);
        // Passed for good: the sealed segment need not stay in memory.
        if (segment !== this.activeSegment) segment.records = null;
      }
    }
    return out;
  }

  /** Gives records back (their publish failed, or the connection went before they were sent). */
  retry(records: readonly OutboxRecord[]): void {
    this.retryQueue.push(...records);
    this.retryQueue.sort((a, b) => a.n - b.n);
  }

  /** The broker acknowledged record n. */
  ack(n: number): void {
    this.ackedOut.add(n);
    this.counters.acked++;
    this.live--;
    while (
      this.handedHead < this.handedOut.length &&
      this.ackedOut.delete(this.handedOut[this.handedHead] as number)
    )
      this.handedHead++;
    if (this.handedHead > 1024 && this.handedHead * 2 > this.handedOut.length) {
      this.handedOut.splice(0, this.handedHead);
      this.handedHead = 0;
    }
    const front = this.handedOut[this.handedHead];
    this.ackedN = front === undefined ? this.sendN - 1 : front - 1;
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
    const done = this.segments.filter((s, i) => i < this.segments.length - 1 && s.lastN <= acked);
    for (const segment of done) await unlink(segment.path);
    if (done.length > 0) this.segments = this.segments.filter((s) => !done.includes(s));
  }

  /** Resolves when the disk work queued so far (writes, cursor, rewrites) is done. */
  async settle(): Promise<void> {
    await this.serial(async () => undefined);
  }

  get inFlight(): number {
    return this.handedOut.length - this.handedHead - this.ackedOut.size;
  }

  stats(): OutboxStats {
    const { dir, maxBytes } = this.options;
    return {
      dir,
      maxBytes,
      bytes: this.bytes(),
      peakBytes: this.peakBytes,
      segments: this.segments.length,
      pending: this.pending.length,
      queued: this.live - this.inFlight,
      inFlight: this.inFlight,
      ...this.counters,
      appended: { ...this.counters.appended },
      droppedByCamera: { ...this.counters.droppedByCamera },
    };
  }

  /** Makes pending appends durable, saves the cursor, closes the files and unlocks the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial(() => this.flush()).catch(() => undefined);
    await this.serial(() => this.persistCursor());
    await this.active?.close();
    this.active = null;
    await this.releaseLock?.();
    this.releaseLock = null;
  }
}
