import pg from 'pg';
import type { PipelineStats } from '../../hub-server/src/ingest/pipeline.ts';
import { bareCopyRate, bareSubscriberRate, type RateResult, startBareAedes } from './baselines.ts';
import { FleetClient } from './fleet/fleet-client.ts';
import type { FleetSpec } from './fleet/protocol.ts';
import {
  BENCH_USERS,
  type BenchStack,
  type CpuShare,
  cpuSample,
  cpuShare,
  fleetStack,
  formatCpuShare,
  hubGcSeconds,
  processUsage,
  type StackMode,
  hubStats as stats,
} from './stack.ts';

export interface IngestBenchOptions {
  mode: StackMode;
  baseUrl: string;
  sites: number;
  camerasPerSite: number;
  /** Target heartbeats per second of the sustained runs. */
  rate: number;
  durationS: number;
  runs: number;
  /** Length of the baseline and saturation runs. */
  shortS: number;
  /** How long to wait after a sustained run for the hub to store what is left. */
  drainLimitS: number;
  hubEnv?: Record<string, string>;
}

export interface SustainedRun {
  run: number;
  targetPerS: number;
  sentPerS: number;
  storedPerS: number;
  sent: number;
  stored: number;
  /** Of this run's messages: share stored within 1 s of publication, and the slowest bucket reached. */
  withinOneSecond: number;
  storeDelayP99Ms: string;
  storeDelayMaxMs: number;
  drainMs: number;
  /** Messages still not stored when the run's drain limit passed (0: all stored). */
  backlogLeft: number;
  hubCpuCores: number;
  /** The hub's garbage-collection time as a share of its CPU time over the run. */
  hubGcShare: number;
  hubRssMb: number;
  /** Cores used during the run: the whole machine, the hub (with its embedded database), the fleet generator, PostgreSQL's server processes, Mosquitto. */
  cpu: CpuShare;
}

export interface IngestBenchResult {
  mode: StackMode;
  fleet: { sites: number; cameras: number };
  baselines: { bareSubscriber: RateResult; bareCopy: RateResult & { method: 'copy' | 'insert' } };
  /**
   * The fleet publishing as fast as the broker takes it: what the hub stored meanwhile (sharing
   * the cores with the publisher), and how fast it then drained the backlog (the ratios use this).
   */
  saturation: {
    /** Cores used while the fleet published flat out (see SustainedRun.cpu). */
    cpu: CpuShare;
    storedPerS: number;
    publishedPerS: number;
    drainPerS: number;
    ratioToSubscriber: number;
    ratioToCopy: number;
    /** The hub's garbage-collection time as a share of its CPU time, flood and drain together. */
    hubGcShare: number;
  };
  sustained: SustainedRun[];
  median: SustainedRun;
  exactCount: {
    heartbeatsAcked: number;
    heartbeatsStored: number;
    messagesAcked: number;
    messagesInLedger: number;
    deadLetters: number;
  };
  targetMet: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Smallest store-delay histogram bucket holding at least `share` of the messages stored between
 * two stats reads (">30000" beyond the last).
 */
export function storeDelayBucket(
  before: PipelineStats['storeDelay'],
  after: PipelineStats['storeDelay'],
  share = 0.99,
): string {
  const count = after.count - before.count;
  for (const [le, n] of Object.entries(after.le)) {
    if (n - (before.le[le] ?? 0) >= share * count) return `<=${le}`;
  }
  return '>30000';
}

async function waitForStored(
  stack: BenchStack,
  token: string,
  expected: number,
  timeoutMs: number,
): Promise<PipelineStats> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const s = await stats(stack, token);
    if (s.accepted + s.deadLettered + s.duplicates >= expected) return s;
    if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      process.stdout.write(
        `    waiting: ${s.accepted + s.deadLettered + s.duplicates} of ${expected} stored (received ${s.received}, queued ${s.queued}, read pauses ${s.readPauses}, failed batches ${s.failedBatches})\n`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`hub stored ${s.accepted} of ${expected} messages within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Ingest throughput: the fleet generator (its own process, real protocol, QoS 1) against the hub
 * (its own process) on a broker and database of this run. Baselines measured first on the same
 * services: the bare subscriber and bare COPY. Then one saturation run (publish as fast as the
 * broker takes it) and `runs` sustained runs at the target rate.
 */
export async function runIngestBench(
  options: IngestBenchOptions,
  log: (line: string) => void,
): Promise<IngestBenchResult> {
  const { stack, prefix } = fleetStack('bench', options);
  const spec = (mqttUrl: string): FleetSpec => ({
    mqttUrl,
    prefix,
    sites: options.sites,
    camerasPerSite: options.camerasPerSite,
    councils: Math.max(1, Math.min(40, options.sites)),
    connections: 16,
    windowPerConnection: 2000,
    changeProbability: 0.002,
    passwords: options.mode === 'postgres' ? stack.passwords : null,
  });
  const fleet = new FleetClient();
  try {
    await stack.startServices();
    let bareSubscriber: RateResult;
    if (options.mode === 'postgres') {
      bareSubscriber = await bareSubscriberRate(
        spec(stack.mqttUrl),
        { username: 'cctv-hub', password: stack.hubMqttPassword },
        options.shortS,
      );
    } else {
      const aedes = await startBareAedes(stack.mqttPort);
      try {
        bareSubscriber = await bareSubscriberRate(spec(stack.mqttUrl), {}, options.shortS);
      } finally {
        aedes.kill('SIGKILL');
        await new Promise((r) => aedes.once('exit', r));
      }
    }
    log(`  bare subscriber: ${Math.round(bareSubscriber.perS)} msg/s`);

    await stack.startHub();
    const token = await stack.login(BENCH_USERS.operator);
    const bareCopy =
      options.mode === 'postgres'
        ? await bareCopyRate(stack.dbUrl, 200_000)
        : await bareCopyRate(stack.dbUrl, 50_000, 5000, 'insert');
    log(
      `  bare ${bareCopy.method === 'copy' ? 'COPY' : 'batched INSERT'}: ${Math.round(bareCopy.perS)} rows/s`,
    );

    await stack.registerFleet(spec(stack.mqttUrl));
    await fleet.setup(spec(stack.mqttUrl));
    const setupMessages = options.sites * 2;
    await waitForStored(stack, token, setupMessages, 120_000);
    log(`  fleet announced: ${options.sites} sites, ${options.sites * options.camerasPerSite} cameras`);
    // One heartbeat per camera first (the fleet goes round its cameras in turn): each camera's
    // first moves it from unknown to up, a state change with its interval and rollup writes. The
    // figures below are for a fleet in its steady state, not for the hub's first minute.
    const warm = await stats(stack, token);
    const cameras = options.sites * options.camerasPerSite;
    const warmRate = Math.min(options.rate, 10_000);
    const warmed = await fleet.run(warmRate, Math.max(1, Math.ceil(cameras / warmRate)));
    await waitForStored(
      stack,
      token,
      warm.accepted + warm.deadLettered + warm.duplicates + warmed.acked,
      300_000,
    );
    log(`  warmed up: ${warmed.acked} heartbeats, every camera up`);

    // Saturation: publish as fast as the broker acknowledges; the hub's stored rate is its ceiling.
    const before = await stats(stack, token);
    const gcBefore = await hubGcSeconds(stack);
    const cpuBefore = processUsage(stack.hub?.pid as number);
    const t0 = performance.now();
    const cpuPids = () => ({ hub: stack.hub?.pid, fleet: fleet.pid });
    const c0 = cpuSample(cpuPids());
    const saturated = await fleet.run(0, options.shortS);
    const saturationCpu = cpuShare(c0, cpuSample(cpuPids()));
    const mid = await stats(stack, token);
    const storedInWindow = mid.accepted - before.accepted;
    const seconds = (performance.now() - t0) / 1000;
    // Then the backlog left in the broker drains with no publisher competing for the cores.
    const drainStart = performance.now();
    const drained = await waitForStored(
      stack,
      token,
      before.accepted + before.deadLettered + before.duplicates + saturated.acked,
      600_000,
    );
    const drainS = (performance.now() - drainStart) / 1000;
    const gcShare =
      ((await hubGcSeconds(stack)) - gcBefore) /
      Math.max(0.01, processUsage(stack.hub?.pid as number).cpuS - cpuBefore.cpuS);
    // A hub that kept up with the flood leaves no backlog worth timing: its capacity is then at
    // least what it stored while the fleet flooded.
    const backlogLeft = drainS > 0.5;
    const drainPerS = backlogLeft ? (drained.accepted - mid.accepted) / drainS : storedInWindow / seconds;
    const saturation = {
      cpu: saturationCpu,
      storedPerS: storedInWindow / seconds,
      publishedPerS: (saturated.sent * 1000) / saturated.elapsedMs,
      drainPerS,
      ratioToSubscriber: drainPerS / bareSubscriber.perS,
      ratioToCopy: drainPerS / bareCopy.perS,
      hubGcShare: gcShare,
    };
    log(
      `  saturation: stored ${Math.round(saturation.storedPerS)}/s while ${Math.round(saturation.publishedPerS)}/s were published (cores: ${formatCpuShare(saturationCpu)}), ${backlogLeft ? `then drained the backlog at ${Math.round(drainPerS)}/s` : 'and kept up (no backlog left to drain)'}; the hub's GC ${(gcShare * 100).toFixed(1)} % of its CPU`,
    );

    const sustained: SustainedRun[] = [];
    const hubPid = stack.hub?.pid as number;
    for (let run = 1; run <= options.runs; run++) {
      const s0 = await stats(stack, token);
      const gc0 = await hubGcSeconds(stack);
      const u0 = processUsage(hubPid);
      const cpu0 = cpuSample(cpuPids());
      const t = performance.now();
      const done = await fleet.run(options.rate, options.durationS);
      const u1 = processUsage(hubPid);
      const gc1 = await hubGcSeconds(stack);
      const cpu = cpuShare(cpu0, cpuSample(cpuPids()));
      const wall = (performance.now() - t) / 1000;
      const atEnd = await stats(stack, token);
      const expected = s0.accepted + s0.deadLettered + s0.duplicates + done.acked;
      const drained0 = performance.now();
      // A hub far behind would take long to catch up; past the limit the run is recorded as it is.
      const s1 = await waitForStored(stack, token, expected, options.drainLimitS * 1000).catch(() =>
        stats(stack, token),
      );
      const drainMs = performance.now() - drained0;
      const backlog = expected - (s1.accepted + s1.deadLettered + s1.duplicates);
      const count = s1.storeDelay.count - s0.storeDelay.count;
      const within = (s1.storeDelay.le['1000'] ?? 0) - (s0.storeDelay.le['1000'] ?? 0);
      const result: SustainedRun = {
        run,
        targetPerS: options.rate,
        sentPerS: (done.sent * 1000) / done.elapsedMs,
        storedPerS: ((atEnd.accepted - s0.accepted) * 1000) / done.elapsedMs,
        sent: done.sent,
        stored: s1.accepted - s0.accepted,
        withinOneSecond: count === 0 ? 0 : within / count,
        storeDelayP99Ms: storeDelayBucket(s0.storeDelay, s1.storeDelay),
        storeDelayMaxMs: s1.storeDelay.maxMs,
        drainMs,
        hubCpuCores: (u1.cpuS - u0.cpuS) / wall,
        hubGcShare: (gc1 - gc0) / Math.max(0.01, u1.cpuS - u0.cpuS),
        hubRssMb: u1.rssMb,
        cpu,
        backlogLeft: backlog,
      };
      sustained.push(result);
      if (backlog > 0) {
        log(
          `  run ${run}: sent ${Math.round(result.sentPerS)}/s, stored ${Math.round(result.storedPerS)}/s; ${backlog} messages still not stored ${options.drainLimitS} s after the run, so no further runs`,
        );
        break;
      }
      log(
        `  run ${run}: sent ${Math.round(result.sentPerS)}/s, stored ${Math.round(result.storedPerS)}/s, ${(result.withinOneSecond * 100).toFixed(2)}% within 1 s (p99 ${result.storeDelayP99Ms} ms), hub ${result.hubCpuCores.toFixed(2)} cores (${(result.hubGcShare * 100).toFixed(1)} % of it GC) ${Math.round(result.hubRssMb)} MB (cores: ${formatCpuShare(result.cpu)})`,
      );
    }
    const heartbeats = warmed.acked + saturated.acked + sustained.reduce((a, r) => a + r.sent, 0);
    const db = new pg.Client({ connectionString: stack.dbUrl });
    await db.connect();
    const counted = await db.query<{ health: number; ledger: number; dead: number }>(
      `SELECT (SELECT count(*) FROM health_samples)::int AS health,
              (SELECT count(*) FROM ingested_messages)::int AS ledger,
              (SELECT count(*) FROM dead_letters)::int AS dead`,
    );
    await db.end();
    const row = counted.rows[0] ?? { health: 0, ledger: 0, dead: 0 };
    const sorted = [...sustained].sort((a, b) => a.storedPerS - b.storedPerS);
    const median = sorted[Math.floor(sorted.length / 2)] as SustainedRun;
    return {
      mode: options.mode,
      fleet: { sites: options.sites, cameras: options.sites * options.camerasPerSite },
      baselines: { bareSubscriber, bareCopy },
      saturation,
      sustained,
      median,
      exactCount: {
        heartbeatsAcked: heartbeats,
        heartbeatsStored: row.health,
        messagesAcked: heartbeats + setupMessages,
        messagesInLedger: row.ledger,
        deadLetters: row.dead,
      },
      targetMet:
        median.sentPerS >= options.rate * 0.98 &&
        median.storedPerS >= options.rate * 0.98 &&
        median.withinOneSecond === 1 &&
        row.health === heartbeats &&
        row.dead === 0 &&
        // The ratio target is the PostgreSQL+Mosquitto one; the embedded pair's is the rate alone.
        (options.mode !== 'postgres' || saturation.ratioToSubscriber >= 0.4),
    };
  } finally {
    await fleet.close();
    await stack.stop();
  }
}
