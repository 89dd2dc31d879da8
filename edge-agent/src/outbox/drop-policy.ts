import type { SampleKind } from './record.ts';
import type { SampleIndex } from './sample-index.ts';

/** observedAt of the oldest and newest dropped sample of one kind. */
export interface Span {
  fromMs: number;
  toMs: number;
}

export interface CameraDrops {
  cameraId: string;
  /**
   * Per kind, because a camera's two kinds interleave in time: a stream probe is observed when it
   * starts and queued when it ends, seconds later, after health samples observed meanwhile. One span
   * over both kinds could enclose a health sample that was kept and sent.
   */
  spans: Partial<Record<SampleKind, Span>>;
  health: number;
  stream: number;
  bytes: number;
  /** Record numbers dropped, ascending. */
  ns: number[];
}

export interface DropPlan {
  byCamera: Map<string, CameraDrops>;
  freedBytes: number;
  dropped: number;
}

interface Entry {
  cameraId: string;
  count: number;
  oldestMs: number;
}

/** Busiest camera first; among equally busy ones the one holding the oldest sample; then by id (stable). */
function before(a: Entry, b: Entry): boolean {
  if (a.count !== b.count) return a.count > b.count;
  if (a.oldestMs !== b.oldestMs) return a.oldestMs < b.oldestMs;
  return a.cameraId < b.cameraId;
}

function siftDown(heap: Entry[], start: number): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let best = i;
    if (left < heap.length && before(heap[left] as Entry, heap[best] as Entry)) best = left;
    if (right < heap.length && before(heap[right] as Entry, heap[best] as Entry)) best = right;
    if (best === i) return;
    [heap[i], heap[best]] = [heap[best] as Entry, heap[i] as Entry];
    i = best;
  }
}

/**
 * Chooses samples to drop until at least `targetBytes` are freed (or no sample is left): each step
 * takes the oldest queued sample of the camera with the most queued samples. A camera that reports
 * more often, or has been queueing longer, is thinned first, and each camera loses its oldest data,
 * so what is left stays recent and every camera keeps some. Events and gap records are not in the
 * index, so they are never chosen. The chosen samples are taken out of the index and added to `plan`
 * (a fresh one by default; pass one back in to free more).
 */
export function emptyPlan(): DropPlan {
  return { byCamera: new Map(), freedBytes: 0, dropped: 0 };
}

export function chooseDrops(index: SampleIndex, targetBytes: number, plan: DropPlan = emptyPlan()): DropPlan {
  const heap: Entry[] = [];
  for (const cameraId of index.cameraIds()) {
    const oldest = index.oldest(cameraId);
    if (oldest) heap.push({ cameraId, count: index.queued(cameraId), oldestMs: oldest.observedAtMs });
  }
  for (let i = Math.floor(heap.length / 2) - 1; i >= 0; i--) siftDown(heap, i);
  const { byCamera } = plan;
  let { freedBytes, dropped } = plan;
  while (freedBytes < targetBytes && heap.length > 0) {
    const top = heap[0] as Entry;
    const sample = index.shift(top.cameraId);
    if (!sample) {
      top.count = 0;
    } else {
      let drops = byCamera.get(top.cameraId);
      if (!drops) {
        drops = {
          cameraId: top.cameraId,
          spans: {},
          health: 0,
          stream: 0,
          bytes: 0,
          ns: [],
        };
        byCamera.set(top.cameraId, drops);
      }
      const span = drops.spans[sample.kind];
      if (span) {
        span.fromMs = Math.min(span.fromMs, sample.observedAtMs);
        span.toMs = Math.max(span.toMs, sample.observedAtMs);
      } else drops.spans[sample.kind] = { fromMs: sample.observedAtMs, toMs: sample.observedAtMs };
      drops[sample.kind]++;
      drops.bytes += sample.bytes;
      drops.ns.push(sample.n);
      freedBytes += sample.bytes;
      dropped++;
      top.count--;
      top.oldestMs = index.oldest(top.cameraId)?.observedAtMs ?? Number.POSITIVE_INFINITY;
    }
    if (top.count <= 0) {
      const last = heap.pop() as Entry;
      if (heap.length > 0 && last !== top) heap[0] = last;
    }
    siftDown(heap, 0);
  }
  plan.freedBytes = freedBytes;
  plan.dropped = dropped;
  return plan;
}
