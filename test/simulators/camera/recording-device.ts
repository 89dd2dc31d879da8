// The recording side of a simulated device (ONVIF Profile G search and PullPoint events): a camera that
// records to its own card holds one recording, a recorder (NVR) one per channel. Retention moves with the
// simulator's clock; faults cut it short, fail the storage or raise tamper, and the events reach every open
// subscription (and, as Initialized state, each new one).
import type { SimFault } from './faults.ts';
import type { SimRecording } from './profile-g.ts';
import type { SimEvent } from './pull-point-events.ts';
import type { SimCameraSpec } from './types.ts';

/** A subscription the agent did not renew is dropped after this; the real device's limit is its own. */
const MAX_SUBSCRIPTIONS = 16;
const MAX_QUEUED_EVENTS = 256;
const STORAGE_TOKEN = 'SD_DISK';

interface Subscription {
  terminationMs: number;
  queue: SimEvent[];
}

export class SimRecordingDevice {
  private readonly subscriptions = new Map<string, Subscription>();
  private nextId = 1;
  private nextSearch = 1;

  constructor(
    private readonly recordingsSpec: NonNullable<SimCameraSpec['recordings']>,
    private readonly now: () => number,
  ) {}

  /** Recordings as the device holds them now, with a short-retention fault applied. */
  recordings(faults: readonly SimFault[]): SimRecording[] {
    const short = faults.find((f) => f.kind === 'short-retention');
    return this.recordingsSpec.map((r) => ({
      token: r.token,
      sourceName: r.sourceName ?? r.token,
      retentionDays:
        short && (short.token === undefined || short.token === r.token)
          ? Math.min(r.retentionDays, short.days)
          : r.retentionDays,
    }));
  }

  newSearchToken(): string {
    return `search-${this.nextSearch++}`;
  }

  private defaultSourceToken(): string {
    return this.recordingsSpec.find((r) => r.sourceToken)?.sourceToken ?? 'VS_1';
  }

  /** The events a fault raises (active) or clears; undefined for faults that raise none. */
  eventFor(fault: SimFault, active: boolean): SimEvent | undefined {
    const atMs = this.now();
    if (fault.kind === 'storage-failure')
      return { kind: 'storage_failure', active, sourceToken: STORAGE_TOKEN, atMs };
    if (fault.kind === 'tamper')
      return { kind: 'tamper', active, sourceToken: fault.sourceToken ?? this.defaultSourceToken(), atMs };
    return undefined;
  }

  publish(event: SimEvent): void {
    this.expire();
    for (const sub of this.subscriptions.values()) {
      sub.queue.push(event);
      if (sub.queue.length > MAX_QUEUED_EVENTS) sub.queue.shift();
    }
  }

  private expire(): void {
    const nowMs = this.now();
    for (const [id, sub] of this.subscriptions) if (sub.terminationMs < nowMs) this.subscriptions.delete(id);
  }

  /** A new subscription starts with the current state of every active event (ONVIF's Initialized). */
  subscribe(terminationSeconds: number, active: readonly SimFault[]): { id: string; terminationMs: number } {
    this.expire();
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      const oldest = this.subscriptions.keys().next().value;
      if (oldest !== undefined) this.subscriptions.delete(oldest);
    }
    const id = String(this.nextId++);
    const terminationMs = this.now() + terminationSeconds * 1000;
    const queue = active.map((f) => this.eventFor(f, true)).filter((e): e is SimEvent => e !== undefined);
    this.subscriptions.set(id, { terminationMs, queue });
    return { id, terminationMs };
  }

  pull(id: string, limit: number): { events: SimEvent[]; terminationMs: number } | undefined {
    this.expire();
    const sub = this.subscriptions.get(id);
    if (!sub) return undefined;
    return { events: sub.queue.splice(0, Math.max(1, limit)), terminationMs: sub.terminationMs };
  }

  renew(id: string, terminationSeconds: number): number | undefined {
    this.expire();
    const sub = this.subscriptions.get(id);
    if (!sub) return undefined;
    sub.terminationMs = this.now() + terminationSeconds * 1000;
    return sub.terminationMs;
  }

  unsubscribe(id: string): boolean {
    return this.subscriptions.delete(id);
  }
}
