import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { analyseVideo } from '../../../edge-agent/src/media/video-analysis.ts';
import { VideoWatch } from '../../../edge-agent/src/video-watch.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';

const defaults = defaultsOf(AgentConfig) as AgentConfig;
const referenceDir = mkdtempSync(join(tmpdir(), 'cctv-video-watch-'));
afterAll(() => rmSync(referenceDir, { recursive: true, force: true }));

type Measures = Awaited<ReturnType<typeof analyseVideo>>;
const moving: Measures = {
  sampleMs: 4000,
  frames: 8,
  frozenShare: 0,
  blackShare: 0,
  blurMethod: 'edgedetect',
  sharpness: 0.01,
  sharpnessRatio: null,
  sceneSsim: null,
  snapshotSsim: 0.8,
};

/** A watch on a fake clock whose analyses take `analysisMs` and return `next`. */
function watch(analysisMs = 4000, firstDelayMs?: number, dueSlackMs?: number) {
  const startMs = Date.parse('2026-12-04T18:00:00Z');
  let nowMs = startMs;
  let next: Measures = moving;
  let during: () => void = () => undefined;
  const w = new VideoWatch({
    siteId: 'site',
    cameraId: 'cam',
    username: 'u',
    password: 'p',
    video: { ...defaults.video, referenceDir },
    thresholds: defaults.thresholds,
    media: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' },
    now: () => nowMs,
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    context: {},
    ...(firstDelayMs !== undefined ? { firstDueMs: startMs + firstDelayMs } : {}),
    ...(dueSlackMs !== undefined ? { dueSlackMs } : {}),
    analyser: async () => {
      during();
      nowMs += analysisMs;
      return next;
    },
  });
  return {
    w,
    tick: (ms: number) => (nowMs += ms),
    set: (m: Partial<Measures>) => (next = { ...moving, ...m }),
    /** Runs while the next analysis has the stream open. */
    whileAnalysing: (f: () => void) => (during = f),
  };
}

const jpeg = (n: number) => Buffer.from(`jpeg-${n}`);

describe('video watch', () => {
  it('has nothing to say before its first analysis, and is due at once', () => {
    const { w } = watch();
    expect(w.current()).toBeNull();
    expect(w.due(Date.now())).toBe(true);
  });

  it('counts a snapshot stale once two analyses begun after it stuck saw the stream moving', async () => {
    const { w, tick } = watch();
    await w.analyse('rtsp://cam/main');
    for (let i = 0; i < 6; i++) {
      tick(1000);
      w.noteSnapshot(jpeg(0));
    }
    // Five repeats, but the only analysis began before the snapshot stuck: not yet stale.
    expect(w.current()?.snapshotRepeats).toBe(0);
    expect(w.current()?.snapshotStale).toBe(false);
    await w.analyse('rtsp://cam/main');
    // One analysis since: a frozen encoder's output can pass for movement once; not yet.
    expect(w.current()?.snapshotStale).toBe(false);
    await w.analyse('rtsp://cam/main');
    expect(w.current()).toMatchObject({ snapshotRepeats: 5, snapshotStale: true });
    // A new picture ends the run.
    w.noteSnapshot(jpeg(1));
    expect(w.current()).toMatchObject({ snapshotRepeats: 0, snapshotStale: false });
  });

  it('a frozen camera whose first analysis passed for moving is frozen, never a stale snapshot', async () => {
    const { w, tick, set } = watch();
    for (let i = 0; i < 6; i++) {
      tick(1000);
      w.noteSnapshot(jpeg(0));
    }
    // As seen once in CI: no still stretch in one sample, then fully still in the next.
    await w.analyse('rtsp://cam/main');
    expect(w.current()?.snapshotStale).toBe(false);
    set({ frozenShare: 1 });
    await w.analyse('rtsp://cam/main');
    expect(w.current()).toMatchObject({ frozen: true, snapshotStale: false });
    // A moving sample after a still one starts the count again.
    set({ frozenShare: 0 });
    await w.analyse('rtsp://cam/main');
    expect(w.current()?.snapshotStale).toBe(false);
  });

  it('a frozen stream with a frozen snapshot is frozen, not a stale snapshot', async () => {
    const { w, tick, set } = watch();
    for (let i = 0; i < 6; i++) {
      tick(1000);
      w.noteSnapshot(jpeg(0));
    }
    set({ frozenShare: 1 });
    await w.analyse('rtsp://cam/main');
    expect(w.current()).toMatchObject({ frozen: true, snapshotStale: false });
  });

  it('an analysis that ran over the moment the snapshot stuck does not count as seeing it', async () => {
    const { w, tick, whileAnalysing } = watch(4000);
    w.noteSnapshot(jpeg(0));
    whileAnalysing(() => {
      tick(1000);
      // The picture sticks from here, after the analysed stream was opened.
      for (let i = 0; i < 6; i++) w.noteSnapshot(jpeg(1));
    });
    await w.analyse('rtsp://cam/main');
    expect(w.current()?.snapshotStale).toBe(false);
  });

  it('drops its verdict once two periods pass without a new analysis', async () => {
    const { w, tick } = watch();
    await w.analyse('rtsp://cam/main');
    expect(w.current()).not.toBeNull();
    tick(2 * defaults.video.intervalMs + defaults.video.timeoutMs + 1);
    expect(w.current()).toBeNull();
  });

  it('waits for its first analysis until its place in the period, then follows its own last attempt', async () => {
    const { w, tick } = watch(4000, 120_000);
    expect(w.due(Date.parse('2026-12-04T18:00:00Z'))).toBe(false);
    tick(119_999);
    expect(w.due(Date.parse('2026-12-04T18:00:00Z') + 119_999)).toBe(false);
    tick(1);
    const first = Date.parse('2026-12-04T18:00:00Z') + 120_000;
    expect(w.due(first)).toBe(true);
    await w.analyse('rtsp://cam/stream');
    expect(w.due(first + defaults.video.intervalMs - 1)).toBe(false);
    expect(w.due(first + defaults.video.intervalMs)).toBe(true);
  });

  it('is due at the probe nearest a whole period after its last attempt, not a probe later', async () => {
    // Probes every 60 s; an analysis begins after its probe, so the probe five periods on may come a
    // few ms short of 300 s after the attempt: it is due then, and cameras analysed together stay so.
    const { w, tick } = watch(4000, undefined, 30_000);
    const attempt = Date.parse('2026-12-04T18:00:00Z');
    await w.analyse('rtsp://cam/stream');
    tick(-4000);
    expect(w.due(attempt + 4 * 60_000)).toBe(false);
    expect(w.due(attempt + defaults.video.intervalMs - 30_001)).toBe(false);
    expect(w.due(attempt + defaults.video.intervalMs - 30_000)).toBe(true);
    expect(w.due(attempt + defaults.video.intervalMs - 3)).toBe(true);
  });
});
