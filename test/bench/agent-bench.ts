import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import mqtt from 'mqtt';
import { resolveMediaBinaries } from '../../edge-agent/src/media/binaries.ts';
import { AgentConfig, probeSlots } from '../../src/config/agent-config.ts';
import { freePort } from '../support/mosquitto.ts';
import { startBareAedes } from './baselines.ts';
import { processUsage } from './stack.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

export interface AgentBenchOptions {
  cameras: number;
  /** Measured window after warm-up. */
  durationS: number;
  /** poll.intervalMs / 1000; default 10. */
  pollIntervalS?: number;
  /** poll.probeIntervalMs / 1000; default 60. */
  probeIntervalS?: number;
  /** poll.probeConcurrency; by default the agent's own ('auto': sized by its number of cameras). */
  probeConcurrency?: number;
  /** How long to wait for every camera's first health message (default 120 s). */
  warmupTimeoutS?: number;
  /**
   * Which ffmpeg/ffprobe the agent runs: `default` lets it choose as in production (env
   * FFMPEG_PATH/FFPROBE_PATH, then a system install, then the npm-shipped static builds); `npm`
   * points it at the npm-shipped static builds through those variables.
   */
  media?: 'default' | 'npm';
  /** More node flags for the agent process (profiling: --cpu-prof, --heapsnapshot-signal=SIGUSR2). */
  agentNodeArgs?: string[];
  /** poll.imageBatchMs; by default the agent's own (0: each snapshot decoded in a run of its own). */
  imageBatchMs?: number;
  /** poll.probeBatchMs; by default the agent's own (0: each probe a run of its own). */
  probeBatchMs?: number;
  /**
   * Seconds to wait after every camera has reported before measuring: the agent's first minutes
   * hold every camera's first video analysis (due at once), which later spreads over
   * video.intervalMs (5 min). 0 measures from the first reports.
   */
  settleS?: number;
  /**
   * Runs ffmpeg/ffprobe through a small bash wrapper that records each run's CPU by what it was
   * for (stream probe, video analysis, snapshot decode alone or in a batch), printed for the window.
   * The wrapper's own start is a few ms of CPU a run, counted in the agent's children.
   */
  mediaAccounting?: boolean;
}

export interface MediaRunKind {
  kind: string;
  runs: number;
  cpuS: number;
  msPerRun: number;
  wallSPerRun: number;
}

export interface AgentBenchResult {
  cameras: number;
  durationS: number;
  pollIntervalS: number;
  probeIntervalS: number;
  probeConcurrency: number;
  media: { ffmpegPath: string; ffprobePath: string };
  /** Agent process CPU (user + system, its reaped ffprobe/ffmpeg children included) per wall second. */
  cpuCores: number;
  /** Of cpuCores: the share spent in reaped children (ffprobe, ffmpeg). */
  childCpuCores: number;
  cpuPerCameraMillicores: number;
  rssPeakMb: number;
  rssEndMb: number;
  rssPerCameraMb: number;
  healthPerS: number;
  streamPerS: number;
  /** What the intervals ask for: cameras / pollIntervalS and cameras / probeIntervalS. */
  expectedHealthPerS: number;
  expectedStreamPerS: number;
  /** Cameras whose last health message in the window said `up`. */
  camerasUp: number;
  /** Cameras with at least one stream message in the window. */
  camerasProbed: number;
  /** Agent log lines at warn or above during the window. */
  agentWarnings: number;
  warmupS: number;
  settleS: number;
  /** With mediaAccounting: the window's media runs by kind, their CPU and wall time. */
  mediaRuns?: MediaRunKind[];
  targetMet: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SimulatorCamera {
  id: string;
  onvifUrl: string;
  username: string;
  password: string;
}

/** The camera simulator's CLI in a child process: its cost is not the agent's. */
async function startSimulator(count: number): Promise<{ child: ChildProcess; cameras: SimulatorCamera[] }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/simulators/camera/cli.ts',
      '--count',
      String(count),
      '--id-prefix',
      'cam',
      '--control-port',
      'off',
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-4000);
  });
  const cameras = await new Promise<SimulatorCamera[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('camera simulator did not start within 180 s')), 180_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (!out.trimEnd().endsWith('}')) return;
      try {
        const parsed = JSON.parse(out) as { cameras: SimulatorCamera[] };
        clearTimeout(timer);
        resolve(parsed.cameras);
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`camera simulator exited (${code}): ${err.trim()}`));
    });
  });
  child.stdout?.resume();
  return { child, cameras };
}

function agentConfig(options: {
  siteId: string;
  mqttUrl: string;
  outboxDir: string;
  cameras: SimulatorCamera[];
  pollIntervalMs: number;
  probeIntervalMs: number;
  probeConcurrency: number;
  imageBatchMs: number | undefined;
  probeBatchMs: number | undefined;
}): unknown {
  return {
    site: {
      id: options.siteId,
      name: `Agent bench ${options.siteId}`,
      councilId: 'bench-council',
      hubId: 'bench-hub',
      location: { lat: 50.12, lon: -5.54 },
    },
    mqtt: { url: options.mqttUrl },
    // Everything else in poll at the agent's defaults (concurrency, timeouts, image check every 60 s).
    poll: {
      intervalMs: options.pollIntervalMs,
      probeIntervalMs: options.probeIntervalMs,
      probeConcurrency: options.probeConcurrency,
      ...(options.imageBatchMs !== undefined ? { imageBatchMs: options.imageBatchMs } : {}),
      ...(options.probeBatchMs !== undefined ? { probeBatchMs: options.probeBatchMs } : {}),
    },
    outbox: { dir: options.outboxDir },
    cameras: options.cameras.map((c, i) => ({
      id: c.id,
      name: `Camera ${i + 1}`,
      onvif: { url: c.onvifUrl, username: c.username, password: c.password },
      commissioning: {
        location: { lat: 50.118 + (i % 50) * 0.0005, lon: -5.537 + Math.floor(i / 50) * 0.0005 },
        bearingDeg: (90 * i) % 360,
        hfovDeg: 60,
        designDistanceM: 20,
        purpose: 'observe',
      },
    })),
  };
}

async function stopChild(child: ChildProcess | null, timeoutMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Bash wrappers for ffmpeg and ffprobe that run the real tool and append "tool kind user sys wall"
 * to `log` (bash's `time`; the tool's stderr passes through on a file descriptor well above the
 * pipes a batched decode uses).
 */
function writeMediaWrappers(dir: string, media: { ffmpegPath: string; ffprobePath: string }, log: string) {
  const wrapper = (tool: string, real: string) => {
    const path = join(dir, tool);
    writeFileSync(
      path,
      [
        '#!/bin/bash',
        'kind=other',
        'case "$*" in',
        '  *framecrc*) kind=stream-probe-batch ;;',
        '  *"pipe:3"*freezedetect*) kind=video-analysis-batch ;;',
        '  *freezedetect*|*blackdetect*) kind=video-analysis ;;',
        '  *"pipe:3"*) kind=snapshot-batch ;;',
        '  *"-frames:v 1"*) kind=snapshot-alone ;;',
        '  *show_entries*) kind=stream-probe ;;',
        'esac',
        'TIMEFORMAT="%U %S %R"',
        `{ time ${JSON.stringify(real)} "$@" 2>&200 ; } 200>&2 2>"${dir}/t.$$"`,
        'rc=$?',
        `echo "${tool} $kind $(cat "${dir}/t.$$")" >> ${JSON.stringify(log)}`,
        `rm -f "${dir}/t.$$"`,
        'exit $rc',
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    return path;
  };
  return {
    ffmpegPath: wrapper('ffmpeg', media.ffmpegPath),
    ffprobePath: wrapper('ffprobe', media.ffprobePath),
  };
}

/** The media runs logged since byte `from` of the accounting log, by tool and kind. */
function mediaRunsSince(log: string, from: number): MediaRunKind[] {
  const text = existsSync(log) ? readFileSync(log).subarray(from).toString('utf8') : '';
  const kinds = new Map<string, { runs: number; cpuS: number; wallS: number }>();
  for (const line of text.split('\n')) {
    const [tool, kind, user, sys, wall] = line.trim().split(/\s+/);
    if (!tool || !kind || wall === undefined) continue;
    const k = kinds.get(`${tool} ${kind}`) ?? { runs: 0, cpuS: 0, wallS: 0 };
    k.runs++;
    k.cpuS += Number(user) + Number(sys);
    k.wallS += Number(wall);
    kinds.set(`${tool} ${kind}`, k);
  }
  return [...kinds]
    .map(([kind, k]) => ({
      kind,
      runs: k.runs,
      cpuS: Number(k.cpuS.toFixed(2)),
      msPerRun: Number(((k.cpuS * 1000) / k.runs).toFixed(1)),
      wallSPerRun: Number((k.wallS / k.runs).toFixed(2)),
    }))
    .sort((a, b) => b.cpuS - a.cpuS);
}

/** utime+stime of the process itself, without waited-for children (fields 11 and 12 of /proc/pid/stat). */
function ownCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Edge agent cost: the real agent (its own process, `edge-agent/src/main.ts` with a generated config)
 * watching N simulated cameras (ONVIF SOAP over HTTP and RTSP, the simulator in another process) and
 * publishing to a bare aedes (another process). After every camera has reported once, CPU (the
 * agent's and its reaped ffprobe/ffmpeg children's) and RSS are measured over durationS, with the
 * messages a subscriber sees so a broken run cannot look cheap.
 * Target: 250 cameras, poll 10 s, probe 60 s in at most half a core and 200 MB.
 *
 * Most of the CPU is the media tools' own start-up, not the agent's JavaScript: 250 ffprobe runs and
 * 250 snapshot decodes a minute. A dynamically linked distribution build (Debian's ffmpeg 5.1 loads
 * some 200 shared libraries) spends about 40 ms of CPU per run before doing anything; the static
 * npm-shipped builds almost none. `media: 'npm'` measures the agent with those.
 */
export async function runAgentBench(
  options: AgentBenchOptions,
  log: (line: string) => void,
): Promise<AgentBenchResult> {
  const cameras = options.cameras;
  const pollIntervalS = options.pollIntervalS ?? 10;
  const probeIntervalS = options.probeIntervalS ?? 60;
  const probeConcurrency =
    options.probeConcurrency ??
    probeSlots(
      {
        probeConcurrency: 'auto',
        probeSampleMs: 2000,
        probeIntervalMs: probeIntervalS * 1000,
        probeBatchMs: options.probeBatchMs ?? 1000,
      },
      cameras,
      // The agent's video analysis, on with its defaults here, runs in the same slots.
      Value.Default(AgentConfig.properties.video, {}) as AgentConfig['video'],
    );
  const warmupTimeoutS = options.warmupTimeoutS ?? 120;
  const id = randomBytes(3).toString('hex');
  const siteId = `agent-bench-${id}`;
  const dir = join(tmpdir(), `cctv-agent-bench-${id}`);
  mkdirSync(dir, { recursive: true });

  let simulator: ChildProcess | null = null;
  let broker: ChildProcess | null = null;
  let agent: ChildProcess | null = null;
  let subscriber: mqtt.MqttClient | null = null;
  try {
    log(`starting ${cameras} simulated cameras...`);
    const sim = await startSimulator(cameras);
    simulator = sim.child;
    const port = await freePort();
    broker = await startBareAedes(port);
    const mqttUrl = `mqtt://127.0.0.1:${port}`;

    // Counts per camera: health (with the last state) and stream messages; `windowOpen` gates the window.
    const seen = new Set<string>();
    let windowOpen = false;
    let health = 0;
    let stream = 0;
    const lastState = new Map<string, string>();
    const probed = new Set<string>();
    subscriber = await mqtt.connectAsync(mqttUrl, { clientId: `agent-bench-sub-${id}`, protocolVersion: 4 });
    subscriber.on('message', (topic, message) => {
      const parts = topic.split('/');
      const kind = parts[parts.length - 1];
      const cameraId = parts[parts.length - 2] ?? '';
      if (kind === 'health') {
        seen.add(cameraId);
        if (!windowOpen) return;
        health++;
        try {
          const envelope = JSON.parse(message.toString('utf8')) as { payload?: { state?: string } };
          lastState.set(cameraId, envelope.payload?.state ?? 'unknown');
        } catch {
          lastState.set(cameraId, 'malformed');
        }
      } else if (kind === 'stream' && windowOpen) {
        stream++;
        probed.add(cameraId);
      }
    });
    await subscriber.subscribeAsync(`cctv/v1/site/${siteId}/#`, { qos: 1 });

    const configPath = join(dir, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify(
        agentConfig({
          siteId,
          mqttUrl,
          outboxDir: join(dir, 'outbox'),
          cameras: sim.cameras,
          pollIntervalMs: pollIntervalS * 1000,
          probeIntervalMs: probeIntervalS * 1000,
          probeConcurrency,
          imageBatchMs: options.imageBatchMs,
          probeBatchMs: options.probeBatchMs,
        }),
      ),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    if (options.media === 'npm') {
      env.FFMPEG_PATH = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
      env.FFPROBE_PATH = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
    }
    // What the agent will pick with this environment (main.ts calls the same function).
    const media = resolveMediaBinaries(env);
    const accountingLog = join(dir, 'media-runs.log');
    if (options.mediaAccounting) {
      const wrapped = writeMediaWrappers(dir, media, accountingLog);
      env.FFMPEG_PATH = wrapped.ffmpegPath;
      env.FFPROBE_PATH = wrapped.ffprobePath;
    }
    log(
      `starting the edge agent (poll ${pollIntervalS} s, probe ${probeIntervalS} s, probeConcurrency ${probeConcurrency}, ffprobe ${media.ffprobePath})...`,
    );
    const child = spawn(
      process.execPath,
      [
        ...productAgentNodeFlags(),
        ...(options.agentNodeArgs ?? []),
        '--import',
        'tsx',
        'edge-agent/src/main.ts',
        '--config',
        configPath,
      ],
      { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent = child;
    let warnings = 0;
    let stderr = '';
    let lastWarning = '';
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const level = /"level":(\d+)/.exec(line)?.[1];
        if (level && Number(level) >= 40 && windowOpen) {
          warnings++;
          lastWarning = line.slice(0, 500);
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`edge agent exited (${code ?? signal}): ${stderr.trim()}`)),
      );
    });
    exited.catch(() => {});
    const pid = child.pid;
    if (pid === undefined) throw new Error('edge agent did not start');

    const warmupStart = performance.now();
    await Promise.race([
      exited,
      (async () => {
        while (seen.size < cameras) {
          if (performance.now() - warmupStart > warmupTimeoutS * 1000)
            throw new Error(`only ${seen.size} of ${cameras} cameras reported within ${warmupTimeoutS} s`);
          await sleep(500);
        }
      })(),
    ]);
    const warmupS = (performance.now() - warmupStart) / 1000;
    const settleS = options.settleS ?? 0;
    if (settleS > 0) {
      log(`all ${cameras} cameras reported after ${warmupS.toFixed(1)} s; settling ${settleS} s...`);
      await Promise.race([exited, sleep(settleS * 1000)]);
      log(`measuring ${options.durationS} s...`);
    } else
      log(
        `all ${cameras} cameras reported after ${warmupS.toFixed(1)} s; measuring ${options.durationS} s...`,
      );
    const accountingFrom = existsSync(accountingLog) ? statSync(accountingLog).size : 0;

    windowOpen = true;
    const before = processUsage(pid);
    const ownBefore = ownCpuS(pid);
    const t0 = performance.now();
    let rssPeakMb = before.rssMb;
    let rssEndMb = before.rssMb;
    const endAt = t0 + options.durationS * 1000;
    let nextReport = t0 + 30_000;
    while (performance.now() < endAt) {
      await Promise.race([exited, sleep(1000)]);
      const u = processUsage(pid);
      rssEndMb = u.rssMb;
      rssPeakMb = Math.max(rssPeakMb, u.rssMb);
      if (performance.now() >= nextReport) {
        nextReport += 30_000;
        const s = (performance.now() - t0) / 1000;
        log(
          `  ${s.toFixed(0)} s: ${((u.cpuS - before.cpuS) / s).toFixed(3)} cores, rss ${u.rssMb.toFixed(0)} MB, health ${health}, stream ${stream}`,
        );
      }
    }
    const after = processUsage(pid);
    const ownAfter = ownCpuS(pid);
    const seconds = (performance.now() - t0) / 1000;
    windowOpen = false;
    const mediaRuns = options.mediaAccounting ? mediaRunsSince(accountingLog, accountingFrom) : undefined;

    const cpuCores = (after.cpuS - before.cpuS) / seconds;
    const childCpuCores = (after.cpuS - before.cpuS - (ownAfter - ownBefore)) / seconds;
    const camerasUp = [...lastState.values()].filter((s) => s === 'up').length;
    if (warnings > 0) log(`agent logged ${warnings} warnings in the window; last: ${lastWarning}`);
    const round = (v: number, digits = 3) => Number(v.toFixed(digits));
    return {
      cameras,
      durationS: round(seconds, 1),
      pollIntervalS,
      probeIntervalS,
      probeConcurrency,
      media,
      cpuCores: round(cpuCores),
      childCpuCores: round(childCpuCores),
      cpuPerCameraMillicores: round((cpuCores * 1000) / cameras),
      rssPeakMb: round(rssPeakMb, 1),
      rssEndMb: round(rssEndMb, 1),
      rssPerCameraMb: round(rssPeakMb / cameras),
      healthPerS: round(health / seconds, 2),
      streamPerS: round(stream / seconds, 2),
      expectedHealthPerS: round(cameras / pollIntervalS, 2),
      expectedStreamPerS: round(cameras / probeIntervalS, 2),
      camerasUp,
      camerasProbed: probed.size,
      agentWarnings: warnings,
      warmupS: round(warmupS, 1),
      settleS,
      ...(mediaRuns ? { mediaRuns } : {}),
      targetMet: cpuCores <= 0.5 && rssPeakMb <= 200 && camerasUp === cameras,
    };
  } finally {
    await subscriber?.endAsync().catch(() => {});
    await stopChild(agent);
    await stopChild(simulator);
    await stopChild(broker, 5_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The node flags a site box runs the agent with: those of `npm run agent` (package.json), so that
 * the bench measures the agent as deployed (its young-generation size sets much of its memory).
 */
function productAgentNodeFlags(): string[] {
  const scripts = (
    JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const match = /^node((?: --[\w-]+=\S+)*) --import tsx edge-agent\/src\/main\.ts$/.exec(scripts.agent ?? '');
  if (!match)
    throw new Error(
      `package.json's agent script is not "node <flags> --import tsx edge-agent/src/main.ts": ${scripts.agent}`,
    );
  return (match[1] ?? '').split(' ').filter(Boolean);
}
