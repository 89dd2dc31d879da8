import type { ImageCheck } from '../../../src/schemas/payloads.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
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

/** Decodes a snapshot (JPEG, usually) to a 160x90 grayscale frame with ffmpeg and measures it. */
export async function analyseSnapshot(
  image: Buffer,
  ffmpegPath: string,
  options: {
    timeoutMs: number;
    thresholds: ImageThresholds;
    now: () => number;
    signal?: AbortSignal;
    context: ErrorContext;
  },
): Promise<ImageCheck> {
  const frameBytes = CHECK_WIDTH_PX * CHECK_HEIGHT_PX;
  const result = await runProcess(ffmpegPath, decodeArgs(), {
    timeoutMs: options.timeoutMs,
    input: image,
    maxStdoutBytes: frameBytes,
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const context = { ...options.context, operation: 'snapshot decode' };
  if (result.aborted) throw new AgentError('aborted', 'agent stopping', context);
  if (result.timedOut)
    throw new AgentError('timeout', `decode took longer than ${options.timeoutMs} ms`, context);
  if (result.exitCode !== 0 || result.stdout.length !== frameBytes) {
    const why = result.stderr.trim().split('\n').pop() ?? '';
    throw new AgentError(
      'image_decode_failed',
      `ffmpeg could not decode the snapshot (exit ${result.exitCode}, ${result.stdout.length} bytes)${why ? `: ${why}` : ''}`,
      context,
    );
  }
  return toImageCheck(lumaStats(result.stdout), options.thresholds);
}
