import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AgentConfig } from '../../src/config/agent-config.ts';
import { judgeVideo, type VideoThresholds } from '../../src/health/video-judge.ts';
import type { VideoCheck, VideoMeasures } from '../../src/schemas/video-check.ts';
import { AgentError, type ErrorContext, errorMessage } from './errors.ts';
import type { MediaBinaries } from './media/binaries.ts';
import { captureReference, hasReference, referencePath } from './media/reference-frame.ts';
import { analyseVideo } from './media/video-analysis.ts';

/** Analyses in a row that must see the stream moving before repeated snapshots make it stale. */
const MOVING_ANALYSES_FOR_STALE = 2;

export interface VideoWatchOptions {
  siteId: string;
  cameraId: string;
  username: string;
  password: string;
  video: AgentConfig['video'];
  thresholds: VideoThresholds;
  media: MediaBinaries;
  now: () => number;
  logger: Logger;
  signal: AbortSignal;
  context: ErrorContext;
  /**
   * When the first analysis may run (epoch ms); absent: at the first good probe. The agent spreads
   * its cameras' first analyses over one analysis period, so that they do not all decode video in
   * the same minute, and again every period after (each follows its own last attempt).
   */
  firstDueMs?: number;
  /**
   * How much sooner than `video.intervalMs` after the last attempt an analysis is due. Analyses run
   * after a stream probe, so half a probe period makes the period a whole number of probes (5 at the
   * defaults) instead of 5 or 6 by a few ms of probe time, and cameras probed together stay analysed
   * together (phases.ts).
   */
  dueSlackMs?: number;
  /** The ffmpeg analysis; replaceable so the bookkeeping here can be tested without a stream. */
  analyser?: typeof analyseVideo;
}

/**
 * One camera's video analysis: when it is due, the latest measures, and how many snapshots in a row came
 * back byte-identical. A live sensor's JPEGs always differ in their noise; the same bytes again and again,
 * while the stream moves, are a picture the device keeps serving rather than what it sees.
 */
export class VideoWatch {
  /** `startedAtMs`: when the analysed stream was opened, so the stream was seen as it was from then on. */
  private measures: { value: Omit<VideoMeasures, 'snapshotRepeats'>; startedAtMs: number } | null = null;
  private lastAttemptMs: number | null = null;
  private snapshot: { jpeg: Buffer; sha256: string; sinceMs: number } | null = null;
  private repeats = 0;
  /**
   * Analyses in a row, each begun after the current snapshot stuck, that found the stream moving (no
   * still stretch at all). Repeats count from the second: one analysis can take a frozen encoder's
   * output for movement (seen: a frozen stream's frames refined after each keyframe, no still stretch
   * in one 3 s sample, fully still in the next), and a stale snapshot is then claimed for a camera
   * whose fault is the freeze.
   */
  private movingSinceStuck = 0;

  constructor(private readonly o: VideoWatchOptions) {}

  get referenceFile(): string {
    return referencePath(this.o.video.referenceDir, this.o.siteId, this.o.cameraId);
  }

  /** Called with every snapshot the poll fetched. */
  noteSnapshot(jpeg: Buffer): void {
    const sha256 = createHash('sha256').update(jpeg).digest('hex');
    const same = this.snapshot?.sha256 === sha256;
    this.repeats = same ? this.repeats + 1 : 0;
    if (!same) this.movingSinceStuck = 0;
    this.snapshot = { jpeg, sha256, sinceMs: same && this.snapshot ? this.snapshot.sinceMs : this.o.now() };
  }

  due(nowMs: number): boolean {
    if (this.lastAttemptMs === null) return nowMs >= (this.o.firstDueMs ?? Number.NEGATIVE_INFINITY);
    return nowMs - this.lastAttemptMs >= this.o.video.intervalMs - (this.o.dueSlackMs ?? 0);
  }

  /**
   * The latest measures judged with the current snapshot count; null once two analysis periods (plus a
   * deadline) passed without a new result, so an old verdict never stands for the present.
   */
  current(): VideoCheck | null {
    if (!this.measures) return null;
    const { intervalMs, timeoutMs } = this.o.video;
    if (this.o.now() - this.measures.startedAtMs > 2 * intervalMs + timeoutMs) return null;
    // Repeats count only once analyses since the snapshot stuck found the stream moving: until then
    // the picture may simply be still (a frozen camera freezes its snapshot too).
    const seenMoving = this.movingSinceStuck >= MOVING_ANALYSES_FOR_STALE;
    return judgeVideo(
      { ...this.measures.value, snapshotRepeats: seenMoving ? this.repeats : 0 },
      this.o.thresholds,
    );
  }

  /** Analyses the stream; failures are logged and leave no result (the probe reports a dead stream). */
  async analyse(streamUri: string): Promise<void> {
    const { video, media, now, logger, signal, context, username, password } = this.o;
    this.lastAttemptMs = now();
    try {
      const path = this.referenceFile;
      let reference = await hasReference(path);
      if (!reference && video.captureMissingReference) {
        await captureReference(path, {
          ffmpegPath: media.ffmpegPath,
          uri: streamUri,
          username,
          password,
          timeoutMs: video.timeoutMs,
          now,
          signal,
          context,
        });
        logger.info({ path }, 'commissioning reference frame captured');
        reference = true;
      }
      const startedAt = now();
      const measures = await (this.o.analyser ?? analyseVideo)({
        ffmpegPath: media.ffmpegPath,
        uri: streamUri,
        username,
        password,
        sampleMs: video.sampleMs,
        timeoutMs: video.timeoutMs,
        rate: video.frameRate,
        keyframesOnly: video.decode === 'keyframes',
        referencePath: reference ? path : null,
        snapshot: this.snapshot?.jpeg ?? null,
        now,
        signal,
        context,
      });
      this.measures = {
        value: { ...measures, checkedAt: new Date(startedAt).toISOString() },
        startedAtMs: startedAt,
      };
      const afterStuck = this.snapshot !== null && startedAt >= this.snapshot.sinceMs;
      const moving = measures.frames > 0 && measures.frozenShare === 0 && measures.blackShare === 0;
      this.movingSinceStuck = afterStuck && moving ? this.movingSinceStuck + 1 : 0;
      logger.debug({ measures, elapsedMs: now() - startedAt }, 'video analysed');
    } catch (error) {
      const e =
        error instanceof AgentError ? error : new AgentError('stream_error', errorMessage(error), context);
      if (e.code === 'aborted') throw e;
      logger.warn({ err: e.toLog() }, 'video analysis failed');
    }
  }
}
