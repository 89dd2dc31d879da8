import type { Logger } from 'pino';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
import { validateEnvelope } from '../mqtt/envelope.ts';
import { chooseDrops, type DropPlan, emptyPlan } from './drop-policy.ts';
import { lineBytes, type OutboxEnvelope, type SampleKind } from './record.ts';
import type { SampleIndex } from './sample-index.ts';

/** A camera's samples that were lost: observedAt of the oldest and newest, and how many of each kind. */
export interface Range {
  fromMs: number;
  toMs: number;
  health: number;
  stream: number;
}

export interface RoomPlan {
  plan: DropPlan;
  /** Record numbers to remove: the dropped samples and the gap records they replace. */
  remove: number[];
  /** The gap record each affected camera gets, its range merged with the one it replaces. */
  gaps: Map<string, Range>;
  freedBytes: number;
}

export interface FullPolicyOptions {
  dir: string;
  siteId: string;
  maxBytes: number;
  wrapGap: (payload: GapPayload, observedAtMs: number) => OutboxEnvelope;
  logger: Logger;
}

/** Each burst of drops frees this share of maxBytes (or what the batch needs), not just one record's worth. */
const FREE_SHARE = 0.05;

/**
 * What the outbox does when it is full: which samples go (drop-policy.ts), the gap records that say
 * so, refusing samples when only events are left, and the log lines and counters for all of it.
 */
export class FullPolicy {
  /** Per camera, its latest gap record while unsent and while nothing of the camera was sent after it. */
  private readonly openGaps = new Map<string, { n: number; bytes: number; range: Range }>();
  private readonly refusedRanges = new Map<string, Range>();
  private refusing = 0;
  readonly counters = { dropped: 0, droppedByCamera: {} as Record<string, number>, refused: 0, gaps: 0 };

  constructor(private readonly options: FullPolicyOptions) {}

  /**
   * Chooses what to drop (taking it out of the index) to free `over` bytes plus room for the gap
   * records this adds, and at least a share of the bound so the next appends do not each need a burst
   * of their own. A camera's gap record not yet sent, with nothing of that camera sent since, is
   * replaced by one covering both ranges (they are adjacent: each burst takes the camera's oldest
   * samples), so a long outage leaves one gap record per camera, not one per burst.
   */
  makeRoom(samples: SampleIndex, over: number): RoomPlan {
    const plan = emptyPlan();
    let target = Math.max(over, Math.floor(this.options.maxBytes * FREE_SHARE));
    for (;;) {
      chooseDrops(samples, target, plan);
      let needed = over;
      for (const cameraId of plan.byCamera.keys())
        needed += this.gapBytesAtMost(cameraId) - (this.openGaps.get(cameraId)?.bytes ?? 0);
      if (plan.freedBytes >= needed || samples.size === 0) break;
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
        this.openGaps.delete(d.cameraId);
      }
      gaps.set(d.cameraId, range);
      this.counters.droppedByCamera[d.cameraId] =
        (this.counters.droppedByCamera[d.cameraId] ?? 0) + d.health + d.stream;
    }
    this.counters.dropped += plan.dropped;
    return { plan, remove: remove.sort((a, b) => a - b), gaps, freedBytes };
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

  gapEnvelope(cameraId: string, range: Range, atMs: number): OutboxEnvelope {
    const payload: GapPayload = {
      cameraId,
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      dropped: { health: range.health, stream: range.stream },
    };
    const envelope = this.options.wrapGap(payload, atMs);
    const checked = validateEnvelope('gap', envelope);
    if (!checked.ok) throw new Error(`gap record for ${cameraId} is invalid: ${checked.issues[0]?.message}`);
    this.counters.gaps++;
    return envelope;
  }

  /** The gap record for a burst's camera is on disk as record n. */
  gapWritten(cameraId: string, n: number, bytes: number, range: Range): void {
    this.openGaps.set(cameraId, { n, bytes, range });
  }

  /** A record of the camera was handed to MQTT: later drops are no longer adjacent to its gap record. */
  sent(cameraId: string): void {
    this.openGaps.delete(cameraId);
  }

  refuse(cameraId: string, kind: SampleKind, observedAtMs: number): void {
    const range = this.refusedRanges.get(cameraId) ?? {
      fromMs: observedAtMs,
      toMs: observedAtMs,
      health: 0,
      stream: 0,
    };
    range.fromMs = Math.min(range.fromMs, observedAtMs);
    range.toMs = Math.max(range.toMs, observedAtMs);
    range[kind]++;
    this.refusedRanges.set(cameraId, range);
    this.counters.refused++;
  }

  /**
   * After a batch: logs when refusing starts and when it ends (not for every batch in between), and
   * once there is room again hands back the ranges of refused samples, for their gap records.
   */
  afterBatch(refused: Map<string, number>, hasRoom: boolean): Map<string, Range> {
    const { dir, maxBytes, logger } = this.options;
    const count = [...refused.values()].reduce((a, b) => a + b, 0);
    if (count > 0 && this.refusing === 0)
      logger.error(
        { outbox: dir, maxBytes, refused: Object.fromEntries(refused) },
        'outbox full of events and gap records: refusing new samples until there is room',
      );
    this.refusing += count;
    if (!hasRoom) return new Map();
    if (this.refusing > 0) {
      logger.warn({ outbox: dir, refused: this.refusing }, 'outbox accepting samples again');
      this.refusing = 0;
    }
    const ranges = new Map(this.refusedRanges);
    this.refusedRanges.clear();
    for (const cameraId of ranges.keys()) this.openGaps.delete(cameraId);
    return ranges;
  }

  /** One line per burst, with counts per camera. */
  logDrops(plan: DropPlan): void {
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
}
