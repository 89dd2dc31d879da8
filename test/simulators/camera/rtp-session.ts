import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { type PreparedStream, stampFrame } from './h264.ts';

// One RTSP session sending RTP over the RTSP TCP connection (RFC 2326 10.12), paced in real time at the
// served stream's frame rate. One timer per session; it is re-armed for each frame from a monotonic
// schedule (performance.now) so pacing does not drift with timer jitter.

const RTP_CLOCK_HZ = 90_000;
/** Beyond this much unsent data the client is not keeping up: drop frames (as a camera would). */
const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;
/** After an event-loop stall, send at most this many late frames back to back, then resynchronise. */
const MAX_CATCH_UP_FRAMES = 5;

export class RtpSession {
  readonly id =
    randomInt(0x10000000, 0x7fffffff).toString(16) + randomInt(0x10000000, 0x7fffffff).toString(16);
  readonly ssrc = randomInt(0, 0xffffffff);
  private seq = randomInt(0, 0xffff);
  private readonly rtpTimeBase = randomInt(0, 0xffffffff);
  private framesSent = 0;
  private scheduleStartMs = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set when frames were dropped: resume only at an IDR so the decoder never sees a broken reference. */
  private waitForIdr = false;

  constructor(
    readonly cameraId: string,
    private readonly socket: Socket,
    private readonly stream: PreparedStream,
    private readonly channel: number,
    /** True while a hang fault stalls the camera: the session keeps its clock but sends nothing. */
    private readonly stalled: () => boolean,
    /** True under the repeated-packets fault: each frame is sent again, same timestamp, new seq. */
    private readonly repeats: () => boolean = () => false,
  ) {}

  get playing(): boolean {
    return this.timer !== undefined;
  }

  /** RTP-Info values for the PLAY response (RFC 2326 12.33). */
  nextRtpInfo(): { seq: number; rtpTime: number } {
    return { seq: this.seq, rtpTime: this.timestampFor(this.framesSent) };
  }

  play(): void {
    if (this.timer) return;
    this.scheduleStartMs = performance.now() - this.framesSent * this.frameMs();
    this.tick();
  }

  pause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private frameMs(): number {
    return 1000 / this.stream.variant.fps;
  }

  private timestampFor(frameNumber: number): number {
    // Keeps increasing across loops of the clip, wrapping at 2^32 as RTP timestamps do.
    return (this.rtpTimeBase + Math.round((frameNumber * RTP_CLOCK_HZ) / this.stream.variant.fps)) >>> 0;
  }

  private tick = (): void => {
    const frameMs = this.frameMs();
    let nowMs = performance.now();
    let sentNow = 0;
    while (this.scheduleStartMs + this.framesSent * frameMs <= nowMs) {
      if (sentNow >= MAX_CATCH_UP_FRAMES) {
        // Too far behind: skip ahead instead of bursting a backlog at the client.
        this.scheduleStartMs = nowMs - this.framesSent * frameMs;
        break;
      }
      this.sendFrame();
      sentNow += 1;
      nowMs = performance.now();
    }
    if (this.socket.destroyed) {
      this.timer = undefined;
      return;
    }
    const delayMs = Math.max(0, this.scheduleStartMs + this.framesSent * frameMs - performance.now());
    this.timer = setTimeout(this.tick, delayMs);
  };

  private sendFrame(): void {
    const frames = this.stream.frames;
    const template = frames[this.framesSent % frames.length];
    const frameNumber = this.framesSent;
    this.framesSent += 1;
    if (!template || this.socket.destroyed) return;
    if (this.stalled() || this.socket.writableLength > MAX_BUFFERED_BYTES) {
      this.waitForIdr = true;
      return;
    }
    if (this.waitForIdr && !template.idr) return;
    this.waitForIdr = false;
    const out = Buffer.allocUnsafe(template.data.length);
    const rtpTime = this.timestampFor(frameNumber);
    this.seq = stampFrame(template, out, this.channel, this.seq, rtpTime, this.ssrc);
    this.socket.write(out);
    if (this.repeats()) {
      // New sequence numbers, or the client's RTP layer would drop the copy as a duplicate.
      const again = Buffer.allocUnsafe(template.data.length);
      this.seq = stampFrame(template, again, this.channel, this.seq, rtpTime, this.ssrc);
      this.socket.write(again);
    }
  }
}
