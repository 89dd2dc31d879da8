import type { ProcessFigures } from '../../hub-server/src/process-stats.ts';
import { LIVE_EVENTS, type LiveSnapshot } from '../../src/schemas/api.ts';
import { FleetClient } from './fleet/fleet-client.ts';
import type { FleetSpec } from './fleet/protocol.ts';
import { BENCH_USERS, fleetStack, hubStats, processUsage, type StackMode } from './stack.ts';

export interface MemoryBenchOptions {
  mode: StackMode;
  baseUrl: string;
  sites: number;
  camerasPerSite: number;
  /** Each camera's heartbeat period: the fleet publishes cameras / periodS messages a second. */
  periodS: number;
  durationS: number;
  /** Control-room sockets connected while it runs (each holds a snapshot of every camera). */
  sockets: number;
}

export interface MemoryBenchResult {
  mode: StackMode;
  cameras: number;
  ratePerS: number;
  durationS: number;
  /** The hub's Node process (not the embedded database's own process). */
  hubRssIdleMb: number;
  hubRssPeakMb: number;
  hubRssEndMb: number;
  hubCpuCores: number;
  /** The hub's own figures at the end of the run (V8 heap, memory outside it, event-loop delay). */
  hubProcess: ProcessFigures | null;
  camerasInFleet: number;
  targetMet: boolean;
}

/**
 * Hub memory with a large fleet: every camera announced and heartbeating at a realistic period, a
 * few live sockets, RSS sampled each second. The hub keeps every camera's current view in memory
 * (live snapshots, alerts); this shows what that costs.
 */
export async function runMemoryBench(
  options: MemoryBenchOptions,
  log: (line: string) => void,
): Promise<MemoryBenchResult> {
  const { stack, prefix } = fleetStack('mem', options);
  const fleet = new FleetClient();
  const cameras = options.sites * options.camerasPerSite;
  const sockets: { close: () => void }[] = [];
  try {
    await stack.startServices();
    await stack.startHub();
    const hubPid = stack.hub?.pid as number;
    const idle = processUsage(hubPid).rssMb;
    const spec: FleetSpec = {
      mqttUrl: stack.mqttUrl,
      prefix,
      sites: options.sites,
      camerasPerSite: options.camerasPerSite,
      councils: 40,
      connections: 16,
      windowPerConnection: 2000,
      changeProbability: 0.002,
      passwords: options.mode === 'postgres' ? stack.passwords : null,
    };
    await stack.registerFleet(spec);
    await fleet.setup(spec);
    // Every camera in the hub's memory (a control room's snapshot holds them all) before measuring.
    const { io } = await import('socket.io-client');
    const controlToken = await stack.login(BENCH_USERS.controlroom);
    const snapshotSize = () =>
      new Promise<number>((resolve, reject) => {
        const socket = io(stack.hubUrl, { auth: { token: controlToken }, transports: ['websocket'] });
        socket.once(LIVE_EVENTS.snapshot, (snapshot: LiveSnapshot) => {
          socket.close();
          resolve(snapshot.cameras.length);
        });
        socket.once('connect_error', (error) => {
          socket.close();
          reject(error);
        });
      });
    const deadline = Date.now() + 300_000;
    let inFleet = 0;
    while (Date.now() < deadline) {
      inFleet = await snapshotSize();
      if (inFleet >= cameras) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    log(`  ${inFleet} of ${cameras} cameras in the hub`);
    for (let i = 0; i < options.sockets; i++) {
      const socket = io(stack.hubUrl, { auth: { token: controlToken }, transports: ['websocket'] });
      sockets.push({ close: () => socket.close() });
    }
    const rate = Math.round(cameras / options.periodS);
    let peak = processUsage(hubPid).rssMb;
    const u0 = processUsage(hubPid);
    const t0 = performance.now();
    const sampler = setInterval(() => {
      peak = Math.max(peak, processUsage(hubPid).rssMb);
    }, 1000);
    await fleet.run(rate, options.durationS);
    clearInterval(sampler);
    const u1 = processUsage(hubPid);
    const operatorToken = await stack.login(BENCH_USERS.operator);
    const hubProcess = await hubStats(stack, operatorToken).then(
      (s) => s.process,
      () => null,
    );
    const wall = (performance.now() - t0) / 1000;
    peak = Math.max(peak, u1.rssMb);
    return {
      mode: options.mode,
      cameras,
      ratePerS: rate,
      durationS: options.durationS,
      hubRssIdleMb: idle,
      hubRssPeakMb: peak,
      hubRssEndMb: u1.rssMb,
      hubCpuCores: (u1.cpuS - u0.cpuS) / wall,
      hubProcess,
      camerasInFleet: inFleet,
      // The target is for 50,000 cameras: a smaller fleet cannot meet it.
      targetMet: cameras >= 50_000 && inFleet >= cameras && peak < 500,
    };
  } finally {
    for (const s of sockets) s.close();
    await fleet.close();
    await stack.stop();
  }
}
