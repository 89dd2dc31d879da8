import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import type { VideoMeasures } from '../../../src/schemas/video-check.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
import { rtspSocketTimeoutOption } from './binaries.ts';
import { withCredentials } from './probe.ts';
import { runProcess } from './run-process.ts';

// Every picture measure here is an ffmpeg filter; this file only builds the filter graph and reads the
// per-frame metadata the filters attach (metadata=mode=print).

/** Frames are measured at this size: big enough that a blurred lens loses its edges, cheap at 2 fps. */
export const DETAIL_SIZE = { width: 640, height: 360 } as const;
/** SSIM is taken at this size, where people and cars passing change little but a new view changes all. */
export const COMPARE_SIZE = { width: 160, height: 90 } as const;

export type BlurMethod = 'blurdetect' | 'edgedetect';

/** A reference frame is stored as this image: the detail size, grey. */
export const REFERENCE_FILTER = `scale=${DETAIL_SIZE.width}:${DETAIL_SIZE.height}:flags=area,format=gray`;

export interface FrameMetadata {
  ptsTime: number;
  values: Map<string, string>;
}

/** Parses the text `metadata=mode=print` writes: a `frame:N pts:P pts_time:T` line, then `key=value` lines. */
export function parseMetadataPrint(text: string): FrameMetadata[] {
  const frames: FrameMetadata[] = [];
  let current: FrameMetadata | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const head = /^frame:\s*\d+\s+pts:\s*\S+\s+pts_time:\s*(\S+)/.exec(line);
    if (head) {
      current = { ptsTime: Number(head[1]), values: new Map() };
      frames.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return frames.filter((f) => Number.isFinite(f.ptsTime));
}

/** Filter names a build offers, from `ffmpeg -filters` (a line per filter: flags, name, pads, text). */
export function parseFilterList(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*[TSC.|]{2,3}\s+(\w+)\s+\S+->\S+/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

const filterSets = new Map<string, Promise<Set<string>>>();

/** Asked of the binary once: the npm-shipped 2018 build has no blurdetect, Debian's ffmpeg has. */
export function ffmpegFilters(ffmpegPath: string, now: () => number): Promise<Set<string>> {
  let pending = filterSets.get(ffmpegPath);
  if (!pending) {
    pending = runProcess(ffmpegPath, ['-hide_banner', '-filters'], {
      timeoutMs: 10_000,
      maxStdoutBytes: 1024 * 1024,
      now,
    }).then((r) => parseFilterList(r.stdout.toString('utf8')));
    pending.catch(() => filterSets.delete(ffmpegPath));
    filterSets.set(ffmpegPath, pending);
  }
  return pending;
}

export function blurMethodOf(filters: ReadonlySet<string>): BlurMethod {
  return filters.has('blurdetect') ? 'blurdetect' : 'edgedetect';
}

export interface VideoGraphOptions {
  /** At most this many frames per second are measured. */
  rate: number;
  /** freezedetect: the shortest still stretch it reports, seconds. */
  freezeMinS: number;
  blurMethod: BlurMethod;
  hasReference: boolean;
  hasSnapshot: boolean;
  /** Where each branch writes its metadata; names must be plain (no quotes, colons or backslashes). */
  files: { live: string; reference: string; scene: string; snapshot: string };
  /** Index of the stream's input in the run (its reference and snapshot follow it); 0 alone. */
  inputBase?: number;
  /** Put before every pad label, so several cameras' graphs can share one filter graph; '' alone. */
  labelPrefix?: string;
}

function sharpnessFilter(method: BlurMethod): string {
  // blurdetect puts lavfi.blur (mean edge width, larger is blurrier) on each frame; the fallback measures
  // the share of edge pixels Canny finds (edgedetect) as signalstats' mean of the edge map.
  return method === 'blurdetect' ? 'blurdetect' : 'edgedetect,signalstats';
}

function print(file: string): string {
  // A file name goes through two levels of filter-graph escaping; plain names need none, so only those pass.
  if (!/^[\w/.-]+$/.test(file)) throw new Error(`metadata file name unsafe in a filter graph: ${file}`);
  return `metadata=mode=print:file=${file}`;
}

/**
 * Keeps at most `rate` frames a second and never repeats one (the fps filter would duplicate frames of a
 * slower stream, or of keyframe-only decoding, and freezedetect would call that frozen).
 */
function thin(rate: number): string {
  return `select='isnan(prev_selected_t)+gte(t-prev_selected_t,${(0.95 / rate).toFixed(3)})'`;
}

/** The filter graph: stream [0:v], then the reference frame and the snapshot when present. */
export function videoFilterGraph(o: VideoGraphOptions): string {
  const { width: dw, height: dh } = DETAIL_SIZE;
  // Stretched to the full luma range before SSIM, so a view seen darker or flatter (dusk, a low-contrast
  // night picture, a JPEG's full range against the stream's limited range) still matches itself; measured
  // on a darkened, noisy copy of the test view: 0.50 without, 0.66 with, while a turned view drops to 0.12.
  const small = `scale=${COMPARE_SIZE.width}:${COMPARE_SIZE.height}:flags=area,normalize=independence=0,format=gray`;
  const branches = 1 + (o.hasReference ? 1 : 0) + (o.hasSnapshot ? 1 : 0);
  const base = o.inputBase ?? 0;
  // Every pad label of this camera's graph, prefixed when it shares a run with others.
  const l = (label: string) => `[${o.labelPrefix ?? ''}${label}]`;
  const parts: string[] = [];
  // freezedetect and blackdetect see the decoded frames at full size (downscaling would hide the sensor
  // noise that tells a live still scene from a frozen one); ffmpeg's defaults for black (pixels under 10%
  // of the luma range over 98% of the picture) and -60 dB for frozen.
  parts.push(
    `[${base}:v]${thin(o.rate)},setpts=PTS-STARTPTS,freezedetect=n=-60dB:d=${o.freezeMinS},blackdetect=d=0:pic_th=0.98:pix_th=0.10,` +
      `scale=${dw}:${dh}:flags=area,format=gray,split=${branches}${Array.from({ length: branches }, (_, i) => l(`v${i}`)).join('')}`,
  );
  parts.push(`${l('v0')}${sharpnessFilter(o.blurMethod)},${print(o.files.live)}${l('olive')}`);
  let next = 1;
  let input = base + 1;
  if (o.hasReference) {
    const v = l(`v${next++}`);
    parts.push(`[${input}:v]${REFERENCE_FILTER},split=2${l('r0')}${l('r1')}`);
    parts.push(`${l('r0')}${sharpnessFilter(o.blurMethod)},${print(o.files.reference)}${l('oref')}`);
    parts.push(
      `${v}${small}${l('lsc')};${l('r1')}${small}${l('rsc')};${l('lsc')}${l('rsc')}ssim,${print(o.files.scene)}${l('oscene')}`,
    );
    input += 1;
  }
  if (o.hasSnapshot) {
    const v = l(`v${next++}`);
    parts.push(`[${input}:v]${REFERENCE_FILTER},${small}${l('ssn')}`);
    parts.push(`${v}${small}${l('lsn')};${l('lsn')}${l('ssn')}ssim,${print(o.files.snapshot)}${l('osnap')}`);
  }
  return parts.join(';');
}

export function outputLabels(
  o: Pick<VideoGraphOptions, 'hasReference' | 'hasSnapshot' | 'labelPrefix'>,
): string[] {
  const labels = [
    'olive',
    ...(o.hasReference ? ['oref', 'oscene'] : []),
    ...(o.hasSnapshot ? ['osnap'] : []),
  ];
  return labels.map((label) => `${o.labelPrefix ?? ''}${label}`);
}

export interface VideoArgsOptions extends VideoGraphOptions {
  uri: string;
  /** Decode keyframes only: far cheaper, enough where the camera sends one every second or two. */
  keyframesOnly: boolean;
  sampleMs: number;
  timeoutMs: number;
  timeoutOption: '-timeout' | '-stimeout';
  referencePath: string | null;
}

/**
 * One camera's inputs: the stream, then its reference frame and its snapshot when present. The snapshot
 * comes on a pipe (stdin alone, `pipe:N` in a batch), so the agent never writes a camera's picture to
 * disk for this.
 */
export function videoInputArgs(o: VideoArgsOptions, snapshotPipe = 0): string[] {
  const args: string[] = [];
  if (/^rtsps?:/i.test(o.uri))
    args.push('-rtsp_transport', 'tcp', o.timeoutOption, String(o.timeoutMs * 1000));
  // One decoding thread: the agent's CPU budget is shared by every camera on the site.
  args.push('-analyzeduration', '300000', '-probesize', '65536', '-threads', '1');
  if (o.keyframesOnly) args.push('-skip_frame', 'nokey');
  args.push('-t', (o.sampleMs / 1000).toFixed(3), '-an', '-sn', '-dn', '-i', o.uri);
  if (o.hasReference && o.referencePath) args.push('-i', o.referencePath);
  if (o.hasSnapshot) args.push('-f', 'image2pipe', '-i', `pipe:${snapshotPipe}`);
  return args;
}

export const VIDEO_GLOBAL_ARGS = ['-hide_banner', '-nostats', '-loglevel', 'error', '-nostdin'] as const;

export function videoAnalysisArgs(o: VideoArgsOptions): string[] {
  const args = [...VIDEO_GLOBAL_ARGS, ...videoInputArgs(o)];
  args.push('-filter_complex', videoFilterGraph(o));
  for (const label of outputLabels(o)) args.push('-map', `[${label}]`, '-f', 'null', '-');
  return args;
}

function numbers(frames: FrameMetadata[], key: string): number[] {
  return frames.map((f) => Number(f.values.get(key))).filter((v) => Number.isFinite(v));
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Time inside [from, to) covered by intervals that start at `startKey` and end at `endKey` (or `to`). */
export function coveredSeconds(
  frames: FrameMetadata[],
  startKey: string,
  endKey: string,
  from: number,
  to: number,
): number {
  let covered = 0;
  let openedAt: number | null = null;
  for (const f of frames) {
    const start = Number(f.values.get(startKey));
    const end = Number(f.values.get(endKey));
    if (Number.isFinite(end)) {
      // An end closes the open run; ffmpeg 5 and later report a whole run (start and end) on one frame.
      const runStart = openedAt ?? (Number.isFinite(start) && start <= end ? start : null);
      if (runStart !== null) {
        covered += Math.max(0, Math.min(end, to) - Math.max(runStart, from));
        openedAt = null;
        // A start after the end on the same frame opens the next run.
        if (Number.isFinite(start) && start > end) openedAt = start;
        continue;
      }
    }
    if (openedAt === null && Number.isFinite(start)) openedAt = start;
  }
  if (openedAt !== null) covered += Math.max(0, to - Math.max(openedAt, from));
  return covered;
}

/** Sharpness of one frame: edge share (0-1) from edgedetect, or 1/blur from blurdetect. */
function sharpnessValues(frames: FrameMetadata[], method: BlurMethod): number[] {
  if (method === 'blurdetect') return numbers(frames, 'lavfi.blur').map((b) => (b > 0 ? 1 / b : 0));
  return numbers(frames, 'lavfi.signalstats.YAVG').map((y) => y / 255);
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

export interface BranchOutputs {
  live: string;
  reference: string | null;
  scene: string | null;
  snapshot: string | null;
}

/** Turns the branches' metadata into measures. `rate` is the analysis frame rate. */
export function summariseVideo(
  out: BranchOutputs,
  rate: number,
  method: BlurMethod,
): Omit<VideoMeasures, 'checkedAt' | 'snapshotRepeats'> {
  const live = parseMetadataPrint(out.live);
  const first = live[0]?.ptsTime ?? 0;
  // The last frame stands until the next would have come: the usual spacing, or 1/rate for one frame.
  const gaps = live.slice(1).map((f, i) => f.ptsTime - (live[i] as FrameMetadata).ptsTime);
  const step = median(gaps.filter((g) => g > 0)) ?? 1 / rate;
  const to = live.length > 0 ? (live[live.length - 1] as FrameMetadata).ptsTime + step : 0;
  const span = Math.max(0, to - first);
  const share = (startKey: string, endKey: string) =>
    span > 0 ? Math.min(1, coveredSeconds(live, startKey, endKey, first, to) / span) : 0;
  const sharpness = median(sharpnessValues(live, method));
  const refSharpness = out.reference
    ? median(sharpnessValues(parseMetadataPrint(out.reference), method))
    : null;
  const best = (text: string | null) => {
    if (text === null) return null;
    const values = numbers(parseMetadataPrint(text), 'lavfi.ssim.All');
    return values.length > 0 ? round(Math.min(1, Math.max(0, ...values))) : null;
  };
  return {
    sampleMs: Math.round(span * 1000),
    frames: live.length,
    frozenShare: round(share('lavfi.freezedetect.freeze_start', 'lavfi.freezedetect.freeze_end')),
    blackShare: round(share('lavfi.black_start', 'lavfi.black_end')),
    blurMethod: method,
    sharpness: sharpness === null ? null : round(sharpness, 6),
    sharpnessRatio:
      sharpness === null || refSharpness === null || refSharpness <= 0
        ? null
        : round(sharpness / refSharpness),
    sceneSsim: best(out.scene),
    snapshotSsim: best(out.snapshot),
  };
}

export interface AnalyseVideoOptions {
  ffmpegPath: string;
  /** Stream URI without credentials. */
  uri: string;
  username: string;
  password: string;
  sampleMs: number;
  timeoutMs: number;
  rate: number;
  keyframesOnly: boolean;
  referencePath: string | null;
  snapshot: Buffer | null;
  now: () => number;
  signal?: AbortSignal;
  context: ErrorContext;
}

export type VideoSummary = Omit<VideoMeasures, 'checkedAt' | 'snapshotRepeats'>;

/** One analysis's graph and inputs, its metadata files in `dir` under names starting with `stem`. */
export function analysisArgsOptions(
  o: AnalyseVideoOptions,
  method: BlurMethod,
  dir: string,
  stem = '',
  place: { inputBase?: number; labelPrefix?: string } = {},
): VideoArgsOptions {
  const uri = stripUrlCredentials(o.uri);
  return {
    rate: o.rate,
    freezeMinS: Math.max(0.5, Math.min(2, o.sampleMs / 2000)),
    blurMethod: method,
    hasReference: o.referencePath !== null,
    hasSnapshot: o.snapshot !== null,
    files: {
      live: join(dir, `${stem}live.txt`),
      reference: join(dir, `${stem}reference.txt`),
      scene: join(dir, `${stem}scene.txt`),
      snapshot: join(dir, `${stem}snapshot.txt`),
    },
    ...place,
    uri: /^rtsps?:/i.test(uri) ? withCredentials(uri, o.username, o.password) : uri,
    sampleMs: o.sampleMs,
    timeoutMs: o.timeoutMs,
    keyframesOnly: o.keyframesOnly,
    timeoutOption: rtspSocketTimeoutOption(o.ffmpegPath),
    referencePath: o.referencePath,
  };
}

/** Reads what an analysis's branches wrote; a branch that saw no frame wrote nothing (not an error). */
export async function readAnalysis(args: VideoArgsOptions): Promise<VideoSummary> {
  const read = (path: string) =>
    readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
  return summariseVideo(
    {
      live: await read(args.files.live),
      reference: args.hasReference ? await read(args.files.reference) : null,
      scene: args.hasReference ? await read(args.files.scene) : null,
      snapshot: args.hasSnapshot ? await read(args.files.snapshot) : null,
    },
    args.rate,
    args.blurMethod,
  );
}

export function analysisContext(o: AnalyseVideoOptions): ErrorContext {
  return { ...o.context, url: stripUrlCredentials(o.uri), operation: 'video analysis' };
}

/**
 * Decodes `sampleMs` of the stream at a low frame rate and measures it against the reference frame and
 * the latest snapshot, in one ffmpeg process killed at `timeoutMs`.
 */
export async function analyseVideo(o: AnalyseVideoOptions): Promise<VideoSummary> {
  const context = analysisContext(o);
  const method = blurMethodOf(await ffmpegFilters(o.ffmpegPath, o.now));
  const dir = await mkdtemp(join(tmpdir(), 'cctv-video-'));
  try {
    const options = analysisArgsOptions(o, method, dir);
    const result = await runProcess(o.ffmpegPath, videoAnalysisArgs(options), {
      timeoutMs: o.timeoutMs,
      maxStdoutBytes: 64 * 1024,
      now: o.now,
      ...(o.snapshot ? { input: o.snapshot } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (result.aborted) throw new AgentError('aborted', 'agent stopping', context);
    if (result.timedOut)
      throw new AgentError('timeout', `video analysis took longer than ${o.timeoutMs} ms`, context);
    if (result.exitCode !== 0) {
      const why =
        result.stderr.trim().split('\n').filter(Boolean).pop() ?? `ffmpeg exited with ${result.exitCode}`;
      throw new AgentError('stream_error', `video analysis failed: ${why.slice(0, 300)}`, context);
    }
    const measures = await readAnalysis(options);
    if (measures.frames === 0) throw new AgentError('no_video', 'video analysis decoded no frames', context);
    return measures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
