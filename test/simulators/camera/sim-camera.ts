import type { DigestAuthenticator } from './digest-auth.ts';
import { DEFAULT_WRONG_TIME_ZONE, type SimFault, type SimFaultKind, type SimFaultOf } from './faults.ts';
import type { PreparedStream } from './h264.ts';
import { type MediaCache, SNAPSHOT_FRAMES } from './media-cache.ts';
import type { CameraClockView, OnvifCameraView } from './onvif-responses.ts';
import {
  CameraHttpServer,
  DEVICE_PATH,
  EVENTS_PATH,
  MEDIA_PATH,
  type OnvifCameraRuntime,
  SEARCH_PATH,
  SNAPSHOT_PATH,
} from './onvif-server.ts';
import { type PosixTimeZone, parsePosixTz } from './posix-tz.ts';
import { SimRecordingDevice } from './recording-device.ts';
import { type CameraNetworkMode, cameraPath, type RtspCameraSource } from './rtsp-server.ts';
import {
  type MediaVariant,
  type SimCameraEndpoints,
  type SimCameraSpec,
  type SimStreamName,
  type SimView,
  UK_TIME_ZONE,
} from './types.ts';
import { NonceReplayCache } from './ws-security.ts';

export interface SimCameraContext {
  host: string;
  rtspPort: () => number;
  now: () => number;
  media: MediaCache;
  digest: DigestAuthenticator;
  log: (line: string) => void;
}

/** One simulated camera: its identity, its current faults, and its own ONVIF/snapshot HTTP server. */
export class SimCamera implements OnvifCameraRuntime, RtspCameraSource {
  readonly id: string;
  readonly credentials: { username: string; password: string };
  readonly replay = new NonceReplayCache();
  readonly http: CameraHttpServer;
  private readonly activeFaults = new Map<SimFaultKind, SimFault>();
  private readonly timeZone: PosixTimeZone;
  private snapshotIndex = 0;
  private readonly recorder: SimRecordingDevice | undefined;

  constructor(
    readonly spec: SimCameraSpec,
    private readonly ctx: SimCameraContext,
  ) {
    this.id = spec.id;
    this.credentials = { username: spec.username, password: spec.password };
    // Parsed here so a bad TZ in a spec fails addCamera() rather than the first SOAP call.
    this.timeZone = parsePosixTz(spec.timeZone ?? UK_TIME_ZONE);
    this.http = new CameraHttpServer(ctx.host, this, ctx.digest, ctx.log);
    this.recorder =
      spec.recordings && spec.recordings.length > 0
        ? new SimRecordingDevice(spec.recordings, () => this.clock().utcMs)
        : undefined;
  }

  recordingDevice(): SimRecordingDevice | undefined {
    return this.recorder;
  }

  fault<K extends SimFaultKind>(kind: K): SimFaultOf<K> | undefined {
    return this.activeFaults.get(kind) as SimFaultOf<K> | undefined;
  }

  faults(): SimFault[] {
    return [...this.activeFaults.values()].map((f) => ({ ...f }));
  }

  setFault(fault: SimFault): void {
    const before = this.activeFaults.get(fault.kind);
    this.activeFaults.set(fault.kind, fault);
    if (this.recorder) {
      // A tamper alarm moved to another source clears the old one first.
      const cleared = before ? this.recorder.eventFor(before, false) : undefined;
      const raised = this.recorder.eventFor(fault, true);
      if (cleared && raised && cleared.sourceToken !== raised.sourceToken) this.recorder.publish(cleared);
      if (raised) this.recorder.publish(raised);
    }
  }

  clearFault(kind?: SimFaultKind): void {
    const cleared = kind
      ? [this.activeFaults.get(kind)].filter((f): f is SimFault => f !== undefined)
      : [...this.activeFaults.values()];
    if (kind) this.activeFaults.delete(kind);
    else this.activeFaults.clear();
    for (const fault of cleared) {
      const event = this.recorder?.eventFor(fault, false);
      if (event) this.recorder?.publish(event);
    }
  }

  endpoints(): SimCameraEndpoints {
    const base = `http://${this.ctx.host}:${this.http.port}`;
    const rtspBase = `rtsp://${this.ctx.host}:${this.ctx.rtspPort()}`;
    return {
      id: this.id,
      onvifUrl: `${base}${DEVICE_PATH}`,
      rtspUrl: `${rtspBase}${cameraPath(this.id)}`,
      ...(this.spec.subProfile ? { subRtspUrl: `${rtspBase}${cameraPath(this.id, 'sub')}` } : {}),
      snapshotUrl: `${base}${SNAPSHOT_PATH}`,
      httpPort: this.http.port,
    };
  }

  networkMode(): CameraNetworkMode {
    if (this.activeFaults.has('unreachable')) return 'unreachable';
    if (this.activeFaults.has('hang')) return 'hang';
    return 'normal';
  }

  rtspDelayMs(): number {
    return this.fault('slow-rtsp')?.delayMs ?? 0;
  }

  repeatsPackets(): boolean {
    return this.activeFaults.has('repeated-packets');
  }

  acceptsCredentials(): boolean {
    return !this.activeFaults.has('wrong-credentials');
  }

  authFailureStatus(): number {
    return this.fault('wrong-credentials')?.httpStatus ?? 400;
  }

  clock(): CameraClockView {
    const skewMs = this.fault('clock-skew')?.skewMs ?? 0;
    const wrongZone = this.fault('wrong-timezone');
    return {
      utcMs: this.ctx.now() + skewMs,
      timeZone: wrongZone ? parsePosixTz(wrongZone.timeZone ?? DEFAULT_WRONG_TIME_ZONE) : this.timeZone,
      ntp: this.spec.ntp !== false && !this.activeFaults.has('no-ntp'),
    };
  }

  /**
   * What is actually served, which differs from the advertised profile under media faults. The encoder
   * faults (fps-, resolution-, bitrate-mismatch) concern the main encoder only; what the lens sees
   * (blank-image and the video faults) is shared by both streams. Without a sub profile, `sub` is `main`.
   */
  variant(stream: SimStreamName = 'main'): MediaVariant {
    const common = {
      blank: this.activeFaults.has('blank-image') || this.activeFaults.has('black-video'),
      view: this.lensView(),
    };
    const sub = this.spec.subProfile;
    if (stream === 'sub' && sub) {
      return { width: sub.width, height: sub.height, fps: sub.fps, bitrateKbps: sub.bitrateKbps, ...common };
    }
    const p = this.spec.profile;
    const resolution = this.fault('resolution-mismatch');
    return {
      width: resolution?.width ?? p.width,
      height: resolution?.height ?? p.height,
      fps: this.fault('fps-mismatch')?.fps ?? p.fps,
      bitrateKbps: this.fault('bitrate-mismatch')?.bitrateKbps ?? p.bitrateKbps,
      ...common,
    };
  }

  private lensView(): SimView {
    if (this.activeFaults.has('frozen-video')) return 'frozen';
    if (this.activeFaults.has('turned-away')) return 'turned';
    if (this.activeFaults.has('blurred-video')) return 'blurred';
    return 'normal';
  }

  /** Main always; sub only on a camera with a sub profile and while sub-stream-down is not set. */
  serves(stream: SimStreamName): boolean {
    if (stream === 'main') return true;
    return this.spec.subProfile !== undefined && !this.activeFaults.has('sub-stream-down');
  }

  stream(stream: SimStreamName = 'main'): Promise<PreparedStream> {
    return this.ctx.media.stream(this.variant(stream));
  }

  /**
   * The picture at the snapshot URI. Frames are served in turn, as a live camera's differ from one
   * request to the next. `black-video` leaves the snapshot alone (an encoder losing its input while the
   * snapshot still comes from the sensor); `stale-snapshot` serves one fixed picture of the commissioned
   * view whatever the stream does; `unrelated-snapshot` serves another view than the stream's.
   */
  snapshot(): Promise<Buffer> {
    const v = this.variant();
    this.snapshotIndex += 1;
    if (this.activeFaults.has('stale-snapshot')) return this.ctx.media.snapshot(v.width, v.height, false);
    const blank = this.activeFaults.has('blank-image');
    const view = this.activeFaults.has('unrelated-snapshot') ? 'turned' : (v.view ?? 'normal');
    return this.ctx.media.snapshot(v.width, v.height, blank, view, this.snapshotIndex);
  }

  /**
   * Encodes whatever the current faults need now, so the first client does not wait for ffmpeg: the main
   * stream, the sub-stream when the camera has one (even under sub-stream-down, so clearing that fault
   * serves at once), and the snapshots.
   */
  async prepareMedia(): Promise<void> {
    const v = this.variant();
    const views = new Set([
      v.view ?? 'normal',
      ...(this.activeFaults.has('unrelated-snapshot') ? ['turned' as const] : []),
    ]);
    const snapshots = [...views].flatMap((view) =>
      Array.from({ length: SNAPSHOT_FRAMES }, (_, i) =>
        this.ctx.media.snapshot(v.width, v.height, v.blank, view, i),
      ),
    );
    const sub = this.spec.subProfile ? [this.stream('sub')] : [];
    await Promise.all([this.stream(), ...sub, ...snapshots]);
  }

  view(): OnvifCameraView {
    const e = this.endpoints();
    return {
      id: this.id,
      manufacturer: this.spec.manufacturer ?? 'CCTV Sim',
      model: this.spec.model ?? 'SIM-IPC-1',
      firmwareVersion: this.spec.firmwareVersion ?? '1.0.0',
      serialNumber: this.spec.serialNumber ?? `SIM-${this.id}`,
      profile: this.spec.profile,
      ...(this.spec.subProfile && e.subRtspUrl
        ? { sub: { profile: this.spec.subProfile, rtspUrl: e.subRtspUrl } }
        : {}),
      channels: this.spec.channels ?? 1,
      deviceUrl: e.onvifUrl,
      mediaUrl:
        this.spec.mediaService === false ? null : `http://${this.ctx.host}:${this.http.port}${MEDIA_PATH}`,
      snapshotUrl: e.snapshotUrl,
      rtspUrl: e.rtspUrl,
      ...(this.recorder
        ? {
            recordingServices: {
              searchUrl: `http://${this.ctx.host}:${this.http.port}${SEARCH_PATH}`,
              eventsUrl: `http://${this.ctx.host}:${this.http.port}${EVENTS_PATH}`,
            },
          }
        : {}),
    };
  }
}
