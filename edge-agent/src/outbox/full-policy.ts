import type { Logger } from 'pino';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
import { validateEnvelope } from '../mqtt/envelope.ts';
import { chooseDrops, type DropPlan, emptyPlan } from './drop-policy.ts';
import { lineBytes, type OutboxEnvelope, type OutboxKind, type SampleKind } from './record.ts';
import type { SampleIndex } from './sample-index.ts';

/**
 * A camera's samples of one kind that were lost: observedAt of the oldest and newest, and how many
 * (the other kind's count is 0). Each kind has its own gap records: a stream probe is observed when
 * it starts and queued seconds later, so a range over both kinds could enclose a kept health sample,
 * and the hub would mark the camera unknown over a time it has a sample for.
 */
export interface Range {
  fromMs: number;
  toMs: number;
  health: number;
  stream: number;
}

/** The gap record a camera's lost samples of one kind get. */
export interface GapPlan {
  cameraId: string;
  kind: SampleKind;
  range: Range;
}

export interface RoomPlan {
  plan: DropPlan;
  /** Record numbers to remove: the dropped samples and the gap records they replace. */
  remove: number[];
  /** The gap record each affected camera and kind gets, its range merged with the one it replaces. */
  gaps: GapPlan[];
  freedBytes: number;
}

const SAMPLE_KINDS: readonly SampleKind[] = ['health', 'stream'];

function gapKey(cameraId: string, kind: SampleKind): string {
  return `${kind}\u0000${cameraId}`;
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
  /**
   * Per camera and kind, its latest gap record while unsent and while no sample of that kind of the
   * camera was sent after it.
   */
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
      for (const d of plan.byCamera.values())
        for (const kind of SAMPLE_KINDS)
          if (d.spans[kind])
            needed +=
              this.gapBytesAtMost(d.cameraId) - (this.openGaps.get(gapKey(d.cameraId, kind))?.bytes ?? 0);
      if (plan.freedBytes >= needed || samples.size === 0) break;
      target = needed;
    }
    const remove = [...plan.byCamera.values()].flatMap((d) => d.ns);
    const gaps: GapPlan[] = [];
    let freedBytes = plan.freedBytes;
    for (const d of plan.byCamera.values()) {
      for (const kind of SAMPLE_KINDS) {
        const span = d.spans[kind];
        if (!span) continue;
        const range: Range = { fromMs: span.fromMs, toMs: span.toMs, health: 0, stream: 0 };
        range[kind] = d[kind];
        const key = gapKey(d.cameraId, kind);
        const open = this.openGaps.get(key);
        if (open) {
          range.fromMs = Math.min(range.fromMs, open.range.fromMs);
          range.toMs = Math.max(range.toMs, open.range.toMs);
          range[kind] += open.range[kind];
          remove.push(open.n);
          freedBytes += open.bytes;
          this.openGaps.delete(key);
        }
        gaps.push({ cameraId: d.cameraId, kind, range });
      }
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

  /** The gap record for a burst's camera and kind is on disk as record n. */
  gapWritten(gap: GapPlan, n: number, bytes: number): void {
    this.openGaps.set(gapKey(gap.cameraId, gap.kind), { n, bytes, range: gap.range });
  }

  /**
   * Record n of the camera was handed to MQTT. A sample makes later drops of its kind no longer
   * adjacent to that kind's gap record; a gap record once sent can no longer be replaced.
   */
  sent(cameraId: string, kind: OutboxKind, n: number): void {
    if (kind === 'health' || kind === 'stream') this.openGaps.delete(gapKey(cameraId, kind));
    else if (kind === 'gap') {
      for (const sampleKind of SAMPLE_KINDS) {
        const key = gapKey(cameraId, sampleKind);
        if (this.openGaps.get(key)?.n === n) this.openGaps.delete(key);
      }
    }
  }

  refuse(cameraId: string, kind: SampleKind, observedAtMs: number): void {
    const key = gapKey(cameraId, kind);
    const range = this.refusedRanges.get(key) ?? {
      fromMs: observedAtMs,
      toMs: observedAtMs,
      health: 0,
      stream: 0,
    };
    range.fromMs = Math.min(range.fromMs, observedAtMs);
    range.toMs = Math.max(range.toMs, observedAtMs);
    range[kind]++;
    this.refusedRanges.set(key, range);
    this.counters.refused++;
  }

  /**
   * After a batch: logs when refusing starts and when it ends (not for every batch in between), and
   * once there is room again hands back the ranges of refused samples, for their gap records.
   */
  afterBatch(refused: Map<string, number>, hasRoom: boolean): GapPlan[] {
    const { dir, maxBytes, logger } = this.options;
    const count = [...refused.values()].reduce((a, b) => a + b, 0);
    if (count > 0 && this.refusing === 0)
      logger.error(
        { outbox: dir, maxBytes, refused: Object.fromEntries(refused) },
        'outbox full of events and gap records: refusing new samples until there is room',
      );
    this.refusing += count;
    if (!hasRoom) return [];
    if (this.refusing > 0) {
      logger.warn({ outbox: dir, refused: this.refusing }, 'outbox accepting samples again');
      this.refusing = 0;
    }
    const gaps: GapPlan[] = [];
    for (const [key, range] of this.refusedRanges) {
      const kind: SampleKind = range.health > 0 ? 'health' : 'stream';
      const cameraId = key.slice(key.indexOf('\u0000') + 1);
      gaps.push({ cameraId, kind, range });
      this.openGaps.delete(key);
    }
    this.refusedRanges.clear();
    return gaps;
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
