import type { CameraState, Reason } from '../schemas/camera-state.ts';

/** A health observation: the camera was in `state` at `atMs` (agent clock). */
export interface Observation {
  atMs: number;
  state: CameraState;
  reasons: Reason[];
}

/** A closed stored interval. */
export interface StoredInterval {
  id: number;
  state: CameraState;
  reasons: Reason[];
  startMs: number;
  endMs: number;
}

export interface Piece {
  state: CameraState;
  reasons: Reason[];
  startMs: number;
  endMs: number;
}

export interface MergePlan {
  /** Stored intervals to delete (each replaced by `insert`). */
  remove: number[];
  /** Intervals to write: the untouched outer parts of removed ones, and the rebuilt history. */
  insert: Piece[];
  /** Time taken out of the rollups (the old history inside the window) ... */
  subtract: Piece[];
  /** ... and put back (the rebuilt history). */
  add: Piece[];
}

const sameReasons = (a: readonly Reason[], b: readonly Reason[]) =>
  a.length === b.length && a.every((r, i) => r.code === b[i]?.code && r.message === b[i]?.message);

/**
 * The history a camera would have had if its observations in [fromMs, toMs) had arrived on time:
 * each observation holds until the next one, or for `staleAfterMs` at most, after which the camera
 * is `unknown` (what the hub's stale sweep does on time). Same-state neighbours are joined.
 */
export function historyFrom(
  observations: readonly Observation[],
  fromMs: number,
  toMs: number,
  staleAfterMs: number,
  staleReason: Reason,
): Piece[] {
  const sorted = observations
    .filter((o) => o.atMs >= fromMs && o.atMs < toMs)
    .sort((a, b) => a.atMs - b.atMs);
  const pieces: Piece[] = [];
  const push = (p: Piece) => {
    if (p.endMs <= p.startMs) return;
    const last = pieces.at(-1);
    if (last && last.endMs === p.startMs && last.state === p.state && sameReasons(last.reasons, p.reasons))
      last.endMs = p.endMs;
    else pieces.push({ ...p, reasons: [...p.reasons] });
  };
  for (const [i, o] of sorted.entries()) {
    const nextMs = Math.min(sorted[i + 1]?.atMs ?? toMs, toMs);
    // Unknown needs no stale time to become unknown: it holds (with its own reason) until the next.
    const holdsUntil = o.state === 'unknown' ? nextMs : Math.min(nextMs, o.atMs + staleAfterMs);
    push({ state: o.state, reasons: o.reasons, startMs: o.atMs, endMs: holdsUntil });
    push({ state: 'unknown', reasons: [staleReason], startMs: holdsUntil, endMs: nextMs });
  }
  return pieces;
}

/** `pieces` with the time of `holes` cut out. */
function cut(pieces: readonly Piece[], holes: readonly { startMs: number; endMs: number }[]): Piece[] {
  let out = [...pieces];
  for (const hole of holes) {
    const next: Piece[] = [];
    for (const p of out) {
      if (hole.endMs <= p.startMs || hole.startMs >= p.endMs) next.push(p);
      else {
        if (p.startMs < hole.startMs) next.push({ ...p, endMs: hole.startMs });
        if (hole.endMs < p.endMs) next.push({ ...p, startMs: hole.endMs });
      }
    }
    out = next;
  }
  return out;
}

/**
 * Merges late observations into stored history. Inside the window [fromMs, toMs) the stored closed
 * intervals are replaced by the history the observations give (`historyFrom`), except declared
 * maintenance, which stays. The parts of replaced intervals outside the window are kept. The
 * window must end at or before the camera's open interval, which is never touched.
 */
export function planLateMerge(input: {
  stored: readonly StoredInterval[];
  observations: readonly Observation[];
  fromMs: number;
  toMs: number;
  staleAfterMs: number;
  staleReason: Reason;
}): MergePlan {
  const { fromMs, toMs } = input;
  const plan: MergePlan = { remove: [], insert: [], subtract: [], add: [] };
  if (toMs <= fromMs) return plan;
  const inWindow = input.stored.filter((i) => i.endMs > fromMs && i.startMs < toMs);
  const maintenance = inWindow.filter((i) => i.state === 'maintenance');
  const rebuilt = cut(
    historyFrom(input.observations, fromMs, toMs, input.staleAfterMs, input.staleReason),
    maintenance,
  );
  const left: Piece[] = [];
  const right: Piece[] = [];
  for (const i of inWindow) {
    if (i.state === 'maintenance') continue;
    plan.remove.push(i.id);
    const piece = { state: i.state, reasons: i.reasons };
    if (i.startMs < fromMs) left.push({ ...piece, startMs: i.startMs, endMs: fromMs });
    if (i.endMs > toMs) right.push({ ...piece, startMs: toMs, endMs: i.endMs });
    plan.subtract.push({ ...piece, startMs: Math.max(i.startMs, fromMs), endMs: Math.min(i.endMs, toMs) });
  }
  // Time in the window that no stored interval covered (and is not maintenance) was not in the
  // rollups: only the rebuilt time that replaces stored time, or fills a hole, is added.
  plan.add = rebuilt;
  // Join the kept outer parts to the rebuilt history where the state carries on unchanged.
  const ordered = [...left, ...rebuilt, ...right].sort((a, b) => a.startMs - b.startMs);
  for (const p of ordered) {
    const last = plan.insert.at(-1);
    if (last && last.endMs === p.startMs && last.state === p.state && sameReasons(last.reasons, p.reasons))
      last.endMs = p.endMs;
    else plan.insert.push({ ...p });
  }
  return plan;
}
