import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentError } from '../errors.ts';
import { BatchWindow } from './batch-window.ts';
import { runProcess } from './run-process.ts';
import {
  type AnalyseVideoOptions,
  analyseVideo,
  analysisArgsOptions,
  analysisContext,
  blurMethodOf,
  ffmpegFilters,
  outputLabels,
  readAnalysis,
  VIDEO_GLOBAL_ARGS,
  type VideoArgsOptions,
  type VideoSummary,
  videoFilterGraph,
  videoInputArgs,
} from './video-analysis.ts';

/**
 * Video analyses a batch at a time. An analysis is one ffmpeg run, and with a distribution build a
 * run's start is a large share of its CPU, so analyses due within `windowMs` of each other share one
 * run: each camera's stream, reference frame and snapshot (on a pipe of its own) are inputs of the run,
 * and its filter chains, labelled apart, write its metadata files; each camera's figures are read
 * from its own files as a run of its own would give them. A camera the batch gave no frames for, or
 * a run that failed or hit its deadline, is analysed again alone, side by side, so each failure keeps
 * its own error. Only RTSP streams share runs.
 */

export interface VideoBatcherOptions {
  /** How long the first analysis of a batch waits for others to share its run; 0: none waits. */
  windowMs: number;
  /** Most analyses in one run (ffmpeg opens the streams in turn, so more means a longer run). */
  maxBatch: number;
  /** The single analysis; replaceable in tests. */
  alone?: typeof analyseVideo;
}

interface Waiting {
  o: AnalyseVideoOptions;
  resolve: (summary: VideoSummary) => void;
  reject: (error: unknown) => void;
}

export class VideoBatcher {
  private readonly window: BatchWindow<Waiting>;
  readonly stats = { runs: 0, batched: 0, retriedAlone: 0 };

  constructor(private readonly options: VideoBatcherOptions) {
    this.window = new BatchWindow({
      windowMs: options.windowMs,
      maxBatch: options.maxBatch,
      run: (batch) => void this.run(batch),
    });
  }

  /** Same contract as analyseVideo. */
  analyse(o: AnalyseVideoOptions): Promise<VideoSummary> {
    if (o.signal?.aborted)
      return Promise.reject(new AgentError('aborted', 'agent stopping', analysisContext(o)));
    if (this.options.windowMs <= 0 || this.options.maxBatch < 2 || !/^rtsps?:/i.test(o.uri))
      return this.alone(o);
    return new Promise<VideoSummary>((resolve, reject) => {
      // Stopping the agent answers a waiting analysis at once rather than at the window's end.
      const onAbort = () => {
        for (const w of this.window.take()) if (w !== waiting) this.window.add(w);
        reject(new AgentError('aborted', 'agent stopping', analysisContext(o)));
      };
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          o.signal?.removeEventListener('abort', onAbort);
          fn(value);
        };
      const waiting: Waiting = { o, resolve: settle(resolve), reject: settle(reject) };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.window.add(waiting);
    });
  }

  private alone(o: AnalyseVideoOptions): Promise<VideoSummary> {
    this.stats.runs++;
    return (this.options.alone ?? analyseVideo)(o);
  }

  private async run(batch: Waiting[]): Promise<void> {
    const [first] = batch;
    if (!first) return;
    const sameTool = batch.every(
      (w) => w.o.ffmpegPath === first.o.ffmpegPath && w.o.timeoutMs === first.o.timeoutMs,
    );
    if (batch.length === 1 || !sameTool) {
      await Promise.all(batch.map((w) => this.alone(w.o).then(w.resolve, w.reject)));
      return;
    }
    this.stats.runs++;
    const summaries: (VideoSummary | null)[] = batch.map(() => null);
    let dir: string | null = null;
    try {
      const method = blurMethodOf(await ffmpegFilters(first.o.ffmpegPath, first.o.now));
      dir = await mkdtemp(join(tmpdir(), 'cctv-video-batch-'));
      const parts: VideoArgsOptions[] = [];
      const snapshots: Buffer[] = [];
      const inputs: string[] = [];
      let inputBase = 0;
      for (const [k, w] of batch.entries()) {
        const part = analysisArgsOptions(w.o, method, dir, `${k}-`, { inputBase, labelPrefix: `c${k}` });
        parts.push(part);
        inputs.push(...videoInputArgs(part, 3 + snapshots.length));
        if (w.o.snapshot) snapshots.push(w.o.snapshot);
        inputBase += 1 + (part.hasReference ? 1 : 0) + (part.hasSnapshot ? 1 : 0);
      }
      const args = [
        ...VIDEO_GLOBAL_ARGS,
        ...inputs,
        '-filter_complex',
        parts.map((part) => videoFilterGraph(part)).join(';'),
        ...parts.flatMap((part) =>
          outputLabels(part).flatMap((label) => ['-map', `[${label}]`, '-f', 'null', '-']),
        ),
      ];
      const result = await runProcess(first.o.ffmpegPath, args, {
        timeoutMs: first.o.timeoutMs,
        maxStdoutBytes: 64 * 1024,
        extraInputs: snapshots,
        now: first.o.now,
        ...(first.o.signal ? { signal: first.o.signal } : {}),
      });
      if (result.aborted) {
        for (const w of batch) w.reject(new AgentError('aborted', 'agent stopping', analysisContext(w.o)));
        return;
      }
      // Only a run that ended by itself is whole: a killed or failed one is tried again camera by camera.
      if (result.exitCode === 0 && !result.timedOut) {
        for (const [k, part] of parts.entries()) {
          const summary = await readAnalysis(part);
          if (summary.frames > 0) summaries[k] = summary;
        }
      }
    } catch {
      // The tool could not be started or its files not read: each is tried alone, which reports why.
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
    const again: Waiting[] = [];
    batch.forEach((w, k) => {
      const summary = summaries[k];
      if (summary) {
        this.stats.batched++;
        w.resolve(summary);
      } else again.push(w);
    });
    this.stats.retriedAlone += again.length;
    await Promise.all(again.map((w) => this.alone(w.o).then(w.resolve, w.reject)));
  }
}
