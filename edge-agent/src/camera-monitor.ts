import type { Logger } from 'pino';
import type { AgentCamera, AgentConfig } from '../../src/config/agent-config.ts';
import {
  classifyHealth,
  type HealthObservation,
  type PollFailureCode,
  type StreamObservation,
} from '../../src/health/classify.ts';
import { judgeFailedCheck, type MonitorReading, type WindowJudgement } from '../../src/health/impairment.ts';
import type {
  CameraEventPayload,
  ClockReading,
  DeviceInfo,
  HealthPayload,
  ImageCheck,
  StreamPayload,
} from '../../src/schemas/payloads.ts';
import { AgentError, type ErrorContext, errorMessage } from './errors.ts';
import { analyseSnapshot, type SnapshotDecoder } from './image/image-check.ts';
import { fetchSnapshot } from './image/snapshot.ts';
import type { MediaBinaries } from './media/binaries.ts';
import { probeStream, type StreamProbe } from './media/probe.ts';
import type { StreamProber } from './media/probe-batch.ts';
import type { VideoBatcher } from './media/video-batch.ts';
import {
  cameraProfile,
  type DeviceReading,
  type OnvifCamera,
  type OnvifMediaProfile,
  toDeclaredProfile,
} from './onvif/device-client.ts';
import { VideoWatch } from './video-watch.ts';

/** The agent's own health, read around each check (see monitor-health.ts). */
export interface MonitorHealthSource {
  reading(): MonitorReading;
  judge(start: MonitorReading): WindowJudgement;
  noteInconclusive(detail: string | null): void;
}

export interface CameraMonitorOptions {
  siteId: string;
  camera: AgentCamera;
  password: string;
  poll: AgentConfig['poll'];
  thresholds: AgentConfig['thresholds'];
  media: MediaBinaries;
  onvif: OnvifCamera;
  now: () => number;
  logger: Logger;
  /** Aborted when the agent stops: kills any ffmpeg/ffprobe child. */
  signal: AbortSignal;
  /** Without it every failure counts against the camera. */
  health?: MonitorHealthSource;
  /** Video analysis settings; absent or disabled: no analysis. */
  video?: AgentConfig['video'];
  /** How long after the monitor is made its first video analysis may run (default: at once). */
  videoFirstDelayMs?: number;
  /** Shared by the agent's cameras so that snapshots are decoded a batch at a time; absent: one run each. */
  snapshots?: SnapshotDecoder;
  /** Shared by the agent's cameras so that streams are probed a batch at a time; absent: one run each. */
  prober?: StreamProber;
  /** Shared by the agent's cameras so that videos are analysed a batch at a time; absent: one run each. */
  videoBatcher?: VideoBatcher;
}

export interface Observed<P> {
  payload: P;
  observedAtMs: number;
}

export interface SubStreamOutcome {
  streams: Observed<StreamPayload>[];
  probes: number;
  failures: number;
  probeMs: number;
  inconclusive: boolean;
}

export interface ProbeOutcome {
  stream: Observed<StreamPayload> | null;
  events: Observed<CameraEventPayload>[];
  probeMs: number;
  ok: boolean;
  /** The probe ran out of time while the agent itself was impaired: it says nothing about the camera. */
  inconclusive: boolean;
}

const SNAPSHOT_MAX_BYTES = 8 * 1024 * 1024;
const POLL_FAILURES: readonly string[] = ['unreachable', 'timeout', 'auth_failed', 'onvif_error'];

function asAgentError(error: unknown, context: ErrorContext): AgentError {
  return error instanceof AgentError ? error : new AgentError('onvif_error', errorMessage(error), context);
}

/** Watches one camera: a poll (clock, device, snapshot) and a stream probe, each bounded in time. */
export class CameraMonitor {
  /** The last device read that succeeded: its profiles are what the stream probes use. */
  private reading: DeviceReading | null = null;
  private lastProbe: { observation: StreamObservation; atMs: number } | null = null;
  /** Stream addresses whose last probe succeeded: only these wait for a batch (see StreamProber). */
  private readonly probedOk = new Set<string>();
  private videoLost: boolean | null = null;
  private lastImage: { check: ImageCheck | null; atMs: number } | null = null;
  /** Secondary profiles whose latest probe failed, by profile token. */
  private readonly subFailures = new Map<string, { message: string; atMs: number }>();
  private readonly video: VideoWatch | null;

  constructor(private readonly options: CameraMonitorOptions) {
    const o = options;
    this.video = o.video?.enabled
      ? new VideoWatch({
          siteId: o.siteId,
          cameraId: o.camera.id,
          username: o.camera.onvif.username,
          password: o.password,
          video: o.video,
          thresholds: o.thresholds,
          media: o.media,
          now: o.now,
          logger: o.logger,
          signal: o.signal,
          ...(o.videoFirstDelayMs ? { firstDueMs: o.now() + o.videoFirstDelayMs } : {}),
          dueSlackMs: Math.floor(o.poll.probeIntervalMs / 2),
          ...(o.videoBatcher ? { analyser: o.videoBatcher.analyse.bind(o.videoBatcher) } : {}),
          context: { siteId: o.siteId, cameraId: o.camera.id, url: o.camera.onvif.url },
        })
      : null;
  }

  get cameraId(): string {
    return this.options.camera.id;
  }

  /**
   * The profile the agent judges the camera by: the one its config names (a channel of a recorder),
   * else its first (main) stream, as ONVIF orders them.
   */
  get mainProfile(): OnvifMediaProfile | null {
    return cameraProfile(this.reading?.profiles ?? [], this.options.camera.onvif.profileToken);
  }

  /**
   * The camera's other media profiles worth probing: after the first, each with a stream address not
   * already covered (profiles often share an encoder), at most poll.maxSubStreams.
   */
  get subProfiles(): OnvifMediaProfile[] {
    const main = this.mainProfile;
    if (!main) return [];
    // On a recorder, the other profiles of this camera's channel only (same video source).
    const profiles = (this.reading?.profiles ?? []).filter(
      (p) =>
        p !== main &&
        (this.options.camera.onvif.profileToken === undefined ||
          main.sourceToken === undefined ||
          p.sourceToken === main.sourceToken),
    );
    const seen = new Set<string>();
    if (main.streamUri) seen.add(main.streamUri);
    const out: OnvifMediaProfile[] = [];
    for (const p of profiles) {
      if (out.length >= this.options.poll.maxSubStreams) break;
      if (p.streamUri !== null && seen.has(p.streamUri)) continue;
      if (p.streamUri !== null) seen.add(p.streamUri);
      out.push(p);
    }
    return out;
  }

  /** The latest stream probe failed (no video, stream error): the camera is down on it until the next probe. */
  get streamFailed(): boolean {
    return this.lastProbe !== null && !this.lastProbe.observation.ok;
  }

  get hasProbed(): boolean {
    return this.lastProbe !== null;
  }

  private context(): ErrorContext {
    return {
      siteId: this.options.siteId,
      cameraId: this.options.camera.id,
      url: this.options.camera.onvif.url,
    };
  }

  /**
   * A deadline that expired while the agent itself was impaired: the check is inconclusive (null when
   * the failure stands as the camera's).
   */
  private inconclusive(
    start: MonitorReading | null,
    deadlineExpired: boolean,
    message: string,
  ): string | null {
    const health = this.options.health;
    if (!health || !start || !deadlineExpired) return null;
    const window = health.judge(start);
    const verdict = judgeFailedCheck({ deadlineExpired, message }, window);
    if (verdict.kind === 'definite') return null;
    health.noteInconclusive(window.detail);
    this.options.logger.warn({ cameraId: this.cameraId, detail: window.detail }, verdict.message);
    return verdict.message;
  }

  async poll(): Promise<Observed<HealthPayload>> {
    const { now, logger } = this.options;
    const observedAtMs = now();
    const start = this.options.health?.reading() ?? null;
    let failure: HealthObservation['failure'] = null;
    let failureError: AgentError | null = null;
    let clock: ClockReading | null = null;
    let device: DeviceInfo | null = null;
    let image: ImageCheck | null = null;

    try {
      clock = await this.options.onvif.readClock();
    } catch (error) {
      const e = asAgentError(error, this.context());
      // No answer at all means the camera is down; a clock the camera cannot report is only missing data.
      if (e.code === 'unreachable' || e.code === 'timeout') {
        failure = { code: e.code, message: e.message };
        failureError = e;
      } else logger.info({ err: e.toLog() }, 'camera clock unavailable');
    }
    if (failure === null) {
      try {
        this.reading = await this.options.onvif.readDevice();
        device = this.reading.device;
        const token = this.options.camera.onvif.profileToken;
        if (token !== undefined && this.mainProfile === null)
          failure = {
            code: 'onvif_error',
            message: `the device has no media profile ${token} (onvif.profileToken in the agent config): check the channel`,
          };
      } catch (error) {
        const e = asAgentError(error, this.context());
        // The profiles of the last good read stay: the stream is still probed, so video that flows
        // while the ONVIF service fails is seen, and video that stops raises its video-loss event.
        const code = (POLL_FAILURES.includes(e.code) ? e.code : 'onvif_error') as PollFailureCode;
        failure = { code, message: e.message };
        failureError = e;
      }
    }
    const impaired = failure && this.inconclusive(start, failure.code === 'timeout', failure.message);
    if (impaired) {
      return {
        observedAtMs,
        payload: {
          cameraId: this.cameraId,
          state: 'unknown',
          reasons: [{ code: 'monitor_impaired', message: impaired.slice(0, 500) }],
          responseMs: null,
          clock: null,
          device: null,
          image: null,
        },
      };
    }
    const profile = this.mainProfile;
    if (failure === null && profile?.snapshotUri) {
      // A snapshot check decodes a JPEG; once per imageIntervalMs is enough to catch a blank or dark
      // view well inside the 15-minute image rule, and the last result stands in between.
      const due = !this.lastImage || observedAtMs - this.lastImage.atMs >= this.options.poll.imageIntervalMs;
      if (due) this.lastImage = { check: await this.checkImage(profile.snapshotUri), atMs: observedAtMs };
      image = this.lastImage?.check ?? null;
    }
    const observation: HealthObservation = {
      failure,
      clock,
      declared: failure === null && profile ? toDeclaredProfile(profile) : null,
      stream: this.freshProbe(),
      image,
      commissionedBitrateKbps: this.options.camera.commissioning.bitrateKbps ?? null,
      video: failure === null ? (this.video?.current() ?? null) : null,
      subStreamFailures: failure === null ? this.freshSubFailures() : [],
    };
    const { state, reasons } = classifyHealth(observation, this.options.thresholds);
    if (failureError) logger.warn({ err: failureError.toLog() }, 'camera poll failed');
    return {
      observedAtMs,
      payload: {
        cameraId: this.cameraId,
        state,
        reasons,
        responseMs: clock?.roundTripMs ?? null,
        clock,
        device,
        image,
        ...(this.video ? { video: observation.video ?? null } : {}),
      },
    };
  }

  /** Null on failure (logged): an image we could not fetch says nothing about the camera's health. */
  private async checkImage(snapshotUri: string): Promise<ImageCheck | null> {
    const { poll, thresholds, now, media, signal, logger, camera, password } = this.options;
    try {
      const jpeg = await fetchSnapshot(
        {
          url: snapshotUri,
          username: camera.onvif.username,
          password,
          timeoutMs: poll.onvifTimeoutMs,
          maxBytes: SNAPSHOT_MAX_BYTES,
          context: this.context(),
        },
        now,
      );
      this.video?.noteSnapshot(jpeg);
      if (this.options.snapshots)
        return await this.options.snapshots.analyse(jpeg, thresholds, this.context());
      return await analyseSnapshot(jpeg, media.ffmpegPath, {
        timeoutMs: poll.onvifTimeoutMs,
        thresholds,
        now,
        signal,
        context: this.context(),
      });
    } catch (error) {
      logger.warn({ err: asAgentError(error, this.context()).toLog() }, 'snapshot check failed');
      return null;
    }
  }

  /** A probe result counts until two probe periods (plus its own deadline) have passed without a new one. */
  private freshProbe(): StreamObservation | null {
    if (!this.lastProbe) return null;
    const { probeIntervalMs, probeTimeoutMs } = this.options.poll;
    if (this.options.now() - this.lastProbe.atMs > 2 * probeIntervalMs + probeTimeoutMs) return null;
    return this.lastProbe.observation;
  }

  /** Sub-stream failures still fresh (as freshProbe, over the sub-stream period), of profiles still declared. */
  private freshSubFailures(): { token: string; message: string }[] {
    const { subStreamIntervalMs, probeTimeoutMs } = this.options.poll;
    const tokens = new Set(this.subProfiles.map((p) => p.token));
    const nowMs = this.options.now();
    return [...this.subFailures]
      .filter(([token, f]) => tokens.has(token) && nowMs - f.atMs <= 2 * subStreamIntervalMs + probeTimeoutMs)
      .map(([token, f]) => ({ token, message: f.message }));
  }

  /** Runs ffprobe on one profile's stream; the payload says which profile and whether it is the main one. */
  private async measure(
    profile: OnvifMediaProfile & { streamUri: string },
    role: 'main' | 'sub',
    observedAtMs: number,
  ): Promise<{
    observation: StreamObservation & { ok: true };
    stream: Observed<StreamPayload>;
    probeMs: number;
  }> {
    const { now, poll, media, camera, password, signal, prober } = this.options;
    let result: StreamProbe;
    try {
      result = prober
        ? await prober.probe({
            streamUri: profile.streamUri,
            username: camera.onvif.username,
            password,
            context: this.context(),
            // A stream that failed its last probe is probed alone: in a batch it would stop the others.
            batchable: this.probedOk.has(profile.streamUri),
          })
        : await probeStream(profile.streamUri, {
            ffprobePath: media.ffprobePath,
            timeoutMs: poll.probeTimeoutMs,
            sampleMs: poll.probeSampleMs,
            username: camera.onvif.username,
            password,
            now,
            signal,
            context: this.context(),
          });
    } catch (error) {
      this.probedOk.delete(profile.streamUri);
      throw error;
    }
    this.probedOk.add(profile.streamUri);
    return {
      probeMs: result.probeMs,
      observation: {
        ok: true,
        codec: result.codec,
        width: result.width,
        height: result.height,
        fps: result.fps,
        bitrateKbps: result.bitrateKbps,
      },
      stream: {
        observedAtMs,
        payload: {
          cameraId: this.cameraId,
          uri: result.uri,
          codec: result.codec.slice(0, 40),
          width: result.width,
          height: result.height,
          fps: result.fps,
          bitrateKbps: result.bitrateKbps,
          repeatedPackets: result.repeatedPackets,
          declared: toDeclaredProfile(profile),
          probeMs: result.probeMs,
          role,
        },
      },
    };
  }

  /**
   * Probes each secondary profile in turn (the sub-streams, less often than the main one). A failure is
   * kept and degrades the camera at the next polls (sub_stream_error); a deadline that expired while the
   * agent was impaired leaves the last result standing.
   */
  async probeSubStreams(): Promise<SubStreamOutcome> {
    const out: SubStreamOutcome = { streams: [], probes: 0, failures: 0, probeMs: 0, inconclusive: false };
    const { now, poll, logger } = this.options;
    for (const profile of this.subProfiles) {
      const observedAtMs = now();
      const start = this.options.health?.reading() ?? null;
      if (!profile.streamUri) {
        this.subFailures.set(profile.token, {
          message: 'camera reports no RTSP stream URI',
          atMs: observedAtMs,
        });
        out.failures += 1;
        continue;
      }
      try {
        const measured = await this.measure(
          { ...profile, streamUri: profile.streamUri },
          'sub',
          observedAtMs,
        );
        out.streams.push(measured.stream);
        out.probeMs += measured.probeMs;
        this.subFailures.delete(profile.token);
      } catch (error) {
        const e = asAgentError(error, this.context());
        if (e.code === 'aborted') throw e;
        const probeMs = now() - observedAtMs;
        out.probeMs += probeMs;
        const expired = e.code === 'timeout' || probeMs >= poll.probeTimeoutMs;
        if (this.inconclusive(start, expired, e.message)) {
          out.inconclusive = true;
          continue;
        }
        this.subFailures.set(profile.token, { message: e.message, atMs: now() });
        out.failures += 1;
        logger.warn({ err: e.toLog(), profile: profile.token }, 'sub-stream probe failed');
      }
      out.probes += 1;
    }
    return out;
  }

  /**
   * Probes the main stream of the profiles last read; returns null without probing until a poll has
   * read them once. A later failed read keeps them (see poll).
   */
  async probe(): Promise<ProbeOutcome | null> {
    const profile = this.mainProfile;
    if (!profile) return null;
    const { now, poll } = this.options;
    const observedAtMs = now();
    const start = this.options.health?.reading() ?? null;
    const events: Observed<CameraEventPayload>[] = [];
    let observation: StreamObservation;
    let stream: Observed<StreamPayload> | null = null;
    let probeMs = 0;
    if (!profile.streamUri) {
      observation = { ok: false, code: 'no_video', message: 'camera reports no RTSP stream URI' };
    } else {
      try {
        const measured = await this.measure(
          { ...profile, streamUri: profile.streamUri },
          'main',
          observedAtMs,
        );
        probeMs = measured.probeMs;
        observation = measured.observation;
        stream = measured.stream;
      } catch (error) {
        const e = asAgentError(error, this.context());
        if (e.code === 'aborted') throw e;
        probeMs = now() - observedAtMs;
        // The probe's kill timer gives no code of its own: a failure at its deadline is a deadline expiring.
        const expired = e.code === 'timeout' || probeMs >= poll.probeTimeoutMs;
        if (this.inconclusive(start, expired, e.message)) {
          // The last probe's result stands (until it is no longer fresh) and no video-loss event is raised.
          return { stream: null, events, probeMs, ok: false, inconclusive: true };
        }
        const code = e.code === 'no_video' ? 'no_video' : 'stream_error';
        observation = { ok: false, code, message: e.message };
        this.options.logger.warn({ err: e.toLog() }, 'stream probe failed');
      }
    }
    this.lastProbe = { observation, atMs: now() };
    // Video analysis decodes seconds of video, so it runs less often than probes, in the same slot, and
    // only on a stream the probe just found alive.
    if (observation.ok && profile.streamUri && this.video?.due(now()))
      await this.video.analyse(profile.streamUri);
    const lost = !observation.ok;
    if (this.videoLost !== lost && (lost || this.videoLost !== null)) {
      events.push({
        observedAtMs,
        payload: {
          cameraId: this.cameraId,
          type: 'video_loss',
          active: lost,
          source: 'agent/stream-probe',
          ...(observation.ok ? {} : { detail: observation.message.slice(0, 1000) }),
        },
      });
    }
    this.videoLost = lost;
    return { stream, events, probeMs, ok: observation.ok, inconclusive: false };
  }
}
