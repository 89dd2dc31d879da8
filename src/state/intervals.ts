import type { CameraState, Reason } from '../schemas/camera-state.ts';

export interface Transition {
  cameraId: string;
  state: CameraState;
  reasons: Reason[];
  at: Date;
}

export interface IntervalRow {
  cameraId: string;
  state: CameraState;
  reasons: Reason[];
  startedAt: Date;
  /** null for the camera's open (current) interval. */
  endedAt: Date | null;
}

export interface IntervalPlan {
  /** Open intervals to close: camera id -> time the camera left its current state. */
  close: Map<string, Date>;
  insert: IntervalRow[];
}

/**
 * Turns the transitions of one batch (in order) into interval writes: close each camera's open
 * interval at its first transition, then one row per transition, the last one left open.
 */
export function planIntervals(transitions: readonly Transition[]): IntervalPlan {
  const close = new Map<string, Date>();
  const lastByCamera = new Map<string, IntervalRow>();
  const insert: IntervalRow[] = [];
  for (const t of transitions) {
    const previous = lastByCamera.get(t.cameraId);
    if (previous) previous.endedAt = t.at;
    else close.set(t.cameraId, t.at);
    const row: IntervalRow = {
      cameraId: t.cameraId,
      state: t.state,
      reasons: t.reasons,
      startedAt: t.at,
      endedAt: null,
    };
    insert.push(row);
    lastByCamera.set(t.cameraId, row);
  }
  return { close, insert };
}

export interface CurrentState {
  state: CameraState;
  stateSince: Date;
  reasons: Reason[];
}

/** Same codes and same words: a newer sample that says something else replaces the reasons shown. */
function sameReasons(a: readonly Reason[], b: readonly Reason[]): boolean {
  return a.length === b.length && a.every((r, i) => r.code === b[i]?.code && r.message === b[i]?.message);
}

/**
 * Decides whether an observation changes a camera's state. Observations older than the current
 * state's start cannot rewrite history here (late data is merged separately), and a change of
 * reasons within the same state (codes or their text) updates the current record without a new
 * interval, so the camera row always shows the latest sample's reasons.
 */
export function nextState(
  current: CurrentState,
  observed: { state: CameraState; reasons: Reason[]; at: Date },
): { kind: 'transition'; at: Date } | { kind: 'reasons' } | { kind: 'none' } {
  if (observed.at.getTime() < current.stateSince.getTime()) return { kind: 'none' };
  if (current.state === 'maintenance') return { kind: 'none' };
  if (observed.state !== current.state) return { kind: 'transition', at: observed.at };
  if (!sameReasons(current.reasons, observed.reasons)) return { kind: 'reasons' };
  return { kind: 'none' };
}
