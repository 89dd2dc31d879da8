import type { Logger } from 'pino';
import type { CameraFleetSimulator } from '../../../test/simulators/camera/index.ts';
import type { DemoSite } from './demo-plan.ts';

type FaultSpec = Parameters<CameraFleetSimulator['setFault']>[1];

/** Relative weights of the faults seen in the field; most cameras stay healthy. */
const FAULTS: { weight: number; make: (r: () => number) => FaultSpec }[] = [
  { weight: 5, make: () => ({ kind: 'unreachable' }) },
  {
    weight: 3,
    make: (r) => ({ kind: 'clock-skew', skewMs: Math.round((r() < 0.5 ? -1 : 1) * (2_000 + r() * 60_000)) }),
  },
  { weight: 2, make: () => ({ kind: 'fps-mismatch', fps: 4 }) },
  { weight: 2, make: () => ({ kind: 'blank-image' }) },
  { weight: 1, make: () => ({ kind: 'wrong-timezone' }) },
  { weight: 1, make: () => ({ kind: 'no-ntp' }) },
  { weight: 1, make: () => ({ kind: 'hang' }) },
  { weight: 1, make: () => ({ kind: 'wrong-credentials' }) },
  { weight: 1, make: () => ({ kind: 'frozen-video' }) },
  { weight: 1, make: () => ({ kind: 'turned-away' }) },
  { weight: 1, make: () => ({ kind: 'blurred-video' }) },
  { weight: 1, make: () => ({ kind: 'stale-snapshot' }) },
];
const TOTAL = FAULTS.reduce((n, f) => n + f.weight, 0);

export interface FaultSchedulerOptions {
  simulator: CameraFleetSimulator;
  sites: readonly DemoSite[];
  intervalMs: number;
  random: () => number;
  log: Logger;
  restartSite: (siteId: string, downMs: number) => Promise<void>;
}

/** Injects and clears simulator faults so the demo shows cameras going down and recovering. */
export class FaultScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly active = new Map<string, number>();

  constructor(private readonly options: FaultSchedulerOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private pick(): FaultSpec {
    let n = this.options.random() * TOTAL;
    for (const f of FAULTS) {
      n -= f.weight;
      if (n <= 0) return f.make(this.options.random);
    }
    return { kind: 'unreachable' };
  }

  private async tick(): Promise<void> {
    const { simulator, sites, random, log } = this.options;
    const now = Date.now();
    for (const [cameraId, until] of this.active) {
      if (until > now) continue;
      this.active.delete(cameraId);
      await simulator
        .clearFault(cameraId)
        .catch((error: Error) => log.warn({ cameraId, err: error.message }, 'demo: clear fault failed'));
    }
    const cameras = sites.flatMap((s) => s.cameras);
    // About 4% of cameras are faulty at any time, each fault lasting 1-5 intervals.
    const target = Math.round(cameras.length * 0.04);
    while (this.active.size < target) {
      const cam = cameras[Math.floor(random() * cameras.length)];
      if (!cam || this.active.has(cam.id)) continue;
      const fault = this.pick();
      try {
        await simulator.setFault(cam.id, fault);
        this.active.set(cam.id, now + this.options.intervalMs * (1 + Math.floor(random() * 5)));
        log.debug({ cameraId: cam.id, fault: fault.kind }, 'demo: fault injected');
      } catch (error) {
        log.warn({ cameraId: cam.id, err: (error as Error).message }, 'demo: fault injection failed');
        break;
      }
    }
    // Now and then a town's link drops for a couple of minutes: one site incident, cameras unknown.
    if (random() < 0.05) {
      const site = sites[Math.floor(random() * sites.length)];
      if (site) await this.options.restartSite(site.id, 60_000 + Math.floor(random() * 120_000));
    }
  }
}
