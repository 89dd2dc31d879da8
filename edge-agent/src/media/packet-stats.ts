/** One video packet as ffprobe reports it (`-show_entries packet=pts_time,dts_time,size`). */
export interface PacketSample {
  timeS: number | null;
  sizeBytes: number;
}

export interface PacketEstimate {
  /** Packets counted after de-duplication. */
  packetCount: number;
  /** Packets dropped as repeats of a packet already seen (same pts). */
  duplicateCount: number;
  spanS: number;
  fps: number | null;
  bitrateKbps: number | null;
}

/** ffprobe JSON gives numbers as strings ("0.066667", "1234") and "N/A" when unknown. */
export function parseNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '' || value === 'N/A') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** `avg_frame_rate` is a fraction like "15/1"; "0/0" means unknown. */
export function parseFrameRate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m) return parseNumber(value);
  const num = Number(m[1]);
  const den = Number(m[2]);
  return den > 0 && num > 0 ? num / den : null;
}

export function toPacketSamples(packets: readonly Record<string, unknown>[]): PacketSample[] {
  return packets.map((p) => ({
    timeS: parseNumber(p.pts_time) ?? parseNumber(p.dts_time),
    sizeBytes: parseNumber(p.size) ?? 0,
  }));
}

/**
 * A server or proxy that repeats packets (same pts, e.g. a relay re-sending after a stall) would otherwise
 * be counted twice: fps and bitrate come out inflated (seen: 23.3 fps and 1,748 kbit/s for a 15 fps,
 * 1,026 kbit/s stream). A frame has one pts, so a second packet with a pts already seen is a repeat.
 */
export function dedupePackets(samples: readonly PacketSample[]): {
  unique: PacketSample[];
  duplicateCount: number;
} {
  const seen = new Set<number>();
  const unique: PacketSample[] = [];
  let previous: PacketSample | undefined;
  for (const s of samples) {
    // Over RTSP the first packet (the keyframe) often has no pts, and ffmpeg gives its copy one (seen:
    // "N/A,11465" then "0.000000,11465"): a packet right behind a pts-less one of the same size is it again.
    const repeatOfPtsLess =
      previous !== undefined && previous.timeS === null && previous.sizeBytes === s.sizeBytes;
    const repeat = repeatOfPtsLess || (s.timeS !== null && seen.has(s.timeS));
    previous = s;
    if (repeat) continue;
    if (s.timeS !== null) seen.add(s.timeS);
    unique.push(s);
  }
  return { unique, duplicateCount: samples.length - unique.length };
}

/**
 * Frame rate and bitrate from what actually arrived: ffprobe reports `bit_rate: N/A` over RTSP, and
 * avg_frame_rate there often echoes the SDP rather than the stream. n packets with timestamps spanning
 * S seconds cover n intervals of S/(n-1) each, so fps = (n-1)/S and bitrate = bytes*8 / (n*S/(n-1)).
 * Over RTSP the first packet (the keyframe) often has no timestamp: it still counts, as one more frame
 * slot and its bytes, or the bitrate would miss the largest packet of the sample.
 * Over a short window the bitrate swings with the GOP (a keyframe is many times a P-frame), so sample at
 * least one keyframe interval.
 */
export function estimateFromPackets(all: readonly PacketSample[]): PacketEstimate {
  const { unique: samples, duplicateCount } = dedupePackets(all);
  const times = samples
    .map((s) => s.timeS)
    .filter((t): t is number => t !== null)
    .sort((a, b) => a - b);
  const packetCount = samples.length;
  const first = times[0];
  const last = times[times.length - 1];
  if (times.length < 2 || first === undefined || last === undefined || last <= first) {
    return { packetCount, duplicateCount, spanS: 0, fps: null, bitrateKbps: null };
  }
  const spanS = last - first;
  const intervals = times.length - 1;
  const totalBytes = samples.reduce((sum, s) => sum + s.sizeBytes, 0);
  const coveredS = (samples.length * spanS) / intervals;
  return {
    packetCount,
    duplicateCount,
    spanS,
    fps: Math.round((intervals / spanS) * 100) / 100,
    bitrateKbps: Math.round(((totalBytes * 8) / coveredS / 1000) * 10) / 10,
  };
}
