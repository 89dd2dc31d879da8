/**
 * Demo fleet child process: simulated ONVIF/RTSP cameras for every demo town and one edge agent per
 * town publishing to the hub's broker, with faults that come and go. Runs apart from the hub so the
 * hub's event loop only carries what a real deployment would.
 *
 * IPC: receives {start: DemoProcessConfig}, answers {ready: {sites, cameras}} or {error}; {stop} ends it.
 */
import mqtt from 'mqtt';
import pino from 'pino';
import { EdgeAgent } from '../../../edge-agent/src/agent.ts';
import { sharedClockCheck } from '../../../edge-agent/src/clock-health.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import { EnvelopeFactory } from '../../../edge-agent/src/mqtt/envelope.ts';
import { AGENT_ENV_ALIASES, AgentConfig } from '../../../src/config/agent-config.ts';
import { resolveConfig } from '../../../src/config/resolve.ts';
import { buildTopic } from '../../../src/topics.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../../test/simulators/camera/index.ts';
import { MobileSource, MobileSourceRunner } from '../../../test/simulators/mobile/mobile-source.ts';
import { type DemoSite, planDemoFleet, planDemoSources, seededRandom } from './demo-plan.ts';
import { FaultScheduler } from './fault-scheduler.ts';

export interface DemoProcessConfig {
  mqttUrl: string;
  towns: string[] | null;
  maxCamerasPerSite: number;
  pollIntervalMs: number;
  probeIntervalMs: number;
  faultIntervalMs: number;
  logLevel: string;
  /** MQTT password by site id (user name = site id); a site without one connects anonymously. */
  sitePasswords: Record<string, string>;
  /** Telemetry key by demo mobile source id (see planDemoSources). */
  sourceKeys?: Record<string, string>;
}

const log = pino({ name: 'cctv-demo', level: process.env.LOG_LEVEL ?? 'info' });

function recorderIdOf(site: DemoSite): string {
  return `${site.id}-nvr`.slice(0, 63);
}

function recorderPasswordOf(site: DemoSite): string {
  return `demo-nvr-${site.id}`;
}

/**
 * Days of video a demo town's recorder holds: most keep 31 to 45 days, as police evidential use asks;
 * about one town in seven keeps 20 days, as some schemes still do, so the retention rule is seen failing.
 */
export function demoRetentionDays(siteId: string): number {
  let hash = 0;
  for (const ch of siteId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % 7 === 3 ? 20.5 : 31.5 + (hash % 14);
}

async function run(config: DemoProcessConfig): Promise<() => Promise<void>> {
  log.level = config.logLevel;
  const sites = planDemoFleet({ towns: config.towns, maxCamerasPerSite: config.maxCamerasPerSite });
  const simulator = new CameraFleetSimulator({
    cacheDir: defaultCacheDir(),
    controlPort: 0,
    log: (line) => log.debug(line),
  });
  await simulator.start();
  const media = resolveMediaBinaries();
  const endpoints = new Map<string, string>();
  for (const site of sites) {
    for (const cam of site.cameras) {
      const ep = await simulator.addCamera({
        id: cam.id,
        username: cam.username,
        password: cam.password,
        manufacturer: 'Simulated Optics',
        model: 'SIM-2MP-BULLET',
        firmwareVersion: cam.firmwareVersion,
        serialNumber: `SIM${cam.id.replace(/[^a-z0-9]/g, '').toUpperCase()}`,
        profile: cam.profile,
      });
      endpoints.set(cam.id, ep.onvifUrl);
    }
    // Each town records on one recorder (ONVIF NVR), a channel per camera; see demoRetentionDays.
    const nvr = await simulator.addCamera({
      id: recorderIdOf(site),
      username: 'nvr-monitor',
      password: recorderPasswordOf(site),
      manufacturer: 'Simulated Optics',
      model: 'SIM-NVR-64',
      profile: { width: 320, height: 240, fps: 5, bitrateKbps: 100 },
      recordings: site.cameras.map((c, i) => ({
        token: `REC_${i + 1}`,
        sourceName: c.name.slice(0, 64),
        sourceToken: `VS_${i + 1}`,
        retentionDays: demoRetentionDays(site.id),
      })),
    });
    endpoints.set(recorderIdOf(site), nvr.onvifUrl);
  }
  // Every demo site runs on this machine and shares its clock: ask the OS once a minute, not per site.
  const clockCheck = sharedClockCheck(60_000);
  const agentFor = (site: DemoSite) => {
    const mqttPassword = config.sitePasswords[site.id] ?? null;
    const config_ = resolveConfig(AgentConfig, {
      source: `demo site ${site.id}`,
      env: { MQTT_URL: config.mqttUrl },
      envAliases: AGENT_ENV_ALIASES,
      value: {
        site: {
          id: site.id,
          name: site.name,
          councilId: site.councilId,
          hubId: site.hubId,
          location: site.location,
        },
        ...(mqttPassword !== null ? { mqtt: { username: site.id } } : {}),
        poll: {
          intervalMs: config.pollIntervalMs,
          probeIntervalMs: config.probeIntervalMs,
          concurrency: 8,
          probeConcurrency: 1,
        },
        // Demo cameras start healthy, so their first analysed frame is a fair commissioning reference; their
        // simulated streams carry a keyframe every second, so keyframes alone are enough to analyse.
        video: { captureMissingReference: true, decode: 'keyframes' },
        recorders: [
          {
            id: recorderIdOf(site),
            name: `${site.name} recorder`,
            onvif: { url: endpoints.get(recorderIdOf(site)), username: 'nvr-monitor' },
          },
        ],
        cameras: site.cameras.map((c, i) => ({
          id: c.id,
          name: c.name,
          onvif: { url: endpoints.get(c.id), username: c.username },
          commissioning: c.commissioning,
          recording: {
            recorder: recorderIdOf(site),
            recordingToken: `REC_${i + 1}`,
            sourceToken: `VS_${i + 1}`,
          },
        })),
      },
    });
    return new EdgeAgent({
      clockCheck,
      config: config_,
      secrets: {
        cameraPasswords: new Map(site.cameras.map((c) => [c.id, c.password])),
        recorderPasswords: new Map([[recorderIdOf(site), recorderPasswordOf(site)]]),
        mqttPassword,
      },
      logger: log.child({ site: site.id }),
      media,
    });
  };
  const agents = new Map<string, EdgeAgent>();
  for (const site of sites) {
    const agent = agentFor(site);
    agents.set(site.id, agent);
    await agent.start();
  }
  const faults = new FaultScheduler({
    simulator,
    sites,
    intervalMs: config.faultIntervalMs,
    random: seededRandom(Date.now() & 0xffff),
    log,
    restartSite: async (siteId, downMs) => {
      const agent = agents.get(siteId);
      const site = sites.find((s) => s.id === siteId);
      if (!agent || !site) return;
      await agent.stop('abrupt');
      log.info({ site: siteId, downMs }, 'demo: site link down');
      setTimeout(() => {
        const next = agentFor(site);
        agents.set(siteId, next);
        next.start().then(
          () => log.info({ site: siteId }, 'demo: site link back'),
          (error: Error) => log.error({ site: siteId, err: error.message }, 'demo: site restart failed'),
        );
      }, downMs).unref();
    },
  });
  faults.start();
  const mobile = await startMobileSources(config, sites, simulator);
  const cameraCount = sites.reduce((n, s) => n + s.cameras.length, 0);
  process.send?.({
    ready: {
      sites: sites.length,
      cameras: cameraCount,
      controlUrl: simulator.controlUrl,
      sourceStreams: mobile.streams,
    },
  });
  return async () => {
    await mobile.stop();
    faults.stop();
    await Promise.all([...agents.values()].map((a) => a.stop('graceful')));
    await simulator.stop();
  };
}

/**
 * The demo's drone and body-worn cameras: a simulated H.264 stream each, and signed telemetry every
 * second relayed through their site's MQTT identity, as a ground station would (its own connection).
 */
async function startMobileSources(
  config: DemoProcessConfig,
  sites: readonly DemoSite[],
  simulator: CameraFleetSimulator,
): Promise<{ streams: Record<string, string>; stop: () => Promise<void> }> {
  const streams: Record<string, string> = {};
  const runners: MobileSourceRunner[] = [];
  const clients = new Map<string, mqtt.MqttClient>();
  const startMs = Date.now();
  for (const plan of planDemoSources(sites)) {
    const key = config.sourceKeys?.[plan.id];
    if (!key) continue;
    const endpoints = await simulator.addCamera({
      id: plan.id,
      username: plan.username,
      password: plan.password,
      manufacturer: 'Simulated Optics',
      model: plan.kind === 'drone' ? 'SIM-UAV-GIMBAL' : 'SIM-BWV',
      profile: { width: 640, height: 360, fps: 15, bitrateKbps: 800 },
    });
    streams[plan.id] = endpoints.rtspUrl;
    let client = clients.get(plan.relaySiteId);
    if (!client) {
      const password = config.sitePasswords[plan.relaySiteId];
      client = mqtt.connect(config.mqttUrl, {
        // A second client of the site's identity: the broker allows `site-<id>.<suffix>` beside the agent's own.
        clientId: `site-${plan.relaySiteId}.ground-station`,
        ...(password ? { username: plan.relaySiteId, password } : {}),
        reconnectPeriod: 2000,
        protocolVersion: 4,
      });
      client.on('error', (error) => log.debug({ err: error.message }, 'demo ground station: mqtt error'));
      clients.set(plan.relaySiteId, client);
    }
    const envelopes = new EnvelopeFactory(plan.relaySiteId, Date.now);
    const topic = buildTopic('telemetry', { siteId: plan.relaySiteId, sourceId: plan.id });
    const relay = client;
    const source = new MobileSource({
      id: plan.id,
      kind: plan.kind,
      key,
      route: plan.route,
      speedMps: plan.speedMps,
      altitudeM: plan.altitudeM,
      gimbalPitchDeg: plan.gimbalPitchDeg,
      // Each source starts at a different point of its round.
      startMs: startMs - runners.length * 47_000,
    });
    const runner = new MobileSourceRunner(
      source,
      async (fix) => {
        if (!relay.connected) throw new Error('ground station not connected');
        await relay.publishAsync(topic, JSON.stringify(envelopes.wrap(fix, Date.parse(fix.at))), { qos: 1 });
      },
      1000,
    );
    runner.start();
    runners.push(runner);
  }
  return {
    streams,
    stop: async () => {
      for (const runner of runners) runner.stop();
      await Promise.all([...clients.values()].map((c) => c.endAsync().catch(() => undefined)));
    },
  };
}

let stopper: (() => Promise<void>) | null = null;
const shutdown = async () => {
  const stop = stopper;
  stopper = null;
  await stop?.().catch((error: Error) => log.error({ err: error.message }, 'demo stop failed'));
  process.exit(0);
};
process.on('message', (message: { start?: DemoProcessConfig; stop?: boolean }) => {
  if (message.start) {
    run(message.start).then(
      (stop) => {
        stopper = stop;
      },
      (error: Error) => {
        process.send?.({ error: error.message });
        process.exit(1);
      },
    );
  } else if (message.stop) void shutdown();
});
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.on('disconnect', () => void shutdown());
