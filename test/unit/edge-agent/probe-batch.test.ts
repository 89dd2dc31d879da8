import { describe, expect, it } from 'vitest';
import { batchProbeArgs, interpretFramecrc } from '../../../edge-agent/src/media/probe-batch.ts';

// Reading one stream's framecrc lines from a batch probe; the batch against a real RTSP server is
// test/integration/edge-agent/probe-batch.test.ts.

const header = [
  '#tb 0: 1/90000',
  '#media_type 0: video',
  '#codec_id 0: h264',
  '#dimensions 0: 640x360',
  '#sar 0: 1/1',
];
/** n packets at `fps`, a keyframe of 12,000 bytes then 3,000-byte frames, as framecrc prints them. */
function packets(n: number, fps: number, repeatEach = false): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const pts = Math.round((i * 90_000) / fps);
    const size = i === 0 ? 12_000 : 3_000;
    const line = `0, ${String(pts).padStart(10)}, ${String(pts).padStart(10)}, ${90_000 / fps}, ${String(size).padStart(8)}, 0x1d2bccc0${i === 0 ? '' : ', F=0x0'}`;
    lines.push(line);
    if (repeatEach) lines.push(line);
  }
  return lines;
}
const out = (lines: string[]) => Buffer.from(`${lines.join('\n')}\n`, 'latin1');

describe('a batch probe output', () => {
  it('gives codec, size, frame rate and bitrate from the packet lines', () => {
    const probe = interpretFramecrc(out([...header, ...packets(20, 10)]), 'rtsp://cam/main', 2400, 2000);
    expect(probe).toMatchObject({
      uri: 'rtsp://cam/main',
      codec: 'h264',
      width: 640,
      height: 360,
      fps: 10,
      packetCount: 20,
      repeatedPackets: 0,
      probeMs: 2400,
    });
    // (12,000 + 19 x 3,000) bytes x 8 over 20 frame slots of 0.1 s.
    expect(probe?.bitrateKbps).toBe(276);
  });

  it('drops repeated packets (same timestamp) as a single probe does', () => {
    const probe = interpretFramecrc(out([...header, ...packets(20, 10, true)]), 'u', 1, 2000);
    expect(probe).toMatchObject({ fps: 10, packetCount: 20, repeatedPackets: 20, bitrateKbps: 276 });
  });

  it.each([
    ['no header', out(packets(20, 10))],
    [
      'no dimensions (parameters not in the session description)',
      out([...header.filter((l) => !l.startsWith('#dim')), ...packets(20, 10)]),
    ],
    ['zero dimensions', out([...header.map((l) => l.replace('640x360', '0x0')), ...packets(20, 10)])],
    ['no packets', out(header)],
    ['a stream that stopped early (0.5 s of a 2 s sample)', out([...header, ...packets(5, 10)])],
    ['nothing at all', Buffer.alloc(0)],
  ])('is no result (the stream is probed alone) with %s', (_name, output) => {
    expect(interpretFramecrc(output, 'u', 1, 2000)).toBeNull();
  });

  it('gives each stream its own input options and its own pipe', () => {
    const args = batchProbeArgs(['rtsp://a/1', 'rtsp://b/2'], 2000, 10_000, '-timeout');
    expect(args.filter((a) => a === '-i')).toHaveLength(2);
    expect(args.join(' ')).toContain(
      '-timeout 10000000 -analyzeduration 0 -probesize 32 -t 2.000 -i rtsp://a/1',
    );
    expect(args.join(' ')).toContain('-map 1:v:0 -c copy -f framecrc pipe:4');
    expect(batchProbeArgs(['rtsp://a/1'], 2000, 10_000, '-stimeout')).toContain('-stimeout');
  });
});
