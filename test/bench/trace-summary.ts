// What a Chromium performance trace says about a page's long frames: for each gap of more than
// `overMs` between two animation frames of the page's main thread, how long that thread ran tasks
// in the gap (wall and its own CPU time), which trace events took the time, and how busy the
// page's other threads were. A long frame with little main-thread CPU is the machine's (the thread
// was waiting for a core); one full of Layout, Paint or script is the page's.

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

export interface LongFrame {
  /** Since the first animation frame of the trace. */
  atMs: number;
  gapMs: number;
  /** Wall time of the main thread's tasks in the gap, and the CPU time they got. */
  mainTaskMs: number;
  mainCpuMs: number;
  /** Wall time by event name on the main thread (nested events count in each of their names). */
  top: [string, number][];
  /** CPU time of the page's other threads (compositor, raster) in the gap. */
  otherThreadsCpuMs: number;
}

const TASK_NAMES = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);
/** Wrappers that say nothing about the work (every task has them). */
const WRAPPERS = new Set([
  'ThreadControllerImpl::RunTask',
  'RunTask',
  'RunMicrotasks',
  'SequenceManager::DoIdleWork',
  'ThreadController::Task',
]);

export function summariseTrace(events: readonly TraceEvent[], overMs = 50): LongFrame[] {
  const mainThreads = events.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  // The page's renderer: the main thread with the most animation frames.
  let best: { pid: number; tid: number; frames: number[] } | null = null;
  for (const t of mainThreads) {
    const frames = events
      .filter((e) => e.pid === t.pid && e.tid === t.tid && e.name === 'FireAnimationFrame' && e.ph === 'X')
      .map((e) => e.ts)
      .sort((a, b) => a - b);
    if (!best || frames.length > best.frames.length) best = { pid: t.pid, tid: t.tid, frames };
  }
  if (!best || best.frames.length < 2) return [];
  const { pid, tid, frames } = best;
  const complete = events.filter((e) => e.ph === 'X' && e.pid === pid && typeof e.dur === 'number');
  const main = complete.filter((e) => e.tid === tid);
  // Tasks nest (a RunTask inside ThreadControllerImpl::RunTask): only the outermost count as tasks.
  const tasks: TraceEvent[] = [];
  let taskEnd = Number.NEGATIVE_INFINITY;
  for (const e of main.filter((x) => TASK_NAMES.has(x.name)).sort((x, y) => x.ts - y.ts)) {
    if (e.ts < taskEnd) continue;
    tasks.push(e);
    taskEnd = e.ts + (e.dur ?? 0);
  }
  const others = complete.filter((e) => e.tid !== tid && TASK_NAMES.has(e.name));
  const overlap = (e: TraceEvent, a: number, b: number) =>
    Math.max(0, Math.min(e.ts + (e.dur ?? 0), b) - Math.max(e.ts, a));
  const start = frames[0] as number;
  const long: LongFrame[] = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1] as number;
    const b = frames[i] as number;
    if ((b - a) / 1000 <= overMs) continue;
    let taskUs = 0;
    let cpuUs = 0;
    const byName = new Map<string, number>();
    for (const e of tasks) {
      const inGap = overlap(e, a, b);
      taskUs += inGap;
      // The task's CPU time, in the share of it that falls in the gap.
      cpuUs += (e.tdur ?? 0) * (inGap / Math.max(1, e.dur ?? 1));
    }
    for (const e of main) {
      const inGap = overlap(e, a, b);
      if (inGap > 0 && !WRAPPERS.has(e.name)) byName.set(e.name, (byName.get(e.name) ?? 0) + inGap);
    }
    let otherUs = 0;
    for (const e of others) {
      const inGap = overlap(e, a, b);
      if (inGap > 0) otherUs += (e.tdur ?? 0) * (inGap / Math.max(1, e.dur ?? 1));
    }
    long.push({
      atMs: Math.round((a - start) / 1000),
      gapMs: Math.round((b - a) / 1000),
      mainTaskMs: Math.round(taskUs / 1000),
      mainCpuMs: Math.round(cpuUs / 1000),
      top: [...byName.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 6)
        .map(([name, us]) => [name, Math.round(us / 1000)]),
      otherThreadsCpuMs: Math.round(otherUs / 1000),
    });
  }
  return long;
}

/** One line per long frame, for the bench's log. */
export function describeLongFrames(long: readonly LongFrame[]): string[] {
  return long.map(
    (f) =>
      `    frame at ${f.atMs} ms: ${f.gapMs} ms; main thread ran tasks ${f.mainTaskMs} ms (CPU ${f.mainCpuMs} ms), other threads CPU ${f.otherThreadsCpuMs} ms; ${f.top.map(([n, ms]) => `${n} ${ms}`).join(', ')}`,
  );
}
