import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { EdgeAgent } from '../../edge-agent/src/agent.ts';
import { resolveSecrets } from '../../edge-agent/src/config.ts';
import { resolveMediaBinaries } from '../../edge-agent/src/media/binaries.ts';
import { AgentConfig } from '../../src/config/agent-config.ts';
import { defaultsOf } from '../../src/config/resolve.ts';
import type { AgentClockHealth } from '../../src/schemas/payloads.ts';
import { buildTopic } from '../../src/topics.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../simulators/camera/index.ts';
import type { SimCameraSpec } from '../simulators/camera/types.ts';
import { keepLogLine } from './secret-scan.ts';

type CameraCommissioning = AgentConfig['cameras'][number]['commissioning'];
type SimRecordings = NonNullable<SimCameraSpec['recordings']>;
type CameraRecording = NonNullable<AgentConfig['cameras'][number]['recording']>;

export interface SiteHarnessOptions {
  siteId: string;
  councilId: string;
  mqttUrl: string;
  cameraIds: string[];
  pollIntervalMs?: number;
  probeIntervalMs?: number;
  keepaliveS?: number;
  /** The agent's outbox bound; the default otherwise. */
  outboxMaxBytes?: number;
  /**
   * What the agent says of its own clock; by default synchronised, so tests do not depend on whether
   * the machine running them has NTP.
   */
  clockCheck?: () => Promise<AgentClockHealth>;
  /** The agent's clock (a test's fake clock); Date.now otherwise. */
  now?: () => number;
  /**
   * Video analysis settings over the defaults; off unless a test asks, since each analysis decodes
   * seconds of video and most tests are about other things.
   */
  video?: Partial<AgentConfig['video']>;
  /** Health thresholds over the defaults. */
  thresholds?: Partial<AgentConfig['thresholds']>;
  /** Where each camera stands and looks; by default a short row in Penzance, 20 m design distance. */
  commissioning?: (cameraId: string, index: number) => CameraCommissioning;
  /** Simulated recorders (ONVIF NVRs) at the site, each with its channels' recordings. */
  recorders?: { id: string; recordings: SimRecordings }[];
  /** Per camera: recordings on its own card (simulator) and where the agent reads its recording. */
  cameraRecording?: (
    cameraId: string,
    index: number,
  ) => { recordings?: SimRecordings; recording?: CameraRecording } | undefined;
  /** Cameras that also declare and serve a sub-stream (a second media profile). */
  subProfile?: (cameraId: string) => SimCameraSpec['subProfile'];
  /** How often the agent probes sub-streams; the default (5 min) otherwise. */
  subStreamIntervalMs?: number;
  /** Recording evidence settings over the defaults. */
  recording?: Partial<AgentConfig['recording']>;
  /**
   * The agent's source of random phases (first polls and probes); Math.random otherwise. A test that
   * must wait for a probe gives a fixed one, so the wait does not vary by up to a probe period.
   */
  random?: () => number;
}

/**
 * One real site: simulated ONVIF/RTSP cameras and an EdgeAgent publishing to the given broker.
 * Small streams and short intervals keep tests quick on two cores.
 */
export class SiteHarness {
  readonly simulator = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  agent: EdgeAgent | null = null;
  private config: AgentConfig | null = null;
  /** The agent's outbox, kept across killAgent/startAgent (as on a real site) and removed by stop(). */
  readonly outboxDir = mkdtempSync(join(tmpdir(), 'cctv-outbox-'));

  constructor(private readonly options: SiteHarnessOptions) {}

  static password(cameraId: string): string {
    return `Pw-${cameraId}-Zq81x`;
  }

  async start(): Promise<void> {
    const { options } = this;
    await this.simulator.start();
    const endpoints = await Promise.all(
      options.cameraIds.map((id, i) => {
        const recordings = options.cameraRecording?.(id, i)?.recordings;
        const subProfile = options.subProfile?.(id);
        return this.simulator.addCamera({
          ...(subProfile ? { subProfile } : {}),
          id,
          username: 'admin',
          password: SiteHarness.password(id),
          profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
          ...(recordings ? { recordings } : {}),
        });
      }),
    );
    const recorders = await Promise.all(
      (options.recorders ?? []).map(async (r) => ({
        id: r.id,
        endpoints: await this.simulator.addCamera({
          id: r.id,
          username: 'admin',
          password: SiteHarness.password(r.id),
          model: 'SIM-NVR-16',
          profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
          recordings: r.recordings,
        }),
      })),
    );
    const defaults = defaultsOf(AgentConfig) as AgentConfig;
    const poll = options.pollIntervalMs ?? 1_000;
    this.config = {
      ...defaults,
      site: {
        id: options.siteId,
        name: `Site ${options.siteId}`,
        councilId: options.councilId,
        hubId: 'test-hub',
        location: { lat: 50.12, lon: -5.54 },
      },
      mqtt: { ...defaults.mqtt, url: options.mqttUrl, keepaliveS: options.keepaliveS ?? 5 },
      outbox: { dir: this.outboxDir, maxBytes: options.outboxMaxBytes ?? defaults.outbox.maxBytes },
      video: { ...defaults.video, enabled: false, ...options.video },
      thresholds: { ...defaults.thresholds, ...options.thresholds },
      poll: {
        ...defaults.poll,
        intervalMs: poll,
        probeIntervalMs: options.probeIntervalMs ?? 5_000,
        imageIntervalMs: poll,
        onvifTimeoutMs: 1_500,
        probeTimeoutMs: 6_000,
        probeSampleMs: 1_000,
        ...(options.subStreamIntervalMs ? { subStreamIntervalMs: options.subStreamIntervalMs } : {}),
      },
      recording: { ...defaults.recording, ...options.recording },
      recorders: recorders.map((r) => ({
        id: r.id,
        name: `Recorder ${r.id}`,
        onvif: { url: r.endpoints.onvifUrl, username: 'admin', password: SiteHarness.password(r.id) },
      })),
      cameras: endpoints.map((e, i) => ({
        id: e.id,
        name: `Camera ${i + 1}`,
        onvif: { url: e.onvifUrl, username: 'admin', password: SiteHarness.password(e.id) },
        ...(options.cameraRecording?.(e.id, i)?.recording
          ? { recording: options.cameraRecording(e.id, i)?.recording }
          : {}),
        commissioning: options.commissioning?.(e.id, i) ?? {
          location: { lat: 50.118 + i * 0.0005, lon: -5.537 + i * 0.0005 },
          bearingDeg: (90 * i) % 360,
          hfovDeg: 60,
          designDistanceM: 20,
          purpose: 'observe',
        },
      })),
    };
    await this.startAgent();
  }

  async startAgent(): Promise<void> {
    if (!this.config) throw new Error('site harness not started');
    this.agent = new EdgeAgent({
      clockCheck:
        this.options.clockCheck ??
        (async () => ({
          synchronized: true,
          source: 'chrony',
          offsetMs: 0,
          maxErrorMs: 1,
          checkedAt: new Date().toISOString(),
        })),
      config: this.config,
      secrets: await resolveSecrets(this.config, {}),
      // Printed at TEST_LOG_LEVEL; every line at debug and above is kept for the secret scan.
      logger: pino(
        { level: 'debug' },
        pino.multistream([
          { level: 'debug', stream: { write: (line: string) => keepLogLine('agent', line) } },
          {
            level: (process.env.TEST_LOG_LEVEL ?? 'warn') as pino.Level,
            stream: process.stdout,
          },
        ]),
      ),
      media: resolveMediaBinaries(),
      now: this.options.now,
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    await this.agent.start();
  }

  /** Simulates the agent dying or its link failing: no clean disconnect, so the broker sends its will. */
  async killAgent(): Promise<void> {
    await this.agent?.stop('abrupt');
    this.agent = null;
  }

  async stop(): Promise<void> {
    await this.agent?.stop('graceful');
    this.agent = null;
    await this.simulator.stop();
    await this.clearRetained();
    rmSync(this.outboxDir, { recursive: true, force: true });
  }

  /** Leaves a shared broker (CI's Mosquitto) without this test site's retained state. */
  private async clearRetained(): Promise<void> {
    const client = await mqtt.connectAsync(this.options.mqttUrl, {
      clientId: `cleanup-${this.options.siteId}`,
      protocolVersion: 4,
    });
    for (const kind of ['siteState', 'inventory'] as const) {
      await client.publishAsync(buildTopic(kind, { siteId: this.options.siteId }), '', {
        qos: 1,
        retain: true,
      });
    }
    await client.endAsync();
  }
}
