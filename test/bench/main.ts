// npm run bench [-- --scenario all|ingest|latency|region|dashboard|reports|agent|memory|report-load|restart|storage
//   (or several, comma-separated, run in the order given)] [--mode both|postgres|embedded] [--quick] [--socket-client lean|socket.io]
// (agent: [--media default|npm] [--agent-cameras 250] [--agent-image-batch-ms 1000] [--agent-probe-batch-ms 1000] [--agent-settle 0]
//  [--agent-media-accounting yes]; memory: [--memory-sockets 10];
// report-load: [--cameras 60] [--parallel 20] [--rounds 3])
// Benchmarks are measured here, never in tests. Each scenario prints a table and writes JSON to
// bench-results/; ingest figures are also given as ratios to baselines measured in the same run.

import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runAgentBench } from './agent-bench.ts';
import { runDashboardBench } from './dashboard-bench.ts';
import { runIngestBench } from './ingest-bench.ts';
import { LATENCY_DEFAULTS, runLatencyBench } from './latency-bench.ts';
import { runMemoryBench } from './memory-bench.ts';
import { runReportLoadBench } from './report-load-bench.ts';
import { runRestartBench } from './restart-bench.ts';
import { cpuSample, cpuShare, processTable, type StackMode } from './stack.ts';
import { runStorageBench } from './storage-bench.ts';
import { runUptimeBench } from './uptime-bench.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const num = (name: string, fallback: number) => Number(arg(name, String(fallback)));
const out = (line = '') => process.stdout.write(`${line}\n`);

export interface TargetRow {
  scenario: string;
  target: string;
  measured: string;
  met: boolean;
}

const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quick = process.argv.includes('--quick');
const targets: TargetRow[] = [];

function modes(): StackMode[] {
  const mode = arg('mode', 'both');
  if (mode === 'both') return ['postgres', 'embedded'];
  if (mode === 'postgres' || mode === 'embedded') return [mode];
  throw new Error(`--mode ${mode}: expected both, postgres or embedded`);
}

function save(name: string, data: unknown, context: Record<string, unknown>): void {
  writeFileSync(`bench-results/${name}.json`, JSON.stringify({ ...context, ...(data as object) }, null, 2));
}

function table(head: string[], rows: (string | number)[][]): void {
  out(`| ${head.join(' | ')} |`);
  out(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) out(`| ${r.join(' | ')} |`);
  out();
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: digits });

async function ingest(context: Record<string, unknown>): Promise<void> {
  for (const mode of modes()) {
    const rate = num('rate', mode === 'postgres' ? 20_000 : 5_000);
    const options = {
      mode,
      baseUrl,
      sites: num('sites', 200),
      camerasPerSite: num('cameras-per-site', 100),
      rate,
      durationS: num('duration', quick ? 15 : 60),
      runs: num('runs', quick ? 1 : 3),
      shortS: quick ? 5 : 10,
      drainLimitS: num('drain-limit', 180),
    };
    out(
      `ingest (${mode}): ${options.sites} sites x ${options.camerasPerSite} cameras, ${fmt(rate)} heartbeats/s for ${options.durationS} s, ${options.runs} runs`,
    );
    const r = await runIngestBench(options, out);
    out();
    table(
      ['figure', 'value', 'x bare subscriber', 'x bare COPY'],
      [
        ['bare mqtt.js subscriber (msg/s)', fmt(r.baselines.bareSubscriber.perS), '1.00', ''],
        [
          r.baselines.bareCopy.method === 'copy'
            ? 'bare COPY (rows/s)'
            : 'bare batched INSERT (rows/s; the embedded database takes no COPY)',
          fmt(r.baselines.bareCopy.perS),
          '',
          '1.00',
        ],
        [
          `hub while the fleet floods at ${fmt(r.saturation.publishedPerS)}/s (stored/s)`,
          fmt(r.saturation.storedPerS),
          (r.saturation.storedPerS / r.baselines.bareSubscriber.perS).toFixed(2),
          (r.saturation.storedPerS / r.baselines.bareCopy.perS).toFixed(2),
        ],
        [
          'hub draining the backlog afterwards (stored/s)',
          fmt(r.saturation.drainPerS),
          r.saturation.ratioToSubscriber.toFixed(2),
          r.saturation.ratioToCopy.toFixed(2),
        ],
        ...r.sustained.map((s) => [
          `run ${s.run} at ${fmt(s.targetPerS)}/s: stored/s`,
          `${fmt(s.storedPerS)} (${(s.withinOneSecond * 100).toFixed(2)}% within 1 s, p99 ${s.storeDelayP99Ms} ms)`,
          (s.storedPerS / r.baselines.bareSubscriber.perS).toFixed(2),
          (s.storedPerS / r.baselines.bareCopy.perS).toFixed(2),
        ]),
      ],
    );
    out(
      `exact count: ${fmt(r.exactCount.heartbeatsAcked)} heartbeats acknowledged by the broker, ${fmt(r.exactCount.heartbeatsStored)} stored, ${r.exactCount.deadLetters} dead letters`,
    );
    out();
    save(`ingest-${mode}`, r, { ...context, options: { ...options, baseUrl: undefined } });
    targets.push({
      scenario: `ingest ${mode}`,
      target: `${fmt(rate)}/s sustained, each stored within 1 s${mode === 'postgres' ? '; ingest capacity >= 0.4 x bare subscriber' : ''}`,
      measured: `median run ${fmt(r.median.storedPerS)}/s, ${(r.median.withinOneSecond * 100).toFixed(2)}% within 1 s; backlog drained at ${fmt(r.saturation.drainPerS)}/s = ${r.saturation.ratioToSubscriber.toFixed(2)} x subscriber`,
      met: r.targetMet,
    });
  }
}

async function latency(context: Record<string, unknown>): Promise<void> {
  const mode = (arg('mode', 'postgres') === 'embedded' ? 'embedded' : 'postgres') as StackMode;
  const socketList = arg('sockets', LATENCY_DEFAULTS.sockets.join(','))
    .split(',')
    .map((n) => Number(n));
  await latencyRows('latency', context, {
    mode,
    baseUrl,
    sockets: socketList,
    rate: num('rate', LATENCY_DEFAULTS.rate),
    durationS: num('duration', quick ? 15 : LATENCY_DEFAULTS.durationS),
    sites: LATENCY_DEFAULTS.sites,
    camerasPerSite: LATENCY_DEFAULTS.camerasPerSite,
    changeProbability: LATENCY_DEFAULTS.changeProbability,
    clientProcesses: num('client-processes', 4),
    socketClient: arg('socket-client', 'socket.io') === 'lean' ? 'lean' : 'socket.io',
  });
}

/**
 * A realistic region: 2,000 cameras with a heartbeat each every 5 s (400 msg/s, 1 % changing a
 * camera's state) and 50 control-room sockets: publish to socket p99 < 10 ms.
 */
async function region(context: Record<string, unknown>): Promise<void> {
  const mode = (arg('mode', 'postgres') === 'embedded' ? 'embedded' : 'postgres') as StackMode;
  const options = {
    mode,
    baseUrl,
    sockets: [num('sockets', 50)],
    rate: num('rate', 400),
    durationS: num('duration', quick ? 20 : 60),
    sites: 40,
    camerasPerSite: 50,
    changeProbability: 0.01,
    clientProcesses: num('client-processes', 1),
    // 50 sockets in one process: the lean client times each message on arrival, so one socket's
    // figure does not carry the parsing of the 49 read before it (--socket-client socket.io to compare).
    socketClient: arg('socket-client', 'lean') === 'socket.io' ? ('socket.io' as const) : ('lean' as const),
    targetP99Ms: 10,
    // The floor in the same run: a bare subscriber's publish-to-receipt through the same broker.
    floor: true,
  };
  const ahead = await latencyRows('region', context, options);
  // The baseline, in the same run: the same region with changes pushed only after their commit.
  const after = await latencyRows(
    'region, push after commit',
    context,
    { ...options, hubEnv: { CCTV_HUB__live__pushBeforeCommit: 'false' } },
    false,
  );
  const [a, b] = [ahead.runs[0], after.runs[0]];
  if (a && b)
    out(
      `push before commit vs after commit (same run): p99 ${fmt(a.latencyMs.p99)} vs ${fmt(b.latencyMs.p99)} ms (x ${(a.latencyMs.p99 / b.latencyMs.p99).toFixed(2)}), p50 ${fmt(a.latencyMs.p50)} vs ${fmt(b.latencyMs.p50)} ms (x ${(a.latencyMs.p50 / b.latencyMs.p50).toFixed(2)})`,
    );
}

async function latencyRows(
  name: string,
  context: Record<string, unknown>,
  options: Parameters<typeof runLatencyBench>[0] & {
    sockets: readonly number[];
    changeProbability: number;
    mode: StackMode;
  },
  /** False for a baseline row: printed and saved, not a target. */
  target = true,
): Promise<Awaited<ReturnType<typeof runLatencyBench>>> {
  const { mode } = options;
  const socketList = options.sockets;
  out(
    `${name} (${mode}): agent publish to control-room socket, ${fmt(options.sites * options.camerasPerSite)} cameras, ${fmt(options.rate)} heartbeats/s (${options.changeProbability * 100}% change state), sockets ${socketList.join(' and ')}, ${options.durationS} s each`,
  );
  const r = await runLatencyBench(options, out);
  table(
    [
      'sockets',
      'sent/s',
      'stored/s',
      'deliveries',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'push->socket p99 ms',
      'bare subscriber p99 ms',
      'hub cores',
    ],
    r.runs.map((run) => [
      `${run.connected}/${run.sockets}`,
      fmt(run.sentPerS),
      fmt(run.storedPerS),
      fmt(run.deliveries),
      fmt(run.latencyMs.p50),
      fmt(run.latencyMs.p90),
      fmt(run.latencyMs.p99),
      fmt(run.latencyMs.max),
      fmt(run.pushToSocketMs.p99),
      run.floorMs ? fmt(run.floorMs.p99) : '-',
      run.hubCpuCores.toFixed(2),
    ]),
  );
  save(`${name}-${mode}`.replaceAll(/[ ,]+/g, '-'), r, {
    ...context,
    options: { ...options, baseUrl: undefined },
  });
  if (target)
    for (const run of r.runs)
      targets.push({
        scenario: `${name} ${mode}`,
        target: `p99 < ${run.targetP99Ms} ms at ${fmt(run.targetPerS)}/s with ${run.sockets} sockets`,
        measured: `p99 ${fmt(run.latencyMs.p99)} ms (p50 ${fmt(run.latencyMs.p50)}), stored ${fmt(run.storedPerS)}/s${run.floorMs ? `; a bare subscriber's p99 ${fmt(run.floorMs.p99)} ms in the same run (x ${(run.latencyMs.p99 / run.floorMs.p99).toFixed(1)})` : ''}`,
        met: run.targetMet,
      });
  return r;
}

async function dashboard(context: Record<string, unknown>): Promise<void> {
  const mode = (arg('mode', 'postgres') === 'embedded' ? 'embedded' : 'postgres') as StackMode;
  const options = {
    mode,
    baseUrl,
    cameras: arg('cameras', quick ? '5000' : '5000,50000')
      .split(',')
      .map((n) => Number(n)),
    changesPerS: num('changes', 1000),
    durationS: num('duration', quick ? 10 : 20),
    loads: num('loads', 3),
  };
  out(
    `dashboard (${mode}): Chromium at 1,440x900, ${options.cameras.map(fmt).join(' and ')} cameras: time to interactive (median of ${options.loads} reloads), then frames while ${fmt(options.changesPerS)} states change a second for ${options.durationS} s`,
  );
  const r = await runDashboardBench(options, out);
  table(
    [
      'cameras',
      'interactive ms',
      'changes/s',
      'frames',
      'longest frame ms',
      'p99 frame ms',
      'frames > 50 ms',
      'longest task ms',
      'blank page, same load: longest / p99 frame ms',
    ],
    r.runs.map((run) => [
      fmt(run.cameras),
      fmt(run.interactiveMedianMs),
      fmt(run.changesPerS),
      fmt(run.frames),
      fmt(run.longestFrameMs),
      fmt(run.p99FrameMs),
      fmt(run.framesOver50Ms),
      fmt(run.longestTaskMs),
      `${fmt(run.baseline.longestFrameMs)} / ${fmt(run.baseline.p99FrameMs)}`,
    ]),
  );
  save(`dashboard-${mode}`, r, { ...context, options: { ...options, baseUrl: undefined } });
  for (const run of r.runs)
    targets.push({
      scenario: `dashboard ${mode}`,
      target: `${fmt(run.cameras)} cameras: interactive < ${fmt(run.targetInteractiveMs)} ms; longest frame <= 50 ms at 1,000 changes/s`,
      measured: `interactive ${fmt(run.interactiveMedianMs)} ms; longest frame ${fmt(run.longestFrameMs)} ms (p99 ${fmt(run.p99FrameMs)}) at ${fmt(run.changesPerS)} changes/s; a blank page under the same load: longest ${fmt(run.baseline.longestFrameMs)} ms (p99 ${fmt(run.baseline.p99FrameMs)})`,
      met: run.targetMet,
    });
}

async function memory(context: Record<string, unknown>): Promise<void> {
  const mode = (arg('mode', 'postgres') === 'embedded' ? 'embedded' : 'postgres') as StackMode;
  const options = {
    mode,
    baseUrl,
    sites: num('sites', 1000),
    camerasPerSite: num('cameras-per-site', 50),
    periodS: 10,
    durationS: num('duration', quick ? 20 : 60),
    sockets: num('memory-sockets', 10),
  };
  out(
    `memory (${mode}): ${fmt(options.sites * options.camerasPerSite)} cameras, a heartbeat each every ${options.periodS} s, ${options.sockets} control-room sockets, ${options.durationS} s`,
  );
  const r = await runMemoryBench(options, out);
  table(
    ['cameras', 'heartbeats/s', 'hub RSS idle MB', 'peak MB', 'end MB', 'heap used/total MB', 'hub cores'],
    [
      [
        fmt(r.cameras),
        fmt(r.ratePerS),
        fmt(r.hubRssIdleMb),
        fmt(r.hubRssPeakMb),
        fmt(r.hubRssEndMb),
        r.hubProcess ? `${fmt(r.hubProcess.heapUsedMb)}/${fmt(r.hubProcess.heapTotalMb)}` : '-',
        r.hubCpuCores.toFixed(2),
      ],
    ],
  );
  save('memory', r, { ...context, options: { ...options, baseUrl: undefined } });
  targets.push({
    scenario: `memory ${mode}`,
    target: 'hub RSS < 500 MB at 50,000 cameras',
    measured: `peak ${fmt(r.hubRssPeakMb)} MB with ${fmt(r.camerasInFleet)} cameras`,
    met: r.targetMet,
  });
}

async function reports(context: Record<string, unknown>): Promise<void> {
  const options = {
    baseUrl,
    cameras: num('cameras', 5000),
    days: num('days', 90),
    runs: num('runs', quick ? 5 : 15),
    keep: process.argv.includes('--keep'),
  };
  out(`reports on PostgreSQL: ${options.cameras} cameras x ${options.days} days (building data...)`);
  const result = await runUptimeBench(options);
  const baseline = result.timings[0]?.medianMs ?? 1;
  out(`data: ${JSON.stringify(result.rows)} built in ${(result.setupMs / 1000).toFixed(1)} s`);
  out();
  table(
    ['query', 'median ms', 'p95 ms', 'x baseline', 'runs'],
    result.timings.map((t) => [
      t.name,
      t.medianMs.toFixed(2),
      t.p95Ms.toFixed(2),
      (t.medianMs / baseline).toFixed(2),
      t.runs,
    ]),
  );
  save('uptime', result, { ...context, options: { ...options, baseUrl: undefined } });
  // The report queries over the whole fleet and over one camera, 90 days each; the slowest counts.
  const slowest = (pattern: RegExp) =>
    result.timings.filter((t) => pattern.test(t.name)).sort((a, b) => b.medianMs - a.medianMs)[0];
  const fleetTiming = slowest(/^(uptime|summary).*[0-9]{2,} cameras.*90 days/);
  const oneTiming = slowest(/1 camera, 90 days/);
  if (fleetTiming)
    targets.push({
      scenario: 'reports',
      target: `${fmt(options.cameras)} cameras x ${options.days} days < 100 ms`,
      measured: `slowest (${fleetTiming.name}): median ${fleetTiming.medianMs.toFixed(1)} ms`,
      met: fleetTiming.medianMs < 100,
    });
  if (oneTiming)
    targets.push({
      scenario: 'reports',
      target: 'one camera x 90 days < 5 ms',
      measured: `slowest (${oneTiming.name}): median ${oneTiming.medianMs.toFixed(2)} ms`,
      met: oneTiming.medianMs < 5,
    });
}

async function reportLoad(context: Record<string, unknown>): Promise<void> {
  for (const mode of arg('mode', 'embedded') === 'both' ? modes() : [arg('mode', 'embedded') as StackMode]) {
    const options = {
      mode,
      baseUrl,
      cameras: num('cameras', 60),
      parallel: num('parallel', 20),
      rounds: num('rounds', quick ? 1 : 3),
      healthzIntervalMs: 10,
    };
    out(
      `report load (${mode}): ${options.parallel} evidence packs at once (${options.cameras} cameras, a clock reading an hour) while /healthz is polled every ${options.healthzIntervalMs} ms, ${options.rounds} rounds`,
    );
    const r = await runReportLoadBench(options, out);
    table(
      [
        'packs ok',
        'failed',
        'median bytes',
        'healthz answers',
        'p50 ms',
        'p99 ms',
        'max ms',
        'hub cores',
        'hub RSS peak MB',
      ],
      [
        [
          r.packs.ok,
          r.packs.failed,
          fmt(r.packs.bytesMedian),
          fmt(r.healthz.answers),
          r.healthz.p50Ms,
          r.healthz.p99Ms,
          r.healthz.maxMs,
          r.hubCpuCores.toFixed(2),
          fmt(r.hubRssPeakMb),
        ],
      ],
    );
    save(`report-load-${mode}`, r, { ...context, options: { ...options, baseUrl: undefined } });
    targets.push({
      scenario: `report load ${mode}`,
      target: `${options.parallel} parallel evidence packs: /healthz p99 < ${r.targetP99Ms} ms, every pack correct`,
      measured: `p99 ${r.healthz.p99Ms} ms (max ${r.healthz.maxMs}), ${r.packs.ok}/${r.packs.ok + r.packs.failed} packs`,
      met: r.targetMet,
    });
  }
}

async function agent(context: Record<string, unknown>): Promise<void> {
  const media = arg('media', 'default') === 'npm' ? 'npm' : 'default';
  const options = {
    cameras: num('agent-cameras', 250),
    durationS: num('duration', quick ? 60 : 180),
    media,
    ...(arg('agent-image-batch-ms', '') !== '' ? { imageBatchMs: num('agent-image-batch-ms', 1000) } : {}),
    ...(arg('agent-probe-batch-ms', '') !== '' ? { probeBatchMs: num('agent-probe-batch-ms', 1000) } : {}),
    settleS: num('agent-settle', 0),
    mediaAccounting: arg('agent-media-accounting', 'no') !== 'no',
    // Profiling a run: BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench-results/profiles".
    agentNodeArgs: process.env.BENCH_AGENT_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [],
  } as const;
  out(
    `edge agent: ${options.cameras} simulated cameras, polled every 10 s and probed every 60 s, ${options.durationS} s (${media} ffmpeg/ffprobe)`,
  );
  const r = await runAgentBench(options, out);
  table(
    [
      'cameras',
      'cores',
      'of which ffprobe/ffmpeg',
      'millicores/camera',
      'RSS peak MB',
      'health/s',
      'stream/s',
      'up',
    ],
    [
      [
        r.cameras,
        r.cpuCores.toFixed(3),
        r.childCpuCores.toFixed(3),
        r.cpuPerCameraMillicores.toFixed(2),
        fmt(r.rssPeakMb),
        `${r.healthPerS.toFixed(1)} of ${r.expectedHealthPerS.toFixed(1)}`,
        `${r.streamPerS.toFixed(2)} of ${r.expectedStreamPerS.toFixed(2)}`,
        r.camerasUp,
      ],
    ],
  );
  if (r.mediaRuns) {
    out(`media runs in the window, by kind (${r.durationS} s):`);
    table(
      ['tool and kind', 'runs', 'runs/s', 'CPU s', 'cores', 'CPU ms/run', 'wall s/run'],
      r.mediaRuns.map((k) => [
        k.kind,
        k.runs,
        (k.runs / r.durationS).toFixed(2),
        k.cpuS.toFixed(1),
        (k.cpuS / r.durationS).toFixed(3),
        k.msPerRun.toFixed(1),
        k.wallSPerRun.toFixed(2),
      ]),
    );
  }
  save(`agent-${media}`, r, { ...context, options });
  targets.push({
    scenario: `edge agent (${media} media)`,
    target: '250 cameras (10 s polls, 60 s probes) <= 0.5 core, <= 200 MB',
    measured: `${r.cpuCores.toFixed(3)} cores (${r.childCpuCores.toFixed(3)} in ffprobe/ffmpeg), peak ${fmt(r.rssPeakMb)} MB, ${r.camerasUp}/${r.cameras} up`,
    met: r.targetMet,
  });
}

async function restart(context: Record<string, unknown>): Promise<void> {
  const r = await runRestartBench(
    { baseUrl, mqttUrl: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883', rounds: quick ? 3 : 5 },
    out,
  );
  table(
    ['started after kill -9', 'ready ms (median)', 'each round ms', 'ratio to a bare Node HTTP process'],
    r.runs.map((x) => [
      x.kind,
      fmt(x.medianMs),
      x.readyMs.map((m) => fmt(m)).join(', '),
      (x.medianMs / r.bareNodeMs).toFixed(1),
    ]),
  );
  out(`bare Node HTTP process: ready after ${fmt(r.bareNodeMs)} ms (median of 3)`);
  save('restart', r, context);
  for (const x of r.runs)
    targets.push({
      scenario: `restart ${x.kind}`,
      target: 'serving again < 3 s after start',
      measured: `${fmt(x.medianMs)} ms (median)`,
      met: x.medianMs < r.targetMs,
    });
}

async function storage(context: Record<string, unknown>): Promise<void> {
  const r = await runStorageBench(
    {
      baseUrl,
      mqttUrl: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
      cameras: num('cameras', 20),
      durationS: quick ? 60 : 180,
    },
    out,
  );
  table(
    [
      'message kind',
      'stored in the run',
      'bytes each (tables and indexes)',
      'a camera a day (default intervals)',
    ],
    Object.entries(r.bytesPerMessage).map(([kind, bytes]) => [
      kind,
      fmt(r.messagesByKind[kind] ?? 0),
      fmt(bytes),
      r.messagesPerCameraDay[kind] ? fmt(r.messagesPerCameraDay[kind] as number) : '-',
    ]),
  );
  table(
    ['table', 'grew by (bytes)'],
    r.growth.map((g) => [g.table, fmt(g.bytes)]),
  );
  out(
    `one camera a day: ${fmt(r.bytesPerCameraDay / 1e6, 2)} MB in the tables that grow with every message (the others grew by ${fmt(r.otherBytes / 1e3)} kB in the run: first pages and rows updated in place)`,
  );
  save('storage', r, context);
  targets.push({
    scenario: 'storage',
    target: '(measured for sizing; no target)',
    measured: `${fmt(r.bytesPerCameraDay / 1e6, 2)} MB per camera-day on PostgreSQL`,
    met: true,
  });
}

const SCENARIOS: Record<string, (context: Record<string, unknown>) => Promise<void>> = {
  ingest,
  latency,
  region,
  dashboard,
  reports,
  agent,
  memory,
  'report-load': reportLoad,
  restart,
  storage,
};

/**
 * How busy the machine is before a scenario starts: every scenario shares two cores with whatever
 * ran before it (a database still vacuuming, a process left behind), so each result records it,
 * with the processes this one still has running.
 */
async function machineBefore(name: string): Promise<{ busyCores: number; children: string[] }> {
  const a = cpuSample({});
  await new Promise((r) => setTimeout(r, 3000));
  const busyCores = cpuShare(a, cpuSample({})).machine ?? 0;
  const children = [...processTable().values()].filter((p) => p.ppid === process.pid).map((p) => p.comm);
  out(
    `before ${name}: the machine was ${busyCores.toFixed(2)} cores busy over 3 s; processes under the bench: ${children.length ? children.join(', ') : 'none'}`,
  );
  return { busyCores, children };
}

async function main(): Promise<void> {
  const scenario = arg('scenario', 'all');
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
  const context = { date: new Date().toISOString(), commit, machine };
  mkdirSync('bench-results', { recursive: true });
  const names = scenario === 'all' ? Object.keys(SCENARIOS) : scenario.split(',').map((x) => x.trim());
  for (const name of names)
    if (!SCENARIOS[name])
      throw new Error(`unknown scenario ${name} (known: all, ${Object.keys(SCENARIOS).join(', ')})`);
  for (const name of names) {
    const run = SCENARIOS[name] as (context: Record<string, unknown>) => Promise<void>;
    const before = await machineBefore(name);
    // One scenario failing (a service missing, a run timing out) still leaves the others' figures.
    await run({ ...context, machineBefore: before }).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      out(`scenario ${name} failed: ${message}`);
      targets.push({ scenario: name, target: '(scenario)', measured: `failed: ${message}`, met: false });
    });
  }
  out(`## Targets (${context.date.slice(0, 10)}, ${machine}, commit ${commit})`);
  out();
  table(
    ['scenario', 'target', 'measured', 'met'],
    targets.map((t) => [t.scenario, t.target, t.measured, t.met ? 'yes' : 'NO']),
  );
  save('summary', { targets }, context);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
