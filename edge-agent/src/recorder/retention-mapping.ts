// Which recording holds which camera's video: a camera recording itself holds one recording (or names it),
// an NVR holds one per channel and the agent config names the channel's recording token. Retention is
// reported per camera from its own recording only; a camera whose recording is not found has no reading
// (the hub keeps it not_evaluable), never another channel's figure.
import { daysRetained, earliestVideoMs, type RecordingRetention } from '../onvif/recording-search.ts';

export interface CameraRetention {
  cameraId: string;
  recordingToken: string;
  /** Whole days of video held at checkedAtMs. */
  daysRetained: number;
  earliestMs: number | undefined;
  /** The oldest video the days are counted from (video tracks' DataFrom, else EarliestRecording). */
  oldestVideoMs: number | undefined;
  latestMs: number | undefined;
  /** RecordingStatus as the device says (Recording, Stopped, ...). */
  status: string;
  tracks: { trackToken: string; trackType: string; dataFromMs?: number; dataToMs?: number }[];
  checkedAtMs: number;
}

export interface RecordingSourceForCamera {
  cameraId: string;
  /** Recording token on the device; absent: the device's only recording. */
  recordingToken?: string;
}

export function retentionByCamera(
  recordings: RecordingRetention[],
  cameras: RecordingSourceForCamera[],
  checkedAtMs: number,
): CameraRetention[] {
  const out: CameraRetention[] = [];
  for (const camera of cameras) {
    const recording =
      camera.recordingToken === undefined
        ? recordings.length === 1
          ? recordings[0]
          : undefined
        : recordings.find((r) => r.recordingToken === camera.recordingToken);
    if (recording === undefined) continue;
    const days = daysRetained(recording, checkedAtMs);
    if (days === undefined) continue;
    out.push({
      cameraId: camera.cameraId,
      recordingToken: recording.recordingToken,
      daysRetained: days,
      earliestMs: recording.earliestRecordingMs,
      oldestVideoMs: earliestVideoMs(recording),
      latestMs: recording.latestRecordingMs,
      status: recording.status,
      tracks: recording.tracks.map((t) => ({
        trackToken: t.trackToken,
        trackType: t.trackType,
        ...(t.dataFromMs === undefined ? {} : { dataFromMs: t.dataFromMs }),
        ...(t.dataToMs === undefined ? {} : { dataToMs: t.dataToMs }),
      })),
      checkedAtMs,
    });
  }
  return out;
}
