import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readableProtocols } from '../../../edge-agent/src/media/binaries.ts';

const require = createRequire(import.meta.url);
const shipped = (name: string) => (require(name) as { path: string }).path;

describe("media binaries' protocols", () => {
  it('reads what each build can read from its own list (the npm ffmpeg has no SRT, its ffprobe has)', () => {
    const ffmpeg = readableProtocols(shipped('@ffmpeg-installer/ffmpeg'));
    const ffprobe = readableProtocols(shipped('@ffprobe-installer/ffprobe'));
    for (const protocols of [ffmpeg, ffprobe]) {
      // (RTSP is a demuxer over tcp and tls, not a protocol of its own in ffmpeg's list.)
      expect(protocols.has('tcp')).toBe(true);
      expect(protocols.has('rtmp')).toBe(true);
      // "Input:" and "Output:" are headings, not protocols.
      expect(protocols.has('Input:')).toBe(false);
    }
    expect(ffmpeg.has('srt')).toBe(false);
    expect(ffmpeg.has('srtp')).toBe(true);
    expect(ffprobe.has('srt')).toBe(true);
  });

  it('reads nothing from a binary that is not there', () => {
    expect(readableProtocols('/nonexistent/ffmpeg').size).toBe(0);
  });
});
