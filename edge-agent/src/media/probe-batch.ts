import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
import { BatchWindow } from './batch-window.ts';
import { rtspSocketTimeoutOption } from './binaries.ts';
import { estimateFromPackets, type PacketSample } from './packet-stats.ts';
import { type ProbeOptions, probeStream, type StreamProbe, withCredentials } from './probe.ts';
import { runProcess } from './run-process.ts';

/**
 * Stream probes a batch at a time. Nearly all of a probe's CPU is ffprobe starting (a distribution
 * build resolves symbols in some 200 shared libraries: 80 ms of CPU before it opens the stream), so
 * probes due within `windowMs` of each other share one ffmpeg run: each stream an input of its own,
 * read for the sample period and copied packet by packet (no decoding) to a `framecrc` output on a
 * pipe of its own, whose lines give each packet's timestamp and size as ffprobe's do. The frame rate
 * and bitrate come from those packets by the same estimate (`packet-stats.ts`).
 *
 * ffmpeg opens its inputs one after another and stops at the first that fails to open, so a batch is
 * for streams whose last probe succeeded (the caller says so); anything the batch did not give in full
 * (the run failed or hit its deadline, an output too short to be a sample) is probed again alone, at
 * once and side by side, so each failure is its own, with ffprobe's own message. SRT sources are
 * always probed alone (their passphrase is an option of the one input).
 */

export interface StreamProberOptions {
  ffmpegPath: string;
  ffprobePath: string;
  /** How long the first probe of a batch waits for others to share its run; 0: none waits. */
  windowMs: number;
  /** Most streams in one run (ffmpeg opens them in turn, so more means a longer run). */
  maxBatch: number;
  /** Limit on a run, batch or alone (the process is killed after it). */
  timeoutMs: number;
  sampleMs: number;
  now: () => number;
  signal?: AbortSignal;
  /** The single probe; replaceable in tests. */
  alone?: typeof probeStream;
}

export interface ProbeRequest {
  streamUri: string;
  username: string;
  password: string;
  context: ErrorContext;
  /** False for a stream whose last probe failed (or that was never probed): it is probed alone. */
  batchable: boolean;
}

interface Waiting extends ProbeRequest {
  uri: string;
  resolve: (probe: StreamProbe) => void;
  reject: (error: unknown) => void;
}

/** Bytes one stream's framecrc lines may take: about 80 per packet, far above a sample's packets. */
const OUTPUT_MAX_BYTES = 4 * 1024 * 1024;

export class StreamProber {
  private readonly window: BatchWindow<Waiting>;
  readonly stats = { runs: 0, batched: 0, retriedAlone: 0 };

  constructor(private readonly o: StreamProberOptions) {
    this.window = new BatchWindow({
      windowMs: o.windowMs,
      maxBatch: o.maxBatch,
      run: (batch) => void this.run(batch),
    });
    // Stopping the agent answers what waits for a batch at once rather than at the window's end.
    o.signal?.addEventListener(
      'abort',
      () => {
        for (const w of this.window.take())
          w.reject(new AgentError('aborted', 'agent stopping', { ...w.context, operation: 'stream probe' }));
      },
      { once: true },
    );
  }

  probe(request: ProbeRequest): Promise<StreamProbe> {
    const uri = stripUrlCredentials(request.streamUri);
    if (this.o.signal?.aborted)
      return Promise.reject(
        new AgentError('aborted', 'agent stopping', { ...request.context, operation: 'stream probe' }),
      );
    if (!request.batchable || this.o.windowMs <= 0 || this.o.maxBatch < 2 || !/^rtsps?:/i.test(uri))
      return this.alone(request);
    return new Promise<StreamProbe>((resolve, reject) => {
      this.window.add({ ...request, uri, resolve, reject });
    });
  }

  private alone(request: ProbeRequest): Promise<StreamProbe> {
    this.stats.runs++;
    const options: ProbeOptions = {
      ffprobePath: this.o.ffprobePath,
      timeoutMs: this.o.timeoutMs,
      sampleMs: this.o.sampleMs,
      username: request.username,
      password: request.password,
      now: this.o.now,
      context: request.context,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    };
    return (this.o.alone ?? probeStream)(request.streamUri, options);
  }

  private async run(batch: Waiting[]): Promise<void> {
    const [first] = batch;
    if (batch.length === 1 && first) {
      await this.alone(first).then(first.resolve, first.reject);
      return;
    }
    this.stats.runs++;
    let probes: (StreamProbe | null)[] = [];
    try {
      const args = batchProbeArgs(
        batch.map((w) => withCredentials(w.uri, w.username, w.password)),
        this.o.sampleMs,
        this.o.timeoutMs,
        rtspSocketTimeoutOption(this.o.ffmpegPath),
      );
      const result = await runProcess(this.o.ffmpegPath, args, {
        timeoutMs: this.o.timeoutMs,
        maxStdoutBytes: 0,
        extraOutputs: { count: batch.length, maxBytes: OUTPUT_MAX_BYTES },
        now: this.o.now,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
      if (result.aborted) {
        for (const w of batch)
          w.reject(new AgentError('aborted', 'agent stopping', { ...w.context, operation: 'stream probe' }));
        return;
      }
      // Only a run that ended by itself is whole: a killed or failed one is tried again stream by stream.
      if (result.exitCode === 0 && !result.timedOut) {
        probes = batch.map((w, i) =>
          interpretFramecrc(result.outputs[i] ?? Buffer.alloc(0), w.uri, result.elapsedMs, this.o.sampleMs),
        );
      }
    } catch {
      // The tool could not be started: each is tried alone, which reports why.
    }
    const again: Waiting[] = [];
    batch.forEach((w, i) => {
      const probe = probes[i];
      if (probe) {
        this.stats.batched++;
        w.resolve(probe);
      } else again.push(w);
    });
    this.stats.retriedAlone += again.length;
    // Side by side: each holds its own probe slot, as it would have without the batch.
    await Promise.all(again.map((w) => this.alone(w).then(w.resolve, w.reject)));
  }
}

/** One ffmpeg run: every stream read for the sample period and its packets listed on `pipe:3`, `pipe:4`, ... */
export function batchProbeArgs(
  uris: readonly string[],
  sampleMs: number,
  timeoutMs: number,
  timeoutOption: '-timeout' | '-stimeout',
): string[] {
  const inputs = uris.flatMap((uri) => [
    '-rtsp_transport',
    'tcp',
    // The RTSP socket I/O timeout (microseconds), as the single probe sets it.
    timeoutOption,
    String(timeoutMs * 1000),
    // ffmpeg opens its inputs in turn, each after reading `probesize` bytes of it (64 KB took 0.6 s
    // of a 400 kbit/s stream); a stream copy needs only the parameters the RTSP session description
    // carries. A stream whose description lacks them shows no dimensions and is probed alone.
    '-analyzeduration',
    '0',
    '-probesize',
    '32',
    // As an input option: read this much of the stream's own time, as ffprobe's -read_intervals.
    '-t',
    (sampleMs / 1000).toFixed(3),
    '-i',
    uri,
  ]);
  const outputs = uris.flatMap((_, i) => [
    '-map',
    `${i}:v:0`,
    '-c',
    'copy',
    '-f',
    'framecrc',
    `pipe:${3 + i}`,
  ]);
  return ['-nostdin', '-hide_banner', '-v', 'error', ...inputs, ...outputs];
}

const PACKET_LINE = /^0,\s*-?\d+,\s*(-?\d+),\s*-?\d+,\s*(\d+),/;

/**
 * One stream's framecrc lines as a probe result, or null when they are not a whole sample: no header
 * or no dimensions in it, no packets, or packets spanning under half the sample period (a stream that stalled or ended early is
 * probed again alone, whose result or error is then its own).
 */
export function interpretFramecrc(
  output: Buffer,
  uri: string,
  probeMs: number,
  sampleMs: number,
): StreamProbe | null {
  let timeBase: number | null = null;
  let codec: string | null = null;
  let width = 0;
  let height = 0;
  const packets: PacketSample[] = [];
  for (const line of output.toString('latin1').split('\n')) {
    if (line.startsWith('#')) {
      const header = /^#(\w+) 0: (.+)$/.exec(line.trim());
      if (!header) continue;
      const [, key, value] = header as unknown as [string, string, string];
      if (key === 'tb') {
        const tb = /^(\d+)\/(\d+)$/.exec(value);
        if (tb && Number(tb[1]) > 0 && Number(tb[2]) > 0) timeBase = Number(tb[1]) / Number(tb[2]);
      } else if (key === 'codec_id') codec = value;
      else if (key === 'dimensions') {
        const d = /^(\d+)x(\d+)$/.exec(value);
        if (d) [width, height] = [Number(d[1]), Number(d[2])];
      }
      continue;
    }
    const m = PACKET_LINE.exec(line);
    if (!m || timeBase === null) continue;
    packets.push({ timeS: Number(m[1]) * timeBase, sizeBytes: Number(m[2]) });
  }
  if (codec === null || width <= 0 || height <= 0 || packets.length === 0) return null;
  const estimate = estimateFromPackets(packets);
  if (estimate.spanS < sampleMs / 2000) return null;
  return {
    uri,
    codec,
    width,
    height,
    fps: estimate.fps,
    bitrateKbps: estimate.bitrateKbps,
    packetCount: estimate.packetCount,
    repeatedPackets: estimate.duplicateCount,
    probeMs,
  };
}
