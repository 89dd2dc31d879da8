import { join } from 'node:path';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import {
  type AgentConfig,
  batchWindowMs,
  probeBatchWindowMs,
  probeSlots,
} from '../../src/config/agent-config.ts';
import type { ReportedState } from '../../src/schemas/camera-state.ts';
import type {
  AgentClockHealth,
  InventoryPayload,
  SiteOutbox,
  SiteStatePayload,
} from '../../src/schemas/payloads.ts';
import type { PayloadOf, TopicKind } from '../../src/topics.ts';
import { CameraMonitor } from './camera-monitor.ts';
import { checkAgentClock, clockHealthChanged, realClockHealthDeps } from './clock-health.ts';
import type { AgentSecrets } from './config.ts';
import { AgentError, errorMessage } from './errors.ts';
import { SnapshotDecoder } from './image/image-check.ts';
import type { MediaBinaries } from './media/binaries.ts';
import { StreamProber } from './media/probe-batch.ts';
import { VideoBatcher } from './media/video-batch.ts';
import { MonitorHealth, type MonitorHealthDeps, realMonitorHealthDeps } from './monitor-health.ts';
import { EnvelopeFactory } from './mqtt/envelope.ts';
import { MqttPublisher, type PublisherStats, type PublishParams } from './mqtt/publisher.ts';
import { NodeOnvifCamera, type OnvifCamera } from './onvif/device-client.ts';
import { setNodeOnvifHttpTimeout } from './onvif/node-onvif.ts';
import { type CameraPhase, cameraPhases } from './phases.ts';
import { RecordingWatch, type RecordingWatchStats, recordingDevices } from './recording-watch.ts';
import { Scheduler, type SchedulerStats } from './scheduler.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * Most streams probed in one ffmpeg run: it opens them in turn (about 0.1 s each), so a bigger batch
 * holds its probe slots longer for little less CPU.
 */
const STREAMS_PER_PROBE_RUN = 8;
/** Most video analyses in one ffmpeg run: each opens its stream in turn and decodes seconds of it. */
const ANALYSES_PER_RUN = 4;
/** Most snapshots decoded in one ffmpeg run (each takes two pipes of the run). */
const SNAPSHOTS_PER_RUN = 16;

export interface EdgeAgentOptions {
  config: AgentConfig;
  secrets: AgentSecrets;
  logger: Logger;
  media: MediaBinaries;
  now?: () => number;
  /** Source of jitter for first polls (spread over one poll period), in [0, 1). */
  random?: () => number;
  agentVersion?: string;
  /** Replaces the node-onvif adapter for a camera (e.g. another ONVIF library); default node-onvif. */
  onvifFactory?: (camera: AgentConfig['cameras'][number], password: string) => OnvifCamera;
  /** The agent's own clock health (default: what the OS says, see clock-health.ts). */
  clockCheck?: () => Promise<AgentClockHealth>;
  /** How often the agent's clock health is re-checked and the site state republished. */
  clockCheckIntervalMs?: number;
  /** Where the agent reads its own process and host health (default: the real ones). */
  monitorHealthDeps?: MonitorHealthDeps;
}

/** Poll reasons that mean the camera itself could not be reached or refused the agent. */
const POLL_FAILURE_CODES: ReadonlySet<string> = new Set(['unreachable', 'timeout', 'auth_failed']);

/** Re-check of the agent's own clock; each check republishes the retained site state (see checkClock). */
const CLOCK_CHECK_INTERVAL_MS = 5 * 60_000;

export type StopMode = 'graceful' | 'abrupt';

export interface CameraStats {
  state: ReportedState | null;
  lastPollAt: string | null;
  lastPollMs: number | null;
  lastProbeMs: number | null;
}

export interface AgentStats {
  startedAt: string | null;
  polls: number;
  pollFailures: number;
  pollErrors: number;
  probes: number;
  probeFailures: number;
  probeMsTotal: number;
  probeMsMax: number;
  /** Secondary profiles (sub-streams) probed, and how many of those probes failed. */
  subStreamProbes: number;
  subStreamFailures: number;
  publishFailures: number;
  /** Checks reported as inconclusive because the agent itself was impaired (see monitor-health.ts). */
  inconclusive: number;
  scheduler: SchedulerStats;
  publisher: PublisherStats | null;
  cameras: Record<string, CameraStats>;
  /** Per recording device (`camera:{id}` or `recorder:{id}`): retention reads and recorder events. */
  recording: Record<string, RecordingWatchStats>;
}

/** The site's inventory as the config declares it (the agent publishes it retained on connecting). */
export function inventoryOf(config: AgentConfig): InventoryPayload {
  const { site, cameras } = config;
  return {
    siteName: site.name,
    councilId: site.councilId,
    hubId: site.hubId,
    ...(site.location ? { location: site.location } : {}),
    cameras: cameras.map((c) => ({ id: c.id, name: c.name, commissioning: c.commissioning })),
  };
}

/**
 * One site's agent: polls and probes its cameras on timers and publishes what it sees over MQTT.
 * Holds no process-wide state (several agents can share one process, as the hub's demo does) except
 * node-onvif's HTTP timeout constant (see setNodeOnvifHttpTimeout).
 */
export class EdgeAgent {
  private scheduler: Scheduler | null = null;
  private publisher: MqttPublisher | null = null;
  /** Kept after stop so stats() still shows the last run's publishing and outbox counters. */
  private lastPublisher: MqttPublisher | null = null;
  private abort: AbortController | null = null;
  private monitors: CameraMonitor[] = [];
  private recordingWatches: RecordingWatch[] = [];
  /** Streams probed at once (poll.probeConcurrency, or what 'auto' makes of it); set at start. */
  probeSlots = 0;
  private startedAtMs: number | null = null;
  private agentClock: AgentClockHealth | null = null;
  private readonly counters = {
    polls: 0,
    pollFailures: 0,
    pollErrors: 0,
    probes: 0,
    probeFailures: 0,
    probeMsTotal: 0,
    probeMsMax: 0,
    subStreamProbes: 0,
    subStreamFailures: 0,
    publishFailures: 0,
    inconclusive: 0,
  };
  private health: MonitorHealth | null = null;
  /** Cameras whose last poll could not reach them (unreachable, timeout, refused credentials). */
  private readonly unreachable = new Set<string>();
  /** Cameras probed out of turn because they answered again: their probe triggers a poll when it finds video. */
  private readonly recoveryProbes = new Set<string>();
  /** Tasks whose last run was inconclusive: run again as soon as the agent recovers. */
  private readonly retries = new Set<string>();
  private readonly perCamera = new Map<string, CameraStats>();

  constructor(private readonly options: EdgeAgentOptions) {}

  private get now(): () => number {
    return this.options.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.scheduler) return;
    const { config, secrets, logger, media } = this.options;
    const now = this.now;
    const random = this.options.random ?? Math.random;
    const siteId = config.site.id;
    this.startedAtMs = now();
    this.abort = new AbortController();
    setNodeOnvifHttpTimeout(config.poll.onvifTimeoutMs);
    // Before connecting, so the first site state already says whether this clock can be trusted.
    await this.checkClock();

    const envelopes = new EnvelopeFactory(siteId, now);
    this.publisher = new MqttPublisher({
      url: config.mqtt.url,
      siteId,
      // The hub issues site credentials with the site id as user name.
      username: config.mqtt.username ?? (secrets.mqttPassword !== null ? siteId : null),
      password: secrets.mqttPassword,
      ca: secrets.mqttCa ?? null,
      keepaliveS: config.mqtt.keepaliveS,
      connectTimeoutMs: config.mqtt.connectTimeoutMs,
      envelopes,
      now,
      logger: logger.child({ component: 'mqtt' }),
      onlineState: () => ({ siteState: this.siteState(), inventory: this.inventory() }),
      outbox: { dir: join(config.outbox.dir, siteId), maxBytes: config.outbox.maxBytes },
    });

    const scheduler = new Scheduler({
      now,
      onError: (key, error) => {
        // A task cut short because the agent is stopping is not a fault.
        if (this.scheduler === null && error instanceof AgentError && error.code === 'aborted') {
          logger.debug({ task: key }, 'task aborted by stop');
          return;
        }
        this.counters.pollErrors += 1;
        logger.error(
          { task: key, err: error instanceof AgentError ? error.toLog() : errorMessage(error) },
          'task failed',
        );
      },
    });
    const pollLimit = pLimit(config.poll.concurrency);
    this.probeSlots = probeSlots(config.poll, config.cameras.length, config.video);
    const probeLimit = pLimit(this.probeSlots);
    const health = new MonitorHealth({
      deps: this.options.monitorHealthDeps ?? realMonitorHealthDeps(),
      limits: config.impairment,
      concurrency: () => ({
        runningPolls: pollLimit.activeCount,
        pollSlots: config.poll.concurrency,
        runningProbes: probeLimit.activeCount,
        probeSlots: this.probeSlots,
      }),
      onChange: (impaired) => this.onImpairment(impaired),
    });
    this.health = health;
    const snapshots = new SnapshotDecoder({
      ffmpegPath: media.ffmpegPath,
      // A report never waits more than a tenth of its poll period for others' snapshots.
      windowMs: batchWindowMs(config.poll.imageBatchMs, config.poll.intervalMs),
      maxBatch: SNAPSHOTS_PER_RUN,
      timeoutMs: config.poll.onvifTimeoutMs,
      now,
      signal: (this.abort as AbortController).signal,
    });
    const prober = new StreamProber({
      ffmpegPath: media.ffmpegPath,
      ffprobePath: media.ffprobePath,
      windowMs: probeBatchWindowMs(config.poll),
      maxBatch: STREAMS_PER_PROBE_RUN,
      timeoutMs: config.poll.probeTimeoutMs,
      sampleMs: config.poll.probeSampleMs,
      now,
      signal: (this.abort as AbortController).signal,
    });
    const videoBatcher = new VideoBatcher({
      windowMs: batchWindowMs(config.video.batchMs, config.video.intervalMs),
      maxBatch: ANALYSES_PER_RUN,
    });
    const phases = cameraPhases({
      cameras: config.cameras.length,
      groupSize: probeBatchWindowMs(config.poll) > 0 ? STREAMS_PER_PROBE_RUN : 1,
      firstProbeAfterMs: config.poll.intervalMs,
      probeIntervalMs: config.poll.probeIntervalMs,
      videoIntervalMs: config.video.intervalMs,
      random,
    });
    this.monitors = config.cameras.map((camera, i) => {
      const password = secrets.cameraPasswords.get(camera.id);
      if (password === undefined)
        throw new Error(`no password resolved for camera ${camera.id} (run resolveSecrets)`);
      const onvif =
        this.options.onvifFactory?.(camera, password) ??
        new NodeOnvifCamera({
          url: camera.onvif.url,
          username: camera.onvif.username,
          password,
          timeoutMs: config.poll.onvifTimeoutMs,
          now,
          context: { siteId, cameraId: camera.id },
        });
      return new CameraMonitor({
        siteId,
        camera,
        password,
        poll: config.poll,
        thresholds: config.thresholds,
        video: config.video,
        // Video analyses decode seconds of video each: spread over one period, not all in the
        // first probe minute (250 cameras' analyses at once held the probe slots for minutes), in
        // the groups the probes run in (phases.ts).
        videoFirstDelayMs: (phases[i] as CameraPhase).videoDelayMs,
        media,
        onvif,
        now,
        logger: logger.child({ cameraId: camera.id }),
        signal: (this.abort as AbortController).signal,
        health,
        snapshots,
        prober,
        videoBatcher,
      });
    });
    this.recordingWatches = recordingDevices(config, secrets).map(
      (device) =>
        new RecordingWatch({
          device,
          timeoutMs: config.poll.onvifTimeoutMs,
          maxRecordings: config.recording.maxRecordings,
          events: config.recording.events,
          now,
          logger: logger.child({ component: 'recording' }),
          siteId,
          signal: (this.abort as AbortController).signal,
          onRecording: (payload, atMs) =>
            this.send('recording', { cameraId: payload.cameraId }, payload, atMs),
          onEvent: (payload, atMs) => this.send('event', { cameraId: payload.cameraId }, payload, atMs),
        }),
    );
    // One device read at a time: a recorder answers for many cameras, and retention moves by the day.
    const recordingLimit = pLimit(1);
    for (const watch of this.recordingWatches) {
      scheduler.add({
        key: `recording:${watch.key}`,
        intervalMs: config.recording.intervalMs,
        // Soon after start (the hub learns retention without waiting an hour), spread over one poll period.
        initialDelayMs: Math.floor(random() * config.poll.intervalMs),
        limit: recordingLimit,
        run: () => watch.poll(),
      });
    }
    const clockIntervalMs = this.options.clockCheckIntervalMs ?? CLOCK_CHECK_INTERVAL_MS;
    scheduler.add({
      key: 'agent-clock',
      intervalMs: clockIntervalMs,
      initialDelayMs: clockIntervalMs,
      limit: pLimit(1),
      run: () => this.checkClock(),
    });
    // Monitors are in the order of config.cameras, as the phases are.
    for (const [i, monitor] of this.monitors.entries()) {
      const phase = phases[i] as CameraPhase;
      this.perCamera.set(monitor.cameraId, {
        state: null,
        lastPollAt: null,
        lastPollMs: null,
        lastProbeMs: null,
      });
      scheduler.add({
        key: `poll:${monitor.cameraId}`,
        intervalMs: config.poll.intervalMs,
        // Spread first polls over a whole period so a site (or the demo's many sites) does not poll in one burst.
        initialDelayMs: Math.floor(random() * config.poll.intervalMs),
        limit: pollLimit,
        run: () => this.pollOnce(monitor),
      });
      if (config.poll.maxSubStreams > 0)
        scheduler.add({
          key: `substreams:${monitor.cameraId}`,
          intervalMs: config.poll.subStreamIntervalMs,
          // After the first poll has read the profiles; spread like the main probes.
          initialDelayMs:
            config.poll.intervalMs +
            Math.floor(random() * Math.min(config.poll.subStreamIntervalMs, config.poll.probeIntervalMs)),
          limit: probeLimit,
          run: () => this.probeSubStreams(monitor),
        });
      scheduler.add({
        key: `probe:${monitor.cameraId}`,
        intervalMs: config.poll.probeIntervalMs,
        // The first probe needs the stream URI from the first poll; after that, the first probes are
        // spread over one probe period, a batch's worth of cameras at a time (phases.ts), so that a
        // site's streams are not all pulled at once over a thin town link.
        initialDelayMs: phase.probeDelayMs,
        limit: probeLimit,
        run: () => this.probeOnce(monitor),
      });
    }
    try {
      await this.publisher.start();
    } catch (error) {
      this.publisher = null;
      this.abort = null;
      throw error;
    }
    this.scheduler = scheduler;
    health.start();
    scheduler.start();
    logger.info({ siteId, cameras: this.monitors.length, probeSlots: this.probeSlots }, 'edge agent started');
  }

  private async pollOnce(monitor: CameraMonitor): Promise<void> {
    const startedAt = this.now();
    const { payload, observedAtMs } = await monitor.poll();
    // A camera that answers again after failing keeps its failed stream probe (taken while it was out)
    // until the next probe, up to a whole probe period: probe it now, so its recovery is seen within
    // seconds, not charged as downtime.
    const reached = !payload.reasons.some((r) => POLL_FAILURE_CODES.has(r.code));
    const wasOut = this.unreachable.has(monitor.cameraId);
    if (reached) this.unreachable.delete(monitor.cameraId);
    else if (payload.state === 'down') this.unreachable.add(monitor.cameraId);
    if (reached && wasOut && monitor.streamFailed) {
      this.recoveryProbes.add(monitor.cameraId);
      this.scheduler?.trigger(`probe:${monitor.cameraId}`);
    }
    this.counters.polls += 1;
    if (payload.state === 'down') this.counters.pollFailures += 1;
    if (payload.state === 'unknown') {
      this.counters.inconclusive += 1;
      this.retries.add(`poll:${monitor.cameraId}`);
    }
    const stats = this.perCamera.get(monitor.cameraId);
    if (stats) {
      stats.state = payload.state;
      stats.lastPollAt = new Date(observedAtMs).toISOString();
      stats.lastPollMs = this.now() - startedAt;
    }
    this.send('health', { cameraId: monitor.cameraId }, payload, observedAtMs);
  }

  private async probeOnce(monitor: CameraMonitor): Promise<void> {
    const failedBefore = monitor.streamFailed;
    const outcome = await monitor.probe();
    if (!outcome) return;
    // A probe run for a camera that came back, and found its stream again: poll now so the camera's
    // state says so at once instead of at its next poll.
    if (this.recoveryProbes.delete(monitor.cameraId) && failedBefore && outcome.ok)
      this.scheduler?.trigger(`poll:${monitor.cameraId}`);
    if (outcome.inconclusive) {
      this.counters.inconclusive += 1;
      this.retries.add(`probe:${monitor.cameraId}`);
      return;
    }
    this.counters.probes += 1;
    if (!outcome.ok) this.counters.probeFailures += 1;
    this.counters.probeMsTotal += outcome.probeMs;
    this.counters.probeMsMax = Math.max(this.counters.probeMsMax, outcome.probeMs);
    const stats = this.perCamera.get(monitor.cameraId);
    if (stats) stats.lastProbeMs = outcome.probeMs;
    if (outcome.stream)
      this.send(
        'stream',
        { cameraId: monitor.cameraId },
        outcome.stream.payload,
        outcome.stream.observedAtMs,
      );
    for (const event of outcome.events)
      this.send('event', { cameraId: monitor.cameraId }, event.payload, event.observedAtMs);
  }

  private async probeSubStreams(monitor: CameraMonitor): Promise<void> {
    const outcome = await monitor.probeSubStreams();
    this.counters.subStreamProbes += outcome.probes;
    this.counters.subStreamFailures += outcome.failures;
    if (outcome.inconclusive) {
      this.counters.inconclusive += 1;
      this.retries.add(`substreams:${monitor.cameraId}`);
    }
    for (const stream of outcome.streams)
      this.send('stream', { cameraId: monitor.cameraId }, stream.payload, stream.observedAtMs);
  }

  /**
   * Re-reads the agent's clock health and republishes the retained site state with it, changed or
   * not: that state goes out at once (never through the outbox), so the hub always has a recent
   * message whose observedAt it can compare with its own clock even while a backlog is replayed.
   */
  private async checkClock(): Promise<void> {
    const check = this.options.clockCheck ?? (() => checkAgentClock(realClockHealthDeps));
    const next = await check();
    const changed = clockHealthChanged(this.agentClock, next);
    this.agentClock = next;
    if (changed) this.options.logger.info({ agentClock: next }, 'agent clock health');
    await this.publisher?.publishSiteState();
  }

  /**
   * The agent turned impaired or recovered: the retained site state says so at once, and on recovery
   * the checks that were inconclusive run again instead of waiting a whole interval.
   */
  private onImpairment(impaired: boolean): void {
    const monitor = this.health?.summary();
    if (impaired)
      this.options.logger.warn({ monitor }, 'agent impaired: timeouts are reported as inconclusive');
    else this.options.logger.info({ monitor }, 'agent recovered');
    if (!impaired) {
      const retries = [...this.retries];
      this.retries.clear();
      for (const key of retries) this.scheduler?.trigger(key);
    }
    this.publisher?.publishSiteState().catch((error: unknown) => {
      this.options.logger.warn({ err: errorMessage(error) }, 'site state publish failed');
    });
  }

  /** Fire and forget: a publish waits for PUBACK (or for the broker to come back) and must not hold a poll slot. */
  private send<K extends TopicKind>(
    kind: K,
    params: PublishParams,
    payload: PayloadOf<K>,
    observedAtMs: number,
  ): void {
    const publisher = this.publisher;
    if (!publisher) return;
    publisher.publish(kind, params, payload, observedAtMs).catch((error: unknown) => {
      this.counters.publishFailures += 1;
      this.options.logger.warn({ kind, ...params, err: errorMessage(error) }, 'publish failed');
    });
  }

  siteState(): SiteStatePayload {
    return {
      state: 'online',
      agentVersion: (this.options.agentVersion ?? AGENT_VERSION).slice(0, 64),
      startedAt: new Date(this.startedAtMs ?? this.now()).toISOString(),
      cameraCount: this.options.config.cameras.length,
      ...(this.agentClock ? { agentClock: this.agentClock } : {}),
      ...(this.health ? { monitor: { ...this.health.summary(), ...this.outboxSummary() } } : {}),
    };
  }

  /** The outbox's figures for the site state (sent with each state: clock checks, impairment, reconnects). */
  private outboxSummary(): { outbox?: SiteOutbox } {
    const publisher = (this.publisher ?? this.lastPublisher)?.stats();
    const o = publisher?.outbox;
    if (!publisher || !o) return {};
    return {
      outbox: { records: publisher.queueLength, bytes: o.bytes, maxBytes: o.maxBytes, dropped: o.dropped },
    };
  }

  /** What the hub may know about the cameras: ids, names and commissioning, never URLs or credentials. */
  inventory(): InventoryPayload {
    return inventoryOf(this.options.config);
  }

  /**
   * graceful: stop polling, let running polls finish, publish retained `offline`, disconnect.
   * abrupt: drop the broker connection first without DISCONNECT (the broker then publishes the will), as a
   * crash or a cut site link would; used by tests and the demo to simulate link failures.
   */
  async stop(mode: StopMode = 'graceful'): Promise<void> {
    const scheduler = this.scheduler;
    const publisher = this.publisher;
    if (!scheduler || !publisher) return;
    this.scheduler = null;
    if (mode === 'abrupt') await publisher.stop('abrupt');
    this.abort?.abort();
    this.health?.stop();
    await Promise.all(this.recordingWatches.map((w) => w.stop()));
    this.retries.clear();
    await scheduler.stop();
    if (mode === 'graceful') await publisher.stop('graceful');
    this.lastPublisher = publisher;
    this.publisher = null;
    this.abort = null;
    this.options.logger.info({ siteId: this.options.config.site.id, mode }, 'edge agent stopped');
  }

  stats(): AgentStats {
    return {
      startedAt: this.startedAtMs === null ? null : new Date(this.startedAtMs).toISOString(),
      ...this.counters,
      scheduler: this.scheduler?.stats() ?? { runs: 0, skipped: 0, queued: 0 },
      publisher: (this.publisher ?? this.lastPublisher)?.stats() ?? null,
      cameras: Object.fromEntries([...this.perCamera].map(([id, s]) => [id, { ...s }])),
      recording: Object.fromEntries(this.recordingWatches.map((w) => [w.key, w.stats()])),
    };
  }
}
