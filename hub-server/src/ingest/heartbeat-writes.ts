import type { CameraView } from '../../../src/schemas/api.ts';
import type { CameraUpdate } from './batch-writer.ts';

/** The columns of a camera row that change with every heartbeat even when its state does not. */
export interface HeartbeatColumns {
  id: string;
  lastSeenAt: Date | null;
  lastHealth: unknown | null;
  lastHealthAt: Date | null;
}

/**
 * Heartbeat columns not yet written to their camera rows, and when each camera's were last written.
 * Only the ingest pipeline uses it, and changes it only after a batch commits (see `apply`).
 */
export class UnsavedHeartbeats {
  readonly unsaved = new Map<string, HeartbeatColumns>();
  private readonly savedAtMs = new Map<string, number>();

  savedAt(id: string): number {
    return this.savedAtMs.get(id) ?? Number.NEGATIVE_INFINITY;
  }

  /** After commit: what the batch wrote is saved as of `nowMs`, what it held back waits. */
  apply(plan: CameraWritePlan, nowMs: number): void {
    for (const id of plan.saved) {
      this.unsaved.delete(id);
      this.savedAtMs.set(id, nowMs);
    }
    for (const [id, columns] of plan.deferred) this.unsaved.set(id, columns);
    for (const id of plan.forgotten) {
      this.unsaved.delete(id);
      this.savedAtMs.delete(id);
    }
  }
}

export interface CameraWritePlan {
  /** Rows written in full: state changed (or a new camera, or a stream sample). */
  full: CameraUpdate[];
  /** Heartbeat columns only, of cameras whose last write is at least `writeEveryMs` old. */
  heartbeats: HeartbeatColumns[];
  /** Cameras whose row this batch brings up to date. */
  saved: string[];
  /** Heartbeat columns held back, newest values by camera. */
  deferred: Map<string, HeartbeatColumns>;
  /** Removed cameras. */
  forgotten: string[];
}

const newer = (a: Date | null, b: Date | null) => (a && (!b || a.getTime() >= b.getTime()) ? a : b);

function merge(held: HeartbeatColumns | undefined, update: CameraUpdate): HeartbeatColumns {
  if (!held)
    return {
      id: update.id,
      lastSeenAt: update.lastSeenAt,
      lastHealth: update.lastHealth,
      lastHealthAt: update.lastHealthAt,
    };
  const healthIsNewer =
    update.lastHealthAt !== null &&
    (held.lastHealthAt === null || update.lastHealthAt.getTime() >= held.lastHealthAt.getTime());
  return {
    id: update.id,
    lastSeenAt: newer(update.lastSeenAt, held.lastSeenAt),
    lastHealth: healthIsNewer ? update.lastHealth : held.lastHealth,
    lastHealthAt: healthIsNewer ? update.lastHealthAt : held.lastHealthAt,
  };
}

/** Whether a camera's state, its start or its reasons differ from the committed view (or it is new). */
export function cameraStateDiffers(
  before: CameraView | undefined,
  after: { state: string; stateSinceMs: number; reasons: unknown },
): boolean {
  return (
    !before ||
    before.state !== after.state ||
    Date.parse(before.stateSince) !== after.stateSinceMs ||
    JSON.stringify(before.reasons) !== JSON.stringify(after.reasons)
  );
}

/**
 * Which camera rows a batch writes. A state change (and a new camera, and a stream sample) is
 * written at once. A heartbeat that changes nothing but the last-seen time and the last health
 * sample is written at most every `writeEveryMs` per camera: every sample is stored in
 * health_samples anyway, and live views read the fleet kept in memory, so rewriting a 20,000-camera
 * fleet's rows at every heartbeat only cost write time. `flush` also writes what is held back for
 * cameras not in this batch: 'due' (at a sweep) those whose last write is due, 'all' (at
 * shutdown) every one.
 */
export function planCameraWrites(input: {
  updates: Iterable<CameraUpdate>;
  removed: ReadonlySet<string>;
  committed: ReadonlyMap<string, CameraView>;
  held: UnsavedHeartbeats;
  nowMs: number;
  writeEveryMs: number;
  flush: 'none' | 'due' | 'all';
  /** With several writers: the cameras whose held columns this batch may flush (its lane's). */
  owns?: (cameraId: string) => boolean;
}): CameraWritePlan {
  const { held, nowMs, writeEveryMs } = input;
  const plan: CameraWritePlan = { full: [], heartbeats: [], saved: [], deferred: new Map(), forgotten: [] };
  const seen = new Set<string>();
  const due = (id: string) => input.flush === 'all' || nowMs - held.savedAt(id) >= writeEveryMs;
  for (const update of input.updates) {
    if (input.removed.has(update.id)) continue;
    seen.add(update.id);
    const columns = merge(held.unsaved.get(update.id), update);
    const after = { state: update.state, stateSinceMs: update.stateSince.getTime(), reasons: update.reasons };
    if (cameraStateDiffers(input.committed.get(update.id), after) || update.lastStream !== null) {
      plan.full.push({ ...update, ...columns });
      plan.saved.push(update.id);
    } else if (due(update.id)) {
      plan.heartbeats.push(columns);
      plan.saved.push(update.id);
    } else plan.deferred.set(update.id, columns);
  }
  plan.forgotten.push(...input.removed);
  if (input.flush !== 'none')
    for (const [id, columns] of held.unsaved) {
      if (seen.has(id) || input.removed.has(id) || !due(id) || (input.owns && !input.owns(id))) continue;
      plan.heartbeats.push(columns);
      plan.saved.push(id);
    }
  return plan;
}
