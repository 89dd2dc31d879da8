import type { Logger } from 'pino';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import { probeStream, type StreamProbe } from '../../../edge-agent/src/media/probe.ts';
import type { SourceStreamCheck, SourceView } from '../../../src/schemas/sources.ts';
import type { FeedCamera, ViewerCredentials } from '../feeds/feed-manager.ts';

export interface SourceProberOptions {
  ffprobePath: string;
  intervalMs: number;
  timeoutMs: number;
  sampleMs: number;
  maxConcurrent: number;
  now: () => number;
  log: Logger;
  /** Sources as the tracker holds them now (state, duty, newest check). */
  sources: () => readonly SourceView[];
  /** Where the hub pulls a source's video (its registered stream), or null once it is retired. */
  target: (id: string) => FeedCamera | null;
  /** Viewing credentials the hub holds for the source's stream, if any. */
  credentials: (target: FeedCamera) => ViewerCredentials | null;
  /** A finished check: stored, then shown. */
  checked: (sourceId: string, check: SourceStreamCheck) => Promise<void>;
  /** Runs a probe (tests replace it to count calls); default: ffprobe as the edge agent runs it. */
  probe?: (uri: string, credentials: ViewerCredentials | null, signal: AbortSignal) => Promise<StreamProbe>;
}

/**
 * Checks mobile sources' streams the way the edge agent checks cameras' (ffprobe reads a few seconds,
 * measuring codec, size, frame rate and bitrate), from the hub, which is where their video is pulled:
 * only while a source is on duty or its telemetry is live (a drone on the ground is not down), at most
 * `maxConcurrent` at once, each bounded by `timeoutMs`. The cluster's leader runs it (one check per
 * source, not one per process).
 */
export class SourceProber {
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Map<string, AbortController>();
  private readonly lastStartedMs = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: SourceProberOptions) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.stopped = false;
    const tickMs = Math.min(1000, this.options.intervalMs);
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const controller of this.running.values()) controller.abort();
  }

  /** Sources due a check now, oldest check first. */
  due(): SourceView[] {
    const now = this.options.now();
    return this.options
      .sources()
      .filter(
        (s) =>
          (s.onDuty || s.state === 'up') &&
          !this.running.has(s.id) &&
          now - (this.lastStartedMs.get(s.id) ?? Number.NEGATIVE_INFINITY) >= this.options.intervalMs,
      )
      .sort((a, b) => (this.lastStartedMs.get(a.id) ?? 0) - (this.lastStartedMs.get(b.id) ?? 0));
  }

  private tick(): void {
    if (this.stopped) return;
    for (const source of this.due()) {
      if (this.running.size >= this.options.maxConcurrent) break;
      void this.check(source.id);
    }
  }

  /** Checks one source's stream now and reports the outcome (never throws). */
  async check(id: string): Promise<SourceStreamCheck | null> {
    const target = this.options.target(id);
    if (!target?.streamUri) return null;
    const uri = target.streamUri;
    const controller = new AbortController();
    this.running.set(id, controller);
    this.lastStartedMs.set(id, this.options.now());
    let check: SourceStreamCheck;
    try {
      const credentials = this.options.credentials(target);
      const probe = this.options.probe ?? ((uri, c, signal) => this.ffprobe(id, uri, c, signal));
      const result = await probe(uri, credentials, controller.signal);
      check = {
        checkedAt: new Date(this.options.now()).toISOString(),
        ok: true,
        codec: result.codec,
        width: result.width,
        height: result.height,
        fps: result.fps === null ? null : Math.round(result.fps * 100) / 100,
        bitrateKbps: result.bitrateKbps === null ? null : Math.round(result.bitrateKbps),
        errorCode: null,
        error: null,
      };
    } catch (error) {
      if (controller.signal.aborted && this.stopped) {
        this.running.delete(id);
        return null;
      }
      const code = error instanceof AgentError ? error.code : 'stream_error';
      check = {
        checkedAt: new Date(this.options.now()).toISOString(),
        ok: false,
        codec: null,
        width: null,
        height: null,
        fps: null,
        bitrateKbps: null,
        errorCode: code,
        error: String((error as Error).message).slice(0, 300),
      };
    }
    this.running.delete(id);
    try {
      await this.options.checked(id, check);
    } catch (error) {
      this.options.log.warn(
        { source: id, err: (error as Error).message },
        'could not store the check of a source stream',
      );
    }
    return check;
  }

  private ffprobe(
    id: string,
    uri: string,
    credentials: ViewerCredentials | null,
    signal: AbortSignal,
  ): Promise<StreamProbe> {
    const { ffprobePath, timeoutMs, sampleMs, now } = this.options;
    return probeStream(uri, {
      ffprobePath,
      timeoutMs,
      sampleMs,
      username: credentials?.username ?? '',
      password: credentials?.password ?? '',
      now,
      signal,
      context: { cameraId: id, operation: 'source stream check' },
    });
  }
}
