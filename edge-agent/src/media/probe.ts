import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
import { estimateFromPackets, parseFrameRate, toPacketSamples } from './packet-stats.ts';
import { runProcess } from './run-process.ts';

export interface StreamProbe {
  /** Without credentials. */
  uri: string;
  codec: string;
  width: number;
  height: number;
  /** Measured from packet timestamps; falls back to avg_frame_rate when too few packets arrived. */
  fps: number | null;
  bitrateKbps: number | null;
  packetCount: number;
  /** Packets dropped as repeats (same pts): a server or relay that repeats packets shows here. */
  repeatedPackets: number;
  probeMs: number;
}

export interface ProbeOptions {
  ffprobePath: string;
  timeoutMs: number;
  sampleMs: number;
  username: string;
  password: string;
  now: () => number;
  signal?: AbortSignal;
  context: ErrorContext;
}

/**
 * Credentials go into the URL only here, for the child process, and never into anything reported. They are
 * visible in the host's process list while ffprobe runs: the agent host is trusted with them anyway.
 */
export function withCredentials(uri: string, username: string, password: string): string {
  const url = new URL(uri);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  return url.toString();
}

export function probeArgs(uri: string, timeoutMs: number, sampleMs: number, srtPassphrase = ''): string[] {
  const rtsp = /^rtsps?:/i.test(uri);
  const srt = /^srt:/i.test(uri);
  return [
    '-v',
    'error',
    // A server that accepts and never answers hangs ffprobe without these (DESIGN, known facts).
    // `-timeout` is the RTSP socket I/O timeout in microseconds from ffmpeg 5 on (the npm-shipped ffprobe is
    // 6.x, Debian 12 has 5.1); ffmpeg 4.x called that `-stimeout` and read `-timeout` as "listen mode".
    ...(rtsp ? ['-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000)] : []),
    // SRT (a mobile source): its connect timeout in ms, its read timeout in us, and the passphrase as an
    // option of the connection (an SRT address has no user part).
    ...(srt
      ? [
          '-connect_timeout',
          String(timeoutMs),
          '-timeout',
          String(timeoutMs * 1000),
          ...(srtPassphrase ? ['-passphrase', srtPassphrase] : []),
        ]
      : []),
    '-analyzeduration',
    '300000',
    '-probesize',
    '65536',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate:packet=pts_time,dts_time,size,flags',
    '-read_intervals',
    `%+${(sampleMs / 1000).toFixed(3)}`,
    '-of',
    'json',
    uri,
  ];
}

interface FfprobeJson {
  streams?: Record<string, unknown>[];
  packets?: Record<string, unknown>[];
}

export function interpretProbeOutput(
  json: FfprobeJson,
  uri: string,
  probeMs: number,
  context: ErrorContext,
): StreamProbe {
  const stream = json.streams?.[0];
  if (!stream || typeof stream.codec_name !== 'string') {
    throw new AgentError('no_video', 'stream has no video track', context);
  }
  const packets = toPacketSamples(json.packets ?? []);
  if (packets.length === 0) throw new AgentError('no_video', 'stream delivered no video packets', context);
  const estimate = estimateFromPackets(packets);
  return {
    uri,
    codec: stream.codec_name,
    width: typeof stream.width === 'number' ? stream.width : 0,
    height: typeof stream.height === 'number' ? stream.height : 0,
    fps: estimate.fps ?? parseFrameRate(stream.avg_frame_rate),
    bitrateKbps: estimate.bitrateKbps,
    packetCount: estimate.packetCount,
    repeatedPackets: estimate.duplicateCount,
    probeMs,
  };
}

/** Turns ffprobe's last stderr lines into a coded error. */
export function probeFailure(stderr: string, exitCode: number | null, context: ErrorContext): AgentError {
  const line = stderr.trim().split('\n').filter(Boolean).pop() ?? `ffprobe exited with ${exitCode}`;
  if (/401|Unauthorized/i.test(stderr))
    return new AgentError('stream_error', `RTSP credentials rejected: ${line}`, context);
  if (/Connection refused|No route to host|Network is unreachable|Connection timed out/i.test(stderr)) {
    return new AgentError('no_video', `stream unreachable: ${line}`, context);
  }
  return new AgentError('stream_error', line.slice(0, 300), context);
}

/**
 * ffprobe is spawned directly rather than through fluent-ffmpeg: its ffprobe() hides the child process, so
 * there is no way to kill a hung probe, and we need raw `-show_entries packet=...` output anyway.
 */
export async function probeStream(streamUri: string, options: ProbeOptions): Promise<StreamProbe> {
  const uri = stripUrlCredentials(streamUri);
  const context = { ...options.context, url: uri, operation: 'stream probe' };
  const srt = /^srt:/i.test(uri);
  const args = probeArgs(
    srt ? uri : withCredentials(uri, options.username, options.password),
    options.timeoutMs,
    options.sampleMs,
    srt ? options.password : '',
  );
  const result = await runProcess(options.ffprobePath, args, {
    timeoutMs: options.timeoutMs,
    maxStdoutBytes: 16 * 1024 * 1024,
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.aborted) throw new AgentError('aborted', 'agent stopping', context);
  if (result.timedOut) throw new AgentError('no_video', `no video within ${options.timeoutMs} ms`, context);
  if (result.exitCode !== 0) throw probeFailure(result.stderr, result.exitCode, context);
  let json: FfprobeJson;
  try {
    json = JSON.parse(result.stdout.toString('utf8')) as FfprobeJson;
  } catch (error) {
    throw new AgentError(
      'stream_error',
      `ffprobe printed malformed JSON: ${(error as Error).message}`,
      context,
    );
  }
  return interpretProbeOutput(json, uri, result.elapsedMs, context);
}
