import type { DutyWindow, SourceState, SourceStreamCheck, SourceView } from '../../../src/schemas/sources.ts';
import type { RegisteredSource } from '../../../src/sources/telemetry.ts';
import type { StoredFix } from './source-repository.ts';

export interface SourceTrackerOptions {
  staleAfterMs: number;
  offlineAfterMs: number;
  trackMinutes: number;
  now: () => number;
  /** Views that changed (position, state, duty): for live sockets. */
  changed: (views: SourceView[]) => void;
  removed: (ids: string[]) => void;
}

/** Most points kept in a source's live track (2 fixes a second for 10 minutes is 1,200). */
const MAX_TRACK_POINTS = 2000;

interface Tracked {
  source: RegisteredSource;
  view: SourceView;
  track: [number, number, number][];
  lastFixMs: number | null;
}

/**
 * The live picture of mobile sources in this process: each one's newest fix and footprint, its track
 * of the last minutes, its link state (up while its fixes are fresh, unknown once late, offline once
 * silent) and whether it is on duty now. Fed with committed fixes (the ingest's, or the leader's in a
 * region of several processes); `tick` moves states on as time passes.
 */
export class SourceTracker {
  private readonly tracked = new Map<string, Tracked>();
  private duty: DutyWindow[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SourceTrackerOptions) {}

  load(
    sources: readonly RegisteredSource[],
    fixes: readonly StoredFix[],
    tracks: ReadonlyMap<string, [number, number, number][]>,
    duty: readonly DutyWindow[],
  ): void {
    this.tracked.clear();
    this.duty = [...duty];
    for (const source of sources) this.register(source, false);
    for (const fix of fixes) {
      const t = this.tracked.get(fix.sourceId);
      if (!t) continue;
      this.place(t, fix);
      t.track = [...(tracks.get(fix.sourceId) ?? [])];
    }
    for (const t of this.tracked.values()) this.refresh(t, true);
  }

  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  list(): SourceView[] {
    return [...this.tracked.values()].map((t) => t.view);
  }

  get(id: string): SourceView | null {
    return this.tracked.get(id)?.view ?? null;
  }

  registered(id: string): RegisteredSource | null {
    return this.tracked.get(id)?.source ?? null;
  }

  /** A source registered (or its registration changed, e.g. a new key): shown at once. */
  register(source: RegisteredSource, announce = true): void {
    const existing = this.tracked.get(source.id);
    if (existing) {
      existing.source = source;
      existing.view = {
        ...existing.view,
        name: source.name,
        unit: source.unit,
        relaySiteId: source.relaySiteId,
      };
    } else {
      const at = new Date(this.options.now()).toISOString();
      this.tracked.set(source.id, {
        source,
        track: [],
        lastFixMs: null,
        view: {
          id: source.id,
          kind: source.kind,
          name: source.name,
          unit: source.unit,
          relaySiteId: source.relaySiteId,
          state: 'offline',
          stateSince: at,
          lastFixAt: null,
          location: null,
          altitudeM: null,
          headingDeg: null,
          speedMps: null,
          batteryPct: null,
          linkQualityPct: null,
          footprint: null,
          track: [],
          onDuty: false,
          stream: null,
        },
      });
    }
    if (announce) this.options.changed([this.tracked.get(source.id)?.view as SourceView]);
  }

  retire(id: string): void {
    if (this.tracked.delete(id)) this.options.removed([id]);
  }

  setDuty(windows: readonly DutyWindow[]): void {
    this.duty = [...windows];
    this.tick();
  }

  addDuty(window: DutyWindow): void {
    this.duty.push(window);
    this.tick();
  }

  /** The newest check of a source's stream: shown with it, and pushed when its outcome changes. */
  setStream(id: string, check: SourceStreamCheck, announce = true): void {
    const t = this.tracked.get(id);
    if (!t) return;
    const before = t.view.stream;
    t.view = { ...t.view, stream: check };
    const news =
      !before ||
      before.ok !== check.ok ||
      before.codec !== check.codec ||
      before.width !== check.width ||
      before.height !== check.height ||
      before.errorCode !== check.errorCode;
    if (news && announce) this.options.changed([t.view]);
  }

  /** Committed fixes: the newest of each source moves it; every fix joins its track. */
  apply(fixes: readonly (StoredFix & { points?: readonly [number, number, number][] })[]): void {
    const changed: SourceView[] = [];
    for (const fix of fixes) {
      const t = this.tracked.get(fix.sourceId);
      if (!t) continue;
      const points = fix.points ?? [[fix.lon, fix.lat, fix.atMs] as [number, number, number]];
      for (const p of points) t.track.push(p);
      t.track.sort((a, b) => a[2] - b[2]);
      if (t.lastFixMs === null || fix.atMs >= t.lastFixMs) this.place(t, fix);
      this.refresh(t, false);
      changed.push(t.view);
    }
    if (changed.length > 0) this.options.changed(changed);
  }

  /** Moves states on with time, trims tracks and follows duty windows; pushes what changed. */
  tick(): void {
    const changed: SourceView[] = [];
    for (const t of this.tracked.values()) {
      const before = t.view;
      this.refresh(t, false);
      // A track trimmed as time passes is not news: clients trim theirs by the same clock.
      if (before.state !== t.view.state || before.onDuty !== t.view.onDuty) changed.push(t.view);
    }
    if (changed.length > 0) this.options.changed(changed);
  }

  private place(t: Tracked, fix: StoredFix): void {
    t.lastFixMs = fix.atMs;
    t.view = {
      ...t.view,
      lastFixAt: new Date(fix.atMs).toISOString(),
      location: { type: 'Point', coordinates: [fix.lon, fix.lat] },
      altitudeM: fix.altitudeM,
      headingDeg: fix.headingDeg,
      speedMps: fix.speedMps,
      batteryPct: fix.batteryPct,
      linkQualityPct: fix.linkQualityPct,
      footprint: fix.footprint,
    };
  }

  /** Recomputes state, track window and duty; a state's start is derived from the last fix. */
  private refresh(t: Tracked, loading: boolean): void {
    const now = this.options.now();
    const { staleAfterMs, offlineAfterMs } = this.options;
    const state: SourceState =
      t.lastFixMs === null
        ? 'offline'
        : now - t.lastFixMs <= staleAfterMs
          ? 'up'
          : now - t.lastFixMs <= offlineAfterMs
            ? 'unknown'
            : 'offline';
    let stateSince = t.view.stateSince;
    if (state !== t.view.state || loading) {
      const last = t.lastFixMs;
      const since =
        last === null
          ? now
          : state === 'up'
            ? last
            : state === 'unknown'
              ? last + staleAfterMs
              : last + offlineAfterMs;
      stateSince = new Date(since).toISOString();
    }
    const horizon = now - this.options.trackMinutes * 60_000;
    let from = 0;
    while (from < t.track.length && (t.track[from] as [number, number, number])[2] < horizon) from++;
    if (from > 0) t.track.splice(0, from);
    if (t.track.length > MAX_TRACK_POINTS) t.track.splice(0, t.track.length - MAX_TRACK_POINTS);
    const onDuty = this.duty.some(
      (w) => w.sourceId === t.source.id && Date.parse(w.startsAt) <= now && now < Date.parse(w.endsAt),
    );
    t.view = { ...t.view, state, stateSince, track: [...t.track], onDuty };
  }
}
