import type { MediaVariant } from './types.ts';

// H.264 Annex-B parsing (ITU-T H.264 Annex B, 7.4.1.2.3 for access unit boundaries) and RTP
// packetization (RFC 6184: single NAL unit packets and FU-A, packetization-mode=1). Each access unit
// is packetized once into a template of RTSP interleaved frames (RFC 2326 10.12); a session only copies
// the template and stamps channel, sequence number, timestamp and SSRC, so sending costs one allocation
// and one socket write per frame.

export const RTP_PAYLOAD_TYPE = 96;
/** Keeps an interleaved frame well under a typical MTU-sized read while limiting FU-A overhead. */
const MAX_RTP_PAYLOAD = 1400;
const INTERLEAVED_HEADER = 4;
const RTP_HEADER = 12;

const NAL_SLICE = 1;
const NAL_IDR = 5;
const NAL_SEI = 6;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const NAL_FU_A = 28;

export interface FrameTemplate {
  /** Interleaved RTP frames for one access unit; channel, seq, timestamp and SSRC are placeholders. */
  data: Buffer;
  /** Offset of each interleaved frame ('$') within data. */
  packetOffsets: Uint32Array;
  idr: boolean;
}

export interface PreparedStream {
  variant: MediaVariant;
  profileLevelId: string;
  spropParameterSets: string;
  frames: FrameTemplate[];
}

export class H264ParseError extends Error {
  readonly code = 'SIM_BAD_H264';
}

/** Splits an Annex-B byte stream into NAL units (views into the input, no copies). */
export function splitAnnexB(data: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) nals.push(trimTrailingZeros(data, start, i));
      start = i + 3;
      i += 3;
    } else {
      i += 1;
    }
  }
  if (start >= 0 && start < data.length) nals.push(trimTrailingZeros(data, start, data.length));
  return nals.filter((n) => n.length > 0);
}

function trimTrailingZeros(data: Buffer, start: number, end: number): Buffer {
  // The zero byte of a 4-byte start code belongs to no NAL; NAL units never end in 0x00.
  let e = end;
  while (e > start && data[e - 1] === 0) e -= 1;
  return data.subarray(start, e);
}

interface AccessUnit {
  nals: Buffer[];
  idr: boolean;
}

export function groupAccessUnits(nals: Buffer[]): { units: AccessUnit[]; sps?: Buffer; pps?: Buffer } {
  const units: AccessUnit[] = [];
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  let current: AccessUnit = { nals: [], idr: false };
  const flush = (): void => {
    if (current.nals.length > 0) units.push(current);
    current = { nals: [], idr: false };
  };
  for (const nal of nals) {
    const type = (nal[0] ?? 0) & 0x1f;
    if (type === NAL_SLICE || type === NAL_IDR) {
      // first_mb_in_slice is ue(v); a leading 1 bit means 0, i.e. the first slice of a new picture.
      const firstSliceOfPicture = ((nal[1] ?? 0) & 0x80) !== 0;
      if (firstSliceOfPicture) flush();
      current.nals.push(nal);
      if (type === NAL_IDR) current.idr = true;
    } else if (type === NAL_SPS || type === NAL_PPS || type === NAL_SEI || type === NAL_AUD) {
      // These start a new access unit; parameter sets are re-sent before every IDR by the packetizer,
      // and SEI/AUD carry nothing a monitoring client needs (x264's SEI is just its version banner).
      flush();
      if (type === NAL_SPS) sps = nal;
      if (type === NAL_PPS) pps = nal;
    }
  }
  flush();
  return { units, sps, pps };
}

function packetPayloads(nal: Buffer, out: Array<{ head: number[]; body: Buffer }>): void {
  if (nal.length <= MAX_RTP_PAYLOAD) {
    out.push({ head: [], body: nal });
    return;
  }
  const header = nal[0] ?? 0;
  const indicator = (header & 0xe0) | NAL_FU_A;
  const type = header & 0x1f;
  const chunk = MAX_RTP_PAYLOAD - 2;
  for (let pos = 1; pos < nal.length; pos += chunk) {
    const end = Math.min(pos + chunk, nal.length);
    const fuHeader = (pos === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    out.push({ head: [indicator, fuHeader], body: nal.subarray(pos, end) });
  }
}

function buildTemplate(nals: Buffer[], idr: boolean): FrameTemplate {
  const payloads: Array<{ head: number[]; body: Buffer }> = [];
  for (const nal of nals) packetPayloads(nal, payloads);
  let size = 0;
  for (const p of payloads) size += INTERLEAVED_HEADER + RTP_HEADER + p.head.length + p.body.length;
  const data = Buffer.alloc(size);
  const packetOffsets = new Uint32Array(payloads.length);
  let off = 0;
  payloads.forEach((p, index) => {
    packetOffsets[index] = off;
    const rtpLength = RTP_HEADER + p.head.length + p.body.length;
    data[off] = 0x24; // '$'
    data.writeUInt16BE(rtpLength, off + 2);
    data[off + 4] = 0x80; // RTP version 2, no padding, no extension, no CSRC
    const marker = index === payloads.length - 1 ? 0x80 : 0; // RFC 6184 5.1: last packet of the AU
    data[off + 5] = marker | RTP_PAYLOAD_TYPE;
    let pos = off + INTERLEAVED_HEADER + RTP_HEADER;
    for (const b of p.head) data[pos++] = b;
    p.body.copy(data, pos);
    off += INTERLEAVED_HEADER + rtpLength;
  });
  return { data, packetOffsets, idr };
}

export function prepareH264Stream(annexB: Buffer, variant: MediaVariant): PreparedStream {
  const { units, sps, pps } = groupAccessUnits(splitAnnexB(annexB));
  if (!sps || !pps || sps.length < 4) throw new H264ParseError('no SPS/PPS in the encoded stream');
  if (units.length === 0 || !units[0]?.idr)
    throw new H264ParseError('encoded stream does not start with an IDR');
  const frames = units.map((u) => buildTemplate(u.idr ? [sps, pps, ...u.nals] : u.nals, u.idr));
  return {
    variant,
    profileLevelId: sps.subarray(1, 4).toString('hex'),
    spropParameterSets: `${sps.toString('base64')},${pps.toString('base64')}`,
    frames,
  };
}

/**
 * Copies a frame template into `out` (at least template.data.length bytes) and stamps it. Returns the
 * sequence number to use next.
 */
export function stampFrame(
  template: FrameTemplate,
  out: Buffer,
  channel: number,
  firstSeq: number,
  timestamp: number,
  ssrc: number,
): number {
  template.data.copy(out, 0);
  let seq = firstSeq;
  for (const off of template.packetOffsets) {
    out[off + 1] = channel;
    out.writeUInt16BE(seq & 0xffff, off + 6);
    out.writeUInt32BE(timestamp >>> 0, off + 8);
    out.writeUInt32BE(ssrc >>> 0, off + 12);
    seq = (seq + 1) & 0xffff;
  }
  return seq;
}
