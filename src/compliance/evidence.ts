import type { Purpose } from '../schemas/commissioning.ts';
import type { CameraEventType, HealthPayload, ImageCheck, StreamPayload } from '../schemas/payloads.ts';
import type { VideoCheck } from '../schemas/video-check.ts';
import type { StateDurations } from '../uptime/durations.ts';

/**
 * Everything the evaluator may use about one camera, assembled in-process by the hub (never a wire
 * shape, so a plain interface). Every optional field may be absent: a rule that needs it is then
 * `not_evaluable`, never `pass`.
 */
export interface Evidence {
  camera: {
    id: string;
    purpose?: Purpose;
    hfovDeg?: number;
    designDistanceM?: number;
    /** Commissioned stream bitrate. */
    bitrateKbps?: number;
  };
  /** The assessment period; `durations` are the camera's state times inside it. */
  period: { fromMs: number; toMs: number; durations?: StateDurations };
  latestHealth?: { payload: HealthPayload; observedAtMs: number };
  /**
   * The hub's view of the site agent's clock, against which camera clock offsets are measured:
   * `suspect` when it disagrees with the hub's clock or the agent says it lost NTP. Absent: not known.
   */
  agentClock?: { suspect: boolean; reason: string | null };
  latestStream?: { payload: StreamPayload; observedAtMs: number };
  /** The latest probe of each secondary media profile (sub-stream), any order; absent: none reported. */
  subStreams?: { payload: StreamPayload; observedAtMs: number }[];
  /** Recent snapshot checks, any order. */
  recentImages?: { observedAtMs: number; image: ImageCheck | null }[];
  /** Recent video analyses as health samples carried them, any order; absent from agents without it. */
  recentVideo?: { observedAtMs: number; video: VideoCheck }[];
  /** Camera events active now; an empty array means "known: none active", absent means unknown. */
  activeEvents?: { type: CameraEventType; sinceMs: number }[];
  /**
   * The latest reading of the camera's recording (ONVIF Profile G): whole days of video held at
   * `observedAtMs`, counted from the oldest video `earliestMs`.
   */
  retention?: { days: number; observedAtMs: number; earliestMs: number };
  /**
   * Live feed views of the camera in the period from the hub's audit log: how many, how many with
   * user, purpose and incident reference, and whether the log's hash chain verified.
   */
  access?: {
    views: number;
    complete: number;
    chainIntact: boolean;
    chainCheckedAtMs: number;
    chainMessage: string;
  };
  /** Hub records of the scheme's paperwork. */
  records?: { lastReviewAtMs?: number; dpiaAtMs?: number; certificateIssuedAtMs?: number };
}
