import type { SampleKind } from './record.ts';

export interface QueuedSample {
  n: number;
  kind: SampleKind;
  observedAtMs: number;
  bytes: number;
}

/** One camera's queued samples, oldest first, as parallel arrays (a 24 h backlog is ~550k samples). */
class CameraQueue {
  private n: number[] = [];
  private at: number[] = [];
  private bytes: number[] = [];
  private health: boolean[] = [];
  private head = 0;

  get length(): number {
    return this.n.length - this.head;
  }

  push(sample: QueuedSample): void {
    this.n.push(sample.n);
    this.at.push(sample.observedAtMs);
    this.bytes.push(sample.bytes);
    this.health.push(sample.kind === 'health');
  }

  peek(): QueuedSample | null {
    if (this.head >= this.n.length) return null;
    const i = this.head;
    return {
      n: this.n[i] as number,
      kind: this.health[i] ? 'health' : 'stream',
      observedAtMs: this.at[i] as number,
      bytes: this.bytes[i] as number,
    };
  }

  shift(): QueuedSample | null {
    const first = this.peek();
    if (!first) return null;
    this.head++;
    // Reclaim the consumed front now and then rather than on every shift (Array#shift is O(n)).
    if (this.head >= 4096 && this.head * 2 >= this.n.length) {
      for (const list of [this.n, this.at, this.bytes, this.health] as unknown[][]) list.splice(0, this.head);
      this.head = 0;
    }
    return first;
  }

  /** Removes record n wherever it is (normally the head); false when it is not queued. */
  remove(n: number): QueuedSample | null {
    if (this.n[this.head] === n) return this.shift();
    const i = this.n.indexOf(n, this.head);
    if (i < 0) return null;
    const sample: QueuedSample = {
      n,
      kind: this.health[i] ? 'health' : 'stream',
      observedAtMs: this.at[i] as number,
      bytes: this.bytes[i] as number,
    };
    for (const list of [this.n, this.at, this.bytes, this.health] as unknown[][]) list.splice(i, 1);
    return sample;
  }
}

/**
 * The samples (health and stream) still waiting in the outbox, not yet handed to MQTT, per camera
 * and oldest first: exactly what the drop policy may choose from. Events and gap records are never
 * in it. Kept in memory so choosing what to drop needs no disk reads.
 */
export class SampleIndex {
  private readonly cameras = new Map<string, CameraQueue>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(cameraId: string, sample: QueuedSample): void {
    let queue = this.cameras.get(cameraId);
    if (!queue) {
      queue = new CameraQueue();
      this.cameras.set(cameraId, queue);
    }
    queue.push(sample);
    this.count++;
  }

  /** Record n was handed to MQTT (or dropped): it can no longer be chosen. */
  remove(cameraId: string, n: number): QueuedSample | null {
    const removed = this.cameras.get(cameraId)?.remove(n) ?? null;
    if (removed) this.count--;
    return removed;
  }

  oldest(cameraId: string): QueuedSample | null {
    return this.cameras.get(cameraId)?.peek() ?? null;
  }

  queued(cameraId: string): number {
    return this.cameras.get(cameraId)?.length ?? 0;
  }

  cameraIds(): string[] {
    return [...this.cameras.keys()];
  }

  /** Takes the camera's oldest queued sample out of the index. */
  shift(cameraId: string): QueuedSample | null {
    const sample = this.cameras.get(cameraId)?.shift() ?? null;
    if (sample) this.count--;
    return sample;
  }
}
