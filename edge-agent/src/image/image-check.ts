import type { ImageCheck } from '../../../src/schemas/payloads.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
import { BatchWindow } from '../media/batch-window.ts';
import { runProcess } from '../media/run-process.ts';

/** Small enough to decode in a few ms, large enough that a test card or a scene has spread. */
export const CHECK_WIDTH_PX = 160;
export const CHECK_HEIGHT_PX = 90;

export interface LumaStats {
  meanLuma: number;
  lumaStdDev: number;
}

/** Mean and population standard deviation of 8-bit luma samples. */
export function lumaStats(gray: Uint8Array): LumaStats {
  if (gray.length === 0) return { meanLuma: 0, lumaStdDev: 0 };
  let sum = 0;
  let sumSq = 0;
  for (const v of gray) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / gray.length;
  const variance = Math.max(0, sumSq / gray.length - mean * mean);
  return { meanLuma: mean, lumaStdDev: Math.sqrt(variance) };
}

export interface ImageThresholds {
  blankLumaStdDev: number;
  darkMeanLuma: number;
}

export function toImageCheck(stats: LumaStats, thresholds: ImageThresholds): ImageCheck {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    meanLuma: round(stats.meanLuma),
    lumaStdDev: round(stats.lumaStdDev),
    blank: stats.lumaStdDev < thresholds.blankLumaStdDev,
    dark: stats.meanLuma < thresholds.darkMeanLuma,
  };
}

export function decodeArgs(): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-i',
    'pipe:0',
    '-frames:v',
    '1',
    '-vf',
    `scale=${CHECK_WIDTH_PX}:${CHECK_HEIGHT_PX},format=gray`,
    '-f',
    'rawvideo',
    'pipe:1',
  ];
}

/**
 * The same decode for n snapshots in one ffmpeg run: snapshot i is read from `pipe:(3+i)` and its frame
 * written to `pipe:(3+n+i)`, each through its own chain, so each frame is byte for byte what a run of
 * its own gives (`decodeArgs`). The scaler's flags are given: the command line applies bicubic to a
 * `-vf` chain but not to a `-filter_complex` one, where some builds then scale bilinearly.
 */
export function batchDecodeArgs(n: number): string[] {
  const args = ['-hide_banner', '-loglevel', 'error'];
  for (let i = 0; i < n; i++) args.push('-i', `pipe:${3 + i}`);
  const chains = Array.from(
    { length: n },
    (_, i) => `[${i}:v]scale=${CHECK_WIDTH_PX}:${CHECK_HEIGHT_PX}:flags=bicubic,format=gray[o${i}]`,
  );
  args.push('-filter_complex', chains.join(';'));
  for (let i = 0; i < n; i++)
    args.push('-map', `[o${i}]`, '-frames:v', '1', '-f', 'rawvideo', `pipe:${3 + n + i}`);
  return args;
}

const FRAME_BYTES = CHECK_WIDTH_PX * CHECK_HEIGHT_PX;

interface DecodeOptions {
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal;
  context: ErrorContext;
}

/** Decodes a snapshot (JPEG, usually) to a 160x90 grayscale frame with ffmpeg, in a run of its own. */
export async function decodeSnapshot(
  image: Buffer,
  ffmpegPath: string,
  options: DecodeOptions,
): Promise<Buffer> {
  const result = await runProcess(ffmpegPath, decodeArgs(), {
    timeoutMs: options.timeoutMs,
    input: image,
    maxStdoutBytes: FRAME_BYTES,
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const context = { ...options.context, operation: 'snapshot decode' };
  if (result.aborted) throw new AgentError('aborted', 'agent stopping', context);
  if (result.timedOut)
    throw new AgentError('timeout', `decode took longer than ${options.timeoutMs} ms`, context);
  if (result.exitCode !== 0 || result.stdout.length !== FRAME_BYTES) {
    const why = result.stderr.trim().split('\n').pop() ?? '';
    throw new AgentError(
      'image_decode_failed',
      `ffmpeg could not decode the snapshot (exit ${result.exitCode}, ${result.stdout.length} bytes)${why ? `: ${why}` : ''}`,
      context,
    );
  }
  return result.stdout;
}

/** Decodes a snapshot (JPEG, usually) to a 160x90 grayscale frame with ffmpeg and measures it. */
export async function analyseSnapshot(
  image: Buffer,
  ffmpegPath: string,
  options: DecodeOptions & { thresholds: ImageThresholds },
): Promise<ImageCheck> {
  return toImageCheck(lumaStats(await decodeSnapshot(image, ffmpegPath, options)), options.thresholds);
}

export interface SnapshotDecoderOptions {
  ffmpegPath: string;
  /** How long the first snapshot of a batch waits for others to share its ffmpeg run; 0: none waits. */
  windowMs: number;
  /** Most snapshots in one run. */
  maxBatch: number;
  /** Limit on each run (ffmpeg is killed after it). */
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal;
}

interface Waiting {
  image: Buffer;
  context: ErrorContext;
  resolve: (frame: Buffer) => void;
  reject: (error: unknown) => void;
}

/**
 * Decodes the agent's snapshots a batch at a time. Most of an ffmpeg run's CPU is the tool's own
 * start-up (tens of ms for a distribution build that loads some 200 shared libraries), so the
 * snapshots that arrive within `windowMs` of each other share one run. A snapshot whose frame the
 * batch did not give (unreadable data stops the whole run; a corrupt one gives no frame) is decoded
 * again alone, so its error is its own and the others' results stand.
 */
export class SnapshotDecoder {
  private readonly window: BatchWindow<Waiting>;
  readonly stats = { runs: 0, snapshots: 0, retriedAlone: 0 };

  constructor(private readonly o: SnapshotDecoderOptions) {
    this.window = new BatchWindow({
      windowMs: o.windowMs,
      maxBatch: o.maxBatch,
      run: (batch) => void this.run(batch),
    });
  }

  async analyse(image: Buffer, thresholds: ImageThresholds, context: ErrorContext): Promise<ImageCheck> {
    return toImageCheck(lumaStats(await this.decode(image, context)), thresholds);
  }

  decode(image: Buffer, context: ErrorContext): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.window.add({ image, context, resolve, reject });
    });
  }

  private alone(item: Waiting): Promise<void> {
    this.stats.runs++;
    return decodeSnapshot(item.image, this.o.ffmpegPath, {
      timeoutMs: this.o.timeoutMs,
      now: this.o.now,
      context: item.context,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    }).then(item.resolve, item.reject);
  }

  private async run(batch: Waiting[]): Promise<void> {
    this.stats.snapshots += batch.length;
    const [first] = batch;
    if (batch.length === 1 && first) return this.alone(first);
    this.stats.runs++;
    let outputs: Buffer[] = [];
    try {
      const result = await runProcess(this.o.ffmpegPath, batchDecodeArgs(batch.length), {
        timeoutMs: this.o.timeoutMs,
        maxStdoutBytes: 0,
        extraInputs: batch.map((item) => item.image),
        extraOutputs: { count: batch.length, maxBytes: FRAME_BYTES },
        now: this.o.now,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
      if (result.aborted) {
        for (const item of batch)
          item.reject(
            new AgentError('aborted', 'agent stopping', { ...item.context, operation: 'snapshot decode' }),
          );
        return;
      }
      outputs = result.outputs;
    } catch {
      // The tool could not be started: each is tried alone, which reports why.
    }
    const again: Waiting[] = [];
    batch.forEach((item, i) => {
      const frame = outputs[i];
      if (frame?.length === FRAME_BYTES) item.resolve(frame);
      else again.push(item);
    });
    // One at a time: a batch that failed as a whole costs one run per snapshot, not a burst of them.
    for (const item of again) {
      this.stats.retriedAlone++;
      await this.alone(item);
    }
  }
}
